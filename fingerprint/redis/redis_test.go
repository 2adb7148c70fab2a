package redis

import (
	"bufio"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/record"
)

// infoServer is the "INFO server" answer of redis-server 7.0.15 from
// Debian 12, as read on the wire.
const infoServer = "$577\r\n# Server\r\nredis_version:7.0.15\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\n" +
	"redis_build_id:ae4d7c971a948f0\r\nredis_mode:standalone\r\nos:Linux 6.18.44-fc-v595 x86_64\r\narch_bits:64\r\n" +
	"monotonic_clock:POSIX clock_gettime\r\nmultiplexing_api:epoll\r\natomicvar_api:c11-builtin\r\ngcc_version:12.2.0\r\n" +
	"process_id:3474\r\nprocess_supervised:no\r\nrun_id:b5f37b06ab107cc72aceb529ac802ca9b1a0b78a\r\ntcp_port:16379\r\n" +
	"server_time_usec:1795294636650584\r\nuptime_in_seconds:2\r\nuptime_in_days:0\r\nhz:10\r\nconfigured_hz:10\r\n" +
	"lru_clock:132524\r\nexecutable:/tmp/fpx/redis-server\r\nconfig_file:\r\nio_threads_active:0\r\n\r\n"

// others are typical first answers of other protocols.
var others = []string{
	"",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
	"220 mail.example.org ESMTP Exim 4.96\r\n",
	"+OK Dovecot (Debian) ready.\r\n",
	"-ERR Unknown command.\r\n",
	"ERROR\r\nERROR\r\nERROR\r\n",
	"\x15\x03\x01\x00\x02\x02\x50",
	"VERSION 1.6.18\r\n",
	"+PONG", // no line end
}

func TestParsePing(t *testing.T) {
	tests := []struct {
		in   string
		want *record.Service
	}{
		{"+PONG\r\n", &record.Service{Name: "redis", Confidence: 8}},
		{"-NOAUTH Authentication required.\r\n", &record.Service{Name: "redis", Product: "Redis",
			ExtraInfo: "authentication required", Confidence: 9, CPE: []string{"cpe:2.3:a:redis:redis:*:*:*:*:*:*:*:*"}}},
		{"-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user.\r\n",
			&record.Service{Name: "redis", Product: "Redis", ExtraInfo: "protected mode", Confidence: 10,
				CPE: []string{"cpe:2.3:a:redis:redis:*:*:*:*:*:*:*:*"}}},
	}
	for _, tt := range tests {
		got, err := ParsePing([]byte(tt.in))
		if err != nil {
			t.Errorf("ParsePing(%q): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParsePing(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
	fptest.NoMatch(t, "ParsePing", ParsePing, others...)
}

// bulkOf encodes s as a RESP bulk string.
func bulkOf(s string) string { return "$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n" }

func TestParseInfo(t *testing.T) {
	tests := []struct {
		in   string
		want *record.Service
	}{
		{infoServer, &record.Service{Name: "redis", Product: "Redis", Version: "7.0.15",
			ExtraInfo: "mode: standalone; os: Linux 6.18.44-fc-v595 x86_64", Confidence: 10,
			CPE: []string{"cpe:2.3:a:redis:redis:7.0.15:*:*:*:*:*:*:*", "cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*"}}},
		{bulkOf("# Server\r\nredis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:8.0.1\r\n"),
			&record.Service{Name: "redis", Product: "Valkey", Version: "8.0.1", Confidence: 10}},
		{bulkOf("# Server\r\nredis_version:6.2.6\r\nredis_mode:cluster\r\n"),
			&record.Service{Name: "redis", Product: "Redis", Version: "6.2.6", ExtraInfo: "mode: cluster", Confidence: 10,
				CPE: []string{"cpe:2.3:a:redis:redis:6.2.6:*:*:*:*:*:*:*"}}},
	}
	for _, tt := range tests {
		got, err := ParseInfo([]byte(tt.in))
		if err != nil {
			t.Errorf("ParseInfo(%q): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseInfo(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
	bad := append([]string{
		infoServer[:100],                        // cut short
		bulkOf("hello"),                         // no version
		bulkOf("redis_version:7.0.15 evil\r\n"), // not a version
		"$-1\r\n",
		"$99999999999999999999\r\n",
	}, others...)
	for _, in := range bad {
		if got, err := ParseInfo([]byte(in)); !errors.Is(err, fingerprint.ErrNoMatch) {
			t.Errorf("ParseInfo(%q) = %+v, %v; want ErrNoMatch", in, got, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(infoServer))
	f.Add([]byte("+PONG\r\n"))
	f.Add([]byte("-NOAUTH Authentication required.\r\n"))
	for _, o := range others {
		f.Add([]byte(o))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, parse := range []func([]byte) (*record.Service, error){ParsePing, ParseInfo} {
			fptest.CheckParse(t, "parse", parse, b)
		}
		untilBulk(b)
	})
}

// server plays a Redis that reads RESP commands and answers PING and
// INFO; it sends the INFO reply in two pieces.
func server(auth bool) func(net.Conn) {
	return func(c net.Conn) {
		r := bufio.NewReader(c)
		for {
			cmd, err := readCommand(r)
			if err != nil {
				return
			}
			switch {
			case auth:
				c.Write([]byte("-NOAUTH Authentication required.\r\n"))
			case cmd == "PING":
				c.Write([]byte("+PONG\r\n"))
			case cmd == "INFO server":
				c.Write([]byte(infoServer[:200]))
				c.Write([]byte(infoServer[200:]))
			default:
				c.Write([]byte("-ERR unknown command\r\n"))
			}
		}
	}
}

// readCommand reads one RESP array of bulk strings.
func readCommand(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "*") {
		return "", errors.New("not an array")
	}
	var n int
	for _, ch := range strings.TrimSpace(line[1:]) {
		n = n*10 + int(ch-'0')
	}
	var args []string
	for range n {
		if _, err := r.ReadString('\n'); err != nil { // $len
			return "", err
		}
		arg, err := r.ReadString('\n')
		if err != nil {
			return "", err
		}
		args = append(args, strings.TrimSpace(arg))
	}
	return strings.Join(args, " "), nil
}

func TestIdentifyLive(t *testing.T) {
	svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, server(false)))
	if svc.Name != "redis" || svc.Product != "Redis" || svc.Version != "7.0.15" || svc.Confidence != 10 {
		t.Errorf("open redis: got %+v", svc)
	}
	svc = fptest.MustMatch(t, plugin{}, fptest.Serve(t, server(true)))
	if svc.Product != "Redis" || svc.Version != "" || svc.ExtraInfo != "authentication required" {
		t.Errorf("redis with a password: got %+v", svc)
	}
	// Protected mode: the refusal comes before the client writes.
	denied := fptest.Serve(t, func(c net.Conn) {
		c.Write([]byte("-DENIED Redis is running in protected mode because protected mode is enabled\r\n"))
	})
	svc = fptest.MustMatch(t, plugin{}, denied)
	if svc.Product != "Redis" || svc.ExtraInfo != "protected mode" {
		t.Errorf("redis in protected mode: got %+v", svc)
	}
	memcached := fptest.Serve(t, fptest.Reply([]byte("ERROR\r\nERROR\r\nERROR\r\n"), 16))
	fptest.MustNotMatch(t, plugin{}, memcached)
	http := fptest.Serve(t, fptest.Reply([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"), 16))
	fptest.MustNotMatch(t, plugin{}, http)
	silent := fptest.Serve(t, func(c net.Conn) { c.Read(make([]byte, 100)) })
	fptest.MustNotMatch(t, plugin{}, silent)
}

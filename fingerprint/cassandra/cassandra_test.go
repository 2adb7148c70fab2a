package cassandra

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/record"
)

// response frames a v4 response.
func response(stream uint16, opcode byte, body []byte) string {
	b := frame(stream, opcode, body)
	b[0] = 0x84
	return string(b)
}

// multimap encodes a [string multimap] in the given key order.
func multimap(kv ...[]string) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(len(kv)))
	for _, e := range kv {
		b = appendString(b, e[0])
		b = binary.BigEndian.AppendUint16(b, uint16(len(e)-1))
		for _, v := range e[1:] {
			b = appendString(b, v)
		}
	}
	return b
}

// cassandra41 is the SUPPORTED answer of Cassandra 4.1, as literal bytes.
const cassandra41 = "\x84\x00\x00\x01\x06\x00\x00\x00\x66\x00\x03" +
	"\x00\x11PROTOCOL_VERSIONS\x00\x04\x00\x043/v3\x00\x044/v4\x00\x045/v5\x00\x096/v6-beta" +
	"\x00\x0bCOMPRESSION\x00\x02\x00\x06snappy\x00\x03lz4" +
	"\x00\x0bCQL_VERSION\x00\x01\x00\x053.4.6"

var scylla = response(1, opSupported, multimap(
	[]string{"SCYLLA_SHARD", "0"}, []string{"SCYLLA_NR_SHARDS", "2"},
	[]string{"SCYLLA_PARTITIONER", "org.apache.cassandra.dht.Murmur3Partitioner"},
	[]string{"COMPRESSION", "lz4", "snappy"}, []string{"CQL_VERSION", "3.3.1"}))

// oldServer is the error of a server without protocol v4.
var oldServer = response(0, opError, append([]byte{0, 0, 0, 0x0a},
	appendString(nil, "Invalid or unsupported protocol version (4); the lowest supported version is 1 and the greatest is 3")...))

// rows is the RESULT of Query on Cassandra 4.1.3.
func rows(version string) string {
	b := binary.BigEndian.AppendUint32(nil, kindRows)
	b = binary.BigEndian.AppendUint32(b, flagGlobalTables)
	b = binary.BigEndian.AppendUint32(b, 1)
	b = appendString(appendString(b, "system"), "local")
	b = appendString(b, "release_version")
	b = binary.BigEndian.AppendUint16(b, typeVarchar)
	b = binary.BigEndian.AppendUint32(b, 1)
	b = binary.BigEndian.AppendUint32(b, uint32(len(version)))
	b = append(b, version...)
	return response(3, opResult, b)
}

var others = []string{
	"",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
	"220 mail.example.org ESMTP Exim 4.96\r\n",
	"-ERR unknown command\r\n",
	"\x15\x03\x01\x00\x02\x02\x50",
	cassandra41[:40],
	response(7, opSupported, multimap([]string{"CQL_VERSION", "3.4.6"})),            // another stream
	response(1, opSupported, multimap([]string{"COMPRESSION", "lz4"})),              // no CQL version
	response(1, opReady, nil),                                                       // not SUPPORTED
	response(1, opError, append([]byte{0, 0, 0, 0}, appendString(nil, "hello")...)), // not about the protocol
	response(1, opSupported, append(multimap([]string{"CQL_VERSION", "3.4.6"}), 0)), // trailing byte
	"\x84\x00\x00\x01\x06\x00\x00\x00\x04\x00\x09\x00\x01",                          // count past the end
	"\x04\x00\x00\x01\x05\x00\x00\x00\x00",                                          // a request
}

func TestParseSupported(t *testing.T) {
	tests := []struct {
		in   string
		want *record.Service
	}{
		{cassandra41, &record.Service{Name: "cassandra", ExtraInfo: "CQL 3.4.6; protocols 3/v3,4/v4,5/v5,6/v6-beta", Confidence: 10}},
		{scylla, &record.Service{Name: "cassandra", Product: "ScyllaDB", ExtraInfo: "CQL 3.3.1; shards 2", Confidence: 10}},
		{oldServer, &record.Service{Name: "cassandra", Confidence: 8, ExtraInfo: "error: Invalid or unsupported protocol " +
			"version (4); the lowest supported version is 1 and the greatest is 3"}},
	}
	for _, tt := range tests {
		got, err := ParseSupported([]byte(tt.in))
		if err != nil {
			t.Errorf("ParseSupported(%q): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseSupported(%q) (-want +got):\n%s", tt.in, diff)
		}
		if !frameDone([]byte(tt.in)) || frameDone([]byte(tt.in[:len(tt.in)-1])) {
			t.Errorf("frameDone(%q) does not see where the answer ends", tt.in)
		}
	}
	fptest.NoMatch(t, "ParseSupported", ParseSupported, others...)
}

func TestParseRelease(t *testing.T) {
	if v, err := ParseRelease([]byte(rows("4.1.3"))); v != "4.1.3" || err != nil {
		t.Errorf("ParseRelease = %q, %v", v, err)
	}
	for _, in := range append([]string{rows("<script>"), rows(""), rows("4.1.3")[:30], cassandra41}, others...) {
		if v, err := ParseRelease([]byte(in)); !errors.Is(err, fingerprint.ErrNoMatch) {
			t.Errorf("ParseRelease(%q) = %q, %v; want ErrNoMatch", in, v, err)
		}
	}
}

func TestRequests(t *testing.T) {
	if got, want := string(Options()), "\x04\x00\x00\x01\x05\x00\x00\x00\x00"; got != want {
		t.Errorf("Options() = %q, want %q", got, want)
	}
	want := "\x04\x00\x00\x02\x01\x00\x00\x00\x16\x00\x01\x00\x0bCQL_VERSION\x00\x053.0.0"
	if got := string(Startup("3.0.0")); got != want {
		t.Errorf("Startup() = %q, want %q", got, want)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{cassandra41, scylla, oldServer, rows("4.1.3")} {
		f.Add([]byte(s))
	}
	for _, o := range others {
		f.Add([]byte(o))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "ParseSupported", ParseSupported, b)
		if v, err := ParseRelease(b); (v == "") == (err == nil) {
			t.Fatalf("release %q with error %v", v, err)
		}
		frameDone(b)
	})
}

// server plays Cassandra: OPTIONS, STARTUP and QUERY, each answered in
// two pieces; with auth set, STARTUP asks for credentials.
func server(auth bool) func(net.Conn) {
	return func(c net.Conn) {
		for {
			h := make([]byte, 9)
			if _, err := io.ReadFull(c, h); err != nil || h[0] != version4 {
				return
			}
			body := make([]byte, binary.BigEndian.Uint32(h[5:]))
			if _, err := io.ReadFull(c, body); err != nil {
				return
			}
			var out string
			switch h[4] {
			case opOptions:
				out = cassandra41
			case opStartup:
				out = response(2, opReady, nil)
				if auth {
					out = response(2, opAuthenticate, appendString(nil, "org.apache.cassandra.auth.PasswordAuthenticator"))
				}
			case opQuery:
				out = rows("4.1.3")
			default:
				return
			}
			c.Write([]byte(out[:5]))
			c.Write([]byte(out[5:]))
		}
	}
}

func TestIdentifyLive(t *testing.T) {
	svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, server(false)))
	if svc.Product != "Apache Cassandra" || svc.Version != "4.1.3" || svc.Confidence != 10 ||
		len(svc.CPE) != 1 || svc.CPE[0] != "cpe:2.3:a:apache:cassandra:4.1.3:*:*:*:*:*:*:*" {
		t.Errorf("got %+v", svc)
	}
	svc = fptest.MustMatch(t, plugin{}, fptest.Serve(t, server(true)))
	if svc.Product != "" || svc.Version != "" || svc.ExtraInfo != "CQL 3.4.6; protocols 3/v3,4/v4,5/v5,6/v6-beta; auth: PasswordAuthenticator" {
		t.Errorf("got %+v", svc)
	}
	http := fptest.Serve(t, fptest.Reply([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"), 9))
	fptest.MustNotMatch(t, plugin{}, http)
	silent := fptest.Silent(t)
	fptest.MustNotMatch(t, plugin{}, silent)
}

package clickhouse

import (
	"io"
	"net"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// Answers of ClickHouse 18.16.1 (Debian 12's clickhouse-server, on
// loopback in a namespace) to Hello: the server's Hello (revision
// 54412, time zone Etc/UTC, display name "vm", patch 1), and, for a user
// it does not know, its Exception (code 192), the stack trace cut here
// to its first line.
const (
	hello1816   = "\x00\nClickHouse\x12\x10\x8c\xa9\x03\x07Etc/UTC\x02vm\x01"
	unknownUser = "\x02\xc0\x00\x00\x00\rDB::Exception'DB::Exception: Unknown user ajar-nobody" +
		"\x60" + "0. /lib/x86_64-linux-gnu/libclickhouse.so.18.16(StackTrace::StackTrace()+0x16) [0x7f25787798a6]\n" + "\x00"
)

var others = []string{
	"",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
	"\x15\x03\x01\x00\x02\x02\x50",
	hello1816[:15],
	hello1816 + "\x00",                                // trailing bytes
	"\x00\nClickHouse\x12\x10\x05",                    // a revision no server has
	"\x02\xc0\x00\x00\x00\x09Exception\x02no\x00\x00", // not DB::
	unknownUser[:60],
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", // zeros
	string(Hello()),                                    // an echo
}

func TestParse(t *testing.T) {
	svc, err := Parse([]byte(hello1816))
	if err != nil || svc.Product != "ClickHouse" || svc.Version != "18.16.1" ||
		svc.ExtraInfo != "revision 54412; name vm; time zone Etc/UTC" ||
		svc.CPE[0] != "cpe:2.3:a:clickhouse:clickhouse:18.16.1:*:*:*:*:*:*:*" {
		t.Errorf("hello: %+v, %v", svc, err)
	}
	if svc, err = Parse([]byte(unknownUser)); err != nil || svc.Product != "ClickHouse" || svc.Version != "" ||
		svc.ExtraInfo != "error 192: Unknown user ajar-nobody" {
		t.Errorf("exception: %+v, %v", svc, err)
	}
	for _, in := range []string{hello1816, unknownUser} {
		if !answerDone([]byte(in)) || answerDone([]byte(in[:len(in)-1])) {
			t.Errorf("answerDone(%q) does not see where the answer ends", in)
		}
	}
	fptest.NoMatch(t, "Parse", Parse, others...)
}

func TestHello(t *testing.T) {
	want := "\x00\x04ajar\x01\x00\x81\xa9\x03\x00\x07default\x00"
	if got := string(Hello()); got != want {
		t.Errorf("Hello() = %q, want %q", got, want)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range append([]string{hello1816, unknownUser}, others...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
		answerDone(b)
	})
}

func server(c net.Conn) {
	if _, err := io.ReadFull(c, make([]byte, len(Hello()))); err != nil {
		return
	}
	c.Write([]byte(hello1816[:8]))
	c.Write([]byte(hello1816[8:]))
	io.Copy(io.Discard, c)
}

func TestIdentifyLive(t *testing.T) {
	svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, server))
	if svc.Version != "18.16.1" {
		t.Errorf("got %+v", svc)
	}
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, fptest.Reply([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"), 8)))
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, func(c net.Conn) { io.Copy(c, c) }))
	fptest.MustNotMatch(t, plugin{}, fptest.Silent(t))
}

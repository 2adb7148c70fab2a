package aerospike

import (
	"bytes"
	"io"
	"net"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// ce6 is the answer of an Aerospike 6.4 Community Edition server to
// Request, laid out as the info protocol documents it: header (version
// 2, type 1, length 0x32) and one "name\tvalue" line per name asked.
const ce6 = "\x02\x01\x00\x00\x00\x00\x00\x32" + "build\t6.4.0.2\nedition\tAerospike Community Edition\n"

var others = []string{
	"",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
	"\x15\x03\x01\x00\x02\x02\x50",
	ce6[:20],
	ce6 + "x",
	"\x02\x03\x00\x00\x00\x00\x00\x32" + ce6[8:],                  // a message, not info
	"\x02\x01\x00\x00\x00\x00\x00\x0e" + "build\t6.4.0.2\n",       // edition missing
	"\x02\x01\x00\x00\x00\x00\x00\x14" + "build 6.4\nedition x\n", // no tabs
	"\x02\x01\x00\x00\x00\x00\x00\x27" + "build\t6.4.0.2\nedition\tAerospike\nnode\tA\n", // a name not asked
	string(Request()), // an echo
}

func TestParse(t *testing.T) {
	svc, err := Parse([]byte(ce6))
	if err != nil || svc.Product != "Aerospike Community Edition" || svc.Version != "6.4.0.2" ||
		svc.CPE[0] != "cpe:2.3:a:aerospike:aerospike_server:6.4.0.2:*:*:*:*:*:*:*" {
		t.Errorf("got %+v, %v", svc, err)
	}
	if !answerDone([]byte(ce6)) || answerDone([]byte(ce6[:len(ce6)-1])) {
		t.Error("answerDone does not see where the answer ends")
	}
	fptest.NoMatch(t, "Parse", Parse, others...)
}

func TestRequest(t *testing.T) {
	if got, want := string(Request()), "\x02\x01\x00\x00\x00\x00\x00\x0ebuild\nedition\n"; got != want {
		t.Errorf("Request() = %q, want %q", got, want)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range append([]string{ce6}, others...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
		answerDone(b)
	})
}

func server(c net.Conn) {
	req := Request()
	b := make([]byte, len(req))
	if _, err := io.ReadFull(c, b); err != nil || !bytes.Equal(b, req) {
		return
	}
	c.Write([]byte(ce6[:5]))
	c.Write([]byte(ce6[5:]))
	io.Copy(io.Discard, c)
}

func TestIdentifyLive(t *testing.T) {
	svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, server))
	if svc.Version != "6.4.0.2" {
		t.Errorf("got %+v", svc)
	}
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, fptest.Reply([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"), 8)))
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, func(c net.Conn) { io.Copy(c, c) }))
	fptest.MustNotMatch(t, plugin{}, fptest.Silent(t))
}

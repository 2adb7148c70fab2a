package ignite

import (
	"io"
	"net"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// Refusals of Handshake laid out as the Binary Client Protocol documents
// them: an Ignite 2.x node speaking protocol 1.7.0, with "Unsupported
// version." (the text Ignite's own clients report, IGNITE-12415), without
// and with the error code newer nodes add.
const (
	refused   = " \x00\x00\x00\x00\x01\x00\x07\x00\x00\x00\t\x14\x00\x00\x00Unsupported version."
	refusedEC = "$\x00\x00\x00\x00\x01\x00\x07\x00\x00\x00\t\x14\x00\x00\x00Unsupported version.\xe9\x03\x00\x00"
)

var others = []string{
	"",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
	"\x15\x03\x01\x00\x02\x02\x50",
	refused[:20],
	refused + "x",
	"\x01\x00\x00\x00\x01", // success: no node says yes to 9.9.9
	"\x0c\x00\x00\x00\x00\x01\x00\x07\x00\x00\x00\t\x00\x00\x00\x00",          // an empty message
	"\x08\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x65",                        // a null message
	"\x0c\x00\x00\x00\x00\x09\x00\x09\x00\x09\x00\t\x01\x00\x00\x00x",         // our own version
	"\x10\x00\x00\x00\x00\x01\x00\x07\x00\x00\x00\t\x01\x00\x00\x00x\x00\x00", // bytes after the message
	string(Handshake()), // an echo
}

func TestParse(t *testing.T) {
	for _, in := range []string{refused, refusedEC} {
		svc, err := Parse([]byte(in))
		if err != nil || svc.Product != "Apache Ignite" || svc.ExtraInfo != "thin client protocol 1.7.0; Unsupported version." {
			t.Errorf("Parse(%q) = %+v, %v", in, svc, err)
		}
	}
	fptest.NoMatch(t, "Parse", Parse, others...)
	if got, want := string(Handshake()), "\x08\x00\x00\x00\x01\x09\x00\x09\x00\x09\x00\x02"; got != want {
		t.Errorf("Handshake() = %q, want %q", got, want)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range append([]string{refused, refusedEC}, others...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
		messageDone(b)
	})
}

func server(c net.Conn) {
	if _, err := io.ReadFull(c, make([]byte, len(Handshake()))); err != nil {
		return
	}
	c.Write([]byte(refusedEC[:9]))
	c.Write([]byte(refusedEC[9:]))
	io.Copy(io.Discard, c)
}

func TestIdentifyLive(t *testing.T) {
	svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, server))
	if svc.ExtraInfo != "thin client protocol 1.7.0; Unsupported version." {
		t.Errorf("got %+v", svc)
	}
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, fptest.Reply([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"), 8)))
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, func(c net.Conn) { io.Copy(c, c) }))
	fptest.MustNotMatch(t, plugin{}, fptest.Silent(t))
}

package chargen

import (
	"net"
	"strings"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// stream is what a chargen server sends first (RFC 864's example
// pattern): n lines, starting at character first.
func stream(first, n int) string {
	const printable = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"
	var b strings.Builder
	for i := range n {
		for j := range lineLen {
			b.WriteByte(printable[(first+i+j)%95])
		}
		b.WriteString("\r\n")
	}
	return b.String()
}

var others = []string{
	"",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
	"220 ready\r\n",
	stream(0, 1),                     // one line only
	stream(0, 2)[:74] + stream(5, 2), // lines out of order
	strings.Repeat("x", 72) + "\r\n" + strings.Repeat("x", 72) + "\r\n",
}

func TestParse(t *testing.T) {
	for _, in := range []string{stream(0, 13), stream(90, 5), stream(3, 3)[40:], stream(0, 4)[:250]} {
		if svc := fptest.CheckParse(t, "Parse", Parse, []byte(in)); svc == nil || svc.Name != "chargen" {
			t.Errorf("Parse(%q) = %+v", in, svc)
		}
	}
	fptest.NoMatch(t, "Parse", Parse, others...)
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(stream(0, 3)))
	for _, o := range others {
		f.Add([]byte(o))
	}
	f.Fuzz(func(t *testing.T, b []byte) { fptest.CheckParse(t, "Parse", Parse, b) })
}

func TestIdentifyLive(t *testing.T) {
	addr := fptest.Serve(t, func(c net.Conn) {
		for i := 0; i < 1000; i++ {
			if _, err := c.Write([]byte(stream(i, 1))); err != nil {
				return
			}
		}
	})
	fptest.MustMatch(t, plugin{}, addr)
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, fptest.Reply([]byte(others[3]), 0)))
}

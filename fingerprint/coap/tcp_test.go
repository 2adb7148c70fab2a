package coap

import (
	"io"
	"net"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// tcp431 is libcoap 4.3.1's coap-server (Debian 12) answer over TCP to
// TCPRequest: its CSM (Max-Message-Size and Block-wise-Transfer), then
// the root resource, cut short here.
const tcp431 = "P\xe1#\x80\x01\x00 \xd2\x05Eaj\xd3\x01\x02\xff\xff\xffThis libcoap"

func TestParseTCP(t *testing.T) {
	svc := fptest.CheckParse(t, "ParseTCP", ParseTCP, []byte(tcp431))
	if svc.Product != "libcoap" {
		t.Errorf("got %+v", svc)
	}
	if svc := fptest.CheckParse(t, "ParseTCP", ParseTCP, []byte("\x10\xe1\x20")); svc.Product != "" {
		t.Errorf("got %+v", svc)
	}
	fptest.NoMatch(t, "ParseTCP", ParseTCP, string(TCPRequest), string(TCPRequest[2:]), "\x00\x45", "P\xe1#\x80", "HTTP/1.1 400 Bad Request\r\n",
		"\x01\xe1")
	fptest.MustMatch(t, tcpPlugin{}, fptest.Serve(t, fptest.Reply([]byte(tcp431), len(TCPRequest))))
	fptest.MustNotMatch(t, tcpPlugin{}, fptest.Serve(t, fptest.Reply([]byte("SSH-2.0-x\r\n"), len(TCPRequest))))
	// libcoap greets with its CSM before the client writes.
	greets := func(c net.Conn) {
		c.Write([]byte(tcp431[:8]))
		buf := make([]byte, len(TCPRequest))
		if _, err := io.ReadFull(c, buf); err == nil {
			c.Write([]byte(tcp431[8:]))
		}
	}
	fptest.MustMatch(t, tcpPlugin{}, fptest.Serve(t, greets))
}

func FuzzParseTCP(f *testing.F) {
	f.Add([]byte(tcp431))
	f.Fuzz(func(t *testing.T, b []byte) { ParseTCP(b) })
}

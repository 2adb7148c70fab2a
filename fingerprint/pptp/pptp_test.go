package pptp

import (
	"encoding/hex"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// reply140 is pptpd 1.4.0's (Debian 12) SCCRP: result 1, firmware 1,
// host "local", vendor "linux".
var reply140, _ = hex.DecodeString("009c00011a2b3c4d00020000010001000000000000000000000100016c6f63616c" +
	strings.Repeat("00", 59) + "6c696e7578" + strings.Repeat("00", 59))

func TestParse(t *testing.T) {
	if len(Request()) != msgLen {
		t.Fatalf("request of %d bytes", len(Request()))
	}
	svc := fptest.CheckParse(t, "Parse", Parse, reply140)
	if svc.ExtraInfo != "result 1; firmware 1; host local; vendor linux" {
		t.Errorf("got %+v", svc)
	}
	fptest.NoMatch(t, "Parse", Parse, string(Request()), string(reply140[:100]), "HTTP/1.1 400 Bad Request\r\n")
}

func TestIdentify(t *testing.T) {
	fptest.MustMatch(t, plugin{}, fptest.Serve(t, fptest.Reply(reply140, msgLen)))
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, func(c net.Conn) { io.Copy(c, c) }))
}

func FuzzParse(f *testing.F) {
	f.Add(reply140)
	f.Fuzz(func(t *testing.T, b []byte) { Parse(b) })
}

package echo

import (
	"io"
	"net"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

var others = []string{
	"",
	"ajar echo probe 7f3a\n",
	"AJAR ECHO PROBE 7F3A\r\n",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
	"ajar echo probe 7f3a\r\najar echo probe 7f3a\r\n",
}

func TestParse(t *testing.T) {
	if svc := fptest.CheckParse(t, "Parse", Parse, Probe); svc == nil || svc.Name != "echo" {
		t.Errorf("Parse(Probe) = %+v", svc)
	}
	fptest.NoMatch(t, "Parse", Parse, others...)
}

func FuzzParse(f *testing.F) {
	f.Add(Probe)
	for _, o := range others {
		f.Add([]byte(o))
	}
	f.Fuzz(func(t *testing.T, b []byte) { fptest.CheckParse(t, "Parse", Parse, b) })
}

func TestIdentifyLive(t *testing.T) {
	echo := fptest.Serve(t, func(c net.Conn) { io.Copy(c, c) })
	fptest.MustMatch(t, plugin{}, echo)
	// A service that greets, then echoes, is something else.
	greets := fptest.Serve(t, func(c net.Conn) { c.Write([]byte("220 ready\r\n")); io.Copy(c, c) })
	fptest.MustNotMatch(t, plugin{}, greets)
	fptest.MustNotMatch(t, plugin{}, fptest.HangUp(t))
}

package openvpntcp

import (
	"encoding/hex"
	"io"
	"net"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// server2614 is what OpenVPN 2.6.14 (Debian 12), as a TLS server over
// TCP without tls-auth, answered to Request: its hard reset acknowledging
// packet 0 of our session "ajar-ovp", sent twice (a retransmission, as we
// never acknowledged it).
const server2614 = "001a40d306516420ab51540100000000616a61722d6f767000000000" +
	"001a40d306516420ab51540100000000616a61722d6f767000000000"

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParse(t *testing.T) {
	svc := fptest.CheckParse(t, "Parse", Parse, unhex(t, server2614))
	if svc == nil || svc.Name != "openvpn" || svc.ExtraInfo != "no tls-auth" {
		t.Errorf("got %+v", svc)
	}
	one := unhex(t, server2614)[:28]
	if _, err := Parse(one); err != nil {
		t.Errorf("one packet: %v", err)
	}
	otherSession := append([]byte(nil), one...)
	otherSession[16] = 'x'
	fptest.NoMatch(t, "Parse", Parse, "", string(Request()), string(one[:27]), string(otherSession),
		"\x00\x00", "HTTP/1.1 400 Bad Request\r\n\r\n")
}

func FuzzParse(f *testing.F) {
	f.Add(unhex(f, server2614))
	f.Add(Request())
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
		whole(b)
	})
}

func TestIdentifyLive(t *testing.T) {
	fptest.MustMatch(t, plugin{}, fptest.Serve(t, fptest.Reply(unhex(t, server2614), len(Request()))))
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, func(c net.Conn) { io.Copy(c, c) }))
	fptest.MustNotMatch(t, plugin{}, fptest.HangUp(t))
}

package mumble

import (
	"encoding/hex"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// version134 is Murmur 1.3.4's (Debian 12) first message inside TLS.
var version134 = "\x00\x00\x00\x00\x00\x32\x08\x84\x86\x04\x12\x071.3.4-4\x1a\x03X11\x22\x1eDebian GNU/Linux 12 (bookworm)"

// ping134 is its answer to a ping with the identifier "ajarping".
var ping134, _ = hex.DecodeString("00010304616a617270696e6700000000000003e800011940")

func TestParse(t *testing.T) {
	svc := fptest.CheckParse(t, "ParseVersion", ParseVersion, []byte(version134))
	if svc.Version != "1.3.4" || svc.ExtraInfo != "1.3.4-4 X11" {
		t.Errorf("got %+v", svc)
	}
	svc = fptest.CheckParse(t, "ParsePing", ParsePing, ping134)
	if svc.Version != "1.3.4" || svc.ExtraInfo != "users 0/1000" {
		t.Errorf("got %+v", svc)
	}
	fptest.NoMatch(t, "ParseVersion", ParseVersion, version134[:20], "\x00\x01"+version134[2:],
		"\x00\x00\x00\x00\x00\x02\x7a\x00", "HTTP/1.1 400")
	fptest.NoMatch(t, "ParsePing", ParsePing, string(ping134[:20]), string(Ping), string(Ping)+string(make([]byte, 12)))
}

func TestIdentifyUDP(t *testing.T) {
	addr := fptest.ServeUDP(t, func(b []byte) []byte {
		if string(b) == string(Ping) {
			return ping134
		}
		return nil
	})
	fptest.MustMatch(t, fptest.UDPPlugin(t, name), addr)
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(version134))
	f.Add(ping134)
	f.Fuzz(func(t *testing.T, b []byte) { ParseVersion(b); ParsePing(b) })
}

package coap

import (
	"encoding/hex"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// root431 is libcoap 4.3.1's coap-server (Debian 12) answer to Request
// (its options: Content-Format 0, Max-Age 0x02ffff).
var root431, _ = hex.DecodeString("6245616a616ad30102ffffff546869732069732061207465737420736572766572206d6164652077" +
	"697468206c6962636f617020287365652068747470733a2f2f6c6962636f61702e6e6574290a")

func TestParse(t *testing.T) {
	if got := hex.EncodeToString(Request); got != "4201616a616a" {
		t.Errorf("request %s", got)
	}
	svc := fptest.CheckParse(t, "Parse", Parse, root431)
	if svc.Product != "libcoap" || svc.ExtraInfo != "2.05" {
		t.Errorf("got %+v", svc)
	}
	notFound := []byte{0x62, 0x84, 0x61, 0x6a, 'a', 'j'}
	if svc := fptest.CheckParse(t, "Parse", Parse, notFound); svc.ExtraInfo != "4.04" {
		t.Errorf("got %+v", svc)
	}
	if svc := fptest.CheckParse(t, "Parse", Parse, []byte{0x70, 0, 0x61, 0x6a}); svc.ExtraInfo != "reset" {
		t.Errorf("got %+v", svc)
	}
	fptest.NoMatch(t, "Parse", Parse, string(Request), "\x62\x45\x61\x6b\x61\x6a", "\x62\x45\x61\x6a\x61\x6b",
		"\x62\x01\x61\x6a\x61\x6a", "\xa2\x45\x61\x6a\x61\x6a", "\x61\x6a")
}

func TestIdentify(t *testing.T) {
	p := fptest.UDPPlugin(t, name)
	fptest.MustMatch(t, p, fptest.ServeUDP(t, func([]byte) []byte { return root431 }))
	fptest.MustNotMatch(t, p, fptest.ServeUDP(t, func(b []byte) []byte { return b }))
}

func FuzzParse(f *testing.F) {
	f.Add(root431)
	f.Fuzz(func(t *testing.T, b []byte) { Parse(b) })
}

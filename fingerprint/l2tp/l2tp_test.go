package l2tp

import (
	"encoding/hex"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// sccrp1318 is xl2tpd 1.3.18's (Debian 12) SCCRP to Request.
var sccrp1318, _ = hex.DecodeString("c8020069616a00000000000180080000000000028008000000020100800a000000030000000380" +
	"0a00000004000000000008000000060690800e000000077a6f6f2e7465737400130000000878656c6572616e63652e636f6d80080000" +
	"00098ee980080000000a0004")

func TestParse(t *testing.T) {
	if got := hex.EncodeToString(Request()); got != "c8020038000000000000000080080000000000018008000000020100800a00000003"+
		"00000003800a00000007616a6172800800000009616a" {
		t.Errorf("request %s", got)
	}
	svc := fptest.CheckParse(t, "Parse", Parse, sccrp1318)
	if svc.Product != "xl2tpd" || svc.ExtraInfo != "host zoo.test; firmware 0x0690" {
		t.Errorf("got %+v", svc)
	}
	bad := append([]byte{}, sccrp1318...)
	bad[5] ^= 1 // another tunnel
	// xl2tpd's ZLB acknowledgement of an SCCRQ it had answered already.
	if svc := fptest.CheckParse(t, "Parse", Parse, []byte("\xc8\x02\x00\x0c\x61\x6a\x00\x00\x00\x00\x00\x01")); svc.ExtraInfo != "ZLB acknowledgement" {
		t.Errorf("got %+v", svc)
	}
	fptest.NoMatch(t, "Parse", Parse, string(Request()), string(sccrp1318[:40]), string(bad),
		"\xc8\x02\x00\x0c\x61\x6b\x00\x00\x00\x00\x00\x01", "\xc8\x02\x00\x0c\x61\x6a\x00\x01\x00\x00\x00\x01")
}

func TestIdentify(t *testing.T) {
	p := fptest.UDPPlugin(t, name)
	fptest.MustMatch(t, p, fptest.ServeUDP(t, func([]byte) []byte { return sccrp1318 }))
	fptest.MustNotMatch(t, p, fptest.ServeUDP(t, func(b []byte) []byte { return b }))
}

func FuzzParse(f *testing.F) {
	f.Add(sccrp1318)
	f.Fuzz(func(t *testing.T, b []byte) { Parse(b) })
}

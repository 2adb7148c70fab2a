package discover

import (
	"net/netip"
	"testing"

	"github.com/ajarsec/ajar/record"
)

// Replies come from the network: every decoder must take any bytes
// without panicking, and whatever it accepts must name a valid host and
// a reason.

var seeds4 = []string{
	"45000024000000004001f6d0c0000207c000020100000e9012340001d0bbe500ed613c1c",
	"45000024000000004001f6d0c0000207c000020100000e8f12350001d0bbe500ed613c1c",
	"45000024000000004001f6cfc0000208c000020100000e9012340001d0bbe500ed613c1c",
	"45000024000000004001f6d0c0000207c000020100000e9012340001d0bbe500ed613c1d",
	"45000028000000004001f6ccc0000207c00002010e00e6af1234ed61000003e8000003e9000003e9",
	"450000400000000040018e87c6336401c00002010301fcfe0000000045000024000000004001f6d0c0000201c00002070800069012340001d0bbe500ed613c1c",
	"45000038000000004001f6bcc0000207c0000201030335830000000045000028000000004006f6c7c0000201c00002079c4001bbed613c1c",
	"450000380000000040018e8fc6336401c0000201030135840000000045000028000000004006f6c7c0000201c00002079c4101bbed613c1c",
	"45000028000000004006f6c7c0000207c000020101bb9c4011111111ed613c1d501204003e2d0000",
	"45000028000000004006f6c7c0000207c000020101bb9c4000000000ed613c1d50140400604d0000",
	"45000028000000004006f6c7c0000207c000020100509c40d0bbe5000000000050040400d58a0000",
	"45000028000000004006f6c7c0000207c000020101bb9c4011111111ed613c1c501204003e2e0000",
	"45000028000000004006f6c7c0000207c000020101bb9c4111111111ed613c1d501204003e2c0000",
	"45000028000000004006f6c7c0000207c000020101bb9c4011111111ed613c1d501204003e2d0001",
}

func checkAnswer(t *testing.T, a answer, err error) {
	t.Helper()
	if err != nil {
		return
	}
	if !a.host.IsValid() || a.reason == "" {
		t.Fatalf("accepted an answer without host or reason: %+v", a)
	}
	if !a.icmpErr && a.from != a.host {
		t.Fatalf("a reply not from the host it answers for: %+v", a)
	}
}

func FuzzDecodeIPv4(f *testing.F) {
	for _, s := range seeds4 {
		f.Add(unhex(f, s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		k := testKeys
		a, err := k.decodeICMP4(b)
		checkAnswer(t, a, err)
		a, err = k.decodeTCP4(b)
		checkAnswer(t, a, err)
		if err == nil && a.reason != record.ReasonSynAck && a.reason != record.ReasonReset {
			t.Fatalf("TCP answer with reason %q", a.reason)
		}
	})
}

func FuzzDecodeICMP6(f *testing.F) {
	for _, s := range []string{
		"810000001234 0001 b73140f682f148b2",
		"880000006000000020010db80000000000000000000000070201020000000007",
		"010300000000000060000000 00103a4020010db800000000000000000000000120010db80000000000000000000000078000000012340001b73140f682f148b2",
	} {
		f.Add(unhex(f, s))
	}
	from := netip.MustParseAddr("2001:db8::7")
	f.Fuzz(func(t *testing.T, b []byte) {
		k := testKeys
		a, err := k.decodeICMP6(from, b)
		if err == nil && a.reason == record.ReasonNDAdvert {
			a.from = a.host // an advertisement may come from a link-local address
		}
		checkAnswer(t, a, err)
		a, err = k.decodeTCP(from, b)
		checkAnswer(t, a, err)
		a, err = k.decodePing(from, b)
		checkAnswer(t, a, err)
	})
}

func FuzzDecodeARP(f *testing.F) {
	f.Add(unhex(f, "0001 0800 06 04 0002 020000000007 c0000207 020000000001 c0000201"))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := decodeARP(b)
		checkAnswer(t, a, err)
		if err == nil && a.mac != record.MAC(b[8:14]) {
			t.Fatalf("record.MAC %v from %x", a.mac, b)
		}
	})
}

func FuzzParseRouteReply(f *testing.F) {
	f.Add(routeMsg(24, 1, append([]byte{2, 32, 0, 0, 254, 0, 0, 1, 0, 0, 0, 0}, rtAttr(4, []byte{3, 0, 0, 0})...)))
	f.Add(routeMsg(2, 1, []byte{0x9b, 0xff, 0xff, 0xff}))
	f.Fuzz(func(t *testing.T, b []byte) {
		rt, _, err := parseRouteReply(b)
		if err == nil && rt.ifindex < 0 {
			t.Fatalf("negative interface index from %x", b)
		}
	})
}

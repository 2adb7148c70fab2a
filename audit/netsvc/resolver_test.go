package netsvc

import (
	"encoding/binary"
	"net/netip"
	"testing"
)

func TestReverseName(t *testing.T) {
	for in, want := range map[string]string{
		"10.20.30.2":         "2.30.20.10.in-addr.arpa.",
		"::ffff:10.0.0.1":    "1.0.0.10.in-addr.arpa.",
		"2001:db8::567:89ab": "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.",
	} {
		if got := ReverseName(netip.MustParseAddr(in)); got != want {
			t.Errorf("ReverseName(%s) = %s, want %s", in, got, want)
		}
	}
	q := PTRQuery(0x1234, "2.0.0.10.in-addr.arpa.")
	want := "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x012\x010\x010\x0210\x07in-addr\x04arpa\x00\x00\x0c\x00\x01"
	if string(q) != want {
		t.Errorf("PTRQuery = %q, want %q", q, want)
	}
}

// response makes a response to PTRQuery(id, name) with the given flags,
// rcode and PTR answers (each pointing at the question's name).
func response(id uint16, name string, flags uint16, answers ...string) []byte {
	b := PTRQuery(id, name)
	binary.BigEndian.PutUint16(b[2:], flags)
	binary.BigEndian.PutUint16(b[6:], uint16(len(answers)))
	for _, a := range answers {
		b = append(b, 0xc0, 12, 0, 12, 0, 1, 0, 0, 1, 44)
		var rdata []byte
		for _, l := range []string{a, "zoo", "test"} {
			rdata = append(append(rdata, byte(len(l))), l...)
		}
		rdata = append(rdata, 0)
		b = binary.BigEndian.AppendUint16(b, uint16(len(rdata)))
		b = append(b, rdata...)
	}
	return b
}

func TestJudgeRecursion(t *testing.T) {
	const name = "2.0.0.10.in-addr.arpa."
	const qr, rd, ra, aa = 0x8000, 0x0100, 0x0080, 0x0400
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		// Unbound 1.17 with access-control allow, the zone a stub to NSD.
		{"recursed", response(7, name, qr|rd|ra, "audit"), "dns-open-resolver/high confirmed"},
		{"name error learnt", response(7, name, qr|rd|ra|3), "dns-open-resolver/high likely"},
		// Unbound's access-control refuse: REFUSED.
		{"refused", response(7, name, qr|rd|ra|5), "n/a"},
		// NSD, authoritative for the zone: AA, no RA.
		{"authoritative", response(7, name, qr|rd|aa, "audit"), "n/a"},
		// Authoritative and recursive (old BIND): nothing shows recursion.
		{"aa and ra", response(7, name, qr|rd|ra|aa, "audit"), "n/a"},
		// Unbound's own local zone for private reverse names: AA, NXDOMAIN.
		{"local zone", response(7, name, qr|rd|ra|aa|3), "n/a"},
		{"servfail", response(7, name, qr|rd|ra|2), "n/a"},
		{"no answer", response(7, name, qr|rd|ra), "n/a"},
		{"another id", response(8, name, qr|rd|ra, "audit"), "n/a"},
		{"our query back", PTRQuery(7, name), "n/a"},
		{"cut short", response(7, name, qr|rd|ra, "audit")[:40], "n/a"},
	} {
		if got := judged(JudgeRecursion(tc.b, 7, name)); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

func FuzzJudgeRecursion(f *testing.F) {
	f.Add(response(7, "1.0.0.10.in-addr.arpa.", 0x8180, "a", "b"))
	f.Fuzz(func(t *testing.T, b []byte) {
		JudgeRecursion(b, 7, "1.0.0.10.in-addr.arpa.")
	})
}

package syn

import (
	"net/netip"
	"testing"
)

// TestSipHash checks SipHash-2-4 against the reference vectors of its
// authors: key 00 01 .. 0f, messages 00 01 .. (n-1) for n bytes.
func TestSipHash(t *testing.T) {
	vectors := map[int]uint64{
		0:  0x726fdb47dd0e0e31,
		1:  0x74f839c593dc67fd,
		7:  0xab0200f58b01d137,
		8:  0x93f5f5799a932462,
		15: 0xa129ca6149be45e5,
		16: 0x3f2acc7f57c29bdb,
		36: 0x314dffbe0815a3b4,
		63: 0x958a324ceb064572,
	}
	const k0, k1 = 0x0706050403020100, 0x0f0e0d0c0b0a0908
	var msg [64]byte
	for i := range msg {
		msg[i] = byte(i)
	}
	for n, want := range vectors {
		if got := sipHash24(k0, k1, msg[:n]); got != want {
			t.Errorf("%d bytes: %#x, want %#x", n, got, want)
		}
	}
}

// TestCookie checks that every part of the four-tuple, and the key, changes
// the sequence number.
func TestCookie(t *testing.T) {
	k := cookieKey{1, 2}
	local, remote := netip.MustParseAddrPort("192.0.2.1:61000"), netip.MustParseAddrPort("192.0.2.2:80")
	base := k.seq(local, remote)
	if k.seq(local, remote) != base {
		t.Fatal("the cookie is not a function of its inputs")
	}
	mapped := netip.AddrPortFrom(netip.AddrFrom16(local.Addr().As16()), local.Port())
	if k.seq(mapped, remote) != base {
		t.Error("an IPv4-mapped address hashes apart from its IPv4 form")
	}
	others := []struct {
		name string
		seq  uint32
	}{
		{"key", cookieKey{1, 3}.seq(local, remote)},
		{"local address", k.seq(netip.MustParseAddrPort("192.0.2.3:61000"), remote)},
		{"local port", k.seq(netip.MustParseAddrPort("192.0.2.1:61001"), remote)},
		{"remote address", k.seq(local, netip.MustParseAddrPort("192.0.2.4:80"))},
		{"remote port", k.seq(local, netip.MustParseAddrPort("192.0.2.2:81"))},
		{"swapped", k.seq(remote, local)},
	}
	for _, o := range others {
		if o.seq == base {
			t.Errorf("another %s, the same sequence number %#x", o.name, base)
		}
	}
}

func BenchmarkCookie(b *testing.B) {
	b.ReportAllocs()
	k := cookieKey{1, 2}
	local, remote := netip.MustParseAddrPort("[2001:db8::1]:61000"), netip.MustParseAddrPort("[2001:db8::2]:80")
	var sink uint32
	for b.Loop() {
		sink += k.seq(local, remote)
	}
	_ = sink
}

package discover

import (
	"net/netip"
	"testing"
)

// The receive path runs once per packet read: it must not allocate.
func BenchmarkDecodeTCP4(b *testing.B) {
	pkt := unhex(b, "45000028000000004006f6c7c0000207c0000201 01bb9c4011111111ed613c1d501204003e2d0000")
	k := testKeys
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.decodeTCP4(pkt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeICMP4(b *testing.B) {
	pkt := unhex(b, "45000024000000004001f6d0c0000207c0000201 00000e9012340001d0bbe500ed613c1c")
	k := testKeys
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.decodeICMP4(pkt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBuildSYN(b *testing.B) {
	src, dst := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.7")
	k := testKeys
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf = appendTCP(buf[:0], src, dst, k.sport, synPort, k.synSeq(dst), 0, tcpSYN)
	}
}

package syn

import (
	"encoding/binary"
	"math/bits"
	"net/netip"
)

// cookieKey is the secret of one scan. A SYN's sequence number is a keyed
// hash of its four-tuple, so a reply proves itself: a SYN-ACK or a reset
// is ours only if it acknowledges hash+1, and an ICMP error only if it
// quotes the hash. No state is kept per probe to check it, and no one who
// does not see our SYNs can forge an answer to them.
type cookieKey struct{ k0, k1 uint64 }

// seq is the sequence number of the SYN from local to remote. IPv4
// addresses are hashed in their IPv4-mapped IPv6 form; zones are ignored.
func (k cookieKey) seq(local, remote netip.AddrPort) uint32 {
	var b [36]byte
	l, r := local.Addr().As16(), remote.Addr().As16()
	copy(b[0:16], l[:])
	copy(b[16:32], r[:])
	binary.BigEndian.PutUint16(b[32:], local.Port())
	binary.BigEndian.PutUint16(b[34:], remote.Port())
	return uint32(sipHash24(k.k0, k.k1, b[:]))
}

// sipHash24 is SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast
// short-input PRF", 2012): a 64-bit keyed hash of p under the 128-bit key
// (k0, k1), each half read little-endian.
func sipHash24(k0, k1 uint64, p []byte) uint64 {
	v0 := k0 ^ 0x736f6d6570736575
	v1 := k1 ^ 0x646f72616e646f6d
	v2 := k0 ^ 0x6c7967656e657261
	v3 := k1 ^ 0x7465646279746573
	round := func() {
		v0 += v1
		v1 = bits.RotateLeft64(v1, 13)
		v1 ^= v0
		v0 = bits.RotateLeft64(v0, 32)
		v2 += v3
		v3 = bits.RotateLeft64(v3, 16)
		v3 ^= v2
		v0 += v3
		v3 = bits.RotateLeft64(v3, 21)
		v3 ^= v0
		v2 += v1
		v1 = bits.RotateLeft64(v1, 17)
		v1 ^= v2
		v2 = bits.RotateLeft64(v2, 32)
	}
	n := len(p)
	for len(p) >= 8 {
		m := binary.LittleEndian.Uint64(p)
		v3 ^= m
		round()
		round()
		v0 ^= m
		p = p[8:]
	}
	// The last block: the remaining bytes, and the length's low byte on top.
	m := uint64(n) << 56
	for i := len(p) - 1; i >= 0; i-- {
		m |= uint64(p[i]) << (8 * i)
	}
	v3 ^= m
	round()
	round()
	v0 ^= m
	v2 ^= 0xff
	round()
	round()
	round()
	round()
	return v0 ^ v1 ^ v2 ^ v3
}

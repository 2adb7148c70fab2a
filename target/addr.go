package target

import (
	"encoding/binary"
	"math"
	"math/bits"
	"net/netip"
	"strconv"
)

// u128 is an address as a 128-bit big-endian number (IPv4 in its
// ::ffff:a.b.c.d form), for arithmetic netip.Addr does not offer.
type u128 struct{ hi, lo uint64 }

func toU128(a netip.Addr) u128 {
	b := a.As16()
	return u128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

func (u u128) addr(is4 bool) netip.Addr {
	if is4 {
		return netip.AddrFrom4([4]byte{byte(u.lo >> 24), byte(u.lo >> 16), byte(u.lo >> 8), byte(u.lo)})
	}
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], u.hi)
	binary.BigEndian.PutUint64(b[8:], u.lo)
	return netip.AddrFrom16(b)
}

func (u u128) sub(v u128) u128 {
	lo, borrow := bits.Sub64(u.lo, v.lo, 0)
	hi, _ := bits.Sub64(u.hi, v.hi, borrow)
	return u128{hi, lo}
}

func (u u128) add64(n uint64) u128 {
	lo, carry := bits.Add64(u.lo, n, 0)
	return u128{u.hi + carry, lo}
}

// Range is an inclusive run of addresses of one family, From <= To, without
// zones. Ranges are what a Set is made of.
type Range struct {
	From, To netip.Addr
}

// IsValid reports whether r is a well-formed range: both ends valid, of the
// same family, without zones, and From <= To.
func (r Range) IsValid() bool {
	return r.From.IsValid() && r.To.IsValid() &&
		r.From.Is4() == r.To.Is4() &&
		r.From.Zone() == "" && r.To.Zone() == "" &&
		r.From.Compare(r.To) <= 0
}

// Len reports how many addresses r holds. It saturates at math.MaxUint64,
// which only an IPv6 range of 2^64 or more addresses reaches.
func (r Range) Len() uint64 {
	d := toU128(r.To).sub(toU128(r.From))
	if d.hi != 0 || d.lo == math.MaxUint64 {
		return math.MaxUint64
	}
	return d.lo + 1
}

// Contains reports whether a lies within r.
func (r Range) Contains(a netip.Addr) bool {
	return r.From.Compare(a) <= 0 && a.Compare(r.To) <= 0
}

// at returns the address off places after From; off must be below r.Len().
func (r Range) at(off uint64) netip.Addr {
	if r.From.Is4() {
		b := r.From.As4()
		v := binary.BigEndian.Uint32(b[:]) + uint32(off)
		return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	}
	return toU128(r.From).add64(off).addr(false)
}

// prefix reports whether r is exactly one CIDR prefix, and which.
func (r Range) prefix() (netip.Prefix, bool) {
	d := toU128(r.To).sub(toU128(r.From))
	// d must be a run of low one bits (the host part), and From must have
	// none of those bits set (aligned on the prefix).
	lowMask := func(x uint64) bool { return x&(x+1) == 0 }
	if d.hi != 0 && (d.lo != math.MaxUint64 || !lowMask(d.hi)) || d.hi == 0 && !lowMask(d.lo) {
		return netip.Prefix{}, false
	}
	f := toU128(r.From)
	if f.hi&d.hi != 0 || f.lo&d.lo != 0 {
		return netip.Prefix{}, false
	}
	host := bits.OnesCount64(d.hi) + bits.OnesCount64(d.lo)
	return netip.PrefixFrom(r.From, r.From.BitLen()-host), true
}

// String gives the shortest target syntax for r: one address
// ("10.0.0.1"), a prefix of four addresses or more ("10.0.0.0/24") or a
// range ("10.0.0.1-20", "2001:db8::1-2001:db8::5"). ParseSpec of the result covers the same
// addresses.
func (r Range) String() string {
	if !r.IsValid() {
		return "invalid range"
	}
	if r.From == r.To {
		return r.From.String()
	}
	if p, ok := r.prefix(); ok && r.From.BitLen()-p.Bits() >= 2 {
		return p.String()
	}
	return rangeString(r.From, r.To)
}

// rangeString writes a range in range syntax, with the short last-octet
// form when both ends of an IPv4 range share their first three octets.
func rangeString(from, to netip.Addr) string {
	if from.Is4() {
		f, t := from.As4(), to.As4()
		if f[0] == t[0] && f[1] == t[1] && f[2] == t[2] {
			return from.String() + "-" + strconv.Itoa(int(t[3]))
		}
	}
	return from.String() + "-" + to.String()
}

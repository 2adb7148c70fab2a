package target

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/netip"
	"slices"
	"strings"
)

// Set is a set of addresses held as sorted, disjoint, non-adjacent ranges,
// IPv4 before IPv6, each address numbered from 0 to Len()-1 in that order.
// It is never expanded: 10.0.0.0/8 is one range. It remembers the hostname
// each resolved address came from, and the zone of each link-local address
// given with one (fe80::1%eth0): its ranges hold addresses without zones,
// and At gives the address back with its zone. A Set is immutable and safe
// for concurrent use; the zero Set is empty.
type Set struct {
	rs    []Range
	cum   []uint64 // cum[i]: addresses in rs[:i+1], saturating
	names map[netip.Addr]string
	zones map[netip.Addr]string // by address without zone
}

// MaxLen is the most addresses ajar will scan: 2^47, an IPv6 /81. With it,
// hosts × ports fits in a uint64 even for every TCP and UDP port. Sets may
// hold more (an --exclude of 2001:db8::/32 is fine); CheckLen says whether
// a set is small enough to scan.
const MaxLen uint64 = 1 << 47

// ErrTooMany is what CheckLen wraps when a set holds more than MaxLen.
var ErrTooMany = errors.New("too many targets")

// SetOf builds a set from any ranges, which may overlap and come in any
// order. It panics if a range is not valid (see Range.IsValid).
func SetOf(rs ...Range) Set {
	for _, r := range rs {
		if !r.IsValid() {
			panic(fmt.Sprintf("target.SetOf: invalid range %v-%v", r.From, r.To))
		}
	}
	return newSet(normalize(slices.Clone(rs)), nil, nil)
}

// normalize sorts valid ranges and merges overlapping and adjacent ones,
// in place.
func normalize(rs []Range) []Range {
	slices.SortFunc(rs, func(a, b Range) int {
		return cmp.Or(a.From.Compare(b.From), a.To.Compare(b.To))
	})
	out := rs[:0]
	for _, r := range rs {
		if n := len(out); n > 0 {
			last := &out[n-1]
			next := last.To.Next() // invalid past the family's last address
			if r.From.Compare(last.To) <= 0 || r.From == next {
				if last.To.Less(r.To) {
					last.To = r.To
				}
				continue
			}
		}
		out = append(out, r)
	}
	return slices.Clip(out)
}

func newSet(rs []Range, names, zones map[netip.Addr]string) Set {
	if len(rs) == 0 {
		return Set{}
	}
	cum := make([]uint64, len(rs))
	var sum uint64
	for i, r := range rs {
		n := r.Len()
		if sum > math.MaxUint64-n {
			sum = math.MaxUint64
		} else {
			sum += n
		}
		cum[i] = sum
	}
	if len(names) == 0 {
		names = nil
	}
	if len(zones) == 0 {
		zones = nil
	}
	return Set{rs: rs, cum: cum, names: names, zones: zones}
}

// Len reports how many addresses s holds. It saturates at math.MaxUint64,
// which only IPv6 prefixes shorter than /65 reach; see CheckLen.
func (s Set) Len() uint64 {
	if len(s.cum) == 0 {
		return 0
	}
	return s.cum[len(s.cum)-1]
}

// CheckLen returns an error wrapping ErrTooMany if s holds more than MaxLen
// addresses, and nil otherwise.
func (s Set) CheckLen() error {
	n := s.Len()
	if n <= MaxLen {
		return nil
	}
	count := fmt.Sprint(n)
	if n == math.MaxUint64 {
		count = "2^64 or more"
	}
	return fmt.Errorf("%w: %s addresses, more than the limit of 2^47 (an IPv6 /81)", ErrTooMany, count)
}

// At returns the i-th address of s, counting from 0 in ascending order, in
// O(log ranges) time and without allocating. It panics if i >= s.Len().
func (s Set) At(i uint64) netip.Addr {
	// The first range whose running total passes i holds it.
	lo, hi := 0, len(s.cum)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s.cum[m] <= i {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == len(s.cum) {
		panic(fmt.Sprintf("target.Set.At: index %d out of range [0,%d)", i, s.Len()))
	}
	if lo > 0 {
		i -= s.cum[lo-1]
	}
	a := s.rs[lo].at(i)
	if s.zones != nil && (a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast()) {
		if z, ok := s.zones[a]; ok {
			return a.WithZone(z)
		}
	}
	return a
}

// Contains reports whether s holds a (its zone, if any, ignored).
func (s Set) Contains(a netip.Addr) bool {
	a = a.WithZone("")
	i, _ := slices.BinarySearchFunc(s.rs, a, func(r Range, a netip.Addr) int { return r.To.Compare(a) })
	return i < len(s.rs) && s.rs[i].Contains(a)
}

// Name returns the hostname a resolved address came from, or "" for an
// address given literally (or not in s). A zone on a is ignored.
func (s Set) Name(a netip.Addr) string { return s.names[a.WithZone("")] }

// Zones returns a copy of the zones of the link-local addresses s holds,
// by address without zone; nil when it has none.
func (s Set) Zones() map[netip.Addr]string { return maps.Clone(s.zones) }

// WithZones returns s giving the zones zones (of addresses s holds)
// instead of its own: a set rebuilt from its String, which has no zones,
// gets them back.
func (s Set) WithZones(zones map[netip.Addr]string) Set {
	zones = maps.Clone(zones)
	maps.DeleteFunc(zones, func(a netip.Addr, _ string) bool { return !s.Contains(a) })
	return newSet(s.rs, s.names, zones)
}

// Names returns a copy of the hostnames s remembers, by address; nil when
// it has none.
func (s Set) Names() map[netip.Addr]string { return maps.Clone(s.names) }

// WithNames returns s remembering names (those of addresses s holds)
// instead of its own: a set rebuilt from its String gets its names back.
func (s Set) WithNames(names map[netip.Addr]string) Set {
	names = maps.Clone(names)
	maps.DeleteFunc(names, func(a netip.Addr, _ string) bool { return !s.Contains(a) })
	return newSet(s.rs, names, s.zones)
}

// Ranges returns a copy of the ranges of s, in ascending order.
func (s Set) Ranges() []Range { return slices.Clone(s.rs) }

// Equal reports whether s and o hold the same addresses (names are not
// compared).
func (s Set) Equal(o Set) bool { return slices.Equal(s.rs, o.rs) }

// Exclude returns the addresses of s that are not in x, keeping the names
// of those that remain. It takes O(len(s ranges) + len(x ranges)) time;
// neither set is expanded.
func (s Set) Exclude(x Set) Set {
	if len(s.rs) == 0 || len(x.rs) == 0 {
		return s
	}
	var out []Range
	j := 0
	for _, r := range s.rs {
		// Skip the exclusions wholly before r; they are before every
		// later r too.
		for j < len(x.rs) && x.rs[j].To.Less(r.From) {
			j++
		}
		from, done := r.From, false
		for k := j; k < len(x.rs) && x.rs[k].From.Compare(r.To) <= 0; k++ {
			ex := x.rs[k]
			if from.Less(ex.From) {
				out = append(out, Range{from, ex.From.Prev()})
			}
			if ex.To.Compare(r.To) >= 0 {
				done = true // the rest of r is excluded
				break
			}
			from = ex.To.Next()
		}
		if !done {
			out = append(out, Range{from, r.To})
		}
	}
	excluded := func(a netip.Addr, _ string) bool { return x.Contains(a) }
	names, zones := maps.Clone(s.names), maps.Clone(s.zones)
	maps.DeleteFunc(names, excluded)
	maps.DeleteFunc(zones, excluded)
	return newSet(slices.Clip(out), names, zones)
}

// String lists the ranges of s in target syntax, comma-separated:
// "10.0.0.0/24,10.0.1.5-9,2001:db8::1". The empty set gives "".
func (s Set) String() string {
	var b strings.Builder
	for i, r := range s.rs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(r.String())
	}
	return b.String()
}

package portspec

import (
	"fmt"
	"iter"
	"slices"
)

// PortsOf builds a set from single ports. Port 0 is not a port and is left
// out.
func PortsOf(ports ...uint16) Ranges {
	rs := make([]Range, 0, len(ports))
	for _, p := range ports {
		if p != 0 {
			rs = append(rs, Range{p, p})
		}
	}
	return Of(rs...)
}

// Union gives the ports in s or o.
func (s Ranges) Union(o Ranges) Ranges {
	return Of(append(slices.Clone(s.rs), o.rs...)...)
}

// Exclude gives the ports of s that are not in o.
func (s Ranges) Exclude(o Ranges) Ranges {
	var out []Range
	j := 0
	for _, r := range s.rs {
		lo := int(r.Lo)
		// Skip the ranges of o wholly below what is left of r.
		for j < len(o.rs) && int(o.rs[j].Hi) < lo {
			j++
		}
		for k := j; k < len(o.rs) && int(o.rs[k].Lo) <= int(r.Hi); k++ {
			if x := o.rs[k]; int(x.Lo) > lo {
				out = append(out, Range{uint16(lo), x.Lo - 1})
			}
			lo = int(o.rs[k].Hi) + 1
		}
		if lo <= int(r.Hi) {
			out = append(out, Range{uint16(lo), r.Hi})
		}
	}
	if len(out) == 0 {
		return Ranges{}
	}
	return Ranges{rs: out}
}

// At gives the i-th port of s in ascending order, counting from 0. It
// walks the ranges, so it costs O(number of ranges); for many look-ups
// build an Index. It panics when i is not in [0, s.Len()).
func (s Ranges) At(i int) uint16 {
	if i >= 0 {
		for _, r := range s.rs {
			if i < r.Len() {
				return r.Lo + uint16(i)
			}
			i -= r.Len()
		}
	}
	panic(fmt.Sprintf("portspec: index %d out of range", i))
}

// All yields the ports of s in ascending order.
func (s Ranges) All() iter.Seq[uint16] {
	return func(yield func(uint16) bool) {
		for _, r := range s.rs {
			for p := int(r.Lo); p <= int(r.Hi); p++ {
				if !yield(uint16(p)) {
					return
				}
			}
		}
	}
}

// Index is a set prepared for looking ports up by position, as a scan does
// when it walks the ports in a permuted order. Its zero value is empty.
type Index struct {
	rs   []Range
	ends []int // ends[k] is how many ports rs[:k+1] hold
}

// Index prepares s for At look-ups that cost O(log number of ranges).
func (s Ranges) Index() Index {
	x := Index{rs: s.rs, ends: make([]int, len(s.rs))}
	n := 0
	for k, r := range s.rs {
		n += r.Len()
		x.ends[k] = n
	}
	return x
}

// Len reports how many ports the index holds.
func (x Index) Len() int {
	if len(x.ends) == 0 {
		return 0
	}
	return x.ends[len(x.ends)-1]
}

// At gives the i-th port in ascending order, counting from 0. It panics
// when i is not in [0, x.Len()).
func (x Index) At(i int) uint16 {
	if i < 0 || i >= x.Len() {
		panic(fmt.Sprintf("portspec: index %d out of range [0,%d)", i, x.Len()))
	}
	// The first range whose end is past i holds it.
	k, _ := slices.BinarySearch(x.ends, i+1)
	start := 0
	if k > 0 {
		start = x.ends[k-1]
	}
	return x.rs[k].Lo + uint16(i-start)
}

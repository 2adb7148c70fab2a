package store

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestPortSet: a port set gives formatRanges's string, as a list and as a
// bitmap, and parseRanges reads back its ports.
func TestPortSet(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 5, setBits, setBits + 1, 30000, 65536, 70000} {
		var s portSet
		var ports []uint16
		for i := range n {
			p := uint16(r.IntN(1 << 16))
			if n == 65536 {
				p = uint16(i) // every port, 0 and 65535 too
			}
			s.add(p)
			ports = append(ports, p)
		}
		got, want := s.format(), formatRanges(slices.Clone(ports))
		if got != want {
			t.Fatalf("%d ports: format %.80q, want %.80q", n, got, want)
		}
		var back []uint16
		if err := parseRanges(got, func(p uint16) { back = append(back, p) }); err != nil {
			t.Fatalf("%d ports: %v", n, err)
		}
		slices.Sort(ports)
		if ports = slices.Compact(ports); !slices.Equal(back, ports) {
			t.Fatalf("%d ports: read back %d ports, want %d", n, len(back), len(ports))
		}
	}
}

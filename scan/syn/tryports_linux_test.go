package syn

import "testing"

// TestTryPorts: each try of a destination leaves from another port, and
// the receiver finds the sending worker's own slot from the port and the
// try's tag.
func TestTryPorts(t *testing.T) {
	for _, n := range []int{1, 3, 4, 7, 4536} {
		p := &prober{lo: 61000, slots: make([]portSlot, n)}
		for home := range n {
			seen := map[uint16]bool{}
			for try := range uint32(seqTagMask + 1) {
				port := p.tryPort(home, try)
				if port < p.lo || int(port-p.lo) >= n {
					t.Fatalf("n=%d home %d try %d: port %d out of range", n, home, try, port)
				}
				if got := p.homeOf(int(port-p.lo), try); got != home {
					t.Fatalf("n=%d: try %d of home %d leaves from %d, whose home is found at %d", n, try, home, port, got)
				}
				seen[port] = true
			}
			if n >= seqTagMask+1 && len(seen) != seqTagMask+1 {
				t.Fatalf("n=%d home %d: tries share ports: %v", n, home, seen)
			}
		}
	}
}

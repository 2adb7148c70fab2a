package syn

import (
	"net/netip"
	"testing"
	"time"
)

// TestRouteCacheGrows: a few destinations keep the cache small; many make
// it grow, up to routeCacheSize, keeping what it held; an expired entry is
// replaced without growing.
func TestRouteCacheGrows(t *testing.T) {
	rs := &routes{cache: make([]routeEntry, routeCacheMin)}
	now := time.Now()
	put := func(a netip.Addr, at time.Time) {
		rs.store(addrHash(a), routeEntry{dst: a, expires: at.Add(routeTTL)}, at)
	}
	held := func(a netip.Addr) bool { return rs.cache[addrHash(a)%uint32(len(rs.cache))].dst == a }
	one := netip.MustParseAddr("10.0.0.1")
	put(one, now)
	put(one, now)
	if len(rs.cache) != routeCacheMin || !held(one) {
		t.Fatalf("one destination: %d entries, held %v", len(rs.cache), held(one))
	}
	// Later, with every entry expired, a colliding address takes its slot.
	later := now.Add(2 * routeTTL)
	for i := range 1000 {
		a := netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)})
		if addrHash(a)%routeCacheMin == addrHash(one)%routeCacheMin {
			put(a, later)
			if len(rs.cache) != routeCacheMin || !held(a) {
				t.Fatalf("an expired entry's slot: %d entries", len(rs.cache))
			}
			break
		}
	}
	var addrs []netip.Addr
	for i := range 50000 {
		a := netip.AddrFrom4([4]byte{10, 2, byte(i >> 8), byte(i)})
		addrs = append(addrs, a)
		put(a, later)
		if !held(a) {
			t.Fatalf("%v not held right after it was stored", a)
		}
	}
	if len(rs.cache) != routeCacheSize {
		t.Errorf("%d entries after 50,000 destinations, want %d", len(rs.cache), routeCacheSize)
	}
	n := 0
	for _, a := range addrs[len(addrs)-1000:] {
		if held(a) {
			n++
		}
	}
	if n < 800 { // later destinations push some out: collisions
		t.Errorf("%d of the last 1,000 destinations held", n)
	}
}

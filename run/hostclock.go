package run

import (
	"sync/atomic"
	"time"

	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/scan"
)

// hostClock is Config.HostTimeout for one host group's engine: it starts
// each host's clock at the host's first probe, and from then on skips the
// host's probes not sent within the timeout. The engine asks it about
// each position before sending its first try (scan.Resume.Done); a
// skipped position counts as done and gives no result. Tries already sent
// and their retries still end as usual.
type hostClock struct {
	order   scan.Order
	np      uint64 // ports per host: a position's host is order.At(k) / np
	limit   time.Duration
	start   []atomic.Int64  // each host's first probe, Unix ns; 0 before
	skipped []atomic.Uint32 // each host's positions skipped
}

func newHostClock(hosts, np uint64, order scan.Order, limit time.Duration) *hostClock {
	return &hostClock{order: order, np: np, limit: limit,
		start: make([]atomic.Int64, hosts), skipped: make([]atomic.Uint32, hosts)}
}

// skip returns the Done function of a resumed group (done, or nil) with
// the clock's own skips added.
func (c *hostClock) skip(done func(uint64) bool) func(uint64) bool {
	return func(k uint64) bool {
		if done != nil && done(k) {
			return true
		}
		h := c.order.At(k) / c.np
		now := time.Now().UnixNano()
		first := c.start[h].Load()
		if first == 0 {
			c.start[h].CompareAndSwap(0, now)
			return false
		}
		if time.Duration(now-first) <= c.limit {
			return false
		}
		c.skipped[h].Add(1)
		return true
	}
}

// note writes into the group's up hosts' records (in the engine's host
// order) how many of their probes were skipped.
func (c *hostClock) note(up []record.Host) {
	for i := range up {
		if n := c.skipped[i].Load(); n > 0 {
			up[i].Unprobed = uint64(n)
			up[i].TimedOut = c.limit
		}
	}
}

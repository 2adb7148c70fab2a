package scan

import (
	"sync"
	"time"
)

// rttEstimator keeps a smoothed round-trip time and its variation, as TCP
// does (RFC 6298), from answers only: silence says nothing of the path,
// so a host with many dropped ports is not slowed down by them.
type rttEstimator struct {
	mu      sync.Mutex
	key     uint64 // which host owns the slot
	samples int
	srtt    time.Duration
	rttvar  time.Duration
}

func (e *rttEstimator) add(key uint64, rtt time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.key != key || e.samples == 0 {
		e.key, e.samples, e.srtt, e.rttvar = key, 1, rtt, rtt/2
		return
	}
	e.samples++
	d := e.srtt - rtt
	if d < 0 {
		d = -d
	}
	e.rttvar = (3*e.rttvar + d) / 4
	e.srtt = (7*e.srtt + rtt) / 8
}

// rto is the timeout for a first probe, or ok=false when key has no sample.
func (e *rttEstimator) rto(key uint64) (time.Duration, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.samples == 0 || e.key != key {
		return 0, false
	}
	return e.srtt + 4*e.rttvar, true
}

// timing holds a bounded table of per-host estimators (hosts share a slot
// by index, the newest owner winning) and one estimator for the whole
// scan, the prior for hosts not heard from yet.
type timing struct {
	min, max, initial time.Duration
	global            rttEstimator
	hosts             []rttEstimator
	// warm is closed at the first sample of the scan.
	warm     chan struct{}
	warmOnce sync.Once
}

func newTiming(nhosts uint64, lo, hi, initial time.Duration) *timing {
	return &timing{min: lo, max: hi, initial: initial,
		hosts: make([]rttEstimator, int(min(nhosts, 1<<16))), warm: make(chan struct{})}
}

func (t *timing) add(host uint64, rtt time.Duration) {
	t.warmOnce.Do(func() { close(t.warm) })
	t.global.add(0, rtt)
	t.hosts[host%uint64(len(t.hosts))].add(host, rtt)
}

// timeout is how long attempt (0 for the first) of a probe to host waits.
func (t *timing) timeout(host uint64, attempt int) time.Duration {
	rto, ok := t.hosts[host%uint64(len(t.hosts))].rto(host)
	if !ok {
		if rto, ok = t.global.rto(0); !ok {
			// Nothing has answered yet: the initial timeout is already a
			// generous guess, and doubling it for a retry would only
			// slow down a scan of silent ports.
			return t.initial
		}
	}
	// The estimate backs off (RFC 6298, 5.5), the floor does not: the
	// floor is already a wide margin over a path of a few milliseconds,
	// and doubling it would make every retry to a silent port on such a
	// path wait twice the floor for nothing.
	rto = max(rto<<min(attempt, 6), t.min)
	return min(rto, t.max)
}

// learnt reports whether any answer of the scan has set a round-trip
// time yet.
func (t *timing) learnt() bool {
	select {
	case <-t.warm:
		return true
	default:
		return false
	}
}

// first is the timeout of a first try to a host not heard from yet: how
// long a scan takes to learn that a probe it sends now went unanswered.
func (t *timing) first() time.Duration {
	rto, ok := t.global.rto(0)
	if !ok {
		return t.initial
	}
	return min(max(rto, t.min), t.max)
}

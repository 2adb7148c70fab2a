package fingerprint

import (
	"context"
	"net/netip"
	"slices"
	"sync"
)

// DefaultUDPPerHost is how many UDP identification probes may be in
// flight to one host at once: with probes of at most udpProbeWait, some
// 20 datagrams a second to a host whose ports are all silent.
const DefaultUDPPerHost = 16

// UDPLimiter bounds the UDP identification probes in flight to each host,
// across every port identified with the Configs that share it, so that a
// host with many silent ports is not flooded. A probe of a port's usual
// service goes before every probe that tries another service on a port,
// so that when many silent ports share a host and each has its budget,
// each is asked its own protocol first. Its methods are safe for
// concurrent use.
type UDPLimiter struct {
	perHost int
	mu      sync.Mutex
	hosts   map[netip.Addr]*hostSlots
}

// hostSlots is one host's slots: how many are free, and who waits, by
// priority (0: a port's own probes).
type hostSlots struct {
	free    int
	waiting [2][]chan struct{}
	refs    int // holders and waiters: at zero the entry goes
}

// NewUDPLimiter returns a limiter of perHost probes per host (at least
// one).
func NewUDPLimiter(perHost int) *UDPLimiter {
	return &UDPLimiter{perHost: max(perHost, 1), hosts: make(map[netip.Addr]*hostSlots)}
}

// acquire waits for a slot of host, before every waiter of a lower
// priority (own: the port's usual service), and returns its release.
func (l *UDPLimiter) acquire(ctx context.Context, host netip.Addr, own bool) (release func(), err error) {
	prio := 1
	if own {
		prio = 0
	}
	l.mu.Lock()
	h := l.hosts[host]
	if h == nil {
		h = &hostSlots{free: l.perHost}
		l.hosts[host] = h
	}
	h.refs++
	release = func() { l.release(host, h) }
	if h.free > 0 && len(h.waiting[0]) == 0 && (prio == 0 || len(h.waiting[1]) == 0) {
		h.free--
		l.mu.Unlock()
		return release, nil
	}
	granted := make(chan struct{})
	h.waiting[prio] = append(h.waiting[prio], granted)
	l.mu.Unlock()
	select {
	case <-granted:
		return release, nil
	case <-ctx.Done():
	}
	l.mu.Lock()
	if i := slices.Index(h.waiting[prio], granted); i >= 0 {
		h.waiting[prio] = slices.Delete(h.waiting[prio], i, i+1)
		l.unref(host, h)
		l.mu.Unlock()
		return nil, ctx.Err()
	}
	// The slot came as ctx ended: pass it on.
	l.mu.Unlock()
	release()
	return nil, ctx.Err()
}

// release hands h's slot to the first waiter of the highest priority, or
// frees it.
func (l *UDPLimiter) release(host netip.Addr, h *hostSlots) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for p := range h.waiting {
		if len(h.waiting[p]) > 0 {
			close(h.waiting[p][0])
			h.waiting[p] = h.waiting[p][1:]
			l.unref(host, h)
			return
		}
	}
	h.free++
	l.unref(host, h)
}

// unref drops one holder or waiter of h; l.mu is held.
func (l *UDPLimiter) unref(host netip.Addr, h *hostSlots) {
	if h.refs--; h.refs == 0 {
		delete(l.hosts, host)
	}
}

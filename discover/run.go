package discover

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/ajarsec/ajar/record"
)

// transport is one way of probing: raw sockets, or what an unprivileged
// user may open.
type transport interface {
	// describe names the probes, for a note to the user.
	describe() string
	// listen starts reading answers into out, until close.
	listen(out chan<- event, done <-chan struct{})
	// send sends one try's probes to p; it returns how many packets
	// went out, or would have, and an error when none could be sent.
	send(p *pending) (int, error)
	close() error
}

// event is an answer and when it was read.
type event struct {
	answer
	at time.Time
}

// routeKind is how a target is reached.
type routeKind uint8

const (
	viaIP       routeKind = iota // IP probes, maybe through a gateway
	viaNeighbor                  // ARP or NDP on a local Ethernet link
	isLocal                      // an address of this machine
	unreachable                  // no way there: decided without a probe
)

// hostRoute is what the routing table says of one target.
type hostRoute struct {
	kind    routeKind
	src     netip.Addr // our address the probes leave from
	ifindex int
	mac     record.MAC    // our link's address, for ARP and NDP
	reason  record.Reason // why unreachable
}

// router looks routes up; on Linux, the kernel's routing table.
type routeLookup interface {
	lookup(netip.Addr) (hostRoute, error)
	close() error
}

// pending is a host waiting for an answer.
type pending struct {
	addr  netip.Addr
	route hostRoute
	tries int       // tries sent so far
	sent  time.Time // when the last one went
	// errReason is an ICMP error about a probe to the host from someone
	// else (a router, this machine): the host is not up for it, but it
	// says more than silence.
	errReason record.Reason
	done      bool
}

// Session is discovery ready to run: its sockets are open. Open makes
// one, Run runs it (once per target set, one run at a time: a scan in
// host groups runs it once per group), Close releases it.
type Session struct {
	cfg        Config
	keys       keys
	routes     routeLookup
	t          transport
	privileged bool
	events     chan event
	done       chan struct{}
	running    atomic.Bool
}

// Privileged reports whether the session probes with raw sockets.
func (s *Session) Privileged() bool { return s.privileged }

// Probes describes the probes the session sends, for a note to the user.
func (s *Session) Probes() string { return s.t.describe() }

// Close stops the session's readers and closes its sockets.
func (s *Session) Close() error {
	close(s.done)
	return errors.Join(s.t.close(), s.routes.close())
}

// Run opens a session, runs it over targets and closes it: see
// Session.Run.
func (c Config) Run(ctx context.Context, targets Targets, fn func(record.Host)) error {
	s, err := Open(c)
	if err != nil {
		return err
	}
	defer s.Close()
	return s.Run(ctx, targets, fn)
}

// eventQueue is how many answers may wait for the loop.
const eventQueue = 4096

// maxLocalFails is how many hosts in a row may fail to get any probe
// sent (this machine's firewall, no buffer space) before Run gives up.
const maxLocalFails = 16

// Run probes every address of targets, in order, and calls fn once per
// address, from the calling goroutine, as soon as its state is known: up
// at the first answer, down when every try stayed silent. Sockets it
// makes (connect() probes) belong to the calling thread's network
// namespace, as the session's do. A session may Run again once a run
// has returned (on other targets: late answers to an earlier run are
// ignored), never twice at once.
//
// When ctx is done, or Config.MaxTime has passed, Run returns at once
// with the context's error (wrapping ErrMaxTime for the latter); hosts
// still waiting are not reported.
func (s *Session) Run(ctx context.Context, targets Targets, fn func(record.Host)) error {
	if !s.running.CompareAndSwap(false, true) {
		return errors.New("discover: a session runs one target set at a time")
	}
	defer s.running.Store(false)
	if s.cfg.MaxTime > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, s.cfg.MaxTime, ErrMaxTime)
		defer cancel()
	}
	l := &loop{s: s, cfg: s.cfg, targets: targets, emit: fn,
		pend: make(map[netip.Addr]*pending), n: targets.Len()}
	if nm, ok := targets.(Namer); ok {
		l.namer = nm
	}
	l.pace.interval = time.Duration(float64(time.Second) / s.cfg.Rate)
	return l.run(ctx)
}

// loop is one run's state, owned by the goroutine that called Run.
type loop struct {
	s       *Session
	cfg     Config
	targets Targets
	namer   Namer
	emit    func(record.Host)

	pend  map[netip.Addr]*pending
	queue []deadline // in send order, so in deadline order
	qhead int
	retry []*pending // silent hosts due for another try
	next  uint64     // the next target index to start
	n     uint64
	pace  pacer
	fails int
}

// deadline is when a try of a host runs out.
type deadline struct {
	p   *pending
	try int
	at  time.Time
}

func (l *loop) run(ctx context.Context) error {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		l.expire(time.Now())
		if err := l.fill(ctx); err != nil {
			return err
		}
		if l.next >= l.n && len(l.pend) == 0 {
			return nil
		}
		now := time.Now()
		timer.Reset(max(l.wake(now).Sub(now), 0))
		select {
		case ev := <-l.s.events:
			l.handle(ev)
			l.drain()
		case <-timer.C:
		case <-ctx.Done():
			return fmt.Errorf("host discovery stopped: %w", context.Cause(ctx))
		}
	}
}

// drain handles the answers already waiting, up to a queue's worth.
func (l *loop) drain() {
	for range eventQueue {
		select {
		case ev := <-l.s.events:
			l.handle(ev)
		default:
			return
		}
	}
}

// wantSend reports whether a host waits to be probed (and only the pace
// holds it back).
func (l *loop) wantSend() bool {
	return len(l.retry) > 0 || l.next < l.n && len(l.pend) < l.cfg.MaxParallel
}

// wake is when the loop has something to do without an answer: the next
// deadline, or the pace letting the next probe out.
func (l *loop) wake(now time.Time) time.Time {
	at := now.Add(time.Hour)
	if l.qhead < len(l.queue) {
		at = l.queue[l.qhead].at
	}
	if l.wantSend() && l.pace.next.Before(at) {
		at = l.pace.next
	}
	return at
}

// expire handles the tries whose wait is over: another try, or down.
func (l *loop) expire(now time.Time) {
	for l.qhead < len(l.queue) {
		d := l.queue[l.qhead]
		if d.at.After(now) {
			break
		}
		l.queue[l.qhead] = deadline{}
		l.qhead++
		p := d.p
		if p.done || p.tries != d.try {
			continue
		}
		if p.tries <= l.cfg.Retries {
			l.retry = append(l.retry, p)
			continue
		}
		reason := p.errReason
		if reason == "" {
			reason = record.ReasonNoResponse
		}
		l.finish(p, record.Down, reason, 0, record.MAC{})
	}
	if l.qhead > 1024 && l.qhead > len(l.queue)/2 {
		l.queue = append(l.queue[:0], l.queue[l.qhead:]...)
		l.qhead = 0
	}
}

// ctxCheckEvery is how many targets decided without a probe (no route,
// local) may pass between two looks at the context.
const ctxCheckEvery = 256

// fill sends what the pace and the parallelism allow: retries first, then
// new hosts. Hosts the routing table decides alone are reported at once.
func (l *loop) fill(ctx context.Context) error {
	for i := 0; ; i++ {
		if i%ctxCheckEvery == ctxCheckEvery-1 && ctx.Err() != nil {
			return fmt.Errorf("host discovery stopped: %w", context.Cause(ctx))
		}
		now := time.Now()
		if !l.wantSend() || !l.pace.ready(now) {
			return nil
		}
		var p *pending
		if len(l.retry) > 0 {
			p = l.retry[0]
			l.retry[0] = nil
			l.retry = l.retry[1:]
		} else {
			a := l.targets.At(l.next)
			l.next++
			rt, err := l.s.routes.lookup(a)
			if err != nil {
				return fmt.Errorf("looking up the route to %s: %w", a, err)
			}
			switch rt.kind {
			case isLocal:
				l.report(a, record.Up, record.ReasonLocalhost, 0, record.MAC{})
				continue
			case unreachable:
				l.report(a, record.Down, rt.reason, 0, record.MAC{})
				continue
			}
			p = &pending{addr: a, route: rt}
			l.pend[a] = p
		}
		p.tries++
		p.sent = time.Now() // before the send: its answer may beat the return
		n, err := l.s.t.send(p)
		l.queue = append(l.queue, deadline{p: p, try: p.tries, at: p.sent.Add(l.cfg.Timeout)})
		l.pace.spend(now, max(n, 1))
		if err != nil {
			if l.fails++; l.fails >= maxLocalFails {
				return fmt.Errorf("sending probes: %w", err)
			}
		} else {
			l.fails = 0
		}
	}
}

// handle takes one answer: the host is up, unless it is an ICMP error
// from someone else, which is kept in case nothing better comes.
func (l *loop) handle(ev event) {
	p := l.pend[ev.host]
	if p == nil {
		return // not waiting: done already, or not ours
	}
	if (ev.reason == record.ReasonARPResponse || ev.reason == record.ReasonNDAdvert) && p.route.kind != viaNeighbor {
		// An answer to this machine's own address resolution, for IP
		// probes: the host holds the address, but IP probes were asked
		// for (NoNeighbor), and they decide.
		return
	}
	if ev.icmpErr && ev.from != ev.host {
		if p.errReason == "" {
			p.errReason = ev.reason
		}
		return
	}
	l.finish(p, record.Up, ev.reason, max(ev.at.Sub(p.sent), 0), ev.mac)
}

func (l *loop) finish(p *pending, st record.HostState, reason record.Reason, rtt time.Duration, mac record.MAC) {
	p.done = true
	delete(l.pend, p.addr)
	l.report(p.addr, st, reason, rtt, mac)
}

func (l *loop) report(a netip.Addr, st record.HostState, reason record.Reason, rtt time.Duration, mac record.MAC) {
	h := record.Host{Addr: a, State: st, Reason: reason, RTT: rtt, MAC: mac}
	if l.namer != nil {
		h.Name = l.namer.Name(a)
	}
	l.emit(h)
}

// pacer spaces packets out to the rate: each packet moves the next
// sending time on by one interval. A short burst may make up for time
// spent waiting on answers.
type pacer struct {
	interval time.Duration
	next     time.Time
}

const paceBurst = 10 * time.Millisecond

func (p *pacer) ready(now time.Time) bool { return !now.Before(p.next) }

func (p *pacer) spend(now time.Time, packets int) {
	if floor := now.Add(-paceBurst); p.next.Before(floor) {
		p.next = floor
	}
	p.next = p.next.Add(time.Duration(packets) * p.interval)
}

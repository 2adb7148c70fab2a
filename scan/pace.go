package scan

import (
	"context"
	"math"
	"sync"
	"time"
)

// The pacer hands out send slots ("tokens"): one per probe, retries
// included. Its bucket earns tokens with the time on the monotonic clock,
// at the rate, and holds no more than paceLag of the rate earns: idle
// time is never spent later as a burst, so that is the most a burst can
// exceed the rate by, far below a network device's queue (1000 packets
// by default). A probe that finds the bucket empty queues up, and the
// queue gets its tokens as they are earned, first come first served,
// retries before first tries: from the probes that come next, or from
// a goroutine that sleeps while no probe waits.
//
// With a fixed rate (Config.Rate) the rate never changes. Otherwise it
// adapts, as TCP's congestion control does, between Config.MinRate and
// Config.MaxRate. It starts at StartRate and doubles while the probes
// take (nearly) every token and no answer is lost ("slow start"); it is
// halved when answers are lost, and after that first cut it grows by an
// eighth at a time. The rate changes at most once a first timeout of
// the probes, the time it takes to learn whether the last change lost
// packets.
//
// A probe answered on a retry after its try before went unanswered is a
// lost answer (or probe): the path dropped packets sent at this rate.
// Losses of probes sent before the last cut say nothing of the new rate
// and are ignored, so one burst of loss cuts the rate once; and the
// engine does not count a silent try against the retries when probes
// sent after it were lost. Answers that are ICMP errors never count:
// hosts limit the ICMP errors they send (Linux, by default, to about one
// a second), and that silence is no sign of a full path.
const (
	paceLag     = 2 * time.Millisecond
	adaptWindow = 10 * time.Millisecond
	// staleAfter is how long a token given to a waiter stays good.
	staleAfter = time.Millisecond

	// StartRate is where an adaptive rate starts, in probes a second.
	StartRate = 50000
	// DefaultMinRate is the lowest an adaptive rate falls to without
	// Config.MinRate.
	DefaultMinRate = 100
	// avoidGrowth is the growth after the first cut, each time the rate
	// may grow.
	avoidGrowth = 1.0 / 8
)

// paceState is the pacer's arithmetic, apart from clocks and goroutines
// so that it can be tested on a clock of the test's own.
type paceState struct {
	rate     float64 // tokens a second now
	min, max float64 // bounds of an adaptive rate
	adaptive bool
	slow     bool // slow start: no cut yet

	last   time.Time // the last refill
	tokens float64   // in the bucket

	window time.Time // when the current adaptation window began
	taken  float64   // tokens taken in the window
	lost   int       // losses counted in the window
	cut    time.Time // the last cut: losses of earlier probes are ignored
	cuts   int
	peak   float64
	// grown is when the rate last grew; hold is how long after a change
	// its losses can be known (the probes' first timeout): the rate
	// grows at most once a hold, so it never runs far past the rate the
	// path was seen to carry.
	grown   time.Time
	hold    time.Duration
	limited bool // the probes took the tokens in a window since grown
}

func newPaceState(cfg *Config, now time.Time) paceState {
	s := paceState{last: now, window: now, cut: now, grown: now}
	if cfg.Rate > 0 {
		s.rate, s.min, s.max = cfg.Rate, cfg.Rate, cfg.Rate
	} else {
		s.adaptive, s.slow = true, true
		s.min, s.max = cfg.MinRate, cfg.MaxRate
		if s.max <= 0 {
			s.max = math.Inf(1)
		}
		if s.min <= 0 {
			s.min = math.Min(DefaultMinRate, s.max)
		}
		s.rate = math.Min(math.Max(StartRate, s.min), s.max)
	}
	s.tokens, s.peak = 1, s.rate
	return s
}

// capacity is the bucket's size: what paceLag earns, at least one token.
func (s *paceState) capacity() float64 {
	return math.Max(1, s.rate*paceLag.Seconds())
}

// refill adds what the time since the last refill earned.
func (s *paceState) refill(now time.Time) {
	if el := now.Sub(s.last); el > 0 {
		s.tokens = math.Min(s.capacity(), s.tokens+s.rate*el.Seconds())
		s.last = now
	}
	if s.adaptive && now.Sub(s.window) >= adaptWindow {
		s.adapt(now)
	}
}

// take takes a token from the bucket, if it holds one.
func (s *paceState) take() bool {
	if s.tokens < 1 {
		return false
	}
	s.tokens--
	s.taken++
	return true
}

// next is how long after the last refill the bucket holds a token.
func (s *paceState) next() time.Duration {
	if s.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - s.tokens) / s.rate * float64(time.Second))
}

// demand is the share of the rate's tokens the probes must have taken in
// a window for the rate to grow: when they take fewer, something else
// (the CPU, the probes in flight, the answers) limits the scan, and a
// higher rate would only allow larger bursts.
const demand = 0.8

// adapt ends an adaptation window.
func (s *paceState) adapt(now time.Time) {
	limited := s.taken >= demand*s.rate*now.Sub(s.window).Seconds()
	s.limited = s.limited || limited
	grow := s.limited && now.Sub(s.grown) >= s.hold
	switch {
	case s.lost > 0:
		s.rate = math.Max(s.min, s.rate/2)
		s.slow = false
		s.cut = now
		s.cuts++
	case grow && s.slow:
		s.rate = math.Min(s.max, s.rate*2)
	case grow:
		s.rate = math.Min(s.max, s.rate*(1+avoidGrowth))
	}
	if s.lost > 0 || grow {
		s.grown, s.limited = now, false
	}
	s.tokens = math.Min(s.tokens, s.capacity())
	s.peak = math.Max(s.peak, s.rate)
	s.window, s.taken, s.lost = now, 0, 0
}

// loss counts a probe sent at sent that was lost on the way there or
// back, unless it was sent before the last cut.
func (s *paceState) loss(sent time.Time) {
	if s.adaptive && sent.After(s.cut) {
		s.lost++
	}
}

// pacer gives the engine's workers their send slots.
type pacer struct {
	mu       sync.Mutex
	state    paceState
	losses   uint64    // losses reported, counted or not
	lastLoss time.Time // when the last probe found lost was sent
	// The probes waiting for a token: retries are served first, so that
	// what they tell of the path is not held up behind new probes.
	queues [2]fifo // 0: retries, 1: first tries

	hold func() time.Duration
	kick chan struct{} // wakes the server when a queue fills
	done chan struct{}
	wg   sync.WaitGroup
}

// fifo is a queue of waiting probes; a cancelled one's entry is nil.
type fifo struct {
	q    []chan time.Time
	head int // q[:head] are served
}

func (f *fifo) len() int { return len(f.q) - f.head }

func (f *fifo) push(ch chan time.Time) { f.q = append(f.q, ch) }

// remove drops ch, a waiter that gave up.
func (f *fifo) remove(ch chan time.Time) {
	for i := f.head; i < len(f.q); i++ {
		if f.q[i] == ch {
			f.q[i] = nil
			return
		}
	}
}

// serve hands tokens from s to the waiters in order, as of now, and
// reports whether it emptied the queue.
func (f *fifo) serve(s *paceState, now time.Time) bool {
	for f.head < len(f.q) {
		if ch := f.q[f.head]; ch != nil {
			if !s.take() {
				if f.head >= 1024 && 2*f.head >= len(f.q) {
					n := copy(f.q, f.q[f.head:])
					clear(f.q[n:])
					f.q, f.head = f.q[:n], 0
				}
				return false
			}
			ch <- now
		}
		f.q[f.head] = nil
		f.head++
	}
	f.q, f.head = f.q[:0], 0
	return true
}

// newPacer starts a pacer; stop ends it. hold tells it how long the
// probes' first timeout is now.
func newPacer(cfg *Config, hold func() time.Duration) *pacer {
	p := &pacer{state: newPaceState(cfg, time.Now()), hold: hold, kick: make(chan struct{}, 1), done: make(chan struct{})}
	p.wg.Add(1)
	go p.serve()
	return p
}

// wait takes a token for a probe's first try (retry false) or a retry,
// waiting in the queue when the bucket is empty; it fails when ctx is
// done first.
//
// A token given to a waiter that gets a CPU only more than staleAfter later
// (on a busy machine, or after a stall of the whole process) has gone
// stale: sent now, its probe would join those of later tokens in a burst
// beyond the bucket's. The waiter queues again, once, with the retries.
func (p *pacer) wait(ctx context.Context, retry bool) error {
	var ch chan time.Time
	for stale := false; ; stale = true {
		p.mu.Lock()
		now := time.Now()
		p.refillLocked(now)
		// Whoever comes serves the queues first: the server may be slow
		// to get a CPU on a busy machine.
		q := &p.queues[1]
		if retry || stale {
			q = &p.queues[0]
		}
		if p.serveLocked(q, now) && p.state.take() {
			p.mu.Unlock()
			return nil
		}
		if ch == nil {
			ch = make(chan time.Time, 1)
		}
		q.push(ch)
		if p.queues[0].len()+p.queues[1].len() == 1 {
			select {
			case p.kick <- struct{}{}:
			default:
			}
		}
		p.mu.Unlock()
		select {
		case given := <-ch:
			if stale || time.Since(given) <= staleAfter {
				return nil
			}
		case <-ctx.Done():
			p.mu.Lock()
			q.remove(ch)
			p.mu.Unlock()
			return ctx.Err()
		}
	}
}

// take is wait for an engine's one sender (async.go): when the bucket
// is empty it sleeps on t, a stopped timer of its own, until a token is
// earned, rather than queueing a channel, so that it allocates nothing;
// it calls idle, when not nil, before it sleeps. Waiters queued by wait
// are served first.
func (p *pacer) take(ctx context.Context, retry bool, t *time.Timer, idle func()) error {
	for {
		p.mu.Lock()
		now := time.Now()
		p.refillLocked(now)
		q := &p.queues[1]
		if retry {
			q = &p.queues[0]
		}
		if p.serveLocked(q, now) && p.state.take() {
			p.mu.Unlock()
			return nil
		}
		// Sleep until a share of the bucket is earned, not a token: a
		// wake-up per token would cost the sender more than its sends.
		d := max(p.state.next(), time.Duration(p.state.capacity()/4/p.state.rate*float64(time.Second)), time.Microsecond)
		p.mu.Unlock()
		if idle != nil {
			idle()
		}
		t.Reset(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Pacer paces the probes of engines run one after another, such as the
// host groups of one scan, so that each goes on at the pace the last one
// found rather than starting over. Make it with NewPacer, hand it to the
// engines in Config.Pacer, and Stop it once they are done.
type Pacer struct{ p *pacer }

// NewPacer starts a pacer with cfg's rates (Rate, MinRate, MaxRate).
func NewPacer(cfg Config) *Pacer { return &Pacer{newPacer(&cfg, nil)} }

// Stop ends the pacer.
func (p *Pacer) Stop() { p.p.stop() }

// Stats reports how the pacer fared so far.
func (p *Pacer) Stats() PaceStats { return p.p.stats() }

// setHold makes hold the pacer's source of first timeouts.
func (p *pacer) setHold(hold func() time.Duration) {
	p.mu.Lock()
	p.hold = hold
	p.mu.Unlock()
}

// refillLocked refills the bucket; the caller holds mu.
func (p *pacer) refillLocked(now time.Time) {
	if p.state.adaptive && p.hold != nil && now.Sub(p.state.window) >= adaptWindow {
		p.state.hold = p.hold()
	}
	p.state.refill(now)
}

// serveLocked hands the bucket's tokens to the queues, retries first,
// up to and including upto, and reports whether those are now empty.
// The caller holds mu.
func (p *pacer) serveLocked(upto *fifo, now time.Time) bool {
	for i := range p.queues {
		q := &p.queues[i]
		if !q.serve(&p.state, now) {
			return false
		}
		if q == upto {
			break
		}
	}
	return true
}

// serve hands tokens to the queues as the bucket earns them, while no
// new probe comes to do it.
func (p *pacer) serve() {
	defer p.wg.Done()
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-p.done:
			return
		case <-p.kick:
		}
		for {
			p.mu.Lock()
			now := time.Now()
			p.refillLocked(now)
			if p.serveLocked(&p.queues[len(p.queues)-1], now) {
				p.mu.Unlock()
				break
			}
			d := p.state.next()
			p.mu.Unlock()
			t.Reset(d)
			select {
			case <-p.done:
				return
			case <-t.C:
			}
		}
	}
}

// loss reports a probe, sent at sent, whose first try went unanswered but
// whose retry was answered.
func (p *pacer) loss(sent time.Time) {
	p.mu.Lock()
	p.losses++
	if sent.After(p.lastLoss) {
		p.lastLoss = sent
	}
	p.state.loss(sent)
	p.mu.Unlock()
}

// lossNear reports whether the path was found to lose packets around t:
// a probe sent after t, or less than a first timeout before it, was
// lost, or the rate was cut after t. A probe sent at t went out while
// the path dropped packets, and its silence says little of its port.
func (p *pacer) lossNear(t time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state.cuts > 0 && p.state.cut.After(t) {
		return true
	}
	return !p.lastLoss.IsZero() && !p.lastLoss.Before(t.Add(-p.state.hold))
}

// PaceStats is how the pacer fared in a scan.
type PaceStats struct {
	// Adaptive is false for a fixed rate (Config.Rate).
	Adaptive bool
	// Rate is the rate at the end of the scan, Peak the highest it
	// reached, in probes a second.
	Rate, Peak float64
	// Losses is the probes whose retry was answered after their first
	// try was not; Cuts, how often they halved the rate.
	Losses uint64
	Cuts   int
}

func (p *pacer) stats() PaceStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := &p.state
	return PaceStats{Adaptive: s.adaptive, Rate: s.rate, Peak: s.peak, Losses: p.losses, Cuts: s.cuts}
}

func (p *pacer) stop() {
	close(p.done)
	p.wg.Wait()
}

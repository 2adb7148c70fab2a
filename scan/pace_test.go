package scan

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// sends records when a greedy sender, polling the pacer at the given
// steps, sent: as many probes as the bucket allows at each poll.
func greedy(s *paceState, steps []time.Duration) []time.Time {
	var sent []time.Time
	now := t0
	for _, d := range steps {
		now = now.Add(d)
		s.refill(now)
		for s.take() {
			sent = append(sent, now)
		}
	}
	return sent
}

// busiest is the most sends in any window of width w.
func busiest(sent []time.Time, w time.Duration) int {
	most, j := 0, 0
	for i := range sent {
		for sent[i].Sub(sent[j]) >= w {
			j++
		}
		most = max(most, i-j+1)
	}
	return most
}

func TestPaceFixedRateIsPrecise(t *testing.T) {
	const rate = 20000
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name string
		step func() time.Duration
	}{
		{"even 50µs polls", func() time.Duration { return 50 * time.Microsecond }},
		// A sender woken late, as goroutines on a busy machine are:
		// what a late poll finds must not exceed the bucket, and none
		// of the rate is lost while polls come within the bucket's 2 ms.
		{"late polls up to 1.9ms", func() time.Duration { return time.Duration(r.Int64N(int64(1900 * time.Microsecond))) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newPaceState(&Config{Rate: rate}, t0)
			var steps []time.Duration
			var total time.Duration
			for total < time.Second {
				d := tc.step()
				steps = append(steps, d)
				total += d
			}
			sent := greedy(&s, steps)
			capa := int(s.capacity())
			if capa != 40 {
				t.Fatalf("capacity at %d/s = %d, want 40 (2 ms)", rate, capa)
			}
			want := float64(rate) * total.Seconds()
			if got := float64(len(sent)); got > want+float64(capa)+1 || got < want*0.99 {
				t.Errorf("sent %v in %v, want about %v", got, total, want)
			}
			// Any 10 ms holds at most the rate's 200 and one bucket.
			for _, w := range []time.Duration{time.Millisecond, 10 * time.Millisecond, 100 * time.Millisecond} {
				limit := int(float64(rate)*w.Seconds()) + capa + 1
				if b := busiest(sent, w); b > limit {
					t.Errorf("busiest %v: %d sends, want at most %d", w, b, limit)
				}
			}
			if s.rate != rate || s.cuts != 0 {
				t.Errorf("a fixed rate changed: %v, %d cuts", s.rate, s.cuts)
			}
		})
	}
}

func TestPaceIdleTimeIsNoBurst(t *testing.T) {
	s := newPaceState(&Config{Rate: 100000}, t0)
	s.refill(t0.Add(time.Hour))
	n := 0
	for s.take() {
		n++
	}
	if n != 200 {
		t.Errorf("after an hour idle at 100000/s, %d sends at once, want the bucket's 200", n)
	}
	// Below 500 a second the bucket holds one token: no burst at all.
	s = newPaceState(&Config{Rate: 10}, t0)
	s.refill(t0.Add(time.Hour))
	if !s.take() || s.take() {
		t.Error("at 10/s an idle bucket should hold exactly one token")
	}
	if d := s.next(); d != 100*time.Millisecond {
		t.Errorf("next token at 10/s in %v, want 100ms", d)
	}
}

// steady drives an adaptive state for d with a sender that takes share
// of the tokens, and reports the rate after each window.
func steady(s *paceState, from time.Time, d time.Duration, share float64) (time.Time, []float64) {
	var rates []float64
	now := from
	owed := 0.0
	for end := from.Add(d); now.Before(end); {
		now = now.Add(time.Millisecond)
		s.refill(now)
		owed += share * s.rate / 1000
		for owed >= 1 && s.take() {
			owed--
		}
		owed = min(owed, 1)
		rates = append(rates, s.rate)
	}
	return now, rates
}

func TestPaceAdaptiveGrowsOncePerHold(t *testing.T) {
	s := newPaceState(&Config{}, t0)
	s.hold = 100 * time.Millisecond
	if s.rate != StartRate || !s.adaptive {
		t.Fatalf("adaptive start: %+v", s)
	}
	_, rates := steady(&s, t0, 450*time.Millisecond, 1)
	// Doubled at about 100, 200, 300 and 400 ms: never twice within a
	// hold, since the losses of a rate are known only a timeout later.
	changes := 0
	for i := 1; i < len(rates); i++ {
		if rates[i] != rates[i-1] {
			changes++
			if rates[i] != 2*rates[i-1] {
				t.Errorf("slow start went from %v to %v", rates[i-1], rates[i])
			}
		}
	}
	if changes != 4 || s.rate != 16*StartRate {
		t.Errorf("after 450 ms of demand: %d changes, rate %v; want 4 doublings to %v", changes, s.rate, 16*StartRate)
	}

	// A sender that takes half the tokens is not held back by the rate:
	// it does not grow.
	s = newPaceState(&Config{}, t0)
	s.hold = 100 * time.Millisecond
	if _, rates = steady(&s, t0, time.Second, 0.5); s.rate != StartRate {
		t.Errorf("rate grew to %v for a sender taking half", s.rate)
	}
}

func TestPaceAdaptiveCutsOnLoss(t *testing.T) {
	s := newPaceState(&Config{MaxRate: 120000, MinRate: 1000}, t0)
	s.hold = 100 * time.Millisecond
	now, _ := steady(&s, t0, 250*time.Millisecond, 1)
	if s.rate != 120000 {
		t.Fatalf("rate %v, want the 120000 bound after two doublings", s.rate)
	}
	// Losses of probes sent before the cut say nothing of the new rate.
	s.loss(now.Add(-50 * time.Millisecond))
	now, _ = steady(&s, now, 20*time.Millisecond, 1)
	if s.rate != 60000 || s.cuts != 1 || s.slow {
		t.Fatalf("after a loss: rate %v, %d cuts, slow start %v", s.rate, s.cuts, s.slow)
	}
	for range 100 {
		s.loss(s.cut.Add(-time.Microsecond)) // sent before the cut
	}
	now, _ = steady(&s, now, 20*time.Millisecond, 1)
	if s.rate != 60000 || s.cuts != 1 {
		t.Errorf("old losses cut again: rate %v, %d cuts", s.rate, s.cuts)
	}
	// After the cut it grows by an eighth a hold, not by doubling.
	now, _ = steady(&s, now, 110*time.Millisecond, 1)
	if s.rate != 60000*(1+avoidGrowth) {
		t.Errorf("rate %v a hold after the cut, want %v", s.rate, 60000*(1+avoidGrowth))
	}
	// New losses keep halving, down to the least rate.
	for range 10 {
		s.loss(now)
		now, _ = steady(&s, now, 20*time.Millisecond, 1)
	}
	if s.rate != 1000 {
		t.Errorf("rate %v after many losses, want the 1000 floor", s.rate)
	}
	if s.peak != 120000 {
		t.Errorf("peak %v, want 120000", s.peak)
	}
}

func TestPaceBounds(t *testing.T) {
	for _, tc := range []struct {
		cfg              Config
		rate, min, max   float64
		adaptive, bounds bool
	}{
		{Config{}, StartRate, DefaultMinRate, 0, true, false},
		{Config{MaxRate: 500}, 500, DefaultMinRate, 500, true, true},
		{Config{MaxRate: 50}, 50, 50, 50, true, true},
		{Config{MinRate: 80000}, 80000, 80000, 0, true, false},
		{Config{Rate: 300, MaxRate: 9}, 300, 300, 300, false, true},
	} {
		s := newPaceState(&tc.cfg, t0)
		if s.rate != tc.rate || s.min != tc.min || s.adaptive != tc.adaptive || (tc.bounds && s.max != tc.max) {
			t.Errorf("%+v: rate %v, bounds %v-%v, adaptive %v", tc.cfg, s.rate, s.min, s.max, s.adaptive)
		}
	}
}

func TestPacerServesRetriesFirst(t *testing.T) {
	p := &pacer{state: newPaceState(&Config{Rate: 1}, t0), kick: make(chan struct{}, 1), done: make(chan struct{})}
	p.state.tokens = 0
	first, retry := make(chan time.Time, 1), make(chan time.Time, 1)
	p.queues[1].push(first)
	p.queues[0].push(retry)
	p.state.tokens = 1
	if p.serveLocked(&p.queues[1], t0) {
		t.Fatal("one token served both queues")
	}
	select {
	case <-retry:
	default:
		t.Fatal("the retry, queued last, did not get the token")
	}
	if len(first) != 0 || p.queues[1].len() != 1 {
		t.Fatal("the first try was served with no token left")
	}
	// A retry that comes now is served before the waiting first try; a
	// new first try waits behind it.
	p.state.tokens = 1
	if !p.serveLocked(&p.queues[0], t0) {
		t.Error("an empty retry queue reported waiting")
	}
	if p.serveLocked(&p.queues[1], t0) && len(first) != 1 {
		t.Error("the queued first try was not served")
	}
}

func TestPacerWait(t *testing.T) {
	p := newPacer(&Config{Rate: 2000}, nil)
	defer p.stop()
	start := time.Now()
	// 1 in the bucket at the start, then 2000/s: 201 take about 100 ms.
	for i := range 201 {
		if err := p.wait(context.Background(), i%3 == 0); err != nil {
			t.Fatal(err)
		}
	}
	if el := time.Since(start); el < 90*time.Millisecond {
		t.Errorf("201 tokens at 2000/s in %v: the pacer let a burst through", el)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p.mu.Lock()
	p.state.tokens = 0
	p.state.last = time.Now().Add(time.Hour) // nothing earned for an hour
	p.mu.Unlock()
	if err := p.wait(ctx, false); !errors.Is(err, context.Canceled) {
		t.Errorf("wait with a done context: %v", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ch := range p.queues[1].q[p.queues[1].head:] {
		if ch != nil {
			t.Error("a cancelled waiter stayed queued")
		}
	}
}

// TestPacerStaleToken: a waiter that runs long after its token was given
// queues again rather than adding its probe to a later burst.
func TestPacerStaleToken(t *testing.T) {
	p := newPacer(&Config{Rate: 1000}, nil)
	defer p.stop()
	p.mu.Lock()
	p.state.tokens = 0
	p.state.last = time.Now().Add(time.Hour) // nothing earned for now
	p.mu.Unlock()
	done := make(chan error, 1)
	go func() { done <- p.wait(context.Background(), false) }()
	// Wait until it queues, then hand it a token given 10 ms ago.
	for n, deadline := 0, time.Now().Add(5*time.Second); n != 1; {
		if time.Now().After(deadline) {
			t.Fatal("the waiter never queued")
		}
		time.Sleep(time.Millisecond)
		p.mu.Lock()
		n = p.queues[1].len()
		p.mu.Unlock()
	}
	p.mu.Lock()
	ch := p.queues[1].q[p.queues[1].head]
	p.queues[1].q[p.queues[1].head] = nil
	p.queues[1].head++
	p.mu.Unlock()
	ch <- time.Now().Add(-10 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("a stale token was used: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	p.mu.Lock()
	requeued := p.queues[0].len()
	p.state.last = time.Now()
	p.mu.Unlock()
	if requeued != 1 {
		t.Fatalf("the waiter with a stale token is not queued with the retries: %d", requeued)
	}
	if err := <-done; err != nil { // served once the bucket earns again
		t.Fatal(err)
	}
}

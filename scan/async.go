package scan

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/ajarsec/ajar/record"
)

// flight is one probe the engine keeps in flight, or holds for its next
// try: a slot of a fixed table, reused from probe to probe.
type flight struct {
	pos        uint64
	host       uint64
	dst        netip.AddrPort
	out        Outcome       // the try's outcome, written by its done
	backoff    time.Duration // the pause after the next local failure
	wait       time.Duration // how long the try under way waits
	silentWait time.Duration // how long the last unanswered try was waited for
	// Times on the engine's clock (async.now): a slot is a few bytes
	// smaller than with time.Time, times the parallelism.
	sent       int64 // when the try under way was sent
	silent     int64 // when the last unanswered try was sent (0: none was)
	due        int64 // a paused try's time to go again
	attempt    int32 // tries counted against Config.Retries
	free       int32 // silent tries not counted (sent while the path lost packets)
	localFails int32
	plan       uint8
	early      uint8 // earlyShort, earlyAgain, or 0
}

// A first try sent before the scan has any round-trip time (the warm-up)
// waits earlyWait, not the initial timeout: the scan's first answers
// come long before it on most paths, and a warm-up try to a silent port
// would otherwise hold the whole scan for the initial timeout. When it
// goes unanswered, it counts as a try, and the retry waits the timeout
// known by then (the initial one while nothing has answered); but when
// the scan has learnt a first timeout longer than earlyWait (a slow
// path), it is sent again, not counted against the retries. With no
// retries (Config.Retries < 0) there is nothing to recover a cut-short
// try: warm-up tries wait the initial timeout.
const (
	earlyShort uint8 = 1 + iota // a warm-up try waiting earlyWait
	earlyAgain                  // its second sending: no round-trip sample (Karn)
)

// earlyWait is how long a warm-up try waits: a quarter of the initial
// timeout, at least the shortest timeout.
func (e *Engine) earlyWait() time.Duration {
	return max(e.cfg.InitialTimeout/4, e.cfg.MinTimeout)
}

// async runs an engine whose plans are all AsyncProbers: its probes in
// flight are slots of a table, not goroutines. Two goroutines drive it:
// the sender (send) takes pace tokens and starts tries, retries first;
// the Run goroutine (loop) settles the tries the probers report done,
// emits the results, and queues the retries. The probers' own goroutines
// (receiver, timer) call a slot's done, which only queues the slot.
//
// The table grows a chunk of slots at a time, when the sender finds no
// free slot, up to the engine's parallelism: a scan whose probes settle
// at once (loopback, a host with no route) keeps a few hundred. It does
// not grow while a chunk's worth of done tries wait for loop: then the
// consumer of the results is the bottleneck, and more slots would only
// hold more results waiting.
type async struct {
	e      *Engine
	t0     time.Time     // the zero of now
	batch  []Batcher     // the plans' probers that hold packets back
	flush  func()        // flushAll, made once
	chunks []*chunk      // made by the sender as needed; never moved
	made   int           // slots in chunks, written by the sender
	quit   chan struct{} // closed by loop: the sender returns
	sent   chan struct{} // closed when the sender has returned

	kickSend chan struct{} // something for the sender: a free slot, a retry
	kickLoop chan struct{} // something for loop: a done try, the sender fed all

	mu       sync.Mutex
	idle     []int32 // free slots
	retries  []int32 // slots whose next try waits for the sender, in order
	rhead    int     // retries[:rhead] are taken
	paused   []int32 // slots waiting out a local failure's backoff (due)
	done     []int32 // slots whose try is done, for loop
	spare    []int32 // done's other buffer
	active   int     // slots in use: from a first try to its result
	inProber int     // tries started and not yet done
	fed      bool    // every position was handed out
}

// chunkSize is the slots made at a time.
const chunkSize = 1024

// chunk is chunkSize slots: their flights, their done callbacks (made
// once) and their workers, one per plan, made when first needed.
type chunk struct {
	fl [chunkSize]flight
	cb [chunkSize]func(Outcome)
	ws []AsyncWorker // ws[slot*len(plans)+plan]
}

func newAsync(e *Engine) *async {
	a := &async{e: e, t0: time.Now(), chunks: make([]*chunk, (e.par+chunkSize-1)/chunkSize),
		quit: make(chan struct{}), sent: make(chan struct{}), kickSend: make(chan struct{}, 1), kickLoop: make(chan struct{}, 1)}
	for _, p := range e.plans {
		if b, ok := p.Prober.(Batcher); ok && !slices.Contains(a.batch, b) {
			a.batch = append(a.batch, b)
		}
	}
	a.flush = a.flushAll
	return a
}

// now is the engine's clock: nanoseconds since t0, plus one (never 0).
func (a *async) now() int64 { return int64(time.Since(a.t0)) + 1 }

// at is the time of t, a time on the engine's clock.
func (a *async) at(t int64) time.Time { return a.t0.Add(time.Duration(t - 1)) }

// flushAll sends what the probers hold back; the sender calls it before
// it waits.
func (a *async) flushAll() {
	for _, b := range a.batch {
		b.Flush()
	}
}

// flight is slot i's.
func (a *async) flight(i int32) *flight { return &a.chunks[i/chunkSize].fl[i%chunkSize] }

// grow makes the next chunk of slots and frees them; the sender calls
// it when no slot is free and fewer than the parallelism are made.
func (a *async) grow() {
	c := &chunk{ws: make([]AsyncWorker, chunkSize*len(a.e.plans))}
	base := int32(a.made)
	n := min(chunkSize, a.e.par-a.made)
	for j := range n {
		c.cb[j] = a.doneFunc(base + int32(j))
	}
	a.chunks[base/chunkSize] = c
	a.made += n
	a.mu.Lock()
	for j := n - 1; j >= 0; j-- {
		a.idle = append(a.idle, base+int32(j))
	}
	a.mu.Unlock()
}

// doneFunc is slot i's done callback, made once: it keeps the try's
// outcome and queues the slot for loop. It holds a and i only (24
// bytes), not the chunk too.
func (a *async) doneFunc(i int32) func(Outcome) {
	return func(o Outcome) {
		a.flight(i).out = o
		a.mu.Lock()
		a.done = append(a.done, i)
		a.mu.Unlock()
		kick(a.kickLoop)
	}
}

func kick(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// isAsync reports whether every plan's prober is an AsyncProber.
func (e *Engine) isAsync() bool {
	for _, p := range e.plans {
		if _, ok := p.Prober.(AsyncProber); !ok {
			return false
		}
	}
	return true
}

// runAsync is run for an engine of AsyncProbers; ctx is run's, cancelled
// by fail.
func (e *Engine) runAsync(ctx context.Context, emit func(*record.PortResult, uint64), namer Namer) {
	a := newAsync(e)
	go a.send(ctx)
	a.loop(ctx, emit, namer)
	for _, c := range a.chunks {
		if c == nil {
			break
		}
		for _, w := range c.ws {
			if w != nil {
				w.Close()
			}
		}
	}
}

// loop settles the tries done until the scan is over: every position
// has its result, or ctx ended and no try is left with a prober.
func (a *async) loop(ctx context.Context, emit func(*record.PortResult, uint64), namer Namer) {
	sent := a.sent
	stopped := false
	for {
		a.mu.Lock()
		batch := a.done
		a.done, a.spare = a.spare[:0], nil
		a.inProber -= len(batch)
		over := (a.fed && a.active == 0) || (stopped && a.inProber == 0)
		a.mu.Unlock()
		for _, i := range batch {
			a.settle(ctx, i, emit, namer)
		}
		a.spare = batch[:0]
		if len(batch) > 0 {
			// Slots freed, retries queued: one wake-up of the sender
			// for the batch, not one a probe.
			kick(a.kickSend)
			continue
		}
		if over {
			break
		}
		select {
		case <-a.kickLoop:
		case <-sent:
			stopped, sent = true, nil
		}
	}
	close(a.quit)
	<-a.sent
}

// settle decides what slot i's try, done, means: a result, another try,
// or (ctx ended) nothing learnt.
func (a *async) settle(ctx context.Context, i int32, emit func(*record.PortResult, uint64), namer Namer) {
	e := a.e
	f := a.flight(i)
	o := f.out
	switch {
	case o.Err != nil:
		if ctx.Err() != nil {
			a.release(i)
			return
		}
		if errors.Is(o.Err, syscall.ENOBUFS) || errors.Is(o.Err, syscall.EAGAIN) {
			e.pace.loss(a.at(f.sent)) // a full queue on this machine
		}
		if f.localFails++; f.localFails > maxLocalFails {
			e.fail(fmt.Errorf("probing %v: %w", f.dst, o.Err))
			a.release(i)
			return
		}
		// A local shortage: the same try again, after a pause.
		f.due = a.now() + int64(f.backoff)
		f.backoff = min(2*f.backoff, 500*time.Millisecond)
		a.mu.Lock()
		a.paused = append(a.paused, i)
		a.mu.Unlock()
		return
	case o.NoAnswer:
		if ctx.Err() != nil {
			a.release(i) // the wait was cut short: nothing learnt
			return
		}
		if f.early == earlyShort {
			if !e.timing.learnt() || e.timing.timeout(f.host, 0) <= f.wait {
				// It waited as long as a first try does now, or the
				// path is still silent: a try, the retry waiting the
				// timeout known by then (the initial one, unknown).
				f.early = 0
			} else {
				// Cut short on a path not known to be that fast:
				// again, with the timeout the scan knows now, its
				// silence neither a try nor a loss.
				f.early = earlyAgain
				a.mu.Lock()
				a.retries = append(a.retries, i)
				a.mu.Unlock()
				return
			}
		}
		f.silent, f.silentWait = f.sent, f.wait
		if f.free < maxFreeTries && e.pace.lossNear(a.at(f.sent)) {
			f.free++ // sent while the path lost packets
		} else {
			f.attempt++
		}
		if int(f.attempt) <= e.cfg.Retries {
			a.mu.Lock()
			a.retries = append(a.retries, i)
			a.mu.Unlock()
			return
		}
		proto := e.plans[f.plan].Prober.Proto()
		o = Outcome{State: record.Filtered, Reason: record.ReasonNoResponse}
		if proto == record.UDP {
			o.State = record.OpenFiltered // UDP services often answer nothing
		}
	default:
		// As in probe: a retry's answer after silence is a loss, unless
		// it is the silent try's, late.
		if f.silent != 0 && lossSignal(o.Reason) && o.RTT <= f.silentWait {
			e.pace.loss(a.at(f.silent))
		}
		if o.RTT > 0 && f.early != earlyAgain {
			e.timing.add(f.host, o.RTT)
		}
	}
	r := &record.PortResult{Host: f.dst.Addr(), Port: f.dst.Port(), Proto: e.plans[f.plan].Prober.Proto(),
		State: o.State, Reason: o.Reason, RTT: o.RTT}
	if namer != nil {
		r.Hostname = namer.Name(r.Host)
	}
	pos := f.pos
	a.release(i)
	e.done.Add(1)
	if r.State == record.Open {
		e.open.Add(1)
	}
	emit(r, pos)
	e.track.finish(pos)
}

// release frees slot i for another position.
func (a *async) release(i int32) {
	a.mu.Lock()
	a.idle = append(a.idle, i)
	a.active--
	a.mu.Unlock()
}

// work is what the sender does next.
type work uint8

const (
	workWait  work = iota // nothing now
	workRetry             // slot i's next try
	workFirst             // a free slot for the next position
)

// next picks the sender's next work, retries first; for workWait, due
// is when the first paused slot may go again (zero: none is).
func (a *async) next(now int64, more bool) (w work, i int32, due int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.rhead < len(a.retries) {
		i = a.retries[a.rhead]
		if a.rhead++; a.rhead == len(a.retries) {
			a.retries, a.rhead = a.retries[:0], 0
		}
		return workRetry, i, due
	}
	for k, j := range a.paused {
		d := a.flight(j).due
		if d <= now {
			a.paused[k] = a.paused[len(a.paused)-1]
			a.paused = a.paused[:len(a.paused)-1]
			return workRetry, j, due
		}
		if due == 0 || d < due {
			due = d
		}
	}
	if more && (len(a.idle) > 0 || a.made < a.e.par && len(a.done) < chunkSize) {
		return workFirst, 0, due
	}
	if !more && !a.fed {
		a.fed = true
		kick(a.kickLoop)
	}
	return workWait, 0, due
}

// take takes a free slot for a first try, making slots when none is
// free; next saw that it may.
func (a *async) take() int32 {
	a.mu.Lock()
	if len(a.idle) == 0 {
		a.mu.Unlock()
		a.grow()
		a.mu.Lock()
	}
	defer a.mu.Unlock()
	i := a.idle[len(a.idle)-1]
	a.idle = a.idle[:len(a.idle)-1]
	a.active++
	return i
}

// send hands out positions and retries until loop says the scan is over
// or ctx ends.
func (a *async) send(ctx context.Context) {
	defer close(a.sent)
	defer a.flush()
	e := a.e
	t := time.NewTimer(time.Hour)
	t.Stop()
	np := uint64(len(e.slots))
	k := e.from.Start
	first := 0 // first tries started
	for {
		w, i, due := a.next(a.now(), k < e.total)
		switch w {
		case workRetry:
			if e.pace.take(ctx, true, t, a.flush) != nil {
				return
			}
			a.start(ctx, i)
			continue
		case workFirst:
			if e.track != nil && k-e.track.mark.Load() >= maxWindow {
				a.flush() // admit waits for tries started, maybe held back
			}
			probe, ok := e.admit(ctx, k)
			if !ok {
				return
			}
			if !probe {
				k++
				continue // done before RunTracked started
			}
			if first == warmup && !a.warm(ctx, t) {
				return
			}
			if e.pace.take(ctx, false, t, a.flush) != nil {
				return
			}
			i = a.take()
			idx := e.cfg.Shard + k*e.cfg.Shards // k-th position of the shard
			if e.cfg.Order != nil {
				idx = e.cfg.Order.At(idx)
			}
			h := idx / np
			sl := e.slots[idx%np]
			*a.flight(i) = flight{pos: k, host: h, dst: netip.AddrPortFrom(e.targets.At(h), sl.port), plan: sl.plan, backoff: time.Millisecond}
			k++
			first++
			a.start(ctx, i)
			continue
		}
		a.flush()
		var timer <-chan time.Time
		if due != 0 {
			t.Reset(max(time.Duration(due-a.now()), time.Microsecond))
			timer = t.C
		}
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-a.quit:
			t.Stop()
			return
		case <-a.kickSend:
		case <-timer:
		}
		t.Stop()
	}
}

// warm holds the first tries past the warm-up until the first answer
// sets the timeouts, so that a first wave of silent ports does not each
// wait the initial timeout; it reports false if ctx ended first.
func (a *async) warm(ctx context.Context, t *time.Timer) bool {
	a.flush()
	t.Reset(a.e.cfg.InitialTimeout)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-a.e.timing.warm:
	case <-t.C:
	}
	return true
}

// start sends slot i's next try.
func (a *async) start(ctx context.Context, i int32) {
	e := a.e
	f := a.flight(i)
	c := a.chunks[i/chunkSize]
	wi := int(i%chunkSize)*len(e.plans) + int(f.plan)
	w := c.ws[wi]
	if w == nil {
		w = e.plans[f.plan].Prober.(AsyncProber).NewAsyncWorker()
		c.ws[wi] = w
	}
	f.sent = a.now()
	f.wait = e.timing.timeout(f.host, int(f.attempt))
	if f.attempt == 0 && f.early == 0 && f.free == 0 && e.cfg.Retries > 0 && !e.timing.learnt() && e.earlyWait() < f.wait {
		f.wait, f.early = e.earlyWait(), earlyShort
	}
	a.mu.Lock()
	a.inProber++
	a.mu.Unlock()
	if hs, ok := w.(HoldStarter); ok && len(a.batch) > 0 {
		hs.StartHeld(ctx, f.dst, f.wait, c.cb[i%chunkSize])
		return
	}
	w.Start(ctx, f.dst, f.wait, c.cb[i%chunkSize])
}

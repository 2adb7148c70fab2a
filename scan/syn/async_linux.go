package syn

import (
	"context"
	"net/netip"
	"time"

	"github.com/ajarsec/ajar/scan"
)

// start runs one probe without a goroutine of its own: a worker from the
// free list carries it, and whoever settles it calls done (see
// Prober.Start).
func (p *prober) start(ctx context.Context, dst netip.AddrPort, timeout time.Duration, done func(scan.Outcome)) {
	w := p.freeWorker()
	w.refs.Store(2) // this call's, and the settler's
	w.cb, w.actx = done, ctx
	if p.closed.Load() {
		w.abandon(scan.Outcome{Err: errClosed})
		return
	}
	to, o, ok := w.prepare(dst)
	if !ok {
		w.abandon(o)
		return
	}
	w.watch(ctx)
	gen, ok := w.arm(to, ctx.Done())
	if !ok {
		w.abandon(scan.Outcome{Err: errClosed})
		return
	}
	switch {
	case ctx.Err() != nil:
		w.settle(gen, result{kind: resCancel})
	case w.keptAnswer(gen):
	default:
		w.transmit(gen, timeout)
	}
	p.release(w)
}

// freeWorker takes a worker from the free list, or makes one.
func (p *prober) freeWorker() *worker {
	p.freeMu.Lock()
	if n := len(p.free); n > 0 {
		w := p.free[n-1]
		p.free[n-1] = nil
		p.free = p.free[:n-1]
		p.freeMu.Unlock()
		return w
	}
	p.freeMu.Unlock()
	return p.newWorker()
}

// release lets go of one hold on a worker of Start's; the last one puts
// it on the free list.
func (p *prober) release(w *worker) {
	if w.refs.Add(-1) != 0 {
		return
	}
	p.freeMu.Lock()
	p.free = append(p.free, w)
	p.freeMu.Unlock()
}

// abandon ends a probe of Start's that was never armed, with o.
func (w *worker) abandon(o scan.Outcome) {
	cb := w.cb
	w.cb, w.actx = nil, nil
	w.refs.Store(1)
	w.p.release(w)
	cb(o)
}

// asyncWorker is a worker an engine's slot owns (scan.AsyncWorker): it
// carries that slot's probes, one at a time, each started by Start and
// settled by the receiver, the expirer, ctx or Close, which call done.
// Its tries of one destination go out from different source ports, and a
// late answer to a try is delivered to the next, as a worker's Probe
// does. It looks routes up on the prober's shared netlink sockets only:
// one sender starts every probe, and thousands of slots must not open a
// socket each.
// It is the worker itself, under another method set: an interface value
// holding it allocates nothing more.
type asyncWorker worker

func (p *prober) newAsyncWorker() scan.AsyncWorker {
	w := p.freeWorker()
	w.owned = true
	return (*asyncWorker)(w)
}

// Start implements scan.AsyncWorker: the SYN goes out before it returns.
func (a *asyncWorker) Start(ctx context.Context, dst netip.AddrPort, timeout time.Duration, done func(scan.Outcome)) {
	a.start(ctx, dst, timeout, done, false)
}

// StartHeld implements scan.HoldStarter: the SYN waits in the prober's
// batch (batch_linux.go) for its Flush, or until the batch is full.
func (a *asyncWorker) StartHeld(ctx context.Context, dst netip.AddrPort, timeout time.Duration, done func(scan.Outcome)) {
	a.start(ctx, dst, timeout, done, true)
}

func (a *asyncWorker) start(ctx context.Context, dst netip.AddrPort, timeout time.Duration, done func(scan.Outcome), held bool) {
	w := (*worker)(a)
	w.cb, w.actx = done, ctx
	if w.p.closed.Load() {
		done(scan.Outcome{Err: errClosed})
		return
	}
	to, o, ok := w.prepare(dst)
	if !ok {
		done(o)
		return
	}
	w.watch(ctx)
	gen, ok := w.arm(to, ctx.Done())
	if !ok {
		done(scan.Outcome{Err: errClosed})
		return
	}
	switch {
	case ctx.Err() != nil:
		w.settle(gen, result{kind: resCancel})
	case w.keptAnswer(gen):
	case held:
		w.p.queue(w, gen, timeout)
	default:
		w.transmit(gen, timeout)
	}
}

// Close puts the worker back on the prober's free list; its last probe
// is settled.
func (a *asyncWorker) Close() error {
	w := (*worker)(a)
	w.p.watch.Leave(&w.ck)
	w.owned, w.cb, w.actx = false, nil, nil
	w.refs.Store(1)
	w.p.release(w)
	return nil
}

// newSyncWorker makes a worker for Probe, which waits on its wake channel.
func (p *prober) newSyncWorker() *worker {
	w := p.newWorker()
	w.wake = make(chan struct{}, 1)
	return w
}

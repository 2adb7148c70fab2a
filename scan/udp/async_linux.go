package udp

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ajarsec/ajar/scan"
	"github.com/ajarsec/ajar/scan/internal/cancelwatch"
	"github.com/ajarsec/ajar/scan/internal/evloop"
	"github.com/ajarsec/ajar/scan/internal/probesock"
)

// loop is an Async prober's event loop (evloop): every socket of its
// workers is registered with it once, edge triggered, and its goroutine
// settles the probe whose socket hears a datagram or an ICMP error, or
// whose deadline passes. A probe in flight is a worker's socket and its
// buffers, not a goroutine.
type loop struct {
	pr    Prober
	ev    *evloop.Loop[probeRef]
	watch *cancelwatch.Group // the contexts whose cancellation settles probes

	pool evloop.Pool[*aworker] // by index, as tagged in the loop (evloop.Tag)
}

// probeRef names one probe: a worker's, by its generation.
type probeRef struct {
	w   *aworker
	gen uint32
}

var errClosed = errors.New("udp: prober closed")

func newLoop(pr Prober) (*loop, error) {
	l := &loop{pr: pr}
	l.watch = cancelwatch.NewGroup(l.pool.Cancelled)
	ev, err := evloop.New(l.pool.Ready, expire)
	if err != nil {
		return nil, err
	}
	l.ev = ev
	return l, nil
}

func expire(r probeRef, _ int64) { r.w.expire(r.gen) }

// close stops the loop: every probe under way ends with errClosed, and
// the workers' sockets are closed.
func (l *loop) close() error { return evloop.Close(&l.pool, l.ev, errClosed) }

// aworker is an engine slot's worker (scan.AsyncWorker): the probe state
// and buffers of a worker's Probe (w: one probe at a time, nothing
// allocated), its sockets as bare descriptors registered with the loop,
// and the probe under way. Start runs on the engine's sender; ready,
// expire and cancel on the loop's goroutine or the watch's; mu orders
// them.
type aworker struct {
	l   *loop
	idx int32

	mu     sync.Mutex
	w      worker
	fd     [2]int // IPv4, IPv6; -1 when closed
	fam    int
	active bool
	gen    uint32
	cb     func(scan.Outcome)
	actx   context.Context
	ck     cancelwatch.Key // its place in the loop's watch of contexts
}

// newWorker takes a worker from the free list, or makes one.
func (l *loop) newWorker() scan.AsyncWorker {
	return l.pool.Get(func(idx int32) *aworker {
		w := &aworker{l: l, fd: [2]int{-1, -1}, idx: idx}
		w.w.pr = l.pr
		return w
	})
}

// Start implements scan.AsyncWorker: it sends dst's payload, as a
// worker's Probe does, and returns; the loop settles the probe.
func (a *aworker) Start(ctx context.Context, dst netip.AddrPort, timeout time.Duration, done func(scan.Outcome)) {
	a.l.watch.Set(&a.ck, ctx)
	a.mu.Lock()
	if a.l.ev.Stopped() {
		a.mu.Unlock()
		done(scan.Outcome{Err: errClosed})
		return
	}
	if err := ctx.Err(); err != nil {
		a.mu.Unlock()
		done(scan.Outcome{Err: err})
		return
	}
	w := &a.w
	a.fam = 0
	if w.setDst(dst) {
		a.fam = 1
	}
	if a.fd[a.fam] < 0 {
		if err := a.open(a.fam); err != nil {
			a.mu.Unlock()
			done(scan.Outcome{Err: err})
			return
		}
	}
	fd := a.fd[a.fam]
	w.pl = w.pr.payloadFor(dst.Port())
	a.gen++
	a.active, a.cb, a.actx = true, done, ctx
	if out, ok := w.associate(fd); !ok {
		a.finish(out)
		return
	}
	w.drain(fd)
	w.start = time.Now()
	if out, sent := w.send(fd); !sent {
		a.finish(out)
		return
	}
	// An answer may be queued already (loopback): its wake-up waits for
	// mu, and finds the probe armed.
	gen := a.gen
	a.mu.Unlock()
	a.l.ev.Due(a.l.ev.Clock()+int64(max(timeout, 0)), probeRef{a, gen})
}

// open makes the worker's socket of family fam and registers it with the
// loop. The caller holds mu.
func (a *aworker) open(fam int) error {
	fd, err := probesock.OpenFD(fam == 1, unix.SOCK_DGRAM)
	if err != nil {
		return err
	}
	if err := a.l.ev.Add(fd, unix.EPOLLIN, evloop.Tag(a.idx, fam)); err != nil {
		unix.Close(fd)
		return err
	}
	a.fd[fam] = fd
	return nil
}

// finish settles the probe under way with out and calls its done; the
// caller holds mu, which finish lets go of.
func (a *aworker) finish(out scan.Outcome) {
	cb := a.cb
	a.active, a.cb, a.actx = false, nil, nil
	a.mu.Unlock()
	cb(out)
}

// Ready is the loop's: the socket of family fam woke (a datagram, or an
// ICMP error on its queue). What came for an earlier probe is read and
// left; the probe under way waits on.
func (a *aworker) Ready(fam int) {
	a.mu.Lock()
	if !a.active || a.fam != fam {
		a.mu.Unlock()
		return
	}
	if !a.w.readStep(uintptr(a.fd[fam])) {
		a.mu.Unlock()
		return
	}
	a.finish(a.w.out)
}

// expire is the loop's: probe gen's time is up. As a worker's Probe
// does, it reads the socket once more: an answer that came while the
// loop was busy is still an answer.
func (a *aworker) expire(gen uint32) {
	a.mu.Lock()
	if !a.active || a.gen != gen {
		a.mu.Unlock()
		return
	}
	if a.w.readStep(uintptr(a.fd[a.fam])) {
		a.finish(a.w.out)
		return
	}
	a.finish(scan.Outcome{NoAnswer: true})
}

// Cancel settles the probe under way, started with a context whose Done
// is done, as cancelled.
func (a *aworker) Cancel(done <-chan struct{}) {
	a.mu.Lock()
	if !a.active || a.actx == nil || a.actx.Done() != done {
		a.mu.Unlock()
		return
	}
	a.finish(scan.Outcome{Err: a.actx.Err()})
}

// End settles the probe under way, if any, with err, and closes the
// sockets; the loop is stopped.
func (a *aworker) End(err error) {
	a.mu.Lock()
	a.closeFDs()
	if !a.active {
		a.mu.Unlock()
		return
	}
	a.finish(scan.Outcome{Err: err})
}

// closeFDs closes the sockets, which leave the loop. The caller holds mu.
func (a *aworker) closeFDs() error {
	var errs []error
	for fam, fd := range a.fd {
		if fd >= 0 {
			errs = append(errs, unix.Close(fd))
			a.fd[fam] = -1
		}
	}
	return errors.Join(errs...)
}

// Close implements scan.AsyncWorker: it closes the worker's sockets; no
// probe of it is under way. The worker goes back to the prober.
func (a *aworker) Close() error {
	a.l.watch.Leave(&a.ck)
	a.mu.Lock()
	err := a.closeFDs()
	a.mu.Unlock()
	a.l.pool.Put(a)
	if err != nil {
		return fmt.Errorf("udp: %w", os.NewSyscallError("close", err))
	}
	return nil
}

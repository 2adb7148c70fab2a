package connect

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
// settles the probe whose socket wakes, or whose deadline (on a timing
// wheel) passes. A probe in flight is a worker's socket and a few fields,
// not a goroutine.
type loop struct {
	ev    *evloop.Loop[probeRef]
	watch *cancelwatch.Group // the contexts whose cancellation settles probes

	pool evloop.Pool[*aworker] // by index, as tagged in the loop (evloop.Tag)
}

// probeRef names one probe: a worker's, by its generation.
type probeRef struct {
	w   *aworker
	gen uint32
}

func newLoop() (*loop, error) {
	l := &loop{}
	l.watch = cancelwatch.NewGroup(l.pool.Cancelled)
	ev, err := evloop.New(l.pool.Ready, expire)
	if err != nil {
		return nil, err
	}
	l.ev = ev
	return l, nil
}

func expire(r probeRef, _ int64) { r.w.expire(r.gen) }

// close stops the loop: every probe under way ends with errClosed.
func (l *loop) close() error { return evloop.Close(&l.pool, l.ev, errClosed) }

var errClosed = errors.New("connect: prober closed")

// aworker is an engine slot's worker (scan.AsyncWorker): one socket per
// address family, registered with the loop while open, and the probe
// under way. Start runs on the engine's sender; ready and expire on the
// loop's goroutine; mu orders them.
type aworker struct {
	l   *loop
	idx int32

	mu      sync.Mutex
	fd      [2]int // IPv4, IPv6; -1 when closed
	dst     probesock.Dst
	sa      unix.Sockaddr
	fam     int
	active  bool
	waiting bool // the handshake is under way (EINPROGRESS)
	gen     uint32
	start   time.Time
	cb      func(scan.Outcome)
	actx    context.Context

	ck cancelwatch.Key // its place in the loop's watch of contexts
}

// newWorker takes a worker from the free list, or makes one.
func (l *loop) newWorker() scan.AsyncWorker {
	return l.pool.Get(func(idx int32) *aworker {
		w := &aworker{l: l, fd: [2]int{-1, -1}, idx: idx}
		return w
	})
}

// Start implements scan.AsyncWorker.
func (w *aworker) Start(ctx context.Context, dst netip.AddrPort, timeout time.Duration, done func(scan.Outcome)) {
	w.l.watch.Set(&w.ck, ctx)
	w.mu.Lock()
	if w.l.ev.Stopped() {
		w.mu.Unlock()
		done(scan.Outcome{Err: errClosed})
		return
	}
	if _, err := probesock.ZoneID(dst.Addr()); err != nil {
		w.mu.Unlock()
		done(scan.Outcome{Err: fmt.Errorf("connect: %w", err)})
		return
	}
	sa, v6 := w.dst.Set(dst)
	w.sa, w.fam = sa, 0
	if v6 {
		w.fam = 1
	}
	if w.fd[w.fam] < 0 {
		if err := w.open(w.fam); err != nil {
			w.mu.Unlock()
			done(scan.Outcome{Err: err})
			return
		}
	}
	w.gen++
	w.active, w.waiting, w.cb, w.actx = true, false, done, ctx
	w.start = time.Now()
	if ctx.Err() != nil {
		w.finish(scan.Outcome{Err: ctx.Err()}) // unlocks
		return
	}
	if out, ok := w.step(); ok {
		w.finish(out)
		return
	}
	gen := w.gen
	w.mu.Unlock()
	w.l.ev.Due(w.l.ev.Clock()+int64(max(timeout, 0)), probeRef{w, gen})
}

// open makes the worker's socket of family fam and registers it with the
// loop. The caller holds mu.
func (w *aworker) open(fam int) error {
	fd, err := openFD(fam == 1)
	if err != nil {
		return err
	}
	if err := w.l.ev.Add(fd, unix.EPOLLOUT, evloop.Tag(w.idx, fam)); err != nil {
		unix.Close(fd)
		return err
	}
	w.fd[fam] = fd
	return nil
}

// step runs connect on the probe's socket: the first call starts the
// handshake, a later one reports how it ended (connectStep); ok is false
// while it is under way. The caller holds mu.
func (w *aworker) step() (scan.Outcome, bool) {
	fd := w.fd[w.fam]
	err := unix.Connect(fd, w.sa)
	if !w.waiting && err == unix.EINPROGRESS {
		w.waiting = true
		return scan.Outcome{}, false
	}
	if w.waiting && (err == unix.EALREADY || err == unix.EINPROGRESS) {
		soErr, gerr := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
		if gerr != nil || soErr == 0 {
			return scan.Outcome{}, false // woken early
		}
		err = unix.Errno(soErr)
	}
	out, keep := classify(fd, err, time.Since(w.start), w.dst.Port(w.sa))
	if !keep {
		w.drop()
	}
	return out, true
}

// drop closes the probe's socket, which leaves the loop with it. The
// caller holds mu.
func (w *aworker) drop() {
	if fd := w.fd[w.fam]; fd >= 0 {
		unix.Close(fd)
		w.fd[w.fam] = -1
	}
}

// finish settles the probe under way with out and calls its done; the
// caller holds mu, which finish lets go of.
func (w *aworker) finish(out scan.Outcome) {
	cb := w.cb
	w.active, w.cb, w.actx = false, nil, nil
	w.mu.Unlock()
	cb(out)
}

// Ready is the loop's: the socket of family fam (0: IPv4, 1: IPv6) woke.
func (w *aworker) Ready(fam int) {
	w.mu.Lock()
	if !w.active || !w.waiting || w.fam != fam {
		w.mu.Unlock()
		return
	}
	out, ok := w.step()
	if !ok {
		w.mu.Unlock()
		return
	}
	w.finish(out)
}

// expire is the loop's: probe gen's time is up. As a worker's Probe
// does, it asks the socket once more (an answer read late is still an
// answer), and abandons a handshake still silent, keeping the socket.
func (w *aworker) expire(gen uint32) {
	w.mu.Lock()
	if !w.active || w.gen != gen {
		w.mu.Unlock()
		return
	}
	if out, ok := w.step(); ok {
		w.finish(out)
		return
	}
	if disconnect(w.fd[w.fam]) != nil {
		w.drop()
	}
	w.waiting = false
	w.finish(scan.Outcome{NoAnswer: true})
}

// End settles the probe under way, if any, with err, and closes the
// sockets; the loop is stopped.
func (w *aworker) End(err error) {
	w.mu.Lock()
	for fam, fd := range w.fd {
		if fd >= 0 {
			unix.Close(fd)
			w.fd[fam] = -1
		}
	}
	if !w.active {
		w.mu.Unlock()
		return
	}
	w.finish(scan.Outcome{Err: err})
}

// Cancel settles the probe under way, started with a context whose Done
// is done, as cancelled; the socket is dropped, its handshake abandoned.
func (w *aworker) Cancel(done <-chan struct{}) {
	w.mu.Lock()
	if !w.active || w.actx == nil || w.actx.Done() != done {
		w.mu.Unlock()
		return
	}
	err := w.actx.Err()
	w.drop()
	w.finish(scan.Outcome{Err: err})
}

// Close implements scan.AsyncWorker: it closes the worker's sockets,
// which leave the loop; no probe of it is under way.
func (w *aworker) Close() error {
	w.l.watch.Leave(&w.ck)
	w.mu.Lock()
	defer w.mu.Unlock()
	var errs []error
	for fam, fd := range w.fd {
		if fd >= 0 {
			errs = append(errs, unix.Close(fd))
			w.fd[fam] = -1
		}
	}
	w.l.pool.Put(w)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("connect: %w", os.NewSyscallError("close", err))
	}
	return nil
}

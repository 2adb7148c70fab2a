package syn

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/scan"
	"github.com/ajarsec/ajar/scan/internal/cancelwatch"
	"github.com/ajarsec/ajar/scan/internal/wheel"
)

// errClosed ends probes sent after the prober was closed.
var errClosed = errors.New("syn: prober closed")

// worker sends one probe at a time from its source port. A probe builds
// its SYN, sends it, reads what answers have come (on a local link its
// own is often there already), and sleeps until it is settled: by an
// answer, by the expirer when its time is up, by the prober's Close, or
// by the probe's context. Whoever settles it first (under the port's
// lock) wakes it, once; the others find it settled. The wait is one
// channel of its own: no timer, no select over channels every worker
// shares.
type worker struct {
	p    *prober
	wake chan struct{} // one token per probe, from whoever settles it; nil for Start's workers, which are called back
	tx   *txSender     // its own packet, for a SYN sent at once (transmit); nil until one is
	nl   *nlSock       // route lookups, when it has its own socket

	// The probe prepare made ready, for build, written and read by the
	// worker's own goroutine: its source address (the port is
	// tryPort(home, tag)), sequence number and scope (link-local IPv6,
	// else 0). Its destination is armed.
	src  netip.Addr
	seq  uint32
	zone uint32
	gen  uint32 // probes sent so far
	home int32  // index of the worker's own port among the prober's (slot)
	try  uint8  // the next probe's try of its destination, from prepare to arm

	asked uint8 // route lookups it made on shared sockets
	// owned: the worker is an engine slot's (asyncWorker), not on the
	// free list while it carries probes: no refs are counted.
	owned bool

	// ck is the worker's place in the prober's watch of the contexts
	// whose cancellation settles its probes.
	ck cancelwatch.Key

	// For a probe Start runs (async.go), done is called in place of a
	// wake, by whoever settles it; refs counts Start's hold on the
	// worker and the settler's, and the last to let go frees it.
	cb   func(scan.Outcome)
	actx context.Context
	refs atomic.Int32

	// Guarded by slot().mu: the probe under way, read by whoever settles
	// it, and the previous one, whose late answers may still come. Only
	// the worker's own goroutine writes armed (in arm), and reads it
	// without the lock.
	active   bool
	tag      uint8          // its try, as tagged in its sequence number
	prevTag  uint8          // the previous probe's tag
	cur      uint32         // gen of the probe under way
	armed    netip.AddrPort // its destination, without zone
	sent     int64          // when it was sent
	done     <-chan struct{}
	res      result
	prevDst  netip.AddrPort
	prevSent int64
}

// slot is the table entry of the worker's own port.
func (w *worker) slot() *portSlot { return &w.p.slots[w.home] }

// result is how a probe was settled.
type result struct {
	kind  resultKind
	ans   heard
	sent  int64 // for answers: when the SYN they answer was sent
	errno unix.Errno
}

type resultKind uint8

const (
	resAnswer resultKind = iota + 1
	resTimeout
	resSendErr
	resCancel
	resClosed
)

func (p *prober) newWorker() *worker {
	i := (p.next.Add(1) - 1) % uint32(len(p.slots))
	w := p.allocWorker()
	*w = worker{p: p, home: int32(i)}
	s := w.slot()
	s.mu.Lock()
	s.ws = append(s.ws, w)
	s.mu.Unlock()
	return w
}

// maxSlab is the most workers allocWorker makes at a time.
const maxSlab = 256

// allocWorker hands out a zero worker from a slab made a few at a time,
// more (up to maxSlab) as the scan keeps more probes in flight: a scan
// of 20,000 in flight makes about a hundred allocations, not 20,000.
func (p *prober) allocWorker() *worker {
	p.slabMu.Lock()
	defer p.slabMu.Unlock()
	if len(p.slab) == 0 {
		p.slabN = min(max(2*p.slabN, 16), maxSlab)
		p.slab = make([]worker, p.slabN)
	}
	w := &p.slab[0]
	p.slab = p.slab[1:]
	return w
}

// Close takes the worker out of the prober's table and closes its
// netlink socket.
func (w *worker) Close() error {
	w.p.watch.Leave(&w.ck)
	if w.nl != nil {
		w.nl.Close()
		w.nl = nil
	}
	s := w.slot()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, o := range s.ws {
		if o == w {
			s.ws[i] = s.ws[len(s.ws)-1]
			s.ws[len(s.ws)-1] = nil
			s.ws = s.ws[:len(s.ws)-1]
			break
		}
	}
	return nil
}

// Probe sends one SYN to dst and waits for its answer.
func (w *worker) Probe(ctx context.Context, dst netip.AddrPort, timeout time.Duration) scan.Outcome {
	if w.p.closed.Load() {
		return scan.Outcome{Err: errClosed}
	}
	to, o, ok := w.prepare(dst)
	if !ok {
		return o
	}
	w.watch(ctx)
	gen, ok := w.arm(to, ctx.Done())
	if !ok {
		return scan.Outcome{Err: errClosed}
	}
	switch {
	case ctx.Err() != nil: // checked once armed: a cancellation from now on settles it
		w.settle(gen, result{kind: resCancel})
	case w.keptAnswer(gen):
	default:
		w.transmit(gen, timeout)
	}
	<-w.wake
	return w.outcome(ctx)
}

// transmit sends probe gen's SYN and puts its deadline on the expirer's
// wheel; a send the kernel refuses settles the probe with the error.
func (w *worker) transmit(gen uint32, timeout time.Duration) {
	sock := w.p.send4
	if !w.armed.Addr().Is4() {
		sock = w.p.send6
	}
	if w.tx == nil {
		w.tx = new(txSender)
		w.tx.send = w.tx.pk.send
	}
	w.build(&w.tx.pk)
	if err := sock.rc.Control(w.tx.send); err != nil {
		w.settle(gen, result{kind: resClosed})
		return
	}
	if w.tx.pk.errno != 0 {
		w.settle(gen, result{kind: resSendErr, errno: w.tx.pk.errno})
		return
	}
	deadline := w.p.clock() + int64(max(timeout, 0))
	// On a local link the answer is queued by the time the call
	// returns: read it now, without waking the receiver. An engine
	// slot's worker does not: its caller, the engine's one sender,
	// would pay a read for every probe, most of them finding nothing,
	// and the receiver reads many answers a wake-up.
	if !w.owned {
		w.p.poll()
	}
	if w.cb != nil || len(w.wake) == 0 { // maybe not settled yet: it waits
		w.p.wheel.Add(wheel.Entry[probeRef]{At: deadline, V: probeRef{w, gen}})
	}
}

// txSender is a worker's own packet and the function that sends it on a
// socket's descriptor (its send, a method value made once).
type txSender struct {
	pk   txPacket
	send func(fd uintptr)
}

// build writes the SYN of the probe armed into pk.
func (w *worker) build(pk *txPacket) {
	local := netip.AddrPortFrom(w.src, w.p.tryPort(int(w.home), uint32(w.tag)))
	pk.n = buildSYN(pk.buf[:], local, w.armed, w.seq)
	pk.setName(w.armed.Addr(), w.zone)
}

// prepare makes the SYN to dst ready (its source, sequence number and
// scope), for build, and returns the destination to arm; when it cannot,
// the outcome says why.
func (w *worker) prepare(dst netip.AddrPort) (netip.AddrPort, scan.Outcome, bool) {
	addr := dst.Addr().Unmap()
	ifindex := 0
	if z := addr.Zone(); z != "" {
		i, err := netInterfaceIndex(z)
		if err != nil {
			return netip.AddrPort{}, scan.Outcome{Err: err}, false
		}
		ifindex, addr = i, addr.WithZone("")
	}
	rt, err, asked := w.p.routes.lookup(addr, ifindex, time.Now(), w.nl)
	if asked && w.nl == nil && !w.owned {
		if w.asked++; w.asked == 2 {
			// A second host new to the cache: this scan sweeps hosts,
			// and this worker will look up many routes.
			w.nl = w.p.routes.ownSocket()
		}
	}
	if err != nil {
		return netip.AddrPort{}, unreachable(err), false
	}
	if rt.src.Is4() != addr.Is4() {
		return netip.AddrPort{}, scan.Outcome{Err: errors.New("syn: route source of another address family")}, false
	}
	if !addr.Is4() && w.p.send6 == nil {
		return netip.AddrPort{}, scan.Outcome{Err: errors.New("syn: no IPv6 on this machine")}, false
	}
	to := netip.AddrPortFrom(addr, dst.Port())
	// Another try of the same destination goes out from another port:
	// the target may hold the last try's connection half open (its
	// SYN-ACK was lost), and would answer a SYN on it with a reset, or,
	// for the same sequence number, with a SYN-ACK at most twice a
	// second. The try is tagged in the sequence number, which tells the
	// receiver whose port it is (tryPort).
	w.try = 0
	if w.cur != 0 && to == w.armed { // armed is written only by this goroutine
		w.try = (w.tag + 1) & seqTagMask
	}
	w.src = rt.src
	w.gen++
	w.seq = w.p.key.seq(netip.AddrPortFrom(rt.src, w.p.tryPort(int(w.home), uint32(w.try))), to)&^seqTagMask | uint32(w.try)
	w.zone = 0
	if addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() {
		w.zone = uint32(max(ifindex, rt.ifindex))
	}
	return to, scan.Outcome{}, true
}

// arm publishes the probe to dst, made ready by prepare, under way, to
// whoever may settle it. It fails once the prober is closed.
func (w *worker) arm(dst netip.AddrPort, done <-chan struct{}) (uint32, bool) {
	select {
	case <-w.wake: // never left by a settled probe; harmless
	default:
	}
	now := w.p.clock()
	s := w.slot()
	s.mu.Lock()
	defer s.mu.Unlock()
	if w.p.closed.Load() {
		return 0, false
	}
	if w.cur != 0 {
		w.prevDst, w.prevSent, w.prevTag = w.armed, w.sent, w.tag
	}
	w.armed, w.active, w.cur, w.tag, w.sent, w.done = dst, true, w.gen, w.try, now, done
	return w.gen, true
}

// keptAnswer settles probe gen with an answer to an earlier probe of dst
// that came after that probe gave up, if the prober kept one.
func (w *worker) keptAnswer(gen uint32) bool {
	a, sent, ok := w.p.late.take(w.armed, w.p.clock())
	if !ok {
		return false
	}
	w.p.rescued.Add(1)
	return w.settle(gen, result{kind: resAnswer, ans: a, sent: sent})
}

// settle ends probe gen with r and wakes its worker, unless it is over
// already; it reports whether it did.
func (w *worker) settle(gen uint32, r result) bool {
	s := w.slot()
	s.mu.Lock()
	if !w.active || w.cur != gen {
		s.mu.Unlock()
		return false
	}
	w.active, w.res = false, r
	s.mu.Unlock()
	w.wakeUp()
	return true
}

// wakeUp hands a settled probe's result on: the one wake token of the
// probe to the worker's goroutine (the send never blocks), or, for a
// probe Start runs, the outcome to its done. The caller settled the
// probe, and holds no lock.
func (w *worker) wakeUp() {
	cb := w.cb
	if cb == nil {
		w.wake <- struct{}{}
		return
	}
	o := w.outcome(w.actx)
	if !w.owned {
		w.p.release(w)
	}
	cb(o)
}

// deliver settles the probe under way with a, an answer from its
// destination; the caller holds slot.mu and has checked that w is
// active and waits for a.from. The RTT is counted from the SYN the answer
// answers: the probe's own, or the previous one to the same port.
func (w *worker) deliver(a *answer) {
	sent := w.sent
	if a.tag != w.tag && a.tag == w.prevTag && w.prevDst == a.from {
		sent = w.prevSent
	}
	w.active, w.res = false, result{kind: resAnswer, ans: a.heard, sent: sent}
}

// expire ends probe gen, silent until its deadline, at now; the
// caller is the expirer. The prober remembers it gave up, under the
// port's lock, so that an answer to it never falls between the two.
func (w *worker) expire(gen uint32, now int64) {
	s := w.slot()
	s.mu.Lock()
	if !w.active || w.cur != gen {
		s.mu.Unlock()
		return
	}
	w.active, w.res = false, result{kind: resTimeout}
	w.p.late.gaveUp(w.armed, w.sent, now)
	s.mu.Unlock()
	w.wakeUp()
}

// outcome turns the settled probe's result into the engine's terms.
func (w *worker) outcome(ctx context.Context) scan.Outcome {
	r := &w.res // the wake ordered its writing before this read
	switch r.kind {
	case resAnswer:
		return r.ans.outcome(r.sent)
	case resTimeout:
		return scan.Outcome{NoAnswer: true}
	case resSendErr:
		if r.errno == unix.ENOBUFS || r.errno == unix.EAGAIN {
			w.p.noBuffers.Add(1)
		}
		return unreachable(os.NewSyscallError("sendto", r.errno))
	case resCancel:
		if err := ctx.Err(); err != nil {
			return scan.Outcome{Err: err}
		}
		return scan.Outcome{Err: context.Canceled}
	}
	return scan.Outcome{Err: errClosed}
}

// watch makes the cancellation of ctx settle this worker's probes.
func (w *worker) watch(ctx context.Context) { w.p.watch.Set(&w.ck, ctx) }

// cancelled settles every probe under way that was started under the
// context whose Done channel is done; the prober's watch calls it once
// per context.
func (p *prober) cancelled(done <-chan struct{}) {
	var refs []probeRef
	for i := range p.slots {
		s := &p.slots[i]
		s.mu.Lock()
		for _, w := range s.ws {
			if w.active && w.done == done {
				refs = append(refs, probeRef{w, w.cur})
			}
		}
		s.mu.Unlock()
	}
	for _, r := range refs {
		r.w.settle(r.gen, result{kind: resCancel})
	}
}

// unreachable turns a failure to route or send into the port's state when
// this machine's routing table decided it (no route, an unreachable or a
// prohibit route), or a local error otherwise: no buffer space (ENOBUFS,
// EAGAIN), this machine's own firewall (EPERM), which the engine retries
// after a pause.
func unreachable(err error) scan.Outcome {
	switch {
	case errors.Is(err, unix.ENETUNREACH):
		return scan.Outcome{State: record.Filtered, Reason: record.ReasonNetUnreach}
	case errors.Is(err, unix.EHOSTUNREACH):
		return scan.Outcome{State: record.Filtered, Reason: record.ReasonHostUnreach}
	case errors.Is(err, unix.EACCES):
		return scan.Outcome{State: record.Filtered, Reason: record.ReasonAdminProhibited}
	case errors.Is(err, unix.EINVAL):
		// A blackhole route: the packet would be dropped here, as
		// silently as by a filter on the way.
		return scan.Outcome{NoAnswer: true}
	}
	return scan.Outcome{Err: err}
}

// probeRef names one probe: a worker's, by its generation.
type probeRef struct {
	w   *worker
	gen uint32
}

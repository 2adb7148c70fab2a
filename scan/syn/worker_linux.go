package syn

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ajarsec/ajar/scan"
)

// answer is a checked reply, handed by the receiver to the worker whose
// probe it answers.
type answer struct {
	from               netip.AddrPort
	at                 time.Time
	kind               replyKind
	icmpType, icmpCode uint8
	icmpV6             bool
}

func (a *answer) outcome(start time.Time) scan.Outcome {
	rtt := max(a.at.Sub(start), time.Nanosecond) // the clock is monotonic: never 0 for an answer
	switch a.kind {
	case replySynAck:
		return scan.Outcome{State: scan.Open, Reason: scan.ReasonSynAck, RTT: rtt}
	case replyReset:
		return scan.Outcome{State: scan.Closed, Reason: scan.ReasonReset, RTT: rtt}
	}
	r := scan.ICMPv4Reason(a.icmpType, a.icmpCode)
	if a.icmpV6 {
		r = scan.ICMPv6Reason(a.icmpType, a.icmpCode)
	}
	return scan.Outcome{State: scan.Filtered, Reason: r, RTT: rtt}
}

// answerQueue is how many answers a worker holds unread: a duplicate
// beyond them is dropped, never waited for.
const answerQueue = 4

// errClosed ends probes sent after the prober was closed.
var errClosed = errors.New("syn: prober closed")

// worker sends one probe at a time from its source port. Everything a
// probe needs is kept here, so a probe allocates nothing.
type worker struct {
	p     *prober
	port  uint16
	slot  *portSlot
	ch    chan answer
	timer *time.Timer
	nl    *nlSock // route lookups, when it has its own socket
	asked int     // route lookups it made on shared sockets

	buf     [maxSYNLen]byte
	n       int
	sa4     unix.SockaddrInet4
	sa6     unix.SockaddrInet6
	to      unix.Sockaddr
	sendErr error
	send    func(fd uintptr)

	// Guarded by slot.mu: the probe under way, read by the receiver.
	dst    netip.AddrPort
	active bool
}

func (p *prober) newWorker() *worker {
	i := (p.next.Add(1) - 1) % uint32(len(p.slots))
	w := &worker{p: p, port: p.lo + uint16(i), slot: &p.slots[i], ch: make(chan answer, answerQueue)}
	w.timer = time.NewTimer(time.Hour)
	w.timer.Stop()
	w.send = func(fd uintptr) {
		for {
			w.sendErr = unix.Sendto(int(fd), w.buf[:w.n], unix.MSG_DONTWAIT, w.to)
			if w.sendErr != unix.EINTR {
				return
			}
		}
	}
	w.slot.mu.Lock()
	w.slot.ws = append(w.slot.ws, w)
	w.slot.mu.Unlock()
	return w
}

// Close takes the worker out of the prober's table and closes its
// netlink socket.
func (w *worker) Close() error {
	w.timer.Stop()
	if w.nl != nil {
		w.nl.close()
		w.nl = nil
	}
	s := w.slot
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
	if err := ctx.Err(); err != nil {
		return scan.Outcome{Err: err}
	}
	select {
	case <-w.p.closing:
		return scan.Outcome{Err: errClosed}
	default:
	}
	addr := dst.Addr().Unmap()
	ifindex := 0
	if z := addr.Zone(); z != "" {
		i, err := netInterfaceIndex(z)
		if err != nil {
			return scan.Outcome{Err: err}
		}
		ifindex, addr = i, addr.WithZone("")
	}
	start := time.Now()
	rt, err, asked := w.p.routes.lookup(addr, ifindex, start, w.nl)
	if asked && w.nl == nil {
		if w.asked++; w.asked == 2 {
			// A second host new to the cache: this scan sweeps hosts,
			// and this worker will look up many routes.
			w.nl = w.p.routes.ownSocket()
		}
	}
	if err != nil {
		return unreachable(err)
	}
	remote := netip.AddrPortFrom(addr, dst.Port())
	local := netip.AddrPortFrom(rt.src, w.port)
	if rt.src.Is4() != addr.Is4() {
		return scan.Outcome{Err: errors.New("syn: route source of another address family")}
	}
	w.n = buildSYN(w.buf[:], local, remote, w.p.key.seq(local, remote))
	sock := w.p.send4
	w.to = &w.sa4
	if addr.Is4() {
		w.sa4.Addr = addr.As4()
	} else {
		sock = w.p.send6
		w.sa6.Addr, w.sa6.ZoneId = addr.As16(), 0
		if addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() {
			w.sa6.ZoneId = uint32(max(ifindex, rt.ifindex))
		}
		w.to = &w.sa6
	}
	if sock == nil {
		return scan.Outcome{Err: errors.New("syn: no IPv6 on this machine")}
	}

	w.arm(remote)
	defer w.disarm()
	if err := sock.rc.Control(w.send); err != nil {
		return scan.Outcome{Err: errClosed}
	}
	if w.sendErr != nil {
		if w.sendErr == unix.ENOBUFS || w.sendErr == unix.EAGAIN {
			w.p.noBuffers.Add(1)
		}
		return unreachable(os.NewSyscallError("sendto", w.sendErr))
	}
	w.p.poll()
	w.timer.Reset(timeout)
	for {
		select {
		case a := <-w.ch:
			if a.from != remote {
				continue // a late answer to an earlier probe
			}
			w.timer.Stop()
			return a.outcome(start)
		case <-w.timer.C:
			// The wait ran out, but the answer may have come while
			// this goroutine waited for a CPU: look once more.
			for {
				select {
				case a := <-w.ch:
					if a.from == remote {
						return a.outcome(start)
					}
					continue
				default:
				}
				return scan.Outcome{NoAnswer: true}
			}
		case <-ctx.Done():
			w.timer.Stop()
			return scan.Outcome{Err: ctx.Err()}
		case <-w.p.closing:
			w.timer.Stop()
			return scan.Outcome{Err: errClosed}
		}
	}
}

// arm publishes the probe to the receiver and drops answers left from
// earlier probes.
func (w *worker) arm(remote netip.AddrPort) {
	w.slot.mu.Lock()
	w.dst, w.active = remote, true
	w.slot.mu.Unlock()
	for {
		select {
		case <-w.ch:
			continue
		default:
		}
		return
	}
}

func (w *worker) disarm() {
	w.slot.mu.Lock()
	w.active = false
	w.slot.mu.Unlock()
}

// unreachable turns a failure to route or send into the port's state when
// this machine's routing table decided it (no route, an unreachable or a
// prohibit route), or a local error otherwise: no buffer space (ENOBUFS,
// EAGAIN), this machine's own firewall (EPERM), which the engine retries
// after a pause.
func unreachable(err error) scan.Outcome {
	switch {
	case errors.Is(err, unix.ENETUNREACH):
		return scan.Outcome{State: scan.Filtered, Reason: scan.ReasonNetUnreach}
	case errors.Is(err, unix.EHOSTUNREACH):
		return scan.Outcome{State: scan.Filtered, Reason: scan.ReasonHostUnreach}
	case errors.Is(err, unix.EACCES):
		return scan.Outcome{State: scan.Filtered, Reason: scan.ReasonAdminProhibited}
	case errors.Is(err, unix.EINVAL):
		// A blackhole route: the packet would be dropped here, as
		// silently as by a filter on the way.
		return scan.Outcome{NoAnswer: true}
	}
	return scan.Outcome{Err: err}
}

package udp

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/scan"
	"github.com/ajarsec/ajar/scan/internal/probesock"
)

// A worker's sockets are reused from probe to probe: connect() again points
// one at the next port, and it keeps the local port the first connect gave
// it.
type sock = probesock.Sock

// worker keeps one socket per address family, and the state of the probe
// under way, so that a probe allocates nothing.
type worker struct {
	pr      Prober
	v4, v6  *sock
	target  probesock.Dst // the probe's destination
	connDst probesock.Dst // what the socket is connected to (port 0: any)

	// the probe under way, read by the poller callback
	sa    unix.Sockaddr // dst, for sendto when pl.otherPort is set
	dst   netip.AddrPort
	pl    payload
	start time.Time
	out   scan.Outcome
	step  func(fd uintptr) bool
	late  func(fd uintptr)
	found bool // set by late

	// recvmsg's arguments, pointing into the worker itself
	msg  unix.Msghdr
	iov  unix.Iovec
	name unix.RawSockaddrAny
	buf  [maxReply]byte
	oob  [256]byte
}

func newWorker(pr Prober) *worker {
	w := &worker{pr: pr}
	w.step = w.readStep
	w.late = func(fd uintptr) { w.found = w.readStep(fd) }
	return w
}

func (w *worker) Close() error {
	var errs []error
	for _, s := range []*sock{w.v4, w.v6} {
		if s != nil {
			errs = append(errs, s.F.Close())
		}
	}
	w.v4, w.v6 = nil, nil
	return errors.Join(errs...)
}

func newSock(v6 bool) (*sock, error) {
	// Every ICMP error about the socket's datagrams goes to its error
	// queue, with its type, code and sender; without that a UDP socket
	// hears only port unreachable, and only as an errno.
	return probesock.Open(v6, unix.SOCK_DGRAM, "udp-probe")
}

// setDst points the worker at dst and says whether it is IPv6.
func (w *worker) setDst(dst netip.AddrPort) bool {
	var v6 bool
	w.sa, v6 = w.target.Set(dst)
	w.dst = dst
	if !v6 {
		w.dst = netip.AddrPortFrom(dst.Addr().Unmap(), dst.Port())
	}
	return v6
}

// cancelAfter is the shortest wait worth watching ctx for: a shorter one
// ends soon enough by itself when a scan is stopped.
const cancelAfter = 250 * time.Millisecond

// maxDrain bounds the stale datagrams and errors read before a probe, and
// the datagrams read in one wake-up: a peer that floods the socket costs
// the probe its timeout, never an endless loop.
const maxDrain = 64

// Probe sends dst's payload once and classifies the answer.
func (w *worker) Probe(ctx context.Context, dst netip.AddrPort, timeout time.Duration) scan.Outcome {
	if err := ctx.Err(); err != nil {
		return scan.Outcome{Err: err}
	}
	slot := &w.v4
	if w.setDst(dst) {
		slot = &w.v6
	}
	if *slot == nil {
		s, err := newSock(slot == &w.v6)
		if err != nil {
			return scan.Outcome{Err: err}
		}
		*slot = s
	}
	s := *slot
	w.pl = w.pr.payloadFor(dst.Port())
	if out, ok := w.associate(s.FD); !ok {
		return out
	}
	w.drain(s.FD)

	w.start = time.Now()
	if err := s.F.SetReadDeadline(w.start.Add(timeout)); err != nil {
		return w.drop(slot, scan.Outcome{Err: err})
	}
	if out, sent := w.send(s.FD); !sent {
		return out
	}
	if timeout > cancelAfter {
		stop := context.AfterFunc(ctx, func() { s.F.SetReadDeadline(time.Unix(1, 0)) })
		defer stop()
	}
	w.out = scan.Outcome{}
	if err := s.RC.Read(w.step); err != nil {
		if ctx.Err() != nil {
			return scan.Outcome{Err: ctx.Err()}
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			return w.drop(slot, scan.Outcome{Err: err})
		}
		// The wait ran out, but the answer may have come while this
		// goroutine waited for a CPU: ask the socket itself once more.
		w.found = false
		if cerr := s.RC.Control(w.late); cerr != nil || !w.found {
			return scan.Outcome{NoAnswer: true}
		}
	}
	return w.out
}

// associate connects the socket to dst, so that the kernel passes it only
// dst's replies and ICMP errors, and reports ICMP port unreachable as
// ECONNREFUSED. For a service that answers from another port the socket
// is connected to dst's address alone (port 0: any port), and the probe
// names the port in sendto.
func (w *worker) associate(fd int) (scan.Outcome, bool) {
	port := int(w.dst.Port())
	if w.pl.otherPort != nil {
		port = 0
	}
	sa, _ := w.connDst.Set(netip.AddrPortFrom(w.dst.Addr(), uint16(port)))
	err := unix.Connect(fd, sa)
	switch err {
	case nil:
		return scan.Outcome{}, true
	case unix.ENETUNREACH:
		return scan.Outcome{State: record.Filtered, Reason: record.ReasonNetUnreach}, false
	case unix.EHOSTUNREACH:
		return scan.Outcome{State: record.Filtered, Reason: record.ReasonHostUnreach}, false
	case unix.EACCES:
		// A "prohibit" route, or a broadcast address (no SO_BROADCAST
		// here): this machine will not send there.
		return scan.Outcome{State: record.Filtered, Reason: record.ReasonAdminProhibited}, false
	}
	return scan.Outcome{Err: os.NewSyscallError("connect", err)}, false
}

// drain empties the error queue and the receive queue: what is there now
// came for an earlier probe. Reading the last queued error also clears
// the socket's pending error.
func (w *worker) drain(fd int) {
	for range maxDrain {
		if _, err := w.recv(fd, unix.MSG_ERRQUEUE); err != nil && err != unix.EINTR {
			break
		}
	}
	for range maxDrain {
		if _, err := w.recv(fd, 0); err == unix.EAGAIN {
			break
		}
	}
}

// send sends the payload's datagrams. An ICMP error that comes back
// before the last one is sent (the first SNMP version refused at once)
// makes send fail with its errno, and is the answer.
func (w *worker) send(fd int) (scan.Outcome, bool) {
	var to unix.Sockaddr // connected: no address
	if w.pl.otherPort != nil {
		to = w.sa
	}
	for _, d := range w.pl.datagrams {
		var err error
		for range 3 {
			if err = unix.Sendto(fd, d, 0, to); err != unix.EINTR {
				break
			}
		}
		switch err {
		case nil:
			continue
		case unix.ECONNREFUSED, unix.EHOSTUNREACH, unix.ENETUNREACH, unix.EACCES, unix.EPROTO:
			if w.answer(fd, err) {
				return w.out, false
			}
			// A stale error: the datagram did not go; send it again once.
			if err = unix.Sendto(fd, d, 0, to); err == nil {
				continue
			}
		}
		return scan.Outcome{Err: os.NewSyscallError("sendto", err)}, false
	}
	return scan.Outcome{}, true
}

// readStep runs in the poller's callback: it reads what came, and reports
// whether the probe has its answer in w.out.
func (w *worker) readStep(fd uintptr) bool {
	for range maxDrain {
		n, err := w.recv(int(fd), 0)
		switch err {
		case nil:
			if w.accept(n) {
				w.out = scan.Outcome{State: record.Open, Reason: record.ReasonUDPResponse, RTT: time.Since(w.start)}
				return true
			}
			continue
		case unix.EAGAIN:
			return false
		case unix.EINTR:
			continue
		}
		if w.answer(int(fd), err) {
			return true
		}
	}
	return false
}

// accept reports whether a datagram of n bytes just read is dst's answer.
// On a socket connected to dst's port the kernel has made sure of it.
func (w *worker) accept(n int) bool {
	if w.pl.otherPort == nil {
		return true
	}
	from, ok := parseSockaddr(w.nameBytes())
	if ok && from.Port() == w.dst.Port() {
		return true
	}
	return w.pl.otherPort(w.buf[:min(n, len(w.buf))])
}

// answer reads the error queue after a socket error (errno) and sets
// w.out from the ICMP error about dst. It returns false when the queue held
// only errors about earlier probes: the probe waits on.
func (w *worker) answer(fd int, errno error) bool {
	stale := false
	for range maxDrain {
		_, err := w.recv(fd, unix.MSG_ERRQUEUE)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			break // EAGAIN: the queue is empty
		}
		e, ok := parseErrQueue(w.oob[:min(int(w.msg.Controllen), len(w.oob))])
		if !ok {
			continue
		}
		dest, named := parseSockaddr(w.nameBytes())
		if !about(dest, named, w.dst) {
			stale = true
			continue
		}
		switch e.origin {
		case unix.SO_EE_ORIGIN_ICMP, unix.SO_EE_ORIGIN_ICMP6:
			w.out = icmpOutcome(e, w.dst)
			w.out.RTT = time.Since(w.start)
		default:
			// SO_EE_ORIGIN_LOCAL: this machine would not send
			// (EMSGSIZE, ENOBUFS): nothing learnt of the port.
			w.out = scan.Outcome{Err: os.NewSyscallError("sendto", e.errno)}
		}
		return true
	}
	if stale {
		return false
	}
	// No detail queued (the queue was full): the errno alone.
	rtt := time.Since(w.start)
	switch errno {
	case unix.ECONNREFUSED:
		w.out = scan.Outcome{State: record.Closed, Reason: record.ReasonPortUnreach, RTT: rtt}
	case unix.EHOSTUNREACH:
		w.out = scan.Outcome{State: record.Filtered, Reason: record.ReasonHostUnreach, RTT: rtt}
	case unix.ENETUNREACH:
		w.out = scan.Outcome{State: record.Filtered, Reason: record.ReasonNetUnreach, RTT: rtt}
	default:
		// EACCES and EPERM with no ICMP behind them: this machine's
		// own firewall.
		w.out = scan.Outcome{Err: os.NewSyscallError("recvmsg", errno)}
	}
	return true
}

// recv is recvmsg(2) into the worker's buffers, without waiting.
func (w *worker) recv(fd int, flags int) (int, error) {
	w.iov.Base = &w.buf[0]
	w.iov.SetLen(len(w.buf))
	w.msg = unix.Msghdr{
		Name:    (*byte)(unsafe.Pointer(&w.name)),
		Namelen: unix.SizeofSockaddrAny,
		Iov:     &w.iov,
		Control: &w.oob[0],
	}
	w.msg.SetIovlen(1)
	w.msg.SetControllen(len(w.oob))
	n, _, e := unix.Syscall(unix.SYS_RECVMSG, uintptr(fd), uintptr(unsafe.Pointer(&w.msg)), uintptr(flags|unix.MSG_DONTWAIT))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// nameBytes is the address the last recv filled in.
func (w *worker) nameBytes() []byte {
	n := min(int(w.msg.Namelen), unix.SizeofSockaddrAny)
	return unsafe.Slice((*byte)(unsafe.Pointer(&w.name)), n)
}

// drop closes the socket in slot after a failure that may have left it in
// a state the next probe should not inherit.
func (w *worker) drop(slot **sock, out scan.Outcome) scan.Outcome {
	if *slot != nil {
		(*slot).F.Close()
		*slot = nil
	}
	return out
}

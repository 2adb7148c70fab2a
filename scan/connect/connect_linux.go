package connect

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

// A worker's sockets are reused from probe to probe: after a refusal or an
// ICMP error Linux lets the same socket connect again, which saves the
// socket() and close() that cost most of a probe.
type sock = probesock.Sock

// worker keeps one socket per address family, and the state of the probe
// under way, so that a probe allocates nothing.
type worker struct {
	v4, v6 *sock
	dst    probesock.Dst

	// the probe under way, read by the poller callback
	sa      unix.Sockaddr
	start   time.Time
	waiting bool
	keep    bool
	out     scan.Outcome
	step    func(fd uintptr) bool
}

func newWorker() *worker {
	w := &worker{}
	w.step = w.connectStep
	return w
}

func (w *worker) Close() error {
	for _, s := range []*sock{w.v4, w.v6} {
		if s != nil {
			s.F.Close()
		}
	}
	w.v4, w.v6 = nil, nil
	return nil
}

func newSock(v6 bool) (*sock, error) {
	s, err := probesock.Open(v6, unix.SOCK_STREAM, "tcp-probe")
	if err != nil {
		return nil, err
	}
	if err := setLinger(s.FD); err != nil {
		s.F.Close()
		return nil, err
	}
	return s, nil
}

// openFD makes a probe's socket as a bare descriptor, for the loop of an
// Async prober.
func openFD(v6 bool) (int, error) {
	fd, err := probesock.OpenFD(v6, unix.SOCK_STREAM)
	if err != nil {
		return -1, err
	}
	if err := setLinger(fd); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// setLinger sets a zero linger, which makes close send a reset: no
// TIME-WAIT socket is left behind by an open port.
func setLinger(fd int) error {
	if err := unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1}); err != nil {
		return os.NewSyscallError("setsockopt", err)
	}
	return nil
}

// cancelAfter is the shortest wait worth watching ctx for: a shorter one
// ends soon enough by itself when a scan is stopped.
const cancelAfter = 250 * time.Millisecond

// Probe connects to dst once and classifies the answer.
func (w *worker) Probe(ctx context.Context, dst netip.AddrPort, timeout time.Duration) scan.Outcome {
	slot := &w.v4
	var v6 bool
	if w.sa, v6 = w.dst.Set(dst); v6 {
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
	w.start = time.Now()
	if err := s.F.SetWriteDeadline(w.start.Add(timeout)); err != nil {
		return w.drop(slot, scan.Outcome{Err: err})
	}
	if timeout > cancelAfter {
		stop := context.AfterFunc(ctx, func() { s.F.SetWriteDeadline(time.Unix(1, 0)) })
		defer stop()
	}
	w.waiting, w.keep, w.out = false, false, scan.Outcome{}
	werr := s.RC.Write(w.step)
	if werr != nil {
		if ctx.Err() != nil {
			return w.drop(slot, scan.Outcome{Err: ctx.Err()})
		}
		if !errors.Is(werr, os.ErrDeadlineExceeded) {
			return w.drop(slot, scan.Outcome{Err: werr})
		}
		// The wait ran out, but the answer may have come while this
		// goroutine waited for a CPU: ask the socket itself once more.
		// Silence is what the kernel saw, not what we were late to see.
		late, reset := false, false
		cerr := s.RC.Control(func(fd uintptr) {
			if late = w.connectStep(fd); !late {
				// Still silent: abandon the handshake (no packet is
				// sent) and keep the socket for the next probe.
				reset = disconnect(int(fd)) == nil
			}
		})
		if cerr != nil || !late {
			if reset {
				return scan.Outcome{NoAnswer: true}
			}
			return w.drop(slot, scan.Outcome{NoAnswer: true})
		}
	}
	if !w.keep {
		return w.drop(slot, w.out)
	}
	return w.out
}

// connectStep runs in the poller's callback. The first connect starts the
// handshake; once the socket wakes, a second connect reports how it ended
// and readies the socket for reuse.
func (w *worker) connectStep(fd uintptr) bool {
	err := unix.Connect(int(fd), w.sa)
	if !w.waiting && err == unix.EINPROGRESS {
		w.waiting = true
		return false
	}
	if w.waiting && (err == unix.EALREADY || err == unix.EINPROGRESS) {
		// Still connecting, or an ICMP error came while connect() held
		// the socket (on a fast link it does): the kernel keeps that one
		// only as a soft error, and would resend the SYN a second later.
		soErr, gerr := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_ERROR)
		if gerr != nil || soErr == 0 {
			return false // woken early
		}
		err = unix.Errno(soErr)
	}
	w.out, w.keep = classify(int(fd), err, time.Since(w.start), w.port())
	return true
}

// port is the destination port of the probe under way.
func (w *worker) port() int { return w.dst.Port(w.sa) }

// disconnect abandons a handshake under way, as connect() to an AF_UNSPEC
// address does: the socket goes back to its unconnected state, its
// ephemeral port is released, and it can connect again.
func disconnect(fd int) error {
	sa := unix.RawSockaddr{Family: unix.AF_UNSPEC}
	_, _, e := unix.Syscall(unix.SYS_CONNECT, uintptr(fd), uintptr(unsafe.Pointer(&sa)), unsafe.Sizeof(sa))
	if e != 0 {
		return e
	}
	return nil
}

// drop closes the socket in slot (a reset, for a connected one): a socket
// still connecting or connected cannot be reused.
func (w *worker) drop(slot **sock, out scan.Outcome) scan.Outcome {
	if *slot != nil {
		(*slot).F.Close()
		*slot = nil
	}
	return out
}

// classify turns the result of a connect into a port state, or a local
// error, and says whether the socket can be used again: only after a plain
// reset, which leaves nothing behind in it.
func classify(fd int, err error, rtt time.Duration, port int) (out scan.Outcome, reusable bool) {
	switch err {
	case nil, unix.EISCONN:
		if selfConnected(fd) {
			// The kernel picked dst's own port as the source port and
			// the SYN met itself: nothing listens there.
			return scan.Outcome{State: record.Closed, Reason: record.ReasonConnRefused, RTT: rtt}, false
		}
		return scan.Outcome{State: record.Open, Reason: record.ReasonConnected, RTT: rtt}, false
	case unix.ETIMEDOUT:
		return scan.Outcome{NoAnswer: true}, false
	}
	if r, ok := icmpReason(fd, port); ok {
		return scan.Outcome{State: record.Filtered, Reason: r, RTT: rtt}, false
	}
	switch err {
	case unix.ECONNREFUSED:
		return scan.Outcome{State: record.Closed, Reason: record.ReasonConnRefused, RTT: rtt}, true
	case unix.EHOSTUNREACH:
		return scan.Outcome{State: record.Filtered, Reason: record.ReasonHostUnreach, RTT: rtt}, false
	case unix.ENETUNREACH:
		return scan.Outcome{State: record.Filtered, Reason: record.ReasonNetUnreach, RTT: rtt}, false
	}
	// EACCES and EPERM with no ICMP behind them (this machine's own
	// firewall), EADDRNOTAVAIL (no ephemeral port left), ENOBUFS, ...:
	// nothing learnt of the port.
	return scan.Outcome{Err: os.NewSyscallError("connect", err)}, false
}

func selfConnected(fd int) bool {
	local, err1 := unix.Getsockname(fd)
	peer, err2 := unix.Getpeername(fd)
	if err1 != nil || err2 != nil {
		return false
	}
	switch l := local.(type) {
	case *unix.SockaddrInet4:
		p, ok := peer.(*unix.SockaddrInet4)
		return ok && l.Port == p.Port && l.Addr == p.Addr
	case *unix.SockaddrInet6:
		p, ok := peer.(*unix.SockaddrInet6)
		return ok && l.Port == p.Port && l.Addr == p.Addr
	}
	return false
}

// icmpReason reads the socket's error queue for an ICMP error about a
// packet to port, draining what else is queued. Its buffers are its own
// stack's: a refusal costs no allocation.
func icmpReason(fd int, port int) (record.Reason, bool) {
	var buf [8]byte
	var oob [256]byte
	var name unix.RawSockaddrAny
	var iov unix.Iovec
	var msg unix.Msghdr
	for range 8 {
		iov.Base = &buf[0]
		iov.SetLen(len(buf))
		msg = unix.Msghdr{Name: (*byte)(unsafe.Pointer(&name)), Namelen: unix.SizeofSockaddrAny, Iov: &iov, Control: &oob[0]}
		msg.SetIovlen(1)
		msg.SetControllen(len(oob))
		_, _, e := unix.Syscall(unix.SYS_RECVMSG, uintptr(fd), uintptr(unsafe.Pointer(&msg)), unix.MSG_ERRQUEUE|unix.MSG_DONTWAIT)
		if e != 0 {
			return "", false // EAGAIN: the queue is empty
		}
		if !sameport(&name, msg.Namelen, port) {
			continue
		}
		rest := oob[:min(int(msg.Controllen), len(oob))]
		for len(rest) > 0 {
			h, data, next, err := unix.ParseOneSocketControlMessage(rest)
			if err != nil {
				break
			}
			rest = next
			isV4 := h.Level == unix.SOL_IP && h.Type == unix.IP_RECVERR
			isV6 := h.Level == unix.SOL_IPV6 && h.Type == unix.IPV6_RECVERR
			if (!isV4 && !isV6) || len(data) < int(unsafe.Sizeof(unix.SockExtendedErr{})) {
				continue
			}
			ee := (*unix.SockExtendedErr)(unsafe.Pointer(&data[0]))
			switch ee.Origin {
			case unix.SO_EE_ORIGIN_ICMP:
				return scan.ICMPv4Reason(ee.Type, ee.Code), true
			case unix.SO_EE_ORIGIN_ICMP6:
				return scan.ICMPv6Reason(ee.Type, ee.Code), true
			}
		}
	}
	return "", false
}

// sameport reports whether a queued error, whose msg_name is the first n
// bytes of name, was about a packet to port.
func sameport(name *unix.RawSockaddrAny, n uint32, port int) bool {
	if n < 4 || (name.Addr.Family != unix.AF_INET && name.Addr.Family != unix.AF_INET6) {
		return true // no address given: take the kernel's word
	}
	// sin_port and sin6_port: the two bytes after the family, in
	// network order.
	b := (*[4]byte)(unsafe.Pointer(name))
	return int(b[2])<<8|int(b[3]) == port
}

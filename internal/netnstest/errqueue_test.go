//go:build linux

package netnstest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// This file is an experiment on the kernel rather than a test of this
// package: it records what Linux tells a non-blocking TCP connect with
// IP_RECVERR / IPV6_RECVERR set about each kind of answer, so that the
// scanner's classification rests on observed behaviour.

// queuedErr is one entry read from a socket's error queue.
type queuedErr struct {
	unix.SockExtendedErr
	Offender netip.Addr     // who sent the ICMP error (SO_EE_OFFENDER)
	Dest     netip.AddrPort // msg_name: the destination the error is about
}

func (q queuedErr) String() string {
	return fmt.Sprintf("{errno=%s origin=%d type=%d code=%d info=%d data=%d offender=%v dest=%v}",
		errnoName(syscall.Errno(q.Errno)), q.Origin, q.Type, q.Code, q.Info, q.Data, q.Offender, q.Dest)
}

// observation is what the kernel reported at one moment of a connect.
type observation struct {
	Revents   int16         // poll's answer; 0 when it timed out
	At        time.Duration // since the first connect
	State     uint8         // TCP state (TCP_INFO) when poll answered
	Reconnect error         // a second connect(2), as the prober does
	SoError   syscall.Errno // SO_ERROR afterwards
	Queue     []queuedErr   // MSG_ERRQUEUE until it fails
	QueueEnd  error         // how reading the queue ended: EAGAIN when empty
	LockDrops uint64        // TcpExt LockDroppedIcmps since the connect
}

// TCP states as numbered in include/net/tcp_states.h.
var tcpStates = map[uint8]string{1: "ESTABLISHED", 2: "SYN_SENT", 7: "CLOSE"}

func (o observation) String() string {
	q := "empty"
	if len(o.Queue) > 0 {
		var s []string
		for _, e := range o.Queue {
			s = append(s, e.String())
		}
		q = strings.Join(s, " ")
	}
	state, ok := tcpStates[o.State]
	if !ok {
		state = strconv.Itoa(int(o.State))
	}
	return fmt.Sprintf("poll=%#x at %v state=%s connect-again=%s SO_ERROR=%s errqueue=%s (then %s) lock-dropped-icmps=%d",
		o.Revents, o.At.Round(10*time.Microsecond), state, errnoName(o.Reconnect), errnoName(o.SoError),
		q, errnoName(o.QueueEnd), o.LockDrops)
}

// errnoName writes an errno by its name, the way the kernel's headers do.
func errnoName(err error) string {
	var e syscall.Errno
	if !errors.As(err, &e) {
		if err == nil {
			return "nil"
		}
		return err.Error()
	}
	if e == 0 {
		return "0"
	}
	if n := unix.ErrnoName(e); n != "" {
		return n
	}
	return strconv.Itoa(int(e))
}

// maxQueued bounds how many error-queue entries one observation reads.
const maxQueued = 8

// probe is one non-blocking TCP socket with the RECVERR option on.
type probe struct {
	fd    int
	sa    unix.Sockaddr
	start time.Time
	drops uint64 // LockDroppedIcmps at the start
}

// startProbe opens the socket and sends the SYN. It must run inside the
// scanner namespace; the caller closes the probe.
func startProbe(dst netip.AddrPort, recverr bool) (*probe, error) {
	family, level, opt := unix.AF_INET6, unix.IPPROTO_IPV6, unix.IPV6_RECVERR
	var sa unix.Sockaddr = &unix.SockaddrInet6{Port: int(dst.Port()), Addr: dst.Addr().As16()}
	if dst.Addr().Is4() {
		family, level, opt = unix.AF_INET, unix.IPPROTO_IP, unix.IP_RECVERR
		sa = &unix.SockaddrInet4{Port: int(dst.Port()), Addr: dst.Addr().As4()}
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socket: %w", err)
	}
	p := &probe{fd: fd, sa: sa}
	if err := unix.SetsockoptInt(fd, level, opt, boolInt(recverr)); err != nil {
		p.Close()
		return nil, fmt.Errorf("setsockopt RECVERR: %w", err)
	}
	if p.drops, err = lockDroppedICMPs(); err != nil {
		p.Close()
		return nil, err
	}
	p.start = time.Now()
	if err := unix.Connect(fd, sa); err != unix.EINPROGRESS {
		p.Close()
		return nil, fmt.Errorf("connect: %v, want EINPROGRESS", err)
	}
	return p, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (p *probe) Close() error { return unix.Close(p.fd) }

// observe waits up to wait for the socket to wake, then asks it everything
// a scanner could ask, in the order the prober does: connect again, then
// SO_ERROR, then the error queue.
func (p *probe) observe(wait time.Duration) (observation, error) {
	var o observation
	pfd := []unix.PollFd{{Fd: int32(p.fd), Events: unix.POLLOUT}}
	deadline := time.Now().Add(wait)
	for {
		n, err := unix.Poll(pfd, max(0, int(time.Until(deadline).Milliseconds())))
		if errors.Is(err, unix.EINTR) && time.Now().Before(deadline) {
			continue
		}
		if err != nil {
			return o, fmt.Errorf("poll: %w", err)
		}
		if n > 0 {
			o.Revents = pfd[0].Revents
		}
		break
	}
	o.At = time.Since(p.start)
	info, err := unix.GetsockoptTCPInfo(p.fd, unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		return o, fmt.Errorf("TCP_INFO: %w", err)
	}
	o.State = info.State
	o.Reconnect = unix.Connect(p.fd, p.sa)
	soErr, err := unix.GetsockoptInt(p.fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return o, fmt.Errorf("SO_ERROR: %w", err)
	}
	o.SoError = syscall.Errno(soErr)
	for range maxQueued {
		q, err := readErrQueue(p.fd)
		if err != nil {
			o.QueueEnd = err
			break
		}
		o.Queue = append(o.Queue, q)
	}
	drops, err := lockDroppedICMPs()
	if err != nil {
		return o, err
	}
	o.LockDrops = drops - p.drops
	return o, nil
}

// readErrQueue reads one entry of the socket's error queue.
func readErrQueue(fd int) (queuedErr, error) {
	var q queuedErr
	var payload [64]byte
	var oob [512]byte
	_, oobn, _, from, err := unix.Recvmsg(fd, payload[:], oob[:], unix.MSG_ERRQUEUE|unix.MSG_DONTWAIT)
	if err != nil {
		return q, err
	}
	q.Dest = sockaddrAddrPort(from)
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return q, fmt.Errorf("control message: %w", err)
	}
	const eeLen = int(unsafe.Sizeof(unix.SockExtendedErr{}))
	for _, m := range msgs {
		v4 := m.Header.Level == unix.SOL_IP && m.Header.Type == unix.IP_RECVERR
		v6 := m.Header.Level == unix.SOL_IPV6 && m.Header.Type == unix.IPV6_RECVERR
		if (!v4 && !v6) || len(m.Data) < eeLen {
			continue
		}
		q.SockExtendedErr = *(*unix.SockExtendedErr)(unsafe.Pointer(&m.Data[0]))
		q.Offender = offender(m.Data[eeLen:])
		return q, nil
	}
	return q, fmt.Errorf("no RECVERR control message among %d", len(msgs))
}

// offender parses the sockaddr_in or sockaddr_in6 that follows the
// sock_extended_err (SO_EE_OFFENDER).
func offender(b []byte) netip.Addr {
	if len(b) < 2 {
		return netip.Addr{}
	}
	switch binary.NativeEndian.Uint16(b) {
	case unix.AF_INET:
		if len(b) >= 8 {
			return netip.AddrFrom4([4]byte(b[4:8]))
		}
	case unix.AF_INET6:
		if len(b) >= 24 {
			return netip.AddrFrom16([16]byte(b[8:24]))
		}
	}
	return netip.Addr{}
}

func sockaddrAddrPort(sa unix.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), uint16(sa.Port))
	}
	return netip.AddrPort{}
}

// lockDroppedICMPs reads TcpExt LockDroppedIcmps of the calling thread's
// namespace: ICMP errors that found their socket held by a system call.
func lockDroppedICMPs() (uint64, error) {
	b, err := os.ReadFile("/proc/thread-self/net/netstat")
	if err != nil {
		return 0, err
	}
	lines := strings.Split(string(b), "\n")
	for i := 0; i+1 < len(lines); i++ {
		names, values := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		if len(names) == 0 || names[0] != "TcpExt:" || len(values) != len(names) {
			continue
		}
		for j, n := range names {
			if n == "LockDroppedIcmps" {
				return strconv.ParseUint(values[j], 10, 64)
			}
		}
	}
	return 0, errors.New("no TcpExt LockDroppedIcmps in /proc/thread-self/net/netstat")
}

// afterRetransmit is how long the experiment waits a second time, to see
// the SYN the kernel sends again after its initial RTO of one second.
const afterRetransmit = 1500 * time.Millisecond

// TestErrQueueExperiment answers: after a refused or unreachable
// non-blocking connect with IP_RECVERR / IPV6_RECVERR, does the error
// queue hold the ICMP message (origin, type, code), so that a scanner can
// tell an ICMP port unreachable from a TCP RST, which both give
// ECONNREFUSED? And is the socket then done, or still connecting?
func TestErrQueueExperiment(t *testing.T) {
	b := NewBed(t)
	b.LiftICMPLimits()
	b.ListenTCP(8080, 9001, 9002, 9003, 9004)
	b.Firewall(
		Rule{Proto: "tcp", Ports: "9000", Action: "drop"},
		Rule{Proto: "tcp", Ports: "9001", Action: "reset"},
		Rule{Proto: "tcp", Ports: "9002", Action: "icmp-admin-prohibited"},
		Rule{Proto: "tcp", Ports: "9003", Action: "icmp-port-unreachable"},
		Rule{Proto: "tcp", Ports: "9004", Action: "icmp-host-unreachable"},
	)
	type want struct {
		errno     syscall.Errno
		origin    uint8 // 0: the error queue stays empty
		typ, code uint8
	}
	for _, c := range []struct {
		name         string
		port         uint16
		want4, want6 want
	}{
		{"open", 8080, want{}, want{}},
		{"closed", 8081, want{errno: unix.ECONNREFUSED}, want{errno: unix.ECONNREFUSED}},
		{"drop", 9000, want{}, want{}},
		{"reset", 9001, want{errno: unix.ECONNREFUSED}, want{errno: unix.ECONNREFUSED}},
		{"icmp-admin-prohibited", 9002,
			want{unix.EHOSTUNREACH, unix.SO_EE_ORIGIN_ICMP, 3, 13},
			want{unix.EACCES, unix.SO_EE_ORIGIN_ICMP6, 1, 1}},
		{"icmp-port-unreachable", 9003,
			want{unix.ECONNREFUSED, unix.SO_EE_ORIGIN_ICMP, 3, 3},
			want{unix.ECONNREFUSED, unix.SO_EE_ORIGIN_ICMP6, 1, 4}},
		{"icmp-host-unreachable", 9004,
			want{unix.EHOSTUNREACH, unix.SO_EE_ORIGIN_ICMP, 3, 1},
			want{unix.EHOSTUNREACH, unix.SO_EE_ORIGIN_ICMP6, 1, 3}},
	} {
		for _, network := range []string{"tcp4", "tcp6"} {
			w := c.want4
			if network == "tcp6" {
				w = c.want6
			}
			t.Run(c.name+"/"+network, func(t *testing.T) {
				dst := netip.AddrPortFrom(b.Addr(network), c.port)
				var first, second observation
				err := b.InScanner(func() error {
					p, err := startProbe(dst, true)
					if err != nil {
						return err
					}
					defer p.Close()
					wait := 3 * time.Second
					if c.name == "drop" {
						wait = dialTimeout
					}
					if first, err = p.observe(wait); err != nil {
						return err
					}
					if w.origin != 0 {
						second, err = p.observe(afterRetransmit)
					}
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("%s %s: %v", network, dst, first)
				if w.origin != 0 {
					t.Logf("%s %s, waiting again: %v", network, dst, second)
				}
				checkObservation(t, first, w.errno, w.origin, w.typ, w.code, b.Addr(network), dst)
			})
		}
	}
}

// checkObservation compares what the kernel said on the first wake-up with
// what a scanner needs: the errno, and for ICMP answers exactly one queued
// error with the message's origin, type, code, sender and destination.
func checkObservation(t *testing.T, o observation, errno syscall.Errno, origin, typ, code uint8, from netip.Addr, dst netip.AddrPort) {
	t.Helper()
	got := o.SoError
	if got == 0 {
		if e, ok := o.Reconnect.(syscall.Errno); ok && e != unix.EALREADY && e != unix.EISCONN {
			got = e
		}
	}
	if got != errno {
		t.Errorf("errno %s, want %s", errnoName(got), errnoName(errno))
	}
	if origin == 0 {
		if len(o.Queue) != 0 || !errors.Is(o.QueueEnd, unix.EAGAIN) {
			t.Errorf("error queue %v (then %v), want it empty (EAGAIN)", o.Queue, o.QueueEnd)
		}
		return
	}
	if len(o.Queue) != 1 {
		t.Fatalf("error queue holds %d entries %v, want 1", len(o.Queue), o.Queue)
	}
	q := o.Queue[0]
	if syscall.Errno(q.Errno) != errno || q.Origin != origin || q.Type != typ || q.Code != code || q.Offender != from || q.Dest != dst {
		t.Errorf("queued %v, want errno=%s origin=%d type=%d code=%d offender=%v dest=%v",
			q, errnoName(errno), origin, typ, code, from, dst)
	}
}

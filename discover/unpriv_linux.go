//go:build linux

package discover

import (
	"errors"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ajarsec/ajar/record"
)

// connectPorts are the ports the unprivileged probe connects to: a
// completed handshake or a refusal both show the host up.
var connectPorts = [...]int{80, 443}

// unprivTransport probes as any user may: connect() to ports 80 and 443,
// and ICMP echo over datagram ("ping") sockets when the kernel lets this
// user's group open them (net.ipv4.ping_group_range).
type unprivTransport struct {
	k            *keys
	timeout      time.Duration
	ping4, ping6 *sock
	pingErr      error // why there is no ping socket, if there is none
	out          chan<- event
	done         <-chan struct{}
	buf          []byte
	wg           sync.WaitGroup
}

func openUnpriv(k *keys, timeout time.Duration) *unprivTransport {
	t := &unprivTransport{k: k, timeout: timeout, buf: make([]byte, 0, 64)}
	var err4, err6 error
	t.ping4, err4 = openSock(unix.AF_INET, unix.SOCK_DGRAM, unix.IPPROTO_ICMP, "ping4")
	t.ping6, err6 = openSock(unix.AF_INET6, unix.SOCK_DGRAM, unix.IPPROTO_ICMPV6, "ping6")
	if err4 != nil {
		t.pingErr = err4
	} else if err6 != nil && !errors.Is(err6, unix.EAFNOSUPPORT) {
		t.pingErr = err6
	}
	return t
}

func (t *unprivTransport) describe() string {
	s := "TCP connect to 80 and 443"
	switch {
	case t.ping4 != nil && t.ping6 != nil:
		s += ", ICMP and ICMPv6 echo (ping sockets)"
	case t.ping4 != nil:
		s += ", ICMP echo (ping socket)"
	}
	s += " (unprivileged"
	if t.pingErr != nil {
		s += "; no ICMP echo: net.ipv4.ping_group_range does not include this user's group"
	}
	return s + ")"
}

func (t *unprivTransport) listen(out chan<- event, done <-chan struct{}) {
	t.out, t.done = out, done
	for _, s := range []*sock{t.ping4, t.ping6} {
		if s == nil {
			continue
		}
		t.wg.Go(func() {
			readLoop(s, func(b []byte, sa unix.Sockaddr) (answer, error) {
				return t.k.decodePing(fromAddr(sa), b)
			}, out, done)
		})
	}
}

func (t *unprivTransport) close() error {
	err := errors.Join(t.ping4.close(), t.ping6.close())
	t.wg.Wait()
	return err
}

// send starts one try: a connect to each port, and an echo request. The
// connects run on in their own goroutines, each for at most the timeout.
func (t *unprivTransport) send(p *pending) (int, error) {
	dst := p.addr
	family := unix.AF_INET
	if !dst.Is4() {
		family = unix.AF_INET6
	}
	var errs []error
	sent := 0
	for _, port := range connectPorts {
		if err := t.connect(family, dst, port); err != nil {
			errs = append(errs, err)
			continue
		}
		sent++
	}
	ping := t.ping4
	if !dst.Is4() {
		ping = t.ping6
	}
	if ping != nil {
		// The kernel sets the identifier: the socket's own.
		t.buf = appendEcho(t.buf[:0], !dst.Is4(), 0, uint16(p.tries), t.k.cookie(dst))
		if err := ping.sendto(t.buf, sockaddr(dst, 0, 0)); err != nil {
			errs = append(errs, err)
		} else {
			sent++
		}
	}
	if sent > 0 {
		return sent, nil
	}
	return len(connectPorts), errors.Join(errs...)
}

// connect starts a non-blocking connect to dst:port. The socket is made
// here, on the caller's thread (and so in its network namespace); a
// goroutine waits for the outcome and reports it.
func (t *unprivTransport) connect(family int, dst netip.Addr, port int) error {
	s, err := openSock(family, unix.SOCK_STREAM, 0, "tcp-ping")
	if err != nil {
		return err
	}
	// A zero linger makes close send a reset: nothing lingers in
	// TIME-WAIT on the target or here.
	if err := unix.SetsockoptLinger(s.fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1}); err != nil {
		s.close()
		return sockopt("SO_LINGER", err)
	}
	sa := sockaddr(dst, port, 0)
	start := time.Now()
	cerr := unix.Connect(s.fd, sa)
	if cerr == unix.EAGAIN || cerr == unix.ENOBUFS || cerr == unix.EADDRNOTAVAIL {
		s.close()
		return cerr // no local resources: nothing was sent
	}
	t.wg.Go(func() {
		defer s.close()
		if cerr == unix.EINPROGRESS {
			cerr = t.wait(s, sa, start.Add(t.timeout))
		}
		a, ok := connectAnswer(dst, cerr)
		if !ok {
			return
		}
		select {
		case t.out <- event{answer: a, at: time.Now()}:
		case <-t.done:
		}
	})
	return nil
}

// wait waits for a connect under way to end, until deadline: connect()
// again says how it ended (EISCONN: connected), and SO_ERROR holds an
// error that came while the handshake went on.
func (t *unprivTransport) wait(s *sock, sa unix.Sockaddr, deadline time.Time) error {
	if err := s.f.SetWriteDeadline(deadline); err != nil {
		return err
	}
	var res error
	err := s.rc.Write(func(fd uintptr) bool {
		e := unix.Connect(int(fd), sa)
		if e == unix.EALREADY || e == unix.EINPROGRESS {
			soErr, gerr := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_ERROR)
			if gerr != nil || soErr == 0 {
				return false // still connecting
			}
			e = unix.Errno(soErr)
		}
		res = e
		return true
	})
	if err != nil {
		return unix.ETIMEDOUT // the deadline, or the socket closed
	}
	return res
}

// connectAnswer is what the end of a connect says of its host: connected
// or refused, it is up; unreachable is an error report, as an ICMP error
// from someone other than the host would be.
func connectAnswer(dst netip.Addr, err error) (answer, bool) {
	a := answer{host: dst, from: dst}
	switch err {
	case nil, unix.EISCONN:
		a.reason = record.ReasonSynAck
	case unix.ECONNREFUSED:
		a.reason = record.ReasonConnRefused
	case unix.EHOSTUNREACH:
		a.reason, a.icmpErr, a.from = record.ReasonHostUnreach, true, netip.Addr{}
	case unix.ENETUNREACH:
		a.reason, a.icmpErr, a.from = record.ReasonNetUnreach, true, netip.Addr{}
	default:
		return answer{}, false
	}
	return a, true
}

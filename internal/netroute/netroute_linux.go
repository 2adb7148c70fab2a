package netroute

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"time"

	"golang.org/x/sys/unix"
)

// Route is the kernel's answer for one destination.
type Route struct {
	// Type is the route's type: unix.RTN_UNICAST, RTN_LOCAL,
	// RTN_BROADCAST, ...
	Type uint8
	// Ifindex is the interface packets leave on (RTA_OIF).
	Ifindex int
	// Src is the source address the kernel prefers (RTA_PREFSRC),
	// unmapped; invalid when the answer names none, or one of the
	// other family.
	Src netip.Addr
	// Gateway is set when the route goes through a gateway (RTA_GATEWAY
	// or RTA_VIA): the destination is not on the link.
	Gateway bool
}

// ErrMalformed is wrapped by the errors ParseReply returns for a message
// it cannot read.
var ErrMalformed = errors.New("netroute: malformed netlink message")

// AppendRequest appends to b an RTM_GETROUTE request for dst: a netlink
// header, a struct rtmsg and an RTA_DST attribute, and RTA_OIF when
// ifindex is not 0 (the interface of a link-local address).
func AppendRequest(b []byte, dst netip.Addr, ifindex int, seq uint32) []byte {
	dst = dst.Unmap()
	family, alen := unix.AF_INET, 4
	if dst.Is6() {
		family, alen = unix.AF_INET6, 16
	}
	n := unix.SizeofNlMsghdr + unix.SizeofRtMsg + rtaAlign(unix.SizeofRtAttr+alen)
	if ifindex != 0 {
		n += rtaAlign(unix.SizeofRtAttr + 4)
	}
	b = slices.Grow(b, n)
	m := b[len(b) : len(b)+n]
	clear(m)
	ne := binary.NativeEndian
	ne.PutUint32(m[0:], uint32(n))
	ne.PutUint16(m[4:], unix.RTM_GETROUTE)
	ne.PutUint16(m[6:], unix.NLM_F_REQUEST)
	ne.PutUint32(m[8:], seq)
	rt := m[unix.SizeofNlMsghdr:]
	rt[0] = byte(family)
	rt[1] = byte(alen * 8) // dst_len
	a := rt[unix.SizeofRtMsg:]
	ne.PutUint16(a[0:], uint16(unix.SizeofRtAttr+alen))
	ne.PutUint16(a[2:], unix.RTA_DST)
	copy(a[unix.SizeofRtAttr:], dst.AsSlice())
	if ifindex != 0 {
		a = a[rtaAlign(unix.SizeofRtAttr+alen):]
		ne.PutUint16(a[0:], unix.SizeofRtAttr+4)
		ne.PutUint16(a[2:], unix.RTA_OIF)
		ne.PutUint32(a[unix.SizeofRtAttr:], uint32(ifindex))
	}
	return b[:len(b)+n]
}

func rtaAlign(n int) int { return (n + unix.RTA_ALIGNTO - 1) &^ (unix.RTA_ALIGNTO - 1) }

// ParseReply reads the kernel's answer to a request: an RTM_NEWROUTE
// message, or an NLMSG_ERROR whose errno it returns as a unix.Errno
// (ENETUNREACH: no route; EHOSTUNREACH, EACCES, EINVAL: unreachable,
// prohibit and blackhole routes). It returns the message's sequence
// number, so that the caller can skip stale answers. The message is
// checked length by length; it never panics.
func ParseReply(b []byte) (Route, uint32, error) {
	ne := binary.NativeEndian
	if len(b) < unix.SizeofNlMsghdr {
		return Route{}, 0, fmt.Errorf("%w: short header", ErrMalformed)
	}
	l := int(ne.Uint32(b[0:]))
	typ := ne.Uint16(b[4:])
	seq := ne.Uint32(b[8:])
	if l < unix.SizeofNlMsghdr || l > len(b) {
		return Route{}, seq, fmt.Errorf("%w: bad message length", ErrMalformed)
	}
	body := b[unix.SizeofNlMsghdr:l]
	switch typ {
	case unix.NLMSG_ERROR:
		if len(body) < 4 {
			return Route{}, seq, fmt.Errorf("%w: short error", ErrMalformed)
		}
		if errno := int32(ne.Uint32(body)); errno < 0 {
			return Route{}, seq, unix.Errno(-errno)
		}
		return Route{}, seq, errors.New("netroute: an acknowledgement where a route was expected")
	case unix.RTM_NEWROUTE:
	default:
		return Route{}, seq, fmt.Errorf("netroute: unexpected netlink message type %d", typ)
	}
	if len(body) < unix.SizeofRtMsg {
		return Route{}, seq, fmt.Errorf("%w: short route message", ErrMalformed)
	}
	family := body[0]
	r := Route{Type: body[7]}
	for a := body[unix.SizeofRtMsg:]; len(a) >= unix.SizeofRtAttr; {
		al := int(ne.Uint16(a[0:]))
		at := ne.Uint16(a[2:]) &^ unix.NLA_F_NESTED
		if al < unix.SizeofRtAttr || al > len(a) {
			return Route{}, seq, fmt.Errorf("%w: bad attribute length", ErrMalformed)
		}
		v := a[unix.SizeofRtAttr:al]
		switch at {
		case unix.RTA_PREFSRC:
			if ip, ok := netip.AddrFromSlice(v); ok && (family == unix.AF_INET) == ip.Unmap().Is4() {
				r.Src = ip.Unmap()
			}
		case unix.RTA_OIF:
			if len(v) == 4 {
				r.Ifindex = int(ne.Uint32(v))
			}
		case unix.RTA_GATEWAY, unix.RTA_VIA:
			r.Gateway = true
		}
		a = a[min(rtaAlign(al), len(a)):]
	}
	return r, seq, nil
}

// Timeout bounds the wait for the kernel's answer to one request.
const Timeout = 2 * time.Second

// maxStale bounds the stale answers (to earlier requests that timed out)
// one lookup skips.
const maxStale = 16

// Conn is one NETLINK_ROUTE socket, for one goroutine at a time. It
// belongs to the network namespace of the thread that opened it.
type Conn struct {
	fd  int
	seq uint32
	req []byte
	buf []byte
	// kernel is the kernel's netlink address: one per Conn, as Sendto
	// writes into it.
	kernel unix.SockaddrNetlink
}

// Open opens a socket whose answers may take up to bufSize bytes; a
// route is a few hundred.
func Open(bufSize int) (*Conn, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, os.NewSyscallError("socket(netlink)", err)
	}
	tv := unix.NsecToTimeval(Timeout.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("setsockopt", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("bind(netlink)", err)
	}
	return &Conn{fd: fd, buf: make([]byte, max(bufSize, 512)), kernel: unix.SockaddrNetlink{Family: unix.AF_NETLINK}}, nil
}

// Close closes the socket.
func (c *Conn) Close() error { return unix.Close(c.fd) }

// Get asks the kernel for the route to dst; ifindex, when not 0, names
// the interface (a link-local address's zone). A refusal of the routing
// table itself is returned as its unix.Errno; a failure to ask, wrapped.
// It blocks for Timeout at most.
func (c *Conn) Get(dst netip.Addr, ifindex int) (Route, error) {
	c.seq++
	c.req = AppendRequest(c.req[:0], dst, ifindex, c.seq)
	if err := unix.Sendto(c.fd, c.req, 0, &c.kernel); err != nil {
		return Route{}, os.NewSyscallError("sendto(netlink)", err)
	}
	for range maxStale {
		n, _, err := unix.Recvfrom(c.fd, c.buf, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return Route{}, os.NewSyscallError("recvfrom(netlink)", err)
		}
		r, seq, err := ParseReply(c.buf[:n])
		if seq != c.seq {
			continue // a late answer to an earlier request
		}
		return r, err
	}
	return Route{}, errors.New("netroute: no answer from the kernel's routing table")
}

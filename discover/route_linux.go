//go:build linux

package discover

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// router asks the kernel's routing table, over one rtnetlink socket, how
// it would send to an address: the way `ip route get` does. The socket is
// made once, in the network namespace of the thread that opens it, and
// used from one goroutine at a time.
type router struct {
	fd  int
	seq uint32
	buf []byte
	req []byte
}

// routeReplyMax bounds what one answer may take; a route reply is a few
// hundred bytes.
const routeReplyMax = 16 << 10

func newRouter() (*router, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, os.NewSyscallError("socket(netlink)", err)
	}
	// The kernel answers at once; the timeout only guards against a
	// kernel that never does.
	tv := unix.Timeval{Sec: 2}
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("setsockopt", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("bind(netlink)", err)
	}
	return &router{fd: fd, buf: make([]byte, routeReplyMax)}, nil
}

func (r *router) close() error { return unix.Close(r.fd) }

// kernelRoute is the kernel's answer: the route's type, its output
// interface, the source address it would pick, and whether the
// destination is on the link (no gateway).
type kernelRoute struct {
	typ     uint8 // unix.RTN_UNICAST, RTN_LOCAL, RTN_BROADCAST, ...
	ifindex int
	src     netip.Addr
	onLink  bool
}

// get looks dst up. An error wrapping a syscall.Errno is the kernel's
// refusal (ENETUNREACH: no route; EHOSTUNREACH, EACCES, EINVAL:
// unreachable, prohibit and blackhole routes).
func (r *router) get(dst netip.Addr) (kernelRoute, error) {
	r.seq++
	r.req = appendRouteRequest(r.req[:0], dst, r.seq)
	if err := unix.Sendto(r.fd, r.req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return kernelRoute{}, os.NewSyscallError("sendto(netlink)", err)
	}
	for {
		n, _, err := unix.Recvfrom(r.fd, r.buf, 0)
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			return kernelRoute{}, os.NewSyscallError("recvfrom(netlink)", err)
		}
		rt, seq, err := parseRouteReply(r.buf[:n])
		if seq != r.seq {
			continue // a late answer to an earlier request
		}
		return rt, err
	}
}

// appendRouteRequest appends an RTM_GETROUTE request for dst.
func appendRouteRequest(b []byte, dst netip.Addr, seq uint32) []byte {
	alen := 4
	family := byte(unix.AF_INET)
	if !dst.Is4() {
		alen, family = 16, unix.AF_INET6
	}
	total := unix.SizeofNlMsghdr + unix.SizeofRtMsg + 4 + alen
	b = binary.NativeEndian.AppendUint32(b, uint32(total))
	b = binary.NativeEndian.AppendUint16(b, unix.RTM_GETROUTE)
	b = binary.NativeEndian.AppendUint16(b, unix.NLM_F_REQUEST)
	b = binary.NativeEndian.AppendUint32(b, seq)
	b = binary.NativeEndian.AppendUint32(b, 0) // port id: the kernel's
	// rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags
	b = append(b, family, byte(alen*8), 0, 0, 0, 0, 0, 0)
	b = binary.NativeEndian.AppendUint32(b, 0)
	b = binary.NativeEndian.AppendUint16(b, uint16(4+alen))
	b = binary.NativeEndian.AppendUint16(b, unix.RTA_DST)
	return append(b, dst.AsSlice()...)
}

// parseRouteReply reads the kernel's answer to a route request: an
// RTM_NEWROUTE message or an error. It returns the message's sequence
// number, so that the caller can skip stale answers. Every length is
// checked: syscall.ParseNetlinkRouteAttr panics on some malformed input.
func parseRouteReply(b []byte) (kernelRoute, uint32, error) {
	if len(b) < unix.SizeofNlMsghdr {
		return kernelRoute{}, 0, errShort
	}
	size := int(binary.NativeEndian.Uint32(b[0:4]))
	typ := binary.NativeEndian.Uint16(b[4:6])
	seq := binary.NativeEndian.Uint32(b[8:12])
	if size < unix.SizeofNlMsghdr || size > len(b) {
		return kernelRoute{}, seq, errShort
	}
	data := b[unix.SizeofNlMsghdr:size]
	switch typ {
	case unix.NLMSG_ERROR:
		if len(data) < 4 {
			return kernelRoute{}, seq, errShort
		}
		errno := -int32(binary.NativeEndian.Uint32(data[:4]))
		if errno <= 0 {
			return kernelRoute{}, seq, errors.New("netlink: acknowledgement where a route was expected")
		}
		return kernelRoute{}, seq, syscall.Errno(errno)
	case unix.RTM_NEWROUTE:
	default:
		return kernelRoute{}, seq, fmt.Errorf("netlink: unexpected message type %d", typ)
	}
	if len(data) < unix.SizeofRtMsg {
		return kernelRoute{}, seq, errShort
	}
	rt := kernelRoute{typ: data[7], onLink: true}
	for attrs := data[unix.SizeofRtMsg:]; len(attrs) >= 4; {
		alen := int(binary.NativeEndian.Uint16(attrs[0:2]))
		atyp := binary.NativeEndian.Uint16(attrs[2:4]) &^ unix.NLA_F_NESTED
		if alen < 4 || alen > len(attrs) {
			return kernelRoute{}, seq, errShort
		}
		v := attrs[4:alen]
		switch atyp {
		case unix.RTA_OIF:
			if len(v) == 4 {
				rt.ifindex = int(binary.NativeEndian.Uint32(v))
			}
		case unix.RTA_PREFSRC:
			if ip, ok := netip.AddrFromSlice(v); ok {
				rt.src = ip.Unmap()
			}
		case unix.RTA_GATEWAY, unix.RTA_VIA:
			rt.onLink = false
		}
		attrs = attrs[min((alen+3)&^3, len(attrs)):]
	}
	return rt, seq, nil
}

//go:build linux

package discover

import (
	"net/netip"

	"github.com/ajarsec/ajar/internal/netroute"
)

// router asks the kernel's routing table, over one rtnetlink socket, how
// it would send to an address: the way `ip route get` does. The socket is
// made once, in the network namespace of the thread that opens it, and
// used from one goroutine at a time.
type router struct {
	c *netroute.Conn
}

// routeReplyMax bounds what one answer may take; a route reply is a few
// hundred bytes.
const routeReplyMax = 16 << 10

func newRouter() (*router, error) {
	c, err := netroute.Open(routeReplyMax)
	if err != nil {
		return nil, err
	}
	return &router{c: c}, nil
}

func (r *router) close() error { return r.c.Close() }

// kernelRoute is the kernel's answer: the route's type, its output
// interface, the source address it would pick, and whether the
// destination is on the link (no gateway).
type kernelRoute struct {
	typ     uint8 // unix.RTN_UNICAST, RTN_LOCAL, RTN_BROADCAST, ...
	ifindex int
	src     netip.Addr
	onLink  bool
}

func fromNetroute(r netroute.Route) kernelRoute {
	return kernelRoute{typ: r.Type, ifindex: r.Ifindex, src: r.Src, onLink: !r.Gateway}
}

// get looks dst up. An error wrapping a syscall.Errno is the kernel's
// refusal (ENETUNREACH: no route; EHOSTUNREACH, EACCES, EINVAL:
// unreachable, prohibit and blackhole routes).
func (r *router) get(dst netip.Addr) (kernelRoute, error) {
	rt, err := r.c.Get(dst, 0)
	if err != nil {
		return kernelRoute{}, err
	}
	return fromNetroute(rt), nil
}

// parseRouteReply reads the kernel's answer to a route request (see
// netroute.ParseReply), with its sequence number.
func parseRouteReply(b []byte) (kernelRoute, uint32, error) {
	rt, seq, err := netroute.ParseReply(b)
	if err != nil {
		return kernelRoute{}, seq, err
	}
	return fromNetroute(rt), seq, nil
}

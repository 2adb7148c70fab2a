package syn

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// route is what the kernel's routing table says of one destination: the
// source address a packet to it leaves with, and the interface.
type route struct {
	src     netip.Addr
	ifindex int
}

// routeTTL is how long a looked-up route is trusted: a scan that runs for
// hours sees the routing table change.
const routeTTL = 30 * time.Second

// routeCacheSize is the number of destinations remembered, by a hash of
// the address: a scan walks hosts in a permuted order, so a host's routes
// are looked up once per host in practice, never once per probe.
const routeCacheSize = 16384

// routes caches routes looked up over netlink (RTM_GETROUTE, as `ip
// route get` does). The kernel answers lookups in parallel, so there are
// a few sockets to ask on: a sweep of many hosts, one lookup per new host,
// must not queue up behind one. They are opened with the prober, in its
// network namespace, whichever thread later asks.
type routes struct {
	mu    sync.Mutex // guards cache
	cache [routeCacheSize]routeEntry

	socks chan *nlSock // the idle sockets
	n     int
	netns [2]uint64     // the device and inode of the namespace they are in
	done  chan struct{} // closed by close
	once  sync.Once
}

// nlSock is one NETLINK_ROUTE socket and its buffers.
type nlSock struct {
	fd  int
	seq uint32
	req [64]byte
	buf []byte
}

type routeEntry struct {
	dst     netip.Addr
	ifindex int // the interface asked for (a link-local address's zone)
	r       route
	err     error
	expires time.Time
}

// netlinkTimeout bounds the wait for the kernel's answer.
const netlinkTimeout = 2 * time.Second

// routeSockets is how many lookups run at once.
var routeSockets = max(4, 2*runtime.GOMAXPROCS(0))

func openRoutes() (*routes, error) {
	rs := &routes{socks: make(chan *nlSock, routeSockets), done: make(chan struct{})}
	var st unix.Stat_t
	if err := unix.Stat("/proc/thread-self/ns/net", &st); err == nil {
		rs.netns = [2]uint64{st.Dev, st.Ino}
	}
	for range routeSockets {
		s, err := openNetlink(4096)
		if err != nil {
			rs.close()
			return nil, err
		}
		rs.n++
		rs.socks <- s
	}
	return rs, nil
}

// close waits for the lookups under way and closes the sockets; lookups
// after it fail.
func (rs *routes) close() error {
	var errs []error
	rs.once.Do(func() {
		close(rs.done)
		for range rs.n {
			errs = append(errs, (<-rs.socks).close())
		}
	})
	return errors.Join(errs...)
}

func openNetlink(bufSize int) (*nlSock, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, os.NewSyscallError("socket(netlink)", err)
	}
	tv := unix.NsecToTimeval(netlinkTimeout.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("setsockopt", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("bind(netlink)", err)
	}
	return &nlSock{fd: fd, buf: make([]byte, bufSize)}, nil
}

// lookup returns the route to dst (unmapped, without zone; ifindex names
// the interface of a link-local address), from the cache when it is there,
// else asking on own, the worker's socket, or when it has none on one of
// the shared ones.
// asked says whether the kernel was asked.
func (rs *routes) lookup(dst netip.Addr, ifindex int, now time.Time, own *nlSock) (_ route, _ error, asked bool) {
	h := addrHash(dst) % routeCacheSize
	rs.mu.Lock()
	if e := &rs.cache[h]; e.dst == dst && e.ifindex == ifindex && now.Before(e.expires) {
		r, err := e.r, e.err
		rs.mu.Unlock()
		return r, err, false
	}
	rs.mu.Unlock()
	var r route
	var err error
	if own != nil {
		r, err = own.query(dst, ifindex)
	} else {
		var s *nlSock
		select {
		case <-rs.done:
			return route{}, errClosed, false
		case s = <-rs.socks:
		}
		r, err = s.query(dst, ifindex)
		rs.socks <- s
	}
	if _, fromTable := err.(unix.Errno); err == nil || fromTable {
		// The table's own answer, no route included; a failure to ask
		// is not remembered.
		rs.mu.Lock()
		rs.cache[h] = routeEntry{dst: dst, ifindex: ifindex, r: r, err: err, expires: now.Add(routeTTL)}
		rs.mu.Unlock()
	}
	return r, err, true
}

func (s *nlSock) close() error { return unix.Close(s.fd) }

// ownSocket opens a socket for one worker's lookups, so that workers look
// routes up in parallel, without waiting for a shared socket. A socket
// belongs to the network namespace of the thread that opens it: when the
// worker's thread is in another namespace than the prober's (a test
// drives a prober made in a namespace), there is none, and the worker
// uses the shared sockets.
func (rs *routes) ownSocket() *nlSock {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var st unix.Stat_t
	if err := unix.Stat("/proc/thread-self/ns/net", &st); err != nil || [2]uint64{st.Dev, st.Ino} != rs.netns {
		return nil
	}
	s, err := openNetlink(1024) // a route is a few hundred bytes
	if err != nil {
		return nil // the shared ones will do
	}
	return s
}

func addrHash(a netip.Addr) uint32 {
	b := a.As16()
	h := uint32(2166136261) // FNV-1a
	for _, c := range b {
		h = (h ^ uint32(c)) * 16777619
	}
	return h
}

// query asks the kernel for the route to dst. An error of the routing
// table itself (no route, an unreachable or prohibit route) is returned
// as its errno.
func (rs *nlSock) query(dst netip.Addr, ifindex int) (route, error) {
	rs.seq++
	req := routeRequest(rs.req[:0], dst, ifindex, rs.seq)
	if err := unix.Sendto(rs.fd, req, 0, &kernelNetlink); err != nil {
		return route{}, os.NewSyscallError("sendto(netlink)", err)
	}
	for range 16 { // stale answers are skipped, a bounded number of them
		n, _, err := unix.Recvfrom(rs.fd, rs.buf, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return route{}, os.NewSyscallError("recvfrom(netlink)", err)
		}
		r, seq, err := parseRouteReply(rs.buf[:n])
		if seq != rs.seq {
			continue
		}
		if err != nil {
			return route{}, err
		}
		if !r.src.IsValid() {
			// No preferred source in the answer: let the kernel pick
			// one for a socket connected there.
			if r.src, err = connectedSource(dst, ifindex); err != nil {
				return route{}, err
			}
		}
		return r, nil
	}
	return route{}, errors.New("syn: no answer from the kernel's routing table")
}

// kernelNetlink is the kernel's netlink address.
var kernelNetlink = unix.SockaddrNetlink{Family: unix.AF_NETLINK}

// routeRequest appends to b an RTM_GETROUTE message for dst (rtnetlink(7)):
// a netlink header, a struct rtmsg and an RTA_DST attribute, and RTA_OIF
// when ifindex is set.
func routeRequest(b []byte, dst netip.Addr, ifindex int, seq uint32) []byte {
	family, alen := unix.AF_INET, 4
	if dst.Is6() {
		family, alen = unix.AF_INET6, 16
	}
	n := unix.SizeofNlMsghdr + unix.SizeofRtMsg + rtaAlign(unix.SizeofRtAttr+alen)
	if ifindex != 0 {
		n += rtaAlign(unix.SizeofRtAttr + 4)
	}
	b = slices.Grow(b, n)[len(b) : len(b)+n]
	clear(b)
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], uint32(n))
	ne.PutUint16(b[4:], unix.RTM_GETROUTE)
	ne.PutUint16(b[6:], unix.NLM_F_REQUEST)
	ne.PutUint32(b[8:], seq)
	m := b[unix.SizeofNlMsghdr:]
	m[0] = byte(family)
	m[1] = byte(alen * 8) // dst_len
	a := m[unix.SizeofRtMsg:]
	ne.PutUint16(a[0:], uint16(unix.SizeofRtAttr+alen))
	ne.PutUint16(a[2:], unix.RTA_DST)
	copy(a[unix.SizeofRtAttr:], dst.AsSlice())
	if ifindex != 0 {
		a = a[rtaAlign(unix.SizeofRtAttr+alen):]
		ne.PutUint16(a[0:], unix.SizeofRtAttr+4)
		ne.PutUint16(a[2:], unix.RTA_OIF)
		ne.PutUint32(a[unix.SizeofRtAttr:], uint32(ifindex))
	}
	return b
}

func rtaAlign(n int) int { return (n + unix.RTA_ALIGNTO - 1) &^ (unix.RTA_ALIGNTO - 1) }

// parseRouteReply parses the kernel's answer to routeRequest: an
// RTM_NEWROUTE message, whose RTA_PREFSRC and RTA_OIF attributes are the
// route, or an NLMSG_ERROR carrying an errno. It returns the sequence
// number of the message it read.
func parseRouteReply(b []byte) (route, uint32, error) {
	ne := binary.NativeEndian
	if len(b) < unix.SizeofNlMsghdr {
		return route{}, 0, errors.New("syn: short netlink message")
	}
	l := int(ne.Uint32(b[0:]))
	typ := ne.Uint16(b[4:])
	seq := ne.Uint32(b[8:])
	if l < unix.SizeofNlMsghdr || l > len(b) {
		return route{}, seq, errors.New("syn: bad netlink message length")
	}
	body := b[unix.SizeofNlMsghdr:l]
	switch typ {
	case unix.NLMSG_ERROR:
		if len(body) < 4 {
			return route{}, seq, errors.New("syn: short netlink error")
		}
		if errno := int32(ne.Uint32(body)); errno < 0 {
			return route{}, seq, unix.Errno(-errno)
		}
		return route{}, seq, errors.New("syn: netlink acknowledged, no route given")
	case unix.RTM_NEWROUTE:
	default:
		return route{}, seq, fmt.Errorf("syn: unexpected netlink message type %d", typ)
	}
	if len(body) < unix.SizeofRtMsg {
		return route{}, seq, errors.New("syn: short route message")
	}
	family := body[0]
	var r route
	for a := body[unix.SizeofRtMsg:]; len(a) >= unix.SizeofRtAttr; {
		al := int(ne.Uint16(a[0:]))
		at := ne.Uint16(a[2:])
		if al < unix.SizeofRtAttr || al > len(a) {
			return route{}, seq, errors.New("syn: bad route attribute length")
		}
		v := a[unix.SizeofRtAttr:al]
		switch at {
		case unix.RTA_PREFSRC:
			if ip, ok := netip.AddrFromSlice(v); ok && (family == unix.AF_INET) == ip.Is4() {
				r.src = ip
			}
		case unix.RTA_OIF:
			if len(v) == 4 {
				r.ifindex = int(ne.Uint32(v))
			}
		}
		a = a[min(rtaAlign(al), len(a)):]
	}
	return r, seq, nil
}

// connectedSource is the source address the kernel picks for a UDP socket
// connected to dst: a route lookup too, for the answers that name none.
// Nothing is sent.
func connectedSource(dst netip.Addr, ifindex int) (netip.Addr, error) {
	family := unix.AF_INET
	var sa unix.Sockaddr
	if dst.Is4() {
		sa = &unix.SockaddrInet4{Port: 9, Addr: dst.As4()}
	} else {
		family = unix.AF_INET6
		sa = &unix.SockaddrInet6{Port: 9, Addr: dst.As16(), ZoneId: uint32(ifindex)}
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return netip.Addr{}, os.NewSyscallError("socket", err)
	}
	defer unix.Close(fd)
	if err := unix.Connect(fd, sa); err != nil {
		return netip.Addr{}, err
	}
	local, err := unix.Getsockname(fd)
	if err != nil {
		return netip.Addr{}, os.NewSyscallError("getsockname", err)
	}
	switch a := local.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrFrom4(a.Addr), nil
	case *unix.SockaddrInet6:
		return netip.AddrFrom16(a.Addr), nil
	}
	return netip.Addr{}, errors.New("syn: no source address")
}

// netInterfaceIndex is the index of the interface named name.
func netInterfaceIndex(name string) (int, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return 0, err
	}
	return ifi.Index, nil
}

package syn

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ajarsec/ajar/internal/netroute"
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

// routeCacheSize is the most destinations remembered, by a hash of the
// address: a scan walks hosts in a permuted order, so a host's routes are
// looked up once per host in practice, never once per probe. The cache
// starts at routeCacheMin entries and grows (fourfold) when a new
// destination would push out a live one: a scan of a few hosts keeps a
// few kilobytes, one of many the whole 1.7 MB.
const (
	routeCacheSize = 16384
	routeCacheMin  = 64
)

// routes caches routes looked up over netlink (RTM_GETROUTE, as `ip
// route get` does). The kernel answers lookups in parallel, so there are
// a few sockets to ask on: a sweep of many hosts, one lookup per new host,
// must not queue up behind one. They are opened with the prober, in its
// network namespace, whichever thread later asks.
type routes struct {
	mu    sync.Mutex   // guards cache
	cache []routeEntry // a power of two long, at most routeCacheSize

	socks chan *nlSock // the idle sockets
	n     int
	netns [2]uint64     // the device and inode of the namespace they are in
	done  chan struct{} // closed by close
	once  sync.Once
}

// nlSock is one NETLINK_ROUTE socket.
type nlSock = netroute.Conn

type routeEntry struct {
	dst     netip.Addr
	ifindex int // the interface asked for (a link-local address's zone)
	r       route
	err     error
	expires time.Time
}

// routeSockets is how many lookups run at once.
var routeSockets = max(4, 2*runtime.GOMAXPROCS(0))

func openRoutes() (*routes, error) {
	rs := &routes{cache: make([]routeEntry, routeCacheMin), socks: make(chan *nlSock, routeSockets), done: make(chan struct{})}
	var st unix.Stat_t
	if err := unix.Stat("/proc/thread-self/ns/net", &st); err == nil {
		rs.netns = [2]uint64{st.Dev, st.Ino}
	}
	for range routeSockets {
		s, err := netroute.Open(4096)
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
			errs = append(errs, (<-rs.socks).Close())
		}
	})
	return errors.Join(errs...)
}

// lookup returns the route to dst (unmapped, without zone; ifindex names
// the interface of a link-local address), from the cache when it is there,
// else asking on own, the worker's socket, or when it has none on one of
// the shared ones.
// asked says whether the kernel was asked.
func (rs *routes) lookup(dst netip.Addr, ifindex int, now time.Time, own *nlSock) (_ route, _ error, asked bool) {
	h := addrHash(dst)
	rs.mu.Lock()
	if e := &rs.cache[h%uint32(len(rs.cache))]; e.dst == dst && e.ifindex == ifindex && now.Before(e.expires) {
		r, err := e.r, e.err
		rs.mu.Unlock()
		return r, err, false
	}
	rs.mu.Unlock()
	var r route
	var err error
	if own != nil {
		r, err = query(own, dst, ifindex)
	} else {
		var s *nlSock
		select {
		case <-rs.done:
			return route{}, errClosed, false
		case s = <-rs.socks:
		}
		r, err = query(s, dst, ifindex)
		rs.socks <- s
	}
	if _, fromTable := err.(unix.Errno); err == nil || fromTable {
		// The table's own answer, no route included; a failure to ask
		// is not remembered.
		rs.mu.Lock()
		rs.store(h, routeEntry{dst: dst, ifindex: ifindex, r: r, err: err, expires: now.Add(routeTTL)}, now)
		rs.mu.Unlock()
	}
	return r, err, true
}

// store puts e, whose address hashes to h, in the cache, growing the
// cache first when e would push out another destination's live entry.
// The caller holds mu.
func (rs *routes) store(h uint32, e routeEntry, now time.Time) {
	if o := &rs.cache[h%uint32(len(rs.cache))]; o.dst.IsValid() && o.dst != e.dst && now.Before(o.expires) && len(rs.cache) < routeCacheSize {
		old := rs.cache
		rs.cache = make([]routeEntry, min(4*len(old), routeCacheSize))
		for _, o := range old {
			if o.dst.IsValid() && now.Before(o.expires) {
				rs.cache[addrHash(o.dst)%uint32(len(rs.cache))] = o
			}
		}
	}
	rs.cache[h%uint32(len(rs.cache))] = e
}

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
	s, err := netroute.Open(1024) // a route is a few hundred bytes
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

// query asks the kernel, on s, for the route to dst. An error of the
// routing table itself (no route, an unreachable or prohibit route) is
// returned as its errno.
func query(s *nlSock, dst netip.Addr, ifindex int) (route, error) {
	kr, err := s.Get(dst, ifindex)
	if err != nil {
		return route{}, err
	}
	r := route{src: kr.Src, ifindex: kr.Ifindex}
	if !r.src.IsValid() {
		// No preferred source in the answer: let the kernel pick one
		// for a socket connected there.
		if r.src, err = connectedSource(dst, ifindex); err != nil {
			return route{}, err
		}
	}
	return r, nil
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

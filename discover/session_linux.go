package discover

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/ajarsec/ajar/record"
)

// Open prepares discovery: it opens the sockets (raw ones when it may and
// cfg.Mode allows), reads this machine's interfaces and starts reading
// answers. Sockets belong to the calling thread's network namespace.
func Open(cfg Config) (*Session, error) {
	s := &Session{events: make(chan event, eventQueue), done: make(chan struct{})}
	var r [20]byte
	if _, err := rand.Read(r[:]); err != nil {
		return nil, err
	}
	s.keys = keys{
		id: binary.LittleEndian.Uint16(r[0:]),
		// An ephemeral-range port that no local socket is likely to
		// hold: answers to it are ours.
		sport:  32768 + binary.LittleEndian.Uint16(r[2:])%28000,
		secret: [2]uint64{binary.LittleEndian.Uint64(r[4:]), binary.LittleEndian.Uint64(r[12:])},
	}
	rt, err := newRouter()
	if err != nil {
		return nil, err
	}
	ifaces, err := etherLinks()
	if err != nil {
		rt.close()
		return nil, err
	}
	var raw *rawTransport
	if cfg.Mode != Unprivileged {
		raw, err = openRaw(&s.keys)
		switch {
		case err == nil:
		case denied(err) && cfg.Mode == Auto:
		case denied(err):
			rt.close()
			return nil, fmt.Errorf("%w: %w", ErrPrivileges, err)
		default:
			rt.close()
			return nil, err
		}
	}
	s.privileged = raw != nil
	s.cfg = cfg.withDefaults(s.privileged)
	lr := &linuxRoutes{r: rt, ifaces: ifaces, neighbor: s.privileged && !cfg.NoNeighbor, v6: true}
	if raw != nil {
		s.t = raw
		lr.v6 = raw.hasV6()
	} else {
		s.t = openUnpriv(&s.keys, s.cfg.Timeout)
	}
	s.routes = lr
	s.t.listen(s.events, s.done)
	return s, nil
}

// etherLinks maps the index of each Ethernet interface of this machine
// (one that ARP and NDP work on) to its address.
func etherLinks() (map[int]record.MAC, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("listing interfaces: %w", err)
	}
	m := make(map[int]record.MAC)
	for _, ifi := range ifs {
		if len(ifi.HardwareAddr) != 6 || ifi.Flags&(net.FlagLoopback|net.FlagPointToPoint) != 0 {
			continue
		}
		m[ifi.Index] = record.MAC(ifi.HardwareAddr)
	}
	return m, nil
}

// linuxRoutes decides how each target is reached from the kernel's
// routing table.
type linuxRoutes struct {
	r        *router
	ifaces   map[int]record.MAC
	neighbor bool // ARP and NDP may be used
	v6       bool // IPv6 probes can be sent
}

func (l *linuxRoutes) close() error { return l.r.close() }

func (l *linuxRoutes) lookup(a netip.Addr) (hostRoute, error) {
	if a.IsMulticast() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return hostRoute{kind: unreachable, reason: record.ReasonBroadcast}, nil
	}
	if !a.Is4() && !l.v6 {
		return hostRoute{kind: unreachable, reason: record.ReasonNoRoute}, nil
	}
	kr, err := l.r.get(a)
	if err != nil {
		var errno syscall.Errno
		if !errors.As(err, &errno) {
			return hostRoute{}, err
		}
		switch errno {
		case unix.ENETUNREACH, unix.EHOSTUNREACH, unix.EACCES, unix.EINVAL, unix.EPERM:
			// no route, or an unreachable, prohibit or blackhole one
			return hostRoute{kind: unreachable, reason: record.ReasonNoRoute}, nil
		}
		return hostRoute{}, err
	}
	switch kr.typ {
	case unix.RTN_LOCAL:
		return hostRoute{kind: isLocal}, nil
	case unix.RTN_BROADCAST, unix.RTN_MULTICAST, unix.RTN_ANYCAST:
		return hostRoute{kind: unreachable, reason: record.ReasonBroadcast}, nil
	case unix.RTN_UNICAST:
	default:
		return hostRoute{kind: unreachable, reason: record.ReasonNoRoute}, nil
	}
	hr := hostRoute{kind: viaIP, src: kr.src, ifindex: kr.ifindex}
	if mac, ok := l.ifaces[kr.ifindex]; ok && kr.onLink && l.neighbor && kr.src.IsValid() {
		hr.kind, hr.mac = viaNeighbor, mac
	}
	return hr, nil
}

package audit

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/ajarsec/ajar/record"
)

// A check's severity is the risk to a listener the network can reach:
// what `ajar scan` sees. On this machine (`ajar audit`) the socket says
// who can reach it, and Weigh moves the severity by that:
//
//	all, address     as found: anyone who can route to the host
//	interface, link  one step down: only that interface's network
//	loopback         critical → medium, high → low, medium → low,
//	                 low → info: only processes of this machine
//	                 (local users, a server-side request forgery);
//	                 cleartext on loopback is info: no wire to sniff
//	unknown          as found
//
// The finding keeps the exposure, and says why in SeverityReason.

// Weigh sets f's exposure from the socket s it was found on, and moves
// its severity by who can reach s.
func Weigh(f *record.Finding, s *record.Socket) {
	found := f.Severity
	f.Exposure = s.Exposure
	where := s.Local.String()
	if s.Proto == record.UDP {
		where += "/udp"
	}
	switch s.Exposure {
	case record.ExposureAll:
		f.SeverityReason = fmt.Sprintf("%s as found: listens on %s, every address of this host, reachable from any network it is on",
			found, where)
	case record.ExposureAddress:
		f.SeverityReason = fmt.Sprintf("%s as found: listens on %s, reachable by anyone who can route to that address", found, where)
	case record.ExposureInterface, record.ExposureLocalLink:
		f.Severity = max(record.Info, found-1)
		f.SeverityReason = fmt.Sprintf("%s, one step under %s: listens on %s through %s only, reachable from that network alone",
			f.Severity, found, where, cmp.Or(s.Device, strings.Join(s.Interfaces, ","), "one link"))
	case record.ExposureLoopback:
		f.Severity = loopbackSeverity(f)
		f.SeverityReason = fmt.Sprintf("%s, not %s: listens on %s, loopback only: reachable by this machine's users and processes "+
			"(or a request forgery through a local server), not from the network", f.Severity, found, where)
	default:
		f.SeverityReason = fmt.Sprintf("%s as found: who can reach %s is unknown", found, where)
	}
}

func loopbackSeverity(f *record.Finding) record.Severity {
	if f.Category == record.Cleartext {
		return record.Info
	}
	switch f.Severity {
	case record.Critical:
		return record.Medium
	case record.High, record.Medium:
		return record.Low
	}
	return record.Info
}

// Listener is one service of this machine to audit: the address to
// reach it at, and the socket (the widest, when several share the port)
// its findings are weighed by.
type Listener struct {
	Addr   netip.AddrPort
	Proto  record.Proto
	Socket record.Socket
}

// Listeners turns this machine's listening sockets into the services to
// audit, each reached over its own address, or loopback for a wildcard:
// one per process, protocol and port, so that 0.0.0.0:22 and [::]:22 of
// one sshd are judged once, by the widest exposure of the two.
func Listeners(socks []record.Socket) []Listener {
	type key struct {
		proto record.Proto
		port  uint16
		pid   int
		addr  netip.Addr // a specific address; zero for wildcards and loopback
	}
	byKey := map[key]*Listener{}
	var order []key
	for _, s := range socks {
		if s.State != record.SocketListen && !(s.Proto == record.UDP && s.State == record.SocketUnconn) {
			continue
		}
		a := s.Local.Addr()
		k := key{proto: s.Proto, port: s.Local.Port(), pid: s.PID}
		dial := a
		switch {
		case a.IsUnspecified() && a.Is4():
			dial = netip.AddrFrom4([4]byte{127, 0, 0, 1})
		case a.IsUnspecified():
			dial = netip.IPv6Loopback()
		case !a.IsLoopback():
			k.addr = a
		}
		if a.Is6() && a.Zone() != "" {
			continue // a link-local address with a scope: out of reach of a plain dial
		}
		l, seen := byKey[k]
		if !seen {
			byKey[k] = &Listener{Addr: netip.AddrPortFrom(dial, s.Local.Port()), Proto: s.Proto, Socket: s}
			order = append(order, k)
			continue
		}
		if s.Exposure > l.Socket.Exposure {
			l.Socket = s
		}
		// IPv4 first: more services answer there.
		if dial.Is4() && !l.Addr.Addr().Is4() {
			l.Addr = netip.AddrPortFrom(dial, s.Local.Port())
		}
	}
	out := make([]Listener, 0, len(order))
	for _, k := range order {
		out = append(out, *byKey[k])
	}
	slices.SortFunc(out, func(a, b Listener) int {
		return cmp.Or(cmp.Compare(a.Proto, b.Proto), cmp.Compare(a.Addr.Port(), b.Addr.Port()), a.Addr.Compare(b.Addr))
	})
	return out
}

// Exposures finds the listener behind each port a local audit probed,
// to weigh that port's findings by who can reach the listener.
type Exposures struct {
	by map[exposureKey]Listener
}

type exposureKey struct {
	addr  netip.AddrPort
	proto record.Proto
}

// NewExposures indexes ls by the address each is reached at.
func NewExposures(ls []Listener) *Exposures {
	e := &Exposures{by: make(map[exposureKey]Listener, len(ls))}
	for _, l := range ls {
		e.by[exposureKey{l.Addr, l.Proto}] = l
	}
	return e
}

// Weigh weighs each of p's findings by the socket of the listener
// behind p, sorts them worst first, and returns that listener; with none
// behind p, it leaves p as it is and returns false.
func (e *Exposures) Weigh(p *record.PortResult) (Listener, bool) {
	l, ok := e.by[exposureKey{netip.AddrPortFrom(p.Host, p.Port), p.Proto}]
	if !ok {
		return Listener{}, false
	}
	for i := range p.Findings {
		Weigh(&p.Findings[i], &l.Socket)
	}
	Sort(p.Findings)
	return l, true
}

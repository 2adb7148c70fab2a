package sockets

import (
	"net/netip"
	"slices"

	"github.com/ajarsec/ajar/record"
)

// iface is one network interface and its addresses.
type iface struct {
	index int
	name  string
	up    bool
	lo    bool
	addrs []netip.Addr
	// self is []string{name}, made once: the Interfaces of every socket
	// held to this one interface share it.
	self []string
}

// ifaceTable is a snapshot of the interfaces of one network namespace.
type ifaceTable []iface

func (t ifaceTable) byIndex(i int) *iface {
	for k := range t {
		if t[k].index == i {
			return &t[k]
		}
	}
	return nil
}

func (t ifaceTable) byAddr(a netip.Addr) *iface {
	a = a.WithZone("")
	for k := range t {
		if slices.Contains(t[k].addrs, a) {
			return &t[k]
		}
	}
	return nil
}

// exposer works out sockets' exposure against one interface table, caching
// the interface lists of wildcard sockets, which all share a handful of
// values.
type exposer struct {
	t ifaceTable
	// the interfaces reachable through a wildcard bound to IPv4 only,
	// IPv6 only, or both.
	all4, all6, allBoth []string
}

func newExposer(t ifaceTable) *exposer {
	e := &exposer{t: t}
	for k := range t {
		if t[k].self == nil {
			t[k].self = []string{t[k].name}
		}
	}
	for _, ifc := range t {
		if !ifc.up {
			continue
		}
		has4 := slices.ContainsFunc(ifc.addrs, netip.Addr.Is4)
		has6 := slices.ContainsFunc(ifc.addrs, netip.Addr.Is6)
		if has4 {
			e.all4 = append(e.all4, ifc.name)
		}
		if has6 {
			e.all6 = append(e.all6, ifc.name)
		}
		if has4 || has6 {
			e.allBoth = append(e.allBoth, ifc.name)
		}
	}
	return e
}

// set fills s.Exposure and s.Interfaces from s.Local, s.Device and s.V6Only.
// ifIndex is the device the socket is bound to (SO_BINDTODEVICE or the
// scope of a link-local address), 0 for none.
//
// Only a device binding holds a socket to one interface. Linux is a weak
// host: a packet for one of its addresses is taken in on whichever
// interface it arrives, so a socket bound to an address (and no device) is
// reachable through every interface, as a wildcard of that family is, but
// at the one address. rp_filter does not narrow this: it checks where a
// packet's source would be routed, not which interface owns its
// destination.
func (e *exposer) set(s *record.Socket, ifIndex int) {
	addr := s.Local.Addr().Unmap()
	if ifIndex != 0 {
		if ifc := e.t.byIndex(ifIndex); ifc != nil {
			s.Device = ifc.name
			s.Interfaces = ifc.self
			switch {
			case ifc.lo || addr.IsLoopback():
				s.Exposure = record.ExposureLoopback
			case addr.IsLinkLocalUnicast():
				s.Exposure = record.ExposureLocalLink
			default:
				s.Exposure = record.ExposureInterface
			}
			return
		}
	}
	switch {
	case addr.IsLoopback():
		s.Exposure = record.ExposureLoopback
		if ifc := e.t.byAddr(addr); ifc != nil {
			s.Interfaces = ifc.self
		} else if lo := e.loopbackName(); lo != nil {
			s.Interfaces = lo // 127.0.0.0/8 all routes to lo
		}
	case addr.IsUnspecified():
		s.Exposure = record.ExposureAll
		switch {
		case addr.Is4():
			s.Interfaces = e.all4
		case s.V6Only:
			s.Interfaces = e.all6
		default:
			s.Interfaces = e.allBoth
		}
	case addr.IsLinkLocalUnicast():
		// Reachable from its own link only: link-local addresses are
		// never routed.
		s.Exposure = record.ExposureLocalLink
		if ifc := e.t.byAddr(addr); ifc != nil {
			s.Interfaces = ifc.self
		}
	default:
		// One unicast address, on lo (an anycast or service address)
		// or any other interface: through every interface of its family.
		// An address no interface holds that is up (a freebind socket,
		// or an interface taken down) is reachable through none.
		s.Exposure = record.ExposureAddress
		if ifc := e.t.byAddr(addr); ifc != nil && ifc.up {
			if addr.Is4() {
				s.Interfaces = e.all4
			} else {
				s.Interfaces = e.all6
			}
		}
	}
}

func (e *exposer) loopbackName() []string {
	for _, ifc := range e.t {
		if ifc.lo {
			return ifc.self
		}
	}
	return nil
}

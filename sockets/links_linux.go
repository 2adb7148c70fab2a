package sockets

import (
	"context"
	"encoding/binary"
	"errors"
	"net/netip"
	"slices"

	"golang.org/x/sys/unix"
)

// linkReader reads the interfaces of one network namespace and their
// addresses over rtnetlink (RTM_GETLINK and RTM_GETADDR dumps, as `ip addr`
// does), from a socket opened once in that namespace. It keeps the table
// it built, and its exposer, and builds new ones only when an interface,
// its state or its addresses changed: reading an unchanged namespace
// allocates nothing.
type linkReader struct {
	c     *nlConn
	links []linkMsg // this read's links, reused
	addrs []addrMsg // and addresses
	names []byte    // the links' names, one after the other
	exp   *exposer  // built from the last table read
}

// linkMsg is what ajar reads of one struct ifinfomsg.
type linkMsg struct {
	index     int
	flags     uint32
	nameStart int // the name is names[nameStart:nameEnd]
	nameEnd   int
}

// addrMsg is what ajar reads of one struct ifaddrmsg.
type addrMsg struct {
	index int
	addr  netip.Addr
}

// The rtnetlink wire format, from linux/rtnetlink.h, linux/if_link.h and
// linux/if_addr.h.
const (
	ifInfoMsgLen = 16 // struct ifinfomsg
	ifAddrMsgLen = 8  // struct ifaddrmsg
)

var errShortRtMsg = errors.New("rtnetlink: short message")

// parseLinkMsg reads the index, flags and name of one RTM_NEWLINK
// message. name is a part of m.
func parseLinkMsg(m []byte) (index int, flags uint32, name []byte, err error) {
	if len(m) < ifInfoMsgLen {
		return 0, 0, nil, errShortRtMsg
	}
	ne := binary.NativeEndian
	// family u8, pad u8, type u16, index s32, flags u32, change u32
	index = int(int32(ne.Uint32(m[4:])))
	flags = ne.Uint32(m[8:])
	attrs(m[ifInfoMsgLen:], func(typ uint16, p []byte) {
		if typ == unix.IFLA_IFNAME {
			if i := slices.Index(p, 0); i >= 0 {
				p = p[:i]
			}
			name = p
		}
	})
	if index <= 0 || len(name) == 0 {
		return 0, 0, nil, errors.New("rtnetlink: link without an index or a name")
	}
	return index, flags, name, nil
}

// parseAddrMsg reads the interface and address of one RTM_NEWADDR message:
// IFA_LOCAL when there is one (the local end of a point-to-point IPv4
// link, whose IFA_ADDRESS is the peer's), else IFA_ADDRESS. ok is false
// for a message of another family, or with neither.
func parseAddrMsg(m []byte) (index int, addr netip.Addr, ok bool, err error) {
	if len(m) < ifAddrMsgLen {
		return 0, netip.Addr{}, false, errShortRtMsg
	}
	// family u8, prefixlen u8, flags u8, scope u8, index u32
	family := m[0]
	index = int(binary.NativeEndian.Uint32(m[4:]))
	var local, address netip.Addr
	attrs(m[ifAddrMsgLen:], func(typ uint16, p []byte) {
		var a netip.Addr
		switch {
		case family == unix.AF_INET && len(p) == 4:
			a = netip.AddrFrom4([4]byte(p))
		case family == unix.AF_INET6 && len(p) == 16:
			a = netip.AddrFrom16([16]byte(p))
		default:
			return
		}
		switch typ {
		case unix.IFA_LOCAL:
			local = a
		case unix.IFA_ADDRESS:
			address = a
		}
	})
	switch {
	case local.IsValid():
		return index, local, true, nil
	case address.IsValid():
		return index, address, true, nil
	}
	return index, netip.Addr{}, false, nil
}

func openLinkReader() (*linkReader, error) {
	c, err := openNetlink(unix.NETLINK_ROUTE, "rtnetlink", 0)
	if err != nil {
		return nil, err
	}
	return &linkReader{c: c}, nil
}

func (r *linkReader) Close() error { return r.c.Close() }

// read returns the exposer of the namespace's interfaces as they are now.
func (r *linkReader) read(ctx context.Context) (*exposer, error) {
	r.links, r.addrs, r.names = r.links[:0], r.addrs[:0], r.names[:0]
	r.c.request(unix.RTM_GETLINK, ifInfoMsgLen) // family AF_UNSPEC: all
	err := r.c.dump(ctx, func(typ uint16, m []byte) error {
		if typ != unix.RTM_NEWLINK {
			return nil
		}
		index, flags, name, err := parseLinkMsg(m)
		if err != nil {
			return err
		}
		start := len(r.names)
		r.names = append(r.names, name...)
		r.links = append(r.links, linkMsg{index, flags, start, len(r.names)})
		return nil
	})
	if err != nil {
		return nil, err
	}
	r.c.request(unix.RTM_GETADDR, ifAddrMsgLen)
	err = r.c.dump(ctx, func(typ uint16, m []byte) error {
		if typ != unix.RTM_NEWADDR {
			return nil
		}
		index, addr, ok, err := parseAddrMsg(m)
		if ok {
			r.addrs = append(r.addrs, addrMsg{index, addr})
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if r.exp == nil || !r.same(r.exp.t) {
		r.exp = newExposer(r.table())
	}
	return r.exp, nil
}

// same reports whether the links and addresses just read are those of t.
func (r *linkReader) same(t ifaceTable) bool {
	if len(t) != len(r.links) {
		return false
	}
	n := 0
	for i, l := range r.links {
		ifc := &t[i]
		if ifc.index != l.index || ifc.up != (l.flags&unix.IFF_UP != 0) || ifc.lo != (l.flags&unix.IFF_LOOPBACK != 0) ||
			ifc.name != string(r.names[l.nameStart:l.nameEnd]) {
			return false
		}
		n += len(ifc.addrs)
	}
	if n != len(r.addrs) {
		return false
	}
	for _, a := range r.addrs {
		ifc := t.byIndex(a.index)
		if ifc == nil || !slices.Contains(ifc.addrs, a.addr) {
			return false
		}
	}
	return true
}

// table builds a new interface table from the links and addresses just
// read.
func (r *linkReader) table() ifaceTable {
	t := make(ifaceTable, len(r.links))
	for i, l := range r.links {
		t[i] = iface{
			index: l.index,
			name:  string(r.names[l.nameStart:l.nameEnd]),
			up:    l.flags&unix.IFF_UP != 0,
			lo:    l.flags&unix.IFF_LOOPBACK != 0,
		}
	}
	for _, a := range r.addrs {
		if ifc := t.byIndex(a.index); ifc != nil {
			ifc.addrs = append(ifc.addrs, a.addr)
		}
	}
	return t
}

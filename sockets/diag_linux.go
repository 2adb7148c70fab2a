package sockets

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/ajarsec/ajar/record"
	"golang.org/x/sys/unix"
)

// The sock_diag wire format, from linux/inet_diag.h and linux/sock_diag.h.
const (
	sockDiagByFamily = 20 // SOCK_DIAG_BY_FAMILY
	inetDiagReqLen   = 56 // struct inet_diag_req_v2
	inetDiagMsgLen   = 72 // struct inet_diag_msg
	attrSKV6Only     = 11 // INET_DIAG_SKV6ONLY
	// recvBufLen is the receive buffer for one recvmsg of a dump: the
	// kernel fills at most about 32 KiB per message batch, more is wasted.
	recvBufLen = 64 << 10
)

// diagSocket is what one inet_diag_msg says of a socket.
type diagSocket struct {
	record.Socket
	ifIndex int
}

// diagConn is a NETLINK_SOCK_DIAG socket.
type diagConn struct{ *nlConn }

func openDiag() (*diagConn, error) {
	c, err := openNetlink(unix.NETLINK_SOCK_DIAG, "sock_diag", 1<<20)
	if err != nil {
		return nil, err
	}
	return &diagConn{c}, nil
}

// dump asks the kernel for every socket of one family and protocol whose
// state is in the states bit mask, and calls fn for each.
func (c *diagConn) dump(ctx context.Context, family, proto uint8, states uint32, fn func(*diagSocket)) error {
	r := c.request(sockDiagByFamily, inetDiagReqLen)
	r[0] = family
	r[1] = proto
	binary.NativeEndian.PutUint32(r[4:], states)
	var ds diagSocket
	return c.nlConn.dump(ctx, func(typ uint16, msg []byte) error {
		if typ != sockDiagByFamily {
			return nil
		}
		if err := parseDiagMsg(msg, proto, &ds); err != nil {
			return err
		}
		fn(&ds)
		return nil
	})
}

// parseDiagMsg decodes one struct inet_diag_msg and its attributes into ds.
func parseDiagMsg(m []byte, proto uint8, ds *diagSocket) error {
	if len(m) < inetDiagMsgLen {
		return fmt.Errorf("sock_diag: short message (%d bytes)", len(m))
	}
	ne := binary.NativeEndian
	*ds = diagSocket{}
	s := &ds.Socket
	switch proto {
	case unix.IPPROTO_TCP:
		s.Proto = record.TCP
	case unix.IPPROTO_UDP:
		s.Proto = record.UDP
	}
	family := m[0]
	s.State = record.SocketState(m[1])
	// struct inet_diag_sockid starts at byte 4: sport, dport (big endian),
	// src[16], dst[16], if, cookie[2].
	sport := binary.BigEndian.Uint16(m[4:])
	dport := binary.BigEndian.Uint16(m[6:])
	var src, dst netip.Addr
	switch family {
	case unix.AF_INET:
		src = netip.AddrFrom4([4]byte(m[8:12]))
		dst = netip.AddrFrom4([4]byte(m[24:28]))
	case unix.AF_INET6:
		src = netip.AddrFrom16([16]byte(m[8:24]))
		dst = netip.AddrFrom16([16]byte(m[24:40]))
	default:
		return fmt.Errorf("sock_diag: unknown address family %d", family)
	}
	s.Local = netip.AddrPortFrom(src, sport)
	if dport != 0 || !dst.IsUnspecified() {
		s.Peer = netip.AddrPortFrom(dst, dport)
	}
	ds.ifIndex = int(ne.Uint32(m[40:]))
	// then expires, rqueue, wqueue, uid, inode (u32 each) from byte 52.
	s.UID = ne.Uint32(m[64:])
	s.Inode = uint64(ne.Uint32(m[68:]))
	for a := m[inetDiagMsgLen:]; len(a) >= unix.SizeofRtAttr; {
		l := int(ne.Uint16(a[0:]))
		typ := ne.Uint16(a[2:])
		if l < unix.SizeofRtAttr || l > len(a) {
			break
		}
		if typ == attrSKV6Only && l > unix.SizeofRtAttr {
			s.V6Only = a[unix.SizeofRtAttr] != 0
		}
		a = a[min((l+unix.RTA_ALIGNTO-1)&^(unix.RTA_ALIGNTO-1), len(a)):]
	}
	return nil
}

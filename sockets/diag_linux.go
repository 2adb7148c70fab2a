package sockets

import (
	"context"
	"encoding/binary"
	"errors"
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

// diagConn is a NETLINK_SOCK_DIAG socket, opened in the network namespace of
// the thread that opened it: it stays bound to that namespace for its life.
type diagConn struct {
	fd  int
	seq uint32
	buf []byte
}

func openDiag() (*diagConn, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return nil, fmt.Errorf("opening netlink sock_diag socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("binding netlink socket: %w", err)
	}
	// A large kernel-side buffer lets the dump run ahead of our reads.
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 1<<20)
	return &diagConn{fd: fd, buf: make([]byte, recvBufLen)}, nil
}

func (c *diagConn) Close() error { return unix.Close(c.fd) }

// dump asks the kernel for every socket of one family and protocol whose
// state is in the states bit mask, and calls fn for each.
func (c *diagConn) dump(ctx context.Context, family, proto uint8, states uint32, fn func(*diagSocket)) error {
	c.seq++
	req := make([]byte, unix.NLMSG_HDRLEN+inetDiagReqLen)
	ne := binary.NativeEndian
	ne.PutUint32(req[0:], uint32(len(req)))
	ne.PutUint16(req[4:], sockDiagByFamily)
	ne.PutUint16(req[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	ne.PutUint32(req[8:], c.seq)
	r := req[unix.NLMSG_HDRLEN:]
	r[0] = family
	r[1] = proto
	ne.PutUint32(r[4:], states)
	if err := unix.Sendto(c.fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("sending sock_diag request: %w", err)
	}
	var ds diagSocket
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, _, err := unix.Recvfrom(c.fd, c.buf, 0)
		if err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return fmt.Errorf("reading sock_diag reply: %w", err)
		}
		b := c.buf[:n]
		for len(b) >= unix.NLMSG_HDRLEN {
			l := int(ne.Uint32(b[0:]))
			typ := ne.Uint16(b[4:])
			seq := ne.Uint32(b[8:])
			if l < unix.NLMSG_HDRLEN || l > len(b) {
				return fmt.Errorf("sock_diag: bad message length %d", l)
			}
			msg := b[unix.NLMSG_HDRLEN:l]
			b = b[min(nlmAlign(l), len(b)):]
			if seq != c.seq {
				continue
			}
			switch typ {
			case unix.NLMSG_DONE:
				return nil
			case unix.NLMSG_ERROR:
				if len(msg) >= 4 {
					if errno := int32(ne.Uint32(msg)); errno != 0 {
						return fmt.Errorf("sock_diag dump: %w", unix.Errno(-errno))
					}
				}
				return nil
			case sockDiagByFamily:
				if err := parseDiagMsg(msg, proto, &ds); err != nil {
					return err
				}
				fn(&ds)
			}
		}
	}
}

func nlmAlign(n int) int { return (n + unix.NLMSG_ALIGNTO - 1) &^ (unix.NLMSG_ALIGNTO - 1) }

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

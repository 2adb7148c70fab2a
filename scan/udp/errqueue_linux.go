package udp

import (
	"encoding/binary"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/scan"
)

// queuedErr is one entry of a socket's error queue (IP_RECVERR,
// IPV6_RECVERR): the struct sock_extended_err of linux/errqueue.h and the
// address that sent the ICMP message (SO_EE_OFFENDER).
type queuedErr struct {
	errno    unix.Errno
	origin   uint8 // unix.SO_EE_ORIGIN_*
	typ      uint8 // ICMP type and code, for the ICMP origins
	code     uint8
	offender netip.Addr
}

// sizeofExtErr is sizeof(struct sock_extended_err): errno (4), origin,
// type, code, pad (1 each), info (4), data (4).
const sizeofExtErr = 16

// cmsgLenSize is the size of cmsghdr.cmsg_len: a size_t.
const cmsgLenSize = int(unsafe.Sizeof(unix.Cmsghdr{}.Len))

// parseErrQueue finds the RECVERR control message in oob, the control
// data of a recvmsg(MSG_ERRQUEUE), and parses it. Nothing in oob is
// trusted: lengths are checked before every read.
func parseErrQueue(oob []byte) (queuedErr, bool) {
	hdr := unix.CmsgLen(0) // the header, aligned: where the data starts
	for len(oob) >= hdr {
		var l uint64
		if cmsgLenSize == 8 {
			l = binary.NativeEndian.Uint64(oob)
		} else {
			l = uint64(binary.NativeEndian.Uint32(oob))
		}
		level := int32(binary.NativeEndian.Uint32(oob[cmsgLenSize:]))
		typ := int32(binary.NativeEndian.Uint32(oob[cmsgLenSize+4:]))
		if l < uint64(hdr) || l > uint64(len(oob)) {
			return queuedErr{}, false
		}
		data := oob[hdr:l]
		if (level == unix.SOL_IP && typ == unix.IP_RECVERR) || (level == unix.SOL_IPV6 && typ == unix.IPV6_RECVERR) {
			return parseExtErr(data)
		}
		next := unix.CmsgSpace(int(l) - hdr)
		if next <= 0 || next > len(oob) {
			break
		}
		oob = oob[next:]
	}
	return queuedErr{}, false
}

// parseExtErr parses a struct sock_extended_err and the offender's
// sockaddr after it.
func parseExtErr(b []byte) (queuedErr, bool) {
	if len(b) < sizeofExtErr {
		return queuedErr{}, false
	}
	e := queuedErr{
		errno:  unix.Errno(binary.NativeEndian.Uint32(b)),
		origin: b[4],
		typ:    b[5],
		code:   b[6],
	}
	if ap, ok := parseSockaddr(b[sizeofExtErr:]); ok {
		e.offender = ap.Addr()
	}
	return e, true
}

// parseSockaddr reads a sockaddr_in or sockaddr_in6: the address family in
// host order, then the port in network order, then the address.
func parseSockaddr(b []byte) (netip.AddrPort, bool) {
	if len(b) < 4 {
		return netip.AddrPort{}, false
	}
	port := binary.BigEndian.Uint16(b[2:])
	switch binary.NativeEndian.Uint16(b) {
	case unix.AF_INET:
		if len(b) >= 8 {
			return netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[4:8])), port), true
		}
	case unix.AF_INET6:
		if len(b) >= 24 {
			return netip.AddrPortFrom(netip.AddrFrom16([16]byte(b[8:24])), port), true
		}
	}
	return netip.AddrPort{}, false
}

// about reports whether a queued error, whose msg_name was dest, is about
// a datagram to dst. A queue entry without an address is taken at the
// kernel's word: the socket is connected to dst.
func about(dest netip.AddrPort, named bool, dst netip.AddrPort) bool {
	if !named {
		return true
	}
	return dest.Port() == dst.Port() && dest.Addr().Unmap() == dst.Addr().WithZone("").Unmap()
}

// icmpOutcome turns an ICMP error about a probe to dst into the port's
// state. A port unreachable is "closed" only when the probed host itself
// sent it: from a router on the way it means a filter.
func icmpOutcome(e queuedErr, dst netip.AddrPort) scan.Outcome {
	var r record.Reason
	if e.origin == unix.SO_EE_ORIGIN_ICMP6 {
		r = scan.ICMPv6Reason(e.typ, e.code)
	} else {
		r = scan.ICMPv4Reason(e.typ, e.code)
	}
	if r == record.ReasonPortUnreach {
		from := e.offender.Unmap()
		if !from.IsValid() || from == dst.Addr().WithZone("").Unmap() {
			return scan.Outcome{State: record.Closed, Reason: r}
		}
	}
	return scan.Outcome{State: record.Filtered, Reason: r}
}

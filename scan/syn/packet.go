package syn

import (
	"encoding/binary"
	"net/netip"
)

// The SYN ajar sends: an IPv4 (RFC 791) or IPv6 (RFC 8200) header with no
// options, then a TCP header (RFC 9293) with one option, the maximum
// segment size, as most stacks send it: some filters drop bare SYNs.
const (
	ipv4HeaderLen = 20
	ipv6HeaderLen = 40
	tcpHeaderLen  = 24 // 20 bytes and the 4-byte MSS option
	// maxSYNLen is the longest packet buildSYN writes.
	maxSYNLen = ipv6HeaderLen + tcpHeaderLen

	protoTCP    = 6
	protoICMP   = 1
	protoICMPv6 = 58

	synTTL    = 64
	synWindow = 1024
	synMSS    = 1460

	tcpFIN = 0x01
	tcpSYN = 0x02
	tcpRST = 0x04
	tcpACK = 0x10
)

// buildSYN writes an IP packet carrying a TCP SYN from src to dst, with
// sequence number seq, into b (at least maxSYNLen bytes) and returns its
// length. src and dst are of one family; IPv4-mapped addresses are IPv4.
// The IPv4 header checksum is left to the kernel, which always fills it in
// for raw sockets; the TCP checksum is computed here.
func buildSYN(b []byte, src, dst netip.AddrPort, seq uint32) int {
	sa, da := src.Addr().Unmap(), dst.Addr().Unmap()
	var tcp []byte
	if sa.Is4() {
		h := b[:ipv4HeaderLen]
		h[0] = 0x45 // version 4, 5 words
		h[1] = 0
		binary.BigEndian.PutUint16(h[2:], ipv4HeaderLen+tcpHeaderLen)
		binary.BigEndian.PutUint16(h[4:], uint16(seq>>16)^uint16(seq)) // identification
		binary.BigEndian.PutUint16(h[6:], 0)                           // no flags, no offset
		h[8] = synTTL
		h[9] = protoTCP
		binary.BigEndian.PutUint16(h[10:], 0) // checksum: the kernel's
		s4, d4 := sa.As4(), da.As4()
		copy(h[12:16], s4[:])
		copy(h[16:20], d4[:])
		tcp = b[ipv4HeaderLen : ipv4HeaderLen+tcpHeaderLen]
	} else {
		h := b[:ipv6HeaderLen]
		binary.BigEndian.PutUint32(h[0:], 6<<28) // version 6, class 0, no flow label
		binary.BigEndian.PutUint16(h[4:], tcpHeaderLen)
		h[6] = protoTCP
		h[7] = synTTL
		s16, d16 := sa.As16(), da.As16()
		copy(h[8:24], s16[:])
		copy(h[24:40], d16[:])
		tcp = b[ipv6HeaderLen : ipv6HeaderLen+tcpHeaderLen]
	}
	binary.BigEndian.PutUint16(tcp[0:], src.Port())
	binary.BigEndian.PutUint16(tcp[2:], dst.Port())
	binary.BigEndian.PutUint32(tcp[4:], seq)
	binary.BigEndian.PutUint32(tcp[8:], 0) // no acknowledgment
	tcp[12] = (tcpHeaderLen / 4) << 4
	tcp[13] = tcpSYN
	binary.BigEndian.PutUint16(tcp[14:], synWindow)
	binary.BigEndian.PutUint16(tcp[16:], 0) // checksum, below
	binary.BigEndian.PutUint16(tcp[18:], 0) // urgent pointer
	tcp[20], tcp[21] = 2, 4                 // option: maximum segment size
	binary.BigEndian.PutUint16(tcp[22:], synMSS)
	binary.BigEndian.PutUint16(tcp[16:], tcpChecksum(sa, da, tcp))
	if sa.Is4() {
		return ipv4HeaderLen + tcpHeaderLen
	}
	return ipv6HeaderLen + tcpHeaderLen
}

// tcpChecksum is the Internet checksum (RFC 1071) of seg with the
// pseudo-header of RFC 9293 §3.1 (IPv4) or RFC 8200 §8.1 (IPv6).
func tcpChecksum(src, dst netip.Addr, seg []byte) uint16 {
	var sum uint32
	if src.Is4() {
		s, d := src.As4(), dst.As4()
		sum = sum16(sum, s[:])
		sum = sum16(sum, d[:])
	} else {
		s, d := src.As16(), dst.As16()
		sum = sum16(sum, s[:])
		sum = sum16(sum, d[:])
	}
	sum += protoTCP + uint32(len(seg))
	sum = sum16(sum, seg)
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

// sum16 adds b to sum as big-endian 16-bit words, a last odd byte padded
// with zero.
func sum16(sum uint32, b []byte) uint32 {
	for len(b) >= 2 {
		sum += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	return sum
}

// replyKind is what a packet says of the port a SYN went to.
type replyKind uint8

const (
	replySynAck replyKind = iota + 1 // SYN-ACK: open
	replyReset                       // RST: closed
	replyICMP                        // an ICMP or ICMPv6 error quoting the SYN
)

// reply is a packet that may answer one of our SYNs, parsed. The probe it
// answers went from local to remote with sequence number seq; whether it
// did is for the caller to check against the cookie.
type reply struct {
	kind          replyKind
	local, remote netip.AddrPort
	seq           uint32
	// ICMP errors: their type and code, whether ICMPv6, and the sender
	// (the target itself, or a router on the way).
	icmpType, icmpCode uint8
	icmpV6             bool
	from               netip.Addr
}

// parseReply parses an IP packet from the network layer on: a TCP SYN-ACK
// or reset, or an ICMP destination unreachable (ICMPv6 likewise) quoting
// a TCP segment. Anything else, or anything truncated or malformed, gives
// false. The packet is hostile input: every length is checked before use.
func parseReply(b []byte) (reply, bool) {
	if len(b) < 1 {
		return reply{}, false
	}
	switch b[0] >> 4 {
	case 4:
		return parseIPv4(b)
	case 6:
		return parseIPv6(b)
	}
	return reply{}, false
}

// ipv4Header checks an IPv4 header and returns its source, destination,
// protocol and payload. Fragments are refused: a reply to a SYN is never
// fragmented, and only a first fragment carries the header we would read.
func ipv4Header(b []byte) (src, dst netip.Addr, proto uint8, payload []byte, ok bool) {
	if len(b) < ipv4HeaderLen || b[0]>>4 != 4 {
		return
	}
	ihl := int(b[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(b[2:]))
	if ihl < ipv4HeaderLen || total < ihl || ihl > len(b) {
		return
	}
	if binary.BigEndian.Uint16(b[6:])&0x3fff != 0 { // more fragments, or an offset
		return
	}
	// The total length drops a link layer's padding; a packet cut short
	// (quoted in an ICMP error, or by the capture) keeps what came.
	end := min(total, len(b))
	src = netip.AddrFrom4([4]byte(b[12:16]))
	dst = netip.AddrFrom4([4]byte(b[16:20]))
	return src, dst, b[9], b[ihl:end], true
}

func parseIPv4(b []byte) (reply, bool) {
	src, dst, proto, p, ok := ipv4Header(b)
	if !ok {
		return reply{}, false
	}
	switch proto {
	case protoTCP:
		return parseTCP(src, dst, p)
	case protoICMP:
		// Destination unreachable (RFC 792): type, code, checksum, 4
		// unused bytes, then the offending IP header and 8 bytes of its
		// payload.
		if len(p) < 8 || p[0] != 3 {
			return reply{}, false
		}
		qsrc, qdst, qproto, q, ok := ipv4Header(p[8:])
		if !ok || qproto != protoTCP {
			return reply{}, false
		}
		return quoted(qsrc, qdst, q, reply{kind: replyICMP, icmpType: p[0], icmpCode: p[1], from: src})
	}
	return reply{}, false
}

func parseIPv6(b []byte) (reply, bool) {
	if len(b) < ipv6HeaderLen {
		return reply{}, false
	}
	// The payload length drops a link layer's padding; a packet cut short
	// by the capture keeps what came.
	end := min(ipv6HeaderLen+int(binary.BigEndian.Uint16(b[4:])), len(b))
	src := netip.AddrFrom16([16]byte(b[8:24]))
	dst := netip.AddrFrom16([16]byte(b[24:40]))
	p := b[ipv6HeaderLen:end]
	// Extension headers are not followed: replies to a SYN carry none.
	switch b[6] {
	case protoTCP:
		return parseTCP(src, dst, p)
	case protoICMPv6:
		// Destination unreachable (RFC 4443 §3.1): type, code, checksum,
		// 4 unused bytes, then as much of the offending packet as fits.
		if len(p) < 8+ipv6HeaderLen+8 || p[0] != 1 {
			return reply{}, false
		}
		q := p[8:]
		if q[0]>>4 != 6 || q[6] != protoTCP {
			return reply{}, false
		}
		qsrc := netip.AddrFrom16([16]byte(q[8:24]))
		qdst := netip.AddrFrom16([16]byte(q[24:40]))
		return quoted(qsrc, qdst, q[ipv6HeaderLen:], reply{kind: replyICMP, icmpType: p[0], icmpCode: p[1], icmpV6: true, from: src})
	}
	return reply{}, false
}

// parseTCP reads a TCP segment from remote to local: a SYN-ACK or a reset
// that acknowledges a SYN. A reset without ACK answers no SYN (it is
// what a host sends for a stray segment), so it is refused.
func parseTCP(remote, local netip.Addr, seg []byte) (reply, bool) {
	if len(seg) < 20 || int(seg[12]>>4)*4 < 20 {
		return reply{}, false
	}
	flags := seg[13]
	var kind replyKind
	switch {
	case flags&tcpACK == 0:
		return reply{}, false
	case flags&tcpRST != 0:
		kind = replyReset
	case flags&(tcpSYN|tcpFIN) == tcpSYN:
		kind = replySynAck
	default:
		return reply{}, false
	}
	return reply{
		kind:   kind,
		remote: netip.AddrPortFrom(remote, binary.BigEndian.Uint16(seg[0:])),
		local:  netip.AddrPortFrom(local, binary.BigEndian.Uint16(seg[2:])),
		seq:    binary.BigEndian.Uint32(seg[8:]) - 1,
	}, true
}

// quoted fills r from the start of a TCP segment quoted by an ICMP error:
// the SYN we sent from src to dst. Eight bytes are all RFC 792 promises:
// the ports and the sequence number.
func quoted(src, dst netip.Addr, seg []byte, r reply) (reply, bool) {
	if len(seg) < 8 {
		return reply{}, false
	}
	r.local = netip.AddrPortFrom(src, binary.BigEndian.Uint16(seg[0:]))
	r.remote = netip.AddrPortFrom(dst, binary.BigEndian.Uint16(seg[2:]))
	r.seq = binary.BigEndian.Uint32(seg[4:])
	return r, true
}

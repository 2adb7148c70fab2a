package discover

import (
	"encoding/binary"
	"net/netip"

	"github.com/ajarsec/ajar/record"
)

// The ports of the TCP probes, nmap's defaults: a SYN to 443 (open on
// web servers, and answered with a reset by any host that does not
// filter it) and an ACK to 80 (answered with a reset by open and closed
// ports alike, and passed by stateless filters that drop SYNs).
const (
	synPort = 443
	ackPort = 80
)

// ICMP message types (RFC 792, RFC 4443, RFC 4861).
const (
	icmpEchoReply      = 0
	icmpUnreachable    = 3
	icmpEcho           = 8
	icmpTimeExceeded   = 11
	icmpParamProblem   = 12
	icmpTimestamp      = 13
	icmpTimestampReply = 14

	icmp6Unreachable  = 1
	icmp6TooBig       = 2
	icmp6TimeExceeded = 3
	icmp6ParamProblem = 4
	icmp6Echo         = 128
	icmp6EchoReply    = 129
	icmp6NeighSolicit = 135
	icmp6NeighAdvert  = 136
)

// TCP flags.
const (
	tcpFIN = 0x01
	tcpSYN = 0x02
	tcpRST = 0x04
	tcpACK = 0x10
)

// IP protocol numbers.
const (
	protoICMP   = 1
	protoTCP    = 6
	protoICMPv6 = 58
)

// echoPayloadLen is the size of an echo request's payload: the 8-byte
// cookie that ties the reply to the host it was sent to.
const echoPayloadLen = 8

// keys are a session's secrets: every probe carries values derived from
// them and from its destination, and a reply is only taken when it hands
// them back, so that replies to other programs, stale replies and guesses
// are not mistaken for answers.
type keys struct {
	id     uint16 // ICMP echo and timestamp identifier
	sport  uint16 // source port of the TCP probes
	secret [2]uint64
}

// mix is the splitmix64 finaliser: a bijection that spreads every input
// bit over the output.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// cookie is the 64-bit value probes to a carry: keyed, so that it cannot
// be guessed from the address alone.
func (k *keys) cookie(a netip.Addr) uint64 {
	b := a.Unmap().As16()
	hi, lo := binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	return mix(mix(hi^k.secret[0]) ^ lo ^ k.secret[1])
}

// synSeq is the sequence number of the SYN to a; its answer acknowledges
// synSeq+1.
func (k *keys) synSeq(a netip.Addr) uint32 { return uint32(k.cookie(a)) }

// ackAck is the acknowledgement number of the ACK to a; the reset that
// answers it carries it as its sequence number (RFC 9293 §3.10.7.1).
func (k *keys) ackAck(a netip.Addr) uint32 { return uint32(k.cookie(a) >> 32) }

// tsSeq is the sequence number of the timestamp request to a.
func (k *keys) tsSeq(a netip.Addr) uint16 { return uint16(k.cookie(a) >> 16) }

// checksum folds the Internet checksum (RFC 1071) of b into sum and
// returns its complement.
func checksum(sum uint32, b []byte) uint16 {
	for len(b) >= 2 {
		sum += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// pseudoSum is the sum of an IPv4 or IPv6 pseudo-header (RFC 9293 §3.1,
// RFC 8200 §8.1), to start a transport checksum with.
func pseudoSum(src, dst netip.Addr, proto uint8, length int) uint32 {
	var sum uint32
	for _, a := range [2]netip.Addr{src, dst} {
		b16 := a.As16()
		b := b16[:]
		if a.Is4() {
			b = b[12:]
		}
		for i := 0; i+1 < len(b); i += 2 {
			sum += uint32(b[i])<<8 | uint32(b[i+1])
		}
	}
	return sum + uint32(proto) + uint32(length)
}

// appendEcho appends an echo request (ICMP type 8, or ICMPv6 type 128)
// carrying cookie. The ICMP checksum is filled in; for ICMPv6 the kernel
// computes it, over the source address it picks.
func appendEcho(b []byte, v6 bool, id, seq uint16, cookie uint64) []byte {
	start := len(b)
	typ := byte(icmpEcho)
	if v6 {
		typ = icmp6Echo
	}
	b = append(b, typ, 0, 0, 0)
	b = binary.BigEndian.AppendUint16(b, id)
	b = binary.BigEndian.AppendUint16(b, seq)
	b = binary.BigEndian.AppendUint64(b, cookie)
	if !v6 {
		binary.BigEndian.PutUint16(b[start+2:], checksum(0, b[start:]))
	}
	return b
}

// appendTimestamp appends an ICMP timestamp request (RFC 792) with
// originate timestamp ms, milliseconds since midnight UTC.
func appendTimestamp(b []byte, id, seq uint16, ms uint32) []byte {
	start := len(b)
	b = append(b, icmpTimestamp, 0, 0, 0)
	b = binary.BigEndian.AppendUint16(b, id)
	b = binary.BigEndian.AppendUint16(b, seq)
	b = binary.BigEndian.AppendUint32(b, ms)
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0) // receive and transmit: the replier's
	binary.BigEndian.PutUint16(b[start+2:], checksum(0, b[start:]))
	return b
}

// tcpHeaderLen is the size of the probes' TCP header: 20 bytes and an
// MSS option, as a real SYN carries.
const tcpHeaderLen = 24

// appendTCP appends a TCP segment with no data. The checksum is computed
// over src and dst for IPv4; for IPv6 the kernel fills it in
// (IPV6_CHECKSUM), over the source address it picks.
func appendTCP(b []byte, src, dst netip.Addr, sport, dport uint16, seq, ack uint32, flags uint8) []byte {
	start := len(b)
	b = binary.BigEndian.AppendUint16(b, sport)
	b = binary.BigEndian.AppendUint16(b, dport)
	b = binary.BigEndian.AppendUint32(b, seq)
	b = binary.BigEndian.AppendUint32(b, ack)
	b = append(b, (tcpHeaderLen/4)<<4, flags)
	b = binary.BigEndian.AppendUint16(b, 1024) // window
	b = append(b, 0, 0, 0, 0)                  // checksum, urgent pointer
	b = append(b, 2, 4, 0x05, 0xb4)            // MSS 1460
	if dst.Is4() {
		sum := pseudoSum(src, dst, protoTCP, tcpHeaderLen)
		binary.BigEndian.PutUint16(b[start+16:], checksum(sum, b[start:]))
	}
	return b
}

// ARP (RFC 826) for IPv4 over Ethernet.
const (
	arpLen     = 28
	arpRequest = 1
	arpReply   = 2
)

// appendARPRequest appends an ARP request: who has dst, tell src at mac.
func appendARPRequest(b []byte, mac record.MAC, src, dst netip.Addr) []byte {
	b = append(b, 0, 1, 0x08, 0x00, 6, 4, 0, arpRequest) // Ethernet, IPv4
	b = append(b, mac[:]...)
	s4 := src.As4()
	b = append(b, s4[:]...)
	b = append(b, 0, 0, 0, 0, 0, 0)
	d4 := dst.As4()
	return append(b, d4[:]...)
}

// appendNeighSolicit appends an NDP neighbour solicitation (RFC 4861 §4.3)
// for target, with our link-layer address as its source option so that
// the target can answer at once. The kernel computes the checksum.
func appendNeighSolicit(b []byte, target netip.Addr, mac record.MAC) []byte {
	b = append(b, icmp6NeighSolicit, 0, 0, 0, 0, 0, 0, 0)
	t := target.As16()
	b = append(b, t[:]...)
	b = append(b, 1, 1) // source link-layer address, 8 bytes
	return append(b, mac[:]...)
}

// solicitedNode is a's solicited-node multicast address (RFC 4291
// §2.7.1), where neighbour solicitations for a are sent.
func solicitedNode(a netip.Addr) netip.Addr {
	t := a.As16()
	return netip.AddrFrom16([16]byte{0xff, 0x02, 10: 0, 11: 1, 12: 0xff, 13: t[13], 14: t[14], 15: t[15]})
}

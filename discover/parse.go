package discover

import (
	"encoding/binary"
	"errors"
	"net/netip"

	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/scan"
)

// answer is what one received packet says of one probed host: that it is
// up (a reply from it), or the ICMP error someone sent about a probe to
// it. It is what the parsers below produce from bytes off the wire.
type answer struct {
	// host is the target the answer is about: the probe's destination.
	host netip.Addr
	// from sent the answer: host itself for replies, maybe a router for
	// ICMP errors.
	from   netip.Addr
	reason record.Reason
	// icmpErr marks an ICMP error about a probe: it shows host up only
	// when host itself sent it.
	icmpErr bool
	mac     record.MAC
}

// errShort and errNotOurs are the parsers' refusals: a packet too short
// or malformed for its claimed kind, and a well-formed packet that
// answers no probe of ours. Both are expected on a busy network.
var (
	errShort   = errors.New("truncated or malformed packet")
	errNotOurs = errors.New("not an answer to our probes")
)

// ipv4Header is the part of an IPv4 header discovery reads.
type ipv4Header struct {
	src, dst netip.Addr
	proto    uint8
}

// parseIPv4 splits an IPv4 packet (RFC 791) into its header and payload,
// bounded by the header's total length.
func parseIPv4(b []byte) (ipv4Header, []byte, error) {
	if len(b) < 20 || b[0]>>4 != 4 {
		return ipv4Header{}, nil, errShort
	}
	ihl := int(b[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(b[2:4]))
	if ihl < 20 || ihl > len(b) || total < ihl {
		return ipv4Header{}, nil, errShort
	}
	// A quoted header in an ICMP error may be followed by less than its
	// total length; a received packet never is (the kernel checks).
	end := min(total, len(b))
	h := ipv4Header{
		src:   netip.AddrFrom4([4]byte(b[12:16])),
		dst:   netip.AddrFrom4([4]byte(b[16:20])),
		proto: b[9],
	}
	return h, b[ihl:end], nil
}

// ipv6HeaderLen is the fixed IPv6 header (RFC 8200 §3).
const ipv6HeaderLen = 40

// parseIPv6 reads an IPv6 header as quoted in an ICMPv6 error: next
// header, source, destination, and what follows. Probes carry no
// extension headers, so a quoted packet with one is not ours.
func parseIPv6(b []byte) (proto uint8, src, dst netip.Addr, payload []byte, err error) {
	if len(b) < ipv6HeaderLen || b[0]>>4 != 6 {
		return 0, netip.Addr{}, netip.Addr{}, nil, errShort
	}
	src = netip.AddrFrom16([16]byte(b[8:24]))
	dst = netip.AddrFrom16([16]byte(b[24:40]))
	return b[6], src, dst, b[ipv6HeaderLen:], nil
}

// tcpSegment is the part of a TCP header discovery reads.
type tcpSegment struct {
	sport, dport uint16
	seq, ack     uint32
	flags        uint8
}

func parseTCP(b []byte) (tcpSegment, error) {
	if len(b) < 20 || int(b[12]>>4)*4 < 20 {
		return tcpSegment{}, errShort
	}
	return tcpSegment{
		sport: binary.BigEndian.Uint16(b[0:2]),
		dport: binary.BigEndian.Uint16(b[2:4]),
		seq:   binary.BigEndian.Uint32(b[4:8]),
		ack:   binary.BigEndian.Uint32(b[8:12]),
		flags: b[13],
	}, nil
}

// decodeTCP reads a TCP segment from src and says whether it answers one
// of our probes: a SYN-ACK or reset to the SYN (acknowledging its
// sequence number), or a reset to the ACK (carrying its acknowledgement
// number as sequence number).
func (k *keys) decodeTCP(src netip.Addr, b []byte) (answer, error) {
	t, err := parseTCP(b)
	if err != nil {
		return answer{}, err
	}
	if t.dport != k.sport {
		return answer{}, errNotOurs
	}
	a := answer{host: src, from: src}
	switch {
	case t.sport == synPort && t.flags&(tcpSYN|tcpACK) == tcpSYN|tcpACK && t.flags&tcpRST == 0:
		if t.ack != k.synSeq(src)+1 {
			return answer{}, errNotOurs
		}
		a.reason = record.ReasonSynAck
	case t.sport == synPort && t.flags&tcpRST != 0:
		if t.ack != k.synSeq(src)+1 {
			return answer{}, errNotOurs
		}
		a.reason = record.ReasonReset
	case t.sport == ackPort && t.flags&tcpRST != 0:
		if t.seq != k.ackAck(src) {
			return answer{}, errNotOurs
		}
		a.reason = record.ReasonReset
	default:
		return answer{}, errNotOurs
	}
	return a, nil
}

// decodeTCP4 reads a packet from a raw IPv4 TCP socket, which holds the
// IPv4 header.
func (k *keys) decodeTCP4(b []byte) (answer, error) {
	h, payload, err := parseIPv4(b)
	if err != nil {
		return answer{}, err
	}
	if h.proto != protoTCP {
		return answer{}, errNotOurs
	}
	// The checksum is not checked: a segment from this machine's own
	// stack (another namespace over a veth pair) may come with it left to
	// offload, never filled in. The cookie it must acknowledge is check
	// enough.
	return k.decodeTCP(h.src, payload)
}

// decodeICMP4 reads a packet from a raw IPv4 ICMP socket, which holds the
// IPv4 header: an echo or timestamp reply to one of our requests, or an
// ICMP error quoting one of our probes.
func (k *keys) decodeICMP4(b []byte) (answer, error) {
	h, m, err := parseIPv4(b)
	if err != nil {
		return answer{}, err
	}
	if h.proto != protoICMP {
		return answer{}, errNotOurs
	}
	// Raw sockets get messages before ICMP checks them.
	if len(m) < 8 || checksum(0, m) != 0 {
		return answer{}, errShort
	}
	typ, code := m[0], m[1]
	id, seq := binary.BigEndian.Uint16(m[4:6]), binary.BigEndian.Uint16(m[6:8])
	switch typ {
	case icmpEchoReply:
		if code != 0 || id != k.id || !k.echoCookie(h.src, m[8:]) {
			return answer{}, errNotOurs
		}
		return answer{host: h.src, from: h.src, reason: record.ReasonEchoReply}, nil
	case icmpTimestampReply:
		if code != 0 || len(m) < 20 || id != k.id || seq != k.tsSeq(h.src) {
			return answer{}, errNotOurs
		}
		return answer{host: h.src, from: h.src, reason: record.ReasonTimestampReply}, nil
	case icmpUnreachable, icmpTimeExceeded, icmpParamProblem:
		dst, err := k.quoted4(m[8:])
		if err != nil {
			return answer{}, err
		}
		return answer{host: dst, from: h.src, reason: scan.ICMPv4Reason(typ, code), icmpErr: true}, nil
	}
	return answer{}, errNotOurs
}

// echoCookie reports whether an echo reply's payload is the cookie of
// the host that sent it.
func (k *keys) echoCookie(src netip.Addr, payload []byte) bool {
	return len(payload) >= echoPayloadLen && binary.BigEndian.Uint64(payload) == k.cookie(src)
}

// quoted4 reads the IPv4 packet an ICMP error quotes (its header and at
// least 8 bytes of payload, RFC 792) and returns its destination if it
// was one of our probes.
func (k *keys) quoted4(q []byte) (netip.Addr, error) {
	h, p, err := parseIPv4(q)
	if err != nil {
		return netip.Addr{}, err
	}
	if len(p) < 8 {
		return netip.Addr{}, errShort
	}
	if !k.quotedProbe(h.proto, h.dst, p, icmpEcho, icmpTimestamp) {
		return netip.Addr{}, errNotOurs
	}
	return h.dst, nil
}

// quotedProbe checks the first 8 bytes (or more) of a quoted probe to
// dst: our echo or timestamp request, or one of our TCP segments.
func (k *keys) quotedProbe(proto uint8, dst netip.Addr, p []byte, echoType, tsType byte) bool {
	switch proto {
	case protoICMP, protoICMPv6:
		id, seq := binary.BigEndian.Uint16(p[4:6]), binary.BigEndian.Uint16(p[6:8])
		if id != k.id {
			return false
		}
		switch {
		case p[0] == echoType:
			// The payload is quoted too when the error has room for it.
			return len(p) < 8+echoPayloadLen || k.echoCookie(dst, p[8:])
		case p[0] == tsType && proto == protoICMP:
			return seq == k.tsSeq(dst)
		}
	case protoTCP:
		sport, dport := binary.BigEndian.Uint16(p[0:2]), binary.BigEndian.Uint16(p[2:4])
		seq := binary.BigEndian.Uint32(p[4:8])
		return sport == k.sport && (dport == synPort && seq == k.synSeq(dst) || dport == ackPort && seq == k.synSeq(dst))
	}
	return false
}

// decodeICMP6 reads a message from a raw ICMPv6 socket (no IP header:
// src is the sender the socket reports): an echo reply, a neighbour
// advertisement, or an error quoting one of our probes.
func (k *keys) decodeICMP6(src netip.Addr, m []byte) (answer, error) {
	if len(m) < 8 {
		return answer{}, errShort
	}
	typ, code := m[0], m[1]
	switch typ {
	case icmp6EchoReply:
		if code != 0 || binary.BigEndian.Uint16(m[4:6]) != k.id || !k.echoCookie(src, m[8:]) {
			return answer{}, errNotOurs
		}
		return answer{host: src, from: src, reason: record.ReasonEchoReply}, nil
	case icmp6NeighAdvert:
		target, mac, err := parseNeighAdvert(m)
		if err != nil {
			return answer{}, err
		}
		return answer{host: target, from: src, reason: record.ReasonNDAdvert, mac: mac}, nil
	case icmp6Unreachable, icmp6TooBig, icmp6TimeExceeded, icmp6ParamProblem:
		proto, _, dst, p, err := parseIPv6(m[8:])
		if err != nil {
			return answer{}, err
		}
		if len(p) < 8 || !k.quotedProbe(proto, dst, p, icmp6Echo, 0) {
			return answer{}, errNotOurs
		}
		return answer{host: dst, from: src, reason: scan.ICMPv6Reason(typ, code), icmpErr: true}, nil
	}
	return answer{}, errNotOurs
}

// parseNeighAdvert reads a neighbour advertisement (RFC 4861 §4.4): its
// target address and the target link-layer address option, if any.
// Options are walked with their lengths checked, none may be empty.
func parseNeighAdvert(m []byte) (netip.Addr, record.MAC, error) {
	if len(m) < 24 || m[0] != icmp6NeighAdvert || m[1] != 0 {
		return netip.Addr{}, record.MAC{}, errShort
	}
	target := netip.AddrFrom16([16]byte(m[8:24]))
	if target.IsMulticast() || target.IsUnspecified() {
		return netip.Addr{}, record.MAC{}, errShort
	}
	var mac record.MAC
	for opts := m[24:]; len(opts) > 0; {
		if len(opts) < 2 || opts[1] == 0 || int(opts[1])*8 > len(opts) {
			return netip.Addr{}, record.MAC{}, errShort
		}
		n := int(opts[1]) * 8
		if opts[0] == 2 && n >= 8 { // target link-layer address
			mac = record.MAC(opts[2:8])
		}
		opts = opts[n:]
	}
	return target, mac, nil
}

// decodeARP reads an ARP packet (RFC 826, without its Ethernet header):
// a reply for IPv4 over Ethernet names the sender's address and MAC.
func decodeARP(b []byte) (answer, error) {
	if len(b) < arpLen {
		return answer{}, errShort
	}
	if binary.BigEndian.Uint16(b[0:2]) != 1 || binary.BigEndian.Uint16(b[2:4]) != 0x0800 || b[4] != 6 || b[5] != 4 {
		return answer{}, errNotOurs
	}
	if binary.BigEndian.Uint16(b[6:8]) != arpReply {
		return answer{}, errNotOurs
	}
	sender := netip.AddrFrom4([4]byte(b[14:18]))
	if sender.IsUnspecified() {
		return answer{}, errNotOurs
	}
	return answer{host: sender, from: sender, reason: record.ReasonARPResponse, mac: record.MAC(b[8:14])}, nil
}

// decodePing reads an echo reply from an ICMP datagram socket ("ping
// socket"): the kernel checked its identifier; the cookie must be that
// of the sender.
func (k *keys) decodePing(src netip.Addr, m []byte) (answer, error) {
	if len(m) < 8 {
		return answer{}, errShort
	}
	if (m[0] != icmpEchoReply && m[0] != icmp6EchoReply) || m[1] != 0 || !k.echoCookie(src, m[8:]) {
		return answer{}, errNotOurs
	}
	return answer{host: src, from: src, reason: record.ReasonEchoReply}, nil
}

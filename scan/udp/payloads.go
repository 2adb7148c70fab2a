package udp

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
)

// A UDP service stays silent unless it understands what it is sent, so a
// probe to a well-known port carries a request of that service's protocol:
// any reply at all, an error included, proves the port open. Every payload
// here is written by the ajar team from the protocol's specification; the
// test next to this file parses each one back by that specification.

// payload is what a probe sends to one service's ports.
type payload struct {
	service string
	ports   []uint16
	// datagrams go out in order, all at once: more than one when
	// different versions of a protocol each answer only their own.
	datagrams [][]byte
	// otherPort, when set, accepts a datagram that came from another port
	// of the probed host, if it looks like the service's answer: TFTP
	// answers from a fresh port (RFC 1350 §4). Without it, only replies
	// from the probed port count.
	otherPort func(reply []byte) bool
}

// empty is sent to every port no payload claims: some services (echo,
// daytime, chargen) answer anything.
var empty = &payload{service: "", datagrams: [][]byte{{}}}

// payloadList is the table. Read-only after init.
var payloadList = []*payload{
	{service: "domain", ports: []uint16{53}, datagrams: [][]byte{dnsVersionBind()}},
	{service: "ntp", ports: []uint16{123}, datagrams: [][]byte{ntpClient()}},
	{service: "netbios-ns", ports: []uint16{137}, datagrams: [][]byte{netbiosNodeStatus()}},
	{service: "snmp", ports: []uint16{161}, datagrams: [][]byte{snmpGetSysDescr(snmpV2c), snmpGetSysDescr(snmpV1)}},
	{service: "isakmp", ports: []uint16{500}, datagrams: [][]byte{ikev2SAInit(), ikev1MainMode()}},
	{service: "ipsec-nat-t", ports: []uint16{4500}, datagrams: [][]byte{append(nonESPMarker(), ikev2SAInit()...)}},
	{service: "openvpn", ports: []uint16{1194}, datagrams: [][]byte{openvpnHardReset()}},
	{service: "ssdp", ports: []uint16{1900}, datagrams: [][]byte{ssdpMSearch()}},
	{service: "stun", ports: []uint16{3478}, datagrams: [][]byte{stunBinding()}},
	{service: "sip", ports: []uint16{5060}, datagrams: [][]byte{sipOptions()}},
	{service: "nat-pmp", ports: []uint16{5351}, datagrams: [][]byte{natpmpAddress()}},
	{service: "mdns", ports: []uint16{5353}, datagrams: [][]byte{mdnsServices()}},
	{service: "memcache", ports: []uint16{11211}, datagrams: [][]byte{memcachedVersion()}},
	{service: "tftp", ports: []uint16{69}, datagrams: [][]byte{tftpReadRequest()}, otherPort: isTFTPReply},
	{service: "rpcbind", ports: []uint16{111}, datagrams: [][]byte{rpcbindNull()}},
}

// byPort indexes payloadList. Read-only after init.
var byPort = func() map[uint16]*payload {
	m := make(map[uint16]*payload)
	for _, p := range payloadList {
		for _, port := range p.ports {
			if _, dup := m[port]; dup {
				panic(fmt.Sprintf("udp: two payloads for port %d", port))
			}
			m[port] = p
		}
	}
	return m
}()

// payloadFor returns the payload for port: the empty datagram when no
// service claims it.
func payloadFor(port uint16) *payload {
	if p, ok := byPort[port]; ok {
		return p
	}
	return empty
}

// Payload returns the service name and the datagrams a probe sends to
// port, as copies; an unknown port gets "" and one empty datagram.
func Payload(port uint16) (service string, datagrams [][]byte) {
	p := payloadFor(port)
	for _, d := range p.datagrams {
		datagrams = append(datagrams, slices.Clone(d))
	}
	return p.service, datagrams
}

// PayloadPorts lists, in order, the ports that get a protocol payload
// rather than an empty datagram: the ports a UDP scan learns most from.
func PayloadPorts() []uint16 {
	var ports []uint16
	for port := range byPort {
		ports = append(ports, port)
	}
	slices.Sort(ports)
	return ports
}

// be16 and be32 append big-endian (network order) integers.
func be16(b []byte, v uint16) []byte { return binary.BigEndian.AppendUint16(b, v) }
func be32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }

// fill appends n bytes of a fixed pattern: nonces, key shares and ids that
// need only be well-formed.
func fill(b []byte, n int, seed byte) []byte {
	for i := range n {
		b = append(b, seed+byte(i*37))
	}
	return b
}

// DNS (RFC 1035 §4.1) ----------------------------------------------------

// DNS record types and classes (RFC 1035 §3.2.2, §3.2.4; RFC 6763).
const (
	dnsTypePTR  = 12
	dnsTypeTXT  = 16
	dnsClassIN  = 1
	dnsClassCH  = 3
	dnsQueryID  = 0x616a // "aj"
	dnsFlagNone = 0      // QR=0 (query), OPCODE=0 (standard), RD=0
)

// dnsQuery is a query with one question: a 12-byte header (ID, flags,
// QDCOUNT=1, ANCOUNT=NSCOUNT=ARCOUNT=0), then QNAME as length-prefixed
// labels ending in the root's empty label, QTYPE and QCLASS.
func dnsQuery(id, flags uint16, name string, qtype, qclass uint16) []byte {
	b := be16(nil, id)
	b = be16(b, flags)
	b = be16(b, 1)
	b = append(b, 0, 0, 0, 0, 0, 0)
	for label := range strings.SplitSeq(strings.TrimSuffix(name, "."), ".") {
		if len(label) == 0 || len(label) > 63 {
			panic("udp: bad DNS label in " + name)
		}
		b = append(b, byte(len(label)))
		b = append(b, label...)
	}
	b = append(b, 0)
	b = be16(b, qtype)
	return be16(b, qclass)
}

// dnsVersionBind asks for version.bind, class CHAOS, type TXT: servers
// that do not tell their version still answer, with REFUSED or NOTIMP.
func dnsVersionBind() []byte {
	return dnsQuery(dnsQueryID, dnsFlagNone, "version.bind", dnsTypeTXT, dnsClassCH)
}

// mdnsServices is the DNS-SD service enumeration query (RFC 6763 §9),
// sent to port 5353 from another port: a "legacy unicast" query that a
// responder answers by unicast to its source (RFC 6762 §6.7).
func mdnsServices() []byte {
	return dnsQuery(dnsQueryID, dnsFlagNone, "_services._dns-sd._udp.local", dnsTypePTR, dnsClassIN)
}

// NTP (RFC 5905 §7.3) ----------------------------------------------------

// ntpClient is a 48-byte NTPv4 packet in client mode: LI=0, VN=4, Mode=3
// in the first byte, zeros up to the transmit timestamp, which a server
// copies into its reply's origin timestamp. Any fixed nonzero value does.
func ntpClient() []byte {
	b := make([]byte, 40, 48)
	b[0] = 0<<6 | 4<<3 | 3
	return be32(be32(b, 0xe9a1_4a52), 0x616a6172)
}

// NetBIOS name service (RFC 1002 §4.2.17) -------------------------------

// netbiosNodeStatus is a NODE STATUS REQUEST for the wildcard name "*",
// which every NetBIOS node answers with its name table: a DNS-like header
// (RFC 1002 §4.2.1.1, all flags zero, one question), the name in first-
// level encoding (RFC 1001 §14.1: "*" and 15 NUL bytes, each byte as two
// letters 'A'+nibble, 32 letters in one label), type NBSTAT, class IN.
func netbiosNodeStatus() []byte {
	b := be16(nil, dnsQueryID)
	b = be16(b, 0)
	b = be16(b, 1)
	b = append(b, 0, 0, 0, 0, 0, 0)
	var name [16]byte
	name[0] = '*'
	b = append(b, 32)
	for _, c := range name {
		b = append(b, 'A'+c>>4, 'A'+c&0x0f)
	}
	b = append(b, 0) // no scope
	b = be16(b, 0x0021)
	return be16(b, dnsClassIN)
}

// SNMP (RFC 1157 §4, RFC 1901 §3, RFC 3416 §3; BER by X.690) --------------

const (
	snmpV1  = 0
	snmpV2c = 1
)

// ber encodes one BER TLV with a definite short-form length: every value
// here is shorter than 128 bytes.
func ber(tag byte, content ...[]byte) []byte {
	n := 0
	for _, c := range content {
		n += len(c)
	}
	if n > 127 {
		panic("udp: BER value too long for the short form")
	}
	b := []byte{tag, byte(n)}
	for _, c := range content {
		b = append(b, c...)
	}
	return b
}

// berOID encodes an OBJECT IDENTIFIER's content: the first two arcs as
// 40*a+b, every arc in base 128, high bit set on all but its last byte.
func berOID(arcs ...uint32) []byte {
	b := []byte{byte(40*arcs[0] + arcs[1])}
	for _, a := range arcs[2:] {
		var tmp [5]byte
		i := len(tmp) - 1
		tmp[i] = byte(a & 0x7f)
		for a >>= 7; a > 0; a >>= 7 {
			i--
			tmp[i] = byte(a&0x7f) | 0x80
		}
		b = append(b, tmp[i:]...)
	}
	return b
}

// snmpGetSysDescr is a GetRequest for sysDescr.0 (1.3.6.1.2.1.1.1.0, RFC
// 1213) with community "public":
//
//	Message ::= SEQUENCE { version INTEGER, community OCTET STRING,
//	    GetRequest-PDU ::= [0] IMPLICIT SEQUENCE { request-id INTEGER,
//	        error-status INTEGER (0), error-index INTEGER (0),
//	        variable-bindings SEQUENCE OF SEQUENCE { name OID, value NULL } } }
//
// Agents drop a message of a version or community they do not take, so a
// probe sends one of each version.
func snmpGetSysDescr(version byte) []byte {
	const (
		tagInteger  = 0x02
		tagOctets   = 0x04
		tagNull     = 0x05
		tagOID      = 0x06
		tagSequence = 0x30
		tagGetReq   = 0xa0 // [0] IMPLICIT, constructed
	)
	varbind := ber(tagSequence, ber(tagOID, berOID(1, 3, 6, 1, 2, 1, 1, 1, 0)), ber(tagNull))
	pdu := ber(tagGetReq,
		ber(tagInteger, []byte{0x61, 0x6a, 0x61, 0x72}), // request-id
		ber(tagInteger, []byte{0}),                      // error-status
		ber(tagInteger, []byte{0}),                      // error-index
		ber(tagSequence, varbind))
	return ber(tagSequence, ber(tagInteger, []byte{version}), ber(tagOctets, []byte("public")), pdu)
}

// IKE ----------------------------------------------------------------------

// ikeSPI is the initiator's SPI (IKEv2) or cookie (IKEv1): any nonzero
// eight bytes.
var ikeSPI = []byte("ajar-ike")

// ikePayload wraps a generic payload header (next payload, a reserved or
// critical byte, length including the header) around body.
func ikePayload(next byte, body []byte) []byte {
	b := []byte{next, 0}
	b = be16(b, uint16(4+len(body)))
	return append(b, body...)
}

// ikeHeader is the 28-byte IKE (RFC 7296 §3.1) or ISAKMP (RFC 2408 §3.1)
// header: initiator SPI, zero responder SPI, next payload, version,
// exchange type, flags, message ID 0, and the length of the whole message.
func ikeHeader(next, version, exchange, flags byte, bodyLen int) []byte {
	b := append([]byte(nil), ikeSPI...)
	b = append(b, make([]byte, 8)...)
	b = append(b, next, version, exchange, flags)
	b = be32(b, 0)
	return be32(b, uint32(28+bodyLen))
}

// ikev2Transform is a transform substructure (RFC 7296 §3.3.2): last-or-
// more (0 or 3), reserved, length, type, reserved, transform ID, then its
// attributes.
func ikev2Transform(last bool, typ byte, id uint16, attrs ...byte) []byte {
	more := byte(3)
	if last {
		more = 0
	}
	b := []byte{more, 0}
	b = be16(b, uint16(8+len(attrs)))
	b = append(b, typ, 0)
	b = be16(b, id)
	return append(b, attrs...)
}

// IKEv2 values (RFC 7296 §3.1, §3.3.2, §3.3.5; RFC 4868 for SHA-2; RFC
// 3526 for group 14).
const (
	ikev2PayloadSA     = 33
	ikev2PayloadKE     = 34
	ikev2PayloadNonce  = 40
	ikev2ExchangeSA    = 34 // IKE_SA_INIT
	ikev2FlagInitiator = 0x08
	ikev2Group14       = 14  // 2048-bit MODP
	ikev2Group14Len    = 256 // its public values' length in bytes
)

// ikev2SAInit is an IKE_SA_INIT request (RFC 7296 §1.2): an SA payload
// with one IKE proposal (AES-CBC-128, PRF-HMAC-SHA2-256, HMAC-SHA2-256-128,
// group 14), a KE payload for group 14 and a 32-byte nonce. A responder
// that takes none of it still answers, with NO_PROPOSAL_CHOSEN or
// INVALID_KE_PAYLOAD.
func ikev2SAInit() []byte {
	keyLen := []byte{0x80, 14, 0, 128} // attribute Key Length (TV) = 128 bits
	transforms := slices.Concat(
		ikev2Transform(false, 1, 12, keyLen...), // ENCR_AES_CBC
		ikev2Transform(false, 2, 5),             // PRF_HMAC_SHA2_256
		ikev2Transform(false, 3, 12),            // AUTH_HMAC_SHA2_256_128
		ikev2Transform(true, 4, ikev2Group14))   // D-H group 14
	// Proposal substructure (§3.3.1): last, reserved, length, number 1,
	// protocol IKE (1), SPI size 0, four transforms.
	proposal := []byte{0, 0}
	proposal = be16(proposal, uint16(8+len(transforms)))
	proposal = append(proposal, 1, 1, 0, 4)
	proposal = append(proposal, transforms...)
	sa := ikePayload(ikev2PayloadKE, proposal)
	// KE (§3.4): group, reserved, the public value. Any value below the
	// group's prime (whose first byte is 0xff) is well-formed.
	ke := be16(nil, ikev2Group14)
	ke = be16(ke, 0)
	ke = fill(ke, ikev2Group14Len, 0x5a)
	ke = ikePayload(ikev2PayloadNonce, ke)
	nonce := ikePayload(0, fill(nil, 32, 0x11)) // §3.9: 16 to 256 bytes
	body := slices.Concat(sa, ke, nonce)
	return append(ikeHeader(ikev2PayloadSA, 0x20, ikev2ExchangeSA, ikev2FlagInitiator, len(body)), body...)
}

// IKEv1 values (RFC 2408 §3.1, §3.4-3.6; RFC 2407 §4.2, §4.4.2; RFC 2409
// Appendix A).
const (
	isakmpPayloadSA        = 1
	isakmpExchangeIdentity = 2 // Identity Protection: Main Mode
	isakmpDOIIPsec         = 1
	isakmpSituationIDOnly  = 1
	isakmpProtoISAKMP      = 1
	isakmpKeyIKE           = 1
)

// ikev1MainMode is the first Main Mode message: an SA payload with one
// proposal of one transform (3DES-CBC, SHA, pre-shared key, 1024-bit MODP
// group, 28800 s), each attribute in the 4-byte TV form with the high bit
// of its type set. A responder that takes none of it still answers, with
// a NO-PROPOSAL-CHOSEN notification.
func ikev1MainMode() []byte {
	attr := func(typ, value uint16) []byte { return be16(be16(nil, 0x8000|typ), value) }
	attrs := slices.Concat(
		attr(1, 5),      // Encryption Algorithm: 3DES-CBC
		attr(2, 2),      // Hash Algorithm: SHA
		attr(3, 1),      // Authentication Method: pre-shared key
		attr(4, 2),      // Group Description: 1024-bit MODP
		attr(11, 1),     // Life Type: seconds
		attr(12, 28800)) // Life Duration
	// Transform payload (§3.6): number 1, KEY_IKE, two reserved bytes.
	transform := ikePayload(0, append([]byte{1, isakmpKeyIKE, 0, 0}, attrs...))
	// Proposal payload (§3.5): number 1, PROTO_ISAKMP, SPI size 0, one
	// transform.
	proposal := ikePayload(0, append([]byte{1, isakmpProtoISAKMP, 0, 1}, transform...))
	// SA payload (§3.4): DOI, situation, proposals.
	sa := be32(nil, isakmpDOIIPsec)
	sa = be32(sa, isakmpSituationIDOnly)
	sa = ikePayload(0, append(sa, proposal...))
	return append(ikeHeader(isakmpPayloadSA, 0x10, isakmpExchangeIdentity, 0, len(sa)), sa...)
}

// nonESPMarker is the four zero bytes that precede an IKE message on port
// 4500 (RFC 3948 §2.2, RFC 7296 §2.23), where ESP shares the port.
func nonESPMarker() []byte { return make([]byte, 4) }

// OpenVPN ------------------------------------------------------------------

// openvpnHardReset is P_CONTROL_HARD_RESET_CLIENT_V2 as OpenVPN's wire
// protocol (the "OpenVPN Wire Protocol" document, openvpn-rfc) defines it
// without tls-auth: opcode 7 in the high five bits and key ID 0, an
// 8-byte session ID, an empty ACK array (its length byte 0), and message
// packet ID 0. A server without tls-auth or tls-crypt answers with its
// own hard reset.
func openvpnHardReset() []byte {
	b := []byte{7<<3 | 0}
	b = append(b, "ajar-ovp"...)
	b = append(b, 0)
	return be32(b, 0)
}

// SSDP (UPnP Device Architecture 2.0 §1.3.2) -------------------------------

// ssdpMSearch is a search for every device and service. Devices that answer
// only multicast searches check HOST and MAN; MX bounds their random
// delay to one second.
func ssdpMSearch() []byte {
	return []byte("M-SEARCH * HTTP/1.1\r\n" +
		"HOST: 239.255.255.250:1900\r\n" +
		"MAN: \"ssdp:discover\"\r\n" +
		"MX: 1\r\n" +
		"ST: ssdp:all\r\n" +
		"\r\n")
}

// STUN (RFC 8489 §5, §6) -------------------------------------------------

// stunBinding is a Binding request with no attributes: type 0x0001,
// length 0, the magic cookie 0x2112A442, a 12-byte transaction ID.
func stunBinding() []byte {
	b := be16(nil, 0x0001)
	b = be16(b, 0)
	b = be32(b, 0x2112a442)
	return append(b, "ajar-stun-id"...)
}

// SIP (RFC 3261 §8.1.1, §11, §20; RFC 3581) ------------------------------

// sipOptions is an OPTIONS request with the headers RFC 3261 requires. The
// Via's "rport" (RFC 3581) asks for the reply to go to the source address
// and port, which a static probe cannot name; .invalid (RFC 6761) stands
// for the names it does not know.
func sipOptions() []byte {
	return []byte("OPTIONS sip:ajar.invalid SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP ajar.invalid;branch=z9hG4bK-ajar-probe;rport\r\n" +
		"Max-Forwards: 70\r\n" +
		"To: <sip:ajar.invalid>\r\n" +
		"From: <sip:ajar@ajar.invalid>;tag=ajar\r\n" +
		"Call-ID: ajar-probe@ajar.invalid\r\n" +
		"CSeq: 1 OPTIONS\r\n" +
		"Contact: <sip:ajar@ajar.invalid>\r\n" +
		"Accept: application/sdp\r\n" +
		"Content-Length: 0\r\n" +
		"\r\n")
}

// NAT-PMP (RFC 6886 §3.2) --------------------------------------------------

// natpmpAddress is the external address request: version 0, opcode 0.
func natpmpAddress() []byte { return []byte{0, 0} }

// memcached (doc/protocol.txt, "UDP protocol") -----------------------------

// memcachedVersion is the "version" command behind the 8-byte UDP frame
// header: request ID, sequence number 0, one datagram in all, two
// reserved zero bytes. "version" rather than "stats": any answer proves
// the port open, and its answer is one short datagram.
func memcachedVersion() []byte {
	b := be16(nil, dnsQueryID)
	b = be16(b, 0)
	b = be16(b, 1)
	b = be16(b, 0)
	return append(b, "version\r\n"...)
}

// ONC RPC (RFC 5531 §9) --------------------------------------------------

// rpcbindNull is a NULL call (procedure 0) to the portmapper, program
// 100000 version 2 (RFC 1833 §3), with no credentials: every portmapper
// answers it with an accepted reply.
func rpcbindNull() []byte {
	b := be32(nil, dnsQueryID<<16|0x7262) // xid
	b = be32(b, 0)                        // CALL
	b = be32(b, 2)                        // RPC version
	b = be32(b, 100000)                   // program: portmapper
	b = be32(b, 2)                        // its version
	b = be32(b, 0)                        // procedure NULL
	b = be32(b, 0)                        // credentials: AUTH_NONE, empty
	b = be32(b, 0)
	b = be32(b, 0) // verifier: AUTH_NONE, empty
	return be32(b, 0)
}

// TFTP (RFC 1350 §5) -----------------------------------------------------

const (
	tftpRRQ   = 1
	tftpData  = 3
	tftpError = 5
	tftpOACK  = 6 // RFC 2347
)

// tftpReadRequest asks, in octet mode, for a file no server has: the
// ERROR (File not found) it draws proves the port open.
func tftpReadRequest() []byte {
	b := be16(nil, tftpRRQ)
	b = append(b, "ajar-probe.nonexistent"...)
	b = append(b, 0)
	b = append(b, "octet"...)
	return append(b, 0)
}

// isTFTPReply reports whether a datagram looks like a TFTP server's answer
// to a read request: DATA block 1, an ERROR, or an OACK. The server sends
// it from a port of its own, so this is all that tells it from a stray.
func isTFTPReply(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	switch binary.BigEndian.Uint16(b) {
	case tftpData:
		return binary.BigEndian.Uint16(b[2:]) == 1
	case tftpError:
		// error code, then a NUL-terminated message
		return b[len(b)-1] == 0
	case tftpOACK:
		return b[len(b)-1] == 0
	}
	return false
}

// Package ike recognises IPsec key exchange over UDP: IKEv2 (RFC 7296)
// and IKEv1/ISAKMP (RFC 2408, RFC 2409) on port 500, and IKE behind the
// non-ESP marker of UDP encapsulation (RFC 3948) on port 4500. It sends
// an IKE_SA_INIT request and the first Main Mode message; a responder
// that takes neither proposal still answers, with a notification
// (NO_PROPOSAL_CHOSEN, INVALID_KE_PAYLOAD), and every answer carries our
// initiator SPI back.
package ike

import (
	"bytes"
	"context"
	"encoding/binary"
	"slices"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

// The two services, one per port.
const (
	nameISAKMP = "isakmp"
	nameNATT   = "ipsec-nat-t"
)

func init() {
	for _, p := range []plugin{{natt: false}, {natt: true}} {
		fingerprint.Register(p)
		in := p.Info()
		fingerprint.RegisterUDPProbe(fingerprint.UDPProbe{Name: in.Name, Ports: in.Ports, Datagrams: p.datagrams(), Rarity: in.Rarity})
	}
}

// plugin speaks IKE on port 500 or, with natt, behind the non-ESP marker
// on port 4500.
type plugin struct{ natt bool }

func (p plugin) Info() fingerprint.Info {
	if p.natt {
		return fingerprint.Info{Name: nameNATT, Proto: portspec.UDP, Ports: []uint16{4500}, Rarity: 6}
	}
	return fingerprint.Info{Name: nameISAKMP, Proto: portspec.UDP, Ports: []uint16{500}, Rarity: 5}
}

// datagrams are the requests: IKEv2 then IKEv1 on port 500; IKEv2 behind
// the marker on 4500, where IKEv1 does not go without NAT-T negotiated.
func (p plugin) datagrams() [][]byte {
	if p.natt {
		return [][]byte{append(nonESPMarker(), SAInit()...)}
	}
	return [][]byte{SAInit(), MainMode()}
}

func (p plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	return fingerprint.ExchangeUDP(c, p.datagrams(), func(b []byte) (*record.Service, error) {
		if p.natt {
			if !bytes.HasPrefix(b, nonESPMarker()) {
				return nil, fingerprint.ErrNoMatch
			}
			b = b[4:]
		}
		a, err := Parse(b)
		if err != nil {
			return nil, err
		}
		return Describe(a), nil
	})
}

// initiatorSPI is our SPI (IKEv2) or cookie (IKEv1): any nonzero eight
// bytes, which every answer must carry back.
const initiatorSPI = "ajar-ike"

// nonESPMarker is the four zero bytes that precede an IKE message on port
// 4500 (RFC 3948 §2.2, RFC 7296 §2.23), where ESP shares the port.
func nonESPMarker() []byte { return make([]byte, 4) }

func be16(b []byte, v uint16) []byte { return binary.BigEndian.AppendUint16(b, v) }
func be32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }

// fill appends n bytes of a fixed pattern: nonces and key shares that
// need only be well-formed.
func fill(b []byte, n int, seed byte) []byte {
	for i := range n {
		b = append(b, seed+byte(i*37))
	}
	return b
}

// payload wraps a generic payload header (next payload, a reserved or
// critical byte, length including the header) around body.
func payload(next byte, body []byte) []byte {
	b := []byte{next, 0}
	b = be16(b, uint16(4+len(body)))
	return append(b, body...)
}

// header is the 28-byte IKE (RFC 7296 §3.1) or ISAKMP (RFC 2408 §3.1)
// header: initiator SPI, zero responder SPI, next payload, version,
// exchange type, flags, message ID 0, and the length of the whole message.
func header(next, version, exchange, flags byte, bodyLen int) []byte {
	b := append([]byte(nil), initiatorSPI...)
	b = append(b, make([]byte, 8)...)
	b = append(b, next, version, exchange, flags)
	b = be32(b, 0)
	return be32(b, uint32(28+bodyLen))
}

// transform is an IKEv2 transform substructure (RFC 7296 §3.3.2): last-or-
// more (0 or 3), reserved, length, type, reserved, transform ID, then its
// attributes.
func transform(last bool, typ byte, id uint16, attrs ...byte) []byte {
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
	v2PayloadSA     = 33
	v2PayloadKE     = 34
	v2PayloadNotify = 41
	v2PayloadVendor = 43
	v2PayloadNonce  = 40
	v2ExchangeSA    = 34 // IKE_SA_INIT
	v2ExchangeInfo  = 37 // INFORMATIONAL
	v2FlagInitiator = 0x08
	v2FlagResponse  = 0x20
	v2Group14       = 14  // 2048-bit MODP
	v2Group14Len    = 256 // its public values' length in bytes
)

// SAInit is an IKE_SA_INIT request (RFC 7296 §1.2): an SA payload with
// one IKE proposal (AES-CBC-128, PRF-HMAC-SHA2-256, HMAC-SHA2-256-128,
// group 14), a KE payload for group 14 and a 32-byte nonce.
func SAInit() []byte {
	keyLen := []byte{0x80, 14, 0, 128} // attribute Key Length (TV) = 128 bits
	transforms := slices.Concat(
		transform(false, 1, 12, keyLen...), // ENCR_AES_CBC
		transform(false, 2, 5),             // PRF_HMAC_SHA2_256
		transform(false, 3, 12),            // AUTH_HMAC_SHA2_256_128
		transform(true, 4, v2Group14))      // D-H group 14
	// Proposal substructure (§3.3.1): last, reserved, length, number 1,
	// protocol IKE (1), SPI size 0, four transforms.
	proposal := []byte{0, 0}
	proposal = be16(proposal, uint16(8+len(transforms)))
	proposal = append(proposal, 1, 1, 0, 4)
	proposal = append(proposal, transforms...)
	sa := payload(v2PayloadKE, proposal)
	// KE (§3.4): group, reserved, the public value. Any value below the
	// group's prime (whose first byte is 0xff) is well-formed.
	ke := be16(nil, v2Group14)
	ke = be16(ke, 0)
	ke = fill(ke, v2Group14Len, 0x5a)
	ke = payload(v2PayloadNonce, ke)
	nonce := payload(0, fill(nil, 32, 0x11)) // §3.9: 16 to 256 bytes
	body := slices.Concat(sa, ke, nonce)
	return append(header(v2PayloadSA, 0x20, v2ExchangeSA, v2FlagInitiator, len(body)), body...)
}

// IKEv1 values (RFC 2408 §3.1, §3.4-3.6, §3.14; RFC 2407 §4.2, §4.4.2;
// RFC 2409 Appendix A).
const (
	v1PayloadSA        = 1
	v1PayloadNotify    = 11
	v1PayloadVendor    = 13
	v1ExchangeIdentity = 2 // Identity Protection: Main Mode
	v1ExchangeInfo     = 5
	v1DOIIPsec         = 1
	v1SituationIDOnly  = 1
	v1ProtoISAKMP      = 1
	v1KeyIKE           = 1
)

// MainMode is the first Main Mode message: an SA payload with one
// proposal of one transform (3DES-CBC, SHA, pre-shared key, 1024-bit MODP
// group, 28800 s), each attribute in the 4-byte TV form with the high bit
// of its type set.
func MainMode() []byte {
	attr := func(typ, value uint16) []byte { return be16(be16(nil, 0x8000|typ), value) }
	attrs := slices.Concat(
		attr(1, 5),      // Encryption Algorithm: 3DES-CBC
		attr(2, 2),      // Hash Algorithm: SHA
		attr(3, 1),      // Authentication Method: pre-shared key
		attr(4, 2),      // Group Description: 1024-bit MODP
		attr(11, 1),     // Life Type: seconds
		attr(12, 28800)) // Life Duration
	// Transform payload (§3.6): number 1, KEY_IKE, two reserved bytes.
	tr := payload(0, append([]byte{1, v1KeyIKE, 0, 0}, attrs...))
	// Proposal payload (§3.5): number 1, PROTO_ISAKMP, SPI size 0, one
	// transform.
	proposal := payload(0, append([]byte{1, v1ProtoISAKMP, 0, 1}, tr...))
	// SA payload (§3.4): DOI, situation, proposals.
	sa := be32(nil, v1DOIIPsec)
	sa = be32(sa, v1SituationIDOnly)
	sa = payload(0, append(sa, proposal...))
	return append(header(v1PayloadSA, 0x10, v1ExchangeIdentity, 0, len(sa)), sa...)
}

// Answer is what a responder said.
type Answer struct {
	Major byte // 2 for IKEv2, 1 for IKEv1
	// Notify lists the notification types in the answer.
	Notify []uint16
	// Vendors lists the Vendor ID payloads, as hex.
	Vendors [][]byte
	// Accepted says the responder chose our proposal (its SA came back).
	Accepted bool
}

// maxPayloads bounds the payloads read from one message.
const maxPayloads = 32

// Parse reads an IKE or ISAKMP message (without the non-ESP marker) that
// answers ours: our initiator SPI, a response (IKEv2: the Response flag
// and not the Initiator flag; IKEv1: a responder cookie), a known
// exchange, and a chain of payloads that fits the message. Anything else
// is ErrNoMatch.
func Parse(b []byte) (*Answer, error) {
	if len(b) < 28 || string(b[:8]) != initiatorSPI {
		return nil, fingerprint.ErrNoMatch
	}
	next, version, exchange, flags := b[16], b[17], b[18], b[19]
	length := binary.BigEndian.Uint32(b[24:])
	if length < 28 || int(length) > len(b) {
		return nil, fingerprint.ErrNoMatch
	}
	a := &Answer{Major: version >> 4}
	switch a.Major {
	case 2:
		if flags&v2FlagResponse == 0 || flags&v2FlagInitiator != 0 || (exchange != v2ExchangeSA && exchange != v2ExchangeInfo) {
			return nil, fingerprint.ErrNoMatch
		}
	case 1:
		if bytes.Equal(b[8:16], make([]byte, 8)) || (exchange != v1ExchangeIdentity && exchange != v1ExchangeInfo) {
			return nil, fingerprint.ErrNoMatch
		}
	default:
		return nil, fingerprint.ErrNoMatch
	}
	body := b[28:length]
	for range maxPayloads {
		if next == 0 {
			break
		}
		if len(body) < 4 {
			return nil, fingerprint.ErrNoMatch
		}
		n := int(binary.BigEndian.Uint16(body[2:]))
		if n < 4 || n > len(body) {
			return nil, fingerprint.ErrNoMatch
		}
		a.payload(next, body[4:n])
		next, body = body[0], body[n:]
	}
	return a, nil
}

// payload notes what one payload of type typ says.
func (a *Answer) payload(typ byte, p []byte) {
	switch {
	case a.Major == 2 && typ == v2PayloadSA, a.Major == 1 && typ == v1PayloadSA:
		a.Accepted = true
	case a.Major == 2 && typ == v2PayloadNotify && len(p) >= 4:
		// protocol ID, SPI size, notify message type (§3.10)
		a.Notify = append(a.Notify, binary.BigEndian.Uint16(p[2:]))
	case a.Major == 1 && typ == v1PayloadNotify && len(p) >= 8:
		// DOI, protocol ID, SPI size, notify message type (§3.14)
		a.Notify = append(a.Notify, binary.BigEndian.Uint16(p[6:]))
	case (a.Major == 2 && typ == v2PayloadVendor) || (a.Major == 1 && typ == v1PayloadVendor):
		if len(a.Vendors) < 8 {
			a.Vendors = append(a.Vendors, bytes.Clone(p[:min(len(p), 32)]))
		}
	}
}

// notifyNames are the error notifications a probe draws (RFC 7296 §3.10.1,
// RFC 2408 §3.14.1).
var notifyNames = map[uint16]string{
	14: "NO_PROPOSAL_CHOSEN", 17: "INVALID_KE_PAYLOAD", 7: "INVALID_SYNTAX",
	5: "INVALID_MAJOR_VERSION", 9: "INVALID_SPI", 16: "PAYLOAD_MALFORMED",
	24: "AUTHENTICATION_FAILED", 16390: "COOKIE", 16404: "MULTIPLE_AUTH_SUPPORTED",
}

// Describe turns an answer into the service it shows; the name is the
// port's (isakmp or ipsec-nat-t), which the core fills in.
func Describe(a *Answer) *record.Service {
	svc := &record.Service{Confidence: 9}
	info := []string{"IKEv" + string('0'+a.Major)}
	for _, n := range a.Notify {
		if s, ok := notifyNames[n]; ok {
			info = append(info, s)
			break
		}
	}
	if a.Accepted {
		info = append(info, "proposal accepted")
	}
	svc.ExtraInfo = strings.Join(info, "; ")
	return svc
}

// Package rdp recognises Remote Desktop Protocol servers by the X.224
// Connection Request of [MS-RDPBCGR] section 2.2.1.1, which asks for TLS
// or CredSSP in an RDP_NEG_REQ: the Connection Confirm answers with the
// protocol the server selected (RDP_NEG_RSP) or why it refuses
// (RDP_NEG_FAILURE). When the server selected TLS or CredSSP, the plugin
// runs the TLS handshake that follows, to describe the certificate.
package rdp

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "rdp", Proto: portspec.TCP, Ports: []uint16{3389}, Rarity: 7}
}

// Security protocols of RDP_NEG_REQ and RDP_NEG_RSP.
const (
	ProtocolRDP      = 0x0
	ProtocolSSL      = 0x1
	ProtocolHybrid   = 0x2
	ProtocolRDSTLS   = 0x4
	ProtocolHybridEx = 0x8
	ProtocolRDSAAD   = 0x10
)

// requested is what the Connection Request asks for: TLS or CredSSP.
const requested = ProtocolSSL | ProtocolHybrid

// Negotiation message types and RDP_NEG_RSP flags.
const (
	typeNegReq     = 0x01
	typeNegRsp     = 0x02
	typeNegFailure = 0x03
	// extendedClientData is EXTENDED_CLIENT_DATA_SUPPORTED.
	extendedClientData = 0x01
	tpktLen            = 4
	maxConfirm         = 1024
)

func (plugin) Identify(ctx context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := c.Exchange(ConnectionRequest(requested), tpktComplete, maxConfirm)
	if len(b) == 0 {
		if err == nil {
			err = fingerprint.ErrNoMatch
		}
		return nil, err
	}
	cc, err := ParseConfirm(b)
	if err != nil {
		return nil, err
	}
	svc := Describe(cc, requested)
	if cc.Negotiated && cc.Type == typeNegRsp && cc.Selected != ProtocolRDP {
		// TLS comes next, for CredSSP too. A failed handshake leaves
		// the identification as it is.
		_ = c.StartTLS(ctx, "RDP")
	}
	return svc, nil
}

// ConnectionRequest is a TPKT-framed X.224 Connection Request carrying an
// RDP_NEG_REQ for the protocols given.
func ConnectionRequest(protocols uint32) []byte {
	b := []byte{
		3, 0, 0, 19, // TPKT version 3, length 19
		14, 0xe0, 0, 0, 0, 0, 0, // X.224 CR: length indicator, code, DST-REF, SRC-REF, class 0
		typeNegReq, 0, 8, 0, // RDP_NEG_REQ: type, flags, length 8 (little-endian)
	}
	return binary.LittleEndian.AppendUint32(b, protocols)
}

// tpktComplete is a ReadUntil test: the TPKT packet is whole, or the
// first byte shows it is none.
func tpktComplete(b []byte) bool {
	if len(b) >= 1 && b[0] != 3 {
		return true
	}
	return len(b) >= tpktLen && len(b) >= int(binary.BigEndian.Uint16(b[2:]))
}

// Confirm is an X.224 Connection Confirm.
type Confirm struct {
	DstRef, SrcRef uint16
	// Negotiated says the confirm carries RDP_NEG_RSP or RDP_NEG_FAILURE;
	// servers older than RDP 5.2 send none.
	Negotiated bool
	Type       byte
	Flags      byte
	// Selected is the protocol of an RDP_NEG_RSP, FailureCode the code
	// of an RDP_NEG_FAILURE.
	Selected, FailureCode uint32
}

// ParseConfirm reads a TPKT-framed X.224 Connection Confirm.
func ParseConfirm(b []byte) (*Confirm, error) {
	if len(b) < 11 || b[0] != 3 || b[1] != 0 {
		return nil, fingerprint.ErrNoMatch
	}
	n := int(binary.BigEndian.Uint16(b[2:]))
	if n < 11 || n > len(b) {
		return nil, fingerprint.ErrNoMatch
	}
	b = b[:n]
	li := int(b[4])
	if li != n-5 || b[5]&0xf0 != 0xd0 || b[10] != 0 {
		return nil, fingerprint.ErrNoMatch
	}
	cc := &Confirm{DstRef: binary.BigEndian.Uint16(b[6:]), SrcRef: binary.BigEndian.Uint16(b[8:])}
	neg := b[11:]
	if len(neg) == 0 {
		return cc, nil
	}
	if len(neg) != 8 || binary.LittleEndian.Uint16(neg[2:]) != 8 {
		return nil, fingerprint.ErrNoMatch
	}
	cc.Negotiated, cc.Type, cc.Flags = true, neg[0], neg[1]
	v := binary.LittleEndian.Uint32(neg[4:])
	switch cc.Type {
	case typeNegRsp:
		cc.Selected = v
	case typeNegFailure:
		cc.FailureCode = v
	default:
		return nil, fingerprint.ErrNoMatch
	}
	return cc, nil
}

var failureNames = map[uint32]string{
	1: "SSL_REQUIRED_BY_SERVER", 2: "SSL_NOT_ALLOWED_BY_SERVER", 3: "SSL_CERT_NOT_ON_SERVER",
	4: "INCONSISTENT_FLAGS", 5: "HYBRID_REQUIRED_BY_SERVER", 6: "SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER",
}

var protocolNames = []struct {
	bit  uint32
	name string
}{
	{ProtocolSSL, "TLS"}, {ProtocolHybrid, "CredSSP"}, {ProtocolRDSTLS, "RDSTLS"},
	{ProtocolHybridEx, "CredSSP with Early User Authorization"}, {ProtocolRDSAAD, "RDS AAD"},
}

// Describe turns a Connection Confirm to a request for the protocols
// asked into a Service.
//
// xrdp (0.9) answers every RDP_NEG_REQ with an RDP_NEG_RSP whose only
// flag is EXTENDED_CLIENT_DATA_SUPPORTED, and, lacking CredSSP, selects
// TLS or even standard RDP security when CredSSP was offered. Windows
// selects CredSSP when offered (it has had it since Vista), sends a
// failure code rather than a protocol the client did not ask for, and
// sets more flags since Windows 8 (dynamic virtual channel graphics,
// restricted admin mode): so this pattern is taken as evidence of xrdp.
func Describe(cc *Confirm, asked uint32) *record.Service {
	svc := &record.Service{Name: "rdp", Confidence: 10}
	switch {
	case !cc.Negotiated:
		svc.ExtraInfo = "standard RDP security, no negotiation"
	case cc.Type == typeNegFailure:
		name := failureNames[cc.FailureCode]
		if name == "" {
			name = fmt.Sprintf("code %d", cc.FailureCode)
		}
		svc.ExtraInfo = "negotiation failure: " + name
	default:
		svc.ExtraInfo = "security: " + protocolName(cc.Selected)
		if cc.Flags == extendedClientData && asked&ProtocolHybrid != 0 &&
			(cc.Selected == ProtocolRDP || cc.Selected == ProtocolSSL) {
			svc.Product = "xrdp"
			svc.CPE = []string{fingerprint.CPE("neutrinolabs", "xrdp", "")}
		}
	}
	return svc
}

func protocolName(p uint32) string {
	if p == ProtocolRDP {
		return "standard RDP"
	}
	var names []string
	for _, pn := range protocolNames {
		if p&pn.bit != 0 {
			names = append(names, pn.name)
			p &^= pn.bit
		}
	}
	if p != 0 {
		names = append(names, fmt.Sprintf("0x%x", p))
	}
	return strings.Join(names, "+")
}

// Parse reads a Connection Confirm to ConnectionRequest(TLS|CredSSP) and
// describes the server, for tests.
func Parse(b []byte) (*record.Service, error) {
	cc, err := ParseConfirm(b)
	if err != nil {
		return nil, err
	}
	return Describe(cc, requested), nil
}

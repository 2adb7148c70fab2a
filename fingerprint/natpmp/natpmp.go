// Package natpmp recognises NAT-PMP gateways (RFC 6886) and PCP servers
// that answer NAT-PMP's version 0 (RFC 6887 §9) over UDP by the external
// address request, which a gateway answers with its external address, or
// with a result code that says why not.
package natpmp

import (
	"encoding/binary"
	"net/netip"
	"strconv"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/record"
)

const (
	name   = "nat-pmp"
	port   = 5351
	rarity = 6
	// opAddress is the external address request; a response's opcode is
	// the request's plus 128.
	opAddress = 0
	// maxResult is the last result code RFC 6886 §3.5 defines.
	maxResult = 5
)

func init() {
	fingerprint.RegisterUDP(fingerprint.UDPProbe{Name: name, Ports: []uint16{port}, Datagrams: [][]byte{Request()}, Rarity: rarity}, Parse)
}

// Request is the external address request (RFC 6886 §3.2): version 0,
// opcode 0.
func Request() []byte { return []byte{0, opAddress} }

// resultNames are the result codes of RFC 6886 §3.5.
var resultNames = []string{"success", "unsupported version", "not authorized", "network failure", "out of resources", "unsupported opcode"}

// Parse reads the answer to Request (RFC 6886 §3.2, §3.5): version 0,
// opcode 128, a known result code, the seconds since the gateway's start
// and, on success, its external IPv4 address. An error answer may be
// eight bytes. Anything else is ErrNoMatch.
func Parse(b []byte) (*record.Service, error) {
	if len(b) < 8 || b[0] != 0 || b[1] != 128+opAddress {
		return nil, fingerprint.ErrNoMatch
	}
	result := binary.BigEndian.Uint16(b[2:])
	if result > maxResult || (result == 0 && len(b) != 12) || len(b) > 16 {
		return nil, fingerprint.ErrNoMatch
	}
	svc := &record.Service{Name: name, Confidence: 9}
	if result == 0 {
		ext := netip.AddrFrom4([4]byte(b[8:12]))
		svc.ExtraInfo = "external address " + ext.String()
	} else {
		svc.ExtraInfo = "result " + strconv.Itoa(int(result)) + ": " + resultNames[result]
	}
	return svc, nil
}

// Package xdmcp recognises X display managers (xdm, gdm, lightdm, kdm)
// that accept remote logins, by the X Display Manager Control Protocol
// (XDMCP, the X Consortium's specification, version 1) over UDP: a Query
// with no authentication names draws Willing, with the manager's host
// name and status, or Unwilling when the manager does not serve us.
package xdmcp

import (
	"encoding/binary"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/record"
)

const (
	name   = "xdmcp"
	port   = 177
	rarity = 8
	// version is XDMCP's protocol version; the opcodes are the
	// specification's.
	version      = 1
	opQuery      = 2
	opWilling    = 5
	opUnwilling  = 6
	maxInfoBytes = 80
)

func init() {
	fingerprint.RegisterUDP(fingerprint.UDPProbe{Name: name, Ports: []uint16{port}, Datagrams: [][]byte{Query()}, Rarity: rarity}, Parse)
}

// Query is a Query packet: version 1, opcode Query, length 1, and an
// empty list of authentication names (an ARRAY8Ref of count 0).
func Query() []byte { return []byte{0, version, 0, opQuery, 0, 1, 0} }

// Parse reads Willing (AuthenticationName, Hostname, Status: three
// ARRAY8) or Unwilling (Hostname, Status), whose length covers exactly
// its fields. Anything else is ErrNoMatch.
func Parse(b []byte) (*record.Service, error) {
	if len(b) < 6 || binary.BigEndian.Uint16(b) != version || int(binary.BigEndian.Uint16(b[4:])) != len(b)-6 {
		return nil, fingerprint.ErrNoMatch
	}
	op, rest := binary.BigEndian.Uint16(b[2:]), b[6:]
	var fields []string
	switch op {
	case opWilling:
		fields = make([]string, 3)
	case opUnwilling:
		fields = make([]string, 2)
	default:
		return nil, fingerprint.ErrNoMatch
	}
	for i := range fields {
		var ok bool
		if fields[i], rest, ok = array8(rest); !ok {
			return nil, fingerprint.ErrNoMatch
		}
	}
	if len(rest) != 0 {
		return nil, fingerprint.ErrNoMatch
	}
	host, status := fields[len(fields)-2], fields[len(fields)-1]
	svc := &record.Service{Name: name, Confidence: 9}
	info := "willing"
	if op == opUnwilling {
		info = "unwilling"
	}
	if host != "" {
		info += "; host " + host
	}
	if status != "" {
		info += "; " + status
	}
	svc.ExtraInfo = fingerprint.Printable([]byte(info), maxInfoBytes)
	return svc, nil
}

// array8 reads an ARRAY8: a 16-bit length and that many bytes.
func array8(b []byte) (string, []byte, bool) {
	if len(b) < 2 {
		return "", b, false
	}
	n := int(binary.BigEndian.Uint16(b))
	if len(b) < 2+n {
		return "", b, false
	}
	return string(b[2 : 2+n]), b[2+n:], true
}

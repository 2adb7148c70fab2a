// Package quic recognises QUIC servers (RFC 9000, HTTP/3 among them) over
// UDP by version negotiation, the one exchange that every version of QUIC
// keeps (RFC 8999): a long-header packet of a reserved version, padded to
// the 1200 bytes a server needs before it answers (RFC 9000 §14.1), draws
// a Version Negotiation packet that swaps our two connection IDs and
// lists the versions the server speaks. Nothing in it names a product.
package quic

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/record"
)

const (
	name   = "quic"
	port   = 443
	rarity = 4
	// probeVersion is a reserved version of the form 0x?a?a?a?a (RFC 9000
	// §15), that no server speaks: every server answers it with Version
	// Negotiation.
	probeVersion = 0x1a2a3a4a
	// Our connection IDs, eight bytes each (RFC 8999 §5.1 allows up to
	// 255; RFC 9000 wants at least 8 in a client's first Initial).
	dcid = "ajar-qdc"
	scid = "ajar-qsc"
	// size is the datagram's size: the least a server answers (RFC 9000
	// §14.1).
	size = 1200
	// maxVersions bounds the versions listed.
	maxVersions = 16
)

func init() {
	fingerprint.RegisterUDP(fingerprint.UDPProbe{Name: name, Ports: []uint16{port}, Datagrams: [][]byte{Request()}, Rarity: rarity}, Parse)
}

// Request is a long-header packet (first byte 0xc0: header form and
// fixed bit set, the type bits of an Initial) of the reserved version,
// with our destination and source connection IDs, padded with zeros to
// 1200 bytes.
func Request() []byte {
	b := []byte{0xc0}
	b = binary.BigEndian.AppendUint32(b, probeVersion)
	b = append(b, byte(len(dcid)))
	b = append(b, dcid...)
	b = append(b, byte(len(scid)))
	b = append(b, scid...)
	return append(b, make([]byte, size-len(b))...)
}

// Parse reads a Version Negotiation packet (RFC 8999 §6): the header form
// bit set, version 0, our source connection ID as its destination and our
// destination ID as its source, then one or more four-byte versions, none
// of them ours. Anything else is ErrNoMatch.
func Parse(b []byte) (*record.Service, error) {
	if len(b) < 7 || b[0]&0x80 == 0 || binary.BigEndian.Uint32(b[1:]) != 0 {
		return nil, fingerprint.ErrNoMatch
	}
	rest := b[5:]
	d, rest, ok := connID(rest)
	if !ok || d != scid {
		return nil, fingerprint.ErrNoMatch
	}
	s, rest, ok := connID(rest)
	if !ok || s != dcid || len(rest) == 0 || len(rest)%4 != 0 || len(rest)/4 > maxVersions {
		return nil, fingerprint.ErrNoMatch
	}
	var names []string
	for i := 0; i < len(rest); i += 4 {
		v := binary.BigEndian.Uint32(rest[i:])
		if v == probeVersion {
			return nil, fingerprint.ErrNoMatch // RFC 9000 §6.2: a client discards it
		}
		if n := versionName(v); n != "" {
			names = append(names, n)
		}
	}
	svc := &record.Service{Name: name, Confidence: 10}
	if len(names) > 0 {
		svc.ExtraInfo = "versions " + strings.Join(names, ", ")
	}
	return svc, nil
}

// connID reads a connection ID: a length byte, then that many bytes.
func connID(b []byte) (id string, rest []byte, ok bool) {
	if len(b) < 1 || len(b) < 1+int(b[0]) {
		return "", b, false
	}
	n := int(b[0])
	return string(b[1 : 1+n]), b[1+n:], true
}

// versionName names a QUIC version: 1 (RFC 9000), 2 (RFC 9369), the IETF
// drafts, Google's QUIC ("Q050", "T051"); reserved versions (greasing,
// RFC 9000 §15) are left out.
func versionName(v uint32) string {
	switch {
	case v&0x0f0f0f0f == 0x0a0a0a0a:
		return ""
	case v == 1:
		return "1"
	case v == 0x6b3343cf:
		return "2"
	case v>>8 == 0xff0000:
		return fmt.Sprintf("draft-%d", v&0xff)
	case v>>24 == 'Q' || v>>24 == 'T':
		s := string([]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
		if strings.Trim(s[1:], "0123456789") == "" {
			return s
		}
	}
	return fmt.Sprintf("0x%08x", v)
}

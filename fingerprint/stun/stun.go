// Package stun recognises STUN and TURN servers (RFC 8489, RFC 8656)
// over UDP by a Binding request: the answer, a success or an error, has
// our transaction ID and the magic cookie, and often a SOFTWARE attribute
// that names the product (coturn's "Coturn-4.6.1 'Gorst'").
package stun

import (
	"encoding/binary"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/record"
)

const (
	name   = "stun"
	port   = 3478
	rarity = 5
	// Message types (RFC 8489 §5, §6).
	typeBindingRequest = 0x0001
	typeBindingSuccess = 0x0101
	typeBindingError   = 0x0111
	magicCookie        = 0x2112a442
	// transactionID is ours: twelve bytes that the answer carries back.
	transactionID = "ajar-stun-id"
	// Attributes (RFC 8489 §14, §18.3).
	attrErrorCode = 0x0009
	attrSoftware  = 0x8022
	// maxAttrs bounds the attributes read from one message.
	maxAttrs = 32
)

func init() {
	fingerprint.RegisterUDP(fingerprint.UDPProbe{Name: name, Ports: []uint16{port}, Datagrams: [][]byte{Request()}, Rarity: rarity}, Parse)
}

// Request is a Binding request with no attributes: type 0x0001, length
// 0, the magic cookie, our transaction ID.
func Request() []byte {
	b := binary.BigEndian.AppendUint16(nil, typeBindingRequest)
	b = binary.BigEndian.AppendUint16(b, 0)
	b = binary.BigEndian.AppendUint32(b, magicCookie)
	return append(b, transactionID...)
}

// Parse reads the answer to Request: a Binding success or error response
// whose length fits, with the magic cookie, our transaction ID, and
// well-formed attributes. Anything else is ErrNoMatch.
func Parse(b []byte) (*record.Service, error) {
	if len(b) < 20 {
		return nil, fingerprint.ErrNoMatch
	}
	typ, n := binary.BigEndian.Uint16(b), int(binary.BigEndian.Uint16(b[2:]))
	if (typ != typeBindingSuccess && typ != typeBindingError) || n%4 != 0 || 20+n != len(b) ||
		binary.BigEndian.Uint32(b[4:]) != magicCookie || string(b[8:20]) != transactionID {
		return nil, fingerprint.ErrNoMatch
	}
	svc := &record.Service{Name: name, Confidence: 10}
	attrs := b[20:]
	for range maxAttrs {
		if len(attrs) == 0 {
			break
		}
		if len(attrs) < 4 {
			return nil, fingerprint.ErrNoMatch
		}
		at, al := binary.BigEndian.Uint16(attrs), int(binary.BigEndian.Uint16(attrs[2:]))
		padded := (al + 3) &^ 3
		if len(attrs) < 4+padded {
			return nil, fingerprint.ErrNoMatch
		}
		v := attrs[4 : 4+al]
		switch at {
		case attrSoftware:
			software(svc, clean(v))
		case attrErrorCode:
			if len(v) >= 4 {
				code := int(v[2]&7)*100 + int(v[3])
				svc.ExtraInfo = joinInfo(svc.ExtraInfo, "error "+itoa(code)+" "+clean(v[4:]))
			}
		}
		attrs = attrs[4+padded:]
	}
	return svc, nil
}

// software names the product from a SOFTWARE description: a name, then
// a version after '-', '/' or ' ' ("Coturn-4.6.1 'Gorst'",
// "restund/0.4.12", "Citrix-3.2.4.5 'Marshal West'").
func software(svc *record.Service, s string) {
	if s == "" {
		return
	}
	i := strings.IndexAny(s, "-/ ")
	if i <= 0 || i+1 >= len(s) || s[i+1] < '0' || s[i+1] > '9' {
		svc.Product = s
		return
	}
	svc.Product = s[:i]
	ver, extra, _ := strings.Cut(s[i+1:], " ")
	svc.Version = ver
	svc.ExtraInfo = joinInfo(svc.ExtraInfo, strings.Trim(extra, "'\" "))
}

// clean keeps printable ASCII, at most 128 bytes.
func clean(b []byte) string {
	var sb strings.Builder
	for _, c := range b[:min(len(b), 128)] {
		if c >= 0x20 && c < 0x7f {
			sb.WriteByte(c)
		}
	}
	return strings.TrimSpace(sb.String())
}

func joinInfo(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

func itoa(n int) string {
	return string([]byte{byte('0' + n/100%10), byte('0' + n/10%10), byte('0' + n%10)})
}

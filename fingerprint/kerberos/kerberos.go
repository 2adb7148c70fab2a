// Package kerberos recognises Kerberos 5 KDCs (RFC 4120) over UDP and
// TCP by an AS-REQ for a client that does not exist, in a realm of our
// own: a KDC answers with a KRB-ERROR (CLIENT_NOT_FOUND, WRONG_REALM,
// PREAUTH_REQUIRED), which carries its time and the error's code and
// text. Over TCP each message follows its length in four bytes (7.2.2).
// Nothing in the answer names the product.
package kerberos

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/internal/banner"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

const (
	name   = "kerberos"
	port   = 88
	rarity = 6
	// replyMax bounds a TCP reply read.
	replyMax = 8 << 10
)

func init() {
	fingerprint.Register(plugin{})
	fingerprint.RegisterUDP(fingerprint.UDPProbe{Name: name, Ports: []uint16{port}, Datagrams: [][]byte{ASReq()},
		Rarity: rarity}, Parse)
}

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: name, Proto: portspec.TCP, Ports: []uint16{port}, Rarity: rarity}
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	req := ASReq()
	b, err := c.Exchange(append(binary.BigEndian.AppendUint32(nil, uint32(len(req))), req...), framed, replyMax)
	if err != nil && !framed(b) {
		if len(b) == 0 {
			return nil, err
		}
		return nil, fingerprint.ErrNoMatch
	}
	if len(b) < 4 {
		return nil, fingerprint.ErrNoMatch
	}
	n := binary.BigEndian.Uint32(b)
	if n > replyMax || int(n) > len(b)-4 {
		return nil, fingerprint.ErrNoMatch
	}
	return Parse(b[4 : 4+n])
}

// framed is a ReadUntil test: a whole length-prefixed message, or a
// length no KDC would send.
func framed(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	n := binary.BigEndian.Uint32(b)
	return n > replyMax || len(b) >= 4+int(n)
}

// The request: client "ajar" of realm AJAR.INVALID asks for a ticket of
// krbtgt/AJAR.INVALID, forwardable and renewable, AES only.
const realm = "AJAR.INVALID"

// ASReq is the AS-REQ (RFC 4120 5.4.1) sent over both transports.
func ASReq() []byte {
	principal := func(typ byte, parts ...string) []byte {
		var ss []byte
		for _, p := range parts {
			ss = append(ss, tlv(0x1b, []byte(p))...)
		}
		return tlv(0x30, cat(tlv(0xa0, []byte{2, 1, typ}), tlv(0xa1, tlv(0x30, ss))))
	}
	body := tlv(0x30, cat(
		tlv(0xa0, []byte{3, 5, 0, 0x50, 0, 0, 0}),
		tlv(0xa1, principal(1, "ajar")),
		tlv(0xa2, tlv(0x1b, []byte(realm))),
		tlv(0xa3, principal(2, "krbtgt", realm)),
		tlv(0xa5, tlv(0x18, []byte("20370913024805Z"))),
		tlv(0xa7, []byte{2, 4, 0x61, 0x6a, 0x61, 0x72}),
		tlv(0xa8, tlv(0x30, []byte{2, 1, 18, 2, 1, 17})),
	))
	return tlv(0x6a, tlv(0x30, cat(tlv(0xa1, []byte{2, 1, 5}), tlv(0xa2, []byte{2, 1, 10}), tlv(0xa4, body))))
}

// errorNames are the error codes (RFC 4120 7.5.9) a KDC answers an
// unknown client with.
var errorNames = map[int]string{6: "CLIENT_NOT_FOUND", 7: "SERVER_NOT_FOUND", 14: "ETYPE_NOSUPP",
	24: "PREAUTH_FAILED", 25: "PREAUTH_REQUIRED", 37: "SKEW", 60: "GENERIC", 68: "WRONG_REALM"}

// Parse reads a KDC's answer: a KRB-ERROR ([APPLICATION 30]) or an
// AS-REP ([APPLICATION 11]) of protocol version 5.
func Parse(b []byte) (*record.Service, error) {
	tag, msg, _, ok := next(b)
	if !ok || (tag != 0x7e && tag != 0x6b) {
		return nil, fingerprint.ErrNoMatch
	}
	tag, fields, _, ok := next(msg)
	if !ok || tag != 0x30 {
		return nil, fingerprint.ErrNoMatch
	}
	want := map[byte]int{0x7e: 30, 0x6b: 11}[b[0]]
	pvno, msgType, code := -1, -1, -1
	var text string
	// KRB-ERROR numbers pvno [0], msg-type [1]; KDC-REP [0], [1] too.
	for len(fields) > 0 {
		var v []byte
		if tag, v, fields, ok = next(fields); !ok {
			return nil, fingerprint.ErrNoMatch
		}
		switch tag {
		case 0xa0:
			pvno = integer(v)
		case 0xa1:
			msgType = integer(v)
		case 0xa6:
			if want == 30 {
				code = integer(v)
			}
		case 0xab:
			if t, s, _, ok := next(v); ok && t == 0x1b && len(s) <= 128 && banner.IsText(s) {
				text = string(s)
			}
		}
	}
	if pvno != 5 || msgType != want {
		return nil, fingerprint.ErrNoMatch
	}
	svc := &record.Service{Name: name, Confidence: 10}
	if want == 30 {
		info := fmt.Sprintf("error %d", code)
		if n := errorNames[code]; n != "" {
			info += " " + n
		}
		if text != "" && text != errorNames[code] {
			info += ": " + text
		}
		svc.ExtraInfo = info
	}
	return svc, nil
}

// next reads one DER element: its tag, its contents and what follows.
func next(b []byte) (tag byte, val, rest []byte, ok bool) {
	if len(b) < 2 {
		return 0, nil, nil, false
	}
	tag, n, off := b[0], int(b[1]), 2
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 3 || len(b) < 2+k {
			return 0, nil, nil, false
		}
		n = 0
		for _, c := range b[2 : 2+k] {
			n = n<<8 | int(c)
		}
		off += k
	}
	if len(b)-off < n {
		return 0, nil, nil, false
	}
	return tag, b[off : off+n], b[off+n:], true
}

// integer reads an explicitly tagged small INTEGER; -1 when it is not
// one.
func integer(v []byte) int {
	tag, val, _, ok := next(v)
	if !ok || tag != 0x02 || len(val) == 0 || len(val) > 4 {
		return -1
	}
	n := 0
	for _, c := range val {
		n = n<<8 | int(c)
	}
	return n
}

// tlv encodes one DER element of a length below 64 KiB.
func tlv(tag byte, v []byte) []byte {
	b := []byte{tag}
	switch n := len(v); {
	case n < 0x80:
		b = append(b, byte(n))
	case n < 0x100:
		b = append(b, 0x81, byte(n))
	default:
		b = append(b, 0x82, byte(n>>8), byte(n))
	}
	return append(b, v...)
}

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

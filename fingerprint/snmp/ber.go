package snmp

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
)

// BER tags used by SNMP (X.690, RFC 3416).
const (
	tagInteger     = 0x02
	tagOctetString = 0x04
	tagNull        = 0x05
	tagOID         = 0x06
	tagSequence    = 0x30
	tagGetRequest  = 0xa0
	tagGetResponse = 0xa2
	tagReport      = 0xa8
)

var errBER = fmt.Errorf("snmp: malformed BER: %w", fingerprint.ErrNoMatch)

// tlv appends one definite-length BER element.
func tlv(b []byte, tag byte, content []byte) []byte {
	b = append(b, tag)
	switch n := len(content); {
	case n < 0x80:
		b = append(b, byte(n))
	case n < 0x100:
		b = append(b, 0x81, byte(n))
	default:
		b = append(b, 0x82, byte(n>>8), byte(n))
	}
	return append(b, content...)
}

// berInt encodes a signed integer in its shortest two's complement form.
func berInt(v int64) []byte {
	var out []byte
	for {
		out = append([]byte{byte(v)}, out...)
		if (v >= -128 && v < 128) || len(out) == 8 {
			return out
		}
		v >>= 8
	}
}

// berOID encodes a dotted object identifier; the arcs must be valid.
func berOID(oid string) []byte {
	parts := strings.Split(oid, ".")
	arcs := make([]uint64, len(parts))
	for i, p := range parts {
		arcs[i], _ = strconv.ParseUint(p, 10, 32)
	}
	var out []byte
	for _, a := range append([]uint64{arcs[0]*40 + arcs[1]}, arcs[2:]...) {
		enc := []byte{byte(a & 0x7f)}
		for a >>= 7; a > 0; a >>= 7 {
			enc = append([]byte{byte(a&0x7f | 0x80)}, enc...)
		}
		out = append(out, enc...)
	}
	return out
}

// element is one decoded BER element.
type element struct {
	tag     byte
	content []byte
}

// next reads one element from b and returns it and what follows.
func next(b []byte) (element, []byte, error) {
	if len(b) < 2 {
		return element{}, nil, errBER
	}
	tag, l := b[0], int(b[1])
	if tag&0x1f == 0x1f {
		return element{}, nil, errBER // multi-byte tags are not SNMP
	}
	b = b[2:]
	if l&0x80 != 0 {
		n := l & 0x7f
		if n == 0 || n > 3 || n > len(b) {
			return element{}, nil, errBER
		}
		l = 0
		for _, c := range b[:n] {
			l = l<<8 | int(c)
		}
		b = b[n:]
	}
	if l > len(b) {
		return element{}, nil, errBER
	}
	return element{tag: tag, content: b[:l]}, b[l:], nil
}

// expect reads one element with the given tag.
func expect(b []byte, tag byte) ([]byte, []byte, error) {
	e, rest, err := next(b)
	if err != nil {
		return nil, nil, err
	}
	if e.tag != tag {
		return nil, nil, errBER
	}
	return e.content, rest, nil
}

// integer reads an INTEGER of at most 8 bytes.
func integer(b []byte) (int64, []byte, error) {
	c, rest, err := expect(b, tagInteger)
	if err != nil {
		return 0, nil, err
	}
	if len(c) == 0 || len(c) > 8 {
		return 0, nil, errBER
	}
	v := int64(int8(c[0]))
	for _, x := range c[1:] {
		v = v<<8 | int64(x)
	}
	return v, rest, nil
}

// oidString renders the content of an OBJECT IDENTIFIER.
func oidString(c []byte) (string, bool) {
	if len(c) == 0 || len(c) > 128 {
		return "", false
	}
	var sb strings.Builder
	first := true
	var v uint64
	for i, x := range c {
		v = v<<7 | uint64(x&0x7f)
		if v > 1<<32 {
			return "", false
		}
		if x&0x80 != 0 {
			if i == len(c)-1 {
				return "", false
			}
			continue
		}
		if first {
			a := min(v/40, 2)
			sb.WriteString(strconv.FormatUint(a, 10) + "." + strconv.FormatUint(v-a*40, 10))
			first = false
		} else {
			sb.WriteString("." + strconv.FormatUint(v, 10))
		}
		v = 0
	}
	return sb.String(), true
}

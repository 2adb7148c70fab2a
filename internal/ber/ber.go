// Package ber encodes and decodes the subset of ASN.1 BER (ITU-T X.690)
// that SNMP and LDAP messages use: one-byte tags, definite lengths of up
// to four bytes, INTEGERs of up to eight bytes, OBJECT IDENTIFIERs with
// 32-bit arcs, OCTET STRINGs and constructed SEQUENCEs. Decoding is for
// hostile input: every length is checked against the bytes there are.
package ber

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Universal tags (X.690 §8, X.680 §8.4), with the constructed bit where
// the type is constructed.
const (
	TagBoolean     = 0x01
	TagInteger     = 0x02
	TagOctetString = 0x04
	TagNull        = 0x05
	TagOID         = 0x06
	TagEnumerated  = 0x0a
	TagSequence    = 0x30
	TagSet         = 0x31
)

var (
	// ErrMalformed says the bytes are not the BER this package reads.
	ErrMalformed = errors.New("ber: malformed")
	// ErrShort says the bytes hold only the start of an element: more
	// may come.
	ErrShort = errors.New("ber: element incomplete")
)

// maxLen bounds a decoded length: nothing here is a gigabyte long.
const maxLen = 1 << 30

// AppendTLV appends one element with a definite length: tag, the length
// of the contents together (short form below 128, else the long form in
// the fewest bytes), then the contents.
func AppendTLV(b []byte, tag byte, contents ...[]byte) []byte {
	n := 0
	for _, c := range contents {
		n += len(c)
	}
	b = append(b, tag)
	switch {
	case n < 0x80:
		b = append(b, byte(n))
	case n < 0x100:
		b = append(b, 0x81, byte(n))
	case n < 0x10000:
		b = append(b, 0x82, byte(n>>8), byte(n))
	case n < 0x1000000:
		b = append(b, 0x83, byte(n>>16), byte(n>>8), byte(n))
	default:
		b = append(b, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	for _, c := range contents {
		b = append(b, c...)
	}
	return b
}

// TLV is AppendTLV to a new slice.
func TLV(tag byte, contents ...[]byte) []byte { return AppendTLV(nil, tag, contents...) }

// Int is the contents of an INTEGER (or ENUMERATED) of value v: two's
// complement in the fewest bytes (X.690 §8.3).
func Int(v int64) []byte {
	var tmp [8]byte
	i := len(tmp) - 1
	for {
		tmp[i] = byte(v)
		if v >= -128 && v < 128 {
			return append([]byte(nil), tmp[i:]...)
		}
		v >>= 8
		i--
	}
}

// Integer is a whole INTEGER element.
func Integer(v int64) []byte { return TLV(TagInteger, Int(v)) }

// OctetString is a whole OCTET STRING element.
func OctetString(s string) []byte { return TLV(TagOctetString, []byte(s)) }

// OID is the contents of an OBJECT IDENTIFIER (X.690 §8.19): the first
// two arcs as 40*a+b, each arc in base 128, the high bit set on every
// byte but an arc's last. It panics on fewer than two arcs or a first
// pair X.660 does not allow: the OIDs are the caller's constants.
func OID(arcs ...uint32) []byte {
	if len(arcs) < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] > 39) {
		panic(fmt.Sprintf("ber: bad OID %v", arcs))
	}
	b := appendArc(nil, uint64(arcs[0])*40+uint64(arcs[1]))
	for _, a := range arcs[2:] {
		b = appendArc(b, uint64(a))
	}
	return b
}

func appendArc(b []byte, a uint64) []byte {
	var tmp [10]byte
	i := len(tmp) - 1
	tmp[i] = byte(a & 0x7f)
	for a >>= 7; a > 0; a >>= 7 {
		i--
		tmp[i] = byte(a&0x7f) | 0x80
	}
	return append(b, tmp[i:]...)
}

// ParseOID reads a dotted OID ("1.3.6.1.2.1.1.1.0") into its arcs.
func ParseOID(s string) ([]uint32, error) {
	parts := strings.Split(s, ".")
	if len(parts) < 2 {
		return nil, fmt.Errorf("ber: OID %q: fewer than two arcs", s)
	}
	arcs := make([]uint32, len(parts))
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("ber: OID %q: %w", s, err)
		}
		arcs[i] = uint32(v)
	}
	if arcs[0] > 2 || (arcs[0] < 2 && arcs[1] > 39) {
		return nil, fmt.Errorf("ber: OID %q: bad first arcs", s)
	}
	return arcs, nil
}

// MustOID is OID of a dotted constant; it panics when s is not one.
func MustOID(s string) []byte {
	arcs, err := ParseOID(s)
	if err != nil {
		panic(err)
	}
	return OID(arcs...)
}

// Element is one decoded element: its tag and its contents, a slice of
// the input.
type Element struct {
	Tag      byte
	Contents []byte
}

// Next splits the first element off b. It returns ErrShort when b holds
// only part of it, and ErrMalformed when b cannot start an element that
// this package reads (a multi-byte tag, an indefinite or huge length).
func Next(b []byte) (e Element, rest []byte, err error) {
	if len(b) < 2 {
		return e, b, ErrShort
	}
	if b[0]&0x1f == 0x1f {
		return e, b, ErrMalformed
	}
	n, hdr := int(b[1]), 2
	if n&0x80 != 0 {
		size := n & 0x7f
		if size == 0 || size > 4 {
			return e, b, ErrMalformed
		}
		if len(b) < 2+size {
			return e, b, ErrShort
		}
		n = 0
		for _, x := range b[2 : 2+size] {
			n = n<<8 | int(x)
		}
		if n > maxLen {
			return e, b, ErrMalformed
		}
		hdr += size
	}
	if len(b)-hdr < n {
		return e, b, ErrShort
	}
	return Element{b[0], b[hdr : hdr+n]}, b[hdr+n:], nil
}

// Expect splits off the first element, which must be whole and have tag,
// and returns its contents.
func Expect(b []byte, tag byte) (contents, rest []byte, err error) {
	e, rest, err := Next(b)
	if err != nil {
		return nil, nil, err
	}
	if e.Tag != tag {
		return nil, nil, fmt.Errorf("%w: tag %#x, want %#x", ErrMalformed, e.Tag, tag)
	}
	return e.Contents, rest, nil
}

// Children splits a constructed element's contents into its elements, at
// most max of them.
func Children(contents []byte, max int) ([]Element, error) {
	var out []Element
	for len(contents) > 0 {
		if len(out) == max {
			return nil, fmt.Errorf("%w: more than %d elements", ErrMalformed, max)
		}
		e, rest, err := Next(contents)
		if err != nil {
			return nil, ErrMalformed // inside a whole element, short is malformed
		}
		out = append(out, e)
		contents = rest
	}
	return out, nil
}

// ParseInt reads the contents of an INTEGER or ENUMERATED of at most
// eight bytes.
func ParseInt(c []byte) (int64, error) {
	if len(c) == 0 || len(c) > 8 {
		return 0, fmt.Errorf("%w: integer of %d bytes", ErrMalformed, len(c))
	}
	v := int64(int8(c[0]))
	for _, x := range c[1:] {
		v = v<<8 | int64(x)
	}
	return v, nil
}

// ReadInt splits off an INTEGER element and returns its value.
func ReadInt(b []byte) (v int64, rest []byte, err error) {
	c, rest, err := Expect(b, TagInteger)
	if err != nil {
		return 0, nil, err
	}
	v, err = ParseInt(c)
	return v, rest, err
}

// maxOIDLen bounds the contents of an OID rendered: no real one is near.
const maxOIDLen = 128

// OIDString renders the contents of an OBJECT IDENTIFIER in dotted form.
// Arcs must fit 32 bits (the first byte's pair aside) and end whole.
func OIDString(c []byte) (string, error) {
	if len(c) == 0 || len(c) > maxOIDLen {
		return "", fmt.Errorf("%w: OID of %d bytes", ErrMalformed, len(c))
	}
	var sb strings.Builder
	first := true
	var v uint64
	for i, x := range c {
		v = v<<7 | uint64(x&0x7f)
		if limit := uint64(math.MaxUint32); v > limit+80 || (!first && v > limit) {
			return "", fmt.Errorf("%w: OID arc too large", ErrMalformed)
		}
		if x&0x80 != 0 {
			if i == len(c)-1 {
				return "", fmt.Errorf("%w: OID ends inside an arc", ErrMalformed)
			}
			continue
		}
		if first {
			a := min(v/40, 2)
			sb.WriteString(strconv.FormatUint(a, 10))
			sb.WriteByte('.')
			sb.WriteString(strconv.FormatUint(v-a*40, 10))
			first = false
		} else {
			sb.WriteByte('.')
			sb.WriteString(strconv.FormatUint(v, 10))
		}
		v = 0
	}
	return sb.String(), nil
}

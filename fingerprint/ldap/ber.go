package ldap

import "errors"

// The subset of BER (ITU-T X.690) that LDAP messages use: one-byte tags,
// definite lengths of up to four bytes.

// BER tags used here.
const (
	tagBoolean     = 0x01
	tagInteger     = 0x02
	tagOctetString = 0x04
	tagEnumerated  = 0x0a
	tagSequence    = 0x30
	tagSet         = 0x31

	appSearchRequest    = 0x63 // [APPLICATION 3], constructed
	appSearchResEntry   = 0x64 // [APPLICATION 4]
	appSearchResDone    = 0x65 // [APPLICATION 5]
	appSearchResRef     = 0x73 // [APPLICATION 19]
	appExtendedRequest  = 0x77 // [APPLICATION 23]
	appExtendedResponse = 0x78 // [APPLICATION 24]
	ctxPresentFilter    = 0x87 // [7] primitive: the "present" filter
	ctxRequestName      = 0x80 // [0] primitive, in an ExtendedRequest
)

var errBER = errors.New("ldap: malformed BER")

// tlv encodes one element.
func tlv(tag byte, content ...[]byte) []byte {
	n := 0
	for _, c := range content {
		n += len(c)
	}
	out := append(make([]byte, 0, n+6), tag)
	switch {
	case n < 0x80:
		out = append(out, byte(n))
	case n < 0x100:
		out = append(out, 0x81, byte(n))
	case n < 0x10000:
		out = append(out, 0x82, byte(n>>8), byte(n))
	default:
		out = append(out, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	for _, c := range content {
		out = append(out, c...)
	}
	return out
}

// integer encodes a non-negative INTEGER (or ENUMERATED, by tag) of up
// to 31 bits, in the fewest bytes that keep it positive.
func integer(tag byte, v int32) []byte {
	b := []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
	for len(b) > 1 && b[0] == 0 && b[1] < 0x80 {
		b = b[1:]
	}
	return tlv(tag, b)
}

func octets(s string) []byte { return tlv(tagOctetString, []byte(s)) }

// element is one decoded element.
type element struct {
	tag     byte
	content []byte
}

// next splits the first element off b. whole is false while b holds only
// a part of it; an error says b cannot start an element.
func next(b []byte) (e element, rest []byte, whole bool, err error) {
	if len(b) < 2 {
		return e, b, false, nil
	}
	if b[0]&0x1f == 0x1f {
		return e, b, false, errBER // multi-byte tags: not LDAP's
	}
	n, hdr := int(b[1]), 2
	if n&0x80 != 0 {
		size := n & 0x7f
		if size == 0 || size > 4 {
			return e, b, false, errBER // indefinite or huge
		}
		if len(b) < 2+size {
			return e, b, false, nil
		}
		n = 0
		for _, x := range b[2 : 2+size] {
			n = n<<8 | int(x)
		}
		if n < 0 || n > 1<<30 {
			return e, b, false, errBER
		}
		hdr += size
	}
	if len(b)-hdr < n {
		return e, b, false, nil
	}
	return element{b[0], b[hdr : hdr+n]}, b[hdr+n:], true, nil
}

// children splits a constructed element's content into its elements.
func children(content []byte) ([]element, error) {
	var out []element
	for len(content) > 0 {
		e, rest, whole, err := next(content)
		if err != nil || !whole {
			return nil, errBER
		}
		out = append(out, e)
		content = rest
		if len(out) > 4096 {
			return nil, errBER
		}
	}
	return out, nil
}

// intValue decodes a small INTEGER or ENUMERATED.
func intValue(e element, tag byte) (int, bool) {
	if e.tag != tag || len(e.content) == 0 || len(e.content) > 4 {
		return 0, false
	}
	v := int(int8(e.content[0]))
	for _, x := range e.content[1:] {
		v = v<<8 | int(x)
	}
	return v, true
}

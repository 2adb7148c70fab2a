package ldap

import (
	"errors"

	"github.com/ajarsec/ajar/internal/ber"
)

// LDAP messages are BER (ITU-T X.690) as internal/ber reads and writes
// it: one-byte tags, definite lengths of up to four bytes.

// BER tags used here.
const (
	tagBoolean     = ber.TagBoolean
	tagInteger     = ber.TagInteger
	tagOctetString = ber.TagOctetString
	tagEnumerated  = ber.TagEnumerated
	tagSequence    = ber.TagSequence
	tagSet         = ber.TagSet

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
func tlv(tag byte, content ...[]byte) []byte { return ber.TLV(tag, content...) }

// integer encodes an INTEGER (or ENUMERATED, by tag).
func integer(tag byte, v int32) []byte { return ber.TLV(tag, ber.Int(int64(v))) }

func octets(s string) []byte { return ber.OctetString(s) }

// element is one decoded element.
type element struct {
	tag     byte
	content []byte
}

// maxChildren bounds the elements of one constructed element.
const maxChildren = 4096

// next splits the first element off b. whole is false while b holds only
// a part of it; an error says b cannot start an element.
func next(b []byte) (e element, rest []byte, whole bool, err error) {
	be, rest, err := ber.Next(b)
	switch {
	case errors.Is(err, ber.ErrShort):
		return e, b, false, nil
	case err != nil:
		return e, b, false, errBER
	}
	return element{be.Tag, be.Contents}, rest, true, nil
}

// children splits a constructed element's content into its elements.
func children(content []byte) ([]element, error) {
	kids, err := ber.Children(content, maxChildren)
	if err != nil {
		return nil, errBER
	}
	out := make([]element, len(kids))
	for i, k := range kids {
		out[i] = element{k.Tag, k.Contents}
	}
	return out, nil
}

// intValue decodes a small INTEGER or ENUMERATED.
func intValue(e element, tag byte) (int, bool) {
	if e.tag != tag || len(e.content) > 4 {
		return 0, false
	}
	v, err := ber.ParseInt(e.content)
	return int(v), err == nil
}

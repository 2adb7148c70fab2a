package snmp

import (
	"fmt"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/internal/ber"
)

// BER tags used by SNMP (X.690, RFC 3416).
const (
	tagInteger     = ber.TagInteger
	tagOctetString = ber.TagOctetString
	tagNull        = ber.TagNull
	tagOID         = ber.TagOID
	tagSequence    = ber.TagSequence
	tagGetRequest  = 0xa0 // [0] IMPLICIT, constructed
	tagGetResponse = 0xa2
	tagReport      = 0xa8
)

var errBER = fmt.Errorf("snmp: malformed BER: %w", fingerprint.ErrNoMatch)

// tlv appends one definite-length BER element.
func tlv(b []byte, tag byte, content []byte) []byte { return ber.AppendTLV(b, tag, content) }

// berInt encodes a signed integer in its shortest two's complement form.
func berInt(v int64) []byte { return ber.Int(v) }

// berOID encodes one of this package's dotted OID constants.
func berOID(oid string) []byte { return ber.MustOID(oid) }

// element is one decoded BER element.
type element = ber.Element

// next reads one whole element from b and returns it and what follows.
func next(b []byte) (element, []byte, error) {
	e, rest, err := ber.Next(b)
	if err != nil {
		return element{}, nil, errBER
	}
	return e, rest, nil
}

// expect reads one element with the given tag.
func expect(b []byte, tag byte) ([]byte, []byte, error) {
	c, rest, err := ber.Expect(b, tag)
	if err != nil {
		return nil, nil, errBER
	}
	return c, rest, nil
}

// integer reads an INTEGER of at most 8 bytes.
func integer(b []byte) (int64, []byte, error) {
	v, rest, err := ber.ReadInt(b)
	if err != nil {
		return 0, nil, errBER
	}
	return v, rest, nil
}

// oidString renders the content of an OBJECT IDENTIFIER.
func oidString(c []byte) (string, bool) {
	s, err := ber.OIDString(c)
	return s, err == nil
}

package mongodb

import (
	"encoding/binary"
	"errors"
	"math"
)

// A minimal BSON (bsonspec.org) encoder for commands and decoder for
// replies: top-level fields are read, nested documents are checked and
// kept raw.

var errBSON = errors.New("mongodb: malformed BSON")

// BSON element types.
const (
	typeDouble    = 0x01
	typeString    = 0x02
	typeDocument  = 0x03
	typeArray     = 0x04
	typeBinary    = 0x05
	typeUndefined = 0x06
	typeObjectID  = 0x07
	typeBool      = 0x08
	typeDateTime  = 0x09
	typeNull      = 0x0a
	typeRegex     = 0x0b
	typeDBPointer = 0x0c
	typeCode      = 0x0d
	typeSymbol    = 0x0e
	typeCodeScope = 0x0f
	typeInt32     = 0x10
	typeTimestamp = 0x11
	typeInt64     = 0x12
	typeDecimal   = 0x13
	typeMinKey    = 0xff
	typeMaxKey    = 0x7f
)

// field is one element to encode: an int32 or a string.
type field struct {
	name  string
	value any
}

// encode builds a document of int32 and string fields.
func encode(fields ...field) []byte {
	b := make([]byte, 4, 64)
	for _, f := range fields {
		switch v := f.value.(type) {
		case int32:
			b = append(b, typeInt32)
			b = append(append(b, f.name...), 0)
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		case string:
			b = append(b, typeString)
			b = append(append(b, f.name...), 0)
			b = binary.LittleEndian.AppendUint32(b, uint32(len(v)+1))
			b = append(append(b, v...), 0)
		default:
			panic("mongodb: cannot encode " + f.name) // a programming error
		}
	}
	b = append(b, 0)
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	return b
}

// value is one decoded element: its type and raw bytes.
type value struct {
	typ byte
	raw []byte
}

// doc is a decoded document's top-level fields.
type doc map[string]value

// number reads a numeric field (int32, int64 or double) as an int64.
func (d doc) number(name string) (int64, bool) {
	v, ok := d[name]
	if !ok {
		return 0, false
	}
	switch v.typ {
	case typeInt32:
		return int64(int32(binary.LittleEndian.Uint32(v.raw))), true
	case typeInt64:
		return int64(binary.LittleEndian.Uint64(v.raw)), true
	case typeDouble:
		f := math.Float64frombits(binary.LittleEndian.Uint64(v.raw))
		if f != f || f > 1<<53 || f < -(1<<53) {
			return 0, false
		}
		return int64(f), true
	}
	return 0, false
}

// str reads a string field.
func (d doc) str(name string) (string, bool) {
	v, ok := d[name]
	if !ok || v.typ != typeString {
		return "", false
	}
	return string(v.raw[4 : len(v.raw)-1]), true
}

// boolean reads a bool field, or a number as MongoDB's truthiness.
func (d doc) boolean(name string) (bool, bool) {
	if v, ok := d[name]; ok && v.typ == typeBool {
		return v.raw[0] != 0, true
	}
	n, ok := d.number(name)
	return n != 0, ok
}

// depthMax bounds the nesting of documents.
const depthMax = 32

// decode reads one document from the start of b and returns it with the
// bytes after it.
func decode(b []byte) (doc, []byte, error) { return decodeDepth(b, 0) }

func decodeDepth(b []byte, depth int) (doc, []byte, error) {
	if len(b) < 5 || depth > depthMax {
		return nil, nil, errBSON
	}
	n := int(binary.LittleEndian.Uint32(b))
	if n < 5 || n > len(b) || b[n-1] != 0 {
		return nil, nil, errBSON
	}
	body, rest := b[4:n-1], b[n:]
	d := doc{}
	for len(body) > 0 {
		typ := body[0]
		end := cstringEnd(body[1:])
		if end < 0 {
			return nil, nil, errBSON
		}
		name := string(body[1 : 1+end])
		body = body[2+end:]
		size, err := valueSize(typ, body, depth)
		if err != nil {
			return nil, nil, err
		}
		d[name] = value{typ, body[:size]}
		body = body[size:]
		if len(d) > 1024 {
			return nil, nil, errBSON
		}
	}
	return d, rest, nil
}

// cstringEnd is the index of the NUL that ends a C string, or -1.
func cstringEnd(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}

// fixedSizes are the sizes of the fixed-size types.
var fixedSizes = map[byte]int{
	typeDouble: 8, typeObjectID: 12, typeBool: 1, typeDateTime: 8, typeInt32: 4,
	typeTimestamp: 8, typeInt64: 8, typeDecimal: 16,
	typeUndefined: 0, typeNull: 0, typeMinKey: 0, typeMaxKey: 0,
}

// valueSize is how many bytes a value of type typ takes at the start of b.
func valueSize(typ byte, b []byte, depth int) (int, error) {
	if n, ok := fixedSizes[typ]; ok {
		if len(b) < n {
			return 0, errBSON
		}
		return n, nil
	}
	switch typ {
	case typeString, typeCode, typeSymbol:
		return stringSize(b)
	case typeDocument, typeArray:
		if _, _, err := decodeDepth(b, depth+1); err != nil {
			return 0, err
		}
		return int(binary.LittleEndian.Uint32(b)), nil
	case typeBinary:
		if len(b) < 5 {
			return 0, errBSON
		}
		n := int(int32(binary.LittleEndian.Uint32(b)))
		if n < 0 || n > len(b)-5 {
			return 0, errBSON
		}
		return 5 + n, nil
	case typeRegex:
		i := cstringEnd(b)
		if i < 0 {
			return 0, errBSON
		}
		j := cstringEnd(b[i+1:])
		if j < 0 {
			return 0, errBSON
		}
		return i + 1 + j + 1, nil
	case typeDBPointer:
		n, err := stringSize(b)
		if err != nil || len(b) < n+12 {
			return 0, errBSON
		}
		return n + 12, nil
	case typeCodeScope:
		if len(b) < 4 {
			return 0, errBSON
		}
		n := int(int32(binary.LittleEndian.Uint32(b)))
		if n < 14 || n > len(b) {
			return 0, errBSON
		}
		return n, nil
	}
	return 0, errBSON
}

// stringSize is the size of a BSON string: length, bytes, NUL.
func stringSize(b []byte) (int, error) {
	if len(b) < 5 {
		return 0, errBSON
	}
	n := int(int32(binary.LittleEndian.Uint32(b)))
	if n < 1 || n > len(b)-4 || b[4+n-1] != 0 {
		return 0, errBSON
	}
	return 4 + n, nil
}

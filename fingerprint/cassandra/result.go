package cassandra

import (
	"encoding/binary"

	"github.com/ajarsec/ajar/fingerprint"
)

// Result kinds and metadata flags of a RESULT frame.
const (
	kindRows         = 2
	flagGlobalTables = 0x0001
	flagMorePages    = 0x0002
	flagNoMetadata   = 0x0004
	typeASCII        = 0x0001
	typeVarchar      = 0x000d
)

// ParseRelease reads the answer to Query: a RESULT of kind Rows with one
// text column, release_version, and one row.
func ParseRelease(b []byte) (string, error) {
	f, ok := readFrame(b)
	if !ok || f.stream != 3 || f.opcode != opResult || len(f.body) < 12 {
		return "", fingerprint.ErrNoMatch
	}
	p := f.body
	kind, flags, cols := binary.BigEndian.Uint32(p), binary.BigEndian.Uint32(p[4:]), binary.BigEndian.Uint32(p[8:])
	p = p[12:]
	if kind != kindRows || cols != 1 || flags&flagNoMetadata != 0 {
		return "", fingerprint.ErrNoMatch
	}
	if flags&flagMorePages != 0 {
		if p, ok = skipBytes(p); !ok {
			return "", fingerprint.ErrNoMatch
		}
	}
	// Keyspace and table, once for all columns or for the one column.
	for range 2 {
		if _, p, ok = readString(p); !ok {
			return "", fingerprint.ErrNoMatch
		}
	}
	name, p, ok := readString(p)
	if !ok || name != "release_version" || len(p) < 6 {
		return "", fingerprint.ErrNoMatch
	}
	if typ := binary.BigEndian.Uint16(p); typ != typeVarchar && typ != typeASCII {
		return "", fingerprint.ErrNoMatch
	}
	rows := binary.BigEndian.Uint32(p[2:])
	p = p[6:]
	if rows != 1 || len(p) < 4 {
		return "", fingerprint.ErrNoMatch
	}
	n := int32(binary.BigEndian.Uint32(p))
	if n < 1 || int(n) > len(p)-4 {
		return "", fingerprint.ErrNoMatch
	}
	v := string(p[4 : 4+n])
	if !isVersion(v) {
		return "", fingerprint.ErrNoMatch
	}
	return v, nil
}

// skipBytes skips a [bytes]: a 32-bit length (negative for null) and
// bytes.
func skipBytes(p []byte) ([]byte, bool) {
	if len(p) < 4 {
		return nil, false
	}
	n := int32(binary.BigEndian.Uint32(p))
	if n < 0 {
		return p[4:], true
	}
	if int(n) > len(p)-4 {
		return nil, false
	}
	return p[4+n:], true
}

func isVersion(s string) bool {
	if s == "" || len(s) > 32 || s[0] < '0' || s[0] > '9' {
		return false
	}
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '.', r == '-':
		default:
			return false
		}
	}
	return true
}

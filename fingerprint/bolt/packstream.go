package bolt

import (
	"encoding/binary"
	"math"
)

// PackStream, the value encoding of Bolt messages (only what HELLO and
// its answer use is built; any value is read).

func appendString(b []byte, s string) []byte {
	switch n := len(s); {
	case n < 16:
		b = append(b, 0x80|byte(n))
	case n < 256:
		b = append(b, 0xd0, byte(n))
	default:
		b = binary.BigEndian.AppendUint16(append(b, 0xd1), uint16(n))
	}
	return append(b, s...)
}

// appendMap appends a tiny map (fewer than 16 entries) of strings or maps.
func appendMap(b []byte, kv ...any) []byte {
	b = append(b, 0xa0|byte(len(kv)/2))
	for i := 0; i+1 < len(kv); i += 2 {
		b = appendString(b, kv[i].(string))
		switch v := kv[i+1].(type) {
		case string:
			b = appendString(b, v)
		case []any:
			b = appendMap(b, v...)
		}
	}
	return b
}

// reader reads PackStream values; nesting is bounded.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) take(n int) []byte {
	if r.bad || n < 0 || n > len(r.b) {
		r.bad = true
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) size(marker byte, tiny byte, base byte) int {
	if marker&0xf0 == tiny {
		return int(marker & 0x0f)
	}
	switch marker - base {
	case 0:
		if p := r.take(1); p != nil {
			return int(p[0])
		}
	case 1:
		if p := r.take(2); p != nil {
			return int(binary.BigEndian.Uint16(p))
		}
	case 2:
		if p := r.take(4); p != nil && binary.BigEndian.Uint32(p) <= math.MaxInt32 {
			return int(binary.BigEndian.Uint32(p))
		}
	}
	r.bad = true
	return 0
}

// value reads one value; it returns strings (and "" for other values).
func (r *reader) value(depth int) string {
	p := r.take(1)
	if p == nil || depth > 8 {
		r.bad = true
		return ""
	}
	m := p[0]
	switch {
	case m < 0x80 || m >= 0xf0 || m == 0xc0 || m == 0xc2 || m == 0xc3: // tiny ints, null, booleans
	case m == 0xc1:
		r.take(8)
	case m >= 0xc8 && m <= 0xcb:
		r.take(1 << (m - 0xc8))
	case m&0xf0 == 0x80 || m >= 0xd0 && m <= 0xd2:
		return string(r.take(r.size(m, 0x80, 0xd0)))
	case m&0xf0 == 0x90 || m >= 0xd4 && m <= 0xd6:
		for range min(r.size(m, 0x90, 0xd4), len(r.b)) {
			r.value(depth + 1)
		}
	case m&0xf0 == 0xa0 || m >= 0xd8 && m <= 0xda:
		r.mapOf(r.size(m, 0xa0, 0xd8), depth+1)
	case m >= 0xcc && m <= 0xce:
		r.take(r.size(m-0xcc+0xd0, 0xff, 0xd0))
	case m&0xf0 == 0xb0:
		r.take(1) // signature
		for range m & 0x0f {
			r.value(depth + 1)
		}
	default:
		r.bad = true
	}
	return ""
}

// mapOf reads n entries of a map, keeping its string values.
func (r *reader) mapOf(n, depth int) map[string]string {
	out := map[string]string{}
	for range min(n, len(r.b)) {
		k := r.value(depth)
		v := r.value(depth)
		if r.bad {
			return nil
		}
		out[k] = v
	}
	return out
}

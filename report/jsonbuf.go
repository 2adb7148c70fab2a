package report

import (
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"
)

// jsonBuf builds JSON by appending, with no reflection and no allocation per
// value: the record streams ajar prints can hold tens of thousands of rows.
type jsonBuf []byte

const hexDigits = "0123456789abcdef"

func (b jsonBuf) str(s string) jsonBuf {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != 0x7f {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// strOrNull writes s, or null when s is empty.
func (b jsonBuf) strOrNull(s string) jsonBuf {
	if s == "" {
		return append(b, "null"...)
	}
	return b.str(s)
}

func (b jsonBuf) key(k string) jsonBuf {
	if len(b) > 0 && b[len(b)-1] != '{' {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, k...)
	return append(b, '"', ':')
}

func (b jsonBuf) uint(n uint64) jsonBuf { return strconv.AppendUint(b, n, 10) }

func (b jsonBuf) bool(v bool) jsonBuf { return strconv.AppendBool(b, v) }

func (b jsonBuf) strs(ss []string) jsonBuf {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = b.str(s)
	}
	return append(b, ']')
}

// addr writes an address as a JSON string without allocating. Only a zone
// (an interface name) could need escaping; those go through str.
func (b jsonBuf) addr(a netip.Addr) jsonBuf {
	if a.Zone() != "" || !a.IsValid() {
		return b.str(a.String())
	}
	b = append(b, '"')
	b = a.AppendTo(b)
	return append(b, '"')
}

// addrPort is addr for an address and port: "192.0.2.1:80", "[::1]:80".
func (b jsonBuf) addrPort(ap netip.AddrPort) jsonBuf {
	if ap.Addr().Zone() != "" {
		return b.str(ap.String())
	}
	b = append(b, '"')
	b = ap.AppendTo(b)
	return append(b, '"')
}

// banner writes a service's banner as the characters the service sent.
// Identification keeps a banner escaped, in fingerprint.Printable's form
// (\r, \n, \t, \\, and \xNN for every other byte outside printable
// ASCII); writing that form as a JSON string would escape it twice
// (jq -r would print a literal \r\n, and "é" as \xc3\xa9). The escapes
// are undone, then the text is written as JSON once: bytes that do not
// form UTF-8 become U+FFFD, as in every JSON string ajar writes.
func (b jsonBuf) banner(s string) jsonBuf {
	if strings.IndexByte(s, '\\') < 0 {
		return b.str(s)
	}
	return b.str(string(unescapeBanner(make([]byte, 0, len(s)), s)))
}

// unescapeBanner appends to dst the bytes fingerprint.Printable's text s
// stands for. A backslash that starts no escape of that form is kept.
func unescapeBanner(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			dst = append(dst, c)
			continue
		}
		switch s[i+1] {
		case 'r':
			dst = append(dst, '\r')
		case 'n':
			dst = append(dst, '\n')
		case 't':
			dst = append(dst, '\t')
		case '\\':
			dst = append(dst, '\\')
		case 'x':
			if i+3 < len(s) {
				if v, err := strconv.ParseUint(s[i+2:i+4], 16, 8); err == nil {
					dst = append(dst, byte(v))
					i += 3
					continue
				}
			}
			dst = append(dst, c)
			continue
		default:
			dst = append(dst, c)
			continue
		}
		i++
	}
	return dst
}

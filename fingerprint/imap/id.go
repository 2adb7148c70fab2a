package imap

import (
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
)

// maxIDFields bounds the fields of an ID answer (RFC 2971 allows 30).
const maxIDFields = 64

// ParseID reads the answer to "ID NIL" (RFC 2971): an untagged ID line
// holding NIL or a parenthesised list of field-value pairs, as quoted
// strings or NIL. It returns the fields with lower-case keys; NIL values
// are left out.
func ParseID(b []byte) (map[string]string, error) {
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimRight(line, "\r")
		rest, ok := cutPrefixFold(line, "* ID ")
		if !ok {
			continue
		}
		return parseIDList(strings.TrimSpace(rest))
	}
	return nil, fingerprint.ErrNoMatch
}

func parseIDList(s string) (map[string]string, error) {
	out := map[string]string{}
	if strings.EqualFold(s, "NIL") {
		return out, nil
	}
	if !strings.HasPrefix(s, "(") {
		return nil, fingerprint.ErrNoMatch
	}
	s = s[1:]
	var items []*string
	for len(items) < 2*maxIDFields {
		s = strings.TrimLeft(s, " ")
		if strings.HasPrefix(s, ")") {
			break
		}
		v, rest, ok := idItem(s)
		if !ok {
			return nil, fingerprint.ErrNoMatch
		}
		items, s = append(items, v), rest
	}
	if !strings.HasPrefix(s, ")") || len(items)%2 != 0 {
		return nil, fingerprint.ErrNoMatch
	}
	for i := 0; i < len(items); i += 2 {
		if items[i] != nil && items[i+1] != nil {
			out[strings.ToLower(*items[i])] = *items[i+1]
		}
	}
	return out, nil
}

// idItem reads one quoted string or NIL (nil) off the front of s.
func idItem(s string) (*string, string, bool) {
	if rest, ok := cutPrefixFold(s, "NIL"); ok {
		return nil, rest, true
	}
	if !strings.HasPrefix(s, `"`) {
		return nil, s, false
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch ch := s[i]; ch {
		case '\\':
			if i+1 >= len(s) {
				return nil, s, false
			}
			i++
			b.WriteByte(s[i])
		case '"':
			v := b.String()
			return &v, s[i+1:], true
		default:
			b.WriteByte(ch)
		}
	}
	return nil, s, false
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}

package vulndb

import (
	"fmt"
	"strconv"
	"strings"
)

// DebVersion is a Debian package version, [epoch:]upstream[-revision], as
// Debian policy §5.6.12 defines it (Ubuntu's are the same).
type DebVersion struct {
	Epoch    int
	Upstream string
	Revision string
}

// ParseDebVersion reads a Debian package version: "1:9.2p1-2+deb12u3".
func ParseDebVersion(s string) (DebVersion, error) {
	s = strings.TrimSpace(s)
	var v DebVersion
	if e, rest, ok := strings.Cut(s, ":"); ok {
		n, err := strconv.Atoi(e)
		if err != nil || n < 0 {
			return DebVersion{}, fmt.Errorf("bad Debian version %q: bad epoch", s)
		}
		v.Epoch, s = n, rest
	}
	if i := strings.LastIndexByte(s, '-'); i >= 0 {
		v.Upstream, v.Revision = s[:i], s[i+1:]
		if v.Revision == "" {
			return DebVersion{}, fmt.Errorf("bad Debian version %q: empty revision", s)
		}
	} else {
		v.Upstream = s
	}
	if v.Upstream == "" || !isDigit(v.Upstream[0]) {
		return DebVersion{}, fmt.Errorf("bad Debian version %q: the upstream version must start with a digit", s)
	}
	for i := 0; i < len(v.Upstream); i++ {
		if c := v.Upstream[i]; !isDigit(c) && !isLetter(c) && !strings.ContainsRune(".+~-:", rune(c)) {
			return DebVersion{}, fmt.Errorf("bad Debian version %q: character %q", s, c)
		}
	}
	for i := 0; i < len(v.Revision); i++ {
		if c := v.Revision[i]; !isDigit(c) && !isLetter(c) && !strings.ContainsRune(".+~", rune(c)) {
			return DebVersion{}, fmt.Errorf("bad Debian version %q: character %q", s, c)
		}
	}
	return v, nil
}

// String writes the version back as Debian writes it.
func (v DebVersion) String() string {
	s := v.Upstream
	if v.Epoch > 0 {
		s = strconv.Itoa(v.Epoch) + ":" + s
	}
	if v.Revision != "" {
		s += "-" + v.Revision
	}
	return s
}

// Compare orders v and w as dpkg does: epoch, then upstream version, then
// revision, the last two with dpkg's string comparison.
func (v DebVersion) Compare(w DebVersion) int {
	if c := cmpInt(v.Epoch, w.Epoch); c != 0 {
		return c
	}
	if c := debCompare(v.Upstream, w.Upstream); c != 0 {
		return c
	}
	return debCompare(v.Revision, w.Revision)
}

// CompareDebVersions orders two Debian version strings; a string that
// does not parse is compared as an upstream version without epoch or
// revision.
func CompareDebVersions(a, b string) int {
	va, err := ParseDebVersion(a)
	if err != nil {
		va = DebVersion{Upstream: a}
	}
	vb, err := ParseDebVersion(b)
	if err != nil {
		vb = DebVersion{Upstream: b}
	}
	return va.Compare(vb)
}

// debCompare is dpkg's verrevcmp: alternately a run of non-digits,
// compared character by character with ~ before everything (even the
// end), letters before non-letters; then a run of digits, compared as a
// number.
func debCompare(a, b string) int {
	for a != "" || b != "" {
		for (a != "" && !isDigit(a[0])) || (b != "" && !isDigit(b[0])) {
			ca, cb := debOrder(a), debOrder(b)
			if ca != cb {
				return cmpInt(ca, cb)
			}
			a, b = a[1:], b[1:]
		}
		i, j := 0, 0
		for i < len(a) && a[i] == '0' {
			i++
		}
		for j < len(b) && b[j] == '0' {
			j++
		}
		a, b = a[i:], b[j:]
		i, j = 0, 0
		for i < len(a) && isDigit(a[i]) {
			i++
		}
		for j < len(b) && isDigit(b[j]) {
			j++
		}
		if i != j {
			return cmpInt(i, j)
		}
		if c := strings.Compare(a[:i], b[:j]); c != 0 {
			return c
		}
		a, b = a[i:], b[j:]
	}
	return 0
}

// debOrder is the weight of the first character of s in a non-digit run:
// the end of the run (a digit, or the end of s) is 0.
func debOrder(s string) int {
	if s == "" || isDigit(s[0]) {
		return 0
	}
	c := s[0]
	switch {
	case c == '~':
		return -1
	case isLetter(c):
		return int(c)
	}
	return int(c) + 256
}

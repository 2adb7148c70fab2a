// Package portspec parses and holds sets of port numbers.
//
// A port list is written the way nmap and ss users expect:
// "22", "22,80,443", "1000-2000", "-1024" (1-1024), "60000-" (60000-65535)
// and "-" (every port, 1-65535). Ports are 1-65535; port 0 is never valid.
package portspec

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Range is an inclusive run of ports, Lo <= Hi.
type Range struct {
	Lo, Hi uint16
}

// Len reports how many ports the range holds.
func (r Range) Len() int { return int(r.Hi) - int(r.Lo) + 1 }

func (r Range) String() string {
	if r.Lo == r.Hi {
		return strconv.Itoa(int(r.Lo))
	}
	return strconv.Itoa(int(r.Lo)) + "-" + strconv.Itoa(int(r.Hi))
}

// Ranges is a set of ports kept as sorted, non-overlapping, non-adjacent
// ranges. The zero value is the empty set.
type Ranges struct {
	rs []Range
}

// ErrEmpty is returned when a port list holds no port at all.
var ErrEmpty = errors.New("empty port list")

// ParseRanges parses a comma-separated port list such as "22,80,1000-2000".
// The result is normalised: overlapping and adjacent ranges are merged, so
// String gives the canonical form and ParseRanges(r.String()) equals r.
func ParseRanges(s string) (Ranges, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Ranges{}, ErrEmpty
	}
	var rs []Range
	for item := range strings.SplitSeq(s, ",") {
		r, err := parseRange(strings.TrimSpace(item))
		if err != nil {
			return Ranges{}, fmt.Errorf("port list %q: %w", s, err)
		}
		rs = append(rs, r)
	}
	return Of(rs...), nil
}

// MustParseRanges is ParseRanges for tests and constants; it panics on error.
func MustParseRanges(s string) Ranges {
	r, err := ParseRanges(s)
	if err != nil {
		panic(err)
	}
	return r
}

func parseRange(item string) (Range, error) {
	if item == "" {
		return Range{}, errors.New("empty item")
	}
	if item == "-" {
		return Range{1, 65535}, nil
	}
	lo, hi, isRange := strings.Cut(item, "-")
	if !isRange {
		p, err := parsePort(item)
		return Range{p, p}, err
	}
	r := Range{1, 65535}
	var err error
	if lo != "" {
		if r.Lo, err = parsePort(lo); err != nil {
			return Range{}, err
		}
	}
	if hi != "" {
		if r.Hi, err = parsePort(hi); err != nil {
			return Range{}, err
		}
	}
	if r.Lo > r.Hi {
		return Range{}, fmt.Errorf("range %q runs backwards", item)
	}
	return r, nil
}

func parsePort(s string) (uint16, error) {
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not a port number", s)
		}
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || len(s) > 5 || n > 65535 {
		return 0, fmt.Errorf("port %s is out of range 1-65535", s)
	}
	if n == 0 {
		return 0, errors.New("port 0 is not a valid port")
	}
	return uint16(n), nil
}

// Of builds a normalised set from any ranges (each must have Lo <= Hi).
func Of(in ...Range) Ranges {
	rs := slices.Clone(in)
	slices.SortFunc(rs, func(a, b Range) int { return int(a.Lo) - int(b.Lo) })
	out := rs[:0]
	for _, r := range rs {
		if n := len(out); n > 0 && int(r.Lo) <= int(out[n-1].Hi)+1 {
			out[n-1].Hi = max(out[n-1].Hi, r.Hi)
			continue
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return Ranges{}
	}
	return Ranges{rs: out}
}

// Contains reports whether port p is in the set.
func (s Ranges) Contains(p uint16) bool {
	_, found := slices.BinarySearchFunc(s.rs, p, func(r Range, p uint16) int {
		switch {
		case r.Hi < p:
			return -1
		case r.Lo > p:
			return 1
		}
		return 0
	})
	return found
}

// IsEmpty reports whether the set holds no port.
func (s Ranges) IsEmpty() bool { return len(s.rs) == 0 }

// Len reports how many ports the set holds.
func (s Ranges) Len() int {
	n := 0
	for _, r := range s.rs {
		n += r.Len()
	}
	return n
}

// Ranges returns a copy of the set's ranges, in ascending order.
func (s Ranges) Ranges() []Range { return slices.Clone(s.rs) }

// String gives the canonical form, e.g. "22,80-81,443"; "" for the empty set.
func (s Ranges) String() string {
	var b strings.Builder
	for i, r := range s.rs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(r.String())
	}
	return b.String()
}

// Equal reports whether two sets hold the same ports.
func (s Ranges) Equal(o Ranges) bool { return slices.Equal(s.rs, o.rs) }

// MarshalText implements encoding.TextMarshaler.
func (s Ranges) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; empty text is the empty set.
func (s *Ranges) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*s = Ranges{}
		return nil
	}
	r, err := ParseRanges(string(b))
	if err != nil {
		return err
	}
	*s = r
	return nil
}

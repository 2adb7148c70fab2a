// Package target parses what `ajar scan` is told to scan, and holds it
// without ever expanding it into a list of addresses.
//
// A target (a Spec) is written the way nmap users expect:
//
//	10.0.0.1, 2001:db8::1            one address
//	10.0.0.0/24, 2001:db8::/120      a CIDR prefix (host bits are cleared)
//	10.0.0.1-20                      a range within one /24 (last octet)
//	10.0.0.1-10.0.1.5                a range between two addresses
//	2001:db8::1-2001:db8::ff         an IPv6 range (full addresses only)
//	scanme.example.org               a hostname, resolved by Resolve
//
// ParseList reads a comma- or space-separated list (the command line,
// --exclude) and ReadFile a file (-iL, --exclude-file) with # comments.
// Resolve turns specs into a Set: ordered, disjoint address ranges that
// Exclude can subtract from, and that At indexes in O(log ranges) time, so
// that 10.0.0.0/8 costs a few bytes, not sixteen million addresses.
//
// The scan order, a seeded pseudo-random permutation of the (host, port)
// index space, and --shard live in the subpackage target/perm; they work on
// plain indexes and know nothing of addresses.
package target

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Kind says which form a Spec was written in.
type Kind uint8

// The kinds of target.
const (
	KindInvalid Kind = iota // the zero Spec
	KindAddr                // one address: 10.0.0.1
	KindPrefix              // a CIDR prefix: 10.0.0.0/24
	KindRange               // a range: 10.0.0.1-20, 10.0.0.1-10.0.1.5
	KindHost                // a hostname, to be resolved
)

var kindNames = [...]string{"invalid", "address", "prefix", "range", "hostname"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Spec is one target as written: an address, a prefix, a range or a
// hostname. It is small and comparable; the zero Spec is invalid.
// ParseSpec(s.String()) == s for every valid Spec.
type Spec struct {
	kind     Kind
	bits     uint8      // prefix length, KindPrefix only
	from, to netip.Addr // the addresses covered; zero for KindHost
	host     string     // KindHost only
	zone     string     // KindAddr of a link-local IPv6 address only
}

// ParseSpec parses one target. An IPv4-mapped IPv6 address
// (::ffff:10.0.0.1) is taken as the IPv4 address it stands for, and so are
// prefixes of /96 or longer within ::ffff:0:0/96 and ranges starting with
// such an address. A link-local IPv6 address may name its zone, the
// interface it is reached through (fe80::1%eth0, or an interface index:
// fe80::1%2); zones on other addresses, prefixes and ranges, and hostnames
// with a prefix length are refused. Errors read `bad target "…": …` or, for ranges,
// `bad range "…": …`.
func ParseSpec(s string) (Spec, error) {
	sp, err := parseSpec(s)
	var re rangeError
	switch {
	case errors.As(err, &re):
		return Spec{}, fmt.Errorf("bad range %q: %w", s, err)
	case err != nil:
		return Spec{}, fmt.Errorf("bad target %q: %w", s, err)
	}
	return sp, nil
}

// MustParseSpec is ParseSpec for tests and constants; it panics on error.
func MustParseSpec(s string) Spec {
	sp, err := ParseSpec(s)
	if err != nil {
		panic(err)
	}
	return sp
}

// rangeError is reported as `bad range "…": …` rather than `bad target`.
type rangeError struct{ msg string }

func (e rangeError) Error() string { return e.msg }

func parseSpec(s string) (Spec, error) {
	switch {
	case s == "":
		return Spec{}, errors.New("empty target")
	case strings.ContainsAny(s, " \t\r\n,"):
		return Spec{}, errors.New("one target at a time (no spaces or commas)")
	case strings.Contains(s, "/"):
		return parsePrefix(s)
	}
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() != "" && !strings.Contains(a.Zone(), ":") {
		// A zoned address whose interface name has a dash
		// (fe80::1%veth-a) is not a range: the address branch below.
		// (Linux interface names never hold a colon.)
	} else if lo, hi, ok := strings.Cut(s, "-"); ok {
		if from, err := netip.ParseAddr(lo); err == nil {
			return parseRange(from, hi)
		}
		// Not an address before the dash: a hostname such as
		// "db-1.example.org", or garbage that the checks below name.
	}
	if strings.Contains(s, ":") {
		a, err := netip.ParseAddr(s)
		switch {
		case err != nil && strings.Count(s, ":") == 1:
			return Spec{}, errors.New("not an IPv6 address (ports go in -p, not in the target)")
		case err != nil:
			return Spec{}, errors.New("not a valid IPv6 address")
		case a.Zone() != "" && !a.IsLinkLocalUnicast() && !a.IsLinkLocalMulticast():
			return Spec{}, errors.New("a zone (%" + a.Zone() + ") only goes with a link-local address (fe80::/10)")
		}
		zone := a.Zone()
		a = a.WithZone("").Unmap()
		return Spec{kind: KindAddr, from: a, to: a, zone: zone}, nil
	}
	if strings.Trim(s, "0123456789.-") == "" {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return Spec{}, errors.New("not a valid IPv4 address or range")
		}
		return Spec{kind: KindAddr, from: a, to: a}, nil
	}
	if err := checkHostname(s); err != nil {
		return Spec{}, err
	}
	return Spec{kind: KindHost, host: s}, nil
}

func parsePrefix(s string) (Spec, error) {
	as, bs, _ := strings.Cut(s, "/")
	a, err := netip.ParseAddr(as)
	if err != nil {
		if checkHostname(as) == nil {
			return Spec{}, errors.New("a prefix length must follow an IP address, not a hostname")
		}
		return Spec{}, fmt.Errorf("%q is not an IP address", as)
	}
	if a.Zone() != "" {
		return Spec{}, errors.New("a zone (%" + a.Zone() + ") goes with one link-local address, not a prefix")
	}
	if bs == "" || strings.Trim(bs, "0123456789") != "" || (len(bs) > 1 && bs[0] == '0') {
		return Spec{}, fmt.Errorf("prefix length %q is not a number", bs)
	}
	bits, err := strconv.Atoi(bs)
	if err != nil || bits > a.BitLen() {
		if len(bs) > 4 {
			bs = bs[:4] + "…"
		}
		return Spec{}, fmt.Errorf("prefix length %s is out of range 0-%d for %s", bs, a.BitLen(), family(a))
	}
	if a.Is4In6() && bits >= 96 {
		a, bits = a.Unmap(), bits-96
	}
	p := netip.PrefixFrom(a, bits).Masked()
	return Spec{kind: KindPrefix, bits: uint8(bits), from: p.Addr(), to: lastAddr(p)}, nil
}

// parseRange parses what follows the dash of a range that starts at from.
func parseRange(from netip.Addr, hi string) (Spec, error) {
	if from.Zone() != "" {
		return Spec{}, rangeError{"a zone goes with one link-local address, not a range"}
	}
	from = from.Unmap()
	var to netip.Addr
	switch {
	case hi == "":
		return Spec{}, rangeError{"missing end"}
	case from.Is4() && len(hi) <= 3 && strings.Trim(hi, "0123456789") == "":
		n, _ := strconv.Atoi(hi)
		if n > 255 {
			return Spec{}, rangeError{fmt.Sprintf("last octet %d is over 255", n)}
		}
		b := from.As4()
		b[3] = byte(n)
		to = netip.AddrFrom4(b)
	default:
		a, err := netip.ParseAddr(hi)
		switch {
		case err != nil && from.Is4():
			return Spec{}, rangeError{fmt.Sprintf("end %q is neither an IPv4 address nor a last octet 0-255", hi)}
		case err != nil:
			return Spec{}, rangeError{fmt.Sprintf("end %q is not a full IPv6 address", hi)}
		case a.Zone() != "":
			return Spec{}, rangeError{"a zone goes with one link-local address, not a range"}
		}
		// An IPv4-mapped end is IPv4 after an IPv4 start, but stays IPv6
		// after an IPv6 one: ::-::ffff:0.0.0.5 is an IPv6 range.
		to = a
		if from.Is4() {
			to = a.Unmap()
		}
		if to.Is4() != from.Is4() {
			return Spec{}, rangeError{fmt.Sprintf("start is %s, end is %s", family(from), family(to))}
		}
	}
	if to.Less(from) {
		return Spec{}, rangeError{"end before start"}
	}
	return Spec{kind: KindRange, from: from, to: to}, nil
}

// checkHostname accepts DNS names of letters, digits, '-' and '_', in
// labels of 1-63 characters not starting or ending with '-', 253 characters
// at most, with an optional final dot. The last label may not be all
// digits, so that a mistyped address is not taken for a name.
func checkHostname(s string) error {
	name := strings.TrimSuffix(s, ".")
	if name == "" || len(name) > 253 {
		return errors.New("not an address, prefix, range or hostname")
	}
	var label string
	for label = range strings.SplitSeq(name, ".") {
		switch {
		case label == "":
			return errors.New("hostname has an empty label")
		case len(label) > 63:
			return errors.New("hostname label longer than 63 characters")
		case label[0] == '-' || label[len(label)-1] == '-':
			return errors.New("hostname label starts or ends with '-'")
		}
		for _, c := range label {
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return fmt.Errorf("not an address, prefix, range or hostname (%q is not allowed in a hostname)", c)
			}
		}
	}
	if strings.Trim(label, "0123456789") == "" {
		return errors.New("not a valid address, and not a hostname (its last label is all digits)")
	}
	return nil
}

func family(a netip.Addr) string {
	if a.Is4() {
		return "IPv4"
	}
	return "IPv6"
}

// lastAddr returns the last address of a masked prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Addr()
	host := a.BitLen() - p.Bits()
	u := toU128(a)
	switch {
	case host >= 64:
		u.hi |= 1<<(host-64) - 1
		u.lo = ^uint64(0)
	default:
		u.lo |= 1<<host - 1
	}
	return u.addr(a.Is4())
}

// IsValid reports whether s is a parsed target rather than the zero Spec.
func (s Spec) IsValid() bool { return s.kind != KindInvalid }

// Kind reports which form s was written in.
func (s Spec) Kind() Kind { return s.kind }

// Zone returns the zone of a link-local address spec (fe80::1%eth0 gives
// "eth0"), and "" for the others.
func (s Spec) Zone() string { return s.zone }

// Host returns the hostname of a KindHost spec, and "" for the others.
func (s Spec) Host() string { return s.host }

// Range returns the addresses an address, prefix or range spec covers; a
// hostname covers none until resolved, and gets the zero Range.
func (s Spec) Range() Range {
	if s.kind == KindHost {
		return Range{}
	}
	return Range{s.from, s.to}
}

// Prefix returns the (masked) prefix of a KindPrefix spec, and the zero
// Prefix for the others.
func (s Spec) Prefix() netip.Prefix {
	if s.kind != KindPrefix {
		return netip.Prefix{}
	}
	return netip.PrefixFrom(s.from, int(s.bits))
}

// String gives the canonical form of s, which ParseSpec reads back to s:
// prefixes with their host bits cleared, IPv4 ranges within one /24 in the
// short form 10.0.0.1-20, hostnames as written. The zero Spec gives "".
func (s Spec) String() string {
	switch s.kind {
	case KindAddr:
		return s.from.WithZone(s.zone).String()
	case KindPrefix:
		return s.Prefix().String()
	case KindRange:
		return rangeString(s.from, s.to)
	case KindHost:
		return s.host
	}
	return ""
}

// MarshalText implements encoding.TextMarshaler; the zero Spec gives empty
// text.
func (s Spec) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; empty text gives the
// zero Spec.
func (s *Spec) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*s = Spec{}
		return nil
	}
	sp, err := ParseSpec(string(b))
	if err != nil {
		return err
	}
	*s = sp
	return nil
}

package portspec

import (
	"fmt"
	"strings"
)

// Spec is the ports a scan covers, per protocol: what `ajar scan -p` and
// `--exclude-ports` take. The zero value covers no port.
type Spec struct {
	TCP, UDP Ranges
}

// ParseSpec parses a port spec in nmap's syntax: a comma-separated list of
// items, each a port ("22"), a range ("1000-2000", "-1024", "60000-", or
// "-" for 1-65535) or a service name ("ssh", "https"; see LookupService).
//
// An item may start with "T:" or "U:", which puts it and the items after it
// in TCP or UDP, as in "T:22,80,U:53,161". Items before any prefix go to
// each protocol in defaults, or to TCP when defaults is empty: so
// ParseSpec("22,53", TCP, UDP) covers 22 and 53 over both. A service name
// stands for its ports over each protocol it is given to; it is an error
// only if none of them has the service.
//
// Errors are one line naming the bad item, e.g. `unknown service name
// "sshh"` or `port 70000 is out of range 1-65535`.
func ParseSpec(s string, defaults ...Proto) (Spec, error) {
	if len(defaults) == 0 {
		defaults = []Proto{TCP}
	}
	for _, p := range defaults {
		if !p.valid() {
			return Spec{}, fmt.Errorf("port spec: unknown protocol %s", p)
		}
	}
	if strings.TrimSpace(s) == "" {
		return Spec{}, ErrEmpty
	}
	var sets [2][]Range // indexed by proto-1
	cur := defaults
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if pfx, rest, ok := strings.Cut(item, ":"); ok {
			switch strings.ToUpper(pfx) {
			case "T":
				cur = []Proto{TCP}
			case "U":
				cur = []Proto{UDP}
			default:
				return Spec{}, fmt.Errorf("%q: unknown protocol prefix %q (want T: or U:)", item, pfx+":")
			}
			item = strings.TrimSpace(rest)
		}
		if item == "" {
			return Spec{}, fmt.Errorf("port spec %q has an empty item", s)
		}
		if isRangeItem(item) {
			r, err := parseRange(item)
			if err != nil {
				return Spec{}, err
			}
			for _, p := range cur {
				sets[p-1] = append(sets[p-1], r)
			}
			continue
		}
		found := false
		for _, p := range cur {
			ports, ok := LookupService(item, p)
			if !ok {
				continue
			}
			found = true
			for _, port := range ports {
				sets[p-1] = append(sets[p-1], Range{port, port})
			}
		}
		if !found {
			return Spec{}, serviceError(item, cur)
		}
	}
	return Spec{TCP: Of(sets[TCP-1]...), UDP: Of(sets[UDP-1]...)}, nil
}

// isRangeItem reports whether item is written as a port or a range: digits
// and '-' only. Anything else is a service name.
func isRangeItem(item string) bool {
	for _, c := range item {
		if (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// serviceError says why name gave no port over the protocols protos.
func serviceError(name string, protos []Proto) error {
	if checkServiceName(strings.ToLower(name)) != nil {
		return fmt.Errorf("%q is not a port number or service name", name)
	}
	for _, p := range []Proto{TCP, UDP} {
		if _, ok := LookupService(name, p); ok {
			return fmt.Errorf("service %q has no %s port, only %s", name, protos[0], p)
		}
	}
	return fmt.Errorf("unknown service name %q", name)
}

// MustParseSpec is ParseSpec for tests and constants; it panics on error.
func MustParseSpec(s string, defaults ...Proto) Spec {
	sp, err := ParseSpec(s, defaults...)
	if err != nil {
		panic(err)
	}
	return sp
}

// String gives the canonical form, every item under its protocol's
// prefix: "T:22,80-81,U:53". ParseSpec(s.String()) equals s, whatever the
// defaults. The empty spec gives "".
func (s Spec) String() string {
	var parts []string
	if !s.TCP.IsEmpty() {
		parts = append(parts, "T:"+s.TCP.String())
	}
	if !s.UDP.IsEmpty() {
		parts = append(parts, "U:"+s.UDP.String())
	}
	return strings.Join(parts, ",")
}

// Ports gives the set of ports of proto; empty for an unknown protocol.
func (s Spec) Ports(proto Proto) Ranges {
	switch proto {
	case TCP:
		return s.TCP
	case UDP:
		return s.UDP
	}
	return Ranges{}
}

// ranges points at the set of proto, which must be TCP or UDP.
func (s *Spec) ranges(proto Proto) *Ranges {
	if proto == UDP {
		return &s.UDP
	}
	return &s.TCP
}

// IsEmpty reports whether the spec covers no port.
func (s Spec) IsEmpty() bool { return s.TCP.IsEmpty() && s.UDP.IsEmpty() }

// Len reports how many (protocol, port) pairs the spec covers.
func (s Spec) Len() int { return s.TCP.Len() + s.UDP.Len() }

// Equal reports whether two specs cover the same ports.
func (s Spec) Equal(o Spec) bool { return s.TCP.Equal(o.TCP) && s.UDP.Equal(o.UDP) }

// Union gives the ports covered by s or o, per protocol.
func (s Spec) Union(o Spec) Spec {
	return Spec{TCP: s.TCP.Union(o.TCP), UDP: s.UDP.Union(o.UDP)}
}

// Exclude gives the ports of s not covered by o, per protocol: what
// --exclude-ports leaves.
func (s Spec) Exclude(o Spec) Spec {
	return Spec{TCP: s.TCP.Exclude(o.TCP), UDP: s.UDP.Exclude(o.UDP)}
}

// MarshalText implements encoding.TextMarshaler with the canonical form.
func (s Spec) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler: ParseSpec with
// unprefixed items taken as TCP; empty text is the empty spec.
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

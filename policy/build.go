package policy

import (
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

// build checks a decoded policy's values and makes the Policy.
func build(name string, raw *rawPolicy) (*Policy, error) {
	p := &Policy{File: name, Groups: map[string][]Match{}}
	for _, d := range raw.dups {
		return nil, &Error{File: d.then.File, Line: d.then.Line, Msg: fmt.Sprintf("group %q is already defined at %s", d.name, d.first)}
	}
	for _, gname := range slices.Sorted(maps.Keys(raw.Groups)) {
		list := raw.Groups[gname]
		pos := raw.groupPos[gname]
		if !hostnameRE.MatchString(gname) || looksLikeAddr(gname) {
			return nil, &Error{File: pos.File, Line: pos.Line, Msg: fmt.Sprintf("bad group name %q: use letters, digits, '-' and '_', not an address", gname)}
		}
		if len(list.items) == 0 {
			return nil, &Error{File: pos.File, Line: pos.Line, Msg: fmt.Sprintf("group %q is empty", gname)}
		}
		for i, item := range list.items {
			m, err := parseMatch(item, nil)
			if err != nil {
				return nil, &Error{File: pos.File, Line: list.lines[i], Msg: err.Error()}
			}
			p.Groups[gname] = append(p.Groups[gname], m)
		}
	}
	var err error
	if raw.Findings != "" {
		p.FindingsPos = raw.findPos
		if p.Findings, err = record.ParseSeverity(raw.Findings); err != nil {
			return nil, &Error{File: raw.findPos.File, Line: raw.findPos.Line, Msg: "findings: " + err.Error()}
		}
	}
	switch raw.Loopback {
	case "", "ignore":
	case "check":
		p.CheckLoopback = true
	default:
		return nil, &Error{File: raw.loopPos.File, Line: raw.loopPos.Line, Msg: fmt.Sprintf("loopback: %q (want ignore or check)", raw.Loopback)}
	}
	allows := 0
	for i := range raw.Hosts {
		rh := &raw.Hosts[i]
		allows += len(rh.Allow)
		if i >= MaxEntries || allows > MaxEntries {
			return nil, &Error{File: rh.file, Line: rh.line, Msg: fmt.Sprintf("more than %d host or allow entries: a policy is for people to read (use ranges and groups)", MaxEntries)}
		}
		h, err := p.buildHost(rh)
		if err != nil {
			return nil, err
		}
		p.Hosts = append(p.Hosts, h)
	}
	if err := p.contradictions(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Policy) buildHost(rh *rawHost) (Host, error) {
	h := Host{Pos: Pos{rh.file, rh.line}}
	bad := func(line int, format string, a ...any) error {
		return &Error{File: rh.file, Line: line, Msg: fmt.Sprintf(format, a...)}
	}
	if len(rh.Match.items) == 0 {
		return h, bad(rh.line, "a host entry needs match: (an address, CIDR, hostname, group name or *)")
	}
	for i, item := range rh.Match.items {
		m, err := parseMatch(item, p.Groups)
		if err != nil {
			return h, bad(rh.Match.lines[i], "match: %v", err)
		}
		h.Match = append(h.Match, m)
	}
	if rh.Findings != "" {
		sev, err := record.ParseSeverity(rh.Findings)
		if err != nil {
			return h, bad(rh.line, "findings: %v", err)
		}
		h.Findings = sev
	}
	for i := range rh.Allow {
		ra := &rh.Allow[i]
		a, err := buildAllow(ra)
		if err != nil {
			return h, bad(ra.line, "%v", err)
		}
		a.Pos = Pos{rh.file, ra.line}
		h.Allow = append(h.Allow, a)
	}
	return h, nil
}

func buildAllow(ra *rawAllow) (Allow, error) {
	a := Allow{Service: ra.Service, Product: ra.Product, Process: ra.Process, User: ra.User, Required: ra.Required}
	if ra.Port == "" {
		return a, fmt.Errorf("an allow entry needs port: (tcp/22, udp/53, tcp/8000-8100, tcp/https)")
	}
	var err error
	if a.Proto, a.Ports, err = ParsePort(ra.Port); err != nil {
		return a, err
	}
	a.PortText = ra.Port
	if a.Exposure, err = ParseExposure(ra.Exposure); err != nil {
		return a, err
	}
	for _, s := range ra.Sources.items {
		pfx, err := parsePrefix(s)
		if err != nil {
			return a, fmt.Errorf("sources: %v", err)
		}
		a.Sources = append(a.Sources, pfx)
	}
	if a.Exposure.Kind == ExposureLoopback && len(a.Sources) > 0 {
		return a, fmt.Errorf("exposure: loopback and sources: contradict each other (loopback takes no other host)")
	}
	return a, nil
}

// ParsePort reads an allow entry's port: "tcp/22", "udp/53",
// "tcp/8000-8100", "tcp/80,443", "tcp/https", or a service name alone
// ("ssh": its TCP ports, or its UDP ones when it has no TCP port).
func ParsePort(s string) (record.Proto, portspec.Ranges, error) {
	protoText, list, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		name := strings.ToLower(protoText)
		if name == "" || strings.Trim(name, "0123456789-,") == "" {
			return 0, portspec.Ranges{}, fmt.Errorf("port %q: give the protocol, as tcp/%s or udp/%s", s, s, s)
		}
		for _, proto := range []record.Proto{record.TCP, record.UDP} {
			if ports, ok := portspec.LookupService(name, proto); ok {
				return proto, portspec.PortsOf(ports...), nil
			}
		}
		return 0, portspec.Ranges{}, fmt.Errorf("port %q: unknown service name (write tcp/PORT or udp/PORT)", s)
	}
	var proto record.Proto
	switch strings.ToLower(protoText) {
	case "tcp":
		proto = record.TCP
	case "udp":
		proto = record.UDP
	default:
		return 0, portspec.Ranges{}, fmt.Errorf("port %q: unknown protocol %q (want tcp or udp)", s, protoText)
	}
	spec, err := portspec.ParseSpec(list, proto)
	if err != nil {
		return 0, portspec.Ranges{}, fmt.Errorf("port %q: %v", s, err)
	}
	ports := spec.Ports(proto)
	if ports.IsEmpty() {
		return 0, portspec.Ranges{}, fmt.Errorf("port %q: no %s port", s, proto)
	}
	return proto, ports, nil
}

// ParseExposure reads an exposure: "", "loopback", "interface NAME" or
// "all".
func ParseExposure(s string) (Exposure, error) {
	f := strings.Fields(s)
	switch {
	case len(f) == 0:
		return Exposure{}, nil
	case len(f) == 1 && f[0] == "loopback":
		return Exposure{Kind: ExposureLoopback}, nil
	case len(f) == 1 && f[0] == "all":
		return Exposure{Kind: ExposureAll}, nil
	case len(f) == 2 && f[0] == "interface" && ifnameRE.MatchString(f[1]):
		return Exposure{Kind: ExposureInterface, Interface: f[1]}, nil
	case len(f) >= 1 && f[0] == "interface":
		return Exposure{}, fmt.Errorf("exposure %q: want interface NAME, with one interface name", s)
	}
	return Exposure{}, fmt.Errorf("exposure %q: want loopback, interface NAME or all", s)
}

var (
	hostnameRE = regexp.MustCompile(`^[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?$`)
	ifnameRE   = regexp.MustCompile(`^[A-Za-z0-9_.:@-]{1,15}$`)
)

// looksLikeAddr reports whether s is meant as an address or a network:
// digits, dots, colons and a slash only.
func looksLikeAddr(s string) bool {
	return strings.Trim(s, "0123456789./") == "" || strings.Contains(s, ":") || strings.Contains(s, "/")
}

// parseMatch reads one match: "*", an address, a CIDR, a group name (of
// groups; nil: none may be named), or a hostname.
func parseMatch(s string, groups map[string][]Match) (Match, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "*":
		if groups == nil {
			return Match{}, fmt.Errorf("* is not allowed in a group")
		}
		return Match{Kind: MatchAny}, nil
	case looksLikeAddr(s):
		pfx, err := parsePrefix(s)
		if err != nil {
			return Match{}, err
		}
		return Match{Kind: MatchPrefix, Prefix: pfx}, nil
	}
	if _, ok := groups[s]; ok {
		return Match{Kind: MatchGroup, Name: s}, nil
	}
	if !hostnameRE.MatchString(s) || len(s) > 253 {
		return Match{}, fmt.Errorf("%q is not an address, CIDR, hostname or group name", s)
	}
	return Match{Kind: MatchHostname, Name: strings.ToLower(strings.TrimSuffix(s, "."))}, nil
}

// parsePrefix reads an address or a CIDR with no host bits set.
func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("bad address %q", s)
		}
		return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
	}
	pfx, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("bad CIDR %q: want ADDRESS/BITS, such as 10.0.0.0/24 or 2001:db8::/32", s)
	}
	if pfx.Masked() != pfx {
		return netip.Prefix{}, fmt.Errorf("bad CIDR %q: host bits are set (did you mean %s?)", s, pfx.Masked())
	}
	return pfx, nil
}

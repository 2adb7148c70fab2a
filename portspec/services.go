package portspec

import (
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// servicesTxt is the service-name table; services.txt says where its
// entries come from and how it is laid out.
//
//go:embed services.txt
var servicesTxt string

// LookupService gives the ports a service name (or one of its aliases) uses
// over proto, in ascending order: LookupService("ssh", TCP) is [22]. Case is
// ignored. The table holds IANA's assignments for the services a scanner
// meets, and the default ports of common server software; see services.txt.
func LookupService(name string, proto Proto) ([]uint16, bool) {
	ports, ok := serviceTable().byName[nameKey{strings.ToLower(strings.TrimSpace(name)), proto}]
	return slices.Clone(ports), ok
}

// ServiceName gives the name of the service usually found on port over
// proto ("ssh" for 22/tcp), or "" when the table has none. It is a guess
// from the port number alone, not something learnt from the service.
func ServiceName(port uint16, proto Proto) string {
	return serviceTable().byPort[portKey{port, proto}]
}

type nameKey struct {
	name  string
	proto Proto
}

type portKey struct {
	port  uint16
	proto Proto
}

// service is one line of services.txt.
type service struct {
	name    string
	aliases []string
	ports   Range
	protos  []Proto
	source  string
	line    int
}

type services struct {
	list   []service
	byName map[nameKey][]uint16
	byPort map[portKey]string
}

// serviceTable parses the embedded table once. The table is part of the
// source, so a malformed line is a bug caught by the tests: it panics.
var serviceTable = sync.OnceValue(func() *services {
	t, err := parseServices(servicesTxt)
	if err != nil {
		panic("portspec: services.txt: " + err.Error())
	}
	return t
})

func parseServices(text string) (*services, error) {
	t := &services{byName: map[nameKey][]uint16{}, byPort: map[portKey]string{}}
	var last uint16
	for i, line := range strings.Split(text, "\n") {
		line, _, _ = strings.Cut(line, "#")
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		s, err := parseService(f)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		if s.ports.Lo < last {
			return nil, fmt.Errorf("line %d: port %d comes after port %d", i+1, s.ports.Lo, last)
		}
		last = s.ports.Lo
		s.line = i + 1
		if err := t.add(s); err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
	}
	return t, nil
}

// parseService parses the fields "name port[-port]/proto[,proto] source alias...".
func parseService(f []string) (service, error) {
	if len(f) < 3 {
		return service{}, errors.New("want: name port/proto source [alias ...]")
	}
	s := service{name: f[0], source: f[2], aliases: f[3:]}
	for _, n := range s.names() {
		if err := checkServiceName(n); err != nil {
			return service{}, err
		}
	}
	if s.source != "iana" && s.source != "common" {
		return service{}, fmt.Errorf("source %q is neither iana nor common", s.source)
	}
	ports, protos, ok := strings.Cut(f[1], "/")
	if !ok {
		return service{}, fmt.Errorf("%q has no /proto", f[1])
	}
	var err error
	if s.ports, err = parseTableRange(ports); err != nil {
		return service{}, err
	}
	for p := range strings.SplitSeq(protos, ",") {
		var proto Proto
		if err := proto.UnmarshalText([]byte(p)); err != nil {
			return service{}, err
		}
		if slices.Contains(s.protos, proto) {
			return service{}, fmt.Errorf("protocol %s listed twice", proto)
		}
		s.protos = append(s.protos, proto)
	}
	return s, nil
}

// parseTableRange parses "22" or "6000-6063", with no open ends.
func parseTableRange(s string) (Range, error) {
	lo, hi, isRange := strings.Cut(s, "-")
	if !isRange {
		hi = lo
	}
	l, err := parsePort(lo)
	if err != nil {
		return Range{}, err
	}
	h, err := parsePort(hi)
	if err != nil {
		return Range{}, err
	}
	if l > h {
		return Range{}, fmt.Errorf("range %q runs backwards", s)
	}
	return Range{l, h}, nil
}

// checkServiceName allows lower-case letters, digits, '-', '_', '.' and
// '+', with at least one letter, so that a name never reads as a port
// range and never holds the ',' and ':' of a port spec.
func checkServiceName(n string) error {
	letter := false
	for _, c := range n {
		switch {
		case c >= 'a' && c <= 'z':
			letter = true
		case c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == '+':
		default:
			return fmt.Errorf("service name %q: bad character %q", n, c)
		}
	}
	if !letter || len(n) > 32 {
		return fmt.Errorf("service name %q: want 1-32 characters with a letter", n)
	}
	return nil
}

func (t *services) add(s service) error {
	for _, proto := range s.protos {
		for p := int(s.ports.Lo); p <= int(s.ports.Hi); p++ {
			port := uint16(p)
			for _, n := range s.names() {
				k := nameKey{n, proto}
				if slices.Contains(t.byName[k], port) {
					return fmt.Errorf("%s %d/%s listed twice", n, port, proto)
				}
				t.byName[k] = append(t.byName[k], port)
			}
			if _, ok := t.byPort[portKey{port, proto}]; !ok {
				t.byPort[portKey{port, proto}] = s.name
			}
		}
	}
	t.list = append(t.list, s)
	return nil
}

// names gives the service's name followed by its aliases.
func (s service) names() []string { return append([]string{s.name}, s.aliases...) }

// String gives the line's port and protocols, e.g. "22/tcp,udp", for test
// messages.
func (s service) String() string {
	var protos []string
	for _, p := range s.protos {
		protos = append(protos, p.String())
	}
	return s.name + " " + s.ports.String() + "/" + strings.Join(protos, ",") + " (line " + strconv.Itoa(s.line) + ")"
}

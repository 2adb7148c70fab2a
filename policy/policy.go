// Package policy holds ajar's policy files: which ports of which hosts may
// be open, bound where, owned by whom, reachable from where, and which must
// be up. Everything a policy does not allow is denied.
//
// A policy is YAML (see schema.json for editors):
//
//	version: 1
//	hosts:
//	  - match: 10.0.0.5            # an address, CIDR, hostname or group name
//	    allow:
//	      - port: tcp/22
//	      - port: tcp/80
//	      - port: tcp/5432
//	        exposure: loopback     # may listen, but on loopback only
//
// Parse and Load read one (strictly: unknown keys, anchors and aliases,
// duplicate keys and values of the wrong type are errors that name the
// file, line and column). Evaluate compares a policy with what was
// observed (a scan's port records, this machine's sockets, ports published
// by DNAT rules) and returns the differences as record.Violation records:
// the spec apart from the probe, as goss keeps them. Evaluate is a pure
// function: it does no I/O.
package policy

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

// Version is the policy format's version, the only one Parse reads.
const Version = 1

// Policy is a parsed, checked policy file.
type Policy struct {
	// File is the path the policy was read from, as given.
	File string
	// Groups are the named groups of hosts, by name.
	Groups map[string][]Match
	// Hosts are the host entries, in file order (includes first, in the
	// order they are named).
	Hosts []Host
	// Findings, when set, makes an audit finding at or above it a
	// violation on every host (a host entry may set its own).
	Findings record.Severity
	// FindingsPos is where Findings is set.
	FindingsPos Pos
	// CheckLoopback makes listeners bound to loopback only subject to
	// the policy too ("loopback: check"); by default, a port that only
	// this machine can reach is not a door and is left alone.
	CheckLoopback bool
}

// Pos is where something is written: a file and a line.
type Pos struct {
	File string
	Line int
}

// String writes the position as FILE:LINE.
func (p Pos) String() string { return fmt.Sprintf("%s:%d", p.File, p.Line) }

// Host is one host entry: the hosts it matches and the ports they may
// have open.
type Host struct {
	Pos Pos
	// Match are the hosts the entry applies to: one of them must match.
	Match []Match
	Allow []Allow
	// Findings overrides the policy's Findings for these hosts, when set.
	Findings record.Severity
}

// MatchKind is what a Match compares.
type MatchKind uint8

// The kinds of match.
const (
	MatchPrefix   MatchKind = iota + 1 // an address or a CIDR
	MatchHostname                      // a hostname, case-insensitive
	MatchGroup                         // a named group of the policy
	MatchAny                           // "*": every host
)

// Match is one way a host entry names hosts.
type Match struct {
	Kind   MatchKind
	Prefix netip.Prefix // MatchPrefix: a single address is a /32 or /128
	Name   string       // MatchHostname, MatchGroup
}

func (m Match) String() string {
	switch m.Kind {
	case MatchPrefix:
		if m.Prefix.IsSingleIP() {
			return m.Prefix.Addr().String()
		}
		return m.Prefix.String()
	case MatchAny:
		return "*"
	}
	return m.Name
}

// ExposureKind is where a listener may be bound.
type ExposureKind uint8

// The exposures a policy can demand.
const (
	ExposureAny       ExposureKind = iota // not constrained
	ExposureLoopback                      // 127.0.0.0/8 or ::1 only
	ExposureInterface                     // reachable through one interface only
	ExposureAll                           // any binding: the same as ExposureAny, said out loud
)

// Exposure is an allow entry's exposure: "loopback", "interface NAME" or
// "all".
type Exposure struct {
	Kind      ExposureKind
	Interface string // ExposureInterface
}

func (e Exposure) String() string {
	switch e.Kind {
	case ExposureLoopback:
		return "loopback"
	case ExposureInterface:
		return "interface " + e.Interface
	case ExposureAll:
		return "all"
	}
	return ""
}

// Allow is one allowed port (or range of ports) of a host entry, with
// what must hold of it.
type Allow struct {
	Pos   Pos
	Proto record.Proto
	Ports portspec.Ranges
	// PortText is the port as written ("tcp/ssh").
	PortText string
	// Service and Product, when set, are what identification must name
	// on the port (case-insensitive; Product as a substring).
	Service, Product string
	// Process and User, when set, must own a local listener.
	Process, User string
	Exposure      Exposure
	// Sources are the networks allowed to reach the port (for the
	// firewall); none means anywhere.
	Sources []netip.Prefix
	// Required ports must be open (listening, or answering a scan).
	Required bool
}

// Spec is every port the policy's entries name, per protocol: what a
// check scans besides the usual top ports.
func (p *Policy) Spec() portspec.Spec {
	var s portspec.Spec
	for _, h := range p.Hosts {
		for _, a := range h.Allow {
			if a.Proto == record.UDP {
				s.UDP = s.UDP.Union(a.Ports)
			} else {
				s.TCP = s.TCP.Union(a.Ports)
			}
		}
	}
	return s
}

// Needs says what a scan must learn besides port states for the policy
// to judge it: services, when an entry allows a port only to a service or
// product; findings (the audit), when the policy or a host sets a
// findings threshold.
func (p *Policy) Needs() (services, findings bool) {
	findings = p.Findings != record.SeverityUnknown
	for _, h := range p.Hosts {
		findings = findings || h.Findings != record.SeverityUnknown
		for _, a := range h.Allow {
			services = services || a.Service != "" || a.Product != ""
		}
	}
	return services, findings
}

// Targets are the addresses, networks and hostnames the policy's host
// entries name (groups expanded), for a check given no targets: as
// target syntax ("10.0.0.5", "10.0.0.0/24", "web1.example.com").
func (p *Policy) Targets() []string {
	var out []string
	seen := map[string]bool{}
	var add func(ms []Match, depth int)
	add = func(ms []Match, depth int) {
		for _, m := range ms {
			switch m.Kind {
			case MatchGroup:
				if depth == 0 {
					add(p.Groups[m.Name], 1)
				}
			case MatchPrefix, MatchHostname:
				if s := m.String(); !seen[s] {
					seen[s] = true
					out = append(out, s)
				}
			}
		}
	}
	for _, h := range p.Hosts {
		add(h.Match, 0)
	}
	return out
}

// Subject is a host as a check sees it: its addresses and names.
type Subject struct {
	Addrs []netip.Addr
	Names []string
}

// Matches reports whether the entry applies to the subject.
func (p *Policy) Matches(h *Host, s Subject) bool {
	for _, m := range h.Match {
		if p.matchOne(m, s, 0) {
			return true
		}
	}
	return false
}

func (p *Policy) matchOne(m Match, s Subject, depth int) bool {
	switch m.Kind {
	case MatchAny:
		return true
	case MatchPrefix:
		for _, a := range s.Addrs {
			if m.Prefix.Contains(a.Unmap()) {
				return true
			}
		}
	case MatchHostname:
		for _, n := range s.Names {
			if strings.EqualFold(strings.TrimSuffix(n, "."), m.Name) {
				return true
			}
		}
	case MatchGroup:
		if depth > 0 {
			return false
		}
		for _, g := range p.Groups[m.Name] {
			if p.matchOne(g, s, depth+1) {
				return true
			}
		}
	}
	return false
}

// Entries are the host entries that apply to the subject, in file order.
func (p *Policy) Entries(s Subject) []*Host {
	var out []*Host
	for i := range p.Hosts {
		if p.Matches(&p.Hosts[i], s) {
			out = append(out, &p.Hosts[i])
		}
	}
	return out
}

// Rule finds the first allow entry, of the given host entries, that
// allows port over proto; nil when none does.
func Rule(entries []*Host, proto record.Proto, port uint16) *Allow {
	for _, h := range entries {
		for i := range h.Allow {
			a := &h.Allow[i]
			if a.Proto == proto && a.Ports.Contains(port) {
				return a
			}
		}
	}
	return nil
}

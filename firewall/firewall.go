// Package firewall turns a policy into firewall rules that allow exactly
// what the policy allows on one host and drop the rest: for nftables (the
// default; Apply installs it), iptables-restore, ufw, firewalld and pf.
//
// Every ruleset accepts established and related traffic, loopback, and the
// ICMP and ICMPv6 (NDP, packet-too-big) that networks need; then each
// allowed port, from its sources and through its interface when the
// policy names them; and drops the rest. The nftables ruleset filters the
// forward hook too, so that connections DNAT sends to containers (Docker's
// published ports, which bypass INPUT) obey the policy: a DNAT'd
// connection is accepted only to a port the policy allows.
//
// nftables rules live in one table of ajar's own, inet ajar, replaced in
// one transaction (add table; flush table; rules): ajar never flushes the
// ruleset and never touches another table.
package firewall

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/ajarsec/ajar/policy"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

// Table is the nftables table ajar owns: family inet, name ajar.
const Table = "ajar"

// Rule is one allowed port range.
type Rule struct {
	Proto record.Proto
	Ports portspec.Ranges
	// Sources are the networks allowed; none is anywhere.
	Sources []netip.Prefix
	// Iface, when set, is the only interface the port is reachable
	// through.
	Iface string
	// Pos is the policy line it comes from.
	Pos policy.Pos
}

// Ruleset is what one host's firewall allows.
type Ruleset struct {
	// Policy and Host say where it comes from, for the header.
	Policy, Host string
	Rules        []Rule
}

// ErrNoEntry is returned when no host entry of the policy applies to the
// host a ruleset is made for.
var ErrNoEntry = errors.New("no host entry of the policy matches the host")

// FromPolicy makes the ruleset of the host s from the policy's entries
// that match it. A port allowed on loopback only gets no rule (loopback
// is accepted whole, and nothing else may reach it).
func FromPolicy(p *policy.Policy, s policy.Subject, host string) (Ruleset, error) {
	entries := p.Entries(s)
	if len(entries) == 0 {
		return Ruleset{}, fmt.Errorf("%w (%s)", ErrNoEntry, host)
	}
	rs := Ruleset{Policy: p.File, Host: host}
	for _, h := range entries {
		for _, a := range h.Allow {
			if a.Exposure.Kind == policy.ExposureLoopback {
				continue
			}
			rs.Rules = append(rs.Rules, Rule{Proto: a.Proto, Ports: a.Ports, Sources: slices.Clone(a.Sources),
				Iface: a.Exposure.Interface, Pos: a.Pos})
		}
	}
	return rs, nil
}

// Admits reports whether the ruleset lets a new connection in: from src,
// over proto, to port, arriving through iface ("" when unknown: a rule
// held to an interface then does not count).
func (rs *Ruleset) Admits(proto record.Proto, src netip.Addr, port uint16, iface string) bool {
	src = src.Unmap()
	if src.IsLoopback() {
		return true
	}
	for _, r := range rs.Rules {
		if r.Proto != proto || !r.Ports.Contains(port) || (r.Iface != "" && r.Iface != iface) {
			continue
		}
		if len(r.Sources) == 0 {
			return true
		}
		for _, pfx := range r.Sources {
			if pfx.Contains(src) {
				return true
			}
		}
	}
	return false
}

// sources splits a rule's sources by family.
func (r *Rule) sources() (v4, v6 []string) {
	for _, pfx := range r.Sources {
		s := pfx.String()
		if pfx.IsSingleIP() {
			s = pfx.Addr().String()
		}
		if pfx.Addr().Is4() {
			v4 = append(v4, s)
		} else {
			v6 = append(v6, s)
		}
	}
	return v4, v6
}

// families says which address families the rule admits: both without
// sources, else those of its sources.
func (r *Rule) families() (v4, v6 bool) {
	if len(r.Sources) == 0 {
		return true, true
	}
	s4, s6 := r.sources()
	return len(s4) > 0, len(s6) > 0
}

// Format is a firewall's rule language.
type Format string

// The formats.
const (
	NFT       Format = "nftables"
	Iptables  Format = "iptables"
	UFW       Format = "ufw"
	Firewalld Format = "firewalld"
	PF        Format = "pf"
)

// Formats lists the formats, the default first.
var Formats = []Format{NFT, Iptables, UFW, Firewalld, PF}

// ParseFormat reads a format's name ("nft" for nftables too).
func ParseFormat(s string) (Format, error) {
	f := Format(strings.ToLower(s))
	if f == "nft" {
		return NFT, nil
	}
	if slices.Contains(Formats, f) {
		return f, nil
	}
	return "", fmt.Errorf("unknown firewall format %q (want nftables, iptables, ufw, firewalld or pf)", s)
}

// Render writes the ruleset in format f.
func (rs *Ruleset) Render(f Format) (string, error) {
	switch f {
	case NFT:
		return rs.NFT(), nil
	case Iptables:
		return rs.Iptables(), nil
	case UFW:
		return rs.UFW(), nil
	case Firewalld:
		return rs.Firewalld(), nil
	case PF:
		return rs.PF(), nil
	}
	return "", fmt.Errorf("unknown firewall format %q", f)
}

func (rs *Ruleset) header(b *strings.Builder, comment, what string) {
	fmt.Fprintf(b, "%s ajar firewall (%s): from policy %s for %s.\n", comment, what, rs.Policy, rs.Host)
	fmt.Fprintf(b, "%s Allows established traffic, loopback, needed ICMP/ICMPv6 and the policy's ports; drops the rest.\n", comment)
}

// rangeText writes port ranges with sep between low and high.
func rangeText(rs portspec.Ranges, sep string) []string {
	var out []string
	for _, r := range rs.Ranges() {
		if r.Lo == r.Hi {
			out = append(out, fmt.Sprint(r.Lo))
		} else {
			out = append(out, fmt.Sprintf("%d%s%d", r.Lo, sep, r.Hi))
		}
	}
	return out
}

package policy

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/ajarsec/ajar/record"
)

// evalLocal judges this machine's listeners and DNAT-published ports by
// the host entries that apply to it.
func evalLocal(p *Policy, obs *Observed, res *Result) {
	all := p.Entries(obs.Local)
	if len(all) == 0 {
		res.LocalUnmatched = true
		return
	}
	// open: which families each port listens in, for required ports.
	open := map[portKey]map[int]bool{}
	mark := func(k portKey, fams ...int) {
		if open[k] == nil {
			open[k] = map[int]bool{}
		}
		for _, f := range fams {
			open[k][f] = true
		}
	}
	for i := range obs.Sockets {
		s := &obs.Sockets[i]
		if !listening(s) {
			continue
		}
		k := portKey{s.Proto, s.Local.Port()}
		mark(k, families(s)...)
		entries := p.Entries(socketSubject(s, obs.Local))
		if len(entries) == 0 {
			entries = all
		}
		res.Violations = append(res.Violations, judgeSocket(p, entries, s, obs.Units[s.PID])...)
	}
	for _, n := range obs.NAT {
		k := portKey{n.Proto, n.Port}
		fam := 4
		if n.To.Addr().Is6() && !n.To.Addr().Is4In6() {
			fam = 6
		}
		mark(k, fam)
		res.Violations = append(res.Violations, judgeNAT(all, n)...)
	}
	for _, req := range requiredPorts(all, func(*Allow) bool { return true }) {
		for _, fam := range requiredFamilies(p, all, req.a, obs.Local) {
			if open[req.k][fam] {
				continue
			}
			v := record.Violation{Type: record.RequiredMissing, Proto: req.k.proto, Port: req.k.port, Source: "socket",
				Rule: req.a.Pos.String(), Expected: fmt.Sprintf("listening over IPv%d (required: true)", fam)}
			v.Host = netip.IPv4Unspecified()
			if fam == 6 {
				v.Host = netip.IPv6Unspecified()
			}
			v.Observed = "nothing listens"
			if len(open[req.k]) > 0 {
				v.Observed = fmt.Sprintf("listens over IPv%d only", 10-fam)
			}
			v.Remediation = remedyMissing(req.k, req.a, open[req.k])
			res.Violations = append(res.Violations, v)
		}
	}
}

// listening reports whether a socket waits for peers: a listening TCP
// socket, or an unconnected bound UDP one.
func listening(s *record.Socket) bool {
	if s.Peer.IsValid() && s.Peer.Port() != 0 {
		return false
	}
	return (s.Proto == record.TCP && s.State == record.SocketListen) || (s.Proto == record.UDP && s.State == record.SocketUnconn)
}

// families are the address families a socket takes: a dual-stack :: takes
// both.
func families(s *record.Socket) []int {
	a := s.Local.Addr()
	switch {
	case a.Is4() || a.Is4In6():
		return []int{4}
	case s.DualStack():
		return []int{4, 6}
	}
	return []int{6}
}

// socketSubject is the addresses a socket can be reached at: its own, or
// every local address of its families for a wildcard or loopback one.
func socketSubject(s *record.Socket, local Subject) Subject {
	a := s.Local.Addr().Unmap()
	if !a.IsUnspecified() && !a.IsLoopback() {
		return Subject{Addrs: []netip.Addr{a}, Names: local.Names}
	}
	fams := families(s)
	out := Subject{Names: local.Names}
	for _, la := range local.Addrs {
		fam := 6
		if la.Unmap().Is4() {
			fam = 4
		}
		if a.IsLoopback() || containsInt(fams, fam) {
			out.Addrs = append(out.Addrs, la)
		}
	}
	return out
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// requiredFamilies are the families a required port must listen in: those
// of this machine's non-loopback addresses the entry names (every family
// of them for a hostname, a group or *), IPv4 when it has none.
func requiredFamilies(p *Policy, entries []*Host, a *Allow, local Subject) []int {
	var owner *Host
	for _, h := range entries {
		for i := range h.Allow {
			if &h.Allow[i] == a {
				owner = h
			}
		}
	}
	has := map[int]bool{}
	for _, la := range local.Addrs {
		la = la.Unmap()
		if la.IsLoopback() || la.IsLinkLocalUnicast() || owner == nil || !p.Matches(owner, Subject{Addrs: []netip.Addr{la}}) {
			continue
		}
		if la.Is4() {
			has[4] = true
		} else {
			has[6] = true
		}
	}
	if owner != nil && !has[4] && !has[6] {
		has[4] = true // the entry matched by name only, and addresses are unknown
	}
	var out []int
	for _, f := range []int{4, 6} {
		if has[f] {
			out = append(out, f)
		}
	}
	return out
}

// judgeSocket judges one listener.
func judgeSocket(p *Policy, entries []*Host, s *record.Socket, unit string) []record.Violation {
	k := portKey{s.Proto, s.Local.Port()}
	base := record.Violation{Host: s.Local.Addr(), Proto: s.Proto, Port: s.Local.Port(), Source: "socket",
		PID: s.PID, Process: s.Process, User: s.User, Unit: unit}
	seen := describeSocket(s)
	rule := Rule(entries, s.Proto, s.Local.Port())
	if rule == nil {
		if s.Exposure == record.ExposureLoopback && !p.CheckLoopback {
			return nil
		}
		v := base
		v.Type, v.Rule, v.Observed = record.UnexpectedOpen, entries[0].Pos.String(), seen
		v.Expected = "not listening: no allow entry names it"
		v.Remediation = remedyLocalOpen(k, s, unit)
		return []record.Violation{v}
	}
	var out []record.Violation
	if why := exposureProblem(rule.Exposure, s); why != "" {
		v := base
		v.Type, v.Rule, v.Observed, v.Expected = record.WrongExposure, rule.Pos.String(), seen+": "+why, rule.Exposure.String()
		v.Remediation = remedyLoopback(k, "", s.Process, unit)
		if rule.Exposure.Kind == ExposureInterface {
			v.Remediation = remedyInterface(k, rule.Exposure.Interface)
		}
		out = append(out, v)
	}
	if v, bad := judgeOwner(rule, s, base, seen); bad {
		out = append(out, v)
	}
	return out
}

// exposureProblem says why a socket is exposed further than e allows, ""
// when it is not.
func exposureProblem(e Exposure, s *record.Socket) string {
	switch e.Kind {
	case ExposureLoopback:
		if s.Exposure.Exposed() {
			return "reachable from other hosts (" + s.Exposure.String() + ")"
		}
	case ExposureInterface:
		switch s.Exposure {
		case record.ExposureLoopback:
			return ""
		case record.ExposureInterface, record.ExposureLocalLink:
			if len(s.Interfaces) == 1 && s.Interfaces[0] == e.Interface {
				return ""
			}
			return "reachable through " + strings.Join(s.Interfaces, ", ")
		case record.ExposureAddress:
			return "bound to an address but not to a device: Linux takes packets for it through every interface"
		}
		return "reachable through every interface"
	}
	return ""
}

// judgeOwner checks the listener's process and user.
func judgeOwner(rule *Allow, s *record.Socket, base record.Violation, seen string) (record.Violation, bool) {
	var why []string
	if rule.Process != "" && !heldBy(s, rule.Process) {
		why = append(why, "process "+rule.Process)
	}
	if rule.User != "" && s.User != rule.User {
		why = append(why, "user "+rule.User)
	}
	if len(why) == 0 {
		return record.Violation{}, false
	}
	v := base
	v.Type, v.Rule, v.Observed, v.Expected = record.WrongProcess, rule.Pos.String(), seen, strings.Join(why, ", ")
	v.Remediation = remedyOwner(portKey{s.Proto, s.Local.Port()}, s, base.Unit, rule)
	return v, true
}

func heldBy(s *record.Socket, name string) bool {
	if strings.EqualFold(s.Process, name) {
		return true
	}
	for _, h := range s.Holders {
		if strings.EqualFold(h.Process, name) {
			return true
		}
	}
	return false
}

// describeSocket says what listens, and who owns it.
func describeSocket(s *record.Socket) string {
	var b strings.Builder
	b.WriteString(s.Local.String())
	switch {
	case s.DualStack():
		b.WriteString(" (v4+v6)")
	case s.Local.Addr().Is6() && s.Local.Addr().IsUnspecified():
		b.WriteString(" (v6 only)")
	}
	if s.Device != "" {
		b.WriteString(" on " + s.Device)
	}
	switch {
	case s.PID != 0:
		fmt.Fprintf(&b, ", %s pid %d", s.Process, s.PID)
	default:
		b.WriteString(", owner not visible")
	}
	if s.User != "" {
		b.WriteString(", user " + s.User)
	}
	return b.String()
}

// judgeNAT judges a port published by a DNAT rule: reachable from every
// interface the rule takes, whatever listens on the host.
func judgeNAT(entries []*Host, n NATPort) []record.Violation {
	k := portKey{n.Proto, n.Port}
	base := record.Violation{Host: netip.IPv4Unspecified(), Proto: n.Proto, Port: n.Port, Source: "dnat",
		Observed: n.String()}
	if n.To.Addr().Is6() {
		base.Host = netip.IPv6Unspecified()
	}
	rule := Rule(entries, n.Proto, n.Port)
	switch {
	case rule == nil:
		v := base
		v.Type, v.Rule, v.Expected = record.UnexpectedOpen, entries[0].Pos.String(), "not published: no allow entry names it"
		v.Remediation = remedyNAT(k, n)
		return []record.Violation{v}
	case rule.Exposure.Kind == ExposureLoopback:
		v := base
		v.Type, v.Rule, v.Expected = record.WrongExposure, rule.Pos.String(), "loopback"
		v.Remediation = remedyNAT(k, n)
		return []record.Violation{v}
	}
	return nil
}

package policy

import (
	"fmt"
	"strings"
)

// contradictions refuses two allow entries that may apply to one host and
// port but demand different things of it: a different exposure, process,
// user or service. Where both leave a field unset, or one does, they
// agree.
func (p *Policy) contradictions() error {
	type at struct {
		h      *Host
		a      *Allow
		lo, hi uint16 // the lowest and highest port: a cheap first test of overlap
	}
	var all []at
	for i := range p.Hosts {
		for j := range p.Hosts[i].Allow {
			a := &p.Hosts[i].Allow[j]
			rs := a.Ports.Ranges()
			all = append(all, at{&p.Hosts[i], a, rs[0].Lo, rs[len(rs)-1].Hi})
		}
	}
	for j := range all {
		for i := range j {
			x, y := all[i], all[j]
			if x.a.Proto != y.a.Proto || x.lo > y.hi || y.lo > x.hi {
				continue
			}
			what := differ(x.a, y.a)
			if what == "" || x.a.Ports.Exclude(y.a.Ports).Len() == x.a.Ports.Len() || (x.h != y.h && !p.overlap(x.h, y.h)) {
				continue
			}
			{
				return &Error{File: y.a.Pos.File, Line: y.a.Pos.Line, Msg: fmt.Sprintf(
					"%s contradicts the entry at %s for the same hosts and ports: %s", y.a.PortText, x.a.Pos, what)}
			}
		}
	}
	return nil
}

// differ says how two allow entries contradict each other, "" when they
// do not.
func differ(x, y *Allow) string {
	if x.Exposure.Kind != ExposureAny && y.Exposure.Kind != ExposureAny && x.Exposure != y.Exposure {
		return fmt.Sprintf("exposure %s there, %s here", x.Exposure, y.Exposure)
	}
	for _, f := range []struct{ name, a, b string }{
		{"process", x.Process, y.Process}, {"user", x.User, y.User}, {"service", x.Service, y.Service},
	} {
		if f.a != "" && f.b != "" && !strings.EqualFold(f.a, f.b) {
			return fmt.Sprintf("%s %s there, %s here", f.name, f.a, f.b)
		}
	}
	return ""
}

// overlap reports whether two host entries may apply to one host.
func (p *Policy) overlap(x, y *Host) bool {
	for _, a := range p.expand(x.Match) {
		for _, b := range p.expand(y.Match) {
			switch {
			case a.Kind == MatchAny || b.Kind == MatchAny:
				return true
			case a.Kind == MatchPrefix && b.Kind == MatchPrefix:
				if a.Prefix.Overlaps(b.Prefix) {
					return true
				}
			case a.Kind == b.Kind && a.Name == b.Name:
				return true
			}
		}
	}
	return false
}

// expand replaces group names with their members.
func (p *Policy) expand(ms []Match) []Match {
	var out []Match
	for _, m := range ms {
		if m.Kind == MatchGroup {
			out = append(out, p.Groups[m.Name]...)
			continue
		}
		out = append(out, m)
	}
	return out
}

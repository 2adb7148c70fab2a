package policy

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

// Observed is what a check saw: a scan's records, this machine's sockets,
// or both.
type Observed struct {
	// Ports and Hosts are a scan's records. Scanned is the ports the scan
	// probed: a required port outside it is not judged.
	Ports   []record.PortResult
	Hosts   []record.Host
	Scanned portspec.Spec
	// Sockets are this machine's sockets (only listening TCP and bound
	// UDP ones are judged), Local its addresses and names; NAT the ports
	// its DNAT rules publish.
	Sockets []record.Socket
	NAT     []NATPort
	Local   Subject
	// Units maps a pid to its systemd unit, for remediation.
	Units map[int]string
}

// Result is what Evaluate found.
type Result struct {
	Violations []record.Violation
	// Unmatched are scanned hosts no host entry applies to: the policy
	// says nothing of them, and they are not judged.
	Unmatched []netip.Addr
	// LocalUnmatched is set when sockets were given but no host entry
	// applies to this machine.
	LocalUnmatched bool
}

// maxRequired bounds the ports of one required range that are judged one
// by one.
const maxRequired = 1024

// Evaluate compares a policy with what was observed. It is pure: the same
// policy and observations give the same violations, in the same order.
func Evaluate(p *Policy, obs *Observed) Result {
	var res Result
	evalScan(p, obs, &res)
	if len(obs.Sockets) > 0 || len(obs.NAT) > 0 || len(obs.Local.Addrs) > 0 {
		evalLocal(p, obs, &res)
	}
	return res
}

// evalScan judges a scan's records, host by host.
func evalScan(p *Policy, obs *Observed, res *Result) {
	type hostObs struct {
		name  string
		up    bool
		open  map[portKey]*record.PortResult
		order []portKey
	}
	hosts := map[netip.Addr]*hostObs{}
	var addrs []netip.Addr
	get := func(a netip.Addr, name string) *hostObs {
		h, ok := hosts[a]
		if !ok {
			h = &hostObs{open: map[portKey]*record.PortResult{}}
			hosts[a] = h
			addrs = append(addrs, a)
		}
		if name != "" {
			h.name = name
		}
		return h
	}
	for i := range obs.Hosts {
		h := get(obs.Hosts[i].Addr, obs.Hosts[i].Name)
		h.up = h.up || obs.Hosts[i].State == record.Up
	}
	for i := range obs.Ports {
		r := &obs.Ports[i]
		h := get(r.Host, r.Hostname)
		h.up = true
		if r.State == record.Open {
			k := portKey{r.Proto, r.Port}
			h.open[k] = r
			h.order = append(h.order, k)
		}
	}
	for _, a := range addrs {
		h := hosts[a]
		subj := Subject{Addrs: []netip.Addr{a}}
		if h.name != "" {
			subj.Names = []string{h.name}
		}
		entries := p.Entries(subj)
		if len(entries) == 0 {
			res.Unmatched = append(res.Unmatched, a)
			continue
		}
		base := record.Violation{Host: a, Hostname: h.name, Source: "scan"}
		for _, k := range h.order {
			res.Violations = append(res.Violations, judgeScanPort(p, entries, base, h.open[k])...)
		}
		if !h.up && !named(p, entries, subj) {
			continue // a silent address of a network the policy names: nothing there
		}
		for _, req := range requiredPorts(entries, func(a *Allow) bool { return a.Exposure.Kind != ExposureLoopback }) {
			if !obs.Scanned.Ports(req.k.proto).Contains(req.k.port) || h.open[req.k] != nil {
				continue
			}
			v := base
			v.Type, v.Proto, v.Port, v.Rule = record.RequiredMissing, req.k.proto, req.k.port, req.a.Pos.String()
			v.Observed = "not open: the scan found it closed or filtered"
			if !h.up {
				v.Observed = "the host did not answer"
			}
			v.Expected = "open (required: true)"
			v.Remediation = remedyMissing(req.k, req.a, nil)
			res.Violations = append(res.Violations, v)
		}
	}
}

// named reports whether an entry names the subject itself, as one
// address or a hostname, not as part of a network.
func named(p *Policy, entries []*Host, s Subject) bool {
	for _, h := range entries {
		for _, m := range p.expand(h.Match) {
			single := m.Kind == MatchPrefix && m.Prefix.IsSingleIP()
			if (single || m.Kind == MatchHostname) && p.matchOne(m, s, 1) {
				return true
			}
		}
	}
	return false
}

type portKey struct {
	proto record.Proto
	port  uint16
}

func (k portKey) String() string { return k.proto.String() + "/" + strconv.Itoa(int(k.port)) }

type required struct {
	k portKey
	a *Allow
}

// requiredPorts lists the required ports of the entries that keep says
// can be judged, each once, the first entry naming it deciding.
func requiredPorts(entries []*Host, keep func(*Allow) bool) []required {
	var out []required
	seen := map[portKey]bool{}
	for _, h := range entries {
		for i := range h.Allow {
			a := &h.Allow[i]
			if !a.Required || !keep(a) {
				continue
			}
			n := 0
			for port := range a.Ports.All() {
				if n++; n > maxRequired {
					break
				}
				k := portKey{a.Proto, port}
				if !seen[k] {
					seen[k] = true
					out = append(out, required{k, a})
				}
			}
		}
	}
	return out
}

// judgeScanPort judges one open port a scan found.
func judgeScanPort(p *Policy, entries []*Host, base record.Violation, r *record.PortResult) []record.Violation {
	k := portKey{r.Proto, r.Port}
	base.Proto, base.Port = r.Proto, r.Port
	where := net.JoinHostPort(r.Host.String(), strconv.Itoa(int(r.Port)))
	svc := ""
	if r.Service != nil {
		svc = r.Service.Name
	}
	var out []record.Violation
	rule := Rule(entries, r.Proto, r.Port)
	if rule == nil {
		v := base
		v.Type, v.Rule = record.UnexpectedOpen, entries[0].Pos.String()
		v.Observed = fmt.Sprintf("open at %s%s", where, serviceNote(r.Service))
		v.Expected = "closed: no allow entry names it"
		v.Remediation = remedyRemote(k, svc)
		out = append(out, v)
	} else {
		if rule.Exposure.Kind == ExposureLoopback {
			v := base
			v.Type, v.Rule = record.WrongExposure, rule.Pos.String()
			v.Observed = fmt.Sprintf("reachable from the network at %s", where)
			v.Expected = "loopback only"
			v.Remediation = remedyLoopback(k, svc, "", "")
			out = append(out, v)
		}
		if v, bad := judgeService(rule, r.Service); bad {
			v.Host, v.Hostname, v.Source, v.Proto, v.Port = base.Host, base.Hostname, base.Source, base.Proto, base.Port
			out = append(out, v)
		}
	}
	out = append(out, judgeFindings(p, entries, base, r)...)
	return out
}

// identified reports whether s was named by identification, not guessed
// from the port number.
func identified(s *record.Service) bool {
	return s != nil && s.Method != "" && s.Method != "port-table"
}

func serviceNote(s *record.Service) string {
	switch {
	case s == nil || s.Name == "":
		return ""
	case identified(s) && s.Product != "":
		return fmt.Sprintf(" (%s: %s)", s.Name, strings.TrimSpace(s.Product+" "+s.Version))
	}
	return " (" + s.Name + ")"
}

// judgeService compares identification with the rule's service and
// product.
func judgeService(rule *Allow, s *record.Service) (record.Violation, bool) {
	if (rule.Service == "" && rule.Product == "") || !identified(s) {
		return record.Violation{}, false
	}
	bad := rule.Service != "" && !strings.EqualFold(rule.Service, s.Name)
	bad = bad || rule.Product != "" && !strings.Contains(strings.ToLower(s.Product), strings.ToLower(rule.Product))
	if !bad {
		return record.Violation{}, false
	}
	want := strings.TrimSpace(rule.Service + " " + rule.Product)
	got := strings.TrimSpace(s.Name + " " + s.Product + " " + s.Version)
	return record.Violation{Type: record.WrongService, Rule: rule.Pos.String(),
		Observed: "answers as " + got, Expected: want,
		Remediation: fmt.Sprintf("find out why %s answers there instead of %s: a replaced or extra daemon, or a port clash; stop the stray one or move it", got, want)}, true
}

// judgeFindings turns the port's findings at or above the threshold into
// violations.
func judgeFindings(p *Policy, entries []*Host, base record.Violation, r *record.PortResult) []record.Violation {
	threshold, pos := p.Findings, p.FindingsPos
	for _, h := range entries {
		if h.Findings != record.SeverityUnknown {
			threshold, pos = h.Findings, h.Pos
			break
		}
	}
	if threshold == record.SeverityUnknown {
		return nil
	}
	if pos.Line == 0 {
		pos = entries[0].Pos
	}
	var out []record.Violation
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Severity < threshold {
			continue
		}
		v := base
		v.Type, v.Rule, v.Finding = record.FindingViolation, pos.String(), f
		v.Observed = fmt.Sprintf("%s (%s): %s", f.ID, f.Severity, f.Title)
		v.Expected = "no finding at or above " + threshold.String()
		v.Remediation = f.Remediation
		out = append(out, v)
	}
	return out
}

// sortedAddrs is the addresses in order, for stable output.
func sortedAddrs(as []netip.Addr) []netip.Addr {
	out := slices.Clone(as)
	slices.SortFunc(out, netip.Addr.Compare)
	return slices.Compact(out)
}

package diff

import (
	"cmp"
	"net/netip"
	"slices"

	"github.com/ajarsec/ajar/record"
)

// The kinds of change (Change.Kind): a stable interface.
const (
	HostUp       = "host-up"
	HostDown     = "host-down"
	Opened       = "opened"
	Closed       = "closed"
	StateChanged = "state"
	Service      = "service"
	FindingNew   = "finding-new"
	FindingFixed = "finding-fixed"
)

var kindOrder = map[string]int{HostUp: 0, HostDown: 1, Opened: 2, Closed: 3, StateChanged: 4, Service: 5, FindingNew: 6, FindingFixed: 7}

// Absent is a change's Before or After when the scan did not see the host
// or the port.
const Absent = "absent"

// Change is one difference between two scans.
type Change struct {
	Host     netip.Addr
	Hostname string
	// Proto and Port are zero for a host's change.
	Proto record.Proto
	Port  uint16
	// Kind is one of the kinds above.
	Kind string
	// Before and After are the state (a port's or a host's), the
	// service, or the finding's ID, as each scan saw it; Absent when it
	// did not.
	Before, After string
	// Finding is the finding, for finding-new and finding-fixed.
	Finding *record.Finding
	// History is the value in each scan of a series, oldest first (set by
	// Series when it follows more than two scans).
	History []string
	// Flapping is set when the value changed more than once in the
	// series; Reopened for a port opened again after it was closed in
	// the series.
	Flapping, Reopened bool
}

// Compare gives the changes from scan a to scan b, by host, then host
// changes first, then by protocol, port and kind.
func Compare(a, b *Scan) []Change {
	var out []Change
	for addr := range union(a.hosts, b.hosts) {
		ha, hb := a.hosts[addr], b.hosts[addr]
		out = append(out, hostChanges(addr, ha, hb)...)
	}
	slices.SortFunc(out, func(x, y Change) int {
		return cmp.Or(x.Host.Compare(y.Host), cmp.Compare(x.Proto, y.Proto), cmp.Compare(x.Port, y.Port),
			cmp.Compare(kindOrder[x.Kind], kindOrder[y.Kind]), cmp.Compare(x.After, y.After), cmp.Compare(x.Before, y.Before))
	})
	return out
}

func union[K comparable, V any](a, b map[K]V) map[K]struct{} {
	out := make(map[K]struct{}, len(a)+len(b))
	for k := range a {
		out[k] = struct{}{}
	}
	for k := range b {
		out[k] = struct{}{}
	}
	return out
}

func hostStateString(h *host) string {
	if h == nil || h.state == record.HostUnknown {
		return Absent
	}
	return h.state.String()
}

func stateString(s record.State) string {
	if s == record.StateUnknown {
		return Absent
	}
	return s.String()
}

func hostChanges(addr netip.Addr, ha, hb *host) []Change {
	name := ""
	for _, h := range []*host{hb, ha} {
		if h != nil && h.name != "" && name == "" {
			name = h.name
		}
	}
	var out []Change
	sa, sb := hostStateString(ha), hostStateString(hb)
	switch {
	case sa == sb:
	case sb == "up":
		out = append(out, Change{Host: addr, Hostname: name, Kind: HostUp, Before: sa, After: sb})
	case sa == "up":
		out = append(out, Change{Host: addr, Hostname: name, Kind: HostDown, Before: sa, After: sb})
	}
	var pa, pb map[pkey]*port
	if ha != nil {
		pa = ha.ports
	}
	if hb != nil {
		pb = hb.ports
	}
	for k := range union(pa, pb) {
		for _, c := range portChanges(k, ha, hb, pa[k], pb[k]) {
			c.Host, c.Hostname, c.Proto, c.Port = addr, name, k.proto, k.port
			out = append(out, c)
		}
	}
	return out
}

// portChanges compares one port. Ports in no interesting state on
// either side (closed in one, filtered in the other, neither listed) are
// not compared: only a port open on one side, or known in both.
func portChanges(k pkey, ha, hb *host, a, b *port) []Change {
	sa, sb := ha.portState(k), hb.portState(k)
	var out []Change
	switch {
	case sa == sb:
	case sb == record.Open:
		out = append(out, Change{Kind: Opened, Before: stateString(sa), After: stateString(sb)})
	case sa == record.Open:
		out = append(out, Change{Kind: Closed, Before: stateString(sa), After: stateString(sb)})
	case sa != record.StateUnknown && sb != record.StateUnknown:
		out = append(out, Change{Kind: StateChanged, Before: stateString(sa), After: stateString(sb)})
	}
	if a == nil || b == nil || sa != record.Open || sb != record.Open {
		return out
	}
	if a.service != "" && b.service != "" && a.service != b.service {
		out = append(out, Change{Kind: Service, Before: a.service, After: b.service})
	}
	for id := range union(a.findings, b.findings) {
		fa, ina := a.findings[id]
		fb, inb := b.findings[id]
		switch {
		case inb && !ina:
			out = append(out, Change{Kind: FindingNew, Before: Absent, After: id, Finding: &fb})
		case ina && !inb:
			out = append(out, Change{Kind: FindingFixed, Before: id, After: Absent, Finding: &fa})
		}
	}
	return out
}

// valueAt is what scan s says of the thing change c is about, as Before
// and After say it.
func valueAt(s *Scan, c *Change) string {
	h := s.hosts[c.Host]
	k := pkey{c.Proto, c.Port}
	switch c.Kind {
	case HostUp, HostDown:
		return hostStateString(h)
	case Opened, Closed, StateChanged:
		return stateString(h.portState(k))
	case Service:
		if h == nil || h.ports[k] == nil {
			return Absent
		}
		return h.ports[k].service
	}
	id := c.After
	if c.Kind == FindingFixed {
		id = c.Before
	}
	if h == nil || h.ports[k] == nil {
		return Absent
	}
	if _, ok := h.ports[k].findings[id]; ok {
		return id
	}
	return Absent
}

// agrees reports whether value v says what c's After says: for opened and
// closed, whether the port is open.
func agrees(c *Change, v string) bool {
	switch c.Kind {
	case Opened:
		return v == "open"
	case Closed:
		return v != "open"
	}
	return v == c.After
}

// Series compares the first and last of scans (oldest first), and follows
// each change through all of them: History, Flapping and Reopened. With
// settle above 1, a change is kept only when the last settle scans agree
// with its After; the others are returned apart, as not settled yet.
func Series(scans []*Scan, settle int) (changes, unsettled []Change) {
	if len(scans) < 2 {
		return nil, nil
	}
	all := Compare(scans[0], scans[len(scans)-1])
	for i := range all {
		c := &all[i]
		if len(scans) > 2 {
			c.History = make([]string, len(scans))
			for j, s := range scans {
				c.History[j] = valueAt(s, c)
			}
			follow(c)
		}
		if settle > 1 && !settled(scans, c, settle) {
			unsettled = append(unsettled, *c)
			continue
		}
		changes = append(changes, *c)
	}
	return changes, unsettled
}

// follow sets Flapping and Reopened from c's History.
func follow(c *Change) {
	flips := 0
	for j := 1; j < len(c.History); j++ {
		if agrees(c, c.History[j]) != agrees(c, c.History[j-1]) {
			flips++
		}
	}
	c.Flapping = flips > 1
	if c.Kind == Opened {
		// Open, then closed, in the scans before the last: reopened.
		for j := 0; j+1 < len(c.History)-1; j++ {
			if c.History[j] == "open" && c.History[j+1] != "open" {
				c.Reopened = true
			}
		}
	}
}

func settled(scans []*Scan, c *Change, n int) bool {
	if n > len(scans) {
		return false
	}
	for _, s := range scans[len(scans)-n:] {
		if !agrees(c, valueAt(s, c)) {
			return false
		}
	}
	return true
}

package firewall

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

// Verdict is what a rescan from another host found of one port, against
// what the ruleset should make of it.
type Verdict struct {
	Host  netip.Addr
	Proto record.Proto
	Port  uint16
	// Allowed: the ruleset admits new connections to it from anywhere;
	// Listening: something listens there.
	Allowed, Listening bool
	State              record.State
	// OK is whether the state is what it should be: an allowed port
	// that listens answers (open), every other listening port is
	// filtered.
	OK bool
}

func (v Verdict) String() string {
	want := "filtered"
	switch {
	case v.Allowed && v.Listening:
		want = "open"
	case v.Allowed:
		want = "open or closed"
	}
	mark := "ok"
	if !v.OK {
		mark = "WRONG"
	}
	return fmt.Sprintf("%-5s %s %s/%d: %s (want %s)", mark, v.Host, v.Proto, v.Port, v.State, want)
}

// VerifyPorts are the ports a rescan must probe: every TCP port the
// listeners use and the ruleset allows.
func VerifyPorts(rs *Ruleset, listening []record.Socket) portspec.Ranges {
	var ps []uint16
	for _, s := range listening {
		if s.Proto == record.TCP && s.State == record.SocketListen && s.Exposure.Exposed() {
			ps = append(ps, s.Local.Port())
		}
	}
	out := portspec.PortsOf(ps...)
	for _, r := range rs.Rules {
		if r.Proto == record.TCP && len(r.Sources) == 0 && r.Iface == "" {
			out = out.Union(r.Ports)
		}
	}
	return out
}

// Verify judges a TCP rescan of the host from another vantage point
// after the ruleset was applied: every allowed port that listens must
// answer, every other listening port must be filtered. Ports the ruleset
// allows only from some sources or through one interface are left out:
// the rescan's own source and interface decide them. listening are the
// host's sockets.
func Verify(rs *Ruleset, listening []record.Socket, results []record.PortResult) []Verdict {
	listens := map[uint16]bool{}
	for _, s := range listening {
		if s.Proto == record.TCP && s.State == record.SocketListen && s.Exposure.Exposed() {
			listens[s.Local.Port()] = true
		}
	}
	var out []Verdict
	for _, r := range results {
		if r.Proto != record.TCP || rs.restricted(r.Port) {
			continue
		}
		allowed := rs.Admits(record.TCP, netip.IPv6Unspecified(), r.Port, "")
		if !allowed && !listens[r.Port] {
			continue // neither allowed nor listening: nothing to prove
		}
		v := Verdict{Host: r.Host, Proto: r.Proto, Port: r.Port, Allowed: allowed, Listening: listens[r.Port], State: r.State}
		switch {
		case allowed && v.Listening:
			v.OK = r.State == record.Open
		case allowed:
			v.OK = r.State == record.Open || r.State == record.Closed // the firewall lets it through; nothing listens
		default:
			v.OK = r.State == record.Filtered
		}
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b Verdict) int {
		if c := a.Host.Compare(b.Host); c != 0 {
			return c
		}
		return int(a.Port) - int(b.Port)
	})
	return out
}

// restricted reports whether some rule admits the TCP port only from some
// sources or through one interface.
func (rs *Ruleset) restricted(port uint16) bool {
	for _, r := range rs.Rules {
		if r.Proto == record.TCP && r.Ports.Contains(port) && (len(r.Sources) > 0 || r.Iface != "") {
			return true
		}
	}
	return false
}

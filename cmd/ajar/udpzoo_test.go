//go:build linux

package main_test

import (
	"fmt"
	"testing"

	"github.com/ajarsec/ajar/internal/netnstest"
	"github.com/ajarsec/ajar/internal/zoo"
	"github.com/ajarsec/ajar/portspec"
)

// udpGaps are zoo daemons that ajar's UDP payloads do not reach yet, with
// why. None now: port 111 gets an ONC RPC NULL call.
var udpGaps = map[string]string{}

// TestScanZooUDP runs ajar scan -sU against real UDP daemons of the zoo
// (dnsmasq, snmpd, chrony, Kamailio, rpcbind) and plain UDP echo
// listeners, in a target whose other ports are closed by the kernel
// (ICMP limits lifted, so every closed port is answered), a band dropped
// and a band rejected by nftables. Each daemon must answer ajar's payload
// for its port: open; echo listeners answer anything: open; dropped:
// open|filtered; rejected: filtered; the rest closed.
//
// rpcbind answers only ONC RPC calls: ajar's NULL call to port 111 must
// reach it. A daemon that ajar's payloads cannot reach would be listed in
// udpGaps, with why.
func TestScanZooUDP(t *testing.T) {
	// Each daemon's reachability was proven by zoo.Start with a request of
	// its own protocol, rpcbind's with an RPC NULL call.
	z := zoo.Start(t, zoo.Options{Only: []string{"dnsmasq", "snmpd", "chrony", "kamailio", "rpcbind"}})
	z.Bed.ListenUDP(7000, 7007)
	z.Bed.Firewall(
		netnstest.Rule{Proto: "udp", Ports: "3000-3009", Action: "drop"},
		netnstest.Rule{Proto: "udp", Ports: "4000-4004", Action: "icmp-admin-prohibited"},
	)
	z.Bed.LiftICMPLimits()

	daemons := map[int]string{}
	for _, s := range z.Services(zoo.Usual) {
		if s.Proto == portspec.UDP {
			daemons[int(s.Port)] = s.Daemon
		}
	}
	if len(daemons) != 5 {
		t.Fatalf("zoo UDP services: %v, want 5", daemons)
	}
	want := func(p int) (state, reason string) {
		switch {
		case udpGaps[daemons[p]] != "":
			return "open|filtered", "no-response"
		case daemons[p] != "", p == 7000, p == 7007:
			return "open", "udp-response"
		case p >= 3000 && p <= 3009:
			return "open|filtered", "no-response"
		case p >= 4000 && p <= 4004:
			return "filtered", "admin-prohibited"
		}
		return "closed", "port-unreach"
	}
	const ports = "50-60,105-130,155-165,2995-3015,3995-4010,5055-5065,6995-7010"
	const count = 11 + 26 + 11 + 21 + 16 + 11 + 16
	out := scanIn(t, z.Bed, "-sU", "-p", ports, "--all-ports", "-o", "jsonl", "-q", z.Addr().String())
	recs := parseJSONL(t, out)
	if len(recs) != count {
		t.Errorf("%d results, want %d", len(recs), count)
	}
	seen := map[int]bool{}
	for _, r := range recs {
		seen[r.Port] = true
		state, reason := want(r.Port)
		if r.Proto != "udp" || r.State != state || r.Reason != reason {
			what := fmt.Sprintf("%d/%s", r.Port, r.Proto)
			if d := daemons[r.Port]; d != "" {
				what += " (" + d + ")"
			}
			t.Errorf("%s: %s (%s), want %s (%s)", what, r.State, r.Reason, state, reason)
			if gap := udpGaps[daemons[r.Port]]; gap != "" {
				t.Errorf("%s was a known gap (%s): remove it from udpGaps", what, gap)
			}
		}
	}
	for p := range daemons {
		if !seen[p] {
			t.Errorf("port %d (%s) not reported", p, daemons[p])
		}
	}
	if err := z.Check(); err != nil {
		t.Error(err)
	}
}

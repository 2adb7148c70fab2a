package fingerprint_test

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"testing"

	"github.com/ajarsec/ajar/fingerprint"
	_ "github.com/ajarsec/ajar/fingerprint/all"
	"github.com/ajarsec/ajar/portspec"
)

// The registry of UDP probes: every registered probe is checked by its
// protocol's specification (udpspec_test.go), has a plugin, and is what a
// UDP scan sends to its ports.

// checks holds, for each service, a check of each of its datagrams.
var checks = map[string][]func(*testing.T, []byte){
	"dns":            {checkDNS},
	"mdns":           {checkMDNS},
	"ntp":            {checkNTP},
	"netbios-ns":     {checkNetBIOS},
	"snmp":           {func(t *testing.T, b []byte) { checkSNMP(t, b, 1) }, func(t *testing.T, b []byte) { checkSNMP(t, b, 0) }},
	"isakmp":         {checkIKEv2, checkIKEv1},
	"ipsec-nat-t":    {checkNATT},
	"openvpn":        {checkOpenVPN},
	"ssdp":           {checkSSDP},
	"sip":            {checkSIP},
	"memcached":      {checkMemcached},
	"rpcbind":        {checkRPCNull},
	"tftp":           {checkTFTP},
	"stun":           {checkSTUN},
	"nat-pmp":        {checkNATPMP},
	"kerberos":       {checkKerberos},
	"mumble":         {checkMumble},
	"echo":           {func(t *testing.T, b []byte) { want(t, "echo probe", len(b) > 0, true) }},
	"daytime":        {checkAnyDatagram},
	"time":           {checkAnyDatagram},
	"chargen":        {checkAnyDatagram},
	"coap":           {checkCoAP},
	"l2tp":           {checkL2TP},
	"quic":           {checkQUIC},
	"ms-sql-m":       {checkMSSQLBrowser},
	"xdmcp":          {checkXDMCP},
	"ipmi":           {checkIPMI},
	"bittorrent-dht": {checkDHT},
	"ldap":           {checkCLDAP},
	"bacnet":         {checkBACnet},
	"quake3":         {checkQuake3},
	"a2s":            {checkA2S},
}

func TestUDPProbes(t *testing.T) {
	probes := fingerprint.UDPProbes()
	if len(probes) != len(checks) {
		t.Errorf("%d probes registered, %d checked", len(probes), len(checks))
	}
	for _, p := range probes {
		t.Run(p.Name, func(t *testing.T) {
			cs, ok := checks[p.Name]
			if !ok {
				t.Fatal("no check for this probe")
			}
			if len(cs) != len(p.Datagrams) {
				t.Fatalf("%d datagrams, %d checks", len(p.Datagrams), len(cs))
			}
			for i, d := range p.Datagrams {
				// A datagram that fits the IPv6 minimum MTU needs no
				// fragments on any path.
				if len(d) == 0 || len(d) > 1232 {
					t.Errorf("datagram %d: %d bytes", i, len(d))
				}
				t.Run(strconv.Itoa(i), func(t *testing.T) { cs[i](t, d) })
			}
		})
	}
}

// TestUDPProbesHavePlugins: each probe's answer is judged by the UDP
// plugin of its name, and every UDP plugin has a probe, so a silent port
// gets them all.
func TestUDPProbesHavePlugins(t *testing.T) {
	plugins := map[string]bool{}
	for _, p := range fingerprint.Plugins(portspec.UDP) {
		plugins[p.Info().Name] = true
	}
	for _, p := range fingerprint.UDPProbes() {
		if !plugins[p.Name] {
			t.Errorf("probe %s has no UDP plugin", p.Name)
		}
		delete(plugins, p.Name)
	}
	for name := range plugins {
		t.Errorf("UDP plugin %s has no probe", name)
	}
}

func TestUDPPayloadPorts(t *testing.T) {
	wantPorts := map[uint16]string{
		53: "dns", 69: "tftp", 123: "ntp", 137: "netbios-ns", 161: "snmp", 500: "isakmp",
		1194: "openvpn", 1900: "ssdp", 3478: "stun", 4500: "ipsec-nat-t", 5060: "sip",
		5351: "nat-pmp", 5353: "mdns", 11211: "memcached", 111: "rpcbind", 88: "kerberos",
		64738: "mumble", 7: "echo", 13: "daytime", 19: "chargen", 37: "time", 5683: "coap",
		1701: "l2tp", 443: "quic", 1434: "ms-sql-m", 177: "xdmcp", 623: "ipmi", 6881: "bittorrent-dht",
		389: "ldap", 47808: "bacnet", 27960: "quake3", 27015: "a2s",
	}
	byName := map[string]fingerprint.UDPProbe{}
	for _, p := range fingerprint.UDPProbes() {
		byName[p.Name] = p
	}
	ports := fingerprint.UDPPayloadPorts()
	want(t, "ports", len(ports), len(wantPorts))
	if !slices.IsSorted(ports) {
		t.Errorf("ports not sorted: %v", ports)
	}
	for _, port := range ports {
		ds, other := fingerprint.UDPPayload(port)
		p := byName[wantPorts[port]]
		if !slices.Contains(p.Ports, port) || len(ds) != len(p.Datagrams) {
			t.Errorf("port %d: %d datagrams, want %s's %d", port, len(ds), wantPorts[port], len(p.Datagrams))
			continue
		}
		for i := range ds {
			if !bytes.Equal(ds[i], p.Datagrams[i]) {
				t.Errorf("port %d datagram %d differs from the probe's", port, i)
			}
		}
		want(t, fmt.Sprint("another port's reply taken on ", port), other != nil, port == 69)
	}
	// UDPProbes hands out copies: the scan's table stays as it is.
	p := fingerprint.UDPProbes()[0]
	p.Datagrams[0][0] ^= 0xff
	ds, _ := fingerprint.UDPPayload(p.Ports[0])
	if ds[0][0] == p.Datagrams[0][0] {
		t.Errorf("%s: UDPProbes returned the table's own bytes", p.Name)
	}
	if ds, other := fingerprint.UDPPayload(9); ds != nil || other != nil {
		t.Errorf("port 9: %q, want nothing (the scanner's empty datagram)", ds)
	}
}

func TestRegisterUDPProbePanics(t *testing.T) {
	dns := []byte("x")
	for _, c := range []struct {
		name string
		p    fingerprint.UDPProbe
	}{
		{"a name twice", fingerprint.UDPProbe{Name: "dns", Datagrams: [][]byte{dns}, Rarity: 1}},
		{"a port twice", fingerprint.UDPProbe{Name: "test-dup-port", Ports: []uint16{53}, Datagrams: [][]byte{dns}, Rarity: 1}},
		{"no datagram", fingerprint.UDPProbe{Name: "test-none", Rarity: 1}},
		{"an empty datagram", fingerprint.UDPProbe{Name: "test-empty", Datagrams: [][]byte{{}}, Rarity: 1}},
		{"no rarity", fingerprint.UDPProbe{Name: "test-rarity", Datagrams: [][]byte{dns}}},
		{"upper case", fingerprint.UDPProbe{Name: "DNS2", Datagrams: [][]byte{dns}, Rarity: 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			fingerprint.RegisterUDPProbe(c.p)
		})
	}
}

// BenchmarkUDPPayload: a scan looks up each probe's datagrams without
// allocating.
func BenchmarkUDPPayload(b *testing.B) {
	ports := fingerprint.UDPPayloadPorts()
	ports = append(ports, 7, 9, 40000) // unclaimed: the empty datagram
	b.ReportAllocs()
	n := 0
	for i := 0; b.Loop(); i++ {
		ds, _ := fingerprint.UDPPayload(ports[i%len(ports)])
		n += len(ds)
	}
	if n == 0 {
		b.Fatal("no datagrams")
	}
}

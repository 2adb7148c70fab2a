package main_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ajarsec/ajar/internal/netnstest"
)

// discoverLAN is a LAN of four hosts: one that answers everything, one
// whose namespace holds no address (down), one that drops every IP packet
// but answers ARP and NDP, and one that drops ICMP and every TCP port but
// 443, where it listens. Every other address of its subnets is nobody's.
type discoverLAN struct {
	*netnstest.LAN
	up, noAddr, neighOnly, only443 *netnstest.LANHost
}

func newDiscoverLAN(t *testing.T) *discoverLAN {
	t.Helper()
	lan := netnstest.NewLAN(t, 4)
	d := &discoverLAN{LAN: lan, up: lan.Hosts[0], noAddr: lan.Hosts[1], neighOnly: lan.Hosts[2], only443: lan.Hosts[3]}
	d.noAddr.Unaddress()
	d.neighOnly.OnlyNeighbor()
	d.only443.Input("icmp type { echo-request, timestamp-request } drop",
		"icmpv6 type echo-request drop", "tcp dport != 443 drop")
	d.only443.ListenTCP(443)
	d.up.ListenTCP(22)
	return d
}

// hostRecord is a host line of ajar's JSON output; port is set only on
// port records.
type hostRecord struct {
	Host   string   `json:"host"`
	Status string   `json:"status"`
	Reason string   `json:"reason"`
	RTT    *float64 `json:"rtt_ms"`
	MAC    *string  `json:"mac"`
	Port   *int     `json:"port"`
	State  string   `json:"state"`
}

func parseRecords(t *testing.T, out string) []hostRecord {
	t.Helper()
	var recs []hostRecord
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var r hostRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("bad JSON line %q: %v", sc.Text(), err)
		}
		recs = append(recs, r)
	}
	return recs
}

// ajarIn runs ajar in ns, with a deadline, and returns stdout and stderr.
func ajarIn(t *testing.T, ns *netnstest.NS, args ...string) (string, string) {
	t.Helper()
	cmd := ns.Command(ajarBin, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	timer := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	defer timer.Stop()
	if err := cmd.Run(); err != nil {
		t.Fatalf("ajar %v: %v\n%s", args, err, e.String())
	}
	return o.String(), e.String()
}

// sweep runs a ping sweep and returns each host's status and reason,
// checking that every address of the swept block is reported once.
func (d *discoverLAN) sweep(t *testing.T, block netip.Prefix, extra ...string) (map[netip.Addr]hostRecord, string) {
	t.Helper()
	args := append([]string{"scan", "--sn", "-o", "jsonl", "--initial-timeout", "500ms"}, extra...)
	out, stderr := ajarIn(t, d.Scanner, append(args, block.String())...)
	got := map[netip.Addr]hostRecord{}
	for _, r := range parseRecords(t, out) {
		a := netip.MustParseAddr(r.Host)
		if _, dup := got[a]; dup {
			t.Errorf("%v reported twice", a)
		}
		got[a] = r
	}
	if want := 1 << (block.Addr().BitLen() - block.Bits()); len(got) != want {
		t.Errorf("%v: %d hosts reported, want %d", block, len(got), want)
	}
	return got, stderr
}

// upHosts is the set of addresses reported up.
func upHosts(got map[netip.Addr]hostRecord) map[netip.Addr]bool {
	up := map[netip.Addr]bool{}
	for a, r := range got {
		switch r.Status {
		case "up":
			up[a] = true
		case "down":
		default:
			up[a] = false // neither: fails the comparison
		}
	}
	return up
}

func addrSet(as ...netip.Addr) map[netip.Addr]bool {
	m := map[netip.Addr]bool{}
	for _, a := range as {
		m[a] = true
	}
	return m
}

// TestDiscoverSweep sweeps the LAN's IPv4 /24 and a /120 of its IPv6
// /64: ARP and NDP find exactly the hosts that hold their address,
// firewalled or not; IP probes alone (--disable-arp-ping) and unprivileged
// probes find exactly those that answer IP.
func TestDiscoverSweep(t *testing.T) {
	d := newDiscoverLAN(t)
	d.Scanner.Sysctl("net.ipv4.ping_group_range", "0 2147483647")
	blocks := []struct {
		name                         string
		block                        netip.Prefix
		self, up, neighOnly, only443 netip.Addr
		neighReason                  string
	}{
		{"IPv4", d.Net4, d.ScannerAddr4, d.up.Addr4, d.neighOnly.Addr4, d.only443.Addr4, "arp-response"},
		{"IPv6", netip.PrefixFrom(d.Net6.Addr(), 120), d.ScannerAddr6, d.up.Addr6, d.neighOnly.Addr6, d.only443.Addr6, "nd-advert"},
	}
	for _, b := range blocks {
		got, stderr := d.sweep(t, b.block)
		if want := addrSet(b.self, b.up, b.neighOnly, b.only443); !maps.Equal(upHosts(got), want) {
			t.Errorf("%s: up %v, want %v", b.name, upHosts(got), want)
		}
		for _, a := range []netip.Addr{b.up, b.neighOnly, b.only443} {
			if r := got[a]; r.Reason != b.neighReason || r.MAC == nil || r.RTT == nil {
				t.Errorf("%s %v: %+v, want %s with MAC and RTT", b.name, a, r, b.neighReason)
			}
		}
		if r := got[b.self]; r.Reason != "localhost-response" {
			t.Errorf("%s: this machine %v: %s", b.name, b.self, r.Reason)
		}
		if !strings.Contains(stderr, "ARP and NDP") {
			t.Errorf("%s: stderr does not name the probes: %q", b.name, stderr)
		}
		for _, mode := range [][]string{{"--disable-arp-ping"}, {"--unprivileged-ping"}} {
			got, stderr := d.sweep(t, b.block, mode...)
			if want := addrSet(b.self, b.up, b.only443); !maps.Equal(upHosts(got), want) {
				t.Errorf("%s %v: up %v, want %v", b.name, mode, upHosts(got), want)
			}
			if r := got[b.only443]; r.Reason != "syn-ack" {
				t.Errorf("%s %v: the 443-only host: %s, want syn-ack", b.name, mode, r.Reason)
			}
			if mode[0] == "--unprivileged-ping" && !strings.Contains(stderr, "unprivileged") {
				t.Errorf("%s: stderr does not say the probes are unprivileged: %q", b.name, stderr)
			}
		}
	}
}

// TestDiscoverFormats: a sweep's table lists up hosts and counts the
// rest; its XML has a status per host, with reason and MAC address.
func TestDiscoverFormats(t *testing.T) {
	d := newDiscoverLAN(t)
	block := netip.PrefixFrom(d.up.Addr4, 30) // .8-.11: up is .10, noAddr .11
	xmlPath := filepath.Join(t.TempDir(), "sweep.xml")
	out, _ := ajarIn(t, d.Scanner, "scan", "-sn", "--initial-timeout", "500ms", "--save", "xml:"+xmlPath, block.String())
	if !strings.Contains(out, "ajar scan report for "+d.up.Addr4.String()+"\nHost is up, arp-response") ||
		!strings.Contains(out, "MAC Address: ") || !strings.Contains(out, "4 IP addresses (1 host up)") ||
		strings.Contains(out, d.noAddr.Addr4.String()) {
		t.Errorf("table:\n%s", out)
	}
	b, err := os.ReadFile(xmlPath)
	if err != nil {
		t.Fatal(err)
	}
	var run struct {
		Hosts []struct {
			Status struct {
				State  string `xml:"state,attr"`
				Reason string `xml:"reason,attr"`
			} `xml:"status"`
			Addrs []struct {
				Addr string `xml:"addr,attr"`
				Type string `xml:"addrtype,attr"`
			} `xml:"address"`
		} `xml:"host"`
		Stats struct {
			Up    int `xml:"up,attr"`
			Down  int `xml:"down,attr"`
			Total int `xml:"total,attr"`
		} `xml:"runstats>hosts"`
	}
	if err := xml.Unmarshal(b, &run); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	states := map[string]string{}
	for _, h := range run.Hosts {
		states[h.Addrs[0].Addr] = h.Status.State + "/" + h.Status.Reason
		if h.Status.State == "up" && (len(h.Addrs) != 2 || h.Addrs[1].Type != "mac") {
			t.Errorf("up host without its MAC address: %+v", h)
		}
	}
	if len(states) != 4 || states[d.up.Addr4.String()] != "up/arp-response" ||
		states[d.noAddr.Addr4.String()] != "down/no-response" || run.Stats.Up != 1 || run.Stats.Down != 3 || run.Stats.Total != 4 {
		t.Errorf("XML hosts %v, stats %+v\n%s", states, run.Stats, b)
	}
}

// TestDiscoverThenScan: a scan of several hosts port-scans only those
// discovery found up and lists the down one as down; -Pn scans them all.
func TestDiscoverThenScan(t *testing.T) {
	d := newDiscoverLAN(t)
	targets := d.up.Addr4.String() + "-" + d.only443.Addr4.String()[strings.LastIndex(d.only443.Addr4.String(), ".")+1:]
	scanned := func(out string) (ports map[string]int, down []string) {
		ports = map[string]int{}
		for _, r := range parseRecords(t, out) {
			switch {
			case r.Port != nil:
				ports[r.Host]++
			case r.Status == "down":
				down = append(down, r.Host)
			}
		}
		return ports, down
	}
	out, _ := ajarIn(t, d.Scanner, "scan", "-sT", "-p", "22,443", "--all-ports", "-o", "jsonl", "--initial-timeout", "500ms", targets)
	ports, down := scanned(out)
	want := map[string]int{d.up.Addr4.String(): 2, d.neighOnly.Addr4.String(): 2, d.only443.Addr4.String(): 2}
	if !maps.Equal(ports, want) || !slices.Equal(down, []string{d.noAddr.Addr4.String()}) {
		t.Errorf("default scan: ports per host %v (want %v), down %v", ports, want, down)
	}
	out, _ = ajarIn(t, d.Scanner, "scan", "-sT", "-Pn", "-p", "22,443", "--all-ports", "-o", "jsonl", "--initial-timeout", "500ms", targets)
	ports, down = scanned(out)
	want[d.noAddr.Addr4.String()] = 2
	if !maps.Equal(ports, want) || len(down) != 0 {
		t.Errorf("-Pn: ports per host %v (want %v), down %v", ports, want, down)
	}
}

// groupTruth is what a scan of the LAN's first 16 addresses in host groups
// of 4 must find: the scanner itself and three hosts up (one group with
// no host up at all), every other address down.
func (d *discoverLAN) groupTruth() (block netip.Prefix, up map[string]bool) {
	block = netip.PrefixFrom(d.Net4.Addr(), 28) // .0-.15: groups .0-.3, .4-.7, .8-.11, .12-.15
	up = map[string]bool{}
	for _, a := range []netip.Addr{d.ScannerAddr4, d.up.Addr4, d.neighOnly.Addr4, d.only443.Addr4} {
		up[a.String()] = true
	}
	return block, up
}

// group is the index of a's host group (4 addresses a group) in block.
func group(block netip.Prefix, a string) int {
	return int(netip.MustParseAddr(a).As4()[3]-block.Addr().As4()[3]) / 4
}

// checkGroupRecords checks the JSON Lines of a scan of the group truth:
// every down address once as down, each up host's ports once each, open
// exactly where something listens. When streamed is set it also checks
// that a group's down hosts came before its first port.
func checkGroupRecords(t *testing.T, name string, d *discoverLAN, out string, ports int, streamed bool) {
	t.Helper()
	block, up := d.groupTruth()
	down := map[string]int{}
	perHost := map[string]map[int]bool{}
	var open []string
	firstPort := map[int]int{} // group → line of its first port
	lastDown := map[int]int{}  // group → line of its last down host
	upRec := map[string]bool{} // up hosts whose record came
	for i, r := range parseRecords(t, out) {
		g := group(block, r.Host)
		switch {
		case r.Port != nil:
			if perHost[r.Host] == nil {
				perHost[r.Host] = map[int]bool{}
			}
			if perHost[r.Host][*r.Port] {
				t.Errorf("%s: %s port %d twice", name, r.Host, *r.Port)
			}
			perHost[r.Host][*r.Port] = true
			if r.State == "open" {
				open = append(open, r.Host+":"+strconv.Itoa(*r.Port))
			}
			if _, ok := firstPort[g]; !ok {
				firstPort[g] = i
			}
		case r.Status == "down":
			down[r.Host]++
			lastDown[g] = i
		case r.Status == "up":
			// An up host's record marks it finished: after its ports.
			if upRec[r.Host] {
				t.Errorf("%s: two up records of %s", name, r.Host)
			}
			upRec[r.Host] = true
		default:
			t.Errorf("%s: a record neither port nor host: %+v", name, r)
		}
		if r.Port != nil && upRec[r.Host] {
			t.Errorf("%s: port %d of %s after its host record", name, *r.Port, r.Host)
		}
	}
	for i := range 16 {
		a := block.Addr().As4()
		a[3] += byte(i)
		s := netip.AddrFrom4(a).String()
		switch {
		case up[s] && (len(perHost[s]) != ports || down[s] != 0 || !upRec[s]):
			t.Errorf("%s: up host %s: %d ports, %d down records, up record %v; want %d ports and an up record", name, s, len(perHost[s]), down[s], upRec[s], ports)
		case !up[s] && (down[s] != 1 || perHost[s] != nil):
			t.Errorf("%s: down host %s: %d down records, %d ports", name, s, down[s], len(perHost[s]))
		}
	}
	slices.Sort(open)
	if want := []string{d.up.Addr4.String() + ":22", d.only443.Addr4.String() + ":443"}; !slices.Equal(open, want) {
		t.Errorf("%s: open %v, want %v", name, open, want)
	}
	if streamed {
		for g, fp := range firstPort {
			if ld, ok := lastDown[g]; ok && ld > fp {
				t.Errorf("%s: group %d: a down host written after its group's first port", name, g)
			}
		}
	}
}

// TestDiscoverGroups scans 16 addresses of the LAN in host groups of 4: it
// finds exactly the live hosts, scans only their ports, writes each
// group's down hosts before the group's ports, and lists every host once
// in the XML (up with its ports, or down).
func TestDiscoverGroups(t *testing.T) {
	d := newDiscoverLAN(t)
	block, up := d.groupTruth()
	xmlPath := filepath.Join(t.TempDir(), "groups.xml")
	out, stderr := ajarIn(t, d.Scanner, "scan", "-sT", "-p", "22,443,8000-8009", "--all-ports", "-o", "jsonl",
		"--max-hostgroup", "4", "--initial-timeout", "300ms", "--save", "xml:"+xmlPath, block.String())
	checkGroupRecords(t, "jsonl", d, out, 12, true)
	if !strings.Contains(stderr, "in 4 groups of 4") || !strings.Contains(stderr, "host discovery: 4 of 16 hosts up") {
		t.Errorf("stderr: %s", stderr)
	}
	b, err := os.ReadFile(xmlPath)
	if err != nil {
		t.Fatal(err)
	}
	var run struct {
		Hosts []struct {
			Status struct {
				State string `xml:"state,attr"`
			} `xml:"status"`
			Addrs []struct {
				Addr string `xml:"addr,attr"`
			} `xml:"address"`
			Ports []struct {
				Port int `xml:"portid,attr"`
			} `xml:"ports>port"`
		} `xml:"host"`
		Stats struct {
			Up    int `xml:"up,attr"`
			Down  int `xml:"down,attr"`
			Total int `xml:"total,attr"`
		} `xml:"runstats>hosts"`
	}
	if err := xml.Unmarshal(b, &run); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	seen := map[string]bool{}
	for _, h := range run.Hosts {
		addr := h.Addrs[0].Addr
		if seen[addr] {
			t.Errorf("XML: host %s listed twice", addr)
		}
		seen[addr] = true
		if want := map[bool]string{true: "up", false: "down"}[up[addr]]; h.Status.State != want ||
			want == "up" && len(h.Ports) != 12 {
			t.Errorf("XML: host %s %s with %d ports, want %s", addr, h.Status.State, len(h.Ports), want)
		}
	}
	if len(seen) != 16 || run.Stats.Up != 4 || run.Stats.Down != 12 || run.Stats.Total != 16 {
		t.Errorf("XML: %d hosts, stats %+v", len(seen), run.Stats)
	}
}

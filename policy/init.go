package policy

import (
	"cmp"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ajarsec/ajar/record"
)

// InitFrom says where Write's observations came from, for its header.
type InitFrom struct {
	// What is "this machine's sockets", "a scan of 10.0.0.0/24", "scan.jsonl".
	What string
	// Date is when, as the header writes it.
	Date string
}

// initPort is one port of a host as observed, for the policy Init writes.
type initPort struct {
	k         portKey
	exposures []record.Exposure
	ifaces    []string
	procs     []string
	users     []string
	binds     []string
	service   string // identified, or the port table's guess
	ident     bool
	fams      []int // the address families it listens in
	missing   bool  // it does not listen in every family of the machine
}

// InitLocal writes a commented policy that allows exactly what this
// machine listens on now: one host entry matching its addresses (or its
// hostname when it has none), loopback-only listeners kept to loopback.
func InitLocal(from InitFrom, local Subject, socks []record.Socket) string {
	ports := map[portKey]*initPort{}
	for i := range socks {
		s := &socks[i]
		if !listening(s) {
			continue
		}
		k := portKey{s.Proto, s.Local.Port()}
		ip := ports[k]
		if ip == nil {
			ip = &initPort{k: k}
			ports[k] = ip
		}
		ip.exposures = append(ip.exposures, s.Exposure)
		ip.ifaces = append(ip.ifaces, s.Interfaces...)
		ip.binds = append(ip.binds, s.Local.Addr().String())
		if s.Process != "" {
			ip.procs = append(ip.procs, s.Process)
		}
		if s.User != "" {
			ip.users = append(ip.users, s.User)
		}
	}
	var match []string
	for _, a := range sortedAddrs(local.Addrs) {
		if !a.IsLoopback() && !a.IsLinkLocalUnicast() {
			match = append(match, a.String())
		}
	}
	if len(match) == 0 && len(local.Names) > 0 {
		match = local.Names[:1]
	}
	if len(match) == 0 {
		match = []string{"*"}
	}
	fams := map[int]bool{}
	for _, m := range match {
		if a, err := netip.ParseAddr(m); err == nil {
			fams[map[bool]int{true: 4, false: 6}[a.Is4()]] = true
		}
	}
	for i := range socks {
		if ip := ports[portKey{socks[i].Proto, socks[i].Local.Port()}]; ip != nil && listening(&socks[i]) {
			for _, f := range families(&socks[i]) {
				ip.fams = append(ip.fams, f)
			}
		}
	}
	for _, ip := range ports {
		ip.missing = (fams[4] && !slices.Contains(ip.fams, 4)) || (fams[6] && !slices.Contains(ip.fams, 6))
	}
	var b strings.Builder
	header(&b, from)
	writeHost(&b, match, "this machine", sortedPorts(ports), true)
	return b.String()
}

// InitScan writes a commented policy that allows exactly the open ports a
// scan found, one host entry a host.
func InitScan(from InitFrom, results []record.PortResult) string {
	hosts := map[netip.Addr]map[portKey]*initPort{}
	names := map[netip.Addr]string{}
	for i := range results {
		r := &results[i]
		if r.State != record.Open {
			continue
		}
		if hosts[r.Host] == nil {
			hosts[r.Host] = map[portKey]*initPort{}
		}
		if r.Hostname != "" {
			names[r.Host] = r.Hostname
		}
		k := portKey{r.Proto, r.Port}
		ip := &initPort{k: k}
		if r.Service != nil {
			ip.service, ip.ident = r.Service.Name, identified(r.Service)
		}
		hosts[r.Host][k] = ip
	}
	var b strings.Builder
	header(&b, from)
	addrs := make([]netip.Addr, 0, len(hosts))
	for a := range hosts {
		addrs = append(addrs, a)
	}
	slices.SortFunc(addrs, netip.Addr.Compare)
	if len(addrs) == 0 {
		b.WriteString("  # the scan found no open port: add host entries here\n  []\n")
	}
	for _, a := range addrs {
		writeHost(&b, []string{a.String()}, names[a], sortedPorts(hosts[a]), false)
	}
	return b.String()
}

func header(b *strings.Builder, from InitFrom) {
	fmt.Fprintf(b, "# ajar policy: which ports may be open. Written by `ajar policy init` from\n# %s", from.What)
	if from.Date != "" {
		fmt.Fprintf(b, " on %s", from.Date)
	}
	b.WriteString(`.
# Everything a host entry does not allow is denied. Each allow entry may say:
#   exposure: loopback | interface NAME | all   where it may listen
#   process: NAME / user: NAME                   who must own the listener
#   service: NAME / product: TEXT                what must answer (needs -sV)
#   sources: [CIDR, ...]                         who may connect (for the firewall)
#   required: true                               it must be open
# Check it:   ajar policy lint FILE
# Enforce it: ajar check --policy FILE --local   (or TARGET... to scan)
#             ajar firewall --policy FILE        (the nftables rules that close the rest)
version: 1
hosts:
`)
}

func writeHost(b *strings.Builder, match []string, note string, ports []*initPort, local bool) {
	quoted := make([]string, len(match))
	for i, m := range match {
		quoted[i] = yamlScalar(m)
	}
	fmt.Fprintf(b, "  - match: [%s]", strings.Join(quoted, ", "))
	if note != "" {
		fmt.Fprintf(b, "  # %s", oneLineComment(note))
	}
	b.WriteString("\n    allow:\n")
	if len(ports) == 0 {
		b.WriteString("      []  # nothing listens: every port is denied\n")
	}
	for _, p := range ports {
		fmt.Fprintf(b, "      - port: %s", p.k)
		if c := p.comment(); c != "" {
			fmt.Fprintf(b, "  # %s", oneLineComment(c))
		}
		b.WriteString("\n")
		if local {
			p.writeLocal(b)
		} else if p.ident && p.service != "" {
			fmt.Fprintf(b, "        service: %s\n", yamlScalar(p.service))
		}
	}
}

func (p *initPort) comment() string {
	var parts []string
	if procs := uniq(p.procs); len(procs) > 0 {
		parts = append(parts, strings.Join(procs, ", "))
	}
	if users := uniq(p.users); len(users) > 0 {
		parts = append(parts, "user "+strings.Join(users, ", "))
	}
	if binds := uniq(p.binds); len(binds) > 0 {
		parts = append(parts, "on "+strings.Join(binds, ", "))
	}
	if p.service != "" && !p.ident {
		parts = append(parts, "usually "+p.service)
	}
	return strings.Join(parts, "; ")
}

func (p *initPort) writeLocal(b *strings.Builder) {
	widest := slices.Max(p.exposures)
	ifaces := uniq(p.ifaces)
	switch {
	case widest == record.ExposureLoopback:
		b.WriteString("        exposure: loopback\n")
	case (widest == record.ExposureInterface || widest == record.ExposureLocalLink) && len(ifaces) == 1:
		fmt.Fprintf(b, "        exposure: interface %s\n", ifaces[0])
	default:
		b.WriteString("        # exposure: loopback   # uncomment to keep it to this machine\n")
	}
	if procs := uniq(p.procs); len(procs) == 1 {
		fmt.Fprintf(b, "        process: %s\n", yamlScalar(procs[0]))
	}
	switch {
	case p.k.proto == record.TCP && widest.Exposed() && p.missing:
		b.WriteString("        # required: true   # listens in one address family only: required would demand both\n")
	case p.k.proto == record.TCP && widest.Exposed():
		b.WriteString("        required: true\n")
	}
}

func sortedPorts(m map[portKey]*initPort) []*initPort {
	out := make([]*initPort, 0, len(m))
	for _, p := range m {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *initPort) int {
		return cmp.Or(cmp.Compare(a.k.proto, b.k.proto), cmp.Compare(a.k.port, b.k.port))
	})
	return out
}

func uniq(xs []string) []string {
	out := slices.Clone(xs)
	slices.Sort(out)
	return slices.Compact(out)
}

var plainScalar = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_./:@+-]*$`)

// yamlScalar writes s as a YAML scalar: plain when it is safe, else
// double-quoted (JSON's escapes are YAML's).
func yamlScalar(s string) string {
	if plainScalar.MatchString(s) && !strings.HasSuffix(s, ":") && !strings.Contains(s, ": ") {
		switch strings.ToLower(s) {
		case "true", "false", "yes", "no", "on", "off", "null", "y", "n":
		default:
			return s
		}
	}
	return strconv.Quote(s)
}

// oneLineComment keeps a comment on its line.
func oneLineComment(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r < 0x20 {
			return ' '
		}
		return r
	}, s)
}

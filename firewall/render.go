package firewall

import (
	"fmt"
	"strings"
)

// The ICMP types every ruleset accepts: path MTU discovery, errors,
// echo, and IPv6 neighbour and router discovery (RFC 4890's must-not-drop
// list, with MLD for multicast listeners).
var (
	icmpTypes   = []string{"echo-request", "destination-unreachable", "time-exceeded", "parameter-problem"}
	icmpv6Types = []string{"destination-unreachable", "packet-too-big", "time-exceeded", "parameter-problem",
		"echo-request", "nd-router-solicit", "nd-router-advert", "nd-neighbor-solicit", "nd-neighbor-advert",
		"mld-listener-query", "mld-listener-report", "mld2-listener-report"}
)

// NFT writes the ruleset as one nft -f transaction that replaces table
// inet ajar and nothing else.
func (rs *Ruleset) NFT() string {
	var b strings.Builder
	rs.header(&b, "#", "nftables; apply with nft -f FILE or ajar firewall --apply")
	fmt.Fprintf(&b, "add table inet %s\nflush table inet %s\ntable inet %s {\n", Table, Table, Table)
	b.WriteString("\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n")
	b.WriteString("\t\tct state established,related accept\n\t\tct state invalid drop\n\t\tiif \"lo\" accept\n")
	fmt.Fprintf(&b, "\t\tmeta l4proto icmp icmp type { %s } accept\n", strings.Join(icmpTypes, ", "))
	fmt.Fprintf(&b, "\t\tmeta l4proto ipv6-icmp icmpv6 type { %s } accept\n", strings.Join(icmpv6Types, ", "))
	for i := range rs.Rules {
		r := &rs.Rules[i]
		fmt.Fprintf(&b, "\t\t# %s\n", r.Pos)
		for _, m := range r.nftMatches() {
			fmt.Fprintf(&b, "\t\t%s%s dport { %s } accept\n", m, r.Proto, strings.Join(rangeText(r.Ports, "-"), ", "))
		}
	}
	b.WriteString("\t}\n")
	// Forwarded connections that DNAT sent on (published container ports):
	// only to the ports the policy allows, judged by the port they were
	// sent to before the translation.
	b.WriteString("\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n")
	b.WriteString("\t\tct state established,related accept\n")
	for i := range rs.Rules {
		r := &rs.Rules[i]
		// One rule a range: nft cannot list an anonymous set of
		// untyped ct proto-dst values in a form it reads back.
		for _, m := range r.nftMatches() {
			for _, pr := range rangeText(r.Ports, "-") {
				fmt.Fprintf(&b, "\t\t%sct status dnat meta l4proto %s ct original proto-dst %s accept\n", m, r.Proto, pr)
			}
		}
	}
	b.WriteString("\t\tct status dnat drop\n\t}\n}\n")
	return b.String()
}

// nftMatches are the matches that start a rule's lines: its interface and
// its sources, one line per family with sources.
func (r *Rule) nftMatches() []string {
	iif := ""
	if r.Iface != "" {
		iif = fmt.Sprintf("iifname %q ", r.Iface)
	}
	if len(r.Sources) == 0 {
		return []string{iif}
	}
	v4, v6 := r.sources()
	var out []string
	if len(v4) > 0 {
		out = append(out, fmt.Sprintf("%sip saddr { %s } ", iif, strings.Join(v4, ", ")))
	}
	if len(v6) > 0 {
		out = append(out, fmt.Sprintf("%sip6 saddr { %s } ", iif, strings.Join(v6, ", ")))
	}
	return out
}

// Iptables writes the ruleset for iptables-restore and ip6tables-restore:
// two files in one text, each a filter table ("*filter" ... "COMMIT"),
// the IPv6 one after the line "# ip6tables-restore". iptables-restore
// replaces the whole filter table.
func (rs *Ruleset) Iptables() string {
	var b strings.Builder
	rs.header(&b, "#", "iptables-restore; the IPv6 half below is for ip6tables-restore")
	b.WriteString(rs.iptables(false))
	b.WriteString("# ip6tables-restore\n")
	b.WriteString(rs.iptables(true))
	return b.String()
}

// IptablesFamily writes the filter table of one family only.
func (rs *Ruleset) IptablesFamily(v6 bool) string { return rs.iptables(v6) }

func (rs *Ruleset) iptables(v6 bool) string {
	var b strings.Builder
	b.WriteString("*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n")
	b.WriteString("-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n")
	b.WriteString("-A INPUT -m conntrack --ctstate INVALID -j DROP\n-A INPUT -i lo -j ACCEPT\n")
	if v6 {
		for _, t := range icmpv6Types {
			fmt.Fprintf(&b, "-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type %s -j ACCEPT\n", ip6tType(t))
		}
	} else {
		for _, t := range icmpTypes {
			fmt.Fprintf(&b, "-A INPUT -p icmp -m icmp --icmp-type %s -j ACCEPT\n", t)
		}
	}
	var fwd []string
	for i := range rs.Rules {
		r := &rs.Rules[i]
		has4, has6 := r.families()
		if (v6 && !has6) || (!v6 && !has4) {
			continue
		}
		srcs := []string{""}
		if v4s, v6s := r.sources(); len(r.Sources) > 0 {
			srcs = v4s
			if v6 {
				srcs = v6s
			}
		}
		for _, src := range srcs {
			m := ""
			if r.Iface != "" {
				m += " -i " + r.Iface
			}
			if src != "" {
				m += " -s " + src
			}
			for _, pr := range rangeText(r.Ports, ":") {
				fmt.Fprintf(&b, "-A INPUT%s -p %s -m %s --dport %s -m comment --comment %q -j ACCEPT\n", m, r.Proto, r.Proto, pr, r.Pos.String())
				fwd = append(fwd, fmt.Sprintf("-A FORWARD%s -m conntrack --ctstate DNAT --ctproto %s --ctorigdstport %s -j ACCEPT\n", m, r.Proto, pr))
			}
		}
	}
	b.WriteString("-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n")
	b.WriteString(strings.Join(fwd, ""))
	b.WriteString("-A FORWARD -m conntrack --ctstate DNAT -j DROP\nCOMMIT\n")
	return b.String()
}

// ip6tType is ip6tables' name of an ICMPv6 type.
func ip6tType(t string) string {
	switch t {
	case "nd-router-solicit":
		return "router-solicitation"
	case "nd-router-advert":
		return "router-advertisement"
	case "nd-neighbor-solicit":
		return "neighbour-solicitation"
	case "nd-neighbor-advert":
		return "neighbour-advertisement"
	case "mld-listener-query":
		return "130"
	case "mld-listener-report":
		return "131"
	case "mld2-listener-report":
		return "143"
	}
	return t
}

// UFW writes the ruleset as ufw commands: reset, deny incoming, allow
// each port, enable. ufw handles established traffic, loopback and ICMP
// itself. Docker's published ports bypass ufw: the nftables ruleset's
// forward chain is what holds them.
func (rs *Ruleset) UFW() string {
	var b strings.Builder
	rs.header(&b, "#", "ufw commands; run as a shell script")
	b.WriteString("# Docker's published ports bypass ufw: use the nftables ruleset to hold them.\n")
	b.WriteString("ufw --force reset\nufw default deny incoming\nufw default allow outgoing\n")
	for _, line := range rs.ufwRules() {
		b.WriteString("ufw " + line + "\n")
	}
	b.WriteString("ufw --force enable\n")
	return b.String()
}

// ufwRules are the ufw rule arguments, one a port range and source.
func (rs *Ruleset) ufwRules() []string {
	var out []string
	for i := range rs.Rules {
		r := &rs.Rules[i]
		on := ""
		if r.Iface != "" {
			on = " on " + r.Iface
		}
		srcs := []string{"any"}
		if len(r.Sources) > 0 {
			v4, v6 := r.sources()
			srcs = append(v4, v6...)
		}
		for _, src := range srcs {
			for _, pr := range rangeText(r.Ports, ":") {
				out = append(out, fmt.Sprintf("allow in%s from %s to any port %s proto %s comment %q", on, src, pr, r.Proto, r.Pos.String()))
			}
		}
	}
	return out
}

// Firewalld writes the ruleset as firewall-offline-cmd commands that make
// a zone "ajar" with target DROP and the policy's ports, and make it the
// default zone. firewalld itself accepts established traffic, loopback
// and ICMP.
func (rs *Ruleset) Firewalld() string {
	var b strings.Builder
	rs.header(&b, "#", "firewalld; run as a shell script, then firewall-cmd --reload")
	for _, args := range rs.firewalldArgs() {
		b.WriteString("firewall-offline-cmd " + shellQuote(args) + "\n")
	}
	return b.String()
}

// firewalldArgs are the firewall-offline-cmd calls, each its arguments:
// firewall-offline-cmd repeats one option in a call, never mixes two.
func (rs *Ruleset) firewalldArgs() [][]string {
	type zone struct {
		name             string
		iface            string
		ports, richRules []string
	}
	zones := []*zone{{name: "ajar"}}
	byIface := map[string]*zone{}
	for i := range rs.Rules {
		r := &rs.Rules[i]
		for _, pr := range rangeText(r.Ports, "-") {
			switch {
			case len(r.Sources) > 0:
				for _, src := range r.Sources {
					fam := "ipv4"
					if src.Addr().Is6() {
						fam = "ipv6"
					}
					zones[0].richRules = append(zones[0].richRules, fmt.Sprintf(`--add-rich-rule=rule family="%s" source address="%s" port port="%s" protocol="%s" accept`, fam, src, pr, r.Proto))
				}
			case r.Iface != "":
				// firewalld ties interfaces to zones, not to rules: a zone
				// of its own holds the interface's ports.
				z := byIface[r.Iface]
				if z == nil {
					z = &zone{name: "ajar-" + r.Iface, iface: r.Iface}
					byIface[r.Iface] = z
					zones = append(zones, z)
				}
				z.ports = append(z.ports, fmt.Sprintf("--add-port=%s/%s", pr, r.Proto))
			default:
				zones[0].ports = append(zones[0].ports, fmt.Sprintf("--add-port=%s/%s", pr, r.Proto))
			}
		}
	}
	var out [][]string
	for _, z := range zones {
		sel := "--zone=" + z.name
		out = append(out, []string{"--new-zone=" + z.name}, []string{sel, "--set-target=DROP"})
		if z.iface != "" {
			out = append(out, []string{sel, "--add-interface=" + z.iface})
		}
		for _, opts := range [][]string{z.ports, z.richRules} {
			if len(opts) > 0 {
				out = append(out, append([]string{sel}, opts...))
			}
		}
	}
	return append(out, []string{"--set-default-zone=ajar"})
}

// PF writes the ruleset as pf.conf rules (OpenBSD, FreeBSD, macOS).
func (rs *Ruleset) PF() string {
	var b strings.Builder
	rs.header(&b, "#", "pf.conf; load with pfctl -f FILE")
	b.WriteString("set skip on lo\nblock in all\npass out all keep state\n")
	b.WriteString("pass in inet proto icmp icmp-type { echoreq, unreach, timex, paramprob }\n")
	b.WriteString("pass in inet6 proto ipv6-icmp icmp6-type { unreach, toobig, timex, paramprob, echoreq, routersol, routeradv, neighbrsol, neighbradv }\n")
	for i := range rs.Rules {
		r := &rs.Rules[i]
		on, from := "", ""
		if r.Iface != "" {
			on = " on " + r.Iface
		}
		if len(r.Sources) > 0 {
			v4, v6 := r.sources()
			from = " from { " + strings.Join(append(v4, v6...), ", ") + " }"
		}
		fmt.Fprintf(&b, "# %s\npass in%s proto %s%s to port { %s }\n", r.Pos, on, r.Proto, from, strings.Join(rangeText(r.Ports, ":"), ", "))
	}
	return b.String()
}

// shellQuote quotes arguments for a POSIX shell.
func shellQuote(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=./:") == "" {
			out[i] = a
			continue
		}
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(out, " ")
}

//go:build linux

package netnstest

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/ajarsec/ajar/portspec"
)

// Rule is one firewall rule on the target's input: packets of Proto to
// Ports get Action.
type Rule struct {
	// Proto is "tcp" or "udp".
	Proto string
	// Ports is a port list in portspec syntax ("22,80", "20000-65535",
	// "-1024"); empty means every port.
	Ports string
	// Action is what the target does with a matching packet:
	//   "drop"                  no answer at all (filtered)
	//   "reset"                 a TCP RST, as from a closed port (tcp only)
	//   "icmp-admin-prohibited" ICMP/ICMPv6 administratively prohibited
	//   "icmp-port-unreachable" ICMP/ICMPv6 port unreachable
	//   "icmp-host-unreachable" ICMP host / ICMPv6 address unreachable
	Action string
}

// verdicts maps a Rule's Action to its nftables statement.
var verdicts = map[string]string{
	"drop":                  "drop",
	"reset":                 "reject with tcp reset",
	"icmp-admin-prohibited": "reject with icmpx type admin-prohibited",
	"icmp-port-unreachable": "reject with icmpx type port-unreachable",
	"icmp-host-unreachable": "reject with icmpx type host-unreachable",
}

// Table is the nftables table Firewall owns in the target namespace.
const Table = "ajar_test"

// Firewall replaces the target's firewall with rules, applied in order to
// IPv4 and IPv6 packets arriving at the target. No rules means no
// filtering. A rule nft rejects fails the test with nft's message.
func (b *Bed) Firewall(rules ...Rule) {
	b.t.Helper()
	if err := b.applyFirewall(rules); err != nil {
		b.t.Fatal(err)
	}
}

func (b *Bed) applyFirewall(rules []Rule) error {
	script, err := nftScript(rules)
	if err != nil {
		return err
	}
	cmd := b.Target.Command("nft", "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("nft in %s: %v\n%s\nscript:\n%s", b.Target.Name, err, bytes.TrimSpace(out), script)
	}
	return nil
}

// nftScript renders rules as one nft transaction that replaces the table
// atomically: declaring the table first makes the delete valid when it
// does not exist yet.
func nftScript(rules []Rule) (string, error) {
	var s strings.Builder
	fmt.Fprintf(&s, "table inet %s\ndelete table inet %s\n", Table, Table)
	fmt.Fprintf(&s, "table inet %s {\n\tchain input {\n", Table)
	s.WriteString("\t\ttype filter hook input priority filter; policy accept;\n")
	for i, r := range rules {
		line, err := r.nft()
		if err != nil {
			return "", fmt.Errorf("rule %d: %w", i, err)
		}
		fmt.Fprintf(&s, "\t\t%s\n", line)
	}
	s.WriteString("\t}\n}\n")
	return s.String(), nil
}

// nft renders the rule as an nftables rule.
func (r Rule) nft() (string, error) {
	verdict, ok := verdicts[r.Action]
	if !ok {
		return "", fmt.Errorf("unknown action %q", r.Action)
	}
	if r.Proto != "tcp" && r.Proto != "udp" {
		return "", fmt.Errorf("unknown protocol %q", r.Proto)
	}
	match := "meta l4proto " + r.Proto
	if r.Ports != "" {
		ports, err := portspec.ParseRanges(r.Ports)
		if err != nil {
			return "", err
		}
		var set []string
		for _, pr := range ports.Ranges() {
			set = append(set, pr.String())
		}
		match = fmt.Sprintf("%s dport { %s }", r.Proto, strings.Join(set, ", "))
	}
	return match + " " + verdict, nil
}

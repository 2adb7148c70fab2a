package firewall

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/ajarsec/ajar/policy"
	"github.com/ajarsec/ajar/record"
)

const testPolicy = `version: 1
hosts:
  - match: [10.0.0.5, "fd00::5"]
    allow:
      - port: tcp/22
        sources: [192.0.2.0/24, 198.51.100.7, "2001:db8::/32"]
      - port: tcp/80,443
      - port: udp/53
        exposure: interface eth0
      - port: tcp/5432
        exposure: loopback
      - port: tcp/8000-8100
        sources: ["2001:db8:1::/48"]
  - match: 10.0.0.6
    allow:
      - port: tcp/3306
`

func testRuleset(t *testing.T) Ruleset {
	t.Helper()
	p, err := policy.Parse("p.yaml", []byte(testPolicy))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := FromPolicy(p, policy.Subject{Addrs: []netip.Addr{netip.MustParseAddr("10.0.0.5")}}, "10.0.0.5")
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func TestFromPolicy(t *testing.T) {
	rs := testRuleset(t)
	if len(rs.Rules) != 4 {
		t.Fatalf("%d rules: %+v", len(rs.Rules), rs.Rules)
	}
	p, _ := policy.Parse("p.yaml", []byte(testPolicy))
	if _, err := FromPolicy(p, policy.Subject{Addrs: []netip.Addr{netip.MustParseAddr("10.9.9.9")}}, "x"); err == nil {
		t.Error("a host the policy does not name got a ruleset")
	}
}

func TestAdmits(t *testing.T) {
	rs := testRuleset(t)
	a := netip.MustParseAddr
	for _, c := range []struct {
		proto record.Proto
		src   string
		port  uint16
		iface string
		want  bool
	}{
		{record.TCP, "192.0.2.9", 22, "", true},
		{record.TCP, "198.51.100.7", 22, "", true},
		{record.TCP, "198.51.100.8", 22, "", false},
		{record.TCP, "2001:db8::1", 22, "", true},
		{record.TCP, "203.0.113.1", 443, "", true},
		{record.UDP, "203.0.113.1", 53, "", false},
		{record.UDP, "203.0.113.1", 53, "eth0", true},
		{record.TCP, "203.0.113.1", 5432, "", false},
		{record.TCP, "127.0.0.1", 5432, "", true},
		{record.TCP, "10.1.1.1", 8050, "", false},
		{record.TCP, "2001:db8:1::9", 8050, "", true},
		{record.TCP, "203.0.113.1", 3306, "", false},
	} {
		if got := rs.Admits(c.proto, a(c.src), c.port, c.iface); got != c.want {
			t.Errorf("Admits(%v %s :%d %q) = %v", c.proto, c.src, c.port, c.iface, got)
		}
	}
}

func TestRender(t *testing.T) {
	rs := testRuleset(t)
	for f, frags := range map[Format][]string{
		NFT: {"add table inet ajar\nflush table inet ajar\n", "policy drop;", "ct state established,related accept",
			"ip saddr { 192.0.2.0/24, 198.51.100.7 } tcp dport { 22 } accept", "ip6 saddr { 2001:db8::/32 } tcp dport { 22 } accept",
			"iifname \"eth0\" udp dport { 53 } accept", "tcp dport { 80, 443 } accept", "ip6 saddr { 2001:db8:1::/48 } tcp dport { 8000-8100 } accept",
			"ct status dnat meta l4proto tcp ct original proto-dst 443 accept", "ct status dnat drop", "nd-neighbor-solicit"},
		Iptables: {"*filter\n:INPUT DROP", "-A INPUT -s 192.0.2.0/24 -p tcp -m tcp --dport 22", "-A INPUT -i eth0 -p udp -m udp --dport 53",
			"-A INPUT -s 2001:db8:1::/48 -p tcp -m tcp --dport 8000:8100", "--ctstate DNAT --ctproto tcp --ctorigdstport 443 -j ACCEPT", "# ip6tables-restore"},
		UFW:       {"ufw default deny incoming", "ufw allow in from 198.51.100.7 to any port 22 proto tcp", "ufw allow in on eth0 from any to any port 53 proto udp"},
		Firewalld: {"--zone=ajar --set-target=DROP", "--add-port=80/tcp", `source address="192.0.2.0/24" port port="22" protocol="tcp" accept`, "--zone=ajar-eth0 --add-interface=eth0\n"},
		PF:        {"block in all", "pass in proto tcp from { 192.0.2.0/24, 198.51.100.7, 2001:db8::/32 } to port { 22 }", "pass in on eth0 proto udp to port { 53 }"},
	} {
		out, err := rs.Render(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, frag := range frags {
			if !strings.Contains(out, frag) {
				t.Errorf("%s lacks %q:\n%s", f, frag, out)
			}
		}
		if strings.Contains(out, "5432") || strings.Contains(out, "3306") {
			t.Errorf("%s opens a loopback-only or another host's port:\n%s", f, out)
		}
	}
	if strings.Contains(rs.NFT(), "flush ruleset") {
		t.Error("flushes the ruleset")
	}
}

func TestParseFormat(t *testing.T) {
	if f, err := ParseFormat("nft"); err != nil || f != NFT {
		t.Errorf("%v %v", f, err)
	}
	if _, err := ParseFormat("windows"); err == nil {
		t.Error("took windows")
	}
}

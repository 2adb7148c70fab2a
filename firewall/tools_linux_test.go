package firewall

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ajarsec/ajar/internal/netnstest"
)

// requireTool skips without the program (from Debian package pkg, which
// scripts/test-deps.sh installs), and fails under CI=true.
func requireTool(t *testing.T, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (Debian package %s) is needed under CI=true: scripts/test-deps.sh installs it", name, pkg)
	}
	t.Skipf("needs %s (Debian package %s)", name, pkg)
	return ""
}

// TestNFTApply applies the ruleset in a namespace with nft, reads it back
// and compares, replaces it, then restores the state before: the other
// table of the namespace is never touched.
func TestNFTApply(t *testing.T) {
	requireTool(t, "nft", "nftables")
	ns := netnstest.New(t)
	ctx := context.Background()
	ns.Run("nft", "add table inet other; add chain inet other c { type filter hook input priority 10; policy accept; }; add rule inet other c tcp dport 9 counter")
	rs := testRuleset(t)
	if err := Check(ctx, ns.Name, &rs); err != nil {
		t.Fatalf("nft -c: %v\n%s", err, rs.NFT())
	}
	undo, err := Apply(ctx, ns.Name, &rs)
	if err != nil {
		t.Fatalf("%v\n%s", err, rs.NFT())
	}
	if !strings.Contains(undo, "delete table inet ajar") || strings.Contains(undo, "chain input") {
		t.Errorf("undo of a missing table: %q", undo)
	}
	// Applying twice replaces, and the undo now holds the table.
	rs2 := rs
	rs2.Rules = rs.Rules[:1]
	undo2, err := Apply(ctx, ns.Name, &rs2)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(undo2, "tcp dport { 80, 443 } accept") && !strings.Contains(undo2, "tcp dport { 80, 443 }") {
		t.Errorf("undo lacks the table it replaces:\n%s", undo2)
	}
	got := ns.Run("nft", "-j", "list", "table", "inet", "ajar")
	if err := Compare(&rs2, []byte(got)); err != nil {
		t.Error(err)
	}
	if err := Compare(&rs, []byte(got)); err == nil {
		t.Error("Compare took a table with fewer rules")
	}
	if err := Restore(ctx, ns.Name, undo2); err != nil {
		t.Fatal(err)
	}
	if err := Compare(&rs, []byte(ns.Run("nft", "-j", "list", "table", "inet", "ajar"))); err != nil {
		t.Errorf("after restore: %v", err)
	}
	if err := Restore(ctx, ns.Name, undo); err != nil {
		t.Fatal(err)
	}
	if out := ns.Run("nft", "list", "tables"); strings.Contains(out, "ajar") || !strings.Contains(out, "inet other") {
		t.Errorf("tables after the last restore: %s", out)
	}
	if out := ns.Run("nft", "list", "table", "inet", "other"); !strings.Contains(out, "tcp dport 9 counter") {
		t.Errorf("the other table changed: %s", out)
	}
}

// TestIptablesRestore has iptables-restore and ip6tables-restore check
// the generated tables (--test: nothing is committed), in a namespace.
func TestIptablesRestore(t *testing.T) {
	requireTool(t, "iptables-restore", "iptables")
	ns := netnstest.New(t)
	rs := testRuleset(t)
	for _, c := range []struct {
		cmd string
		v6  bool
	}{{"iptables-restore", false}, {"ip6tables-restore", true}} {
		cmd := ns.Command(c.cmd, "--test")
		cmd.Stdin = strings.NewReader(rs.IptablesFamily(c.v6))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s --test: %v\n%s\n%s", c.cmd, err, out, rs.IptablesFamily(c.v6))
		}
	}
	// The check can fail: a bad rule is refused.
	cmd := ns.Command("iptables-restore", "--test")
	cmd.Stdin = strings.NewReader("*filter\n-A INPUT -p tcp --dport 70000 -j ACCEPT\nCOMMIT\n")
	if err := cmd.Run(); err == nil {
		t.Error("iptables-restore --test took a bad port")
	}
}

// TestUFWDryRun has ufw parse each rule (--dry-run changes nothing).
func TestUFWDryRun(t *testing.T) {
	requireTool(t, "ufw", "ufw")
	t.Parallel()
	rs := testRuleset(t)
	for _, rule := range rs.ufwRules() {
		args := append([]string{"--dry-run"}, splitUFW(rule)...)
		if out, err := exec.Command("ufw", args...).CombinedOutput(); err != nil {
			t.Errorf("ufw %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	if err := exec.Command("ufw", "--dry-run", "allow", "in", "from", "any", "to", "any", "port", "70000", "proto", "tcp").Run(); err == nil {
		t.Error("ufw took a bad port")
	}
}

// splitUFW splits a ufw rule as a shell would, with its one quoted
// comment.
func splitUFW(rule string) []string {
	head, comment, _ := strings.Cut(rule, ` comment "`)
	return append(strings.Fields(head), "comment", strings.TrimSuffix(comment, `"`))
}

// TestFirewalldOffline has firewall-offline-cmd build the zones in a
// configuration directory of the test's own.
func TestFirewalldOffline(t *testing.T) {
	requireTool(t, "firewall-offline-cmd", "firewalld")
	t.Parallel()
	dir := t.TempDir()
	if b, err := os.ReadFile("/etc/firewalld/firewalld.conf"); err == nil {
		os.WriteFile(filepath.Join(dir, "firewalld.conf"), b, 0o644)
	}
	rs := testRuleset(t)
	for _, args := range rs.firewalldArgs() {
		full := append([]string{"--system-config", dir}, args...)
		if out, err := exec.Command("firewall-offline-cmd", full...).CombinedOutput(); err != nil {
			t.Fatalf("firewall-offline-cmd %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	zone, err := os.ReadFile(filepath.Join(dir, "zones", "ajar.xml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, frag := range []string{`target="DROP"`, `<port port="80" protocol="tcp"/>`, `<source address="192.0.2.0/24"/>`} {
		if !strings.Contains(string(zone), frag) {
			t.Errorf("zone lacks %s:\n%s", frag, zone)
		}
	}
}

package main_test

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ajarsec/ajar/internal/netnstest"
)

// TestPolicyDNAT: a port the target publishes by DNAT to a "container"
// namespace behind it, as Docker's -p does, is open to the scanner though
// nothing listens on the target itself. The local check reports it from
// the nat rule, the remote check from the scan; ajar firewall's forward
// chain drops it while the policy does not allow it, and lets it through
// (ct original proto-dst) once it does.
func TestPolicyDNAT(t *testing.T) {
	requirePolicyTool(t, "nft")
	bed := netnstest.NewBed(t)
	box := netnstest.New(t)
	bed.Target.Run("ip", "link", "add", "ajc0", "type", "veth", "peer", "name", "ajd0", "netns", box.Name)
	bed.Target.Run("ip", "addr", "add", "192.168.249.1/30", "dev", "ajc0")
	bed.Target.Run("ip", "link", "set", "ajc0", "up")
	box.Run("ip", "addr", "add", "192.168.249.2/30", "dev", "ajd0")
	box.Run("ip", "link", "set", "ajd0", "up")
	box.Run("ip", "route", "add", "default", "via", "192.168.249.1")
	bed.Target.Sysctl("net.ipv4.ip_forward", "1")
	bed.Target.Run("nft", "add table ip nat; add chain ip nat pre { type nat hook prerouting priority dstnat; }; add rule ip nat pre tcp dport 8088 dnat to 192.168.249.2:80")
	var l net.Listener
	if err := box.Do(func() (err error) { l, err = net.Listen("tcp4", "0.0.0.0:80"); return err }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()

	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	write := func(name, allow string) string {
		p := filepath.Join(dir, name)
		text := "version: 1\nhosts:\n  - match: [" + bed.TargetAddr4.String() + "]\n    allow:\n      - port: tcp/22\n" + allow
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	deny, allow := write("deny.yaml", ""), write("allow.yaml", "      - port: tcp/8088\n")
	run := func(args ...string) (string, string, int) { return ajar(t, append(args, "--data-dir", data)...) }
	fromScanner := func(args ...string) (string, string, int) {
		return ajarInCode(t, bed.Scanner, append(args, "--data-dir", data)...)
	}
	remote := func(pol string) ([]string, int) {
		return violations(t, fromScanner, "--policy", pol, "-p", "8088", "--connect", bed.TargetAddr4.String())
	}
	want := []string{"unexpected-open tcp/8088"}
	if got, code := violations(t, run, "--policy", deny, "--local", "--netns", bed.Target.Name); code != 1 || !slices.Equal(got, want) {
		t.Errorf("local check: exit %d, %v, want %v", code, got, want)
	}
	if got, code := remote(deny); code != 1 || !slices.Equal(got, want) {
		t.Fatalf("remote check before the firewall: exit %d, %v, want %v", code, got, want)
	}
	apply := func(pol string) {
		t.Helper()
		if out, stderr, code := run("firewall", "--policy", pol, "--netns", bed.Target.Name, "--apply"); code != 0 {
			t.Fatalf("apply %s: %d %s %s", pol, code, out, stderr)
		}
	}
	apply(deny)
	if got, code := remote(deny); code != 0 {
		t.Errorf("remote check after the firewall: exit %d, %v: the forward chain let the DNAT'd port through", code, got)
	}
	apply(allow)
	out, _, code := fromScanner("scan", "-sT", "-Pn", "-p", "8088", "-o", "jsonl", bed.TargetAddr4.String())
	if code != 0 || !strings.Contains(out, `"state":"open"`) {
		t.Errorf("with tcp/8088 allowed, the DNAT'd port is not open: exit %d\n%s", code, out)
	}
	if got, code := violations(t, run, "--policy", allow, "--local", "--netns", bed.Target.Name); code != 0 {
		t.Errorf("local check with tcp/8088 allowed: %d %v", code, got)
	}
}

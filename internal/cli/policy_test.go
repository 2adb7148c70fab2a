package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writePolicy(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPolicyCommandsBadInput: bad input ends with one line and exit 2; a
// bad policy to lint is the lint's finding: exit 1 naming the line.
func TestPolicyCommandsBadInput(t *testing.T) {
	good := writePolicy(t, "version: 1\nhosts:\n  - match: 10.0.0.5\n    allow:\n      - port: tcp/22\n")
	bad := writePolicy(t, "version: 1\nhosts:\n  - match: 10.0.0.5\n    allow:\n      - port: tcp/22\n        exposed: all\n")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"check"}, 2, "give the policy: --policy FILE"},
		{[]string{"check", "--policy", bad, "--local"}, 2, `policy.yaml:6:9: unknown field "exposed"`},
		{[]string{"check", "--policy", good, "--local", "10.0.0.5"}, 2, "give --local or targets, not both"},
		{[]string{"check", "--policy", good, "--netns", "x"}, 2, "--netns reads a namespace's sockets: add --local"},
		{[]string{"check", "--policy", good, "-o", "xml", "--local"}, 2, `unknown output format "xml"`},
		{[]string{"check", "--policy", good, "--local", "--save", "junit"}, 2, "bad --save"},
		{[]string{"policy", "lint", bad}, 1, `policy.yaml:6:9: unknown field "exposed"`},
		{[]string{"policy", "lint", filepath.Join(t.TempDir(), "none.yaml")}, 1, "cannot read policy"},
		{[]string{"policy", "init", "--results", "x", "10.0.0.1"}, 2, "give one source"},
		{[]string{"firewall", "--policy", good, "--format", "windows"}, 2, `unknown firewall format "windows"`},
		{[]string{"firewall", "--policy", good, "--format", "ufw", "--apply"}, 2, "--apply installs nftables rules only"},
		{[]string{"firewall", "--policy", good, "--confirm-within", "10s"}, 2, "go with --apply"},
		{[]string{"firewall", "--policy", good}, 2, "no host entry of the policy matches"},
		{[]string{"firewall", "--policy", good, "--host", "10.0.0.6"}, 2, "no host entry of the policy matches the host (10.0.0.6)"},
	} {
		_, stderr, code := runAjar(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 && c.code == 2 {
			t.Errorf("ajar %v: exit %d, %q; want %d, %q", c.args, code, stderr, c.code, c.want)
		}
	}
}

func TestFirewallPrint(t *testing.T) {
	p := writePolicy(t, "version: 1\nhosts:\n  - match: 10.0.0.5\n    allow:\n      - port: tcp/22\n        sources: [192.0.2.0/24]\n")
	out, stderr, code := runAjar(t, "firewall", "--policy", p, "--host", "10.0.0.5", "--format", "iptables")
	if code != 0 || !strings.Contains(out, "-A INPUT -s 192.0.2.0/24 -p tcp -m tcp --dport 22") {
		t.Errorf("exit %d %s\n%s", code, stderr, out)
	}
	out, _, code = runAjar(t, "policy", "schema")
	if code != 0 || !strings.Contains(out, `"$schema"`) {
		t.Errorf("schema: %d %s", code, out)
	}
}

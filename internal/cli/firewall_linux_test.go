package cli_test

import (
	"strings"
	"testing"

	"github.com/ajarsec/ajar/internal/netnstest"
)

// TestSSHGuard: --apply refuses rules that would not let the SSH
// connection ajar runs over in again, before touching anything; --force
// applies them. The "machine" is a namespace, whose address the
// connection's server address is.
func TestSSHGuard(t *testing.T) {
	ns := netnstest.New(t)
	ns.Run("ip", "addr", "add", "10.99.0.1/32", "dev", "lo")
	p := writePolicy(t, "version: 1\nhosts:\n  - match: 10.99.0.1\n    allow:\n      - port: tcp/22\n        sources: [192.0.2.0/24]\n")
	data := t.TempDir()
	t.Setenv("SSH_CONNECTION", "198.51.100.9 50000 10.99.0.1 22")
	_, stderr, code := runAjar(t, "firewall", "--policy", p, "--netns", ns.Name, "--apply", "--data-dir", data)
	if code != 1 || !strings.Contains(stderr, "refusing: these rules would shut out your SSH connection (from 198.51.100.9 to port 22)") {
		t.Errorf("exit %d %q", code, stderr)
	}
	if out := ns.Run("nft", "list", "tables"); strings.Contains(out, "ajar") {
		t.Errorf("refused, yet applied: %s", out)
	}
	t.Setenv("SSH_CONNECTION", "192.0.2.9 50000 10.99.0.1 22")
	if _, stderr, code := runAjar(t, "firewall", "--policy", p, "--netns", ns.Name, "--apply", "--data-dir", data); code != 0 {
		t.Errorf("an allowed client: exit %d %q", code, stderr)
	}
	t.Setenv("SSH_CONNECTION", "198.51.100.9 50000 10.99.0.1 22")
	if _, stderr, code := runAjar(t, "firewall", "--policy", p, "--netns", ns.Name, "--apply", "--force", "--data-dir", data); code != 0 {
		t.Errorf("--force: exit %d %q", code, stderr)
	}
}

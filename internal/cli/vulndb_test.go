package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ajarsec/ajar/internal/cli"
	"github.com/ajarsec/ajar/internal/vulnfixture"
)

func runAjarDir(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	code = cli.Run(context.Background(), append([]string{"--data-dir", dir}, args...), &cli.Env{Stdout: &o, Stderr: &e, Version: "test"})
	return o.String(), e.String(), code
}

// TestVulndbImportStatus: import the fixture files, then status says
// what is loaded and how old; a fresh data directory has no database.
func TestVulndbImportStatus(t *testing.T) {
	dir := t.TempDir()
	if _, stderr, code := runAjarDir(t, dir, "vulndb", "status"); code != cli.ExitFailure ||
		!strings.Contains(stderr, "no vulnerability database in "+dir) || strings.Count(stderr, "\n") != 1 {
		t.Errorf("status without a database: exit %d, %q", code, stderr)
	}
	files := vulnfixture.Write(t, t.TempDir(), time.Now().Add(-time.Hour))
	stdout, stderr, code := runAjarDir(t, dir, append([]string{"vulndb", "import"}, files...)...)
	if code != 0 || !strings.Contains(stdout, "nvd 9") || !strings.Contains(stdout, "kev 1") || !strings.Contains(stdout, ": 10 CVEs") {
		t.Fatalf("import: exit %d\n%s%s", code, stdout, stderr)
	}
	stdout, _, code = runAjarDir(t, dir, "vulndb", "status", "--verify")
	for _, want := range []string{"(verified)", "10 CVEs, 1 in KEV, 2 EPSS scores, 5 distribution fixes", "osv-debian", "25 hours old", "cve5 "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, stdout)
		}
	}
	if code != 0 || strings.Contains(stdout, "STALE") {
		t.Errorf("status: exit %d\n%s", code, stdout)
	}
	// A damaged file fails --verify.
	f, err := os.OpenFile(filepath.Join(dir, "vulndb.sqlite"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("x"))
	f.Close()
	if _, stderr, code := runAjarDir(t, dir, "vulndb", "status", "--verify"); code != cli.ExitFailure || !strings.Contains(stderr, "does not match its manifest") {
		t.Errorf("damaged: exit %d %q", code, stderr)
	}
}

// TestVulndbBadInput: bad files are refused in one line, exit 2, and
// nothing is imported.
func TestVulndbBadInput(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(t.TempDir(), "junk.txt")
	os.WriteFile(junk, []byte("hello\n"), 0o600)
	for _, args := range [][]string{
		{"vulndb", "import"},
		{"vulndb", "import", "/nonexistent/nvd.json"},
		{"vulndb", "import", junk},
		{"vulndb", "update", "--source", "nvd,bogus"},
		{"vulndb", "status", "extra"},
	} {
		stdout, stderr, code := runAjarDir(t, dir, args...)
		if code != cli.ExitUsage || strings.Count(stderr, "\n") != 1 || stdout != "" || strings.Contains(stderr, "panic") {
			t.Errorf("ajar %v: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "vulndb.json")); err == nil {
		t.Error("a failed import wrote a manifest")
	}
}

// TestScanFailOnStale: with --fail-on-stale, a scan with --audit stops
// before sending anything when the database is missing or stale.
func TestScanFailOnStale(t *testing.T) {
	dir := t.TempDir()
	if _, stderr, code := runAjarDir(t, dir, "scan", "--audit", "--fail-on-stale", "-sT", "-p", "22", "127.0.0.1"); code != cli.ExitFailure ||
		!strings.Contains(stderr, "no vulnerability database") || !strings.Contains(stderr, "--fail-on-stale") {
		t.Errorf("no database: exit %d %q", code, stderr)
	}
	files := vulnfixture.Write(t, t.TempDir(), time.Now().Add(-10*24*time.Hour))
	if _, stderr, code := runAjarDir(t, dir, append([]string{"vulndb", "import"}, files...)...); code != 0 {
		t.Fatal(stderr)
	}
	stdout, _, _ := runAjarDir(t, dir, "vulndb", "status")
	if !strings.Contains(stdout, "STALE") {
		t.Errorf("status of an 11-day-old database:\n%s", stdout)
	}
	if _, stderr, code := runAjarDir(t, dir, "scan", "--audit", "--fail-on-stale", "-sT", "-p", "22", "127.0.0.1"); code != cli.ExitFailure ||
		!strings.Contains(stderr, "11 days old") || !strings.Contains(stderr, "--fail-on-stale") {
		t.Errorf("stale: exit %d %q", code, stderr)
	}
	bad := filepath.Join(t.TempDir(), "s.txt")
	os.WriteFile(bad, []byte("CVE-2024-6387 10.0.0.0/99 never r\n"), 0o600)
	if _, stderr, code := runAjarDir(t, dir, "scan", "--audit", "--suppressions", bad, "-sT", "-p", "22", "127.0.0.1"); code != cli.ExitUsage ||
		!strings.Contains(stderr, "line 1") {
		t.Errorf("bad suppressions: exit %d %q", code, stderr)
	}
}

package main_test

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ajarsec/ajar/internal/vulnfixture"
	"github.com/ajarsec/ajar/internal/zoo"
)

type vulnFinding struct {
	ID, Category, Severity, Confidence, Snapshot, Evidence string
	FixedIn                                                string `json:"fixed_in"`
	KEV                                                    *struct{ Listed, Ransomware bool }
}

// vulnScan runs ajar scan --audit on the zoo's sshd with the data
// directory dir, and returns the known vulnerabilities found on port 22
// and stderr.
func vulnScan(t *testing.T, z *zoo.Zoo, dir string, extra ...string) ([]vulnFinding, string) {
	t.Helper()
	args := append([]string{"--data-dir", dir, "scan", "-sT", "--audit", "-p", "22", "-o", "jsonl"}, extra...)
	cmd := z.Bed.Scanner.Command(ajarBin, append(args, z.Addr().String())...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	timer := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	defer timer.Stop()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ajar %v: %v\n%s", args, err, stderr.String())
	}
	var fs []vulnFinding
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r struct {
			Port     uint16        `json:"port"`
			Findings []vulnFinding `json:"findings"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("bad JSON line %q: %v", sc.Text(), err)
		}
		for _, f := range r.Findings {
			if r.Port == 22 && f.Category == "known-vulnerability" {
				fs = append(fs, f)
			}
		}
	}
	return fs, stderr.String()
}

func importFixtures(t *testing.T, dir string, now time.Time) {
	t.Helper()
	files := vulnfixture.Write(t, t.TempDir(), now)
	out, err := exec.Command(ajarBin, append([]string{"--data-dir", dir, "vulndb", "import"}, files...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ajar vulndb import: %v\n%s", err, out)
	}
}

// TestVulnZoo scans Debian 12's real sshd (its banner says
// "OpenSSH_9.2p1 Debian-2+deb12uN") with --audit against a database built
// from fixture files in the feeds' real formats: the CVEs Debian fixed in
// that revision are no findings, the one Debian has not fixed is, the
// CVE5-only one is inconclusive (Debian's data says nothing of it); every
// finding names the snapshot. A stale database warns; none at all is said
// once.
func TestVulnZoo(t *testing.T) {
	z := zoo.Start(t, zoo.Options{Only: []string{"openssh"}})
	dir := t.TempDir()
	importFixtures(t, dir, time.Now().Add(-time.Hour))
	fs, stderr := vulnScan(t, z, dir)
	got := map[string]vulnFinding{}
	for _, f := range fs {
		got[f.ID] = f
		if !strings.HasPrefix(f.Snapshot, "vulndb ") {
			t.Errorf("%s names no snapshot: %+v", f.ID, f)
		}
	}
	if f, ok := got["CVE-2023-51385"]; !ok || f.Confidence != "likely" || !strings.Contains(f.Evidence, "Debian") {
		t.Errorf("CVE-2023-51385 (unfixed in Debian 12): %+v", f)
	}
	if f, ok := got["CVE-2099-0005"]; !ok || f.Confidence != "inconclusive" {
		t.Errorf("CVE-2099-0005 (CVE5 only, no Debian entry): %+v", f)
	}
	for _, id := range []string{"CVE-2023-38408", "CVE-2024-6387", "CVE-2099-0001", "CVE-2099-0002", "CVE-2099-0003", "CVE-2099-0007"} {
		if _, ok := got[id]; ok {
			t.Errorf("%s reported on Debian 12's sshd: %+v", id, got[id])
		}
	}
	if len(got) != 2 || strings.Contains(stderr, "vulnerability database") {
		t.Errorf("findings %v; stderr %q", got, stderr)
	}
	// Accepted: gone; the note on stderr says nothing of the database.
	sup := filepath.Join(t.TempDir(), "suppressions.txt")
	writeFile(t, sup, "CVE-2023-51385 "+z.Addr().String()+":22 never no ProxyCommand with %h here\n")
	if fs, _ := vulnScan(t, z, dir, "--suppressions", sup); len(fs) != 1 || fs[0].ID != "CVE-2099-0005" {
		t.Errorf("with the suppression: %+v", fs)
	}

	stale := t.TempDir()
	importFixtures(t, stale, time.Now().Add(-10*24*time.Hour))
	if fs, stderr := vulnScan(t, z, stale, "-q"); len(fs) != 2 || !strings.Contains(stderr, "warning: the vulnerability database") ||
		!strings.Contains(stderr, "11 days old") {
		t.Errorf("stale: %d findings, stderr %q", len(fs), stderr)
	}
	fs, stderr = vulnScan(t, z, t.TempDir())
	if strings.Count(stderr, "no vulnerability database") != 1 {
		t.Errorf("no database: stderr %q", stderr)
	}
	if len(fs) != 0 {
		t.Errorf("CVE findings without a database: %+v", fs)
	}
	if err := z.Check(); err != nil {
		t.Error(err)
	}
}

func writeFile(t *testing.T, name, body string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

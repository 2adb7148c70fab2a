package main_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ajarsec/ajar/internal/netnstest"
)

type violation struct {
	Type, Host, Proto, Rule, Remediation, Source string
	Port                                         int
}

// violations runs ajar check (args) and returns its violations as
// "type proto/port" lines, sorted, each once, and the exit code.
func violations(t *testing.T, run func(args ...string) (string, string, int), args ...string) ([]string, int) {
	t.Helper()
	out, stderr, code := run(append([]string{"check", "-o", "json"}, args...)...)
	var vs []violation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatalf("ajar check %v: %v\n%s\n%s", args, err, out, stderr)
	}
	var got []string
	for _, v := range vs {
		if v.Rule == "" || v.Remediation == "" {
			t.Errorf("violation without a rule or a fix: %+v", v)
		}
		got = append(got, v.Type+" "+v.Proto+"/"+strconv.Itoa(v.Port))
	}
	slices.Sort(got)
	return slices.Compact(got), code
}

// ajarInCode runs ajar inside network namespace ns (the whole process
// there, as a scan from a namespace needs), and returns its exit code.
func ajarInCode(t *testing.T, ns *netnstest.NS, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runAjarCmd(t, ns.Command(ajarBin, args...))
}

// editPolicy turns the policy init wrote into the one the test wants:
// tcp/9999 removed (it should not be open), tcp/5432 kept to loopback (it
// listens on every address), tcp/7777 required (nothing listens yet).
func editPolicy(t *testing.T, text string) string {
	t.Helper()
	var out []string
	skip := false
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "- port:") {
			skip = strings.HasPrefix(trimmed, "- port: tcp/9999")
		}
		if skip {
			continue
		}
		out = append(out, line)
	}
	text = strings.Join(out, "\n")
	const port5432 = "      - port: tcp/5432"
	i := strings.Index(text, port5432)
	if i < 0 || !strings.Contains(text, "- port: tcp/2222") || !strings.Contains(text, "- port: tcp/8080") {
		t.Fatalf("policy init missed a listener:\n%s", text)
	}
	j := i + strings.Index(text[i:], "# exposure: loopback")
	text = text[:j] + "exposure: loopback #" + text[j+len("# exposure: loopback"):]
	return strings.TrimRight(text, "\n") + "\n      - port: tcp/7777\n        required: true\n"
}

// TestPolicyLoop closes the loop on real packets: a target namespace with
// listeners (two allowed, one not, one bound wider than the policy
// says), policy init from its sockets, an edit, check from inside and
// from a scanner namespace (the expected violations), firewall --apply
// with --verify from the scanner, check again (compliant), and the
// rollback timer with and without --confirm.
func TestPolicyLoop(t *testing.T) {
	requirePolicyTool(t, "nft")
	bed := netnstest.NewBed(t)
	bed.ListenTCP(2222, 8080, 9999, 5432)
	dir := t.TempDir()
	pol := filepath.Join(dir, "policy.yaml")
	data := filepath.Join(dir, "data")
	run := func(args ...string) (string, string, int) { return ajar(t, append(args, "--data-dir", data)...) }
	fromScanner := func(args ...string) (string, string, int) {
		return ajarInCode(t, bed.Scanner, append(args, "--data-dir", data)...)
	}

	if out, stderr, code := run("policy", "init", "--netns", bed.Target.Name, "-o", pol); code != 0 {
		t.Fatalf("policy init: %d %s %s", code, out, stderr)
	}
	text, err := os.ReadFile(pol)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("policy init wrote:\n%s", text)
	if err := os.WriteFile(pol, []byte(editPolicy(t, string(text))), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, stderr, code := run("policy", "lint", pol); code != 0 {
		t.Fatalf("lint: %s %s", out, stderr)
	}

	// policy init from a scan, from the scanner's side.
	scanned, stderr, code := fromScanner("policy", "init", "-p", "2222,5432,7777,8080,9999", bed.TargetAddr4.String())
	if code != 0 || !strings.Contains(scanned, "match: ["+bed.TargetAddr4.String()+"]") || strings.Count(scanned, "- port: tcp/") != 4 || strings.Contains(scanned, "7777") {
		t.Errorf("policy init from a scan: exit %d %s\n%s", code, stderr, scanned)
	}

	want := []string{"required-missing tcp/7777", "unexpected-open tcp/9999", "wrong-exposure tcp/5432"}
	got, code := violations(t, run, "--policy", pol, "--local", "--netns", bed.Target.Name)
	if code != 1 || !slices.Equal(got, want) {
		t.Errorf("local check: exit %d, %v, want 1, %v", code, got, want)
	}
	remote := []string{"--policy", pol, "-p", "2222,5432,7777,8080,9999", "--connect", bed.TargetAddr4.String(), bed.TargetAddr6.String()}
	got, code = violations(t, fromScanner, remote...)
	if code != 1 || !slices.Equal(got, want) {
		t.Errorf("remote check: exit %d, %v, want 1, %v", code, got, want)
	}

	out, stderr, code := run("firewall", "--policy", pol, "--netns", bed.Target.Name, "--apply", "--verify", bed.Scanner.Name)
	if code != 0 || !strings.Contains(out, "every allowed port that listens answers") {
		t.Fatalf("firewall --apply --verify: exit %d\n%s%s", code, out, stderr)
	}
	t.Logf("firewall --apply --verify:\n%s", out)
	for _, line := range []string{"ok    " + bed.TargetAddr4.String() + " tcp/9999: filtered", "ok    " + bed.TargetAddr6.String() + " tcp/5432: filtered",
		"ok    " + bed.TargetAddr4.String() + " tcp/8080: open"} {
		if !strings.Contains(out, line) {
			t.Errorf("verify lacks %q:\n%s", line, out)
		}
	}

	bed.ListenTCP(7777)
	got, code = violations(t, fromScanner, remote...)
	if code != 0 || len(got) != 0 {
		t.Errorf("remote check after the firewall: exit %d, %v, want compliant", code, got)
	}
	// From inside, the listeners are as wrong as before: the firewall
	// hides them, it does not move them.
	got, _ = violations(t, run, "--policy", pol, "--local", "--netns", bed.Target.Name)
	if !slices.Equal(got, []string{"unexpected-open tcp/9999", "wrong-exposure tcp/5432"}) {
		t.Errorf("local check after the firewall: %v", got)
	}

	rollback(t, bed, run, pol, dir)
}

// rollback applies a stricter policy with --confirm-within: unconfirmed,
// the previous table comes back; confirmed, the new one stays.
func rollback(t *testing.T, bed *netnstest.Bed, run func(...string) (string, string, int), pol, dir string) {
	strict := filepath.Join(dir, "strict.yaml")
	text, _ := os.ReadFile(pol)
	os.WriteFile(strict, []byte(strings.Replace(string(text), "- port: tcp/8080", "- port: tcp/8081", 1)), 0o644)
	table := func() string { return bed.Target.Run("nft", "list", "table", "inet", "ajar") }
	before := table()
	if !strings.Contains(before, "8080") {
		t.Fatalf("the applied table lacks 8080:\n%s", before)
	}
	apply := func(within string) {
		t.Helper()
		if out, stderr, code := run("firewall", "--policy", strict, "--netns", bed.Target.Name, "--apply", "--confirm-within", within); code != 0 {
			t.Fatalf("apply: %d %s %s", code, out, stderr)
		}
		if strings.Contains(table(), "8080") {
			t.Fatal("the strict table was not applied")
		}
	}
	apply("1s")
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(table(), "8080") {
		if time.Now().After(deadline) {
			t.Fatalf("no rollback 10s after a 1s deadline:\n%s", table())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, _, code := run("firewall", "--confirm", "--netns", bed.Target.Name); code != 1 {
		t.Errorf("--confirm after the rollback: exit %d, want 1 (nothing to confirm)", code)
	}
	// Long enough for the next two commands on a loaded machine.
	applied := time.Now()
	apply("6s")
	if _, stderr, code := run("firewall", "--policy", pol, "--netns", bed.Target.Name, "--apply"); code != 1 || !strings.Contains(stderr, "waits for confirmation") {
		t.Errorf("apply while a change waits: exit %d %s", code, stderr)
	}
	if out, stderr, code := run("firewall", "--confirm", "--netns", bed.Target.Name); code != 0 {
		t.Fatalf("--confirm: %d %s %s", code, out, stderr)
	}
	time.Sleep(time.Until(applied.Add(7 * time.Second))) // past the deadline: the timer must find nothing to undo
	if strings.Contains(table(), "8080") {
		t.Error("a confirmed change was rolled back")
	}
}

func requirePolicyTool(t *testing.T, name string) {
	t.Helper()
	netnstest.RequirePrivileges(t)
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is needed under CI=true (scripts/test-deps.sh)", name)
		}
		t.Skipf("needs %s", name)
	}
}

package main_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ajarsec/ajar/internal/netnstest"
)

// TestAuditLocal runs `ajar audit --netns` on a namespace where two
// Redis servers answer without a password, one bound to 127.0.0.1 and
// one to 0.0.0.0: the same finding is medium on the first and critical on
// the second, each saying why, and the table puts the critical one first
// with its fix. --fail-on is held to the weighed severity.
func TestAuditLocal(t *testing.T) {
	netnstest.RequirePrivileges(t)
	redis, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("needs redis-server (scripts/zoo-deps.sh); under CI=true this test must run")
		}
		t.Skip("needs redis-server (scripts/zoo-deps.sh)")
	}
	ns := netnstest.New(t)
	for _, bind := range []string{"127.0.0.1:16379", "0.0.0.0:16380"} {
		host, port, _ := strings.Cut(bind, ":")
		cmd := ns.Command(redis, "--bind", host, "--port", port, "--save", "", "--appendonly", "no",
			"--protected-mode", "no", "--dir", t.TempDir())
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		waitListening(t, ns, "127.0.0.1:"+port)
	}
	out, stderr, code := ajar(t, "audit", "--netns", ns.Name, "--tcp", "-o", "jsonl", "-q")
	if code != 0 {
		t.Fatalf("ajar audit -o jsonl: exit %d: %s", code, stderr)
	}
	got := map[int]auditFinding{}
	reasons := map[int]string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r struct {
			Port     int `json:"port"`
			Findings []struct {
				auditFinding
				Exposure       string `json:"exposure"`
				SeverityReason string `json:"severity_reason"`
			} `json:"findings"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("bad JSON line %q: %v", sc.Text(), err)
		}
		for _, f := range r.Findings {
			if f.ID == "redis-no-auth" {
				got[r.Port] = f.auditFinding
				reasons[r.Port] = f.Exposure + ": " + f.SeverityReason
			}
		}
	}
	if got[16379].Severity != "medium" || !strings.HasPrefix(reasons[16379], "loopback: ") ||
		!strings.Contains(reasons[16379], "127.0.0.1:16379") {
		t.Errorf("Redis on 127.0.0.1: %+v (%s), want medium, loopback, with the reason", got[16379], reasons[16379])
	}
	if got[16380].Severity != "critical" || !strings.HasPrefix(reasons[16380], "all: ") ||
		!strings.Contains(reasons[16380], "0.0.0.0:16380") {
		t.Errorf("Redis on 0.0.0.0: %+v (%s), want critical, all, with the reason", got[16380], reasons[16380])
	}
	table, stderr, code := ajar(t, "audit", "--netns", ns.Name, "--tcp", "--fail-on", "critical", "-q")
	first := strings.Index(table, "CRITICAL")
	if code != 1 || first < 0 || first > strings.Index(table, "MEDIUM") || !strings.Contains(table, "fix: set `requirepass") ||
		!strings.Contains(table, "0.0.0.0:16380/tcp, reachable from: the network") {
		t.Errorf("ajar audit --fail-on critical: exit %d (want 1), critical first with its fix:\n%s%s", code, table, stderr)
	}
	if lines := strings.Count(table, "\n"); lines > 40 {
		t.Errorf("the table takes %d lines: more than a screen", lines)
	}
	_, stderr, code = ajar(t, "audit", "--netns", ns.Name, "--tcp", "--port", "16379", "--fail-on", "high", "-q")
	if code != 0 {
		t.Errorf("the loopback Redis alone, --fail-on high: exit %d, want 0 (medium): %s", code, stderr)
	}
	_, stderr, code = ajar(t, "audit", "--netns", "ajar-no-such-ns")
	if code != 2 || !strings.Contains(stderr, "no such network namespace") {
		t.Errorf("--netns of a missing namespace: exit %d, %q; want 2", code, stderr)
	}
}

// waitListening waits, at most 10 s, until addr in ns takes a connection.
func waitListening(t *testing.T, ns *netnstest.NS, addr string) {
	t.Helper()
	err := ns.Do(func() error {
		var err error
		for range 100 {
			var c net.Conn
			if c, err = net.DialTimeout("tcp", addr, time.Second); err == nil {
				c.Close()
				return nil
			}
			time.Sleep(100 * time.Millisecond)
		}
		return fmt.Errorf("%s never listened: %w", addr, err)
	})
	if err != nil {
		t.Fatal(err)
	}
}

package main_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/ajarsec/ajar/internal/netnstest"
)

// bottleneck makes the target's answers leave through a 5 Mbit/s token
// bucket with an 8 kB queue: about 11,500 resets a second get through,
// and what comes faster is dropped, as on a slow link. Sends stay inside
// the test's namespaces.
func bottleneck(t *testing.T, bed *netnstest.Bed) {
	t.Helper()
	cmd := bed.Target.Command("tc", "qdisc", "add", "dev", bed.TargetLink, "root", "tbf", "rate", "5mbit", "burst", "8kb", "limit", "8kb")
	if out, err := cmd.CombinedOutput(); err != nil {
		msg := fmt.Sprintf("no tbf qdisc for a bottleneck (tc from iproute2, a kernel with sch_tbf): %v: %s", err, out)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

// TestScanBottleneck scans the bed's ports 1-19999 through a bottleneck
// that drops most answers at ajar's full speed. At default settings
// every port's state must come out right, for SYN and connect scans
// alike; the SYN scan starts far above the bottleneck, and must say it
// backed off. A fixed rate far above the bottleneck is the control: it
// must lose answers, and say so, or the bottleneck tests nothing.
func TestScanBottleneck(t *testing.T) {
	bed, bt := newScanBed(t)
	bottleneck(t, bed)
	addr := bed.TargetAddr4.String()
	for _, tech := range []string{"-sS", "-sT"} {
		out, stderr, code := runIn(t, bed.Scanner, "scan", tech, "-p", "1-19999", "--all-ports", "-o", "jsonl", addr)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", tech, code, stderr)
		}
		seen, bad := map[int]bool{}, 0
		for _, r := range parseJSONL(t, out) {
			if seen[r.Port] || r.Port < 1 || r.Port > 19999 {
				t.Errorf("%s: port %d reported twice or not asked for", tech, r.Port)
			}
			seen[r.Port] = true
			if want := bt.state(r.Port); r.State != want {
				if bad++; bad <= 10 {
					t.Errorf("%s through the bottleneck: port %d: %s (%s), want %s", tech, r.Port, r.State, r.Reason, want)
				}
			}
		}
		if len(seen) != 19999 || bad > 0 {
			t.Errorf("%s: %d ports reported, want 19999; %d wrong", tech, len(seen), bad)
		}
		if tech == "-sS" && !strings.Contains(stderr, "the rate backed off") {
			t.Errorf("%s: no note that the rate backed off; stderr:\n%s", tech, stderr)
		}
		t.Logf("%s: %s", tech, strings.TrimSpace(stderr))
	}

	_, stderr, code := runIn(t, bed.Scanner, "scan", "-sS", "--rate", "200000", "-p", "1-19999", "--all-ports", "-o", "jsonl", addr)
	if code != 0 {
		t.Fatalf("--rate 200000: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "the path loses packets at --rate 200000") {
		t.Errorf("--rate 200000 through an 11,500/s bottleneck lost nothing, or did not say so; stderr:\n%s", stderr)
	}
}

// TestScanRateFlags checks the pace flags' errors.
func TestScanRateFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--rate", "100", "--max-rate", "200"},
		{"--rate", "100", "--min-rate", "10"},
		{"--min-rate", "300", "--max-rate", "200"},
		{"--min-rate", "-1"},
	} {
		_, stderr, code := ajar(t, append(append([]string{"scan"}, args...), "-p", "1", "127.0.0.1")...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2: %s", args, code, stderr)
		}
		if strings.Contains(stderr, "goroutine") || !strings.Contains(stderr, "rate") {
			t.Errorf("%v: %s", args, stderr)
		}
	}
}

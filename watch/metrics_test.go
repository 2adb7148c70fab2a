package watch

import (
	"iter"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ajarsec/ajar/diff"
	"github.com/ajarsec/ajar/record"
)

func listening(ss ...record.Socket) iter.Seq[record.Socket] { return slices.Values(ss) }

// TestMetricsText: the exposition's lines for a local watch and a rescan,
// and promtool (Debian's prometheus package) finds nothing wrong in it.
func TestMetricsText(t *testing.T) {
	m := NewMetrics(true)
	at := time.Unix(1700000000, 500e6)
	m.Dumped("", at, listening(
		record.Socket{Proto: record.TCP, Exposure: record.ExposureAll},
		record.Socket{Proto: record.TCP, Exposure: record.ExposureAll},
		record.Socket{Proto: record.UDP, Exposure: record.ExposureLoopback}))
	m.Dumped("/run/netns/blue", at, listening(record.Socket{Proto: record.TCP, Exposure: record.ExposureAll}))
	m.Dumped("", at, nil) // no change: the counts stay
	m.Event(Event{Event: Opened})
	m.Event(Event{Event: Opened})
	m.Event(ScanEvent{Change: diff.Change{Kind: "finding-new"}})
	var tally Tally
	host := netip.MustParseAddr("10.0.0.2")
	tally.Add(&record.PortResult{Host: host, Proto: record.TCP, Port: 22, State: record.Open,
		Findings: []record.Finding{{Severity: record.High}, {Severity: record.Low}}})
	tally.Add(&record.PortResult{Host: host, Proto: record.TCP, Port: 23, State: record.Closed})
	tally.Add(&record.PortResult{Host: host, Proto: record.UDP, Port: 53, State: record.Open})
	m.Scanned(&tally, at.Add(-3*time.Second), at)
	var b strings.Builder
	m.WriteTo(&b)
	text := b.String()
	for _, want := range []string{
		`ajar_watch_open_ports{proto="tcp",exposure="all"} 3`,
		`ajar_watch_open_ports{proto="udp",exposure="loopback"} 1`,
		`ajar_watch_open_ports{host="10.0.0.2",proto="tcp"} 1`,
		`ajar_watch_open_ports{host="10.0.0.2",proto="udp"} 1`,
		`ajar_watch_events_total{kind="opened"} 2`,
		`ajar_watch_events_total{kind="finding-new"} 1`,
		`ajar_watch_findings{severity="high"} 1`,
		`ajar_watch_findings{severity="critical"} 0`,
		`ajar_watch_scans_total 4`,
		`ajar_watch_last_scan_timestamp_seconds 1.7000000005e+09`,
		`ajar_watch_scan_duration_seconds_bucket{le="2.5"} 0`,
		`ajar_watch_scan_duration_seconds_bucket{le="5"} 1`,
		`ajar_watch_scan_duration_seconds_bucket{le="+Inf"} 1`,
		`ajar_watch_scan_duration_seconds_sum 3`,
		"# TYPE ajar_watch_scan_duration_seconds histogram",
		"process_start_time_seconds ",
	} {
		if !strings.Contains(text, want+"\n") && !strings.Contains(text, want) {
			t.Errorf("no %q in\n%s", want, text)
		}
	}
	promtool(t, text)
}

// TestMetricsGone: a namespace's listeners leave the count when it goes
// away (an empty dump); findings are served only with an audit.
func TestMetricsGone(t *testing.T) {
	m := NewMetrics(false)
	m.Dumped("/run/netns/x", time.Now(), listening(record.Socket{Proto: record.TCP, Exposure: record.ExposureAll}))
	m.Dumped("/run/netns/x", time.Now(), listening())
	var b strings.Builder
	m.WriteTo(&b)
	if strings.Contains(b.String(), "ajar_watch_open_ports{") || strings.Contains(b.String(), "ajar_watch_findings") {
		t.Errorf("a gone namespace's ports, or findings without an audit:\n%s", b.String())
	}
}

func TestEscapeLabel(t *testing.T) {
	if got := escapeLabel("a\"b\\c\nd"); got != `a\"b\\c\nd` {
		t.Errorf("escapeLabel = %q", got)
	}
}

// promtool checks text with `promtool check metrics`.
func promtool(t *testing.T, text string) {
	t.Helper()
	if _, err := exec.LookPath("promtool"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool is needed under CI=true (Debian package prometheus, scripts/zoo-deps.sh)")
		}
		t.Skip("needs promtool (Debian package prometheus)")
	}
	cmd := exec.Command("promtool", "check", "metrics")
	cmd.Stdin = strings.NewReader(text)
	if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

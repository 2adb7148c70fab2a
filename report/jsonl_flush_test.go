package report

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/ajarsec/ajar/record"
)

// TestJSONLAllPortsBatches: with AllPorts, closed ports wait in the
// buffer, an open port or a host flushes them with it, and what reaches
// the io.Writer is always whole lines, also when the buffer fills.
func TestJSONLAllPortsBatches(t *testing.T) {
	var fr flushRecorder
	w := newWriter(t, JSONL, &fr, Options{AllPorts: true})
	if err := w.Begin(sampleInfo()); err != nil {
		t.Fatal(err)
	}
	host := netip.MustParseAddr("192.0.2.7")
	const n = 5000 // about 600 KB of lines: the 64 KB buffer fills many times
	for p := 1; p <= n; p++ {
		r := &record.PortResult{Host: host, Port: uint16(p), Proto: record.TCP, State: record.Closed, Reason: record.ReasonReset}
		if p == 100 {
			r.State, r.Reason = record.Open, record.ReasonSynAck
		}
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
		if p == 99 && len(fr.writes) != 0 {
			t.Fatalf("%d writes after 99 closed ports, want none yet", len(fr.writes))
		}
		if p == 100 && (len(fr.writes) != 1 || strings.Count(fr.writes[0], "\n") != 100) {
			t.Fatalf("the open port's write: %d writes, want one of 100 lines", len(fr.writes))
		}
	}
	if len(fr.writes) > n/100 {
		t.Errorf("%d writes for %d lines: not batched", len(fr.writes), n)
	}
	if err := w.Write(&record.Host{Addr: host, State: record.Up, Reason: record.ReasonUserSet}); err != nil {
		t.Fatal(err)
	}
	all := strings.Join(fr.writes, "")
	if got := strings.Count(all, "\n"); got != n+1 {
		t.Errorf("%d lines reached the writer after the host's record, want %d", got, n+1)
	}
	for i, s := range fr.writes {
		if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}\n") {
			t.Fatalf("write %d is not whole lines: %.40q ... %.40q", i, s, s[max(0, len(s)-40):])
		}
	}
	if err := w.End(sampleStats()); err != nil {
		t.Fatal(err)
	}
}

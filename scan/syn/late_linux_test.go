package syn_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/ajarsec/ajar/internal/netnstest"
	"github.com/ajarsec/ajar/scan"
	"github.com/ajarsec/ajar/scan/syn"
)

// slowBed is a test bed whose target refuses ports 23 and 24 with a
// reset, delay after the SYN, and listens on 22 (answered at once).
func slowBed(t *testing.T, delay time.Duration) (*netnstest.Bed, *syn.DelayedResets) {
	t.Helper()
	bed := netnstest.NewBed(t)
	bed.ListenTCP(22)
	bed.Firewall(
		netnstest.Rule{Proto: "tcp", Ports: "23-24", Action: "drop"},
		netnstest.Rule{Proto: "tcp", Ports: "20000", Action: "drop"},
	)
	return bed, syn.StartDelayedResets(t, bed.Target, bed.TargetLink, []uint16{23, 24}, delay)
}

// waitStats waits, up to 10 s, until ok(p.Stats()) holds.
func waitStats(t *testing.T, p *syn.Prober, what string, ok func(syn.Stats) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok(p.Stats()) {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %+v", what, p.Stats())
		}
		time.Sleep(5 * time.Millisecond) // polling a counter, with a deadline
	}
}

// TestLateAnswerKept: an answer that comes after its probe gave up is
// kept, and the next probe of the same port (the engine's retry) takes
// it, with the round-trip time of the SYN it answers, without sending.
func TestLateAnswerKept(t *testing.T) { bothWorkers(t, testLateAnswerKept) }

func testLateAnswerKept(t *testing.T, newWorker func(*syn.Prober) scan.Worker) {
	const delay = 150 * time.Millisecond
	bed, peer := slowBed(t, delay)
	p := newProber(t, bed.Scanner, syn.Config{})
	w := newWorker(p)
	defer w.Close()
	ctx := t.Context()
	for _, addr := range []netip.Addr{bed.TargetAddr4, bed.TargetAddr6} {
		// The first packet waits for the neighbour's address: a probe
		// with time to spare learns it.
		if got := w.Probe(ctx, netip.AddrPortFrom(addr, 22), 5*time.Second).String(); got != "open/syn-ack" {
			t.Fatalf("%v port 22: %s", addr, got)
		}
		dst := netip.AddrPortFrom(addr, 23)
		before, seen := p.Stats(), peer.Seen(23)
		if o := w.Probe(ctx, dst, 50*time.Millisecond); !o.NoAnswer {
			t.Fatalf("%v: probe with a timeout shorter than the delay: %s", dst, o.String())
		}
		waitStats(t, p, "the late reset", func(s syn.Stats) bool { return s.Late > before.Late })
		o := w.Probe(ctx, dst, 50*time.Millisecond)
		if got := o.String(); got != "closed/reset" {
			t.Fatalf("%v: retry: %s, want the kept reset", dst, got)
		}
		if o.RTT < delay-10*time.Millisecond {
			t.Errorf("%v: retry's RTT %v: not the first SYN's, which took %v or more", dst, o.RTT, delay)
		}
		if st := p.Stats(); st.Rescued != before.Rescued+1 {
			t.Errorf("%v: Rescued %d, want %d", dst, st.Rescued, before.Rescued+1)
		}
		// Nothing was sent for the retry. A probe of port 24, answered
		// after the delay too, shows the path worked all along.
		if got := w.Probe(ctx, netip.AddrPortFrom(addr, 24), 5*time.Second).String(); got != "closed/reset" {
			t.Fatalf("%v port 24: %s", addr, got)
		}
		if n := peer.Seen(23) - seen; n != 1 {
			t.Errorf("%v: the peer saw %d SYNs to port 23, want 1: the retry was sent", addr, n)
		}
	}
	// A silent port stays silent: nothing late to keep.
	silent := netip.AddrPortFrom(bed.TargetAddr4, 20000)
	for i := range 2 {
		if o := w.Probe(ctx, silent, 50*time.Millisecond); !o.NoAnswer {
			t.Errorf("dropped port, try %d: %s", i, o.String())
		}
	}
}

// TestLateAnswerDuringRetry: the answer to a first try that comes while
// the retry waits settles the retry, and its RTT is counted from the
// first try's SYN (the sequence number's tag tells which try it answers).
func TestLateAnswerDuringRetry(t *testing.T) { bothWorkers(t, testLateAnswerDuringRetry) }

func testLateAnswerDuringRetry(t *testing.T, newWorker func(*syn.Prober) scan.Worker) {
	const delay = 300 * time.Millisecond
	bed, _ := slowBed(t, delay)
	p := newProber(t, bed.Scanner, syn.Config{})
	w := newWorker(p)
	defer w.Close()
	ctx := t.Context()
	for _, addr := range []netip.Addr{bed.TargetAddr4, bed.TargetAddr6} {
		if got := w.Probe(ctx, netip.AddrPortFrom(addr, 22), 5*time.Second).String(); got != "open/syn-ack" {
			t.Fatalf("%v port 22: %s", addr, got)
		}
		dst := netip.AddrPortFrom(addr, 23)
		if o := w.Probe(ctx, dst, 100*time.Millisecond); !o.NoAnswer {
			t.Fatalf("%v: first try: %s", dst, o.String())
		}
		start := time.Now()
		o := w.Probe(ctx, dst, 5*time.Second)
		took := time.Since(start)
		if got := o.String(); got != "closed/reset" {
			t.Fatalf("%v: retry: %s", dst, got)
		}
		// The first try's reset comes about 200 ms into the retry's
		// wait, the retry's own 300 ms in.
		if took >= delay-10*time.Millisecond {
			t.Errorf("%v: retry took %v: it waited for its own answer", dst, took)
		}
		if o.RTT < delay-10*time.Millisecond {
			t.Errorf("%v: RTT %v, want the first try's, %v or more", dst, o.RTT, delay)
		}
	}
	if st := p.Stats(); st.Rescued != 0 {
		t.Errorf("Rescued %d: the answers came while a probe waited", st.Rescued)
	}
}

package scan_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/scan"
	"github.com/ajarsec/ajar/target/perm"
)

// fakeProber answers from a function of the destination and the attempt
// number; it sends nothing. It exercises the engine's own logic: order,
// shards, retries, local failures and cancellation.
type fakeProber struct {
	proto    record.Proto // TCP when zero
	answer   func(dst netip.AddrPort, attempt int) scan.Outcome
	mu       sync.Mutex
	attempts map[netip.AddrPort]int
}

func (p *fakeProber) Proto() record.Proto {
	if p.proto == 0 {
		return record.TCP
	}
	return p.proto
}

func (p *fakeProber) NewWorker() scan.Worker { return fakeWorker{p} }

type fakeWorker struct{ p *fakeProber }

func (w fakeWorker) Close() error { return nil }

func (w fakeWorker) Probe(ctx context.Context, dst netip.AddrPort, _ time.Duration) scan.Outcome {
	w.p.mu.Lock()
	if w.p.attempts == nil {
		w.p.attempts = map[netip.AddrPort]int{}
	}
	n := w.p.attempts[dst]
	w.p.attempts[dst] = n + 1
	w.p.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return scan.Outcome{Err: err}
	}
	return w.p.answer(dst, n)
}

func closedAll(netip.AddrPort, int) scan.Outcome {
	return scan.Outcome{State: record.Closed, Reason: record.ReasonConnRefused, RTT: time.Microsecond}
}

func ports(n int) []uint16 {
	ps := make([]uint16, n)
	for i := range ps {
		ps[i] = uint16(i + 1)
	}
	return ps
}

var threeHosts = hostList{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2"), netip.MustParseAddr("2001:db8::1")}

func collect(t *testing.T, e *scan.Engine) (map[netip.AddrPort]record.PortResult, error) {
	t.Helper()
	got := map[netip.AddrPort]record.PortResult{}
	err := e.Run(context.Background(), func(r *record.PortResult) {
		k := netip.AddrPortFrom(r.Host, r.Port)
		if _, dup := got[k]; dup {
			t.Errorf("%v reported twice", k)
		}
		got[k] = *r
	})
	return got, err
}

func TestEngineShards(t *testing.T) { bothModes(t, testEngineShards) }

func testEngineShards(t *testing.T, wrap func(scan.Prober) scan.Prober) {
	const nports = 97
	space := threeHosts.Len() * nports
	all := map[netip.AddrPort]bool{}
	for shard := range uint64(4) {
		e, err := scan.New(threeHosts, wrap(&fakeProber{answer: closedAll}), scan.Config{
			Ports: ports(nports), Order: perm.New(space, 42), Shard: shard, Shards: 4,
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := collect(t, e)
		if err != nil {
			t.Fatal(err)
		}
		if p := e.Progress(); p.Done != p.Total || p.Total != uint64(len(got)) {
			t.Errorf("shard %d: progress %+v, %d results", shard, p, len(got))
		}
		for k := range got {
			if all[k] {
				t.Errorf("%v in two shards", k)
			}
			all[k] = true
		}
	}
	if uint64(len(all)) != space {
		t.Errorf("shards cover %d of %d probes", len(all), space)
	}
}

func TestEngineRetries(t *testing.T) { bothModes(t, testEngineRetries) }

func testEngineRetries(t *testing.T, wrap func(scan.Prober) scan.Prober) {
	p := &fakeProber{answer: func(dst netip.AddrPort, attempt int) scan.Outcome {
		switch dst.Port() {
		case 1: // silent once, then open: a lost packet
			if attempt == 0 {
				return scan.Outcome{NoAnswer: true}
			}
			return scan.Outcome{State: record.Open, Reason: record.ReasonConnected, RTT: time.Microsecond}
		case 2: // always silent
			return scan.Outcome{NoAnswer: true}
		}
		return closedAll(dst, attempt)
	}}
	for _, tc := range []struct {
		retries  int
		attempts int // of the silent port
		port1    record.State
	}{
		{retries: 0, attempts: 2, port1: record.Open}, // zero value: one retry
		{retries: 3, attempts: 4, port1: record.Open},
		{retries: -1, attempts: 1, port1: record.Filtered},
	} {
		p.attempts = nil
		e, err := scan.New(hostList{netip.MustParseAddr("192.0.2.1")}, wrap(p), scan.Config{Ports: ports(3), Retries: tc.retries})
		if err != nil {
			t.Fatal(err)
		}
		got, err := collect(t, e)
		if err != nil {
			t.Fatal(err)
		}
		silent := netip.MustParseAddrPort("192.0.2.1:2")
		if r := got[silent]; r.State != record.Filtered || r.Reason != record.ReasonNoResponse || p.attempts[silent] != tc.attempts {
			t.Errorf("retries %d: silent port %v/%v after %d attempts, want filtered/no-response after %d",
				tc.retries, r.State, r.Reason, p.attempts[silent], tc.attempts)
		}
		if r := got[netip.MustParseAddrPort("192.0.2.1:1")]; r.State != tc.port1 {
			t.Errorf("retries %d: port lost once is %v, want %v", tc.retries, r.State, tc.port1)
		}
	}
}

// A local failure (here: no permission to send) is never a port state:
// the probe is tried again, and a failure that persists stops the scan
// with an error.
func TestEngineLocalFailure(t *testing.T) { bothModes(t, testEngineLocalFailure) }

func testEngineLocalFailure(t *testing.T, wrap func(scan.Prober) scan.Prober) {
	var calls atomic.Int64
	p := &fakeProber{answer: func(dst netip.AddrPort, attempt int) scan.Outcome {
		calls.Add(1)
		if dst.Port() == 5 {
			return scan.Outcome{Err: syscall.EPERM}
		}
		return closedAll(dst, attempt)
	}}
	e, err := scan.New(hostList{netip.MustParseAddr("192.0.2.1")}, wrap(p), scan.Config{Ports: ports(5), MaxParallel: 1})
	if err != nil {
		t.Fatal(err)
	}
	got, err := collect(t, e)
	if !errors.Is(err, syscall.EPERM) {
		t.Fatalf("Run: %v, want the local failure", err)
	}
	if _, ok := got[netip.MustParseAddrPort("192.0.2.1:5")]; ok {
		t.Error("a local failure was reported as a port state")
	}
}

func TestEngineCancel(t *testing.T) { bothModes(t, testEngineCancel) }

func testEngineCancel(t *testing.T, wrap func(scan.Prober) scan.Prober) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := &fakeProber{answer: closedAll}
	e, err := scan.New(hostList{netip.MustParseAddr("192.0.2.1")}, wrap(p), scan.Config{Ports: ports(65535), MaxParallel: 4})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	err = e.Run(ctx, func(r *record.PortResult) {
		if n++; n == 100 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v, want context.Canceled", err)
	}
	// What was learnt before the cancel is still delivered (a few
	// thousand results may wait in the engine's buffer), then it stops.
	if n < 100 || n > 10000 {
		t.Errorf("%d results of 65535 after cancelling at 100", n)
	}
}

func TestEngineBadConfig(t *testing.T) {
	one := hostList{netip.MustParseAddr("192.0.2.1")}
	for name, c := range map[string]struct {
		targets scan.Targets
		cfg     scan.Config
	}{
		"no targets": {hostList{}, scan.Config{Ports: ports(1)}},
		"no ports":   {one, scan.Config{}},
		"bad shard":  {one, scan.Config{Ports: ports(1), Shard: 2, Shards: 2}},
		"bad rate":   {one, scan.Config{Ports: ports(1), Rate: -1}},
	} {
		if _, err := scan.New(c.targets, &fakeProber{answer: closedAll}, c.cfg); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// Two techniques in one scan: each port is probed by its own plan, and a
// silent UDP port is open|filtered where a silent TCP port is filtered.
func TestEnginePlans(t *testing.T) { bothModes(t, testEnginePlans) }

func testEnginePlans(t *testing.T, wrap func(scan.Prober) scan.Prober) {
	silent := func(netip.AddrPort, int) scan.Outcome { return scan.Outcome{NoAnswer: true} }
	tcp := &fakeProber{answer: silent}
	udp := &fakeProber{proto: record.UDP, answer: silent}
	host := hostList{netip.MustParseAddr("192.0.2.1")}
	e, err := scan.NewPlans(host, []scan.Plan{{Prober: wrap(tcp), Ports: []uint16{22, 53}}, {Prober: wrap(udp), Ports: []uint16{53, 161}}},
		scan.Config{Order: perm.New(4, 7)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]record.State{}
	if err := e.Run(context.Background(), func(r *record.PortResult) {
		got[fmt.Sprintf("%d/%v", r.Port, r.Proto)] = r.State
	}); err != nil {
		t.Fatal(err)
	}
	want := map[string]record.State{"22/tcp": record.Filtered, "53/tcp": record.Filtered, "53/udp": record.OpenFiltered, "161/udp": record.OpenFiltered}
	if !maps.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if len(tcp.attempts) != 2 || len(udp.attempts) != 2 {
		t.Errorf("tcp probed %v, udp probed %v", tcp.attempts, udp.attempts)
	}
}

// TestEngineLossSignals: an answer to a retry after silence is a loss for
// the pacer, unless it is an ICMP error (hosts rate-limit those) or its
// round trip is longer than the silent try's wait (a late answer to that
// try: a slow path, not a lossy one).
func TestEngineLossSignals(t *testing.T) { bothModes(t, testEngineLossSignals) }

func testEngineLossSignals(t *testing.T, wrap func(scan.Prober) scan.Prober) {
	for _, tc := range []struct {
		name  string
		retry scan.Outcome
		want  uint64
	}{
		{"reset on the retry", scan.Outcome{State: record.Closed, Reason: record.ReasonReset, RTT: time.Millisecond}, 20},
		{"late reset", scan.Outcome{State: record.Closed, Reason: record.ReasonReset, RTT: 10 * time.Second}, 0},
		{"ICMP error", scan.Outcome{State: record.Filtered, Reason: record.ReasonAdminProhibited, RTT: time.Millisecond}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &fakeProber{answer: func(_ netip.AddrPort, n int) scan.Outcome {
				if n == 0 {
					return scan.Outcome{NoAnswer: true}
				}
				return tc.retry
			}}
			e, err := scan.New(hostList{netip.MustParseAddr("192.0.2.1")}, wrap(p), scan.Config{Ports: ports(20)})
			if err != nil {
				t.Fatal(err)
			}
			got, err := collect(t, e)
			if err != nil || len(got) != 20 {
				t.Fatalf("%d results, %v", len(got), err)
			}
			st := e.PaceStats()
			if st.Losses != tc.want || !st.Adaptive {
				t.Errorf("losses %d (adaptive %v), want %d", st.Losses, st.Adaptive, tc.want)
			}
		})
	}
}

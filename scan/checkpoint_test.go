package scan_test

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/scan"
	"github.com/ajarsec/ajar/target/perm"
)

// tracedRun is what one RunTracked saw.
type tracedRun struct {
	byPos map[uint64]netip.AddrPort
	mark  uint64
	err   error
}

// runTracked runs e from `from` until ctx is done, and checks the mark:
// every position below it was emitted.
func runTracked(ctx context.Context, t *testing.T, e *scan.Engine, from scan.Resume) tracedRun {
	t.Helper()
	tr := tracedRun{byPos: map[uint64]netip.AddrPort{}}
	tr.err = e.RunTracked(ctx, from, func(r *record.PortResult, pos uint64) {
		if _, dup := tr.byPos[pos]; dup {
			t.Errorf("position %d emitted twice", pos)
		}
		tr.byPos[pos] = netip.AddrPortFrom(r.Host, r.Port)
	})
	tr.mark = e.Mark()
	for k := from.Start; k < tr.mark; k++ {
		if _, ok := tr.byPos[k]; !ok && (from.Done == nil || !from.Done(k)) {
			t.Fatalf("mark %d, but position %d was never emitted", tr.mark, k)
		}
	}
	return tr
}

// A scan cancelled part way resumes from its mark, skipping what it did
// past the mark: the two runs together probe every (host, port) once, in
// every shard. The first run's ports above 50 stay silent until it is
// cancelled, which happens once every worker waits on one.
func TestEngineResume(t *testing.T) { bothModes(t, testEngineResume) }

func testEngineResume(t *testing.T, wrap func(scan.Prober) scan.Prober) {
	const nports = 97
	space := threeHosts.Len() * nports
	for _, shards := range []uint64{1, 3} {
		all := map[netip.AddrPort]int{}
		for shard := range shards {
			cfg := scan.Config{Ports: ports(nports), Order: perm.New(space, 7), Shard: shard, Shards: shards, MaxParallel: 8}
			ctx, cancel := context.WithCancel(context.Background())
			gate := &blockingProber{fakeProber: &fakeProber{answer: closedAll},
				block: func(dst netip.AddrPort) bool { return dst.Port() > 50 },
				onBlock: func(n int) {
					if n == cfg.MaxParallel {
						cancel()
					}
				}}
			e1, err := scan.New(threeHosts, wrap(gate), cfg)
			if err != nil {
				t.Fatal(err)
			}
			first := runTracked(ctx, t, e1, scan.Resume{})
			cancel()
			if !errors.Is(first.err, context.Canceled) {
				t.Fatalf("first run: %v", first.err)
			}
			total := e1.Progress().Total
			if first.mark >= total || len(first.byPos) == 0 {
				t.Fatalf("mark %d of %d, %d results, after cancelling", first.mark, total, len(first.byPos))
			}
			done := func(k uint64) bool { _, ok := first.byPos[k]; return ok }
			p := &fakeProber{answer: closedAll}
			e2, err := scan.New(threeHosts, wrap(p), cfg)
			if err != nil {
				t.Fatal(err)
			}
			second := runTracked(context.Background(), t, e2, scan.Resume{Start: first.mark, Done: done})
			if second.err != nil || second.mark != total {
				t.Fatalf("resumed run: %v, mark %d of %d", second.err, second.mark, total)
			}
			if pr := e2.Progress(); pr.Done != total || pr.Total != total {
				t.Errorf("resumed progress %+v, want %d done", pr, total)
			}
			for k, ap := range second.byPos {
				if k < first.mark || done(k) {
					t.Errorf("position %d (%v) probed again", k, ap)
				}
				if p.attempts[ap] != 1 {
					t.Errorf("%v probed %d times in the resumed run", ap, p.attempts[ap])
				}
			}
			for _, run := range []tracedRun{first, second} {
				for _, ap := range run.byPos {
					all[ap]++
				}
			}
		}
		if uint64(len(all)) != space {
			t.Errorf("%d shard(s): the runs covered %d of %d probes", shards, len(all), space)
		}
		for ap, n := range all {
			if n != 1 {
				t.Errorf("%d shard(s): %v reported %d times", shards, ap, n)
			}
		}
	}
}

// The mark waits for a probe in flight: with one port silent until the
// scan is stopped, every other result comes, the mark stays on that
// port's position, and resuming probes that port alone.
func TestEngineMarkWaitsForSlowProbe(t *testing.T) { bothModes(t, testEngineMarkWaitsForSlowProbe) }

func testEngineMarkWaitsForSlowProbe(t *testing.T, wrap func(scan.Prober) scan.Prober) {
	host := hostList{netip.MustParseAddr("192.0.2.1")}
	slow := netip.MustParseAddrPort("192.0.2.1:50")
	p := &fakeProber{answer: closedAll}
	blocking := &blockingProber{fakeProber: p, block: func(dst netip.AddrPort) bool { return dst == slow }}
	cfg := scan.Config{Ports: ports(200), Order: perm.New(200, 3), MaxParallel: 4}
	e, err := scan.New(host, wrap(blocking), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := map[uint64]netip.AddrPort{}
	var slowPos uint64
	runErr := make(chan error, 1)
	go func() {
		runErr <- e.RunTracked(ctx, scan.Resume{}, func(r *record.PortResult, pos uint64) {
			got[pos] = netip.AddrPortFrom(r.Host, r.Port)
			if len(got) == 199 {
				cancel() // all but the slow port: stop
			}
		})
	}()
	select {
	case err := <-runErr:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the scan did not stop")
	}
	for k := range uint64(200) {
		if _, ok := got[k]; !ok {
			slowPos = k
		}
	}
	if len(got) != 199 || e.Mark() != slowPos {
		t.Fatalf("%d results, mark %d, want 199 and the slow port's position %d", len(got), e.Mark(), slowPos)
	}
	// Resume: only the slow port is probed, and now it answers.
	blocking.block = func(netip.AddrPort) bool { return false }
	p.attempts = nil
	e2, err := scan.New(host, wrap(blocking), cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := func(k uint64) bool { _, ok := got[k]; return ok }
	var again []netip.AddrPort
	if err := e2.RunTracked(context.Background(), scan.Resume{Start: e.Mark(), Done: done}, func(r *record.PortResult, pos uint64) {
		again = append(again, netip.AddrPortFrom(r.Host, r.Port))
	}); err != nil {
		t.Fatal(err)
	}
	if len(again) != 1 || again[0] != slow || e2.Mark() != 200 {
		t.Errorf("resumed run probed %v, mark %d; want only %v, mark 200", again, e2.Mark(), slow)
	}
}

// blockingProber is a fakeProber whose blocked ports stay silent until
// ctx is done; onBlock, when set, hears how many probes wait so.
type blockingProber struct {
	*fakeProber
	block   func(netip.AddrPort) bool
	onBlock func(n int)
	mu      sync.Mutex
	blocked int
}

func (b *blockingProber) NewWorker() scan.Worker { return blockingWorker{b, fakeWorker{b.fakeProber}} }

type blockingWorker struct {
	b *blockingProber
	fakeWorker
}

func (w blockingWorker) Probe(ctx context.Context, dst netip.AddrPort, timeout time.Duration) scan.Outcome {
	if w.b.block(dst) {
		w.b.mu.Lock()
		w.b.blocked++
		if w.b.onBlock != nil {
			w.b.onBlock(w.b.blocked)
		}
		w.b.mu.Unlock()
		<-ctx.Done()
		return scan.Outcome{Err: ctx.Err()}
	}
	return w.fakeWorker.Probe(ctx, dst, timeout)
}

func TestEngineResumeBadStart(t *testing.T) { bothModes(t, testEngineResumeBadStart) }

func testEngineResumeBadStart(t *testing.T, wrap func(scan.Prober) scan.Prober) {
	host := hostList{netip.MustParseAddr("192.0.2.1")}
	e, err := scan.New(host, wrap(&fakeProber{answer: closedAll}), scan.Config{Ports: ports(10)})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.RunTracked(context.Background(), scan.Resume{Start: 11}, func(*record.PortResult, uint64) {}); err == nil {
		t.Error("resuming past the end: no error")
	}
	// Starting at the end is a scan with nothing left to do.
	n := 0
	if err := e.RunTracked(context.Background(), scan.Resume{Start: 10}, func(*record.PortResult, uint64) { n++ }); err != nil || n != 0 || e.Mark() != 10 {
		t.Errorf("resuming at the end: %v, %d results, mark %d", err, n, e.Mark())
	}
	if err := e.RunTracked(context.Background(), scan.Resume{}, func(*record.PortResult, uint64) {}); err == nil {
		t.Error("an engine ran twice")
	}
}

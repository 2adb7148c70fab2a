package syn_test

import (
	"context"
	"net/netip"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/scan"
	"github.com/ajarsec/ajar/scan/syn"
	"github.com/ajarsec/ajar/target/perm"
)

// asyncScan probes every port of dst with Start, up to inflight at once,
// each silent port retried once with twice the timeout, as the engine
// does; it returns each port's outcome and the most goroutines seen.
func asyncScan(t *testing.T, p *syn.Prober, addr netip.Addr, inflight int, timeout time.Duration) ([]scan.Outcome, int) {
	t.Helper()
	ctx := t.Context()
	type res struct {
		port uint16
		o    scan.Outcome
	}
	sem := make(chan struct{}, inflight)
	results := make(chan res, 65536)
	var start func(port uint16, attempt int)
	start = func(port uint16, attempt int) {
		p.Start(ctx, netip.AddrPortFrom(addr, port), timeout<<attempt, func(o scan.Outcome) {
			if o.NoAnswer && attempt == 0 {
				start(port, 1) // from the settler's goroutine: Start never blocks long
				return
			}
			<-sem
			results <- res{port, o}
		})
	}
	out := make([]scan.Outcome, 65536)
	maxG := 0
	order := perm.New(65535, 4)
	// A feeder per CPU: Start sends from its caller's goroutine.
	feeders := runtime.GOMAXPROCS(0)
	for f := range feeders {
		go func() {
			for i := uint64(f); i < 65535; i += uint64(feeders) {
				sem <- struct{}{}
				start(uint16(order.At(i)+1), 0)
			}
		}()
	}
	for range 65535 {
		select {
		case r := <-results:
			out[r.port] = r.o
		case <-time.After(30 * time.Second):
			t.Fatal("no result for 30 s")
		}
		maxG = max(maxG, runtime.NumGoroutine())
	}
	return out, maxG
}

// TestStartFullScan scans every port of the bed's target with Start,
// without a goroutine per probe in flight, and checks every port.
func TestStartFullScan(t *testing.T) {
	bed := newScanBed(t)
	p := newProber(t, bed.Scanner, syn.Config{})
	for _, addr := range []netip.Addr{bed.TargetAddr4, bed.TargetAddr6} {
		runtime.GC()
		before := runtime.NumGoroutine()
		start := time.Now()
		out, maxG := asyncScan(t, p, addr, 50000, 100*time.Millisecond)
		took := time.Since(start)
		bad := 0
		for port := 1; port <= 65535; port++ {
			o := out[port]
			state := o.State
			if o.NoAnswer {
				state = record.Filtered
			}
			if o.Err != nil || state != bedState(uint16(port)) {
				if bad++; bad <= 10 {
					t.Errorf("%v port %d: %+v, want %s", addr, port, o, bedState(uint16(port)))
				}
			}
		}
		runtime.GC() // what is left is what the prober keeps: the workers Start made
		s := []metrics.Sample{{Name: "/memory/classes/heap/stacks:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
		metrics.Read(s)
		t.Logf("%v: all ports in %v, %d wrong, at most %d goroutines (%d before), stacks %d KiB, live heap %d KiB; %+v",
			addr, took, bad, maxG, before, s[0].Value.Uint64()>>10, s[1].Value.Uint64()>>10, p.Stats())
		if maxG > before+100 {
			t.Errorf("%d goroutines for %d before: probes in flight hold goroutines", maxG, before)
		}
	}
}

// TestStartCancel: a probe Start runs ends with the context's error when
// it is cancelled, and with an error once the prober is closed.
func TestStartCancel(t *testing.T) {
	bed := newScanBed(t)
	var p *syn.Prober
	if err := bed.InScanner(func() (err error) { p, err = syn.New(syn.Config{}); return err }); err != nil {
		t.Fatal(err)
	}
	dst := netip.AddrPortFrom(bed.TargetAddr4, 20000) // dropped
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan scan.Outcome, 2)
	p.Start(ctx, dst, time.Minute, func(o scan.Outcome) { got <- o })
	cancel()
	select {
	case o := <-got:
		if o.Err != context.Canceled {
			t.Errorf("cancelled: %+v", o)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("cancelling did not end the probe")
	}
	p.Start(context.Background(), dst, time.Minute, func(o scan.Outcome) { got <- o })
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case o := <-got:
		if o.Err == nil {
			t.Errorf("across Close: %+v", o)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end the probe")
	}
	p.Start(context.Background(), dst, time.Minute, func(o scan.Outcome) { got <- o })
	if o := <-got; o.Err == nil {
		t.Errorf("after Close: %+v", o)
	}
}

// started is a scan.Worker whose Probe runs on an AsyncWorker, the way
// the engine's slots run their probes: Start, then the done callback.
type started struct{ w scan.AsyncWorker }

func (s started) Probe(ctx context.Context, dst netip.AddrPort, timeout time.Duration) scan.Outcome {
	ch := make(chan scan.Outcome, 1)
	s.w.Start(ctx, dst, timeout, func(o scan.Outcome) { ch <- o })
	return <-ch
}

func (s started) Close() error { return s.w.Close() }

// held is started with the engine's batched sends: StartHeld, then the
// prober's Flush.
type held struct {
	started
	p *syn.Prober
}

func (h held) Probe(ctx context.Context, dst netip.AddrPort, timeout time.Duration) scan.Outcome {
	ch := make(chan scan.Outcome, 1)
	h.w.(scan.HoldStarter).StartHeld(ctx, dst, timeout, func(o scan.Outcome) { ch <- o })
	h.p.Flush()
	return <-ch
}

// bothWorkers runs test with the prober's goroutine workers and with its
// async workers (an engine slot's), sending at once and batched, which
// must behave alike: tries of one
// destination from other source ports, late answers kept or delivered to
// the retry.
func bothWorkers(t *testing.T, test func(t *testing.T, newWorker func(*syn.Prober) scan.Worker)) {
	t.Run("worker", func(t *testing.T) { test(t, func(p *syn.Prober) scan.Worker { return p.NewWorker() }) })
	t.Run("async", func(t *testing.T) { test(t, func(p *syn.Prober) scan.Worker { return started{p.NewAsyncWorker()} }) })
	t.Run("held", func(t *testing.T) {
		test(t, func(p *syn.Prober) scan.Worker { return held{started{p.NewAsyncWorker()}, p} })
	})
}

package scan_test

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/scan"
)

// waitProber answers every port but silent after rtt (odd ports after
// jitter more), as a real path would, and lets silent's tries wait out their timeout; it records the
// timeout each try of silent was given.
type waitProber struct {
	rtt    time.Duration
	jitter time.Duration
	silent uint16
	mu     sync.Mutex
	waits  []time.Duration
}

func (p *waitProber) Proto() record.Proto    { return record.TCP }
func (p *waitProber) NewWorker() scan.Worker { return waitWorker{p} }
func (p *waitProber) silentWaits() []time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]time.Duration(nil), p.waits...)
}

type waitWorker struct{ p *waitProber }

func (w waitWorker) Close() error { return nil }

func (w waitWorker) Probe(ctx context.Context, dst netip.AddrPort, timeout time.Duration) scan.Outcome {
	wait := w.p.rtt
	if dst.Port()%2 == 1 {
		wait += w.p.jitter
	}
	if dst.Port() == w.p.silent {
		w.p.mu.Lock()
		w.p.waits = append(w.p.waits, timeout)
		w.p.mu.Unlock()
		wait = timeout
	}
	select {
	case <-ctx.Done():
		return scan.Outcome{Err: ctx.Err()}
	case <-time.After(wait):
	}
	if dst.Port() == w.p.silent {
		return scan.Outcome{NoAnswer: true}
	}
	return scan.Outcome{State: record.Closed, Reason: record.ReasonReset, RTT: wait}
}

// TestAsyncWarmUpWaits: a silent port among the first probes, sent before
// anything answered, waits a quarter of the initial timeout (here the
// 100 ms floor), not the initial timeout.
//   - fast path: that was a whole try, and its retry waits the doubled
//     estimate under the floor, the floor itself, not twice it;
//   - jittery path (answers at 20 and 90 ms): by the time the try is
//     over the scan has learnt a first timeout above 100 ms, so the try,
//     cut short, is sent again uncounted with it, then retried;
//   - slow path (answers at 150 ms): nothing was learnt when it ended,
//     so it counts as the first try; the retry goes once the warm-up's
//     first answer lets the sender on, with the backed-off estimate.
func TestAsyncWarmUpWaits(t *testing.T) {
	const initial, floor = 400 * time.Millisecond, 100 * time.Millisecond
	for _, tc := range []struct {
		name        string
		rtt, jitter time.Duration
		want        func([]time.Duration) bool
	}{
		{"fast path", time.Millisecond, 0, func(w []time.Duration) bool {
			return len(w) == 2 && w[0] == floor && w[1] == floor
		}},
		{"jittery path", 20 * time.Millisecond, 70 * time.Millisecond, func(w []time.Duration) bool {
			return len(w) == 3 && w[0] == floor && w[1] > floor && w[1] < initial && w[2] > floor
		}},
		{"slow path", 150 * time.Millisecond, 0, func(w []time.Duration) bool {
			return len(w) == 2 && w[0] == floor && w[1] > floor
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &waitProber{rtt: tc.rtt, jitter: tc.jitter, silent: 1}
			e, err := scan.New(hostList{netip.MustParseAddr("192.0.2.1")}, asyncOf{p},
				scan.Config{Ports: ports(40), InitialTimeout: initial, MinTimeout: floor})
			if err != nil {
				t.Fatal(err)
			}
			got, err := collect(t, e)
			if err != nil {
				t.Fatal(err)
			}
			if r := got[netip.MustParseAddrPort("192.0.2.1:1")]; r.State != record.Filtered {
				t.Errorf("silent port %v, want filtered", r.State)
			}
			if w := p.silentWaits(); !tc.want(w) {
				t.Errorf("the silent port's tries waited %v", w)
			}
		})
	}
}

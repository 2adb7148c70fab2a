package scan_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/ajarsec/ajar/scan"
)

// asyncOf turns a Prober into an AsyncProber: each try runs the wrapped
// worker's Probe on a goroutine of its own and reports to done from
// there, as a real prober's receiver or timer would. It is how the
// engine's logic tests run on both of its paths.
type asyncOf struct{ scan.Prober }

func (p asyncOf) NewAsyncWorker() scan.AsyncWorker { return asyncWorker{p.NewWorker()} }

type asyncWorker struct{ w scan.Worker }

func (w asyncWorker) Start(ctx context.Context, dst netip.AddrPort, timeout time.Duration, done func(scan.Outcome)) {
	go func() { done(w.w.Probe(ctx, dst, timeout)) }()
}

func (w asyncWorker) Close() error { return w.w.Close() }

// bothModes runs test on the engine's goroutine-per-probe path (a plain
// Prober) and on its probes-as-data path (an AsyncProber).
func bothModes(t *testing.T, test func(t *testing.T, wrap func(scan.Prober) scan.Prober)) {
	t.Run("workers", func(t *testing.T) { test(t, func(p scan.Prober) scan.Prober { return p }) })
	t.Run("async", func(t *testing.T) { test(t, func(p scan.Prober) scan.Prober { return asyncOf{p} }) })
}

package syn_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/ajarsec/ajar/internal/netnstest"
	"github.com/ajarsec/ajar/scan"
	"github.com/ajarsec/ajar/scan/syn"
)

// BenchmarkAsyncProbe is the whole path of one probe as the engine runs
// it, in a namespace of its own: an engine slot's worker builds and sends
// a SYN to a closed port of 127.0.0.1, the receiver reads the reset,
// matches it and calls done. Both paths, send and receive, allocate
// nothing.
func BenchmarkAsyncProbe(b *testing.B) {
	ns := netnstest.New(b)
	var p *syn.Prober
	if err := ns.Do(func() (err error) { p, err = syn.New(syn.Config{}); return err }); err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	w := p.NewAsyncWorker()
	defer w.Close()
	ctx := context.Background()
	got := make(chan scan.Outcome, 1)
	done := func(o scan.Outcome) { got <- o }
	lo := netip.MustParseAddr("127.0.0.1")
	port := uint16(1)
	b.ReportAllocs()
	for b.Loop() {
		if port++; port > 20000 { // closed ports, each probed once in a while
			port = 2
		}
		w.Start(ctx, netip.AddrPortFrom(lo, port), time.Second, done)
		if o := <-got; o.Err != nil || o.NoAnswer {
			b.Fatalf("port %d: %+v", port, o)
		}
	}
}

// BenchmarkAsyncProbeBatch is BenchmarkAsyncProbe with the engine's
// batched sends: a batch of probes started held, one Flush (a sendmmsg),
// and their answers. Neither path allocates.
func BenchmarkAsyncProbeBatch(b *testing.B) {
	ns := netnstest.New(b)
	var p *syn.Prober
	if err := ns.Do(func() (err error) { p, err = syn.New(syn.Config{}); return err }); err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	const batch = 32
	var ws [batch]scan.HoldStarter
	for i := range ws {
		w := p.NewAsyncWorker()
		defer w.Close()
		ws[i] = w.(scan.HoldStarter)
	}
	ctx := context.Background()
	got := make(chan scan.Outcome, batch)
	done := func(o scan.Outcome) { got <- o }
	lo := netip.MustParseAddr("127.0.0.1")
	port := uint16(1)
	b.ReportAllocs()
	for n := 0; n < b.N; n += batch {
		for _, w := range ws {
			if port++; port > 20000 {
				port = 2
			}
			w.StartHeld(ctx, netip.AddrPortFrom(lo, port), time.Second, done)
		}
		p.Flush()
		for range ws {
			if o := <-got; o.Err != nil || o.NoAnswer {
				b.Fatalf("%+v", o)
			}
		}
	}
}

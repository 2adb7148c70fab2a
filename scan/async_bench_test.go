package scan_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/scan"
)

// instant is an AsyncProber whose probes are answered at once, from
// Start: it measures the engine's own work per probe.
type instant struct{}

func (instant) Proto() record.Proto              { return record.TCP }
func (instant) NewWorker() scan.Worker           { return nil }
func (instant) NewAsyncWorker() scan.AsyncWorker { return instant{} }
func (instant) Close() error                     { return nil }
func (instant) Start(_ context.Context, _ netip.AddrPort, _ time.Duration, done func(scan.Outcome)) {
	done(scan.Outcome{State: record.Closed, Reason: record.ReasonReset, RTT: time.Microsecond})
}

// BenchmarkEngineAsync runs b.N probes through the engine's async path
// (pace tokens at a fixed rate far above what it reaches, a slot, Start,
// done, settle, emit). One allocation a probe: the record handed to
// emit, which emit may keep; the send and settle paths allocate nothing,
// and what the engine makes once per scan is spread over b.N.
func BenchmarkEngineAsync(b *testing.B) {
	hosts := make(hostList, 256)
	for i := range hosts {
		hosts[i] = netip.AddrFrom4([4]byte{192, 0, 2, byte(i)})
	}
	nports := max(1, min(65535, b.N/len(hosts)))
	b.ReportAllocs()
	e, err := scan.New(hosts, instant{}, scan.Config{Ports: ports(nports), Rate: 1e9})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	got := 0
	if err := e.Run(context.Background(), func(*record.PortResult) { got++ }); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if got != len(hosts)*nports {
		b.Fatalf("%d results, want %d", got, len(hosts)*nports)
	}
}

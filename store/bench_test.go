package store_test

import (
	"context"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/run"
	"github.com/ajarsec/ajar/store"
)

// BenchmarkSinkLAN writes a /16 × top-100 scan's stream (each host: one
// open port, 99 closed, its host record) into a SQLite history, and
// reports the records and rows written per second.
func BenchmarkSinkLAN(b *testing.B) {
	const hosts, ports = 1 << 16, 100
	st, err := store.OpenDir(context.Background(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	b.ReportAllocs()
	base := netip.MustParseAddr("10.0.0.0").As4()
	cpu0 := cpuTime()
	for b.Loop() {
		k := st.NewSink(context.Background(), store.Meta{Kind: store.KindScan})
		k.Begin(run.Info{Start: time.Now()})
		var p record.PortResult
		for h := range hosts {
			a4 := base
			a4[2], a4[3] = byte(h>>8), byte(h)
			a := netip.AddrFrom4(a4)
			for port := uint16(1); port <= ports; port++ {
				p = record.PortResult{Host: a, Port: port, Proto: record.TCP, State: record.Closed, Reason: record.ReasonReset}
				if port == 80 {
					p.State, p.Reason = record.Open, record.ReasonSynAck
				}
				k.Write(&p)
			}
			k.Write(&record.Host{Addr: a, State: record.Up, Reason: record.ReasonUserSet})
		}
		if err := k.End(run.Summary{End: time.Now(), Hosts: hosts}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(hosts*(ports+1)*b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(hosts*3*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

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

// BenchmarkSinkFull records a full 65,535-port scan of one host (20 ports
// open, the rest closed, in a shuffled order as a SYN scan gives them)
// the way ajar scan does: the store opened by the sink, in a data
// directory that already holds a history, and closed at End.
func BenchmarkSinkFull(b *testing.B) {
	dir := b.TempDir()
	st, err := store.OpenDir(context.Background(), dir)
	if err != nil {
		b.Fatal(err)
	}
	st.Close()
	a := netip.MustParseAddr("10.0.0.1")
	order := make([]uint16, 0, 65535)
	for p := range 65535 {
		order = append(order, uint16((p*40503+7)%65535+1)) // a permutation of 1..65535
	}
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		open := func(ctx context.Context) (*store.Store, error) { return store.OpenDir(ctx, dir) }
		k := store.OpenSink(context.Background(), open, store.Meta{Kind: store.KindScan})
		k.Begin(run.Info{Start: time.Now()})
		var p record.PortResult
		for _, port := range order {
			p = record.PortResult{Host: a, Port: port, Proto: record.TCP, State: record.Closed, Reason: record.ReasonReset}
			if port%3277 == 0 {
				p.State, p.Reason = record.Open, record.ReasonSynAck
			}
			k.Write(&p)
		}
		k.Write(&record.Host{Addr: a, State: record.Up, Reason: record.ReasonUserSet})
		if err := k.End(run.Summary{End: time.Now(), Hosts: 1}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
}

// BenchmarkSinkLANGroups is BenchmarkSinkLAN in the order a scan gives
// its records: host groups of 4,096 hosts, each group's ports in a
// shuffled order across its hosts, its host records after its ports.
func BenchmarkSinkLANGroups(b *testing.B) {
	const hosts, ports, group = 1 << 16, 100, 4096
	st, err := store.OpenDir(context.Background(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	b.ReportAllocs()
	base := netip.MustParseAddr("10.0.0.0").As4()
	addr := func(h int) netip.Addr {
		a4 := base
		a4[2], a4[3] = byte(h>>8), byte(h)
		return netip.AddrFrom4(a4)
	}
	cpu0 := cpuTime()
	for b.Loop() {
		k := st.NewSink(context.Background(), store.Meta{Kind: store.KindScan})
		k.Begin(run.Info{Start: time.Now()})
		var p record.PortResult
		for g := 0; g < hosts; g += group {
			const n = group * ports
			for i := range n {
				j := (i*2654435761 + 12345) % n // a permutation of the group's probes
				h, port := g+j%group, uint16(j/group+1)
				p = record.PortResult{Host: addr(h), Port: port, Proto: record.TCP, State: record.Closed, Reason: record.ReasonReset}
				if port == 80 {
					p.State, p.Reason = record.Open, record.ReasonSynAck
				}
				k.Write(&p)
			}
			for h := g; h < g+group; h++ {
				k.Write(&record.Host{Addr: addr(h), State: record.Up, Reason: record.ReasonUserSet})
			}
		}
		if err := k.End(run.Summary{End: time.Now(), Hosts: hosts}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(hosts*3*b.N)/b.Elapsed().Seconds(), "rows/s")
}

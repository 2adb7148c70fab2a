package target_test

import (
	"context"
	"net/netip"
	"runtime"
	"testing"

	"github.com/ajarsec/ajar/target"
	"github.com/ajarsec/ajar/target/perm"
)

// TestTenSlashEight is the promise: 10.0.0.0/8 with 1,000 ports
// starts at once and stays small, because nothing is expanded. It counts
// allocations and heap, not time, so a slow machine cannot fail it.
func TestTenSlashEight(t *testing.T) {
	const ports = 1000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	specs, err := target.ParseList("10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	set, err := target.Resolve(context.Background(), specs, target.ResolveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	set = set.Exclude(mustResolve(t, "10.255.255.0/24 10.0.0.0"))
	if err := set.CheckLen(); err != nil {
		t.Fatal(err)
	}
	hosts := set.Len()
	if hosts != 1<<24-257 {
		t.Fatalf("hosts = %d", hosts)
	}
	p := perm.New(hosts*ports, 42)

	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<10 {
		t.Errorf("setting up 10.0.0.0/8 allocated %d bytes, want under 64 KiB", grew)
	}

	seen := make(map[netip.AddrPort]bool, 1000)
	probe := func() {
		for i := range uint64(1000) {
			idx := p.At(i)
			addr := set.At(idx / ports)
			port := uint16(1 + idx%ports)
			if seen != nil {
				seen[netip.AddrPortFrom(addr, port)] = true
			}
		}
	}
	probe()
	if len(seen) != 1000 {
		t.Errorf("first 1000 probes hit %d distinct (host, port) pairs", len(seen))
	}
	for ap := range seen {
		if !set.Contains(ap.Addr()) || ap.Addr() == netip.MustParseAddr("10.0.0.0") {
			t.Errorf("probe to %v, outside the targets", ap)
		}
	}
	seen = nil
	if allocs := testing.AllocsPerRun(10, probe); allocs != 0 {
		t.Errorf("first 1000 probes: %v allocations, want 0", allocs)
	}
}

func mustResolve(t *testing.T, list string) target.Set {
	t.Helper()
	specs, err := target.ParseList(list)
	if err != nil {
		t.Fatal(err)
	}
	s, err := target.Resolve(context.Background(), specs, target.ResolveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func BenchmarkSetAt(b *testing.B) {
	specs, err := target.ParseList("10.0.0.0/24 10.0.2.0/24 10.0.4.0/24 10.0.6.0/24 2001:db8::/64 10.0.0.0/8")
	if err != nil {
		b.Fatal(err)
	}
	set, err := target.Resolve(context.Background(), specs, target.ResolveOptions{})
	if err != nil {
		b.Fatal(err)
	}
	n := set.Len()
	b.ReportAllocs()
	var sink netip.Addr
	for i := range uint64(b.N) {
		sink = set.At(i * 0x9e3779b97f4a7c15 % n)
	}
	_ = sink
}

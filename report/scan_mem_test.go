package report

import (
	"bytes"
	"io"
	"net/netip"
	"runtime"
	"strings"
	"testing"

	"github.com/ajarsec/ajar/record"
)

// heapAfter reports the heap in use after f, less the heap in use before,
// with f's result still reachable.
func heapAfter(f func() any) (int64, any) {
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	before := int64(m.HeapInuse)
	keep := f()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse) - before, keep
}

// everyFormat writes to every format at once, table to tableOut.
func everyFormat(t testing.TB, tableOut io.Writer) ResultWriter {
	var ws []ResultWriter
	for _, f := range ScanFormats {
		out := io.Discard
		if f == Table {
			out = tableOut
		}
		w, err := NewResultWriter(f, out, ResultOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, w)
	}
	return MultiWriter(ws...)
}

const memLimit = 20 << 20

// TestScanMemoryBounded writes a million closed ports of a thousand hosts
// (every host up, nothing to list) to every format at once: the writers
// keep counters, not ports.
func TestScanMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("a million results")
	}
	const hosts, ports = 1000, 1000
	var table bytes.Buffer
	w := everyFormat(t, &table)
	ri := RunInfo{ScanType: "connect", Ports: "1-1000", NumPorts: ports}
	if err := w.Begin(ri); err != nil {
		t.Fatal(err)
	}
	grew, _ := heapAfter(func() any {
		r := record.PortResult{Proto: record.TCP, State: record.Closed, Reason: record.ReasonConnRefused, RTT: 1000}
		for p := 1; p <= ports; p++ {
			for h := range hosts {
				r.Host = netip.AddrFrom4([4]byte{10, 0, byte(h >> 8), byte(h)})
				r.Port = uint16(p)
				if err := w.Write(&r); err != nil {
					t.Fatal(err)
				}
			}
		}
		return w
	})
	t.Logf("heap grew %.1f MB for %d results", float64(grew)/(1<<20), hosts*ports)
	if grew > memLimit {
		t.Errorf("heap grew %d bytes, more than %d", grew, memLimit)
	}
	if err := w.End(RunStats{HostsTotal: hosts}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "ajar done: 1000 IP addresses (1000 hosts up)") ||
		!strings.Contains(table.String(), "Not shown: 1000 closed tcp ports (conn-refused)") {
		t.Errorf("table ends %q", table.String()[max(0, table.Len()-300):])
	}
}

// TestScanMemoryDownHosts writes a million silent hosts, one port each:
// past maxPending, hosts that never answered are not kept.
func TestScanMemoryDownHosts(t *testing.T) {
	if testing.Short() {
		t.Skip("a million results")
	}
	const hosts = 1 << 20
	var table bytes.Buffer
	w := everyFormat(t, &table)
	if err := w.Begin(RunInfo{ScanType: "connect", Ports: "80", NumPorts: 1}); err != nil {
		t.Fatal(err)
	}
	grew, _ := heapAfter(func() any {
		r := record.PortResult{Proto: record.TCP, Port: 80, State: record.Filtered, Reason: record.ReasonNoResponse}
		for h := range hosts {
			r.Host = netip.AddrFrom4([4]byte{10, byte(h >> 16), byte(h >> 8), byte(h)})
			if err := w.Write(&r); err != nil {
				t.Fatal(err)
			}
		}
		return w
	})
	t.Logf("heap grew %.1f MB for %d silent hosts", float64(grew)/(1<<20), hosts)
	if grew > memLimit {
		t.Errorf("heap grew %d bytes, more than %d", grew, memLimit)
	}
	if err := w.End(RunStats{HostsTotal: hosts}); err != nil {
		t.Fatal(err)
	}
	if want := "ajar done: 1048576 IP addresses (0 hosts up)"; !strings.HasPrefix(table.String(), want) {
		t.Errorf("table: %q, want %q", table.String(), want)
	}
}

// BenchmarkScanWrite is the per-result cost of the writers: closed ports
// (counted) to table and XML, open ones (listed) to JSON Lines.
func BenchmarkScanWrite(b *testing.B) {
	for _, f := range []Format{Table, XML, JSONL} {
		b.Run(string(f), func(b *testing.B) {
			w, err := NewResultWriter(f, io.Discard, ResultOptions{})
			if err != nil {
				b.Fatal(err)
			}
			if err := w.Begin(RunInfo{}); err != nil {
				b.Fatal(err)
			}
			r := record.PortResult{Proto: record.TCP, State: record.Closed, Reason: record.ReasonConnRefused, RTT: 1000}
			if f == JSONL {
				r.State, r.Reason = record.Open, record.ReasonConnected
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				r.Host = netip.AddrFrom4([4]byte{10, 0, byte(i >> 8 & 3), byte(i)})
				r.Port = uint16(i>>10) + 1
				i++
				if err := w.Write(&r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

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
func everyFormat(t testing.TB, tableOut io.Writer) Writer {
	var ws []Writer
	for _, fs := range Formats() {
		out := io.Discard
		if fs.Name == Table {
			out = tableOut
		}
		ws = append(ws, newWriter(t, fs.Name, out, Options{}))
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

// TestScanMemoryStreamed writes 200,000 hosts, each with an open port
// and then its Host record (the stream's order), to table and XML files:
// each host is printed as its record comes and forgotten, so the heap
// does not grow with the hosts, and the files hold every host before End.
func TestScanMemoryStreamed(t *testing.T) {
	if testing.Short() {
		t.Skip("200,000 hosts")
	}
	const hosts = 200000
	for _, f := range []Format{Table, XML} {
		t.Run(string(f), func(t *testing.T) {
			var c countWriter
			w := newWriter(t, f, &c, Options{})
			if err := w.Begin(RunInfo{ScanType: "syn", Ports: "22", NumPorts: 1}); err != nil {
				t.Fatal(err)
			}
			grew, _ := heapAfter(func() any {
				r := record.PortResult{Proto: record.TCP, Port: 22, State: record.Open, Reason: record.ReasonSynAck, RTT: 1000,
					Service: &record.Service{Name: "ssh", Method: "port-table", Confidence: 3}}
				h := record.Host{State: record.Up, Reason: record.ReasonUserSet}
				for i := range hosts {
					r.Host = netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
					h.Addr = r.Host
					if err := w.Write(&r); err != nil {
						t.Fatal(err)
					}
					if err := w.Write(&h); err != nil {
						t.Fatal(err)
					}
				}
				return w
			})
			t.Logf("heap grew %.1f MB for %d hosts; %d MB written before End", float64(grew)/(1<<20), hosts, c.n>>20)
			if grew > 4<<20 {
				t.Errorf("heap grew %d bytes, more than 4 MB", grew)
			}
			if c.hosts != hosts {
				t.Errorf("%d hosts in the file before End, want %d", c.hosts, hosts)
			}
			if err := w.End(RunStats{HostsTotal: hosts}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// countWriter counts the bytes and the hosts written to it (the lines
// that start a table's or XML's host), keeping nothing.
type countWriter struct {
	n     int
	hosts int
	tail  []byte
}

func (c *countWriter) Write(b []byte) (int, error) {
	c.n += len(b)
	// A marker may straddle two writes: look at the end of the last one
	// too.
	s := string(c.tail) + string(b)
	c.hosts += strings.Count(s, "ajar scan report for ") + strings.Count(s, "<host starttime") + strings.Count(s, "<host>")
	c.tail = append(c.tail[:0], b[max(0, len(b)-20):]...)
	return len(b), nil
}

// BenchmarkWrite is the per-record cost of the writers: a host's open
// port and its Host record, the stream's order.
func BenchmarkWrite(b *testing.B) {
	for _, fs := range Formats() {
		b.Run(string(fs.Name), func(b *testing.B) {
			w := newWriter(b, fs.Name, io.Discard, Options{})
			if err := w.Begin(RunInfo{ScanType: "syn", Ports: "22", NumPorts: 1}); err != nil {
				b.Fatal(err)
			}
			r := record.PortResult{Proto: record.TCP, Port: 22, State: record.Open, Reason: record.ReasonSynAck, RTT: 1000}
			h := record.Host{State: record.Up, Reason: record.ReasonUserSet}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				r.Host = netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
				h.Addr = r.Host
				i++
				if err := w.Write(&r); err != nil {
					b.Fatal(err)
				}
				if err := w.Write(&h); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(2, "records/op")
		})
	}
}

// BenchmarkScanWrite is the per-result cost of the writers: closed ports
// (counted) to table and XML, open ones (listed) to JSON Lines.
func BenchmarkScanWrite(b *testing.B) {
	for _, f := range []Format{Table, XML, JSONL} {
		b.Run(string(f), func(b *testing.B) {
			w := newWriter(b, f, io.Discard, Options{})
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

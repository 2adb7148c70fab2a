package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ajarsec/ajar/record"
)

var (
	webAddr      = netip.MustParseAddr("192.0.2.10")
	v6Addr       = netip.MustParseAddr("2001:db8::1")
	downAddr     = netip.MustParseAddr("192.0.2.20")
	filteredAddr = netip.MustParseAddr("192.0.2.30")
	webMAC       = record.MAC{0x02, 0, 0x5e, 0x10, 0, 0x0a}
)

// streamInfo is sampleInfo with the four hosts of sampleStream.
func streamInfo() RunInfo {
	ri := sampleInfo()
	ri.Args = append(ri.Args, "192.0.2.30")
	return ri
}

// sampleStream is sampleResults as run.Scan streams them, with a fourth
// host behind a firewall that drops everything: the down host's record
// first (discovery found it down), then the ports of the three up hosts
// interleaved, each host's record after its last port: the web host's
// from discovery (ARP, with its MAC), the silent host's and the v6 host's
// as scanned without discovery (user-set).
func sampleStream() []record.Record {
	rs := []record.Record{&record.Host{Addr: downAddr, State: record.Down, Reason: record.ReasonNoResponse}}
	ports := sampleResults()
	last := len(ports) - 3
	for i := range ports {
		r := &ports[i]
		if r.Host == downAddr {
			// The down host's ports are not probed: the silent host's
			// take their place.
			r.Host = filteredAddr
		}
		rs = append(rs, r)
		if i < last {
			continue
		}
		switch r.Host {
		case webAddr:
			rs = append(rs, &record.Host{Addr: webAddr, Name: "web.example", State: record.Up, Reason: record.ReasonARPResponse,
				RTT: 300 * time.Microsecond, MAC: webMAC})
		case v6Addr:
			rs = append(rs, &record.Host{Addr: v6Addr, State: record.Up, Reason: record.ReasonUserSet})
		case filteredAddr:
			rs = append(rs, &record.Host{Addr: filteredAddr, State: record.Up, Reason: record.ReasonUserSet})
		}
	}
	return rs
}

func streamStats() RunStats { return RunStats{End: sampleEnd, HostsTotal: 4} }

// interruptedStream is sampleStream stopped before any up host finished:
// the down host is the only one done.
func interruptedStream() []record.Record {
	rs := sampleStream()
	return rs[:len(rs)/2]
}

func interruptedStreamStats() RunStats {
	return RunStats{End: sampleEnd, HostsTotal: 4, HostsDone: 1, Interrupted: true}
}

// writeStream feeds records to a writer of format f and returns what it
// wrote.
func writeStream(t testing.TB, f Format, opts Options, ri RunInfo, rs []record.Record, st RunStats) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := newWriter(t, f, &buf, opts)
	if err := w.Begin(ri); err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.End(st); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestStreamGolden(t *testing.T) {
	for _, f := range []Format{Table, XML, Grep, JSONL, CSV} {
		t.Run(string(f), func(t *testing.T) {
			golden(t, "stream."+string(f), writeStream(t, f, Options{}, streamInfo(), sampleStream(), streamStats()))
		})
	}
	for _, f := range []Format{Table, XML, Grep} {
		t.Run(string(f)+"-interrupted", func(t *testing.T) {
			golden(t, "stream-interrupted."+string(f),
				writeStream(t, f, Options{}, streamInfo(), interruptedStream(), interruptedStreamStats()))
		})
	}
}

// TestFilteredHostListed (issue 11): a host whose every port is filtered
// is listed with its ports when its Host record says up; a host whose
// ports drew only ICMP errors is up without one; silence, or a router's
// word that the host cannot be reached, does not make a host up.
func TestFilteredHostListed(t *testing.T) {
	ri := RunInfo{Scans: []ScanInfo{{Type: "syn", Proto: record.TCP, Ports: "80,443", NumPorts: 2},
		{Type: "udp", Proto: record.UDP, Ports: "53", NumPorts: 1}}}
	dropped := netip.MustParseAddr("192.0.2.1")    // TCP behind a drop rule, UDP silent: -Pn
	prohibited := netip.MustParseAddr("192.0.2.2") // admin-prohibited, no Host record
	unreach := netip.MustParseAddr("192.0.2.3")    // host-unreach from a router
	var rs []record.Record
	for _, p := range []uint16{80, 443} {
		rs = append(rs,
			&record.PortResult{Host: dropped, Port: p, Proto: record.TCP, State: record.Filtered, Reason: record.ReasonNoResponse},
			&record.PortResult{Host: prohibited, Port: p, Proto: record.TCP, State: record.Filtered, Reason: record.ReasonAdminProhibited, RTT: time.Millisecond},
			&record.PortResult{Host: unreach, Port: p, Proto: record.TCP, State: record.Filtered, Reason: record.ReasonHostUnreach})
	}
	rs = append(rs,
		&record.PortResult{Host: dropped, Port: 53, Proto: record.UDP, State: record.OpenFiltered, Reason: record.ReasonNoResponse},
		&record.Host{Addr: dropped, State: record.Up, Reason: record.ReasonUserSet})
	st := RunStats{End: sampleEnd, HostsTotal: 3}

	tab := string(writeStream(t, Table, Options{}, ri, rs, st))
	for _, want := range []string{
		"ajar scan report for 192.0.2.1\nHost is up.\nAll 3 scanned ports on 192.0.2.1 are in ignored states.\n" +
			"Not shown: 2 filtered tcp ports (no-response), 1 open|filtered udp port (no-response)\n",
		"ajar scan report for 192.0.2.2\nHost is up (0.0010s latency).\nAll 2 scanned ports on 192.0.2.2 are in ignored states.\n" +
			"Not shown: 2 filtered tcp ports (admin-prohibited)\n",
		"ajar done: 3 IP addresses (2 hosts up) scanned in",
	} {
		if !strings.Contains(tab, want) {
			t.Errorf("table lacks %q:\n%s", want, tab)
		}
	}
	if strings.Contains(tab, "192.0.2.3") {
		t.Errorf("table lists the unreachable host:\n%s", tab)
	}

	run := parseNmap(t, writeStream(t, XML, Options{}, ri, rs, st))
	if len(run.Hosts) != 2 || run.HostStats.Up != 2 || run.HostStats.Down != 1 {
		t.Fatalf("XML: %d hosts, %+v", len(run.Hosts), run.HostStats)
	}
	// Finished by its Host record, the dropped host comes first.
	h := run.Hosts[0]
	if h.Address[0].Addr != "192.0.2.1" || h.Status.State != "up" || h.Status.Reason != "user-set" ||
		len(h.ExtraPorts) != 2 || h.ExtraPorts[0].State != "filtered" || h.ExtraPorts[0].Count != 2 ||
		h.ExtraPorts[1].State != "open|filtered" {
		t.Errorf("XML dropped host: %+v", h)
	}
	if h := run.Hosts[1]; h.Address[0].Addr != "192.0.2.2" || h.Status.Reason != "admin-prohibited" {
		t.Errorf("XML prohibited host: %+v", h)
	}

	var objs []map[string]any
	if err := json.Unmarshal(writeStream(t, JSON, Options{}, ri, rs, st), &objs); err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 || objs[0]["host"] != "192.0.2.1" || objs[0]["status"] != "up" || objs[0]["reason"] != "user-set" {
		t.Errorf("JSON: %v", objs)
	}
}

// TestInterruptedNotDown (issue 11): hosts a stopped scan never finished
// are neither up nor down; the closing lines say how many of the targets
// were scanned.
func TestInterruptedNotDown(t *testing.T) {
	ri := RunInfo{Start: sampleStart, ScanType: "syn", Ports: "22", NumPorts: 1}
	var rs []record.Record
	for i := range 2 {
		a := netip.AddrFrom4([4]byte{192, 0, 2, byte(1 + i)})
		rs = append(rs, &record.PortResult{Host: a, Port: 22, Proto: record.TCP, State: record.Open, Reason: record.ReasonSynAck},
			&record.Host{Addr: a, State: record.Up, Reason: record.ReasonEchoReply})
	}
	// A third host was probed, silent so far, when the scan stopped; a
	// fourth was never reached.
	rs = append(rs, &record.PortResult{Host: netip.MustParseAddr("192.0.2.3"), Port: 22, Proto: record.TCP,
		State: record.Filtered, Reason: record.ReasonNoResponse})
	for _, st := range []RunStats{
		{End: sampleEnd, HostsTotal: 4, HostsDone: 2, Interrupted: true},
		{End: sampleEnd, HostsTotal: 4, Interrupted: true}, // a producer that does not count
	} {
		tab := string(writeStream(t, Table, Options{}, ri, rs, st))
		if want := "ajar done: 2 of 4 IP addresses scanned (2 hosts up), interrupted after 1.23 seconds\n"; !strings.HasSuffix(tab, want) {
			t.Errorf("%+v: table ends\n%s\nwant %q", st, tab, want)
		}
		run := parseNmap(t, writeStream(t, XML, Options{}, ri, rs, st))
		if run.HostStats.Up != 2 || run.HostStats.Down != 0 || run.HostStats.Total != 2 ||
			!strings.Contains(run.Finished.Summary, "2 of 4 IP addresses scanned (2 hosts up)") {
			t.Errorf("%+v: XML %+v %+v", st, run.HostStats, run.Finished)
		}
		g := string(writeStream(t, Grep, Options{}, ri, rs, st))
		if !strings.Contains(g, " -- 2 of 4 IP addresses scanned (2 hosts up), interrupted after 1.23 seconds\n") {
			t.Errorf("%+v: grepable:\n%s", st, g)
		}
	}
	// Finished, the same stream's silent host is down.
	run := parseNmap(t, writeStream(t, XML, Options{}, ri, rs, RunStats{End: sampleEnd, HostsTotal: 3}))
	if run.HostStats.Up != 2 || run.HostStats.Down != 1 || run.HostStats.Total != 3 {
		t.Errorf("finished: XML %+v", run.HostStats)
	}
}

// TestGuessesAndMAC (issue 11): a name from the port table is shown as a
// guess in the table and grepable output (XML says method="table"), and
// the MAC address discovery found is in the scan's table and XML.
func TestGuessesAndMAC(t *testing.T) {
	tab := string(writeStream(t, Table, Options{}, streamInfo(), sampleStream(), streamStats()))
	if !strings.Contains(tab, "80/tcp  open   http?    connected") || !strings.Contains(tab, "22/tcp  open   ssh      connected") ||
		!strings.Contains(tab, "\nMAC Address: 02:00:5e:10:00:0a\n\n") {
		t.Errorf("table:\n%s", tab)
	}
	g := string(writeStream(t, Grep, Options{}, streamInfo(), sampleStream(), streamStats()))
	if !strings.Contains(g, "80/open/tcp//http?//Apache httpd (Debian <test> & \"q\")/") || !strings.Contains(g, "22/open/tcp//ssh//") {
		t.Errorf("grepable:\n%s", g)
	}
	x := writeStream(t, XML, Options{}, streamInfo(), sampleStream(), streamStats())
	if !bytes.Contains(x, []byte(`<address addr="02:00:5e:10:00:0a" addrtype="mac"/>`)) ||
		!bytes.Contains(x, []byte(`<service name="http" product="Apache httpd" extrainfo="Debian &lt;test&gt; &amp; &#34;q&#34;" method="table" conf="3"/>`)) {
		t.Errorf("XML:\n%s", x)
	}
}

// TestStreamFlushes: every host a writer has printed is in the file
// before End, and End completes the document.
func TestStreamFlushes(t *testing.T) {
	const n = 50
	for _, f := range []Format{Table, XML, Grep, JSONL} {
		t.Run(string(f), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out")
			fh, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			defer fh.Close()
			w := newWriter(t, f, fh, Options{})
			if err := w.Begin(RunInfo{Start: sampleStart, ScanType: "syn", Ports: "22", NumPorts: 1}); err != nil {
				t.Fatal(err)
			}
			for i := range n {
				a := netip.AddrFrom4([4]byte{10, 0, 0, byte(i)})
				if err := w.Write(&record.PortResult{Host: a, Port: 22, Proto: record.TCP, State: record.Open, Reason: record.ReasonSynAck}); err != nil {
					t.Fatal(err)
				}
				if err := w.Write(&record.Host{Addr: a, State: record.Up, Reason: record.ReasonUserSet}); err != nil {
					t.Fatal(err)
				}
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := bytes.Count(b, []byte("10.0.0.")); got < n {
				t.Errorf("%d hosts in the file before End, want %d:\n%s", got, n, b)
			}
			if err := w.End(RunStats{End: sampleEnd, HostsTotal: n}); err != nil {
				t.Fatal(err)
			}
			if f == XML {
				b, _ := os.ReadFile(path)
				if run := parseNmap(t, b); len(run.Hosts) != n {
					t.Errorf("%d hosts in the XML", len(run.Hosts))
				}
			}
		})
	}
}

// failAfter accepts n bytes, then fails every write.
type failAfter struct{ n int }

func (f *failAfter) Write(b []byte) (int, error) {
	if len(b) > f.n {
		k := f.n
		f.n = 0
		return k, errDiskFull
	}
	f.n -= len(b)
	return len(b), nil
}

// TestStickyError: after the io.Writer fails, every later call of every
// format returns that error.
func TestStickyError(t *testing.T) {
	for _, fs := range Formats() {
		t.Run(string(fs.Name), func(t *testing.T) {
			w := newWriter(t, fs.Name, &failAfter{n: 10}, Options{})
			var first error
			calls := []func() error{func() error { return w.Begin(streamInfo()) }}
			for _, r := range sampleStream() {
				calls = append(calls, func() error { return w.Write(r) })
			}
			calls = append(calls, func() error { return w.End(streamStats()) }, func() error { return w.End(streamStats()) })
			for i, c := range calls {
				err := c()
				if first == nil {
					first = err
					continue
				}
				if !errors.Is(err, errDiskFull) {
					t.Fatalf("call %d after the error: %v", i, err)
				}
			}
			if first == nil {
				// Every call wrote nothing but End, which failed: the
				// test made no error to stick.
				t.Fatal("the io.Writer never failed")
			}
		})
	}
}

// TestRegistry: every format is registered once, with a description and
// the record kinds it takes, and New makes its writer.
func TestRegistry(t *testing.T) {
	var names []string
	for _, f := range Formats() {
		names = append(names, string(f.Name))
		if f.Description == "" || strings.Contains(f.Description, "\n") || !f.Takes("port") || !f.Takes("host") || f.Takes("socket") != (f.Sockets != nil) {
			t.Errorf("%s: %+v", f.Name, f)
		}
		if _, err := New(f.Name, &bytes.Buffer{}, Options{}); err != nil {
			t.Error(err)
		}
	}
	var socketNames []string
	for _, f := range SocketFormats() {
		socketNames = append(socketNames, string(f.Name))
	}
	if want := []string{"csv", "json", "jsonl", "table"}; !slices.Equal(socketNames, want) {
		t.Errorf("socket formats %v, want %v", socketNames, want)
	}
	if want := []string{"csv", "grep", "json", "jsonl", "sarif", "table", "xml"}; !slices.Equal(names, want) {
		t.Errorf("formats %v, want %v", names, want)
	}
	if got := FormatNames(); got != "csv, grep, json, jsonl, sarif, table or xml" {
		t.Errorf("FormatNames: %q", got)
	}
	if h := FormatHelp(); strings.Count(h, "\n") != len(names) || !strings.Contains(h, "  grep   nmap's grepable") {
		t.Errorf("FormatHelp:\n%s", h)
	}
	mustPanic := func(name string, s FormatSpec) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", name)
			}
		}()
		register(s)
	}
	mustPanic("duplicate", FormatSpec{Name: Table, Description: "again", Kinds: []string{"port"},
		New: func(io.Writer, Options) Writer { return nil }})
	mustPanic("incomplete", FormatSpec{Name: "nosuch"})
	if _, ok := registry["nosuch"]; ok {
		t.Error("an incomplete format was registered")
	}
}

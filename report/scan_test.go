package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ajarsec/ajar/record"
)

var (
	sampleStart = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	sampleEnd   = sampleStart.Add(1230 * time.Millisecond)
	samplePorts = []uint16{21, 22, 23, 25, 53, 80, 110, 143, 443, 8080}
)

func sampleInfo() RunInfo {
	return RunInfo{
		Args: []string{"ajar", "scan", "-p", "21-23,25,53,80,110,143,443,8080", "--save", "xml:my scan's.xml",
			"web.example", "2001:db8::1", "192.0.2.20"},
		Start:     sampleStart,
		ScanType:  "connect",
		Protocols: []record.Proto{record.TCP},
		Ports:     "21-23,25,53,80,110,143,443,8080",
		NumPorts:  len(samplePorts),
		Version:   "0.1.0",
	}
}

// sampleResults is a scan of three hosts over samplePorts, interleaved
// port by port as the engine's permutation interleaves them:
//   - 192.0.2.10 (web.example): ssh (identified) and http (port table)
//     open, 443 filtered, the rest closed;
//   - 2001:db8::1: 8080 open, 22 closed, 25 administratively prohibited,
//     the rest silent;
//   - 192.0.2.20: every port silent, so down.
func sampleResults() []record.PortResult {
	web := netip.MustParseAddr("192.0.2.10")
	v6 := netip.MustParseAddr("2001:db8::1")
	down := netip.MustParseAddr("192.0.2.20")
	var rs []record.PortResult
	for i, p := range samplePorts {
		rtt := time.Duration(100+10*i) * time.Microsecond
		r := record.PortResult{Host: web, Hostname: "web.example", Port: p, Proto: record.TCP,
			State: record.Closed, Reason: record.ReasonConnRefused, RTT: rtt}
		switch p {
		case 22:
			r.State, r.Reason = record.Open, record.ReasonConnected
			r.Service = &record.Service{Name: "ssh", Product: "OpenSSH", Version: "9.2p1 Debian 2",
				ExtraInfo: "protocol 2.0", CPE: []string{"cpe:/a:openbsd:openssh:9.2p1", "cpe:/o:linux:linux_kernel"},
				Confidence: 10, Method: "probed", Banner: "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"}
		case 80:
			r.State, r.Reason = record.Open, record.ReasonConnected
			r.Service = &record.Service{Name: "http", Product: "Apache httpd", ExtraInfo: `Debian <test> & "q"`,
				Confidence: 3, Method: "port-table"}
		case 443:
			r.State, r.Reason, r.RTT = record.Filtered, record.ReasonNoResponse, 0
		}
		rs = append(rs, r)

		r = record.PortResult{Host: v6, Port: p, Proto: record.TCP, State: record.Filtered, Reason: record.ReasonNoResponse}
		switch p {
		case 8080:
			r.State, r.Reason, r.RTT = record.Open, record.ReasonConnected, 2*time.Millisecond+345*time.Microsecond
			r.Service = &record.Service{Name: "http", Product: "nginx", Version: "1.22.1", Confidence: 10,
				CPE: []string{"cpe:2.3:a:f5:nginx:1.22.1:*:*:*:*:*:*:*"}, Method: "probed", Tunnel: "ssl",
				TLS: &record.TLS{Version: "TLSv1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", ALPN: "http/1.1",
					JA3S: "eb1d94daa7e0344597e756a1fb6e7054", JA3SString: "771,4865,43-51",
					Cert: &record.Certificate{Subject: "CN=db.example", SANs: []string{"db.example"}, Issuer: "CN=db.example",
						NotBefore: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
						SelfSigned: true, Expired: true, KeyType: "ECDSA", KeyBits: 256, SHA256: "00ff"}}}
		case 22:
			r.State, r.Reason, r.RTT = record.Closed, record.ReasonConnRefused, 2100*time.Microsecond
		case 25:
			r.Reason, r.RTT = record.ReasonAdminProhibited, 1900*time.Microsecond
		}
		rs = append(rs, r)

		rs = append(rs, record.PortResult{Host: down, Port: p, Proto: record.TCP, State: record.Filtered, Reason: record.ReasonNoResponse})
	}
	return rs
}

// runScan feeds rs to a writer of format f and returns what it wrote.
func runScan(t testing.TB, f Format, opts Options, ri RunInfo, rs []record.PortResult, st RunStats) []byte {
	t.Helper()
	var buf bytes.Buffer
	feed(t, newWriter(t, f, &buf, opts), ri, rs, st)
	return buf.Bytes()
}

// newWriter makes a writer whose clock stops at sampleEnd.
func newWriter(t testing.TB, f Format, w io.Writer, opts Options) Writer {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return sampleEnd }
	}
	rw, err := New(f, w, opts)
	if err != nil {
		t.Fatal(err)
	}
	return rw
}

func feed(t testing.TB, w Writer, ri RunInfo, rs []record.PortResult, st RunStats) {
	t.Helper()
	if err := w.Begin(ri); err != nil {
		t.Fatal(err)
	}
	for i := range rs {
		r := rs[i] // writers must not keep the pointer
		if err := w.Write(&r); err != nil {
			t.Fatal(err)
		}
		r = record.PortResult{}
	}
	if err := w.End(st); err != nil {
		t.Fatal(err)
	}
}

func sampleStats() RunStats { return RunStats{End: sampleEnd, HostsTotal: 3} }

// interruptedStats and interruptedResults are a run stopped after the
// first half of its probes.
func interruptedStats() RunStats { return RunStats{End: sampleEnd, HostsTotal: 3, Interrupted: true} }

func interruptedResults() []record.PortResult {
	rs := sampleResults()
	return rs[:len(rs)/2]
}

func TestScanGolden(t *testing.T) {
	for _, tc := range []struct {
		name   string
		format Format
		opts   Options
		rs     []record.PortResult
		st     RunStats
	}{
		{"scan.table", Table, Options{}, sampleResults(), sampleStats()},
		{"scan-color.table", Table, Options{Style: Style{Color: true}}, sampleResults(), sampleStats()},
		{"scan-all.table", Table, Options{AllPorts: true}, sampleResults(), sampleStats()},
		{"scan-interrupted.table", Table, Options{}, interruptedResults(), interruptedStats()},
		{"scan.json", JSON, Options{}, sampleResults(), sampleStats()},
		{"scan-all.json", JSON, Options{AllPorts: true}, sampleResults(), sampleStats()},
		{"scan.jsonl", JSONL, Options{}, sampleResults(), sampleStats()},
		{"scan-all.jsonl", JSONL, Options{AllPorts: true}, sampleResults(), sampleStats()},
		{"scan.csv", CSV, Options{}, sampleResults(), sampleStats()},
		{"scan-all.csv", CSV, Options{AllPorts: true}, sampleResults(), sampleStats()},
		{"scan.xml", XML, Options{}, sampleResults(), sampleStats()},
		{"scan-all.xml", XML, Options{AllPorts: true}, sampleResults(), sampleStats()},
		{"scan-interrupted.xml", XML, Options{}, interruptedResults(), interruptedStats()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			golden(t, tc.name, runScan(t, tc.format, tc.opts, sampleInfo(), tc.rs, tc.st))
		})
	}
}

// TestScanEmpty: a scan that found nothing still writes valid documents.
func TestScanEmpty(t *testing.T) {
	want := map[Format]string{
		JSON:  "[]\n",
		JSONL: "",
		CSV:   "host,hostname,port,proto,state,reason,rtt_ms,service,product,version,mac\n",
		Table: "ajar done: 0 IP addresses (0 hosts up) scanned in 1.23 seconds\n",
		Grep: "# ajar 0.1.0 scan initiated Sat Mar 14 15:09:26 2026 as: " + shellJoin(sampleInfo().Args) +
			"\n# ajar done at Sat Mar 14 15:09:27 2026 -- 0 IP addresses (0 hosts up) scanned in 1.23 seconds\n",
	}
	for _, fs := range Formats() {
		f := fs.Name
		got := string(runScan(t, f, Options{}, sampleInfo(), nil, RunStats{End: sampleEnd}))
		if w, ok := want[f]; ok && got != w {
			t.Errorf("%s: %q, want %q", f, got, w)
		}
	}
	x := runScan(t, XML, Options{}, sampleInfo(), nil, RunStats{End: sampleEnd})
	if err := xml.Unmarshal(x, new(nmapRun)); err != nil {
		t.Errorf("empty XML: %v\n%s", err, x)
	}
}

// TestScanJSONDecodes checks the hand-built JSON against encoding/json.
func TestScanJSONDecodes(t *testing.T) {
	type rec struct {
		Host     netip.Addr      `json:"host"`
		Hostname *string         `json:"hostname"`
		Port     uint16          `json:"port"`
		Proto    record.Proto    `json:"proto"`
		State    record.State    `json:"state"`
		Reason   record.Reason   `json:"reason"`
		RTTms    *float64        `json:"rtt_ms"`
		Service  *record.Service `json:"service"`
	}
	rs := sampleResults()
	var all []rec
	if err := json.Unmarshal(runScan(t, JSON, Options{AllPorts: true}, sampleInfo(), rs, sampleStats()), &all); err != nil {
		t.Fatal(err)
	}
	if len(all) != len(rs) {
		t.Fatalf("%d records, want %d", len(all), len(rs))
	}
	for i, g := range all {
		r := rs[i]
		if g.Host != r.Host || g.Port != r.Port || g.Proto != r.Proto || g.State != r.State || g.Reason != r.Reason {
			t.Errorf("record %d: %+v, want %+v", i, g, r)
		}
		if (g.Hostname == nil) != (r.Hostname == "") || (g.Hostname != nil && *g.Hostname != r.Hostname) {
			t.Errorf("record %d: hostname %v, want %q", i, g.Hostname, r.Hostname)
		}
		if (g.RTTms == nil) != (r.RTT == 0) || (g.RTTms != nil && *g.RTTms != float64(r.RTT.Microseconds())/1000) {
			t.Errorf("record %d: rtt_ms %v, want %v", i, g.RTTms, r.RTT)
		}
		if (g.Service == nil) != (r.Service == nil) {
			t.Errorf("record %d: service %v, want %v", i, g.Service, r.Service)
		} else if r.Service != nil && !reflect.DeepEqual(*g.Service, *r.Service) {
			t.Errorf("record %d: service %+v, want %+v", i, *g.Service, *r.Service)
		}
	}

	// JSON Lines, open ports only: one object per line.
	lines := strings.Split(strings.TrimSuffix(string(runScan(t, JSONL, Options{}, sampleInfo(), rs, sampleStats())), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want the 3 open ports:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	for _, l := range lines {
		var g rec
		if err := json.Unmarshal([]byte(l), &g); err != nil || g.State != record.Open {
			t.Errorf("line %s: %v, state %v", l, err, g.State)
		}
	}
}

func TestScanCSVParses(t *testing.T) {
	recs, err := csv.NewReader(bytes.NewReader(runScan(t, CSV, Options{AllPorts: true}, sampleInfo(), sampleResults(), sampleStats()))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1+len(sampleResults()) {
		t.Fatalf("%d rows", len(recs))
	}
	if got := strings.Join(recs[4], ","); got != "192.0.2.10,web.example,22,tcp,open,connected,0.11,ssh,OpenSSH,9.2p1 Debian 2," {
		t.Errorf("ssh row: %s", got)
	}
}

// flushRecorder records what reached it, write by write.
type flushRecorder struct{ writes []string }

func (f *flushRecorder) Write(b []byte) (int, error) {
	f.writes = append(f.writes, string(b))
	return len(b), nil
}

// TestScanJSONLStreams: each open port reaches the io.Writer as its
// result is written, not at End.
func TestScanJSONLStreams(t *testing.T) {
	var fr flushRecorder
	w := newWriter(t, JSONL, &fr, Options{})
	if err := w.Begin(sampleInfo()); err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, r := range sampleResults() {
		if err := w.Write(&r); err != nil {
			t.Fatal(err)
		}
		if r.State == record.Open {
			seen++
		}
		if len(fr.writes) != seen {
			t.Fatalf("after %d open ports, %d writes reached the writer", seen, len(fr.writes))
		}
	}
	if seen == 0 || !strings.HasSuffix(fr.writes[0], "}\n") {
		t.Errorf("writes: %q", fr.writes)
	}
	if err := w.End(sampleStats()); err != nil {
		t.Fatal(err)
	}
}

// nmapRun is the part of nmap's XML the tests read.
type nmapRun struct {
	Scanner  string `xml:"scanner,attr"`
	Args     string `xml:"args,attr"`
	ScanInfo []struct {
		Type        string `xml:"type,attr"`
		NumServices int    `xml:"numservices,attr"`
		Services    string `xml:"services,attr"`
	} `xml:"scaninfo"`
	Hosts []struct {
		Status struct {
			State  string `xml:"state,attr"`
			Reason string `xml:"reason,attr"`
		} `xml:"status"`
		Address []struct {
			Addr string `xml:"addr,attr"`
			Type string `xml:"addrtype,attr"`
		} `xml:"address"`
		Hostnames []struct {
			Name string `xml:"name,attr"`
		} `xml:"hostnames>hostname"`
		ExtraPorts []struct {
			State   string `xml:"state,attr"`
			Count   int    `xml:"count,attr"`
			Reasons []struct {
				Reason string `xml:"reason,attr"`
				Count  int    `xml:"count,attr"`
			} `xml:"extrareasons"`
		} `xml:"ports>extraports"`
		Ports []struct {
			Protocol string `xml:"protocol,attr"`
			PortID   int    `xml:"portid,attr"`
			State    struct {
				State  string `xml:"state,attr"`
				Reason string `xml:"reason,attr"`
			} `xml:"state"`
			Service *struct {
				Name      string   `xml:"name,attr"`
				Product   string   `xml:"product,attr"`
				ExtraInfo string   `xml:"extrainfo,attr"`
				Method    string   `xml:"method,attr"`
				Conf      int      `xml:"conf,attr"`
				CPE       []string `xml:"cpe"`
			} `xml:"service"`
		} `xml:"ports>port"`
	} `xml:"host"`
	Finished struct {
		Exit     string `xml:"exit,attr"`
		ErrorMsg string `xml:"errormsg,attr"`
		Summary  string `xml:"summary,attr"`
	} `xml:"runstats>finished"`
	HostStats struct {
		Up    int `xml:"up,attr"`
		Down  int `xml:"down,attr"`
		Total int `xml:"total,attr"`
	} `xml:"runstats>hosts"`
}

func parseNmap(t *testing.T, b []byte) nmapRun {
	t.Helper()
	var run nmapRun
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	if err := d.Decode(&run); err != nil {
		t.Fatalf("not XML: %v\n%s", err, b)
	}
	return run
}

func TestScanXMLParses(t *testing.T) {
	ri := sampleInfo()
	run := parseNmap(t, runScan(t, XML, Options{}, ri, sampleResults(), sampleStats()))
	if run.Scanner != "ajar" || run.Args != shellJoin(ri.Args) || len(run.ScanInfo) != 1 || run.ScanInfo[0].NumServices != 10 {
		t.Errorf("header: %+v", run)
	}
	if len(run.Hosts) != 2 || run.HostStats.Up != 2 || run.HostStats.Down != 1 || run.HostStats.Total != 3 {
		t.Fatalf("%d hosts, stats %+v", len(run.Hosts), run.HostStats)
	}
	web, v6 := run.Hosts[0], run.Hosts[1]
	if web.Address[0].Addr != "192.0.2.10" || web.Address[0].Type != "ipv4" || len(web.Hostnames) != 1 || web.Hostnames[0].Name != "web.example" {
		t.Errorf("web host: %+v", web)
	}
	if v6.Address[0].Type != "ipv6" || len(v6.Hostnames) != 0 || v6.Status.State != "up" || v6.Status.Reason != "conn-refused" {
		t.Errorf("v6 host: %+v", v6)
	}
	if len(web.Ports) != 2 || web.Ports[0].PortID != 22 || web.Ports[0].State.Reason != "syn-ack" {
		t.Fatalf("web ports: %+v", web.Ports)
	}
	ssh, http := web.Ports[0].Service, web.Ports[1].Service
	if ssh == nil || ssh.Method != "probed" || ssh.Conf != 10 || len(ssh.CPE) != 2 {
		t.Errorf("ssh service: %+v", ssh)
	}
	if http == nil || http.Method != "table" || http.ExtraInfo != `Debian <test> & "q"` {
		t.Errorf("http service: %+v", http)
	}
	ep := web.ExtraPorts
	if len(ep) != 2 || ep[0].State != "closed" || ep[0].Count != 7 || ep[1].State != "filtered" || ep[1].Count != 1 {
		t.Errorf("web extraports: %+v", ep)
	}
	ep = v6.ExtraPorts
	if len(ep) != 2 || ep[0].State != "filtered" || ep[0].Count != 8 || len(ep[0].Reasons) != 2 ||
		ep[0].Reasons[0].Reason != "no-response" || ep[0].Reasons[0].Count != 7 {
		t.Errorf("v6 extraports: %+v", ep)
	}
	if run.Finished.Exit != "success" || run.Finished.ErrorMsg != "" {
		t.Errorf("finished: %+v", run.Finished)
	}

	run = parseNmap(t, runScan(t, XML, Options{}, ri, interruptedResults(), interruptedStats()))
	if run.Finished.Exit != "error" || run.Finished.ErrorMsg != "interrupted" || !strings.Contains(run.Finished.Summary, "2 of 3 IP addresses scanned") ||
		run.HostStats.Up != 2 || run.HostStats.Down != 0 || run.HostStats.Total != 2 {
		t.Errorf("interrupted: %+v %+v", run.Finished, run.HostStats)
	}
}

// FuzzScanXML: whatever a peer or a user put in a string, the XML stays
// well formed, and the string comes back, with each character XML cannot
// hold (and each invalid byte) turned into U+FFFD.
func FuzzScanXML(f *testing.F) {
	for _, s := range []string{"plain", `<>&"'`, "\x00\x01\t\n\r", "é\u2028\xff\xfe", "]]>", "\ufffe\U0010ffff", "a\u0085b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := record.PortResult{Host: netip.MustParseAddr("fe80::1%eth\"0"), Hostname: s, Port: 1, Proto: record.TCP,
			State: record.Open, Reason: record.Reason(s),
			Service: &record.Service{Name: s, Product: s, Version: s, ExtraInfo: s, CPE: []string{s}, Method: s}}
		ri := sampleInfo()
		ri.Args = append(ri.Args, s)
		ri.Version = s
		run := parseNmap(t, runScan(t, XML, Options{}, ri, []record.PortResult{r}, sampleStats()))
		if len(run.Hosts) != 1 || len(run.Hosts[0].Ports) != 1 || run.Hosts[0].Ports[0].Service == nil {
			t.Fatalf("%q: %+v", s, run)
		}
		var want strings.Builder
		for i := 0; i < len(s); {
			c, n := utf8.DecodeRuneInString(s[i:])
			if c == utf8.RuneError && n == 1 || !xmlChar(c) {
				c = utf8.RuneError
			}
			want.WriteRune(c)
			i += n
		}
		svc := run.Hosts[0].Ports[0].Service
		if svc.Product != want.String() || len(svc.CPE) != 1 || svc.CPE[0] != want.String() {
			t.Errorf("%q came back as %q, cpe %q", s, svc.Product, svc.CPE)
		}
	})
}

// xmlChar reports whether XML 1.0 can hold r.
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0a || r == 0x0d || r >= 0x20 && r <= 0xd7ff ||
		r >= 0xe000 && r <= 0xfffd || r >= 0x10000 && r <= 0x10ffff
}

// TestScanPendingOverflow: with room for no host that has not answered,
// a complete scan still counts every silent port, and says which reason.
func TestScanPendingOverflow(t *testing.T) {
	for _, f := range []Format{Table, XML} {
		want := runScan(t, f, Options{}, sampleInfo(), sampleResults(), sampleStats())
		var buf bytes.Buffer
		w := newWriter(t, f, &buf, Options{})
		switch w := w.(type) {
		case *tableWriter:
			w.book.maxPending = 0
		case *xmlWriter:
			w.book.maxPending = 0
		}
		// Silent ports first: every host is still pending when they come.
		rs := sampleResults()
		var silent, rest []record.PortResult
		for _, r := range rs {
			if answered(r.State, r.Reason) {
				rest = append(rest, r)
			} else {
				silent = append(silent, r)
			}
		}
		feed(t, w, sampleInfo(), append(silent, rest...), sampleStats())
		// The dropped ports were silent (no-response): the ones counted
		// back in are too, and the admin-prohibited answer, which makes
		// its host known at once, keeps its reason.
		if got := buf.String(); got != string(want) {
			t.Errorf("%s with no pending room:\n%s\nwant\n%s", f, got, want)
		}
	}
}

func TestSeconds2(t *testing.T) {
	for d, want := range map[time.Duration]string{
		123456 * time.Nanosecond: "0.00012",
		99600 * time.Microsecond: "0.10",
		12 * time.Millisecond:    "0.012",
		1234 * time.Millisecond:  "1.2",
		12345 * time.Millisecond: "12",
		0:                        "0",
	} {
		if got := seconds2(d); got != want {
			t.Errorf("%v: %s, want %s", d, got, want)
		}
	}
}

func TestParseScanFormat(t *testing.T) {
	for _, s := range []string{"table", "json", "JSONL", "csv", "xml", "XML"} {
		if _, err := ParseScanFormat(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	if _, err := ParseFormat("xml"); err == nil {
		t.Error("ParseFormat accepted xml, which only scans can be written in")
	}
	if _, err := New("junit", &bytes.Buffer{}, Options{}); err == nil {
		t.Error("New accepted junit")
	}
	if _, err := ParseScanFormat("grep"); err != nil {
		t.Error(err)
	}
	for in, want := range map[string][2]string{
		"xml:out.xml":          {"xml", "out.xml"},
		"JSONL:/tmp/a:b.jsonl": {"jsonl", "/tmp/a:b.jsonl"},
		`csv:C:\scan.csv`:      {"csv", `C:\scan.csv`},
	} {
		f, p, err := ParseSave(in)
		if err != nil || string(f) != want[0] || p != want[1] {
			t.Errorf("ParseSave(%q) = %q, %q, %v", in, f, p, err)
		}
	}
	for _, in := range []string{"xml", "xml:", "pdf:out.pdf", ":out"} {
		if _, _, err := ParseSave(in); err == nil {
			t.Errorf("ParseSave(%q) accepted", in)
		}
	}
}

// failWriter fails every write.
type failWriter struct{}

var errDiskFull = errors.New("disk full")

func (failWriter) Write([]byte) (int, error) { return 0, errDiskFull }

// TestMultiWriter: a failing output does not stop the others, and its
// error is reported once.
func TestMultiWriter(t *testing.T) {
	var good bytes.Buffer
	g := newWriter(t, XML, &good, Options{})
	bad := newWriter(t, JSONL, failWriter{}, Options{})
	m := MultiWriter(bad, g)
	if err := m.Begin(sampleInfo()); err != nil {
		t.Fatal(err)
	}
	var errs int
	for _, r := range sampleResults() {
		if err := m.Write(&r); err != nil {
			if !errors.Is(err, errDiskFull) {
				t.Fatal(err)
			}
			errs++
		}
	}
	if errs != 1 {
		t.Errorf("%d errors, want 1", errs)
	}
	if err := m.End(sampleStats()); !errors.Is(err, errDiskFull) {
		t.Errorf("End: %v", err)
	}
	golden(t, "scan.xml", good.Bytes())
}

func TestShellJoin(t *testing.T) {
	got := shellJoin([]string{"ajar", "scan", "-p", "22,80", "--save=xml:a b.xml", "it's", ""})
	want := `ajar scan -p 22,80 '--save=xml:a b.xml' 'it'\''s' ''`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

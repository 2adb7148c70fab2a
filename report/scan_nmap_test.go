package report

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ajarsec/ajar/record"
)

// These tests hand ajar's XML to nmap's own tools: ndiff (Debian package
// ndiff) and the XSL stylesheet (nmap-common) through xsltproc (xsltproc).

const nmapXSL = "/usr/share/nmap/nmap.xsl"

// needTool skips the test when a program is missing, or fails it under CI.
func needTool(t *testing.T, path, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(path)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (Debian package %s) is needed and missing", path, pkg)
	}
	t.Skipf("needs %s (Debian package %s)", path, pkg)
	return ""
}

func writeTemp(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// twoScans are the XML of two scans of one host: first with ssh open, then
// with ssh closed and http open.
func twoScans(t *testing.T) (before, after string) {
	host := netip.MustParseAddr("192.0.2.10")
	ri := RunInfo{Args: []string{"ajar", "scan", "-p", "22,80,443", "192.0.2.10"}, Start: sampleStart,
		ScanType: "connect", Ports: "22,80,443", NumPorts: 3, Version: "0.1.0"}
	mk := func(open uint16) []record.PortResult {
		var rs []record.PortResult
		for _, p := range []uint16{22, 80, 443} {
			r := record.PortResult{Host: host, Port: p, Proto: record.TCP, State: record.Closed,
				Reason: record.ReasonConnRefused, RTT: 200 * time.Microsecond}
			if p == open {
				r.State, r.Reason = record.Open, record.ReasonConnected
			}
			name := map[uint16]string{22: "ssh", 80: "http", 443: "https"}[p]
			r.Service = &record.Service{Name: name, Confidence: 3, Method: "port-table"}
			rs = append(rs, r)
		}
		return rs
	}
	st := RunStats{End: sampleEnd, HostsTotal: 1}
	before = writeTemp(t, "before.xml", runScan(t, XML, Options{}, ri, mk(22), st))
	ri.Start, st.End = ri.Start.Add(time.Hour), st.End.Add(time.Hour)
	after = writeTemp(t, "after.xml", runScan(t, XML, Options{}, ri, mk(80), st))
	return before, after
}

// TestScanXMLNdiff: ndiff reads two of our scans and reports the change;
// a scan compared with itself has none.
func TestScanXMLNdiff(t *testing.T) {
	ndiff := needTool(t, "ndiff", "ndiff")
	before, after := twoScans(t)

	out, err := exec.Command(ndiff, before, after).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("ndiff: %v, want exit status 1 (different)\n%s", err, out)
	}
	for _, want := range []string{"192.0.2.10", "-22/tcp open  ssh", "+80/tcp open  http"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("ndiff output lacks %q:\n%s", want, out)
		}
	}
	if bytes.Contains(out, []byte("Warning")) {
		t.Errorf("ndiff warned:\n%s", out)
	}

	out, err = exec.Command(ndiff, before, before).CombinedOutput()
	if err != nil || len(out) != 0 {
		t.Errorf("ndiff of a scan with itself: %v\n%s", err, out)
	}
}

// TestScanXMLStylesheet: nmap's stylesheet renders our XML, cleanly.
func TestScanXMLStylesheet(t *testing.T) {
	xsltproc := needTool(t, "xsltproc", "xsltproc")
	if _, err := os.Stat(nmapXSL); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s (Debian package nmap-common) is needed: %v", nmapXSL, err)
		}
		t.Skipf("needs %s (Debian package nmap-common)", nmapXSL)
	}
	for _, tc := range []struct {
		name string
		opts Options
		rs   []record.PortResult
		st   RunStats
	}{
		{"open", Options{}, sampleResults(), sampleStats()},
		{"all", Options{AllPorts: true}, sampleResults(), sampleStats()},
		{"interrupted", Options{}, interruptedResults(), interruptedStats()},
		{"stream", Options{}, nil, RunStats{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := writeTemp(t, "scan.xml", runScan(t, XML, tc.opts, sampleInfo(), tc.rs, tc.st))
			if tc.name == "stream" {
				in = writeTemp(t, "scan.xml", writeStream(t, XML, Options{}, streamInfo(), sampleStream(), streamStats()))
			}
			cmd := exec.Command(xsltproc, "--nonet", nmapXSL, in)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil || stderr.Len() > 0 {
				t.Fatalf("xsltproc: %v\n%s", err, stderr.Bytes())
			}
			html := stdout.String()
			for _, want := range []string{"192.0.2.10 / web.example", "2001:db8::1", "OpenSSH", " 1.23 seconds"} {
				if !strings.Contains(html, want) {
					t.Errorf("rendered HTML lacks %q", want)
				}
			}
			// Without its record, the silent host is not listed; the
			// stream's down record is (as nmap lists down hosts it was
			// told of).
			if tc.name != "stream" && strings.Contains(html, "host_192_0_2_20") {
				t.Errorf("the down host was rendered")
			}
			if tc.name == "stream" && (!strings.Contains(html, "02:00:5e:10:00:0a") || !strings.Contains(html, "192.0.2.30")) {
				t.Errorf("the stream's MAC address or its filtered host is not rendered")
			}
		})
	}
}

// TestScanXMLValidates checks our XML against nmap's DTD with lxml, with
// the one deliberate difference relaxed: scanner is "ajar", where the DTD
// allows only "nmap". Optional: it needs Debian's python3-lxml.
func TestScanXMLValidates(t *testing.T) {
	const dtd = "/usr/share/nmap/nmap.dtd"
	py := "/usr/bin/python3"
	if _, err := os.Stat(dtd); err != nil {
		t.Skipf("needs %s (Debian package nmap-common)", dtd)
	}
	if err := exec.Command(py, "-c", "import lxml.etree").Run(); err != nil {
		t.Skip("needs python3 with lxml (Debian package python3-lxml)")
	}
	const script = `
import io, re, sys
from lxml import etree
text = open(sys.argv[1]).read()
text, n = re.subn(r'scanner\s+\(nmap\)', 'scanner CDATA', text)
assert n == 1, "the DTD's scanner attribute changed"
dtd = etree.DTD(io.StringIO(text))
for path in sys.argv[2:]:
    if not dtd.validate(etree.parse(path)):
        print(path, dtd.error_log.filter_from_errors())
        sys.exit(1)
`
	var files []string
	for _, tc := range []struct {
		opts Options
		rs   []record.PortResult
		st   RunStats
	}{
		{Options{}, sampleResults(), sampleStats()},
		{Options{AllPorts: true}, sampleResults(), sampleStats()},
		{Options{}, interruptedResults(), interruptedStats()},
		{Options{}, nil, RunStats{End: sampleEnd}},
	} {
		files = append(files, writeTemp(t, "scan.xml", runScan(t, XML, tc.opts, sampleInfo(), tc.rs, tc.st)))
	}
	// The stream's order, host records included, finished and stopped,
	// and a ping sweep.
	files = append(files,
		writeTemp(t, "stream.xml", writeStream(t, XML, Options{}, streamInfo(), sampleStream(), streamStats())),
		writeTemp(t, "stopped.xml", writeStream(t, XML, Options{}, streamInfo(), interruptedStream(), interruptedStreamStats())),
		writeTemp(t, "sweep.xml", []byte(writeSweep(t, XML))))
	out, err := exec.Command(py, append([]string{"-c", script, dtd}, files...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("not valid under nmap's DTD: %v\n%s", err, out)
	}
}

package main_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ajarsec/ajar/internal/netnstest"
)

type scanRecord struct {
	Host   string  `json:"host"`
	Port   int     `json:"port"`
	Proto  string  `json:"proto"`
	State  string  `json:"state"`
	Reason string  `json:"reason"`
	RTT    float64 `json:"rtt_ms"`
	// Status is set on host records ("up", "down"), which have no port.
	Status string `json:"status"`
}

// parseJSONL reads one scan record a line.
func parseJSONL(t *testing.T, out string) []scanRecord {
	t.Helper()
	var recs []scanRecord
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r scanRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("bad JSON line %q: %v", sc.Text(), err)
		}
		if r.Status != "" {
			continue // a host's record, not a port's
		}
		recs = append(recs, r)
	}
	return recs
}

// byPort checks that each port of 1-65535 is reported exactly once and
// returns the states.
func byPort(t *testing.T, recs []scanRecord) map[int]scanRecord {
	t.Helper()
	m := make(map[int]scanRecord, len(recs))
	for _, r := range recs {
		if _, dup := m[r.Port]; dup {
			t.Errorf("port %d reported twice", r.Port)
		}
		m[r.Port] = r
	}
	if len(m) != 65535 {
		t.Errorf("%d ports reported, want 65535", len(m))
	}
	return m
}

// TestScanLoopbackFull scans every port of 127.0.0.1, in a namespace of
// its own, at default settings, and checks each port's state against the
// listeners the test opened there.
func TestScanLoopbackFull(t *testing.T) {
	ns, addr, open := listenLoopback(t, 20)
	out, stderr, code := runIn(t, ns, "scan", "-sT", "-p-", "--all-ports", "-o", "jsonl", addr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for p, r := range byPort(t, parseJSONL(t, out)) {
		switch {
		case open[p]:
			if r.State != "open" || r.Reason != "connected" {
				t.Errorf("port %d: %s (%s), want open", p, r.State, r.Reason)
			}
		case r.State != "closed" || r.Reason != "conn-refused":
			t.Errorf("port %d: %s (%s), want closed: nothing listens there", p, r.State, r.Reason)
		}
	}
}

// bedTruth is the test bed's layout: 20 open ports, a band rejected with
// ICMP admin-prohibited, a band rejected with ICMP port-unreachable, a
// band reset by the firewall, 20000-65535 dropped, the rest closed by the
// kernel.
type bedTruth struct {
	open []uint16
}

func (bt bedTruth) state(p int) string {
	switch {
	case slices.Contains(bt.open, uint16(p)):
		return "open"
	case p >= 20000, p >= 5000 && p < 5100, p >= 6000 && p < 6100:
		return "filtered"
	}
	return "closed" // also 7000-7099, reset by the firewall
}

func newScanBed(t *testing.T) (*netnstest.Bed, bedTruth) {
	t.Helper()
	bed := netnstest.NewBed(t)
	bt := bedTruth{open: []uint16{21, 22, 25, 53, 80, 110, 143, 443, 445, 993, 1433, 3306, 3389, 4999, 5100, 5432, 6379, 8080, 9200, 19999}}
	bed.ListenTCP(bt.open...)
	bed.Firewall(
		netnstest.Rule{Proto: "tcp", Ports: "5000-5099", Action: "icmp-admin-prohibited"},
		netnstest.Rule{Proto: "tcp", Ports: "6000-6099", Action: "icmp-port-unreachable"},
		netnstest.Rule{Proto: "tcp", Ports: "7000-7099", Action: "reset"},
		netnstest.Rule{Proto: "tcp", Ports: "20000-65535", Action: "drop"},
	)
	return bed, bt
}

// scanIn runs ajar scan inside the bed's scanner namespace.
func scanIn(t *testing.T, bed *netnstest.Bed, args ...string) string {
	t.Helper()
	cmd := bed.Scanner.Command(ajarBin, append([]string{"scan"}, args...)...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	// A scan that hangs fails here, with time left for the namespaces'
	// cleanup, instead of at go test's own timeout.
	timer := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	defer timer.Stop()
	if err := cmd.Run(); err != nil {
		t.Fatalf("ajar scan %v: %v\n%s", args, err, e.String())
	}
	return o.String()
}

func checkBed(t *testing.T, name string, bt bedTruth, recs []scanRecord) map[int]string {
	t.Helper()
	states := map[int]string{}
	bad := 0
	for p, r := range byPort(t, recs) {
		states[p] = r.State
		if want := bt.state(p); r.State != want {
			if bad++; bad <= 20 {
				t.Errorf("%s: port %d: %s (%s), want %s", name, p, r.State, r.Reason, want)
			}
		}
	}
	if bad > 20 {
		t.Errorf("%s: %d ports wrong in all", name, bad)
	}
	return states
}

// TestScanBedFull scans all ports of the target namespace at default
// settings, over IPv4 and IPv6, and checks every port's state.
func TestScanBedFull(t *testing.T) {
	bed, bt := newScanBed(t)
	for _, addr := range []string{bed.TargetAddr4.String(), bed.TargetAddr6.String()} {
		out := scanIn(t, bed, "-sT", "-p-", "--all-ports", "-o", "jsonl", "-q", addr)
		checkBed(t, addr, bt, parseJSONL(t, out))
	}
}

// TestScanBedSeeds repeats the full scan with five seeds: the same states
// every time.
func TestScanBedSeeds(t *testing.T) {
	bed, bt := newScanBed(t)
	var first map[int]string
	for seed := 1; seed <= 5; seed++ {
		out := scanIn(t, bed, "-sT", "-p-", "--all-ports", "-o", "jsonl", "-q", "--seed", strconv.Itoa(seed), bed.TargetAddr4.String())
		states := checkBed(t, fmt.Sprintf("seed %d", seed), bt, parseJSONL(t, out))
		if first == nil {
			first = states
		} else if !maps.Equal(first, states) {
			t.Errorf("seed %d: results differ from seed 1", seed)
		}
	}
}

// TestScanBedReasons lifts the target's ICMP rate limit, so that every
// rejected probe is answered, and checks that each ICMP band gets its
// reason and the reset band is closed.
func TestScanBedReasons(t *testing.T) {
	bed, _ := newScanBed(t)
	bed.LiftICMPLimits()
	for _, addr := range []string{bed.TargetAddr4.String(), bed.TargetAddr6.String()} {
		out := scanIn(t, bed, "-sT", "-p", "4990-5010,5990-6010,6990-7010", "--all-ports", "-o", "jsonl", "-q", addr)
		for _, r := range parseJSONL(t, out) {
			var want string
			switch {
			case r.Port == 4999:
				want = "open/connected"
			case r.Port >= 5000 && r.Port < 5100:
				want = "filtered/admin-prohibited"
			case r.Port >= 6000 && r.Port < 6100:
				want = "filtered/port-unreach"
			default:
				want = "closed/conn-refused"
			}
			if got := r.State + "/" + r.Reason; got != want {
				t.Errorf("%s port %d: %s, want %s", addr, r.Port, got, want)
			}
		}
	}
}

// TestScanInterrupt stops a scan with SIGINT: exit 130, and the saved files
// hold what was found, the XML still complete.
func TestScanInterrupt(t *testing.T) {
	dir := t.TempDir()
	xmlPath, jsonlPath := filepath.Join(dir, "scan.xml"), filepath.Join(dir, "scan.jsonl")
	// 500 probes a second over every port: two minutes, unless stopped.
	cmd := exec.Command(ajarBin, "scan", "-p-", "--rate", "500", "--all-ports",
		"--save", "xml:"+xmlPath, "--save", "jsonl:"+jsonlPath, "-o", "jsonl", "127.0.0.1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until a few hundred results are streamed to the JSON Lines file.
	deadline := time.Now().Add(60 * time.Second)
	for {
		b, _ := os.ReadFile(jsonlPath)
		if bytes.Count(b, []byte("\n")) >= 300 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("no results streamed; stderr: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond) // polling a file another process writes
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Fatalf("exit: %v, want 130; stderr: %s", err, stderr.String())
	}
	// Every result streamed is in the XML, and the XML is complete.
	streamed := parseJSONL(t, stdout.String())
	b, err := os.ReadFile(jsonlPath)
	if err != nil {
		t.Fatal(err)
	}
	if saved := parseJSONL(t, string(b)); len(saved) != len(streamed) {
		t.Errorf("saved JSON Lines hold %d results, stdout %d", len(saved), len(streamed))
	}
	if len(streamed) < 300 || len(streamed) >= 65535 {
		t.Errorf("%d results after Ctrl-C", len(streamed))
	}
	b, err = os.ReadFile(xmlPath)
	if err != nil {
		t.Fatal(err)
	}
	var run struct {
		XMLName xml.Name `xml:"nmaprun"`
		Hosts   []struct {
			Ports []struct {
				PortID int `xml:"portid,attr"`
				State  struct {
					State string `xml:"state,attr"`
				} `xml:"state"`
			} `xml:"ports>port"`
		} `xml:"host"`
		Finished struct {
			Exit string `xml:"exit,attr"`
		} `xml:"runstats>finished"`
	}
	if err := xml.Unmarshal(b, &run); err != nil {
		t.Fatalf("interrupted scan left invalid XML: %v\n%s", err, b)
	}
	inXML := map[int]string{}
	for _, h := range run.Hosts {
		for _, p := range h.Ports {
			inXML[p.PortID] = p.State.State
		}
	}
	for _, r := range streamed {
		if inXML[r.Port] != r.State {
			t.Errorf("port %d: %q in the XML, %q streamed", r.Port, inXML[r.Port], r.State)
		}
	}
	if len(inXML) != len(streamed) || run.Finished.Exit != "error" {
		t.Errorf("XML after Ctrl-C: %d ports (streamed %d), exit %q", len(inXML), len(streamed), run.Finished.Exit)
	}
}

func TestScanBadInput(t *testing.T) {
	tests := []struct {
		args []string
		msg  string
	}{
		{[]string{"scan", "10.0.0.0/33"}, "prefix length 33"},
		{[]string{"scan", "-p", "70000", "127.0.0.1"}, "out of range"},
		{[]string{"scan", "-o", "yaml", "127.0.0.1"}, `unknown output format "yaml"`},
		{[]string{"scan", "-iL", "/nonexistent/targets.txt"}, "cannot read targets"},
		{[]string{"scan"}, "no targets"},
		{[]string{"scan", "-p", "sshh", "127.0.0.1"}, "unknown service name"},
		{[]string{"scan", "--shard", "3/2", "127.0.0.1"}, "shard"},
		{[]string{"scan", "--save", "xml", "127.0.0.1"}, "FORMAT:PATH"},
		{[]string{"scan", "--save", "xml:/nonexistent/dir/x.xml", "127.0.0.1"}, "cannot write"},
		{[]string{"scan", "-F", "--top-ports", "5", "127.0.0.1"}, "only one of"},
		{[]string{"scan", "-p", "U:53", "127.0.0.1"}, "add -sU"},
		{[]string{"scan", "-sU", "-p", "T:22", "127.0.0.1"}, "add -sT"},
	}
	for _, tt := range tests {
		stdout, stderr, code := ajar(t, tt.args...)
		if code != 2 {
			t.Errorf("ajar %v: exit %d, want 2 (stderr %q)", tt.args, code, stderr)
		}
		if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "ajar: ") || !strings.Contains(stderr, tt.msg) {
			t.Errorf("ajar %v: stderr %q, want one line mentioning %q", tt.args, stderr, tt.msg)
		}
		if stdout != "" {
			t.Errorf("ajar %v: stdout %q", tt.args, stdout)
		}
	}
}

// TestScanNdiff scans the bed twice, a listener opened in between, and
// checks that nmap's ndiff reads both XML files and reports the new port.
func TestScanNdiff(t *testing.T) {
	if _, err := exec.LookPath("ndiff"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("ndiff (Debian package ndiff) is needed and missing")
		}
		t.Skip("needs ndiff (Debian package ndiff)")
	}
	bed, _ := newScanBed(t)
	dir := t.TempDir()
	before, after := filepath.Join(dir, "before.xml"), filepath.Join(dir, "after.xml")
	addr := bed.TargetAddr4.String()
	scanIn(t, bed, "-p", "1-2000", "-q", "--save", "xml:"+before, addr)
	bed.ListenTCP(1234)
	scanIn(t, bed, "-p", "1-2000", "-q", "--save", "xml:"+after, addr)
	out, err := exec.Command("ndiff", before, after).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("ndiff: %v, want exit 1 (differences)\n%s", err, out)
	}
	if !strings.Contains(string(out), "+1234/tcp open") {
		t.Errorf("ndiff did not report the new port:\n%s", out)
	}
}

// hugeScan runs ajar scan ARGS in the bed's scanner namespace for window,
// reading its JSON Lines as they come, then stops it with Ctrl-C. It
// returns when the first line came, the lines read, and the peak RSS.
func hugeScan(t *testing.T, bed *netnstest.Bed, window time.Duration, args ...string) (time.Duration, []string, int) {
	t.Helper()
	cmd := bed.Scanner.Command(ajarBin, append([]string{"scan"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1024)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var got []string
	var first time.Duration
	var hwm int
	deadline := time.After(window)
	tick := time.NewTicker(100 * time.Millisecond) // sampling another process's memory
	defer tick.Stop()
loop:
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				break loop
			}
			if got = append(got, l); len(got) == 1 {
				first = time.Since(start)
			}
		case <-tick.C:
			hwm = max(hwm, peakRSSKB(cmd.Process.Pid))
		case <-deadline:
			break loop
		}
	}
	cmd.Process.Signal(syscall.SIGINT)
	go func() {
		for range lines {
		}
	}()
	cmd.Wait()
	if len(got) == 0 {
		t.Fatalf("ajar scan %v: no result in %v", args, window)
	}
	return first, got, hwm
}

// TestScanHugeTargetStartsAtOnce scans 10.0.0.0/8 × 1000 ports in the bed's
// scanner namespace, where only the bed's own /30 is routed (every other
// address has no route, inside the namespace: nothing leaves it). With
// host discovery (the default), the targets go in host groups: the first
// group's down hosts must be written within a second, more groups must
// follow (streamed, not held to the end), and memory stay under 100 MB.
// Then, with the targets starting at the bed's host (an --exclude of what
// comes before it), its open port must be reported within seconds, while
// millions of addresses are still to be discovered: the port scan does not
// wait for the whole sweep. With -Pn every address is port-scanned at once,
// and memory is what the probes in flight cost, as for one host.
func TestScanHugeTargetStartsAtOnce(t *testing.T) {
	bed := netnstest.NewBed(t)
	bed.ListenTCP(80)
	common := []string{"--top-ports", "1000", "--all-ports", "-o", "jsonl", "-q", "--initial-timeout", "300ms"}
	first, lines, hwm := hugeScan(t, bed, 4*time.Second, append(common, "10.0.0.0/8")...)
	downs := 0
	for _, l := range lines {
		if strings.Contains(l, `"status":"down"`) {
			downs++
		}
	}
	if first > time.Second || downs < 2*4096 || hwm == 0 || hwm > 100<<10 {
		t.Errorf("10.0.0.0/8: first record after %v (want under a second), %d down hosts in 4 s (want two groups' worth), peak RSS %d kB (want under 100 MB)",
			first, downs, hwm)
	}
	t.Logf("10.0.0.0/8 × 1000 ports, discovery: first record in %v, %d hosts down in 4 s, peak RSS %d kB", first, downs, hwm)

	before := bed.TargetAddr4.Prev()
	target := bed.TargetAddr4.String()
	_, lines, _ = hugeScan(t, bed, 8*time.Second, append(common, "--exclude", "10.0.0.0-"+before.String(), "10.0.0.0/8")...)
	found := false
	for _, l := range lines {
		if strings.Contains(l, `"host":"`+target+`"`) && strings.Contains(l, `"port":80,`) && strings.Contains(l, `"state":"open"`) {
			found = true
		}
	}
	if !found {
		t.Errorf("%s:80 not reported open within 8 s of a scan of the rest of 10.0.0.0/8 (%d lines)", target, len(lines))
	}

	first, _, hwm = hugeScan(t, bed, 3*time.Second, append(common, "-Pn", "10.0.0.0/8")...)
	// Without discovery every address is probed, with up to 25,000 SYN
	// probes in flight (the engine's goroutines, about 4 KB of stack
	// each, and the prober's state for each): a fixed cost, as in a full
	// scan of one host (about 125 MB), that must not grow with the /8.
	if first > time.Second || hwm == 0 || hwm > 160<<10 {
		t.Errorf("-Pn 10.0.0.0/8: first result after %v, peak RSS %d kB; want under a second and 160 MB", first, hwm)
	}
	t.Logf("-Pn 10.0.0.0/8 × 1000 ports: first result in %v, peak RSS %d kB", first, hwm)
}

// peakRSSKB reads VmHWM of a process (of the process ip netns exec became).
func peakRSSKB(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return 0
}

// TestScanBedUDP runs ajar scan -sU, and -sT -sU together, in the bed: UDP
// echo services are open, a dropped band open|filtered, a prohibited band
// filtered, and the rest closed (with the target's ICMP limits lifted, so
// that every closed port is answered).
func TestScanBedUDP(t *testing.T) {
	bed := netnstest.NewBed(t)
	bed.ListenUDP(53, 161, 7000)
	bed.ListenTCP(22)
	bed.Firewall(
		netnstest.Rule{Proto: "udp", Ports: "3000-3009", Action: "drop"},
		netnstest.Rule{Proto: "udp", Ports: "4000-4004", Action: "icmp-admin-prohibited"},
	)
	bed.LiftICMPLimits()
	want := func(p int) string {
		switch {
		case p == 53 || p == 161 || p == 7000:
			return "open"
		case p >= 3000 && p <= 3009:
			return "open|filtered"
		case p >= 4000 && p <= 4004:
			return "filtered"
		}
		return "closed"
	}
	for _, addr := range []string{bed.TargetAddr4.String(), bed.TargetAddr6.String()} {
		out := scanIn(t, bed, "-sU", "-p", "50-60,150-165,2995-3015,3995-4010,6995-7005", "--all-ports", "-o", "jsonl", "-q", addr)
		recs := parseJSONL(t, out)
		if len(recs) != 11+16+21+16+11 {
			t.Errorf("%s: %d results", addr, len(recs))
		}
		for _, r := range recs {
			if r.Proto != "udp" || r.State != want(r.Port) {
				t.Errorf("%s: %d/%s %s (%s), want %s", addr, r.Port, r.Proto, r.State, r.Reason, want(r.Port))
			}
		}
	}
	out := scanIn(t, bed, "-sT", "-sU", "-p", "T:22,53,U:53", "--all-ports", "-o", "jsonl", "-q", bed.TargetAddr4.String())
	got := map[string]string{}
	for _, r := range parseJSONL(t, out) {
		got[fmt.Sprintf("%d/%s", r.Port, r.Proto)] = r.State
	}
	if !maps.Equal(got, map[string]string{"22/tcp": "open", "53/tcp": "closed", "53/udp": "open"}) {
		t.Errorf("-sT -sU: %v", got)
	}
}

// TestScanBedUDPRateLimit scans closed UDP ports of a target that keeps
// Linux's default ICMP rate limit: most closed ports go silent, and ajar
// measures the limit and says so.
func TestScanBedUDPRateLimit(t *testing.T) {
	bed := netnstest.NewBed(t)
	cmd := bed.Scanner.Command(ajarBin, "scan", "-sU", "-p", "8000-8099", "--all-ports", "-o", "jsonl", bed.TargetAddr4.String())
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	timer := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	defer timer.Stop()
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\n%s", err, e.String())
	}
	states := map[string]int{}
	for _, r := range parseJSONL(t, o.String()) {
		states[r.State]++
	}
	if states["closed"] == 0 || states["open|filtered"] == 0 || states["closed"]+states["open|filtered"] != 100 {
		t.Fatalf("states %v: want some closed, the rate-limited rest open|filtered", states)
	}
	if !strings.Contains(e.String(), "limits ICMP port unreachables") || !strings.Contains(e.String(), "--rate") {
		t.Errorf("no rate-limit note on stderr: %q", e.String())
	}
}

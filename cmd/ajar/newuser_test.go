package main_test

import (
	"encoding/json"
	"encoding/xml"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ajarsec/ajar/internal/netnstest"
)

// These tests are what a new user met in the first hour (issue 11): each
// failed before its fix.

// TestSilentHostListed: a host named alone whose only port is silent (a
// UDP listener that answers nothing, a TCP port behind a drop rule) is up
// and listed with its port, in the table and the XML.
func TestSilentHostListed(t *testing.T) {
	bed := netnstest.NewBed(t)
	var c net.PacketConn
	if err := bed.InTarget(func() (err error) { c, err = net.ListenPacket("udp4", ":9997"); return err }); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	bed.Firewall(netnstest.Rule{Proto: "tcp", Ports: "9998", Action: "drop"})
	addr := bed.TargetAddr4.String()
	for _, args := range [][]string{
		{"-sU", "-p", "9997", "--initial-timeout", "300ms", "--max-timeout", "300ms"},
		{"-sT", "-p", "9998", "--initial-timeout", "300ms", "--max-timeout", "300ms"},
	} {
		xmlPath := filepath.Join(t.TempDir(), "scan.xml")
		out, stderr, code := runIn(t, bed.Scanner, append(append([]string{"scan", "-q", "--all-ports"}, args...), "--save", "xml:"+xmlPath, addr)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		if !strings.Contains(out, "Host is up") || !strings.Contains(out, "1 host up") || !strings.Contains(out, args[2]+"/") {
			t.Errorf("%v: table does not list the host and its port:\n%s", args, out)
		}
		b, _ := os.ReadFile(xmlPath)
		if !strings.Contains(string(b), `<hosts up="1" down="0"`) || !strings.Contains(string(b), `portid="`+args[2]+`"`) {
			t.Errorf("%v: XML:\n%s", args, b)
		}
	}
}

// TestIdentifyRefusedClosed: ajar identify calls a refusing port closed
// and a silent one filtered, counts hosts right, probes a port given
// twice once, and exits 1 when it names nothing.
func TestIdentifyRefusedClosed(t *testing.T) {
	bed := netnstest.NewBed(t)
	bed.Firewall(netnstest.Rule{Proto: "tcp", Ports: "9", Action: "drop"})
	a4, a6 := bed.TargetAddr4.String(), "["+bed.TargetAddr6.String()+"]"
	args := []string{"identify", "-o", "json", "--probe-timeout", "500ms",
		a4 + ":1", a4 + ":1", a4 + ":9", a4 + ":2", a6 + ":1", a6 + ":2", a6 + ":3"}
	out, stderr, code := runIn(t, bed.Scanner, args...)
	if code != 1 {
		t.Errorf("exit %d, want 1: nothing was identified (%s)", code, stderr)
	}
	var recs []struct {
		Host   string `json:"host"`
		Port   int    `json:"port"`
		State  string `json:"state"`
		Reason string `json:"reason"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal([]byte(out), &recs); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	ports, hosts := map[string]string{}, 0
	for _, r := range recs {
		if r.Status != "" {
			hosts++
			continue
		}
		k := r.Host + ":" + strconv.Itoa(r.Port)
		if _, dup := ports[k]; dup {
			t.Errorf("%s probed twice", k)
		}
		ports[k] = r.State + "/" + r.Reason
	}
	if hosts != 2 || len(ports) != 6 {
		t.Errorf("%d host records and %d ports, want 2 and 6:\n%s", hosts, len(ports), out)
	}
	if got := ports[a4+":1"]; got != "closed/conn-refused" {
		t.Errorf("refused port: %s, want closed/conn-refused", got)
	}
	if got := ports[a4+":9"]; got != "filtered/no-response" {
		t.Errorf("dropped port: %s, want filtered/no-response", got)
	}
	table, _, _ := runIn(t, bed.Scanner, "identify", a4+":1", a4+":2", a6+":1")
	if !strings.Contains(table, "2 IP addresses (2 hosts up)") {
		t.Errorf("table's count:\n%s", table)
	}
	x, _, _ := runIn(t, bed.Scanner, "identify", "-o", "xml", a4+":1", a6+":1")
	if !strings.Contains(x, `<hosts up="2" down="0" total="2"`) {
		t.Errorf("XML's count:\n%s", x)
	}
}

// TestInterruptedNotDown: hosts a stopped scan never reached are not
// counted down; the outputs say how many of the targets were scanned.
func TestInterruptedNotDown(t *testing.T) {
	ns := netnstest.New(t)
	xmlPath := filepath.Join(t.TempDir(), "scan.xml")
	cmd := ns.Command(ajarBin, "scan", "-sT", "-Pn", "-p", "1-200", "--max-hostgroup", "16", "--rate", "20000", "-q",
		"--save", "xml:"+xmlPath, "127.0.0.0/16")
	var out strings.Builder
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	time.Sleep(1500 * time.Millisecond) // let it scan some host groups, not all
	cmd.Process.Signal(syscall.SIGINT)
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Fatalf("exit %d, want 130", code)
	}
	b, err := os.ReadFile(xmlPath)
	if err != nil {
		t.Fatal(err)
	}
	var run struct {
		Stats struct {
			Hosts struct {
				Up    int `xml:"up,attr"`
				Down  int `xml:"down,attr"`
				Total int `xml:"total,attr"`
			} `xml:"hosts"`
		} `xml:"runstats"`
	}
	if err := xml.Unmarshal(b, &run); err != nil {
		t.Fatalf("%v\n%.1000s", err, b)
	}
	h := run.Stats.Hosts
	if h.Down != 0 || h.Up == 0 || h.Up >= 65536 {
		t.Errorf("XML hosts: up %d down %d total %d; want the hosts scanned up, none down", h.Up, h.Down, h.Total)
	}
	if !strings.Contains(out.String(), "of 65536 IP addresses scanned") {
		t.Errorf("table does not say how many were scanned:\n%s", tail(out.String()))
	}
}

func tail(s string) string { return s[max(0, len(s)-500):] }

// TestOutputFiles: two outputs to one file are refused before anything is
// written; "-" is standard output, not a file named "-".
func TestOutputFiles(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "out")
	_, stderr, code := ajar(t, "scan", "-p", "1", "--save", "xml:"+f, "--save", "json:"+dir+"/../"+filepath.Base(dir)+"/out", "127.0.0.1")
	if code != 2 || !strings.Contains(stderr, "write to one file") {
		t.Errorf("two outputs to one file: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(f); !os.IsNotExist(err) {
		t.Errorf("a refused scan created %s", f)
	}
	cmd := ajarCmd("scan", "-sT", "-q", "-p", "1", "--save", "xml:-", "127.0.0.1")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil || !strings.HasPrefix(string(out), "<?xml") {
		t.Errorf("--save xml:- : %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "-")); !os.IsNotExist(err) {
		t.Error(`--save xml:- made a file named "-"`)
	}
}

// TestBadInputScan: bad input of a scan gets one clear line and exit 2.
func TestBadInputScan(t *testing.T) {
	long := strings.Repeat("x", 100000) + "!"
	for _, tt := range []struct {
		args []string
		msg  string
	}{
		{[]string{"scan", "--rate", "NaN", "127.0.0.1"}, "take numbers of 0 or more"},
		{[]string{"scan", "--rate", "Inf", "127.0.0.1"}, "take numbers of 0 or more"},
		{[]string{"scan", "--rate", "1e-300", "127.0.0.1"}, "less than one"},
		{[]string{"scan", "-sn", "-p", "80", "127.0.0.1"}, "scans no port"},
		{[]string{"scan", "-sn", "-sV", "127.0.0.1"}, "scans no port"},
		{[]string{"scan", "--seed", "-1", "127.0.0.1"}, "invalid argument"},
		{[]string{"scan", long}, "bytes cut"},
		{[]string{"help", "nosuch"}, "no help for"},
		{[]string{"scan", "-O", "127.0.0.1"}, "OS detection is not in ajar"},
		{[]string{"scan", "-sC", "127.0.0.1"}, "no NSE scripts"},
		{[]string{"scan", "--script", "vuln", "127.0.0.1"}, "no NSE scripts"},
		{[]string{"scan", "-sA", "127.0.0.1"}, "no ACK scan"},
		{[]string{"scan", "-T9", "127.0.0.1"}, "-T0 to -T5"},
		{[]string{"scan", "-oX"}, "needs a file name"},
	} {
		stdout, stderr, code := ajar(t, tt.args...)
		if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tt.msg) || len(stderr) > 600 {
			t.Errorf("ajar %.60v: exit %d, stderr %.300q; want 2 and one line mentioning %q", tt.args, code, stderr, tt.msg)
		}
		if stdout != "" || strings.Contains(stderr, "strconv") || strings.Contains(stderr, "goroutine") {
			t.Errorf("ajar %.60v: stdout %q stderr %.300q", tt.args, stdout, stderr)
		}
	}
	cmd := ajarCmd("identify", "-")
	cmd.Stdin = strings.NewReader(strings.Repeat("y", 70000) + "\n")
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(interface{ ExitCode() int }); !ok || ee.ExitCode() != 2 || strings.Contains(string(out), "token too long") {
		t.Errorf("identify - with a long line: %v %q", err, out)
	}
}

// TestNmapCommandLine: an nmap user's usual command line works as they
// expect: -sV -T4 -oA base --open -p- host writes base.nmap, base.xml
// and base.gnmap with the open ports.
func TestNmapCommandLine(t *testing.T) {
	bed := netnstest.NewBed(t)
	bed.ListenTCP(22, 8080)
	base := filepath.Join(t.TempDir(), "base")
	_, stderr, code := runIn(t, bed.Scanner, "scan", "-sTV", "-T4", "-oA", base, "--open", "-p", "1-9000", "-v", "-n", "--reason",
		"--max-retries", "1", "--max-rtt-timeout", "500ms", bed.TargetAddr4.String())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for ext, want := range map[string]string{".nmap": "8080/tcp", ".xml": `portid="8080"`, ".gnmap": "8080/open/tcp"} {
		b, err := os.ReadFile(base + ext)
		if err != nil || !strings.Contains(string(b), want) || !strings.Contains(string(b), "22") {
			t.Errorf("%s: %v\n%s", ext, err, b)
		}
	}
}

func ajarCmd(args ...string) *exec.Cmd { return exec.Command(ajarBin, args...) }

// TestCompletion: the shell completes flag values: output formats, -T
// levels, network namespaces.
func TestCompletion(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"__complete", "scan", "-o", ""}, "xml"},
		{[]string{"__complete", "scan", "--save", ""}, "grep:"},
		{[]string{"__complete", "identify", "-o", ""}, "jsonl"},
		{[]string{"__complete", "scan", "--timing", ""}, "aggressive"},
		{[]string{"__complete", "help", ""}, "scanning"},
	} {
		out, _, code := ajar(t, tt.args...)
		if code != 0 || !strings.Contains(out, tt.want) {
			t.Errorf("ajar %v: exit %d\n%s", tt.args, code, out)
		}
	}
	ns := netnstest.New(t)
	out, _, _ := ajar(t, "__complete", "sockets", "--netns", "")
	if !strings.Contains(out, ns.Name) {
		t.Errorf("--netns completion lacks %s:\n%s", ns.Name, out)
	}
}

// TestOpenHidesHosts: with --open, as with nmap's, a host without an open
// port is left out of every output (and still counted up); without it,
// the host is listed.
func TestOpenHidesHosts(t *testing.T) {
	bed := netnstest.NewBed(t)
	bed.ListenTCP(8080)
	withOpen, without := bed.TargetAddr4.String(), bed.ScannerAddr4.String() // the scanner's own: all closed
	for _, format := range []string{"table", "grep", "xml", "jsonl", "csv"} {
		for _, open := range []bool{true, false} {
			args := []string{"scan", "-q", "-sT", "-p", "8080,8081", "-o", format, withOpen, without}
			if open {
				args = append(args, "--open")
			}
			out, stderr, code := runIn(t, bed.Scanner, args...)
			if code != 0 {
				t.Fatalf("%v: exit %d: %s", args, code, stderr)
			}
			if !strings.Contains(out, withOpen) {
				t.Errorf("%s --open=%v: the host with an open port is missing:\n%s", format, open, out)
			}
			// Every format names a listed host's address, outside the
			// command line that XML and grepable output echo.
			var hosts strings.Builder
			for line := range strings.Lines(out) {
				if !strings.Contains(line, "ajar scan") {
					hosts.WriteString(line)
				}
			}
			if got := strings.Contains(hosts.String(), without); got == open {
				t.Errorf("%s --open=%v: the host without an open port listed: %v\n%s", format, open, got, out)
			}
			if format == "table" && !strings.Contains(out, "2 hosts up") {
				t.Errorf("table --open=%v: the summary must count both hosts up:\n%s", open, out)
			}
		}
	}
}

// TestHostTimeout: --host-timeout (nmap's) stops probing a host that
// long after its first probe, reports the ports probed, and says in the
// table, JSON and XML that the host timed out and how many probes it
// left unsent; a host scanned whole says nothing of the kind.
func TestHostTimeout(t *testing.T) {
	bed := netnstest.NewBed(t)
	bed.Firewall(netnstest.Rule{Proto: "tcp", Ports: "1-65535", Action: "drop"})
	addr := bed.TargetAddr4.String()
	xmlPath := filepath.Join(t.TempDir(), "scan.xml")
	// 20,000 silent ports at 2,000 probes a second take 10 s; the host
	// timeout ends them after 1 s.
	start := time.Now()
	out, stderr, code := runIn(t, bed.Scanner, "scan", "-q", "-sT", "-p", "1-20000", "--max-rate", "2000",
		"--host-timeout", "1s", "--max-retries", "0", "-o", "jsonl", "--save", "xml:"+xmlPath, "--save", "table:"+xmlPath+".txt", addr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if took := time.Since(start); took > 8*time.Second {
		t.Errorf("the scan took %v: the host timeout did not stop it", took)
	}
	var host struct {
		Host     string `json:"host"`
		Status   string `json:"status"`
		TimedOut string `json:"timed_out"`
		Unprobed uint64 `json:"unprobed"`
	}
	for line := range strings.Lines(out) {
		if strings.Contains(line, `"status"`) {
			if err := json.Unmarshal([]byte(line), &host); err != nil {
				t.Fatal(err)
			}
		}
	}
	if host.Host != addr || host.TimedOut != "1s" || host.Unprobed < 5000 || host.Unprobed >= 20000 {
		t.Errorf("host record %+v; want timed out after 1s with thousands of probes unsent\n%s", host, out)
	}
	tab, _ := os.ReadFile(xmlPath + ".txt")
	if !strings.Contains(string(tab), "Host timed out after 1s") {
		t.Errorf("table:\n%s", tab)
	}
	x, _ := os.ReadFile(xmlPath)
	if !strings.Contains(string(x), `timedout="true"`) {
		t.Errorf("XML:\n%s", x)
	}
	// The twin: a scan that ends before its host timeout.
	out, stderr, code = runIn(t, bed.Scanner, "scan", "-q", "-sT", "-p", "1-50", "--host-timeout", "1m",
		"--max-retries", "0", "--max-rtt-timeout", "200ms", addr)
	if code != 0 || strings.Contains(out, "timed out") {
		t.Errorf("a scan within its host timeout: exit %d, %s\n%s", code, stderr, out)
	}
}

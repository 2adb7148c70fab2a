package main_test

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ajarsec/ajar/internal/netnstest"
)

// storing runs ajar in ns (or here, when ns is nil) with the history on,
// in data directory dir.
func storing(t *testing.T, ns *netnstest.NS, dir string, args ...string) (string, string, int) {
	t.Helper()
	args = append(args, "--data-dir", dir)
	var cmd *exec.Cmd
	if ns != nil {
		cmd = ns.Command(ajarBin, args...)
	} else {
		cmd = exec.Command(ajarBin, args...)
	}
	cmd.Env = append(os.Environ(), "AJAR_NO_STORE=0")
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	timer := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	defer timer.Stop()
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("ajar %v: %v", args, err)
	}
	return o.String(), e.String(), code
}

type historyRun struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	Status    string    `json:"status"`
	Targets   string    `json:"targets"`
	OpenPorts int       `json:"open_ports"`
	HostsUp   int       `json:"hosts_up"`
	Started   time.Time `json:"started"`
}

func history(t *testing.T, dir string) []historyRun {
	t.Helper()
	out, stderr, code := storing(t, nil, dir, "history", "-o", "json")
	if code != 0 {
		t.Fatalf("ajar history: exit %d: %s", code, stderr)
	}
	var runs []historyRun
	if err := json.Unmarshal([]byte(out), &runs); err != nil {
		t.Fatalf("ajar history -o json: %v\n%s", err, out)
	}
	return runs
}

type change struct {
	Host   string `json:"host"`
	Proto  string `json:"proto"`
	Port   int    `json:"port"`
	Change string `json:"change"`
	Before string `json:"before"`
	After  string `json:"after"`
}

func listenIn(t *testing.T, ns *netnstest.NS, addrs ...string) func() {
	t.Helper()
	var ls []net.Listener
	err := ns.Do(func() error {
		for _, a := range addrs {
			l, err := net.Listen("tcp4", a)
			if err != nil {
				return err
			}
			ls = append(ls, l)
			go acceptAndClose(l)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	closeAll := func() {
		for _, l := range ls {
			l.Close()
		}
		ls = nil
	}
	t.Cleanup(closeAll)
	return closeAll
}

func acceptAndClose(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		c.Close()
	}
}

// TestHistoryAndDiff: two scans of a namespace, with a listener closed and
// another opened between them, are recorded; ajar history lists them,
// ajar diff names the two changes (and --exit-code says so), and ajar
// show -o xml of each gives nmap XML in which ndiff sees the same.
func TestHistoryAndDiff(t *testing.T) {
	ns := netnstest.New(t)
	dir := t.TempDir()
	listenIn(t, ns, "127.0.0.1:2001")
	second := listenIn(t, ns, "127.0.0.1:2002")
	scan := []string{"scan", "-sT", "-p", "1-3000", "-q", "-o", "jsonl", "127.0.0.1"}
	if _, stderr, code := storing(t, ns, dir, scan...); code != 0 || stderr != "" {
		t.Fatalf("first scan: exit %d: %s", code, stderr)
	}
	second()
	listenIn(t, ns, "127.0.0.1:2003")
	if _, stderr, code := storing(t, ns, dir, scan...); code != 0 || stderr != "" {
		t.Fatalf("second scan: exit %d: %s", code, stderr)
	}
	runs := history(t, dir)
	if len(runs) != 2 || runs[0].Status != "complete" || runs[1].Status != "complete" || runs[0].OpenPorts != 2 ||
		runs[1].OpenPorts != 2 || runs[1].Kind != "scan" || runs[1].Targets != "127.0.0.1" {
		t.Fatalf("history: %+v", runs)
	}
	out, stderr, code := storing(t, nil, dir, "diff", "last~1", "last", "-o", "json")
	if code != 0 {
		t.Fatalf("ajar diff: exit %d: %s", code, stderr)
	}
	var changes []change
	if err := json.Unmarshal([]byte(out), &changes); err != nil {
		t.Fatalf("ajar diff -o json: %v\n%s", err, out)
	}
	want := []change{{"127.0.0.1", "tcp", 2002, "closed", "open", "closed"}, {"127.0.0.1", "tcp", 2003, "opened", "closed", "open"}}
	if len(changes) != 2 || changes[0] != want[0] || changes[1] != want[1] {
		t.Errorf("changes %+v, want %+v", changes, want)
	}
	if _, _, code := storing(t, nil, dir, "diff", "1", "2", "--exit-code"); code != 1 {
		t.Errorf("diff --exit-code with changes: exit %d, want 1", code)
	}
	if _, _, code := storing(t, nil, dir, "diff", "2", "2", "--exit-code"); code != 0 {
		t.Errorf("diff --exit-code of a run with itself: exit %d, want 0", code)
	}
	checkWhen(t, dir, runs, out)
	// A third scan, 2002 open again: between runs 1 and 3 it flapped
	// back (no change), 2003 opened and stayed open.
	listenIn(t, ns, "127.0.0.1:2002")
	if _, stderr, code := storing(t, ns, dir, scan...); code != 0 || stderr != "" {
		t.Fatalf("third scan: exit %d: %s", code, stderr)
	}
	for _, tt := range []struct {
		settle string
		want   int
	}{{"0", 1}, {"2", 1}, {"3", 0}} {
		out, stderr, code := storing(t, nil, dir, "diff", "1", "3", "--settle", tt.settle, "-o", "json")
		var got []struct {
			change
			History []string `json:"history"`
		}
		if code != 0 || json.Unmarshal([]byte(out), &got) != nil || len(got) != tt.want ||
			(tt.want == 1 && (got[0].Port != 2003 || strings.Join(got[0].History, ",") != "closed,open,open")) {
			t.Errorf("diff 1 3 --settle %s: exit %d %s\n%s", tt.settle, code, stderr, out)
		}
	}
	var files []string
	for _, ref := range []string{"1", "2"} {
		xml, stderr, code := storing(t, nil, dir, "show", ref, "-o", "xml")
		if code != 0 {
			t.Fatalf("ajar show %s: exit %d: %s", ref, code, stderr)
		}
		f := filepath.Join(dir, ref+".xml")
		os.WriteFile(f, []byte(xml), 0o600)
		files = append(files, f)
	}
	nd, _ := exec.Command("ndiff", files...).Output()
	if !regexpLine(nd, `-2002/tcp\s+open`) || !regexpLine(nd, `\+2003/tcp\s+open`) {
		t.Errorf("ndiff of ajar show -o xml:\n%s", nd)
	}
}

// regexpLine reports whether a line of b matches re.
func regexpLine(b []byte, re string) bool { return regexp.MustCompile("(?m)^" + re).Match(b) }

// TestHistoryKilled kills a scan with SIGKILL while it records, and checks
// the history: the run is listed as incomplete with what it found so far,
// ajar show prints those ports, ajar diff compares it, and the next scan
// records as usual. Two scans recording at once both get in.
func TestHistoryKilled(t *testing.T) {
	ns := netnstest.New(t)
	dir := t.TempDir()
	listenIn(t, ns, "0.0.0.0:7") // in the namespace every 127.x.y.z is this host
	cmd := ns.Command(ajarBin, "scan", "-sT", "-Pn", "-p", "1-20", "--max-hostgroup", "32", "-q", "-o", "jsonl",
		"--data-dir", dir, "127.0.0.0/16")
	cmd.Env = append(os.Environ(), "AJAR_NO_STORE=0")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	deadline := time.Now().Add(time.Minute)
	for {
		if runs := history(t, dir); len(runs) == 1 && runs[0].OpenPorts >= 100 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no 100 open ports recorded in a minute")
		}
		time.Sleep(50 * time.Millisecond) // polling a database another process writes
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	runs := history(t, dir)
	if len(runs) != 1 || runs[0].Status != "incomplete" || runs[0].OpenPorts < 100 || runs[0].OpenPorts >= 65536 {
		t.Fatalf("after the kill: %+v", runs)
	}
	out, stderr, code := storing(t, nil, dir, "show", "last", "-o", "jsonl")
	if code != 0 {
		t.Fatalf("show after the kill: exit %d: %s", code, stderr)
	}
	if n := strings.Count(out, `"port":7,`); n != runs[0].OpenPorts {
		t.Errorf("show: %d open ports, history says %d", n, runs[0].OpenPorts)
	}

	// Two scans at once, each recording.
	var wg sync.WaitGroup
	errs := make([]string, 2)
	for i, target := range []string{"127.0.0.1", "127.0.0.2"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, stderr, code := storing(t, ns, dir, "scan", "-sT", "-p", "1-2000", "-q", "-o", "jsonl", target)
			if code != 0 || stderr != "" {
				errs[i] = "exit " + strconv.Itoa(code) + ": " + stderr
			}
		}()
	}
	wg.Wait()
	for _, e := range errs {
		if e != "" {
			t.Errorf("concurrent scan: %s", e)
		}
	}
	runs = history(t, dir)
	if len(runs) != 3 || runs[1].Status != "complete" || runs[2].Status != "complete" || runs[1].OpenPorts != 1 || runs[2].OpenPorts != 1 {
		t.Fatalf("after two concurrent scans: %+v", runs)
	}
	out, stderr, code = storing(t, nil, dir, "diff", "2", "3", "-o", "jsonl")
	if code != 0 || strings.Count(out, "\n") != 4 { // host-up and 7/tcp opened for one, host-down and 7/tcp closed for the other
		t.Errorf("diff of the two: exit %d %s\n%s", code, stderr, out)
	}
	if _, stderr, code := storing(t, nil, dir, "diff", "1", "last"); code != 0 {
		t.Errorf("diff of the killed run: exit %d: %s", code, stderr)
	}
}

// checkWhen: runs named by time. @WHEN is the newest run started at or
// before WHEN, so the first run's start names it and the second's start
// the second, and their diff is diff last~1 last's (byID); --since keeps
// the runs started since; a time before any run is no run, a bad one a
// usage error, each one line with exit 2.
func checkWhen(t *testing.T, dir string, runs []historyRun, byID string) {
	t.Helper()
	at := func(r historyRun) string { return "@" + r.Started.Local().Format(time.RFC3339Nano) }
	out, stderr, code := storing(t, nil, dir, "diff", at(runs[0]), at(runs[1]), "-o", "json")
	if code != 0 || out != byID {
		t.Errorf("diff %s %s: exit %d %s\n%s\nwant\n%s", at(runs[0]), at(runs[1]), code, stderr, out, byID)
	}
	out, stderr, code = storing(t, nil, dir, "history", "--since", runs[1].Started.Local().Format(time.RFC3339Nano), "-o", "json")
	var since []historyRun
	if err := json.Unmarshal([]byte(out), &since); code != 0 || err != nil || len(since) != 1 || since[0].ID != runs[1].ID {
		t.Errorf("history --since the second run's start: exit %d %s %v\n%s", code, stderr, err, out)
	}
	for _, tc := range []struct{ ref, want string }{
		{"@2000-01-01", "no such run"},
		{"@someday", "want a date"},
	} {
		_, stderr, code := storing(t, nil, dir, "diff", tc.ref, "last")
		if code != 2 || !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("diff %s last: exit %d, stderr %q; want 2 and one line with %q", tc.ref, code, stderr, tc.want)
		}
	}
}

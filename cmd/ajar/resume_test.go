package main_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ajarsec/ajar/internal/netnstest"
	"github.com/ajarsec/ajar/target/perm"
)

// bgScan is an ajar scan running in the background, its stdout and stderr
// kept in memory.
type bgScan struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	timer          *time.Timer
}

func startScan(t *testing.T, cmd *exec.Cmd) *bgScan {
	t.Helper()
	s := &bgScan{cmd: cmd}
	cmd.Stdout, cmd.Stderr = &s.stdout, &s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// A scan that hangs is killed, with time left for the test's cleanup.
	s.timer = time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	t.Cleanup(func() {
		s.timer.Stop()
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return s
}

// wait waits for the scan to end and returns its exit code.
func (s *bgScan) wait(t *testing.T) int {
	t.Helper()
	err := s.cmd.Wait()
	s.timer.Stop()
	if ee, ok := err.(*exec.ExitError); ok {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0
}

var markRE = regexp.MustCompile(`\{"mark":(\d+)\}\n`)

// lastMark reads the last mark committed to a checkpoint file; -1 when
// there is none yet.
func lastMark(path string) int64 {
	b, _ := os.ReadFile(path)
	m := markRE.FindAllSubmatch(b, -1)
	if len(m) == 0 {
		return -1
	}
	n, _ := strconv.ParseInt(string(m[len(m)-1][1]), 10, 64)
	return n
}

// waitMark waits until the checkpoint's mark reaches at least min, and
// fails if the scan ends first or a minute passes.
func waitMark(t *testing.T, s *bgScan, path string, min int64) int64 {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		if m := lastMark(path); m >= min {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("checkpoint %s: no mark of %d in a minute; stderr: %s", path, min, s.stderr.String())
		}
		time.Sleep(50 * time.Millisecond) // polling a file another process writes
	}
}

// waitLines waits until the file at path has at least n lines, and fails
// if the scan ends first or a minute passes. It returns the lines.
func waitLines(t *testing.T, s *bgScan, path string, n int) int {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		b, _ := os.ReadFile(path)
		if got := bytes.Count(b, []byte("\n")); got >= n {
			return got
		}
		if time.Now().After(deadline) || s.cmd.ProcessState != nil {
			t.Fatalf("%s: no %d lines in a minute; stderr: %s", path, n, s.stderr.String())
		}
		time.Sleep(50 * time.Millisecond) // polling a file another process writes
	}
}

// listenLoopback makes a namespace of the test's own and opens n
// listeners on an address of its 127.0.0.0/8, so that no other test's
// listener is seen; it returns the namespace, the address and the ports.
func listenLoopback(t *testing.T, n int) (*netnstest.NS, string, map[int]bool) {
	t.Helper()
	ns := netnstest.New(t)
	addr := fmt.Sprintf("127.%d.%d.%d", 1+rand.IntN(254), rand.IntN(256), 1+rand.IntN(254))
	open := map[int]bool{}
	var ls []net.Listener
	err := ns.Do(func() error {
		for range n {
			l, err := net.Listen("tcp4", addr+":0")
			if err != nil {
				return err
			}
			ls = append(ls, l)
			open[l.Addr().(*net.TCPAddr).Port] = true
		}
		return nil
	})
	t.Cleanup(func() {
		for _, l := range ls {
			l.Close()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return ns, addr, open
}

// checkLoopback checks that each port of 1-65535 is reported once and is
// open exactly when the test listens on it (ports of other processes
// aside).
func checkLoopback(t *testing.T, name string, recs []scanRecord, open, others map[int]bool) {
	t.Helper()
	bad := 0
	for p, r := range byPort(t, recs) {
		want := "closed"
		if open[p] {
			want = "open"
		} else if others[p] {
			continue
		}
		if r.State != want {
			if bad++; bad <= 10 {
				t.Errorf("%s: port %d %s (%s), want %s", name, p, r.State, r.Reason, want)
			}
		}
	}
}

// xmlPorts reads the ports of an nmap XML file, and the count of ports
// it summarises in extraports.
func xmlPorts(t *testing.T, path string) (ports map[int]string, extra int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var run struct {
		Hosts []struct {
			Extra []struct {
				Count int `xml:"count,attr"`
			} `xml:"ports>extraports"`
			Ports []struct {
				PortID int `xml:"portid,attr"`
				State  struct {
					State string `xml:"state,attr"`
				} `xml:"state"`
			} `xml:"ports>port"`
		} `xml:"host"`
	}
	if err := xml.Unmarshal(b, &run); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	ports = map[int]string{}
	for _, h := range run.Hosts {
		for _, p := range h.Ports {
			if _, dup := ports[p.PortID]; dup {
				t.Errorf("%s: port %d twice", path, p.PortID)
			}
			ports[p.PortID] = p.State.State
		}
		for _, e := range h.Extra {
			extra += e.Count
		}
	}
	return ports, extra
}

// TestResumeAfterKill kills a scan of every port of a loopback address with SIGKILL
// once its checkpoint has a mark, resumes it, and checks that the resumed
// run's outputs (stdout and the --save file) hold the whole scan, each
// port once, then that the checkpoint is gone.
func TestResumeAfterKill(t *testing.T) {
	ns, addr, open := listenLoopback(t, 20)
	others := map[int]bool{} // the namespace is the test's own
	dir := t.TempDir()
	ckpt, xmlPath := filepath.Join(dir, "scan.ckpt"), filepath.Join(dir, "scan.xml")
	// 8,000 probes a second: about eight seconds for all ports.
	s := startScan(t, ns.Command(ajarBin, "scan", "-sT", "-p-", "--rate", "8000", "--all-ports", "-o", "jsonl",
		"--save", "xml:"+xmlPath, "--checkpoint", ckpt, addr))
	mark := waitMark(t, s, ckpt, 5000)
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if code := s.wait(t); code != 128+int(syscall.SIGKILL) {
		t.Fatalf("killed scan: exit %d", code)
	}
	killed := len(parseJSONL(t, s.stdout.String()))
	if killed >= 65535 {
		t.Fatalf("the scan finished (%d results) before it was killed", killed)
	}
	t.Logf("killed after %d results, checkpoint mark %d", killed, mark)

	out, stderr, code := runIn(t, ns, "scan", "--resume", ckpt)
	if code != 0 {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	checkLoopback(t, "resumed", parseJSONL(t, out), open, others)
	if !strings.Contains(stderr, "removed checkpoint "+ckpt) {
		t.Errorf("stderr does not say the checkpoint is removed: %q", stderr)
	}
	if _, err := os.Stat(ckpt); !os.IsNotExist(err) {
		t.Errorf("checkpoint left after a complete scan: %v", err)
	}
	inXML, _ := xmlPorts(t, xmlPath)
	if len(inXML) != 65535 {
		t.Errorf("the resumed run's XML holds %d ports, want 65535", len(inXML))
	}
	for p := range open {
		if inXML[p] != "open" {
			t.Errorf("XML: port %d %q, want open", p, inXML[p])
		}
	}
}

// TestResumeInterruptTwice stops a scan with SIGINT, kills its resumption
// with SIGKILL, and resumes again: the last run's table and --save files
// account for every port once, open ports listed and the rest counted.
func TestResumeInterruptTwice(t *testing.T) {
	ns, addr, open := listenLoopback(t, 10)
	others := map[int]bool{} // the namespace is the test's own
	dir := t.TempDir()
	ckpt, xmlPath, jsonlPath := filepath.Join(dir, "scan.ckpt"), filepath.Join(dir, "scan.xml"), filepath.Join(dir, "scan.jsonl")
	s := startScan(t, ns.Command(ajarBin, "scan", "-sT", "-p-", "--rate", "5000", "--checkpoint", ckpt,
		"--save", "xml:"+xmlPath, "--save", "jsonl:"+jsonlPath, addr))
	// Without --all-ports the mark moves when closed ports are counted,
	// every ten seconds: stop when the scan has found some open ports.
	found := waitLines(t, s, jsonlPath, 3)
	s.cmd.Process.Signal(syscall.SIGINT)
	if code := s.wait(t); code != 130 {
		t.Fatalf("interrupted scan: exit %d; stderr %s", code, s.stderr.String())
	}
	if !strings.Contains(s.stderr.String(), "resume with 'ajar scan --resume "+ckpt+"'") {
		t.Errorf("no resume hint on stderr: %q", s.stderr.String())
	}
	first := lastMark(ckpt)
	if first <= 0 {
		t.Fatalf("mark %d after SIGINT", first)
	}

	// Resume, slower, and kill the resumed run once it has counted
	// closed ports (every ten seconds) and moved the mark.
	s = startScan(t, ns.Command(ajarBin, "scan", "--resume", ckpt, "--rate", "2000"))
	second := waitMark(t, s, ckpt, first+1)
	s.cmd.Process.Signal(syscall.SIGKILL)
	s.wait(t)
	t.Logf("%d open ports found when interrupted; mark %d after SIGINT, %d when killed", found, first, second)

	out, stderr, code := runIn(t, ns, "scan", "--resume", ckpt, "-o", "json", "-q")
	if code != 0 || stderr != "" {
		t.Fatalf("resume: exit %d, stderr %q (want none with -q)", code, stderr)
	}
	var recs []scanRecord
	if err := json.Unmarshal([]byte(out), &recs); err != nil {
		t.Fatalf("-o json given on resume: %v\n%s", err, out)
	}
	recs = slices.DeleteFunc(recs, func(r scanRecord) bool { return r.Status != "" }) // host records
	b, err := os.ReadFile(jsonlPath)
	if err != nil {
		t.Fatal(err)
	}
	for name, rs := range map[string][]scanRecord{"stdout": recs, "saved jsonl": parseJSONL(t, string(b))} {
		seen := map[int]bool{}
		for _, r := range rs {
			if seen[r.Port] || r.State != "open" {
				t.Errorf("%s: port %d %s (twice: %v)", name, r.Port, r.State, seen[r.Port])
			}
			seen[r.Port] = true
		}
		for p := range open {
			if !seen[p] {
				t.Errorf("%s: open port %d missing", name, p)
			}
		}
		for p := range seen {
			if !open[p] && !others[p] {
				t.Errorf("%s: port %d open, not one of ours", name, p)
			}
		}
	}
	// The XML lists the open ports and counts the rest: 65535 in all.
	inXML, extra := xmlPorts(t, xmlPath)
	if len(inXML)+extra != 65535 || len(inXML) != len(recs) {
		t.Errorf("XML: %d ports listed + %d counted, want %d + %d = 65535", len(inXML), extra, len(recs), 65535-len(recs))
	}
}

// TestResumeBed kills a scan of the test bed, where ports 20000 and up are
// dropped (so that probes are in flight when it dies), and resumes it: the
// resumed output has every port once, in its true state.
func TestResumeBed(t *testing.T) {
	bed, bt := newScanBed(t)
	ckpt := filepath.Join(t.TempDir(), "bed.ckpt")
	addr := bed.TargetAddr4.String()
	s := startScan(t, bed.Scanner.Command(ajarBin, "scan", "-sT", "-p-", "--rate", "10000", "--all-ports", "-o", "jsonl", "-q",
		"--checkpoint", ckpt, addr))
	waitMark(t, s, ckpt, 10000)
	s.cmd.Process.Signal(syscall.SIGKILL)
	s.wait(t)
	killed := len(parseJSONL(t, s.stdout.String()))
	if killed >= 65535 {
		t.Fatalf("the scan finished before it was killed")
	}
	r := startScan(t, bed.Scanner.Command(ajarBin, "scan", "--resume", ckpt))
	if code := r.wait(t); code != 0 {
		t.Fatalf("resume: exit %d: %s", code, r.stderr.String())
	}
	checkBed(t, "resumed", bt, parseJSONL(t, r.stdout.String()))
	if _, err := os.Stat(ckpt); !os.IsNotExist(err) {
		t.Errorf("checkpoint left: %v", err)
	}
}

// TestShardsUnion scans a loopback address whole and in three shards with one
// seed: the shards are disjoint and together make the whole scan. One
// shard runs with a checkpoint, which a complete scan removes.
func TestShardsUnion(t *testing.T) {
	ns, addr, _ := listenLoopback(t, 5)
	ckpt := filepath.Join(t.TempDir(), "shard.ckpt")
	args := []string{"scan", "-sT", "-p", "1-6000,65000-65535", "--all-ports", "-o", "jsonl", "-q", "--seed", "42"}
	whole, stderr, code := runIn(t, ns, append(args, addr)...)
	if code != 0 {
		t.Fatalf("whole scan: %d %s", code, stderr)
	}
	want := map[int]string{}
	for _, r := range parseJSONL(t, whole) {
		want[r.Port] = r.State
	}
	got := map[int]string{}
	for i := 1; i <= 3; i++ {
		a := append(args, "--shard", fmt.Sprintf("%d/3", i))
		if i == 2 {
			a = append(a, "--checkpoint", ckpt)
		}
		out, stderr, code := runIn(t, ns, append(a, addr)...)
		if code != 0 {
			t.Fatalf("shard %d/3: exit %d: %s", i, code, stderr)
		}
		recs := parseJSONL(t, out)
		if n := len(recs); n < len(want)/3-1 || n > len(want)/3+1 {
			t.Errorf("shard %d/3: %d ports of %d", i, n, len(want))
		}
		for _, r := range recs {
			if _, dup := got[r.Port]; dup {
				t.Errorf("port %d in two shards", r.Port)
			}
			got[r.Port] = r.State
		}
	}
	if len(got) != len(want) || len(want) != 6000+536 {
		t.Errorf("shards: %d ports, whole scan %d", len(got), len(want))
	}
	for p, st := range want {
		if got[p] != st {
			t.Errorf("port %d: %q in the shards, %q in the whole scan", p, got[p], st)
		}
	}
	if _, err := os.Stat(ckpt); !os.IsNotExist(err) {
		t.Errorf("a complete shard left its checkpoint: %v", err)
	}
}

// craftCheckpoint writes the checkpoint of a connect scan of ports 1-10
// of 127.0.0.1 with seed 5 whose mark is at 5, its first five positions
// listed as filtered (a state no loopback probe gives, so a test can see
// they come from the file), and returns the ports of those positions.
func craftCheckpoint(t *testing.T, path string) []int {
	t.Helper()
	meta := `{"command":"scan","format":2,"config":{"ports":"T:1-10","tcp":"connect","seed":5,"all_ports":true,"pace":{},` +
		`"caller":{"output":"jsonl"}},"targets":"127.0.0.1","hosts":1,"scans":["connect tcp 1-10"],"host_group":4096}`
	var b strings.Builder
	fmt.Fprintf(&b, `{"ajar_checkpoint":1,"total":10,"all":true,"meta":%s}`+"\n", meta)
	order := perm.New(10, 5)
	var ports []int
	for k := range uint64(5) {
		port := int(order.At(k)) + 1
		ports = append(ports, port)
		fmt.Fprintf(&b, `{"k":%d,"host":"127.0.0.1","port":%d,"proto":"tcp","state":"filtered","reason":"no-response"}`+"\n", k, port)
	}
	b.WriteString(`{"mark":5}` + "\n")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return ports
}

func TestResumeBadInput(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "good.ckpt")
	craftCheckpoint(t, ckpt)
	good, _ := os.ReadFile(ckpt)
	garbage := filepath.Join(dir, "garbage.ckpt")
	os.WriteFile(garbage, []byte("PORT STATE\n22/tcp open\n"), 0o600)
	corrupt := filepath.Join(dir, "corrupt.ckpt")
	os.WriteFile(corrupt, append(append([]byte{}, good...), "{\"k\":99}\n{\"mark\":6}\n"...), 0o600)
	tests := []struct {
		args []string
		msg  string
	}{
		{[]string{"--resume", filepath.Join(dir, "missing.ckpt")}, "no such file"},
		{[]string{"--resume", garbage}, "not an ajar checkpoint"},
		{[]string{"--resume", corrupt}, "line 8"},
		{[]string{"--resume", ckpt, "-p", "22"}, "--ports 22 conflicts with the checkpoint's scan (ports T:1-10, connect)"},
		{[]string{"--resume", ckpt, "--seed", "6"}, "--seed 6 conflicts"},
		{[]string{"--resume", ckpt, "--shard", "1/2"}, "--shard 1/2 conflicts with the checkpoint's scan (not given)"},
		{[]string{"--resume", ckpt, "-sU"}, "--udp true conflicts"},
		{[]string{"--resume", ckpt, "127.0.0.2"}, "targets \"127.0.0.2\" conflict"},
		{[]string{"--resume", ckpt, "--checkpoint", filepath.Join(dir, "other")}, "not both"},
		{[]string{"--checkpoint", ckpt, "127.0.0.1"}, "exists: resume its scan with --resume"},
	}
	for _, tt := range tests {
		args := append([]string{"scan"}, tt.args...)
		stdout, stderr, code := ajar(t, args...)
		if code != 2 {
			t.Errorf("ajar %v: exit %d, want 2 (stderr %q)", args, code, stderr)
		}
		if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "ajar: ") || !strings.Contains(stderr, tt.msg) {
			t.Errorf("ajar %v: stderr %q, want one line mentioning %q", args, stderr, tt.msg)
		}
		if stdout != "" {
			t.Errorf("ajar %v: stdout %q", args, stdout)
		}
	}
	if b, _ := os.ReadFile(ckpt); !bytes.Equal(b, good) {
		t.Error("a refused resume changed the checkpoint")
	}
}

// TestResumeCrafted resumes a checkpoint written by hand: its results come
// out as it holds them, only the positions it does not hold are probed,
// and flags of pace may be given anew (the same values of others too).
func TestResumeCrafted(t *testing.T) {
	ckpt := filepath.Join(t.TempDir(), "crafted.ckpt")
	fromFile := craftCheckpoint(t, ckpt)
	out, stderr, code := ajar(t, "scan", "--resume", ckpt, "--rate", "100", "-p", "1-10", "127.0.0.1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	recs := parseJSONL(t, out)
	states := map[int]string{}
	for _, r := range recs {
		states[r.Port] = r.State
	}
	if len(recs) != 10 || len(states) != 10 {
		t.Fatalf("%d results, %d ports, want 10:\n%s", len(recs), len(states), out)
	}
	for _, p := range fromFile {
		if states[p] != "filtered" {
			t.Errorf("port %d: %s, want the checkpoint's filtered", p, states[p])
		}
	}
	for i := 0; i < 5; i++ {
		if recs[i].State != "filtered" {
			t.Errorf("result %d: %+v; the checkpoint's results come first", i, recs[i])
		}
	}
	filtered := 0
	for _, st := range states {
		if st == "filtered" {
			filtered++
		}
	}
	if filtered != 5 {
		t.Errorf("%d filtered ports, want the checkpoint's 5 (the rest probed: closed or open)", filtered)
	}
}

// TestResumeGroups kills (SIGKILL) a scan in host groups of 4 once its
// checkpoint is past the second group, and resumes it: the resumed
// outputs hold the whole scan, as a scan never stopped would, every port
// of every up host once and every down host once; and the checkpoint and
// its host file are gone.
func TestResumeGroups(t *testing.T) {
	d := newDiscoverLAN(t)
	block, _ := d.groupTruth()
	ckpt := filepath.Join(t.TempDir(), "groups.ckpt")
	const ports = 2000
	s := startScan(t, d.Scanner.Command(ajarBin, "scan", "-sT", "-p", "1-2000", "--rate", "1500", "--all-ports", "-o", "jsonl", "-q",
		"--max-hostgroup", "4", "--initial-timeout", "300ms", "--checkpoint", ckpt, block.String()))
	// Groups are 4 hosts × 2000 ports = 8000 positions: the third
	// (.8-.11, one host up) starts at 16000, the fourth at 24000.
	waitMark(t, s, ckpt, 16000+500)
	s.cmd.Process.Signal(syscall.SIGKILL)
	s.wait(t)
	if n := len(parseRecords(t, s.stdout.String())); n >= 12+4*ports {
		t.Fatalf("the scan finished before it was killed (%d records)", n)
	}
	if _, err := os.Stat(ckpt + ".hosts"); err != nil {
		t.Fatalf("no host file: %v", err)
	}
	r := startScan(t, d.Scanner.Command(ajarBin, "scan", "--resume", ckpt))
	if code := r.wait(t); code != 0 {
		t.Fatalf("resume: exit %d: %s", code, r.stderr.String())
	}
	checkGroupRecords(t, "resumed", d, r.stdout.String(), ports, false)
	for _, p := range []string{ckpt, ckpt + ".hosts"} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s left: %v", p, err)
		}
	}
}

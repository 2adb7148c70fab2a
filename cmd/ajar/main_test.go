package main_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/ajarsec/ajar/internal/netnstest"
)

var ajarBin string

// TestMain builds the ajar binary once, as a user would, statically.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ajar-bin")
	if err != nil {
		panic(err)
	}
	ajarBin = filepath.Join(dir, "ajar")
	// Runs are recorded in the history by default: not in the tests'
	// home. The history's own tests set AJAR_NO_STORE=0 and --data-dir.
	os.Setenv("AJAR_NO_STORE", "1")
	// Its data directory is $XDG_DATA_HOME/ajar: beside the binary, not
	// the binary itself.
	os.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))
	build := exec.Command("go", "build", "-o", ajarBin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func ajar(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runAjarCmd(t, exec.Command(ajarBin, args...))
}

// runAjarCmd runs an ajar command made ready (in a namespace, say) and
// returns its output and exit code.
func runAjarCmd(t *testing.T, cmd *exec.Cmd) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("running %v: %v", cmd.Args, err)
	}
	return o.String(), e.String(), code
}

type record struct {
	Proto      string   `json:"proto"`
	Address    string   `json:"address"`
	Port       int      `json:"port"`
	State      string   `json:"state"`
	PID        *int     `json:"pid"`
	Process    *string  `json:"process"`
	User       *string  `json:"user"`
	Exposure   string   `json:"exposure"`
	Interfaces []string `json:"interfaces"`
	Cmdline    *string  `json:"cmdline"`
	DualStack  bool     `json:"dual_stack"`
}

func jsonRecords(t *testing.T, out string) []record {
	t.Helper()
	var recs []record
	if err := json.Unmarshal([]byte(out), &recs); err != nil {
		t.Fatalf("ajar -o json printed no JSON array: %v\n%s", err, out)
	}
	return recs
}

func TestSocketsBinary(t *testing.T) {
	type opened struct {
		proto, addr, state, exposure string
		port                         int
		dual                         bool
	}
	var want []opened
	for _, a := range []struct{ network, addr, exposure string }{
		{"tcp4", "127.0.0.1:0", "loopback"}, {"tcp6", "[::1]:0", "loopback"},
		{"tcp4", "0.0.0.0:0", "all"}, {"tcp", "[::]:0", "all"},
	} {
		l, err := net.Listen(a.network, a.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ap := l.Addr().(*net.TCPAddr)
		want = append(want, opened{"tcp", ap.IP.String(), "listen", a.exposure, ap.Port, a.network == "tcp"})
	}
	for _, a := range []struct{ network, addr, exposure string }{
		{"udp4", "127.0.0.1:0", "loopback"}, {"udp6", "[::1]:0", "loopback"},
		{"udp4", "0.0.0.0:0", "all"}, {"udp", "[::]:0", "all"},
	} {
		c, err := net.ListenPacket(a.network, a.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		ap := c.LocalAddr().(*net.UDPAddr)
		want = append(want, opened{"udp", ap.IP.String(), "unconn", a.exposure, ap.Port, a.network == "udp"})
	}
	pid := strconv.Itoa(os.Getpid())
	out, stderr, code := ajar(t, "sockets", "--pid", pid, "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	recs := jsonRecords(t, out)
	for _, w := range want {
		found := false
		for _, r := range recs {
			if r.Proto != w.proto || r.Port != w.port || r.Address != w.addr {
				continue
			}
			found = true
			if r.State != w.state || r.Exposure != w.exposure || r.DualStack != w.dual {
				t.Errorf("%s %s:%d: state %s exposure %s dual %v, want %s %s %v",
					w.proto, w.addr, w.port, r.State, r.Exposure, r.DualStack, w.state, w.exposure, w.dual)
			}
			if r.PID == nil || *r.PID != os.Getpid() || r.Process == nil || *r.Process == "" {
				t.Errorf("%s %s:%d: owner %v %v, want pid %d", w.proto, w.addr, w.port, r.PID, r.Process, os.Getpid())
			}
		}
		if !found {
			t.Errorf("%s %s:%d not listed", w.proto, w.addr, w.port)
		}
	}
	for _, r := range recs {
		if r.PID == nil || *r.PID != os.Getpid() {
			t.Errorf("--pid %s listed a socket of pid %v", pid, r.PID)
		}
	}

	// --exposed drops loopback; --udp, -4 and --port narrow.
	out, _, _ = ajar(t, "sockets", "--pid", pid, "--exposed", "-o", "json")
	for _, r := range jsonRecords(t, out) {
		if r.Exposure == "loopback" {
			t.Errorf("--exposed listed %s:%d", r.Address, r.Port)
		}
	}
	out, _, _ = ajar(t, "ls", "--pid", pid, "--udp", "-4", "-o", "json", "--port", strconv.Itoa(want[4].port))
	if recs := jsonRecords(t, out); len(recs) != 1 || recs[0].Proto != "udp" || recs[0].Address != "127.0.0.1" {
		t.Errorf("--udp -4 --port %d: %+v", want[4].port, recs)
	}

	// The table names the process and says dual-stack; -v adds cmdline.
	out, _, code = ajar(t, "sockets", "--pid", pid, "-v")
	if code != 0 || !strings.Contains(out, "all (v4+v6)") || !strings.Contains(out, "CMDLINE") ||
		!strings.Contains(out, filepath.Base(os.Args[0])) {
		t.Errorf("table:\n%s", out)
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colour codes written to a pipe")
	}
}

func TestSocketsNetnsBinary(t *testing.T) {
	ns := netnstest.New(t)
	var l net.Listener
	if err := ns.Do(func() (err error) {
		l, err = net.Listen("tcp4", "0.0.0.0:7777")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	out, stderr, code := ajar(t, "sockets", "--netns", ns.Name, "-o", "jsonl")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1 {
		t.Fatalf("want exactly the one socket of the namespace, got:\n%s", out)
	}
	var r record
	if err := json.Unmarshal([]byte(lines[0]), &r); err != nil {
		t.Fatal(err)
	}
	if r.Port != 7777 || r.Exposure != "all" || r.PID == nil || *r.PID != os.Getpid() ||
		len(r.Interfaces) != 1 || r.Interfaces[0] != "lo" {
		t.Errorf("namespace socket: %+v", r)
	}
	// And the host's listing does not have it.
	out, _, _ = ajar(t, "sockets", "--port", "7777", "--pid", strconv.Itoa(os.Getpid()), "-o", "json")
	if recs := jsonRecords(t, out); len(recs) != 0 {
		t.Errorf("the namespace's socket leaked into the host's listing: %+v", recs)
	}
}

func TestBadInput(t *testing.T) {
	noPid := strconv.Itoa(1 << 30) // above the kernel's pid_max limit
	tests := []struct {
		args []string
		msg  string
	}{
		{[]string{"sockets", "-o", "xml"}, `unknown output format "xml"`},
		{[]string{"sockets", "--port", "70000"}, "out of range"},
		{[]string{"sockets", "--port", "22,ssh-"}, "not a port number"},
		{[]string{"sockets", "--port", "30-20"}, "backwards"},
		{[]string{"sockets", "--netns", "ajar-no-such-ns"}, "no such network namespace"},
		{[]string{"sockets", "--pid", noPid}, "no such process"},
		{[]string{"sockets", "--pid", "-3"}, "positive"},
		{[]string{"sockets", "--pid", "abc"}, "invalid argument"},
		{[]string{"sockets", "--bogus"}, "unknown flag"},
		{[]string{"sockets", "extra"}, "unknown command"},
		{[]string{"frobnicate"}, "unknown command"},
	}
	for _, tt := range tests {
		stdout, stderr, code := ajar(t, tt.args...)
		if code != 2 {
			t.Errorf("ajar %v: exit %d, want 2", tt.args, code)
		}
		if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "ajar: ") || !strings.Contains(stderr, tt.msg) {
			t.Errorf("ajar %v: stderr %q, want one line mentioning %q", tt.args, stderr, tt.msg)
		}
		if stdout != "" || strings.Contains(stderr, "goroutine") {
			t.Errorf("ajar %v: stdout %q stderr %q", tt.args, stdout, stderr)
		}
	}
}

func TestVersionHelpCompletion(t *testing.T) {
	out, _, code := ajar(t, "version")
	if code != 0 || !strings.HasPrefix(out, "ajar ") {
		t.Errorf("version: %d %q", code, out)
	}
	out, _, code = ajar(t, "sockets", "--help")
	if code != 0 || !strings.Contains(out, "--exposed") || !strings.Contains(out, "Examples:") {
		t.Errorf("sockets --help: %d\n%s", code, out)
	}
	for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
		out, stderr, code := ajar(t, "completion", sh)
		if code != 0 || len(out) < 100 {
			t.Errorf("completion %s: exit %d, %d bytes, %s", sh, code, len(out), stderr)
		}
	}
}

// TestSocketsNotRoot runs ajar as an unprivileged user: root's sockets are
// listed without their pid, and ajar says once why.
func TestSocketsNotRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to run ajar as another user")
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	// The binary must be readable by nobody: copy it out of the private
	// temporary directory.
	bin := filepath.Join(os.TempDir(), "ajar-nobody-"+strconv.Itoa(os.Getpid()))
	data, err := os.ReadFile(ajarBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(bin)
	cmd := exec.Command(bin, "sockets", "--port", strconv.Itoa(port), "-o", "json")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		t.Fatalf("ajar as nobody: %v\n%s", err, e.String())
	}
	recs := jsonRecords(t, o.String())
	if len(recs) != 1 || recs[0].PID != nil || recs[0].User == nil || *recs[0].User != "root" {
		t.Fatalf("as nobody, root's socket: %+v", recs)
	}
	if strings.Count(e.String(), "\n") != 1 || !strings.Contains(e.String(), "root sees all owners") {
		t.Errorf("stderr: %q, want one line saying root sees more", e.String())
	}
}

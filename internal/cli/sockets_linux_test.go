package cli_test

import (
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
)

type holderJSON struct {
	PID     int    `json:"pid"`
	Process string `json:"process"`
}

type socketJSON struct {
	Address string       `json:"address"`
	Port    int          `json:"port"`
	PID     int          `json:"pid"`
	Holders []holderJSON `json:"holders"`
}

// TestSocketsSharedHolders: a socket that a process binds and then passes
// to a child it forks is held by both, as nginx's master and workers hold
// their listeners. --pid of either lists it; -v shows both.
func TestSocketsSharedHolders(t *testing.T) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	f, err := l.(*net.TCPListener).File() // a second fd on the same socket
	if err != nil {
		t.Fatal(err)
	}
	child := exec.Command("cat") // holds fd 3 until its stdin closes
	child.ExtraFiles = []*os.File{f}
	stdin, err := child.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil { // returns once the child is forked and exec'd: it holds the socket
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); child.Wait() })
	f.Close()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	parent, kid := os.Getpid(), child.Process.Pid
	want := []holderJSON{{parent, selfComm(t)}, {kid, "cat"}}
	slices.SortFunc(want, func(a, b holderJSON) int { return a.PID - b.PID })

	for _, pid := range []int{parent, kid} {
		out, stderr, code := runAjar(t, "sockets", "--pid", strconv.Itoa(pid), "--port", port, "-o", "json")
		if code != 0 {
			t.Fatalf("--pid %d: exit %d: %s", pid, code, stderr)
		}
		var recs []socketJSON
		if err := json.Unmarshal([]byte(out), &recs); err != nil {
			t.Fatalf("--pid %d: %v\n%s", pid, err, out)
		}
		if len(recs) != 1 || recs[0].Address != "127.0.0.1" || recs[0].PID != want[0].PID || !slices.Equal(recs[0].Holders, want) {
			t.Errorf("--pid %d --port %s: %+v, want one socket held by %+v", pid, port, recs, want)
		}
	}

	out, _, code := runAjar(t, "sockets", "--pid", strconv.Itoa(kid), "--port", port, "-v")
	pids := strconv.Itoa(want[0].PID) + "," + strconv.Itoa(want[1].PID)
	if code != 0 || !strings.Contains(out, " "+pids+" ") || !strings.Contains(out, "cat") {
		t.Errorf("-v should show both holders %s:\n%s", pids, out)
	}
	out, _, _ = runAjar(t, "sockets", "--pid", strconv.Itoa(kid), "--port", port)
	if strings.Contains(out, pids) || !strings.Contains(out, " "+strconv.Itoa(want[0].PID)+" ") {
		t.Errorf("without -v, the lowest pid only:\n%s", out)
	}
}

func selfComm(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

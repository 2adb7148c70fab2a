package main_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ajarsec/ajar/internal/netnstest"
)

// TestWatchLocal runs `ajar watch --local -o jsonl` on a namespace of the
// test's own, opens and closes a real listener there, and reads the
// events: the fixed fields, in order, each within its deadline; the exec
// hook gets each event on its stdin; Ctrl-C ends the watch with exit 0.
func TestWatchLocal(t *testing.T) {
	ns := netnstest.New(t)
	hookOut := filepath.Join(t.TempDir(), "hook.jsonl")
	cmd := ajarCmd("watch", "--local", "--netns", ns.Name, "-o", "jsonl", "--exec", "tee -a "+hookOut)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	ready := bufio.NewScanner(stderr)
	if !ready.Scan() || !strings.Contains(ready.Text(), "events follow") {
		t.Fatalf("ajar watch did not start: %q", ready.Text())
	}
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func(want string) map[string]any {
		t.Helper()
		select {
		case line := <-lines:
			var ev map[string]any
			if err := json.Unmarshal([]byte(line), &ev); err != nil {
				t.Fatalf("not JSON: %q", line)
			}
			for _, k := range []string{"time", "event", "proto", "address", "port", "pid", "process", "exposure"} {
				if _, ok := ev[k]; !ok {
					t.Errorf("event without %q: %s", k, line)
				}
			}
			if ev["event"] != want || ev["port"] != 7010.0 || ev["proto"] != "tcp" || ev["address"] != "0.0.0.0" ||
				ev["pid"] != float64(os.Getpid()) || ev["exposure"] != "all" {
				t.Errorf("got %s; want %s of tcp 0.0.0.0:7010 by pid %d, exposure all", line, want, os.Getpid())
			}
			return ev
		case <-time.After(2 * time.Second):
			t.Fatalf("no %s event within 2 s", want)
		}
		return nil
	}
	var l net.Listener
	if err := ns.Do(func() (err error) { l, err = net.Listen("tcp4", ":7010"); return err }); err != nil {
		t.Fatal(err)
	}
	next("opened")
	l.Close()
	next("closed")
	cmd.Process.Signal(syscall.SIGINT)
	if err := cmd.Wait(); err != nil {
		t.Errorf("ajar watch ended with %v after SIGINT, want exit 0", err)
	}
	b, _ := os.ReadFile(hookOut)
	if n := strings.Count(string(b), "\n"); n != 2 || !strings.Contains(string(b), `"event":"closed"`) {
		t.Errorf("the exec hook got %d events:\n%s", n, b)
	}
}

// TestWatchBadInput: one line and exit 2 for what ajar watch cannot do.
func TestWatchBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"watch"},
		{"watch", "10.0.0.1"},
		{"watch", "--local", "--interval", "1ms"},
		{"watch", "--local", "-o", "xml"},
		{"watch", "--local", "--webhook", "ftp://x"},
		{"watch", "--local", "--netns", "no-such-ns-ajar"},
		{"watch", "--local", "--metrics", "no-port"},
		{"watch", "--local", "--metrics", "127.0.0.1:99999"},
	} {
		_, stderr, code := ajar(t, args...)
		if code != 2 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line", args, code, stderr)
		}
	}
}

// TestWatchRescan runs `ajar watch TARGET --every 1s --rounds 3` from the
// scanner namespace of a bed; after the first round a port opens and
// another closes on the target; the later rounds report both changes, as
// `ajar diff -o json` changes with time and round.
func TestWatchRescan(t *testing.T) {
	bed := netnstest.NewBed(t)
	listen := func(port string) net.Listener {
		var l net.Listener
		if err := bed.InTarget(func() (err error) { l, err = net.Listen("tcp4", ":"+port); return err }); err != nil {
			t.Fatal(err)
		}
		return l
	}
	was := listen("8080")
	defer was.Close()
	addr := bed.TargetAddr4.String()
	cmd := bed.Scanner.Command(ajarBin, "watch", addr, "-sT", "-p", "8080,8081", "--every", "1s", "--rounds", "3", "-o", "jsonl")
	var out strings.Builder
	cmd.Stdout = &out
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(stderr)
	for sc.Scan() && !strings.Contains(sc.Text(), "round 1 done") {
	}
	now := listen("8081")
	defer now.Close()
	was.Close()
	go func() {
		for sc.Scan() {
			t.Logf("stderr: %s", sc.Text())
		}
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("ajar watch: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("ajar watch --rounds 3 did not end")
	}
	got := map[string]map[string]any{}
	for line := range strings.Lines(out.String()) {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		for _, k := range []string{"time", "round", "host", "proto", "port", "change", "before", "after"} {
			if _, ok := ev[k]; !ok {
				t.Errorf("change without %q: %s", k, line)
			}
		}
		got[fmt.Sprint(ev["port"])+" "+fmt.Sprint(ev["change"])] = ev
	}
	if len(got) != 2 || got["8081 opened"] == nil || got["8080 closed"] == nil || got["8081 opened"]["host"] != addr {
		t.Errorf("changes %v; want 8081 opened and 8080 closed, once each:\n%s", got, out.String())
	}
}

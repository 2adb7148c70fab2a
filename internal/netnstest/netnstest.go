//go:build linux

// Package netnstest builds throw-away network namespaces for tests: hosts
// with their own loopback and sockets, removed when the test ends, even when
// it fails.
package netnstest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// RequirePrivileges skips the test when it cannot create namespaces (not
// root, or no `ip`), except under CI=true, where it fails: CI must run every
// test.
func RequirePrivileges(t testing.TB) {
	t.Helper()
	var why string
	switch {
	case os.Geteuid() != 0:
		why = "needs root to create network namespaces"
	default:
		if _, err := exec.LookPath("ip"); err != nil {
			why = "needs the ip command (Debian package iproute2)"
		}
	}
	if why == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s; under CI=true this test must run", why)
	}
	t.Skip(why)
}

// NS is a network namespace made for one test.
type NS struct {
	Name string
	t    testing.TB
}

// New creates a namespace with its loopback up, and removes it when the test
// ends.
func New(t testing.TB) *NS {
	t.Helper()
	RequirePrivileges(t)
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	ns := &NS{Name: "ajar-test-" + hex.EncodeToString(b[:]), t: t}
	run(t, "ip", "netns", "add", ns.Name)
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", ns.Name).CombinedOutput(); err != nil {
			t.Errorf("removing namespace %s: %v: %s", ns.Name, err, out)
		}
	})
	ns.Run("ip", "link", "set", "lo", "up")
	return ns
}

// Path is the namespace's file, for setns.
func (ns *NS) Path() string { return "/run/netns/" + ns.Name }

// Run runs a command inside the namespace and fails the test if it fails.
func (ns *NS) Run(name string, args ...string) string {
	ns.t.Helper()
	return run(ns.t, "ip", append([]string{"netns", "exec", ns.Name, name}, args...)...)
}

// Command makes a command that will run inside the namespace.
func (ns *NS) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", ns.Name, name}, args...)...)
}

// Do runs fn on an OS thread inside the namespace: sockets fn opens belong
// to the namespace and stay there after fn returns. The thread is thrown
// away afterwards, never reused in the wrong namespace. A panic in fn is
// raised again in the caller's goroutine, so the test's cleanups still run.
func (ns *NS) Do(fn func() error) error {
	f, err := os.Open(ns.Path())
	if err != nil {
		return err
	}
	defer f.Close()
	type result struct {
		err   error
		panic string // fn's panic and the stack it came from
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with this goroutine
		panicked := true
		defer func() {
			if panicked {
				v := recover()
				if v == nil {
					v = "fn exited its goroutine (t.FailNow inside Do?)"
				}
				done <- result{panic: fmt.Sprintf("%v\n%s", v, debug.Stack())}
			}
		}()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			panicked = false
			done <- result{err: fmt.Errorf("setns %s: %w", ns.Name, err)}
			return
		}
		err := fn()
		panicked = false
		done <- result{err: err}
	}()
	r := <-done
	if r.panic != "" {
		panic("in namespace " + ns.Name + ": " + r.panic)
	}
	return r.err
}

func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

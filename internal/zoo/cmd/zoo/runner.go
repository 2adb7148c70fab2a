//go:build linux

package main

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"testing"
)

// runner lets zoo.Start, written for tests, run in a program: it is the
// testing.TB of one goroutine. Fatal and Skip end that goroutine, as they
// end a test; the cleanups run when the program is done with the zoo.
type runner struct {
	testing.TB // nil: only the methods below are called

	name     string
	mu       sync.Mutex
	cleanups []func()
	failed   bool
}

func (r *runner) Helper()      {}
func (r *runner) Name() string { return r.name }

func (r *runner) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

func (r *runner) Cleanup(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cleanups = append(r.cleanups, f)
}

// runCleanups runs the cleanups last first, as testing does.
func (r *runner) runCleanups() {
	for {
		r.mu.Lock()
		n := len(r.cleanups)
		if n == 0 {
			r.mu.Unlock()
			return
		}
		f := r.cleanups[n-1]
		r.cleanups = r.cleanups[:n-1]
		r.mu.Unlock()
		f()
	}
}

func (r *runner) Log(args ...any)                 { fmt.Fprintln(os.Stderr, args...) }
func (r *runner) Logf(format string, args ...any) { r.Log(fmt.Sprintf(format, args...)) }

func (r *runner) Error(args ...any) {
	r.Log(args...)
	r.mu.Lock()
	r.failed = true
	r.mu.Unlock()
}

func (r *runner) Errorf(format string, args ...any) { r.Error(fmt.Sprintf(format, args...)) }
func (r *runner) Fail()                             { r.Error("failed") }
func (r *runner) FailNow()                          { r.Fail(); runtime.Goexit() }
func (r *runner) Fatal(args ...any)                 { r.Error(args...); runtime.Goexit() }
func (r *runner) Fatalf(format string, args ...any) { r.Errorf(format, args...); runtime.Goexit() }
func (r *runner) Skip(args ...any)                  { r.Fatal(append([]any{"cannot run:"}, args...)...) }
func (r *runner) Skipf(format string, args ...any)  { r.Skip(fmt.Sprintf(format, args...)) }
func (r *runner) SkipNow()                          { r.Skip() }
func (r *runner) Skipped() bool                     { return false }

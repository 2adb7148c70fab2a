// Command ajar finds which ports are open, who opened them, and whether they
// should be.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/ajarsec/ajar/internal/cli"
	"github.com/ajarsec/ajar/scan"
)

// gcPercent is the collector's target heap growth (GOGC) when the
// environment does not set one.
const gcPercent = 50

// setGCPercent sets the collector's target to gcPercent unless GOGC is
// set. A scan's live heap is small and steady (tables sized by its
// parallelism, buffers sized by its batches) while it makes garbage fast
// (a result a port): collecting at 50 % growth rather than Go's 100 %
// keeps its peak at about 1.5 times what is live, not 2, for a few per
// cent more CPU. GOGC, when set, decides.
func setGCPercent() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(gcPercent)
	}
}

// version is set at link time: -ldflags "-X main.version=v1.2.3".
var version string

func main() {
	// More open files, more probes in flight: the process's choice, made
	// once here, never inside a library call.
	if err := scan.RaiseOpenFileLimit(); err != nil {
		fmt.Fprintf(os.Stderr, "ajar: warning: cannot raise the open-file limit: %v\n", err)
	}
	setGCPercent()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first Ctrl-C stops the work cleanly; a second one kills at once.
	go func() { <-ctx.Done(); stop() }()
	code := cli.Run(ctx, os.Args[1:], &cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, Version: cli.Version(version)})
	stop()
	os.Exit(code)
}

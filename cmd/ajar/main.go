// Command ajar finds which ports are open, who opened them, and whether they
// should be.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/ajarsec/ajar/internal/cli"
	"github.com/ajarsec/ajar/scan"
)

// version is set at link time: -ldflags "-X main.version=v1.2.3".
var version string

func main() {
	// More open files, more probes in flight: the process's choice, made
	// once here, never inside a library call.
	if err := scan.RaiseOpenFileLimit(); err != nil {
		fmt.Fprintf(os.Stderr, "ajar: warning: cannot raise the open-file limit: %v\n", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first Ctrl-C stops the work cleanly; a second one kills at once.
	go func() { <-ctx.Done(); stop() }()
	code := cli.Run(ctx, os.Args[1:], &cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, Version: cli.Version(version)})
	stop()
	os.Exit(code)
}

//go:build !linux

package syn

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"time"

	"github.com/ajarsec/ajar/scan"
)

// prober is a stand-in: SYN scanning is implemented for Linux only.
type prober struct{ lo, hi uint16 }

func errUnsupported() error {
	return fmt.Errorf("syn: SYN scanning on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}

func available() error { return errUnsupported() }

func newProber(Config) (*prober, error) { return nil, errUnsupported() }

func (*prober) newSyncWorker() scan.Worker { return nil }

func (*prober) close() error { return nil }

func (*prober) stats() Stats { return Stats{} }

func (*prober) flush() {}

func (*prober) start(_ context.Context, _ netip.AddrPort, _ time.Duration, done func(scan.Outcome)) {
	done(scan.Outcome{Err: errUnsupported()})
}

func (*prober) newAsyncWorker() scan.AsyncWorker { return failing{} }

// failing is the stand-in's worker: every probe fails.
type failing struct{}

func (failing) Start(_ context.Context, _ netip.AddrPort, _ time.Duration, done func(scan.Outcome)) {
	done(scan.Outcome{Err: errUnsupported()})
}

func (failing) Close() error { return nil }

//go:build !linux

package syn

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/ajarsec/ajar/scan"
)

// prober is a stand-in: SYN scanning is implemented for Linux only.
type prober struct{ lo, hi uint16 }

func errUnsupported() error {
	return fmt.Errorf("syn: SYN scanning on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}

func available() error { return errUnsupported() }

func newProber(Config) (*prober, error) { return nil, errUnsupported() }

func (*prober) newWorker() scan.Worker { return nil }

func (*prober) close() error { return nil }

func (*prober) stats() Stats { return Stats{} }

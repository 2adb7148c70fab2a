//go:build windows || plan9

package watch

import (
	"errors"
	"fmt"
	"runtime"
)

// Syslog is not available on this system.
func Syslog() (Sink, error) {
	return nil, fmt.Errorf("syslog on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}

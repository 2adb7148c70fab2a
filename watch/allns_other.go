//go:build !linux

package watch

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"
)

// AllNamespaces watches every network namespace: Linux only.
type AllNamespaces struct {
	Local  Local
	Rescan time.Duration
}

// Run fails: there are no network namespaces on this system.
func (a *AllNamespaces) Run(context.Context, func(Event) error) error {
	return fmt.Errorf("network namespaces on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}

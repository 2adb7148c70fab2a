//go:build !linux

package policy

import (
	"context"
	"errors"
	"fmt"
	"runtime"
)

func inNetns(netns string, fn func() error) error {
	if netns != "" {
		return fmt.Errorf("network namespaces on %s: %w", runtime.GOOS, errors.ErrUnsupported)
	}
	return fn()
}

func readNAT(context.Context) ([]NATPort, []string) {
	return nil, []string{"ports published by DNAT rules are read on Linux only"}
}

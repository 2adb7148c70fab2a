//go:build !linux

package discover

import (
	"errors"
	"fmt"
	"runtime"
)

// Open is not implemented here yet: discovery reads the routing table
// over netlink and sends with Linux's raw and packet sockets.
func Open(cfg Config) (*Session, error) {
	return nil, fmt.Errorf("host discovery on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}

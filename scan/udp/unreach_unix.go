//go:build !linux && !windows

package udp

import (
	"errors"
	"net"
	"syscall"
)

// reportPortUnreachable has nothing to do: a connected UDP socket reports
// ICMP port unreachable as ECONNREFUSED.
func reportPortUnreachable(*net.UDPConn) error { return nil }

func isPortUnreachable(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

package sockets

import "context"

// ProcessExists reports whether a process with this pid is running.
func ProcessExists(ctx context.Context, pid int) (bool, error) {
	if pid <= 0 {
		return false, nil
	}
	return processExists(ctx, pid)
}

//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package journal

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// lock takes an exclusive advisory lock on f, failing at once with
// ErrLocked if another process holds one. It goes with the file's close.
func lock(f *os.File) error {
	err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		return ErrLocked
	}
	return err
}

//go:build linux || darwin

package scan

import "golang.org/x/sys/unix"

// openFileLimit is this process's limit of open files, which bounds the
// probes in flight (each holds a socket); 0 when there is none.
func openFileLimit() (uint64, error) {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return 0, err
	}
	if rl.Cur == unix.RLIM_INFINITY {
		return 0, nil
	}
	return rl.Cur, nil
}

// RaiseOpenFileLimit raises this process's soft limit of open files to
// its hard limit, so that a scan may keep more probes in flight. It
// changes the whole process: a program calls it once, when it starts,
// if it wants to; the engine never does.
func RaiseOpenFileLimit() error {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return err
	}
	if rl.Cur < rl.Max {
		rl.Cur = rl.Max
		return unix.Setrlimit(unix.RLIMIT_NOFILE, &rl)
	}
	return nil
}

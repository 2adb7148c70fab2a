//go:build linux || darwin

package scan

import "golang.org/x/sys/unix"

// raiseNoFile raises the soft open-file limit to the hard one and returns
// it: root cannot go past the hard limit either.
func raiseNoFile() (uint64, error) {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return 0, err
	}
	if rl.Cur < rl.Max {
		rl.Cur = rl.Max
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
			return 0, err
		}
	}
	if rl.Cur == unix.RLIM_INFINITY {
		return 0, nil
	}
	return rl.Cur, nil
}

//go:build !linux && !darwin

package scan

func openFileLimit() (uint64, error) { return 0, nil }

// RaiseOpenFileLimit does nothing where there is no such limit.
func RaiseOpenFileLimit() error { return nil }

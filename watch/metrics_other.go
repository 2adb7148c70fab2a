//go:build !linux

package watch

import "time"

// processCPU and processRSS: served on Linux only.
func processCPU() (time.Duration, bool) { return 0, false }
func processRSS() (int64, bool)         { return 0, false }

package main

import (
	"os"
	"runtime/debug"
	"testing"
)

// TestSetGCPercent: without GOGC the collector runs at gcPercent; with
// GOGC set, what the runtime took from it stays.
func TestSetGCPercent(t *testing.T) {
	old, had := os.LookupEnv("GOGC")
	prev := debug.SetGCPercent(100)
	t.Cleanup(func() {
		debug.SetGCPercent(prev)
		if had {
			os.Setenv("GOGC", old)
		} else {
			os.Unsetenv("GOGC")
		}
	})

	os.Unsetenv("GOGC")
	setGCPercent()
	if got := debug.SetGCPercent(100); got != gcPercent {
		t.Errorf("GOGC unset: the collector runs at %d %%, want %d %%", got, gcPercent)
	}

	os.Setenv("GOGC", "200")
	debug.SetGCPercent(200) // what the runtime read from GOGC at start
	setGCPercent()
	if got := debug.SetGCPercent(100); got != 200 {
		t.Errorf("GOGC=200: the collector runs at %d %%, want 200 %% (the user's)", got)
	}
}

package datadir

import (
	"os"
	"path/filepath"
	"testing"
)

func TestResolve(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)

	t.Setenv("XDG_DATA_HOME", "")
	if got, _ := Resolve(""); got != filepath.Join(home, ".local", "share", "ajar") {
		t.Errorf("default: got %q", got)
	}
	t.Setenv("XDG_DATA_HOME", "relative/dir") // ignored, as the spec says
	if got, _ := Resolve(""); got != filepath.Join(home, ".local", "share", "ajar") {
		t.Errorf("relative XDG_DATA_HOME: got %q", got)
	}
	xdg := t.TempDir()
	t.Setenv("XDG_DATA_HOME", xdg)
	if got, _ := Resolve(""); got != filepath.Join(xdg, "ajar") {
		t.Errorf("XDG_DATA_HOME: got %q", got)
	}
	over := filepath.Join(t.TempDir(), "mine")
	if got, _ := Resolve(over); got != over {
		t.Errorf("override: got %q", got)
	}
	dir, err := Ensure(over)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() || st.Mode().Perm() != 0o700 {
		t.Errorf("Ensure: %v %v", st, err)
	}
}

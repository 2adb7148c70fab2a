// Package datadir finds ajar's data directory, where the vulnerability
// database and the history store live. It follows the XDG base directory
// specification: $XDG_DATA_HOME/ajar, by default ~/.local/share/ajar; the
// --data-dir flag of every command overrides both.
package datadir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Name is the directory's name under $XDG_DATA_HOME.
const Name = "ajar"

// Resolve returns the data directory: override when it is not empty, else
// $XDG_DATA_HOME/ajar when XDG_DATA_HOME is an absolute path (the
// specification says relative ones are ignored), else
// ~/.local/share/ajar. It does not create the directory.
func Resolve(override string) (string, error) {
	if override != "" {
		return filepath.Abs(override)
	}
	if x := os.Getenv("XDG_DATA_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, Name), nil
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return "", errors.New("no data directory: neither XDG_DATA_HOME nor HOME is set (give --data-dir)")
	}
	return filepath.Join(home, ".local", "share", Name), nil
}

// Ensure resolves the data directory as Resolve does and creates it (mode
// 0700: scan results and findings are not for other users) when it is
// missing.
func Ensure(override string) (string, error) {
	dir, err := Resolve(override)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("data directory: %w", err)
	}
	return dir, nil
}

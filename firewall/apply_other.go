//go:build !linux

package firewall

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"runtime"
)

var errApply = fmt.Errorf("applying nftables rules on %s: %w (print them and apply them with the system's own tools)", runtime.GOOS, errors.ErrUnsupported)

// Current is Linux only.
func Current(context.Context, string) (string, error) { return "", errApply }

// Apply is Linux only.
func Apply(context.Context, string, *Ruleset) (string, error) { return "", errApply }

// Check is Linux only.
func Check(context.Context, string, *Ruleset) error { return errApply }

// Restore is Linux only.
func Restore(context.Context, string, string) error { return errApply }

// Detach does nothing here: applying is Linux only.
func Detach(*exec.Cmd) {}

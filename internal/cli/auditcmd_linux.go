//go:build linux

package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ajarsec/ajar/sockets"
)

// inNetns runs this ajar audit again, whole, inside network namespace
// name: from a thread moved there, so that the new process starts in it
// and every one of its threads dials from it.
func inNetns(ctx context.Context, env *Env, name string) error {
	path := name
	if !strings.ContainsRune(name, '/') {
		path = filepath.Join("/run/netns", name)
	}
	ns, err := os.Open(path)
	if err != nil {
		return auditUsage("%v: %s", sockets.ErrNoNetns, name)
	}
	defer ns.Close()
	self, err := os.Executable()
	if err != nil {
		return failure(err)
	}
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with this goroutine
		if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNET); err != nil {
			done <- fmt.Errorf("entering network namespace %s: %w", name, err)
			return
		}
		c := exec.CommandContext(ctx, self, os.Args[1:]...)
		c.Env = append(os.Environ(), envAuditNetns+"="+name)
		c.Stdin, c.Stdout, c.Stderr = os.Stdin, env.Stdout, env.Stderr
		done <- c.Run()
	}()
	err = <-done
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() > 0 {
		return &exitError{code: ee.ExitCode(), err: errSaid}
	}
	return failure(err)
}

//go:build linux

package netnstest

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// insideEnv marks the test binary Main started in its namespace;
// parentEnv tells it the namespace it was started from.
const (
	insideEnv = "AJAR_TEST_OWN_NETNS"
	parentEnv = "AJAR_TEST_PARENT_NETNS"
)

// Main runs a package's tests in a network namespace of their own, for
// packages whose tests scan 127.0.0.1 and ::1: on the shared loopback a
// port one test found free and expects closed can be another package's
// listener a moment later, and a full-range scan connects to every other
// test's servers. Call it from TestMain: os.Exit(netnstest.Main(m)).
//
// The test binary runs again as a child in a new namespace, with the same
// arguments (so -run, -v, -count, -coverprofile and -timeout apply there),
// and brings that namespace's loopback up first. As root the namespace is
// a plain one, and tests that build beds of their own still can. Otherwise
// it is inside a user namespace, where the child keeps CAP_NET_ADMIN and
// CAP_NET_RAW over its namespace but not root: RequirePrivileges still
// skips what needs it. Where neither can be made the tests run on the
// shared loopback with a warning, except under CI=true, where that fails.
func Main(m *testing.M) int {
	if os.Getenv(insideEnv) == "1" {
		if err := loopbackUp(); err != nil {
			fmt.Fprintln(os.Stderr, "netnstest: bringing up the namespace's loopback:", err)
			return 1
		}
		return m.Run()
	}
	code, err := runInside(plainNS(), os.Args[1:], os.Stdout)
	if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EINVAL) {
		code, err = runInside(userNS(), os.Args[1:], os.Stdout)
	}
	if err == nil {
		return code
	}
	if os.Getenv("CI") == "true" {
		fmt.Fprintf(os.Stderr, "netnstest: cannot make a network namespace for these tests: %v; under CI=true they must run in one\n", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "netnstest: cannot make a network namespace (%v): these tests run on the shared loopback, where other tests' listeners can disturb them\n", err)
	return m.Run()
}

// runInside runs this test binary again with args, as a child cloned with
// attr and writing its output to out; err is about starting it, code is
// its exit code.
func runInside(attr *syscall.SysProcAttr, args []string, out io.Writer) (code int, err error) {
	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(self, args...)
	parent, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		return 0, err
	}
	cmd.Env = append(os.Environ(), insideEnv+"=1", parentEnv+"="+parent)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, out, os.Stderr
	attr.Pdeathsig = syscall.SIGKILL // go test's timeout kills the parent
	cmd.SysProcAttr = attr
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &exit):
		if exit.ExitCode() < 0 { // killed by a signal
			fmt.Fprintln(os.Stderr, "netnstest: the tests' process:", err)
			return 1, nil
		}
		return exit.ExitCode(), nil
	}
	return 0, err
}

// plainNS is a new network namespace, for root.
func plainNS() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
}

// userNS is a new network namespace owned by a new user namespace in
// which the child is itself (same uid and gid) with the capabilities to
// manage that network and open raw sockets in it.
func userNS() *syscall.SysProcAttr {
	uid, gid := os.Getuid(), os.Getgid()
	return &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWNET,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: uid, HostID: uid, Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: gid, HostID: gid, Size: 1}},
		AmbientCaps: []uintptr{unix.CAP_NET_ADMIN, unix.CAP_NET_RAW},
	}
}

// loopbackUp sets lo up, which also gives it 127.0.0.1 and ::1.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}

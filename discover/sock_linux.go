//go:build linux

package discover

import (
	"errors"
	"net/netip"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// sock is one non-blocking socket on Go's poller: reads wait without a
// thread, and closing it ends a read under way.
type sock struct {
	f  *os.File
	rc syscall.RawConn
	fd int
}

// openSock makes a socket in the calling thread's network namespace.
func openSock(family, typ, proto int, name string) (*sock, error) {
	fd, err := unix.Socket(family, typ|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		return nil, os.NewSyscallError("socket("+name+")", err)
	}
	return newSock(fd, name)
}

func newSock(fd int, name string) (*sock, error) {
	f := os.NewFile(uintptr(fd), name)
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &sock{f: f, rc: rc, fd: fd}, nil
}

func (s *sock) close() error {
	if s == nil {
		return nil
	}
	return s.f.Close()
}

// sendWait bounds how long a send waits for room in the socket's buffer.
const sendWait = time.Second

// sendto sends one datagram, waiting (boundedly) for buffer room.
func (s *sock) sendto(b []byte, sa unix.Sockaddr) error {
	if err := s.f.SetWriteDeadline(time.Now().Add(sendWait)); err != nil {
		return err
	}
	var serr error
	err := s.rc.Write(func(fd uintptr) bool {
		serr = unix.Sendto(int(fd), b, 0, sa)
		return serr != unix.EAGAIN
	})
	if err != nil {
		return err
	}
	if serr != nil {
		return os.NewSyscallError("sendto", serr)
	}
	return nil
}

// recvfrom reads one datagram, waiting as long as it takes or until the
// socket is closed.
func (s *sock) recvfrom(b []byte) (int, unix.Sockaddr, error) {
	var (
		n    int
		from unix.Sockaddr
		rerr error
	)
	err := s.rc.Read(func(fd uintptr) bool {
		n, from, rerr = unix.Recvfrom(int(fd), b, 0)
		return rerr != unix.EAGAIN
	})
	if err != nil {
		return 0, nil, errSockGone{err}
	}
	if rerr != nil {
		return 0, nil, os.NewSyscallError("recvfrom", rerr)
	}
	return n, from, nil
}

// errSockGone wraps what the poller says when the socket can no longer
// be read: closed.
type errSockGone struct{ err error }

func (e errSockGone) Error() string { return e.err.Error() }
func (e errSockGone) Unwrap() error { return e.err }

// fatalRecv reports whether a receive error means the socket is gone
// (closed), rather than a transient error (a queued ICMP error on a
// datagram socket, no buffer) worth reading past.
func fatalRecv(err error) bool {
	var gone errSockGone
	return errors.As(err, &gone) || errors.Is(err, unix.EBADF)
}

// sockaddr is a as a socket address, with port (for TCP and UDP) or
// scope (the interface of a link-local or multicast IPv6 address).
func sockaddr(a netip.Addr, port, scope int) unix.Sockaddr {
	if a.Is4() {
		return &unix.SockaddrInet4{Port: port, Addr: a.As4()}
	}
	return &unix.SockaddrInet6{Port: port, Addr: a.As16(), ZoneId: uint32(scope)}
}

// fromAddr is the address of a received datagram's sender.
func fromAddr(sa unix.Sockaddr) netip.Addr {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrFrom4(sa.Addr)
	case *unix.SockaddrInet6:
		return netip.AddrFrom16(sa.Addr).Unmap()
	}
	return netip.Addr{}
}

// denied reports whether err means the privilege is missing.
func denied(err error) bool {
	return errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES)
}

package udp

import (
	"errors"
	"net"
	"syscall"
	"unsafe"
)

// reportPortUnreachable turns back on what Go's net package turns off for
// UDP sockets on Windows (SIO_UDP_CONNRESET): a read that reports an ICMP
// port unreachable, as WSAECONNRESET.
func reportPortUnreachable(c *net.UDPConn) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var ierr error
	err = rc.Control(func(fd uintptr) {
		flag, ret := uint32(1), uint32(0)
		ierr = syscall.WSAIoctl(syscall.Handle(fd), syscall.SIO_UDP_CONNRESET,
			(*byte)(unsafe.Pointer(&flag)), uint32(unsafe.Sizeof(flag)), nil, 0, &ret, nil, 0)
	})
	return errors.Join(err, ierr)
}

func isPortUnreachable(err error) bool {
	return errors.Is(err, syscall.WSAECONNRESET) || errors.Is(err, syscall.ECONNREFUSED)
}

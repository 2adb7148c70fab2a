// Package probesock holds what ajar's probers share on Linux: a
// non-blocking socket registered once with Go's poller, with ICMP errors
// queued on it, and a destination address that is reused from probe to
// probe.
package probesock

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// Sock is one non-blocking socket on Go's poller. F owns FD; RC waits on it.
type Sock struct {
	F  *os.File
	RC syscall.RawConn
	FD int // for calls that never wait
}

// Open makes a socket of typ (unix.SOCK_STREAM, unix.SOCK_DGRAM) for IPv4
// or IPv6 with IP_RECVERR or IPV6_RECVERR set: every ICMP error about its
// packets goes to its error queue, with type, code and sender.
func Open(v6 bool, typ int, name string) (*Sock, error) {
	fd, err := OpenFD(v6, typ)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), name)
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Sock{F: f, RC: rc, FD: fd}, nil
}

// OpenFD makes the socket Open makes, as a bare non-blocking descriptor
// for a caller with an event loop of its own.
func OpenFD(v6 bool, typ int) (int, error) {
	family, level, opt := unix.AF_INET, unix.IPPROTO_IP, unix.IP_RECVERR
	if v6 {
		family, level, opt = unix.AF_INET6, unix.IPPROTO_IPV6, unix.IPV6_RECVERR
	}
	fd, err := unix.Socket(family, typ|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	if err := unix.SetsockoptInt(fd, level, opt, 1); err != nil {
		unix.Close(fd)
		return -1, os.NewSyscallError("setsockopt", err)
	}
	return fd, nil
}

// Dst is a destination address kept in place, so that pointing it at the
// next probe's destination allocates nothing.
type Dst struct {
	sa4 unix.SockaddrInet4
	sa6 unix.SockaddrInet6
}

// Set points d at ap and returns it as a sockaddr, and whether it is IPv6.
// IPv4-mapped addresses are IPv4; an IPv6 zone names the interface.
func (d *Dst) Set(ap netip.AddrPort) (unix.Sockaddr, bool) {
	a := ap.Addr()
	if a.Is4() || a.Is4In6() {
		d.sa4.Port, d.sa4.Addr = int(ap.Port()), a.Unmap().As4()
		return &d.sa4, false
	}
	d.sa6.Port, d.sa6.Addr = int(ap.Port()), a.As16()
	d.sa6.ZoneId, _ = ZoneID(a) // an unknown zone: 0, which connect refuses
	return &d.sa6, true
}

// ZoneID is the scope of a's zone (fe80::1%eth0): the index of the
// interface it names, by name or by number; 0 without a zone. A zone
// that names no interface is an error.
func ZoneID(a netip.Addr) (uint32, error) {
	z := a.Zone()
	if z == "" {
		return 0, nil
	}
	if i, err := strconv.ParseUint(z, 10, 32); err == nil {
		return uint32(i), nil
	}
	ifi, err := net.InterfaceByName(z)
	if err != nil {
		return 0, fmt.Errorf("zone %q of %v: %w", z, a.WithZone(""), err)
	}
	return uint32(ifi.Index), nil
}

// Port is the port d points at.
func (d *Dst) Port(sa unix.Sockaddr) int {
	if sa == unix.Sockaddr(&d.sa6) {
		return d.sa6.Port
	}
	return d.sa4.Port
}

package syn

import (
	"encoding/binary"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// txPacket is a SYN to send: the packet and its destination, a raw
// sockaddr, so that sending it converts and allocates nothing.
type txPacket struct {
	n       int
	namelen uintptr
	buf     [maxSYNLen]byte
	name    [unix.SizeofSockaddrInet6]byte
	errno   unix.Errno // the last send's
}

// setName writes the packet's destination address: a sockaddr_in, or a
// sockaddr_in6 with zone as its scope. The port stays 0 on a raw socket.
func (pk *txPacket) setName(addr netip.Addr, zone uint32) {
	pk.name = [unix.SizeofSockaddrInet6]byte{}
	ne := binary.NativeEndian
	if addr.Is4() {
		pk.namelen = unix.SizeofSockaddrInet4
		ne.PutUint16(pk.name[0:], unix.AF_INET)
		a := addr.As4()
		copy(pk.name[4:8], a[:])
		return
	}
	pk.namelen = unix.SizeofSockaddrInet6
	ne.PutUint16(pk.name[0:], unix.AF_INET6)
	a := addr.As16()
	copy(pk.name[8:24], a[:])
	ne.PutUint32(pk.name[24:], zone)
}

// send sends the packet on fd (a raw socket), never blocking; its result
// is left in errno. It is the function a rawSock's Control runs.
func (pk *txPacket) send(fd uintptr) {
	for {
		_, _, e := unix.Syscall6(unix.SYS_SENDTO, fd, uintptr(unsafe.Pointer(&pk.buf[0])), uintptr(pk.n),
			unix.MSG_DONTWAIT, uintptr(unsafe.Pointer(&pk.name[0])), pk.namelen)
		if e != unix.EINTR {
			pk.errno = e
			return
		}
	}
}

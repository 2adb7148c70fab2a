package sockets

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// nlConn is a netlink socket, opened in the network namespace of the thread
// that opened it: it stays bound to that namespace for its life. Its
// request and receive buffers are reused from one dump to the next.
type nlConn struct {
	fd   int
	name string // for errors: "sock_diag", "rtnetlink"
	seq  uint32
	req  []byte
	buf  []byte
}

func openNetlink(proto int, name string, rcvbuf int) (*nlConn, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		return nil, fmt.Errorf("opening netlink %s socket: %w", name, err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("binding netlink %s socket: %w", name, err)
	}
	if rcvbuf > 0 {
		// A large kernel-side buffer lets the dump run ahead of our reads.
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, rcvbuf)
	}
	return &nlConn{fd: fd, name: name, buf: make([]byte, recvBufLen)}, nil
}

func (c *nlConn) Close() error { return unix.Close(c.fd) }

// request starts a dump request of type typ with a body of bodyLen zero
// bytes, and returns the body to fill in.
func (c *nlConn) request(typ uint16, bodyLen int) []byte {
	c.seq++
	n := unix.NLMSG_HDRLEN + bodyLen
	if cap(c.req) < n {
		c.req = make([]byte, n)
	}
	c.req = c.req[:n]
	clear(c.req)
	ne := binary.NativeEndian
	ne.PutUint32(c.req[0:], uint32(n))
	ne.PutUint16(c.req[4:], typ)
	ne.PutUint16(c.req[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	ne.PutUint32(c.req[8:], c.seq)
	return c.req[unix.NLMSG_HDRLEN:]
}

// dump sends the request and calls fn with the type and body of each
// message of the reply, until the kernel's NLMSG_DONE.
func (c *nlConn) dump(ctx context.Context, fn func(typ uint16, msg []byte) error) error {
	if _, err := unix.Write(c.fd, c.req); err != nil {
		return fmt.Errorf("sending %s request: %w", c.name, err)
	}
	ne := binary.NativeEndian
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		// read, not recvfrom: the socket is bound, and only the kernel
		// answers; recvfrom would allocate the sender's address.
		n, err := unix.Read(c.fd, c.buf)
		if err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return fmt.Errorf("reading %s reply: %w", c.name, err)
		}
		b := c.buf[:n]
		for len(b) >= unix.NLMSG_HDRLEN {
			l := int(ne.Uint32(b[0:]))
			typ := ne.Uint16(b[4:])
			seq := ne.Uint32(b[8:])
			if l < unix.NLMSG_HDRLEN || l > len(b) {
				return fmt.Errorf("%s: bad message length %d", c.name, l)
			}
			msg := b[unix.NLMSG_HDRLEN:l]
			b = b[min(nlmAlign(l), len(b)):]
			if seq != c.seq {
				continue
			}
			switch typ {
			case unix.NLMSG_DONE:
				return nil
			case unix.NLMSG_ERROR:
				if len(msg) >= 4 {
					if errno := int32(ne.Uint32(msg)); errno != 0 {
						return fmt.Errorf("%s dump: %w", c.name, unix.Errno(-errno))
					}
				}
				return nil
			default:
				if err := fn(typ, msg); err != nil {
					return err
				}
			}
		}
	}
}

func nlmAlign(n int) int { return (n + unix.NLMSG_ALIGNTO - 1) &^ (unix.NLMSG_ALIGNTO - 1) }

// attrs calls fn with the type and payload of each rtattr in a.
func attrs(a []byte, fn func(typ uint16, payload []byte)) {
	ne := binary.NativeEndian
	for len(a) >= unix.SizeofRtAttr {
		l := int(ne.Uint16(a[0:]))
		if l < unix.SizeofRtAttr || l > len(a) {
			return
		}
		fn(ne.Uint16(a[2:])&^unix.NLA_F_NESTED, a[unix.SizeofRtAttr:l])
		a = a[min((l+unix.RTA_ALIGNTO-1)&^(unix.RTA_ALIGNTO-1), len(a)):]
	}
}

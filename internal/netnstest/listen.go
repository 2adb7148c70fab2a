//go:build linux

package netnstest

import (
	"errors"
	"net"
	"strconv"
)

// maxDatagram bounds what a UDP echo socket reads per datagram.
const maxDatagram = 64 << 10

// ListenTCP opens real TCP listeners in the target namespace on 0.0.0.0
// and [::] for each port. They accept and close every connection, so the
// backlog never fills, and stay open until the test ends.
func (b *Bed) ListenTCP(ports ...uint16) {
	b.t.Helper()
	var ls []net.Listener
	err := b.Target.Do(func() error {
		for _, p := range ports {
			for _, hp := range listenAddrs("tcp", p) {
				l, err := net.Listen(hp.network, hp.addr)
				if err != nil {
					return err
				}
				ls = append(ls, l)
			}
		}
		return nil
	})
	b.t.Cleanup(func() {
		for _, l := range ls {
			if err := l.Close(); err != nil {
				b.t.Errorf("closing %v: %v", l.Addr(), err)
			}
		}
	})
	if err != nil {
		b.t.Fatalf("listening in target: %v", err)
	}
	for _, l := range ls {
		b.wg.Go(func() { b.accept(l) })
	}
}

func (b *Bed) accept(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			if !errClosed(err) {
				b.t.Errorf("accepting on %v: %v", l.Addr(), err)
			}
			return
		}
		if err := c.Close(); err != nil {
			b.t.Errorf("closing accepted %v: %v", c.RemoteAddr(), err)
		}
	}
}

// ListenUDP binds UDP sockets in the target namespace on 0.0.0.0 and [::]
// for each port. Each datagram is answered with one copy of itself, until
// the test ends.
func (b *Bed) ListenUDP(ports ...uint16) {
	b.t.Helper()
	var cs []net.PacketConn
	err := b.Target.Do(func() error {
		for _, p := range ports {
			for _, hp := range listenAddrs("udp", p) {
				c, err := net.ListenPacket(hp.network, hp.addr)
				if err != nil {
					return err
				}
				cs = append(cs, c)
			}
		}
		return nil
	})
	b.t.Cleanup(func() {
		for _, c := range cs {
			if err := c.Close(); err != nil {
				b.t.Errorf("closing %v: %v", c.LocalAddr(), err)
			}
		}
	})
	if err != nil {
		b.t.Fatalf("binding in target: %v", err)
	}
	for _, c := range cs {
		b.wg.Go(func() { b.echo(c) })
	}
}

// echo answers each datagram once: it sends no more than it receives.
func (b *Bed) echo(c net.PacketConn) {
	buf := make([]byte, maxDatagram)
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			if !errClosed(err) {
				b.t.Errorf("reading on %v: %v", c.LocalAddr(), err)
			}
			return
		}
		if _, err := c.WriteTo(buf[:n], from); err != nil && !errClosed(err) {
			b.t.Errorf("echoing to %v: %v", from, err)
		}
	}
}

type hostPort struct{ network, addr string }

// listenAddrs gives the two wildcard addresses for port; an explicit "6"
// network makes Go set IPV6_V6ONLY, so the two do not collide.
func listenAddrs(proto string, port uint16) [2]hostPort {
	p := strconv.Itoa(int(port))
	return [2]hostPort{{proto + "4", "0.0.0.0:" + p}, {proto + "6", "[::]:" + p}}
}

// errClosed reports whether err is the expected end of a listener loop.
func errClosed(err error) bool { return errors.Is(err, net.ErrClosed) }

// Package fptest runs fingerprint plugins against real peers in tests:
// loopback listeners that play a scripted server.
package fptest

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

// Serve starts a TCP listener on 127.0.0.1 that runs handle for every
// connection, and stops it when the test ends.
func Serve(t testing.TB, handle func(net.Conn)) netip.AddrPort {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(30 * time.Second))
				handle(c)
			}()
		}
	}()
	t.Cleanup(func() { l.Close(); wg.Wait() })
	return l.Addr().(*net.TCPAddr).AddrPort()
}

// ServeUDP starts a UDP socket on 127.0.0.1 that answers each datagram
// with reply(datagram) when it returns something, until the test ends.
func ServeUDP(t testing.TB, reply func([]byte) []byte) netip.AddrPort {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 65536)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if out := reply(buf[:n]); len(out) > 0 {
				pc.WriteTo(out, from)
			}
		}
	}()
	t.Cleanup(func() { pc.Close(); <-done })
	return pc.LocalAddr().(*net.UDPAddr).AddrPort()
}

// Reply is a handler that reads what the client sends (up to a pause or
// want bytes) and answers with answer; with want 0 it answers at once.
func Reply(answer []byte, want int) func(net.Conn) {
	return func(c net.Conn) {
		if want > 0 {
			buf := make([]byte, want)
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			n, _ := c.Read(buf)
			if n == 0 {
				return
			}
		}
		c.Write(answer)
		// Linger until the client closes, so it reads everything.
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		var b [512]byte
		for {
			if _, err := c.Read(b[:]); err != nil {
				return
			}
		}
	}
}

// Try runs plugin p against addr as the identification core would.
func Try(t testing.TB, p fingerprint.Plugin, addr netip.AddrPort) (*record.Service, error) {
	t.Helper()
	cfg := fingerprint.Config{Timeout: 5 * time.Second, ProbeTimeout: 3 * time.Second, BannerWait: 2 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	proto := p.Info().Proto
	return cfg.Try(ctx, p, fingerprint.Target{Addr: addr, Proto: proto})
}

// MustMatch runs p against addr and fails the test unless it names the
// service.
func MustMatch(t testing.TB, p fingerprint.Plugin, addr netip.AddrPort) *record.Service {
	t.Helper()
	svc, err := Try(t, p, addr)
	if err != nil {
		t.Fatalf("%s on %s: %v", p.Info().Name, addr, err)
	}
	return svc
}

// MustNotMatch fails the test when p claims the service at addr.
func MustNotMatch(t testing.TB, p fingerprint.Plugin, addr netip.AddrPort) {
	t.Helper()
	svc, err := Try(t, p, addr)
	if err == nil {
		t.Fatalf("%s claimed %s: %+v", p.Info().Name, addr, svc)
	}
}

// UDPPlugin is the registered UDP plugin named name (one made by
// fingerprint.RegisterUDP has no type of its own to name in a test).
func UDPPlugin(t testing.TB, name string) fingerprint.Plugin {
	t.Helper()
	for _, p := range fingerprint.Plugins(portspec.UDP) {
		if p.Info().Name == name {
			return p
		}
	}
	t.Fatalf("no UDP plugin %q registered", name)
	return nil
}

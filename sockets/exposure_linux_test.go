package sockets_test

import (
	"context"
	"errors"
	"net"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/ajarsec/ajar/internal/netnstest"
	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/sockets"
)

// TestExposureWeakHost proves what the exposures claim. The host has two
// links, A (a0, 10.201.1.1) and B (b0, 10.201.2.1), with a peer on each,
// in namespaces of their own; the peer on B routes 10.201.1.0/24 through
// the host. A socket bound to A's address is reached by the peer on B (Linux
// is a weak host): ajar must say "address", reachable through every
// interface, not "interface a0". A socket bound to device a0
// (SO_BINDTODEVICE) is reached from A and refused from B: that one is
// "interface a0".
func TestExposureWeakHost(t *testing.T) {
	host, peerA, peerB := netnstest.New(t), netnstest.New(t), netnstest.New(t)
	host.Run("ip", "link", "add", "a0", "type", "veth", "peer", "name", "a1", "netns", peerA.Name)
	host.Run("ip", "link", "add", "b0", "type", "veth", "peer", "name", "b1", "netns", peerB.Name)
	host.Run("ip", "addr", "add", "10.201.1.1/24", "dev", "a0")
	host.Run("ip", "addr", "add", "10.201.2.1/24", "dev", "b0")
	host.Run("ip", "link", "set", "a0", "up")
	host.Run("ip", "link", "set", "b0", "up")
	peerA.Run("ip", "addr", "add", "10.201.1.2/24", "dev", "a1")
	peerA.Run("ip", "link", "set", "a1", "up")
	peerB.Run("ip", "addr", "add", "10.201.2.2/24", "dev", "b1")
	peerB.Run("ip", "link", "set", "b1", "up")
	peerB.Run("ip", "route", "add", "10.201.1.0/24", "via", "10.201.2.1")
	// Strict reverse-path filtering on the host changes nothing: it checks
	// the peer's source, which routes back through B.
	host.Sysctl("net.ipv4.conf.all.rp_filter", "1")
	host.Sysctl("net.ipv4.conf.b0.rp_filter", "1")

	var byAddr, byDev net.Listener
	err := host.Do(func() (err error) {
		if byAddr, err = net.Listen("tcp4", "10.201.1.1:7100"); err != nil {
			return err
		}
		lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
			var serr error
			if err := c.Control(func(fd uintptr) { serr = syscall.BindToDevice(int(fd), "a0") }); err != nil {
				return err
			}
			return serr
		}}
		byDev, err = lc.Listen(context.Background(), "tcp4", "0.0.0.0:7101")
		return err
	})
	if err != nil {
		t.Fatalf("listening in the host namespace: %v", err)
	}
	defer byAddr.Close()
	defer byDev.Close()
	go acceptAll(byAddr)
	go acceptAll(byDev)

	dial := func(peer *netnstest.NS, addr string) error {
		return peer.Do(func() error {
			c, err := net.DialTimeout("tcp4", addr, 3*time.Second)
			if err == nil {
				c.Close()
			}
			return err
		})
	}
	// The claims, on the wire.
	if err := dial(peerA, "10.201.1.1:7100"); err != nil {
		t.Errorf("peer on A to A's address: %v", err)
	}
	if err := dial(peerB, "10.201.1.1:7100"); err != nil {
		t.Fatalf("peer on B to A's address (the weak host model): %v", err)
	}
	if err := dial(peerA, "10.201.1.1:7101"); err != nil {
		t.Errorf("peer on A to the socket bound to a0: %v", err)
	}
	for _, addr := range []string{"10.201.2.1:7101", "10.201.1.1:7101"} {
		if err := dial(peerB, addr); !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("peer on B to %s, bound to a0: %v, want connection refused", addr, err)
		}
	}

	// What ajar says of them.
	snap, err := sockets.List(context.Background(), sockets.Options{Netns: host.Name, NoUDP: true})
	if err != nil {
		t.Fatal(err)
	}
	got := map[uint16]record.Socket{}
	for _, s := range snap.Sockets {
		got[s.Local.Port()] = s
	}
	if s := got[7100]; s.Exposure != record.ExposureAddress || s.Device != "" ||
		!slices.Equal(slices.Sorted(slices.Values(s.Interfaces)), []string{"a0", "b0", "lo"}) {
		t.Errorf("bound to 10.201.1.1: exposure %v device %q interfaces %v, want address, no device, a0 b0 lo",
			s.Exposure, s.Device, s.Interfaces)
	}
	if s := got[7101]; s.Exposure != record.ExposureInterface || s.Device != "a0" || !slices.Equal(s.Interfaces, []string{"a0"}) {
		t.Errorf("bound to device a0: exposure %v device %q interfaces %v, want interface a0", s.Exposure, s.Device, s.Interfaces)
	}
}

func acceptAll(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		c.Close()
	}
}

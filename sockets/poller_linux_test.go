package sockets_test

import (
	"context"
	"errors"
	"net"
	"os"
	"slices"
	"testing"

	"github.com/ajarsec/ajar/internal/netnstest"
	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/sockets"
)

// ports lists the local ports of ss.
func ports(ss []record.Socket) []uint16 {
	var ps []uint16
	for _, s := range ss {
		ps = append(ps, s.Local.Port())
	}
	return ps
}

// TestPoller opens and closes real listeners in a namespace of its own
// between polls: Poll reports a change exactly when there was one.
func TestPoller(t *testing.T) {
	ns := netnstest.New(t)
	listen := func(network, addr string) (c interface{ Close() error }) {
		t.Helper()
		err := ns.Do(func() (err error) {
			if network == "udp4" {
				c, err = net.ListenPacket(network, addr)
			} else {
				c, err = net.Listen(network, addr)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	p := &sockets.Poller{Options: sockets.Options{Netns: ns.Name}}
	defer p.Close()
	ctx := context.Background()
	poll := func(step string, wantChanged bool, wantPorts ...uint16) []record.Socket {
		t.Helper()
		list, changed, err := p.Poll(ctx)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if changed != wantChanged || !slices.Equal(ports(list), wantPorts) {
			t.Errorf("%s: changed %v, ports %v; want %v, %v", step, changed, ports(list), wantChanged, wantPorts)
		}
		return list
	}

	poll("first poll, nothing listens", true)
	poll("again", false)
	l1 := listen("tcp4", "127.0.0.1:7201")
	list := poll("a listener opened", true, 7201)
	if list[0].PID != os.Getpid() || list[0].Exposure != record.ExposureLoopback || len(list[0].Holders) != 1 {
		t.Errorf("listener: %+v", list[0])
	}
	poll("nothing happened", false, 7201)
	u := listen("udp4", "0.0.0.0:7202")
	l2 := listen("tcp4", "0.0.0.0:7203")
	poll("two more", true, 7201, 7202, 7203)
	poll("still three", false, 7201, 7202, 7203)
	u.Close()
	poll("udp closed", true, 7201, 7203)
	l1.Close()
	l2.Close()
	poll("all closed", true)
	poll("and quiet", false)

	// A second holder is a change too, though the socket stays.
	l3 := listen("tcp4", "127.0.0.1:7204").(*net.TCPListener)
	defer l3.Close()
	poll("one holder", true, 7204)
	child, stop := shareWithChild(t, l3)
	list = poll("a child holds it too", true, 7204)
	if len(list[0].Holders) != 2 || !list[0].HeldBy(child) {
		t.Errorf("holders %+v, want this process and %d", list[0].Holders, child)
	}
	poll("nothing happened", false, 7204)
	stop() // the child exits
	poll("the child exited", true, 7204)
	poll("quiet again", false, 7204)

	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := p.Poll(ctx); !errors.Is(err, sockets.ErrPollerClosed) {
		t.Errorf("Poll after Close: %v", err)
	}
}

// TestPollerFilter: the filter applies before the comparison, so a change
// outside it is no change.
func TestPollerFilter(t *testing.T) {
	ns := netnstest.New(t)
	var held []net.Listener
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	listen := func(addr string) {
		t.Helper()
		if err := ns.Do(func() error {
			l, err := net.Listen("tcp4", addr)
			held = append(held, l)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	p := &sockets.Poller{
		Options: sockets.Options{Netns: ns.Name, NoUDP: true},
		Filter:  sockets.Filter{Ports: func(p uint16) bool { return p == 7301 }},
	}
	defer p.Close()
	ctx := context.Background()
	listen("127.0.0.1:7301")
	if list, changed, err := p.Poll(ctx); err != nil || !changed || !slices.Equal(ports(list), []uint16{7301}) {
		t.Fatalf("first poll: %v %v %v", ports(list), changed, err)
	}
	listen("127.0.0.1:7302")
	if list, changed, err := p.Poll(ctx); err != nil || changed || !slices.Equal(ports(list), []uint16{7301}) {
		t.Errorf("a port the filter leaves out opened: %v changed %v, %v", ports(list), changed, err)
	}
}

// TestPollerAllocs: a Poll after the first reuses the Poller's buffers and
// allocates a small part of what the first does.
func TestPollerAllocs(t *testing.T) {
	ns := netnstest.New(t)
	const n = 300
	err := ns.Do(func() error {
		for range n {
			l, err := net.Listen("tcp4", "127.0.0.1:0")
			if err != nil {
				return err
			}
			t.Cleanup(func() { l.Close() })
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	opts := sockets.Options{Netns: ns.Name}
	first := testing.AllocsPerRun(5, func() {
		p := &sockets.Poller{Options: opts}
		if list, _, err := p.Poll(ctx); err != nil || len(list) != n {
			t.Fatalf("first poll: %d sockets, %v", len(list), err)
		}
		p.Close()
	})
	p := &sockets.Poller{Options: opts}
	defer p.Close()
	for range 2 { // both buffers filled
		if _, _, err := p.Poll(ctx); err != nil {
			t.Fatal(err)
		}
	}
	steady := testing.AllocsPerRun(5, func() {
		if list, changed, err := p.Poll(ctx); err != nil || changed || len(list) != n {
			t.Fatalf("steady poll: %d sockets, changed %v, %v", len(list), changed, err)
		}
	})
	t.Logf("allocations: first poll %.0f, later polls %.0f (%d sockets)", first, steady, n)
	if steady > first/5 {
		t.Errorf("a later poll allocates %.0f times, the first %.0f: want under a fifth", steady, first)
	}
}

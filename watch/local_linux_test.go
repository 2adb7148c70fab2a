package watch

import (
	"context"
	"net"
	"os"
	"testing"
	"time"

	"github.com/ajarsec/ajar/internal/netnstest"
	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/sockets"
)

// deadline is how long an event may take: the issue says within a
// second (the watcher's interval is 750 ms), plus slack for a loaded
// 2-core CI machine.
const deadline = 1500 * time.Millisecond

// watchNS runs a Local watcher on ns until the test ends, and returns its
// events.
func watchNS(t *testing.T, ns *netnstest.NS, noDestroy bool) <-chan Event {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	events := make(chan Event, 64)
	ready := make(chan struct{})
	done := make(chan error, 1)
	l := &Local{Options: optsNS(ns), NoDestroy: noDestroy, Ready: func([]record.Socket) { close(ready) }}
	go func() { done <- l.Run(ctx, func(e Event) error { events <- e; return nil }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != context.Canceled {
			t.Errorf("Run ended with %v, want context.Canceled", err)
		}
	})
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("watcher: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("watcher not ready")
	}
	return events
}

func expect(t *testing.T, events <-chan Event, kind string, port uint16, since time.Time) Event {
	t.Helper()
	select {
	case e := <-events:
		if e.Event != kind || e.Port != port {
			t.Fatalf("got %+v, want %s of port %d", e, kind, port)
		}
		if took := time.Since(since); took > deadline {
			t.Errorf("%s of %d reported after %v (more than %v)", kind, port, took, deadline)
		}
		return e
	case <-time.After(3 * deadline):
		t.Fatalf("no %s event for port %d", kind, port)
	}
	return Event{}
}

// TestLocalEvents opens and closes real listeners in a namespace of the
// test's own and checks the events, in order, each within its deadline,
// with the polls alone and with the kernel's destroy notifications.
func TestLocalEvents(t *testing.T) {
	for _, noDestroy := range []bool{false, true} {
		ns := netnstest.New(t)
		events := watchNS(t, ns, noDestroy)

		var tcp net.Listener
		start := time.Now()
		if err := ns.Do(func() (err error) { tcp, err = net.Listen("tcp4", "0.0.0.0:7001"); return err }); err != nil {
			t.Fatal(err)
		}
		e := expect(t, events, Opened, 7001, start)
		if e.PID != os.Getpid() || e.Proto != record.TCP || e.Exposure != record.ExposureAll || e.Netns != ns.Name {
			t.Errorf("opened: %+v; want pid %d, tcp, exposure all, netns %s", e, os.Getpid(), ns.Name)
		}
		var udp net.PacketConn
		start = time.Now()
		if err := ns.Do(func() (err error) { udp, err = net.ListenPacket("udp6", "[::1]:7002"); return err }); err != nil {
			t.Fatal(err)
		}
		if e := expect(t, events, Opened, 7002, start); e.Proto != record.UDP || e.Exposure != record.ExposureLoopback {
			t.Errorf("opened: %+v; want udp on loopback", e)
		}
		start = time.Now()
		tcp.Close()
		if e := expect(t, events, Closed, 7001, start); e.PID != os.Getpid() {
			t.Errorf("closed: %+v; want the pid it opened with", e)
		}
		start = time.Now()
		udp.Close()
		expect(t, events, Closed, 7002, start)
		// Nothing else happened: no event.
		select {
		case e := <-events:
			t.Errorf("unexpected event %+v", e)
		case <-time.After(2 * DefaultInterval):
		}
	}
}

// TestLocalRestart: a daemon that closes its socket and opens a new one
// on the same port between two polls is reported as closed and opened
// (the new socket has a new inode), not as nothing.
func TestLocalRestart(t *testing.T) {
	ns := netnstest.New(t)
	events := watchNS(t, ns, true) // polls only: the restart falls between two
	var l net.Listener
	listen := func() {
		if err := ns.Do(func() (err error) { l, err = net.Listen("tcp", "127.0.0.1:7003"); return err }); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	listen()
	first := expect(t, events, Opened, 7003, start)
	start = time.Now()
	l.Close()
	listen()
	defer l.Close()
	expect(t, events, Closed, 7003, start)
	if again := expect(t, events, Opened, 7003, start); again.Inode == first.Inode {
		t.Errorf("the new socket has the old inode %d", again.Inode)
	}
}

func optsNS(ns *netnstest.NS) sockets.Options { return sockets.Options{Netns: ns.Name} }

// TestLocalDestroyWakes: with the kernel's destroy notifications, a close
// is reported at once, long before the next poll (10 s away).
func TestLocalDestroyWakes(t *testing.T) {
	ns := netnstest.New(t)
	var l net.Listener
	if err := ns.Do(func() (err error) { l, err = net.Listen("tcp", "127.0.0.1:7004"); return err }); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := make(chan Event, 4)
	ready := make(chan struct{})
	w := &Local{Options: optsNS(ns), Interval: 10 * time.Second, Ready: func([]record.Socket) { close(ready) }}
	go w.Run(ctx, func(e Event) error { events <- e; return nil })
	<-ready
	start := time.Now()
	l.Close()
	expect(t, events, Closed, 7004, start)
}

// TestAllNamespaces: a watcher of every namespace sees a listener open in
// a namespace made after it started, and names the namespace.
func TestAllNamespaces(t *testing.T) {
	netnstest.RequirePrivileges(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := make(chan Event, 64)
	ready := make(chan struct{})
	a := &AllNamespaces{Rescan: 200 * time.Millisecond,
		Local: Local{Filter: sockets.Filter{Ports: func(p uint16) bool { return p == 7020 }}, Ready: func([]record.Socket) { close(ready) }}}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, func(e Event) error { events <- e; return nil }) }()
	<-ready
	ns := netnstest.New(t)
	time.Sleep(500 * time.Millisecond) // the next rescan finds the namespace
	var l net.Listener
	if err := ns.Do(func() (err error) { l, err = net.Listen("tcp", "127.0.0.1:7020"); return err }); err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	e := expect(t, events, Opened, 7020, time.Now())
	if e.Netns != "/run/netns/"+ns.Name {
		t.Errorf("event of namespace %q, want /run/netns/%s", e.Netns, ns.Name)
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("Run: %v", err)
	}
}

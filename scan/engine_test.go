package scan_test

import (
	"context"
	"net"
	"net/netip"
	"testing"

	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/scan"
	"github.com/ajarsec/ajar/scan/connect"
	"github.com/ajarsec/ajar/sockets"
)

// hostList is the simplest Targets.
type hostList []netip.Addr

func (h hostList) Len() uint64            { return uint64(len(h)) }
func (h hostList) At(i uint64) netip.Addr { return h[i] }
func allPorts() []uint16 {
	ps := make([]uint16, 65535)
	for i := range ps {
		ps[i] = uint16(i + 1)
	}
	return ps
}

// listenN opens n TCP listeners on 127.0.0.1 and returns their ports.
func listenN(t testing.TB, n int) map[uint16]bool {
	open := map[uint16]bool{}
	for range n {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		open[uint16(l.Addr().(*net.TCPAddr).Port)] = true
	}
	return open
}

func TestFullLoopbackScan(t *testing.T) {
	open := listenN(t, 20)
	e, err := scan.New(hostList{netip.MustParseAddr("127.0.0.1")}, connect.Prober{}, scan.Config{Ports: allPorts()})
	if err != nil {
		t.Fatal(err)
	}
	seen := make(map[uint16]record.State, 65535)
	err = e.Run(context.Background(), func(r *record.PortResult) {
		if _, dup := seen[r.Port]; dup {
			t.Errorf("port %d reported twice", r.Port)
		}
		seen[r.Port] = r.State
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 65535 {
		t.Fatalf("%d ports reported, want 65535", len(seen))
	}
	others := otherListeners(t, open)
	for p, st := range seen {
		switch {
		case open[p]:
			if st != record.Open {
				t.Errorf("port %d: %v, want open", p, st)
			}
		case others[p]:
			// another process of this machine listens there: its state
			// is its own business (a full backlog reads as filtered).
		case st != record.Closed:
			t.Errorf("port %d: %v, want closed: nothing listens there", p, st)
		}
	}
}

// otherListeners lists the TCP ports on which something besides the test
// listens, reachable on 127.0.0.1.
func otherListeners(t *testing.T, ours map[uint16]bool) map[uint16]bool {
	t.Helper()
	snap, err := sockets.List(context.Background(), sockets.Options{NoUDP: true, NoProcesses: true})
	if err != nil {
		t.Fatal(err)
	}
	m := map[uint16]bool{}
	for _, s := range snap.Sockets {
		a := s.Local.Addr()
		if (a.IsUnspecified() || a == netip.MustParseAddr("127.0.0.1")) && !ours[s.Local.Port()] {
			m[s.Local.Port()] = true
		}
	}
	return m
}

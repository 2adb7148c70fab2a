package connect_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/ajarsec/ajar/internal/netnstest"
	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/scan"
	"github.com/ajarsec/ajar/scan/connect"
)

// newAsync makes an Async prober, closed when the test ends.
func newAsync(t testing.TB) *connect.Async {
	t.Helper()
	a, err := connect.NewAsync()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := a.Close(); err != nil {
			t.Errorf("closing: %v", err)
		}
	})
	return a
}

// startIn runs one probe on w, started on a thread of ns: the worker's
// socket, made by its first probe of a family, belongs to ns from then on.
func startIn(t *testing.T, ns *netnstest.NS, w scan.AsyncWorker, dst netip.AddrPort, timeout time.Duration) scan.Outcome {
	t.Helper()
	got := make(chan scan.Outcome, 1)
	if err := ns.Do(func() error {
		w.Start(context.Background(), dst, timeout, func(o scan.Outcome) { got <- o })
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	select {
	case o := <-got:
		return o
	case <-time.After(timeout + 5*time.Second):
		t.Fatalf("%v: no outcome", dst)
		return scan.Outcome{}
	}
}

// TestAsyncBedStates probes each kind of port of the test bed's target
// with one worker of the epoll loop, over IPv4 and IPv6, twice in a row
// (its sockets are reused after a refusal and after silence): a
// listener, a closed port, a dropped port, and ports rejected with a
// reset and with ICMP errors.
func TestAsyncBedStates(t *testing.T) {
	bed := netnstest.NewBed(t)
	bed.ListenTCP(22)
	bed.Firewall(
		netnstest.Rule{Proto: "tcp", Ports: "5000", Action: "icmp-admin-prohibited"},
		netnstest.Rule{Proto: "tcp", Ports: "6001", Action: "icmp-host-unreachable"},
		netnstest.Rule{Proto: "tcp", Ports: "7000", Action: "reset"},
		netnstest.Rule{Proto: "tcp", Ports: "20000", Action: "drop"},
	)
	bed.LiftICMPLimits()
	a := newAsync(t)
	w := a.NewAsyncWorker()
	defer w.Close()
	want := []struct {
		port uint16
		want string
	}{
		{22, "open/connected"},
		{23, "closed/conn-refused"},
		{5000, "filtered/admin-prohibited"},
		{20000, "no answer"},
		{23, "closed/conn-refused"},
		{6001, "filtered/host-unreach"},
		{7000, "closed/conn-refused"},
		{20000, "no answer"},
		{22, "open/connected"},
	}
	for _, addr := range []netip.Addr{bed.TargetAddr4, bed.TargetAddr6} {
		for _, c := range want {
			timeout := time.Second
			if c.port == 20000 {
				timeout = 200 * time.Millisecond
			}
			o := startIn(t, bed.Scanner, w, netip.AddrPortFrom(addr, c.port), timeout)
			if got := o.String(); got != c.want {
				t.Errorf("%v port %d: %s, want %s", addr, c.port, got, c.want)
			}
		}
	}
}

// TestAsyncLinkLocal probes the target's link-local IPv6 address, whose
// zone names the scanner's end of the link: the loop's socket connects
// with that interface as its scope. A zone that names no interface is a
// local error, not a port state.
func TestAsyncLinkLocal(t *testing.T) {
	bed := netnstest.NewBed(t)
	bed.ListenTCP(22)
	ll := bed.TargetLinkLocal()
	a := newAsync(t)
	w := a.NewAsyncWorker()
	defer w.Close()
	zoned := netip.AddrPortFrom(ll.WithZone(bed.ScannerLink), 22)
	if o := startIn(t, bed.Scanner, w, zoned, 2*time.Second); o.State != record.Open {
		t.Errorf("%v: %s, want open", zoned, o.String())
	}
	bad := netip.AddrPortFrom(ll.WithZone("no-such-if"), 22)
	if o := startIn(t, bed.Scanner, w, bad, time.Second); o.Err == nil {
		t.Errorf("%v: %s, want a local error", bad, o.String())
	}
}

// TestAsyncCancel: a probe waiting on a silent port ends at once, with
// the context's error, when its context is cancelled; and Close ends
// what is still under way.
func TestAsyncCancel(t *testing.T) {
	bed := netnstest.NewBed(t)
	bed.Firewall(netnstest.Rule{Proto: "tcp", Ports: "20000", Action: "drop"})
	a := newAsync(t)
	w := a.NewAsyncWorker()
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan scan.Outcome, 1)
	dst := netip.AddrPortFrom(bed.TargetAddr4, 20000)
	if err := bed.Scanner.Do(func() error {
		w.Start(ctx, dst, time.Minute, func(o scan.Outcome) { got <- o })
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case o := <-got:
		if o.Err == nil {
			t.Errorf("cancelled: %s, want the context's error", o.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a cancelled probe did not end")
	}
}

// BenchmarkAsyncProbe is one probe of the epoll loop's, in a namespace of
// its own: a worker connects to a closed port of 127.0.0.1, the loop
// hears the refusal and calls done; the socket is kept for the next
// probe. Neither path allocates.
func BenchmarkAsyncProbe(b *testing.B) {
	ns := netnstest.New(b)
	a := newAsync(b)
	w := a.NewAsyncWorker()
	defer w.Close()
	ctx := context.Background()
	got := make(chan scan.Outcome, 1)
	done := func(o scan.Outcome) { got <- o }
	lo := netip.MustParseAddr("127.0.0.1")
	// The first probe makes the socket, inside ns.
	if err := ns.Do(func() error { w.Start(ctx, netip.AddrPortFrom(lo, 1), time.Second, done); return nil }); err != nil {
		b.Fatal(err)
	}
	<-got
	port := uint16(1)
	b.ReportAllocs()
	for b.Loop() {
		if port++; port > 20000 {
			port = 2
		}
		w.Start(ctx, netip.AddrPortFrom(lo, port), time.Second, done)
		if o := <-got; o.State != record.Closed {
			b.Fatalf("port %d: %v", port, o)
		}
	}
}

package udp_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/scan"
	"github.com/ajarsec/ajar/scan/udp"
)

// These tests send only to 127.0.0.1 and ::1. Loopback is exempt from
// the kernel's ICMP rate limit, so every closed port answers.

var loopbacks = []struct{ network, host string }{{"udp4", "127.0.0.1"}, {"udp6", "::1"}}

// echoServer answers every datagram on a loopback port with a copy, until
// the test ends.
func echoServer(t testing.TB, network, host string) netip.AddrPort {
	t.Helper()
	c := listen(t, network, host)
	var wg sync.WaitGroup
	wg.Go(func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return // closed at cleanup
			}
			if _, err := c.WriteToUDPAddrPort(buf[:n], from); err != nil && !errors.Is(err, net.ErrClosed) {
				t.Errorf("echo to %v: %v", from, err)
			}
		}
	})
	t.Cleanup(func() {
		c.Close()
		wg.Wait()
	})
	return c.LocalAddr().(*net.UDPAddr).AddrPort()
}

// listen binds a UDP socket on a loopback port, closed when the test ends.
func listen(t testing.TB, network, host string) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP(network, net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(host), 0)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// freePort finds a loopback UDP port nothing listens on.
func freePort(t testing.TB, network, host string) netip.AddrPort {
	t.Helper()
	c, err := net.ListenUDP(network, net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(host), 0)))
	if err != nil {
		t.Fatal(err)
	}
	ap := c.LocalAddr().(*net.UDPAddr).AddrPort()
	c.Close()
	return ap
}

func TestProbeLoopback(t *testing.T) {
	w := udp.Prober{}.NewWorker()
	defer w.Close()
	ctx := t.Context()
	for _, lo := range loopbacks {
		open := echoServer(t, lo.network, lo.host)
		closed := freePort(t, lo.network, lo.host)
		silent := listen(t, lo.network, lo.host).LocalAddr().(*net.UDPAddr).AddrPort()
		for range 3 { // the sockets are reused: the answers must not be
			out := w.Probe(ctx, open, time.Second)
			if out.State != record.Open || out.Reason != record.ReasonUDPResponse || out.RTT <= 0 || out.NoAnswer || out.Err != nil {
				t.Errorf("%v: %+v, want open", open, out)
			}
			out = w.Probe(ctx, closed, time.Second)
			if out.State != record.Closed || out.Reason != record.ReasonPortUnreach || out.RTT <= 0 {
				t.Errorf("%v: %+v, want closed", closed, out)
			}
			out = w.Probe(ctx, silent, 50*time.Millisecond)
			if !out.NoAnswer || out.Err != nil || out.State != record.StateUnknown {
				t.Errorf("%v: %+v, want no answer", silent, out)
			}
		}
	}
}

// TestLateReplyNotCounted: a reply that comes after its probe gave up
// waits in the socket; the next probe, to another port, must not take it
// for its own answer.
func TestLateReplyNotCounted(t *testing.T) {
	w := udp.Prober{}.NewWorker()
	defer w.Close()
	ctx := t.Context()
	for _, lo := range loopbacks {
		slow := listen(t, lo.network, lo.host)
		slowAddr := slow.LocalAddr().(*net.UDPAddr).AddrPort()
		silent := listen(t, lo.network, lo.host).LocalAddr().(*net.UDPAddr).AddrPort()
		closed := freePort(t, lo.network, lo.host)

		if out := w.Probe(ctx, slowAddr, 20*time.Millisecond); !out.NoAnswer {
			t.Fatalf("%v before it answers: %+v", slowAddr, out)
		}
		// The probe reached the slow server: answer it now, late.
		buf := make([]byte, 2048)
		if err := slow.SetReadDeadline(time.Now().Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		n, from, err := slow.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := slow.WriteToUDPAddrPort(buf[:n], from); err != nil {
			t.Fatal(err)
		}
		if out := w.Probe(ctx, silent, 100*time.Millisecond); !out.NoAnswer {
			t.Errorf("%v after a late reply from %v: %+v, want no answer", silent, slowAddr, out)
		}
		if out := w.Probe(ctx, closed, time.Second); out.State != record.Closed {
			t.Errorf("%v: %+v, want closed", closed, out)
		}
	}
}

func TestProbeCancelled(t *testing.T) {
	w := udp.Prober{}.NewWorker()
	defer w.Close()
	silent := listen(t, "udp4", "127.0.0.1").LocalAddr().(*net.UDPAddr).AddrPort()
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	out := w.Probe(ctx, silent, 10*time.Second)
	if !errors.Is(out.Err, context.Canceled) {
		t.Errorf("cancelled probe: %+v, want context.Canceled", out)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("cancelled probe took %v", took)
	}
	if out := w.Probe(ctx, silent, time.Second); !errors.Is(out.Err, context.Canceled) {
		t.Errorf("probe with a done context: %+v", out)
	}
}

type hostList []netip.Addr

func (h hostList) Len() uint64            { return uint64(len(h)) }
func (h hostList) At(i uint64) netip.Addr { return h[i] }

// TestEngineLoopback runs the engine's own workers: on loopback they need
// no namespace.
func TestEngineLoopback(t *testing.T) {
	for _, lo := range loopbacks {
		want := map[uint16]record.State{}
		for range 3 {
			want[echoServer(t, lo.network, lo.host).Port()] = record.Open
			want[listen(t, lo.network, lo.host).LocalAddr().(*net.UDPAddr).AddrPort().Port()] = record.OpenFiltered
		}
		for range 20 {
			want[freePort(t, lo.network, lo.host).Port()] = record.Closed
		}
		var ports []uint16
		for p := range want {
			ports = append(ports, p)
		}
		e, err := scan.New(hostList{netip.MustParseAddr(lo.host)}, udp.Prober{}, scan.Config{
			Ports: ports, MinTimeout: 50 * time.Millisecond, MaxTimeout: 200 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		got := map[uint16]record.State{}
		err = e.Run(t.Context(), func(r *record.PortResult) {
			if r.Proto != record.UDP {
				t.Errorf("port %d: proto %v", r.Port, r.Proto)
			}
			got[r.Port] = r.State
		})
		if err != nil {
			t.Fatal(err)
		}
		for p, st := range want {
			if got[p] != st {
				t.Errorf("%s port %d: %v, want %v", lo.host, p, got[p], st)
			}
		}
	}
}

func BenchmarkProbeLoopback(b *testing.B) {
	// A protocol's two datagrams for every port, as a Payloads table
	// gives them: a probe that sends them allocates nothing either.
	two := [][]byte{[]byte("first"), []byte("second")}
	table := func(uint16) ([][]byte, func([]byte) bool) { return two, nil }
	for _, c := range []struct {
		name string
		pr   udp.Prober
		dst  func(b *testing.B) netip.AddrPort
	}{
		{"open", udp.Prober{}, func(b *testing.B) netip.AddrPort { return echoServer(b, "udp4", "127.0.0.1") }},
		{"closed", udp.Prober{}, func(b *testing.B) netip.AddrPort { return freePort(b, "udp4", "127.0.0.1") }},
		{"open-payload", udp.Prober{Payloads: table}, func(b *testing.B) netip.AddrPort { return echoServer(b, "udp4", "127.0.0.1") }},
	} {
		// Both kinds of worker: a goroutine's, and the event loop's
		// (udp.Async), whose probes are sent and settled without an
		// allocation either.
		for _, kind := range []string{"goroutine", "event-loop"} {
			b.Run(c.name+"/"+kind, func(b *testing.B) {
				dst := c.dst(b)
				w := kinds(b, c.pr)[kind]()
				defer w.Close()
				ctx := context.Background()
				want := w.Probe(ctx, dst, time.Second).State
				b.ReportAllocs()
				for b.Loop() {
					if out := w.Probe(ctx, dst, 200*time.Millisecond); out.State != want {
						b.Fatalf("%v: %+v, want %v", dst, out, want)
					}
				}
			})
		}
	}
}

package udp_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/scan"
	"github.com/ajarsec/ajar/scan/udp"
)

// waitWorker runs an Async prober's worker as a scan.Worker: Start, then
// wait for done. Its done is made once, so a probe allocates nothing of
// the adapter's.
type waitWorker struct {
	a    *udp.Async
	aw   scan.AsyncWorker
	ch   chan scan.Outcome
	done func(scan.Outcome)
}

func newWaitWorker(t testing.TB, pr udp.Prober) *waitWorker {
	t.Helper()
	a, err := udp.NewAsync(pr)
	if err != nil {
		t.Fatal(err)
	}
	w := &waitWorker{a: a, aw: a.NewAsyncWorker(), ch: make(chan scan.Outcome, 1)}
	w.done = func(o scan.Outcome) { w.ch <- o }
	return w
}

func (w *waitWorker) Probe(ctx context.Context, dst netip.AddrPort, timeout time.Duration) scan.Outcome {
	w.aw.Start(ctx, dst, timeout, w.done)
	return <-w.ch
}

func (w *waitWorker) Close() error { return errors.Join(w.aw.Close(), w.a.Close()) }

// kinds are the two ways a UDP probe waits: a worker's goroutine, and
// the Async prober's event loop; the tests that take a worker run both.
func kinds(t testing.TB, pr udp.Prober) map[string]func() scan.Worker {
	return map[string]func() scan.Worker{
		"goroutine":  pr.NewWorker,
		"event-loop": func() scan.Worker { return newWaitWorker(t, pr) },
	}
}

// TestAsyncLoopback: an Async worker's answers are a goroutine worker's,
// socket reused from probe to probe, and a late reply to one probe is
// not the next one's answer.
func TestAsyncLoopback(t *testing.T) {
	w := newWaitWorker(t, udp.Prober{})
	defer w.Close()
	ctx := t.Context()
	for _, lo := range loopbacks {
		open := echoServer(t, lo.network, lo.host)
		closed := freePort(t, lo.network, lo.host)
		slow := listen(t, lo.network, lo.host)
		silent := slow.LocalAddr().(*net.UDPAddr).AddrPort()
		for range 3 {
			if out := w.Probe(ctx, open, time.Second); out.State != record.Open || out.Reason != record.ReasonUDPResponse || out.RTT <= 0 {
				t.Errorf("%v: %+v, want open", open, out)
			}
			if out := w.Probe(ctx, closed, time.Second); out.State != record.Closed || out.Reason != record.ReasonPortUnreach || out.RTT <= 0 {
				t.Errorf("%v: %+v, want closed", closed, out)
			}
			if out := w.Probe(ctx, silent, 50*time.Millisecond); !out.NoAnswer || out.Err != nil {
				t.Errorf("%v: %+v, want no answer", silent, out)
			}
		}
		// The silent port answers the last probe now, late: the next
		// probe, of a closed port, is told by its own ICMP error.
		buf := make([]byte, 2048)
		slow.SetReadDeadline(time.Now().Add(time.Second))
		for {
			n, from, err := slow.ReadFromUDPAddrPort(buf)
			if err != nil {
				break // every probe read
			}
			slow.WriteToUDPAddrPort(buf[:n], from)
			slow.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		}
		if out := w.Probe(ctx, closed, time.Second); out.State != record.Closed {
			t.Errorf("%v after late replies: %+v, want closed", closed, out)
		}
	}
}

// TestAsyncCancelled: cancelling the context settles a probe in flight at
// once, and a probe started under a done context ends at once.
func TestAsyncCancelled(t *testing.T) {
	w := newWaitWorker(t, udp.Prober{})
	defer w.Close()
	silent := listen(t, "udp4", "127.0.0.1").LocalAddr().(*net.UDPAddr).AddrPort()
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	if out := w.Probe(ctx, silent, 10*time.Second); !errors.Is(out.Err, context.Canceled) {
		t.Errorf("cancelled probe: %+v, want context.Canceled", out)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("cancelled probe took %v", took)
	}
	if out := w.Probe(ctx, silent, time.Second); !errors.Is(out.Err, context.Canceled) {
		t.Errorf("probe with a done context: %+v", out)
	}
}

// TestAsyncClose: closing the prober settles the probes in flight.
func TestAsyncClose(t *testing.T) {
	a, err := udp.NewAsync(udp.Prober{})
	if err != nil {
		t.Fatal(err)
	}
	silent := listen(t, "udp4", "127.0.0.1").LocalAddr().(*net.UDPAddr).AddrPort()
	got := make(chan scan.Outcome, 8)
	for range 8 {
		a.NewAsyncWorker().Start(t.Context(), silent, time.Minute, func(o scan.Outcome) { got <- o })
	}
	time.AfterFunc(20*time.Millisecond, func() { a.Close() })
	for range 8 {
		select {
		case o := <-got:
			if o.Err == nil {
				t.Errorf("a probe ended by Close: %+v, want an error", o)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Close left a probe in flight")
		}
	}
}

// TestAsyncEngineLoopback: the engine keeps an Async prober's probes in
// flight as data, many at once, with the states a goroutine per probe
// finds.
func TestAsyncEngineLoopback(t *testing.T) {
	a, err := udp.NewAsync(udp.Prober{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for _, lo := range loopbacks {
		want := map[uint16]record.State{}
		for range 3 {
			want[echoServer(t, lo.network, lo.host).Port()] = record.Open
			want[listen(t, lo.network, lo.host).LocalAddr().(*net.UDPAddr).AddrPort().Port()] = record.OpenFiltered
		}
		for range 200 {
			want[freePort(t, lo.network, lo.host).Port()] = record.Closed
		}
		var ports []uint16
		for p := range want {
			ports = append(ports, p)
		}
		e, err := scan.New(hostList{netip.MustParseAddr(lo.host)}, a, scan.Config{
			Ports: ports, MinTimeout: 50 * time.Millisecond, MaxTimeout: 200 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		got := map[uint16]record.State{}
		if err := e.Run(t.Context(), func(r *record.PortResult) { got[r.Port] = r.State }); err != nil {
			t.Fatal(err)
		}
		for p, st := range want {
			if got[p] != st {
				t.Errorf("%s port %d: %v, want %v", lo.host, p, got[p], st)
			}
		}
	}
}

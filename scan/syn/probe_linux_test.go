package syn_test

import (
	"context"
	"net"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ajarsec/ajar/internal/netnstest"
	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/scan"
	"github.com/ajarsec/ajar/scan/syn"
)

// loopbackNS is a fresh namespace with one listener on 127.0.0.1 and ::1.
func loopbackNS(t testing.TB) (*netnstest.NS, uint16) {
	ns := netnstest.New(t)
	var ls []net.Listener
	err := ns.Do(func() error {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		ls = append(ls, l)
		port := l.Addr().(*net.TCPAddr).Port
		l6, err := net.Listen("tcp6", net.JoinHostPort("::1", itoa(port)))
		if err != nil {
			return err
		}
		ls = append(ls, l6)
		return nil
	})
	t.Cleanup(func() {
		for _, l := range ls {
			l.Close()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return ns, uint16(ls[0].Addr().(*net.TCPAddr).Port)
}

func itoa(n int) string {
	return netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(n)).String()[len("0.0.0.0:"):]
}

// TestRouteOutcomes probes destinations this machine's routing table
// refuses: no route, an unreachable route, a prohibit route, a blackhole.
// Nothing leaves the namespace: it has no other interface than loopback.
func TestRouteOutcomes(t *testing.T) {
	ns := netnstest.New(t)
	ns.Run("ip", "route", "add", "unreachable", "192.0.2.0/26")
	ns.Run("ip", "route", "add", "prohibit", "192.0.2.64/26")
	ns.Run("ip", "route", "add", "blackhole", "192.0.2.128/26")
	p := newProber(t, ns, syn.Config{})
	want := map[string]string{
		"192.0.2.1:80":   "filtered/host-unreach",
		"192.0.2.65:80":  "filtered/admin-prohibited",
		"192.0.2.129:80": "no answer",
		"198.51.100.1:1": "filtered/net-unreach",
	}
	for dst, w := range want {
		if got := probe(t, p, netip.MustParseAddrPort(dst), 100*time.Millisecond).String(); got != w {
			t.Errorf("%s: %s, want %s", dst, got, w)
		}
	}
}

// TestSharedPorts runs many workers on two source ports at once, each on
// its own destination port: the receiver hands each answer to the worker
// that waits for it, by destination.
func TestSharedPorts(t *testing.T) {
	ns, open := loopbackNS(t)
	p := newProber(t, ns, syn.Config{FirstPort: 62000, LastPort: 62001})
	if lo, hi := p.SourcePorts(); lo != 62000 || hi != 62001 {
		t.Fatalf("source ports %d-%d", lo, hi)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := range 64 {
		wg.Go(func() {
			w := p.NewWorker()
			defer w.Close()
			for k := range 50 {
				port := uint16(1000 + i*50 + k)
				want := "closed/reset"
				if port == open {
					want = "open/syn-ack"
				}
				for _, a := range []string{"127.0.0.1", "::1"} {
					o := w.Probe(context.Background(), netip.AddrPortFrom(netip.MustParseAddr(a), port), time.Second)
					if got := o.String(); got != want {
						errs <- a + " port " + itoa(int(port)) + ": " + got + ", want " + want
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	probe(t, p, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), open), time.Second)
}

// TestCancelAndClose: a probe waiting on a silent port ends when its
// context is cancelled, and when the prober closes; after Close, probes
// fail, and the receiver's goroutine is gone.
func TestCancelAndClose(t *testing.T) {
	bed := netnstest.NewBed(t)
	bed.Firewall(netnstest.Rule{Proto: "tcp", Ports: "20000", Action: "drop"})
	before := runtime.NumGoroutine()
	var p *syn.Prober
	if err := bed.InScanner(func() (err error) { p, err = syn.New(syn.Config{}); return err }); err != nil {
		t.Fatal(err)
	}
	dst := netip.AddrPortFrom(bed.TargetAddr4, 20000)
	w := p.NewWorker()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	start := time.Now()
	o := w.Probe(ctx, dst, time.Minute)
	cancel()
	if o.Err == nil || time.Since(start) > 10*time.Second {
		t.Errorf("cancelled probe: %s after %v", o.String(), time.Since(start))
	}
	done := make(chan scan.Outcome)
	go func() { done <- w.Probe(context.Background(), dst, time.Minute) }()
	time.Sleep(50 * time.Millisecond) // let the probe start waiting; Close must end it either way
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case o := <-done:
		if o.Err == nil {
			t.Errorf("probe across Close: %s", o.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end a waiting probe")
	}
	if o := w.Probe(context.Background(), dst, time.Second); o.Err == nil {
		t.Errorf("probe after Close: %s", o.String())
	}
	w.Close()
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // waiting for goroutines to exit
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after Close, %d before", n, before)
	}
}

// TestLinkLocal probes the target's IPv6 link-local address, with the
// scanner's interface as its zone.
func TestLinkLocal(t *testing.T) {
	bed := netnstest.NewBed(t)
	bed.ListenTCP(22)
	ll := bed.TargetLinkLocal()
	p := newProber(t, bed.Scanner, syn.Config{})
	for port, want := range map[uint16]string{22: "open/syn-ack", 23: "closed/reset"} {
		// The zone names an interface of the scanner's namespace, where
		// ajar would run: the probe starts there.
		dst := netip.AddrPortFrom(ll.WithZone(bed.ScannerLink), port)
		var o scan.Outcome
		if err := bed.InScanner(func() error { o = probe(t, p, dst, time.Second); return nil }); err != nil {
			t.Fatal(err)
		}
		if got := o.String(); got != want {
			t.Errorf("%v: %s, want %s", dst, got, want)
		}
	}
}

// TestNoHalfOpen checks that an open port's SYN-ACK leaves nothing behind
// on the target: the scanner's kernel resets it, so no connection is ever
// established (the target's TcpPassiveOpens stays 0) and none is left half
// open.
func TestNoHalfOpen(t *testing.T) {
	bed := netnstest.NewBed(t)
	bed.ListenTCP(22)
	p := newProber(t, bed.Scanner, syn.Config{})
	for i := range 5 {
		if got := probe(t, p, netip.AddrPortFrom(bed.TargetAddr4, 22), time.Second).String(); got != "open/syn-ack" {
			t.Fatalf("probe %d to port 22: %s", i, got)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		out := bed.Target.Run("ss", "-Htn", "sport", "= :22")
		if strings.TrimSpace(out) == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the target still holds connections to 22:\n%s", out)
		}
		time.Sleep(20 * time.Millisecond) // the reset is on its way
	}
	if out := bed.Target.Run("nstat", "-az", "TcpPassiveOpens"); !strings.Contains(out, "TcpPassiveOpens                 0 ") {
		t.Errorf("the target made connections:\n%s", out)
	}
}

// TestProbeAllocs checks that a probe allocates nothing once its host's
// route is known.
func TestProbeAllocs(t *testing.T) {
	ns, open := loopbackNS(t)
	p := newProber(t, ns, syn.Config{})
	w := p.NewWorker()
	defer w.Close()
	ctx := context.Background()
	for _, a := range []string{"127.0.0.1", "::1"} {
		dst := netip.AddrPortFrom(netip.MustParseAddr(a), open)
		w.Probe(ctx, dst, time.Second) // the route, looked up once
		var bad string
		allocs := testing.AllocsPerRun(200, func() {
			if o := w.Probe(ctx, dst, time.Second); o.State != record.Open {
				bad = o.String()
			}
		})
		if bad != "" {
			t.Errorf("%s: %s", a, bad)
		}
		if allocs != 0 {
			t.Errorf("%s: %.1f allocations a probe, want 0", a, allocs)
		}
	}
}

// BenchmarkProbe probes closed ports of 127.0.0.1 in a fresh namespace,
// from as many workers as the benchmark runs in parallel.
func BenchmarkProbe(b *testing.B) {
	ns, _ := loopbackNS(b)
	var p *syn.Prober
	if err := ns.Do(func() (err error) { p, err = syn.New(syn.Config{}); return err }); err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	b.ReportAllocs()
	b.SetParallelism(64)
	b.RunParallel(func(pb *testing.PB) {
		w := p.NewWorker()
		defer w.Close()
		port := uint16(1)
		for pb.Next() {
			if port++; port < 1000 {
				port = 1000
			}
			o := w.Probe(context.Background(), netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port), time.Second)
			if o.State != record.Closed {
				b.Errorf("port %d: %s", port, o.String())
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "probes/s")
}

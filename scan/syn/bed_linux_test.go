package syn_test

import (
	"context"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/ajarsec/ajar/internal/netnstest"
	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/scan"
	"github.com/ajarsec/ajar/scan/syn"
	"github.com/ajarsec/ajar/target/perm"
)

// These tests send only inside the namespaces netnstest makes, and each
// sends a bounded number of probes.

// newProber makes a prober inside ns: its sockets, and so its packets,
// belong there. It is closed when the test ends.
func newProber(t *testing.T, ns *netnstest.NS, cfg syn.Config) *syn.Prober {
	t.Helper()
	var p *syn.Prober
	err := ns.Do(func() error {
		var err error
		p, err = syn.New(cfg)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("closing the prober: %v", err)
		}
	})
	return p
}

// probe runs one probe with a fresh worker.
func probe(t *testing.T, p *syn.Prober, dst netip.AddrPort, timeout time.Duration) scan.Outcome {
	t.Helper()
	w := p.NewWorker()
	defer w.Close()
	return w.Probe(context.Background(), dst, timeout)
}

// TestBedStates probes each kind of port of the test bed's target, over
// IPv4 and IPv6: a listener, a closed port, a port whose packets are
// dropped, and ports rejected with a reset and with ICMP errors.
func TestBedStates(t *testing.T) {
	bed := netnstest.NewBed(t)
	bed.ListenTCP(22)
	bed.Firewall(
		netnstest.Rule{Proto: "tcp", Ports: "5000", Action: "icmp-admin-prohibited"},
		netnstest.Rule{Proto: "tcp", Ports: "6000", Action: "icmp-port-unreachable"},
		netnstest.Rule{Proto: "tcp", Ports: "6001", Action: "icmp-host-unreachable"},
		netnstest.Rule{Proto: "tcp", Ports: "7000", Action: "reset"},
		netnstest.Rule{Proto: "tcp", Ports: "20000", Action: "drop"},
	)
	bed.LiftICMPLimits()
	p := newProber(t, bed.Scanner, syn.Config{})
	want := map[uint16]string{
		22:    "open/syn-ack",
		23:    "closed/reset",
		5000:  "filtered/admin-prohibited",
		6000:  "filtered/port-unreach",
		6001:  "filtered/host-unreach",
		7000:  "closed/reset",
		20000: "no answer",
	}
	for _, addr := range []netip.Addr{bed.TargetAddr4, bed.TargetAddr6} {
		for port, w := range want {
			timeout := time.Second
			if port == 20000 {
				timeout = 200 * time.Millisecond
			}
			o := probe(t, p, netip.AddrPortFrom(addr, port), timeout)
			if got := o.String(); got != w {
				t.Errorf("%v port %d: %s, want %s", addr, port, got, w)
			}
			if o.Err == nil && !o.NoAnswer && (o.RTT <= 0 || o.RTT > time.Second) {
				t.Errorf("%v port %d: RTT %v", addr, port, o.RTT)
			}
		}
	}
}

// bedLayout is the test bed of the end-to-end tests: 20 open ports, a band
// rejected with ICMP admin-prohibited, one with ICMP port unreachable, one
// reset by the firewall, 20000-65535 dropped, the rest closed.
var bedOpen = []uint16{21, 22, 25, 53, 80, 110, 143, 443, 445, 993, 1433, 3306, 3389, 4999, 5100, 5432, 6379, 8080, 9200, 19999}

func newScanBed(t *testing.T) *netnstest.Bed {
	t.Helper()
	bed := netnstest.NewBed(t)
	bed.ListenTCP(bedOpen...)
	bed.Firewall(
		netnstest.Rule{Proto: "tcp", Ports: "5000-5099", Action: "icmp-admin-prohibited"},
		netnstest.Rule{Proto: "tcp", Ports: "6000-6099", Action: "icmp-port-unreachable"},
		netnstest.Rule{Proto: "tcp", Ports: "7000-7099", Action: "reset"},
		netnstest.Rule{Proto: "tcp", Ports: "20000-65535", Action: "drop"},
	)
	return bed
}

func bedState(port uint16) record.State {
	switch {
	case slices.Contains(bedOpen, port):
		return record.Open
	case port >= 20000, port >= 5000 && port < 5100, port >= 6000 && port < 6100:
		return record.Filtered
	}
	return record.Closed
}

type oneHost netip.Addr

func (h oneHost) Len() uint64          { return 1 }
func (h oneHost) At(uint64) netip.Addr { return netip.Addr(h) }
func allPorts() []uint16 {
	ports := make([]uint16, 65535)
	for i := range ports {
		ports[i] = uint16(i + 1)
	}
	return ports
}

// TestEngineBedFull runs the scan engine with the SYN prober over every
// port of the bed's target, IPv4 and IPv6, at default settings, and checks
// every port's state.
func TestEngineBedFull(t *testing.T) {
	bed := newScanBed(t)
	p := newProber(t, bed.Scanner, syn.Config{})
	for _, addr := range []netip.Addr{bed.TargetAddr4, bed.TargetAddr6} {
		e, err := scan.New(oneHost(addr), p, scan.Config{Ports: allPorts(), Order: perm.New(65535, 1)})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		seen := make(map[uint16]bool, 65535)
		bad := 0
		before, maxG := runtime.NumGoroutine(), 0
		err = e.Run(context.Background(), func(r *record.PortResult) {
			if len(seen)%1000 == 0 {
				maxG = max(maxG, runtime.NumGoroutine())
			}
			if seen[r.Port] {
				t.Errorf("%v port %d reported twice", addr, r.Port)
			}
			seen[r.Port] = true
			if want := bedState(r.Port); r.State != want {
				if bad++; bad <= 10 {
					t.Errorf("%v port %d: %s (%s), want %s", addr, r.Port, r.State, r.Reason, want)
				}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(seen) != 65535 || bad > 0 {
			t.Errorf("%v: %d ports reported, %d wrong", addr, len(seen), bad)
		}
		// The engine's probes in flight (25,000 by default) are data: a
		// sender, the Run goroutine and the prober's own goroutines run
		// the scan, however many probes are in flight.
		if maxG > before+20 {
			t.Errorf("%v: %d goroutines during the scan, %d before: probes in flight hold goroutines", addr, maxG, before)
		}
		t.Logf("%v: all ports in %v, at most %d goroutines (%d before), %d probes in flight", addr, time.Since(start), maxG, before, e.Parallelism())
	}
}

// TestEngineLoopbackFull scans every port of 127.0.0.1 and ::1 in a fresh
// namespace, where only the test's listeners listen.
func TestEngineLoopbackFull(t *testing.T) {
	ns := netnstest.New(t)
	var ls []net.Listener
	open := map[netip.AddrPort]bool{}
	err := ns.Do(func() error {
		for _, a := range []string{"127.0.0.1:0", "[::1]:0"} {
			for range 10 {
				l, err := net.Listen("tcp", a)
				if err != nil {
					return err
				}
				ls = append(ls, l)
				open[l.Addr().(*net.TCPAddr).AddrPort()] = true
			}
		}
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
	p := newProber(t, ns, syn.Config{})
	for _, addr := range []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.IPv6Loopback()} {
		e, err := scan.New(oneHost(addr), p, scan.Config{Ports: allPorts(), Order: perm.New(65535, 2)})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		var n, bad int
		err = e.Run(context.Background(), func(r *record.PortResult) {
			n++
			want := record.Closed
			if open[netip.AddrPortFrom(addr, r.Port)] {
				want = record.Open
			}
			if r.State != want {
				if bad++; bad <= 10 {
					t.Errorf("%v port %d: %s (%s), want %s", addr, r.Port, r.State, r.Reason, want)
				}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if n != 65535 || bad > 0 {
			t.Errorf("%v: %d ports reported, %d wrong", addr, n, bad)
		}
		t.Logf("%v: all ports in %v, %+v", addr, time.Since(start), p.Stats())
	}
}

// TestENOBUFS sends through a queue that holds only a few packets (a token
// bucket on the scanner's link): the kernel drops what overflows it and
// tells the sender (ENOBUFS), and the engine pauses and sends again, so
// every port still gets its answer. The queue also delays what it lets
// through, by more than the default minimum timeout when the machine is
// busy: the timeout here is long, so that only ENOBUFS is tested.
func TestENOBUFS(t *testing.T) {
	bed := netnstest.NewBed(t)
	bed.ListenTCP(22, 80)
	// A queue of a few frames drained at 2 Mbit/s (about 4,300 SYNs a
	// second): the adaptive rate starts far above it, so sends meet
	// ENOBUFS whatever the machine's load (at 10 Mbit/s with a 3 kB
	// queue, a loaded machine's sender sometimes never filled it).
	bed.Scanner.Run("tc", "qdisc", "add", "dev", bed.ScannerLink, "root", "tbf", "rate", "2mbit", "burst", "2kb", "limit", "1kb")
	p := newProber(t, bed.Scanner, syn.Config{})
	ports := allPorts()[:10000]
	e, err := scan.New(oneHost(bed.TargetAddr4), p, scan.Config{Ports: ports, Order: perm.New(uint64(len(ports)), 3), MinTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	bad := 0
	err = e.Run(context.Background(), func(r *record.PortResult) {
		want := record.Closed
		if r.Port == 22 || r.Port == 80 {
			want = record.Open
		}
		if r.State != want {
			if bad++; bad <= 10 {
				t.Errorf("port %d: %s (%s), want %s", r.Port, r.State, r.Reason, want)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	st := p.Stats()
	t.Logf("%d wrong; %+v; %s", bad, st, bed.Scanner.Run("tc", "-s", "qdisc", "show", "dev", bed.ScannerLink))
	if st.NoBuffers == 0 {
		t.Error("no send met ENOBUFS: nothing was tested")
	}
}

package discover_test

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/ajarsec/ajar/discover"
	"github.com/ajarsec/ajar/internal/netnstest"
	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/target"
)

// lanBed is a LAN whose hosts each stand for one case discovery must get
// right.
type lanBed struct {
	lan *netnstest.LAN
	// up answers everything; noAddr is a namespace on the LAN without
	// its addresses; neighOnly drops every IP packet but answers ARP and
	// NDP; only443 drops ICMP echo and every TCP port but 443, where it
	// listens.
	up, noAddr, neighOnly, only443 *netnstest.LANHost
}

func newLANBed(t *testing.T) *lanBed {
	lan := netnstest.NewLAN(t, 4)
	b := &lanBed{lan: lan, up: lan.Hosts[0], noAddr: lan.Hosts[1], neighOnly: lan.Hosts[2], only443: lan.Hosts[3]}
	b.noAddr.Unaddress()
	b.neighOnly.OnlyNeighbor()
	b.only443.Input("icmp type { echo-request, timestamp-request } drop",
		"icmpv6 type echo-request drop", "tcp dport != 443 drop")
	b.only443.ListenTCP(443)
	return b
}

// addrs are the bed's addresses of one family, with the scanner's own
// and two that nobody holds.
func (b *lanBed) addrs(v6 bool) (self, up, noAddr, neighOnly, only443, none1, none2 netip.Addr) {
	l := b.lan
	if v6 {
		return l.ScannerAddr6, b.up.Addr6, b.noAddr.Addr6, b.neighOnly.Addr6, b.only443.Addr6, l.Unused6(0), l.Unused6(1)
	}
	return l.ScannerAddr4, b.up.Addr4, b.noAddr.Addr4, b.neighOnly.Addr4, b.only443.Addr4, l.Unused4(0), l.Unused4(1)
}

// run discovers targets from the scanner's namespace and returns each
// host's record, checking that every address is reported once.
func (b *lanBed) run(t *testing.T, cfg discover.Config, addrs ...netip.Addr) (map[netip.Addr]record.Host, string) {
	t.Helper()
	var rs []target.Range
	for _, a := range addrs {
		rs = append(rs, target.Range{From: a, To: a})
	}
	set := target.SetOf(rs...)
	got := map[netip.Addr]record.Host{}
	var probes string
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := b.lan.Scanner.Do(func() error {
		s, err := discover.Open(cfg)
		if err != nil {
			return err
		}
		defer s.Close()
		probes = s.Probes()
		return s.Run(ctx, set, func(h record.Host) {
			if _, dup := got[h.Addr]; dup {
				t.Errorf("%v reported twice", h.Addr)
			}
			got[h.Addr] = h
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(addrs) {
		t.Errorf("%d hosts reported, want %d: %v", len(got), len(addrs), got)
	}
	return got, probes
}

// expect checks a host's state and that its reason is one of reasons.
func expect(t *testing.T, name string, got map[netip.Addr]record.Host, a netip.Addr, st record.HostState, reasons ...record.Reason) {
	t.Helper()
	h, ok := got[a]
	if !ok {
		t.Errorf("%s (%v): not reported", name, a)
		return
	}
	if h.State != st || !slices.Contains(reasons, h.Reason) {
		t.Errorf("%s (%v): %v (%s), want %v (%v)", name, a, h.State, h.Reason, st, reasons)
	}
	if st == record.Up && h.Reason != record.ReasonLocalhost && h.RTT <= 0 {
		t.Errorf("%s (%v): up without a round-trip time", name, a)
	}
}

var fast = discover.Config{Timeout: 400 * time.Millisecond}

// TestLANNeighbor: with raw sockets, hosts on the link are asked with ARP
// and NDP, which find every host that holds its address, firewall or
// not, and nothing else.
func TestLANNeighbor(t *testing.T) {
	b := newLANBed(t)
	for _, v6 := range []bool{false, true} {
		self, up, noAddr, neighOnly, only443, none1, none2 := b.addrs(v6)
		got, _ := b.run(t, fast, self, up, noAddr, neighOnly, only443, none1, none2)
		want := record.ReasonARPResponse
		if v6 {
			want = record.ReasonNDAdvert
		}
		expect(t, "self", got, self, record.Up, record.ReasonLocalhost)
		expect(t, "up", got, up, record.Up, want)
		expect(t, "no address", got, noAddr, record.Down, record.ReasonNoResponse)
		expect(t, "neighbour only", got, neighOnly, record.Up, want)
		expect(t, "443 only", got, only443, record.Up, want)
		expect(t, "nobody", got, none1, record.Down, record.ReasonNoResponse)
		expect(t, "nobody", got, none2, record.Down, record.ReasonNoResponse)
		if mac := got[up].MAC; mac.IsZero() {
			t.Errorf("%v: no MAC address", up)
		}
	}
}

// TestLANIP: without ARP and NDP (as for hosts behind a router), the IP
// probes find the hosts that answer anything, and the one that drops all
// IP is down.
func TestLANIP(t *testing.T) {
	b := newLANBed(t)
	cfg := fast
	cfg.NoNeighbor = true
	for _, v6 := range []bool{false, true} {
		self, up, noAddr, neighOnly, only443, none1, _ := b.addrs(v6)
		got, _ := b.run(t, cfg, self, up, noAddr, neighOnly, only443, none1)
		// The open host answers every probe: the first answer decides.
		expect(t, "up", got, up, record.Up, record.ReasonEchoReply, record.ReasonTimestampReply, record.ReasonReset)
		expect(t, "443 only", got, only443, record.Up, record.ReasonSynAck)
		expect(t, "neighbour only", got, neighOnly, record.Down, record.ReasonNoResponse)
		// Address resolution fails: this machine may say host
		// unreachable before the tries run out.
		expect(t, "no address", got, noAddr, record.Down, record.ReasonNoResponse, record.ReasonHostUnreach)
		expect(t, "nobody", got, none1, record.Down, record.ReasonNoResponse, record.ReasonHostUnreach)
	}
}

// TestLANUnprivileged: TCP connect() and ping sockets find the hosts
// that answer them; with ping sockets denied, connect() alone.
func TestLANUnprivileged(t *testing.T) {
	b := newLANBed(t)
	cfg := fast
	cfg.Mode = discover.Unprivileged
	for _, ping := range []bool{true, false} {
		rangeValue := "1 0" // nobody: the kernel's default
		if ping {
			rangeValue = "0 2147483647"
		}
		b.lan.Scanner.Sysctl("net.ipv4.ping_group_range", rangeValue)
		for _, v6 := range []bool{false, true} {
			self, up, noAddr, neighOnly, only443, none1, _ := b.addrs(v6)
			got, probes := b.run(t, cfg, self, up, noAddr, neighOnly, only443, none1)
			upReasons := []record.Reason{record.ReasonConnRefused}
			if ping {
				upReasons = append(upReasons, record.ReasonEchoReply)
			}
			expect(t, "self", got, self, record.Up, record.ReasonLocalhost)
			expect(t, "up", got, up, record.Up, upReasons...)
			expect(t, "443 only", got, only443, record.Up, record.ReasonSynAck)
			expect(t, "neighbour only", got, neighOnly, record.Down, record.ReasonNoResponse)
			expect(t, "no address", got, noAddr, record.Down, record.ReasonNoResponse, record.ReasonHostUnreach)
			expect(t, "nobody", got, none1, record.Down, record.ReasonNoResponse, record.ReasonHostUnreach)
			t.Logf("ping sockets %v, IPv6 %v: %s", ping, v6, probes)
		}
	}
}

// TestNoRoute: addresses the routing table has no way to are down at
// once, without a probe, and Run returns quickly for many of them.
func TestNoRoute(t *testing.T) {
	b := newLANBed(t)
	set := target.SetOf(target.Range{From: netip.MustParseAddr("192.0.2.0"), To: netip.MustParseAddr("192.0.2.255")})
	n := 0
	start := time.Now()
	err := b.lan.Scanner.Do(func() error {
		return fast.Run(context.Background(), set, func(h record.Host) {
			n++
			if h.State != record.Down || h.Reason != record.ReasonNoRoute {
				t.Errorf("%v: %v (%s), want down (no-route)", h.Addr, h.State, h.Reason)
			}
		})
	})
	if err != nil || n != 256 {
		t.Errorf("%d hosts, %v", n, err)
	}
	t.Logf("256 unroutable addresses in %v", time.Since(start))
}

// TestCancel: a cancelled run returns promptly with the context's error.
func TestCancel(t *testing.T) {
	b := newLANBed(t)
	set := target.SetOf(target.Range{From: b.lan.Unused4(0), To: b.lan.Unused4(20)})
	ctx, cancel := context.WithCancel(context.Background())
	cfg := discover.Config{Timeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() {
		done <- b.lan.Scanner.Do(func() error { return cfg.Run(ctx, set, func(record.Host) {}) })
	}()
	time.AfterFunc(200*time.Millisecond, cancel)
	select {
	case err := <-done:
		if err == nil || ctx.Err() == nil {
			t.Errorf("cancelled run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	cfg.MaxTime = 300 * time.Millisecond
	err := b.lan.Scanner.Do(func() error { return cfg.Run(context.Background(), set, func(record.Host) {}) })
	if err == nil || !errors.Is(err, discover.ErrMaxTime) {
		t.Errorf("MaxTime: %v", err)
	}
}

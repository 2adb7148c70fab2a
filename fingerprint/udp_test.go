package fingerprint_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/portspec"
)

// These tests send only to UDP sockets they open on 127.0.0.1, a bounded
// number of datagrams each (the probes of one identification).

// udpQuick is a configuration with short waits for loopback peers.
var udpQuick = fingerprint.Config{Timeout: 8 * time.Second, ProbeTimeout: 300 * time.Millisecond}

func identifyUDP(t *testing.T, cfg fingerprint.Config, addr netip.AddrPort) (string, error) {
	t.Helper()
	svc, err := cfg.Identify(t.Context(), fingerprint.Target{Addr: addr, Proto: portspec.UDP})
	if err != nil {
		return "", err
	}
	if svc.Method != "probed" {
		t.Errorf("%s: method %q", svc.Name, svc.Method)
	}
	return svc.Name, nil
}

// stunAnswer answers a STUN Binding request as RFC 8489 §6.3 has it: a
// success with the request's transaction ID; anything else is dropped.
func stunAnswer(b []byte) []byte {
	if len(b) != 20 || b[0] != 0 || b[1] != 1 || !bytes.Equal(b[4:8], []byte{0x21, 0x12, 0xa4, 0x42}) {
		return nil
	}
	out := append([]byte{0x01, 0x01, 0, 0}, b[4:20]...)
	return out
}

// TestIdentifyUDPOtherPort: a service on a port of another protocol, or
// of none, is named by its own probe, whatever its place in the order.
func TestIdentifyUDPOtherPort(t *testing.T) {
	stun := fptest.ServeUDP(t, stunAnswer)
	if name, err := identifyUDP(t, udpQuick, stun); name != "stun" {
		t.Errorf("STUN on port %d: %q, %v; want stun", stun.Port(), name, err)
	}
}

// TestIdentifyUDPFromAnotherPort: TFTP answers from a fresh port (RFC
// 1350 §4), and is still named, over IPv4 and IPv6.
func TestIdentifyUDPFromAnotherPort(t *testing.T) {
	for _, host := range []string{"127.0.0.1", "::1"} {
		t.Run(host, func(t *testing.T) {
			ip := net.ParseIP(host)
			l, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip})
			if err != nil {
				t.Fatal(err)
			}
			reply, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip})
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			t.Cleanup(func() { l.Close(); reply.Close(); wg.Wait() })
			wg.Go(func() {
				buf := make([]byte, 2048)
				for {
					n, from, err := l.ReadFromUDPAddrPort(buf)
					if err != nil {
						return
					}
					if n > 2 && buf[0] == 0 && buf[1] == 1 { // RRQ
						reply.WriteToUDPAddrPort([]byte("\x00\x05\x00\x01File not found\x00"), from)
					}
				}
			})
			addr := l.LocalAddr().(*net.UDPAddr).AddrPort()
			svc, err := udpQuick.Identify(t.Context(), fingerprint.Target{Addr: addr, Proto: portspec.UDP})
			if err != nil || svc.Name != "tftp" || svc.ExtraInfo != "error 1: File not found" {
				t.Errorf("%+v, %v; want tftp", svc, err)
			}
		})
	}
}

// recorder is a UDP server on loopback that answers nothing, or what
// answer returns, and notes each datagram: when it came, from which port.
type recorder struct {
	mu   sync.Mutex
	got  []arrival
	addr netip.AddrPort
}

type arrival struct {
	at   time.Time
	from uint16
	data []byte
}

func newRecorder(t *testing.T, answer func([]byte) []byte) *recorder {
	t.Helper()
	pc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{addr: pc.LocalAddr().(*net.UDPAddr).AddrPort()}
	var wg sync.WaitGroup
	t.Cleanup(func() { pc.Close(); wg.Wait() })
	wg.Go(func() {
		buf := make([]byte, 65536)
		for {
			n, from, err := pc.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			r.mu.Lock()
			r.got = append(r.got, arrival{time.Now(), from.Port(), bytes.Clone(buf[:n])})
			r.mu.Unlock()
			if answer != nil {
				if out := answer(buf[:n]); len(out) > 0 {
					pc.WriteToUDPAddrPort(out, from)
				}
			}
		}
	})
	return r
}

func (r *recorder) arrivals() []arrival {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// starts returns when each exchange (one source port) sent its first
// datagram.
func starts(as []arrival) []time.Time {
	first := map[uint16]time.Time{}
	for _, a := range as {
		if _, ok := first[a.from]; !ok {
			first[a.from] = a.at
		}
	}
	var out []time.Time
	for _, at := range first {
		out = append(out, at)
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}

// maxInWindow is the most starts within any span shorter than w.
func maxInWindow(ts []time.Time, w time.Duration) int {
	most := 0
	for i := range ts {
		n := 0
		for j := i; j < len(ts) && ts[j].Sub(ts[i]) < w; j++ {
			n++
		}
		most = max(most, n)
	}
	return most
}

// TestIdentifyUDPSilent: a silent port gets every UDP probe ajar has,
// each once, stays unnamed, within the budget; and the probes of two
// ports of one host share its few slots.
func TestIdentifyUDPSilent(t *testing.T) {
	a, b := newRecorder(t, nil), newRecorder(t, nil)
	// The budget: 2 ports × one exchange per plugin × 0.4 s / 2 slots,
	// and a margin; every probe added costs each silent port its time.
	n := len(fingerprint.Plugins(portspec.UDP))
	cfg := fingerprint.Config{Timeout: time.Duration(n)*400*time.Millisecond + 3*time.Second,
		ProbeTimeout: 400 * time.Millisecond, UDPLimiter: fingerprint.NewUDPLimiter(2)}
	begin := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, r := range []*recorder{a, b} {
		wg.Go(func() { _, errs[i] = identifyUDP(t, cfg, r.addr) })
	}
	wg.Wait()
	took := time.Since(begin)
	for i, err := range errs {
		if !errors.Is(err, fingerprint.ErrNoMatch) {
			t.Errorf("port %d: %v, want ErrNoMatch", i, err)
		}
	}
	probes := fingerprint.UDPProbes()
	want := 0
	for _, p := range probes {
		want += len(p.Datagrams)
	}
	var all []arrival
	for _, r := range []*recorder{a, b} {
		as := r.arrivals()
		all = append(all, as...)
		// Every probe's own request came (the plugins send theirs,
		// which for most are the scan's bytes), and no more than a
		// few datagrams each.
		if n := len(starts(as)); n != len(fingerprint.Plugins(portspec.UDP)) {
			t.Errorf("port %d: %d exchanges, want one per UDP plugin (%d)", r.addr.Port(), n, len(fingerprint.Plugins(portspec.UDP)))
		}
		if len(as) > 2*want {
			t.Errorf("port %d: %d datagrams, want at most %d", r.addr.Port(), len(as), 2*want)
		}
	}
	// Two slots for the host: no three exchanges start within less than
	// a probe's time (a slot is held that long by a silent port); a
	// margin for scheduling.
	if n := maxInWindow(starts(all), cfg.ProbeTimeout/2); n > 2 {
		t.Errorf("%d exchanges started within %v: the host's limit is 2", n, cfg.ProbeTimeout/2)
	}
	// The exchanges take about n × 0.4 s, under the budget.
	if took > cfg.Timeout+time.Second {
		t.Errorf("took %v, budget %v", took, cfg.Timeout)
	}
	t.Logf("%d datagrams in %v", len(all), took)
}

// TestIdentifyUDPBudget: a port's identification stops at its Timeout,
// even with probes left.
func TestIdentifyUDPBudget(t *testing.T) {
	r := newRecorder(t, nil)
	cfg := fingerprint.Config{Timeout: time.Second, ProbeTimeout: 600 * time.Millisecond, UDPLimiter: fingerprint.NewUDPLimiter(1)}
	begin := time.Now()
	if _, err := identifyUDP(t, cfg, r.addr); !errors.Is(err, fingerprint.ErrNoMatch) {
		t.Errorf("%v, want ErrNoMatch", err)
	}
	if took := time.Since(begin); took > cfg.Timeout+300*time.Millisecond {
		t.Errorf("took %v, budget %v", took, cfg.Timeout)
	}
	if n := len(starts(r.arrivals())); n > 2 {
		t.Errorf("%d exchanges in 1 s with one slot of 0.6 s", n)
	}
}

// TestIdentifyUDPNoFalseName: a port that answers everything with
// garbage or fixed text is named by no protocol: it is "unknown", with
// what it said. (One that sends back what it was sent is an echo:
// TestIdentifyUDPSmallServices.)
func TestIdentifyUDPNoFalseName(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	var mu sync.Mutex
	garbage := func(b []byte) []byte {
		mu.Lock()
		defer mu.Unlock()
		out := make([]byte, 1+rng.IntN(600))
		for i := range out {
			out[i] = byte(rng.Uint32())
		}
		return out
	}
	for _, c := range []struct {
		name   string
		answer func([]byte) []byte
	}{
		{"garbage", garbage},
		{"fixed text", func([]byte) []byte { return []byte("ERROR\r\n") }},
		{"HTTP", func([]byte) []byte { return []byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n") }},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newRecorder(t, c.answer)
			svc, err := udpQuick.Identify(t.Context(), fingerprint.Target{Addr: r.addr, Proto: portspec.UDP})
			// It answered: open, but named by no protocol.
			if err != nil || svc.Name != "unknown" || svc.Banner == "" {
				t.Errorf("%+v, %v; want unknown with a banner", svc, err)
			}
			if len(r.arrivals()) == 0 {
				t.Error("nothing sent")
			}
		})
	}
}

// TestIdentifyUDPOrder: a port's own probe goes first, then the others by
// rarity.
func TestIdentifyUDPOrder(t *testing.T) {
	r := newRecorder(t, nil)
	cfg := fingerprint.Config{Timeout: 10 * time.Second, ProbeTimeout: 150 * time.Millisecond, UDPLimiter: fingerprint.NewUDPLimiter(1)}
	identifyUDP(t, cfg, r.addr)
	as := r.arrivals()
	if len(as) == 0 {
		t.Fatal("nothing sent")
	}
	// With one slot, exchanges follow one another: the first datagram
	// of the first exchange is the most common probe's (DNS).
	dns, _ := fingerprint.UDPPayload(53)
	if !bytes.Equal(as[0].data[2:], dns[0][2:]) {
		t.Errorf("first datagram % x, want DNS's", as[0].data)
	}
}

func TestUDPLimiter(t *testing.T) {
	l := fingerprint.NewUDPLimiter(2)
	h1, h2 := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	ctx := t.Context()
	var releases []func()
	for range 2 {
		rel, err := fingerprint.AcquireUDP(l, ctx, h1)
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, rel)
	}
	// h1 is full; h2 is not.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := fingerprint.AcquireUDP(l, short, h1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("third slot of h1: %v, want to wait", err)
	}
	rel2, err := fingerprint.AcquireUDP(l, ctx, h2)
	if err != nil {
		t.Fatal(err)
	}
	rel2()
	// A release lets the next one in.
	got := make(chan error, 1)
	go func() {
		rel, err := fingerprint.AcquireUDP(l, ctx, h1)
		if err == nil {
			rel()
		}
		got <- err
	}()
	releases[0]()
	if err := <-got; err != nil {
		t.Error(err)
	}
	releases[1]()
	if n := fingerprint.UDPLimiterHosts(l); n != 0 {
		t.Errorf("%d hosts kept after every release", n)
	}
}

// TestUDPLimiterOwnFirst: a port's own probe waiting for a full host goes
// before another port's fallback probe that waited longer.
func TestUDPLimiterOwnFirst(t *testing.T) {
	l := fingerprint.NewUDPLimiter(1)
	h := netip.MustParseAddr("10.0.0.1")
	ctx := t.Context()
	rel, err := fingerprint.AcquireUDP(l, ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	order := make(chan string, 2)
	var wg sync.WaitGroup
	wait := func(name string, acquire func(*fingerprint.UDPLimiter, context.Context, netip.Addr) (func(), error)) {
		wg.Go(func() {
			r, err := acquire(l, ctx, h)
			if err != nil {
				t.Error(err)
				return
			}
			order <- name
			r()
		})
	}
	wait("fallback", fingerprint.AcquireUDP)
	waitFor(t, func() bool { return fingerprint.UDPLimiterWaiting(l, h) == 1 })
	wait("own", fingerprint.AcquireUDPOwn)
	waitFor(t, func() bool { return fingerprint.UDPLimiterWaiting(l, h) == 2 })
	rel()
	wg.Wait()
	if first, second := <-order, <-order; first != "own" || second != "fallback" {
		t.Errorf("served %s then %s, want own then fallback", first, second)
	}
	// A waiter whose context ends leaves the queue.
	rel, _ = fingerprint.AcquireUDP(l, ctx, h)
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := fingerprint.AcquireUDPOwn(l, short, h); err == nil {
		t.Error("acquired a full host")
	}
	if n := fingerprint.UDPLimiterWaiting(l, h); n != 0 {
		t.Errorf("%d waiting after the context ended", n)
	}
	rel()
	if n := fingerprint.UDPLimiterHosts(l); n != 0 {
		t.Errorf("%d hosts kept", n)
	}
}

// waitFor polls cond until it holds, for at most two seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 2 s")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestUDPOrderOfPorts: a port's own protocol comes first and alone; the
// others follow by rarity, each once.
func TestUDPOrderOfPorts(t *testing.T) {
	all := len(fingerprint.Plugins(portspec.UDP))
	for _, c := range []struct {
		port  uint16
		first []string
		own   int
	}{
		{161, []string{"snmp", "dns", "ntp"}, 1},
		{69, []string{"tftp", "dns", "ntp"}, 1},
		{4500, []string{"ipsec-nat-t", "dns"}, 1},
		{40000, []string{"dns", "ntp", "snmp"}, 0},
	} {
		names, own := fingerprint.UDPOrder(c.port)
		if own != c.own || len(names) != all || !slices.Equal(names[:len(c.first)], c.first) {
			t.Errorf("port %d: %v (own %d), want %v... (own %d) of %d", c.port, names, own, c.first, c.own, all)
		}
		seen := map[string]bool{}
		for _, n := range names {
			if seen[n] {
				t.Errorf("port %d: %s twice", c.port, n)
			}
			seen[n] = true
		}
	}
}

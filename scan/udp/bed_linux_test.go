package udp_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ajarsec/ajar/internal/netnstest"
	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/scan"
	"github.com/ajarsec/ajar/scan/udp"
)

// These tests send only inside the namespaces netnstest.NewBed makes, and
// each sends a bounded number of probes.

// tftpServer answers every datagram to port 69 in the target with a TFTP
// ERROR sent, as RFC 1350 §4 has it, from another port; or with what the
// function it returns sets.
func tftpServer(t *testing.T, b *netnstest.Bed) (setReply func(string)) {
	t.Helper()
	var conns []net.PacketConn
	err := b.InTarget(func() error {
		for _, addr := range []string{"0.0.0.0", "[::]"} {
			network := "udp4"
			if addr == "[::]" {
				network = "udp6"
			}
			l, err := net.ListenPacket(network, addr+":69")
			if err != nil {
				return err
			}
			reply, err := net.ListenPacket(network, addr+":0")
			if err != nil {
				l.Close()
				return err
			}
			conns = append(conns, l, reply)
		}
		return nil
	})
	var wg sync.WaitGroup
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
		wg.Wait()
	})
	if err != nil {
		t.Fatal(err)
	}
	var msg atomic.Pointer[string]
	setReply = func(s string) { msg.Store(&s) }
	setReply("\x00\x05\x00\x01File not found\x00")
	for i := 0; i < len(conns); i += 2 {
		l, reply := conns[i], conns[i+1]
		wg.Go(func() {
			buf := make([]byte, 512)
			for {
				_, from, err := l.ReadFrom(buf)
				if err != nil {
					return
				}
				if _, err := reply.WriteTo([]byte(*msg.Load()), from); err != nil && !errors.Is(err, net.ErrClosed) {
					t.Errorf("tftp reply to %v: %v", from, err)
				}
			}
		})
	}
	return setReply
}

// payloads is the table the bed's probes send from: a protocol's
// datagrams to 53 and two to 161, and to 69 a request whose answer may
// come from another port, accepted when it starts like a TFTP ERROR. The
// protocols' real table is fingerprint.UDPPayload, tested there.
func payloads(port uint16) ([][]byte, func([]byte) bool) {
	switch port {
	case 53:
		return [][]byte{[]byte("query")}, nil
	case 161:
		return [][]byte{[]byte("v2c"), []byte("v1")}, nil
	case 69:
		return [][]byte{[]byte("\x00\x01ajar\x00octet\x00")}, func(b []byte) bool {
			return len(b) >= 4 && b[0] == 0 && b[1] == 5 && b[len(b)-1] == 0
		}
	}
	return nil, nil
}

type expect struct {
	port   uint16
	state  record.State // StateUnknown: no answer
	reason record.Reason
}

func span(from, n int, state record.State, reason record.Reason) []expect {
	var out []expect
	for p := from; p < from+n; p++ {
		out = append(out, expect{uint16(p), state, reason})
	}
	return out
}

func TestStatesInBed(t *testing.T) {
	b := netnstest.NewBed(t)
	b.LiftICMPLimits()
	// 53 and 161 get payloads (two datagrams to 161, so two echoes), 7000
	// an empty datagram; closed 500 gets two datagrams, so
	// two port unreachables.
	b.ListenUDP(53, 161, 7000)
	setTFTPReply := tftpServer(t, b)
	b.Firewall(
		netnstest.Rule{Proto: "udp", Ports: "3000-3099", Action: "drop"},
		netnstest.Rule{Proto: "udp", Ports: "4000-4009", Action: "icmp-admin-prohibited"},
		netnstest.Rule{Proto: "udp", Ports: "4100", Action: "icmp-host-unreachable"},
	)
	open := func(p uint16) expect { return expect{p, record.Open, record.ReasonUDPResponse} }
	cases := []expect{open(53), open(161), open(7000), open(69), {500, record.Closed, record.ReasonPortUnreach}}
	cases = append(cases, span(8000, 20, record.Closed, record.ReasonPortUnreach)...)
	cases = append(cases, span(3000, 10, record.StateUnknown, "")...)
	cases = append(cases, span(4000, 5, record.Filtered, record.ReasonAdminProhibited)...)
	cases = append(cases, expect{4100, record.Filtered, record.ReasonHostUnreach})
	// A fixed shuffle: answers of every kind follow each other, and a
	// port with two echoes comes before others.
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(cases), func(i, j int) { cases[i], cases[j] = cases[j], cases[i] })

	for _, network := range []string{"udp4", "udp6"} {
		for kind, newWorker := range kinds(t, udp.Prober{Payloads: payloads}) {
			t.Run(network+"/"+kind, func(t *testing.T) { statesInBed(t, b, network, newWorker, cases) })
		}
	}

	// From another port, only a TFTP reply counts for port 69.
	setTFTPReply("not tftp")
	for _, network := range []string{"udp4", "udp6"} {
		for kind, newWorker := range kinds(t, udp.Prober{Payloads: payloads}) {
			var out scan.Outcome
			err := b.InScanner(func() error {
				w := newWorker()
				defer w.Close()
				out = w.Probe(t.Context(), netip.AddrPortFrom(b.Addr(network), 69), 150*time.Millisecond)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !out.NoAnswer {
				t.Errorf("%s %s: port 69 answered by a stranger: %+v, want no answer", network, kind, out)
			}
		}
	}
}

// TestICMPLimitOff: with the target's limit off, every probe of a closed
// port is answered, and there is nothing to hint.
func TestICMPLimitOff(t *testing.T) {
	b := netnstest.NewBed(t)
	b.LiftICMPLimits()
	for _, network := range []string{"udp4", "udp6"} {
		var l udp.ICMPLimit
		err := b.InScanner(func() error {
			w := udp.Prober{}.NewWorker()
			defer w.Close()
			var err error
			l, err = udp.MeasureICMPLimit(t.Context(), w, netip.AddrPortFrom(b.Addr(network), 9000), 200*time.Millisecond, 5*time.Second)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %+v", network, l)
		if l.Limited() || l.Probes != 64 || l.Answered != 64 || l.Hint(100) != "" {
			t.Errorf("%s: %+v (limited %v, hint %q), want 64 answers", network, l, l.Limited(), l.Hint(100))
		}
	}
}

// TestClosedPortsGoSilent: at Linux's default limit, closed ports probed
// one after another answer in a short burst, then mostly stay silent, and
// the engine would call them open|filtered: the reason for the hint.
func TestClosedPortsGoSilent(t *testing.T) {
	b := netnstest.NewBed(t)
	for _, network := range []string{"udp4", "udp6"} {
		var closed, silent int
		var seq []byte
		err := b.InScanner(func() error {
			w := udp.Prober{}.NewWorker()
			defer w.Close()
			for p := range uint16(20) {
				out := w.Probe(t.Context(), netip.AddrPortFrom(b.Addr(network), 8000+p), 150*time.Millisecond)
				switch {
				case out.Err != nil:
					return out.Err
				case out.NoAnswer:
					silent++
					seq = append(seq, '.')
				case out.State == record.Closed:
					closed++
					seq = append(seq, 'C')
				default:
					return fmt.Errorf("port %d: %+v", 8000+p, out)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %s (%d closed, %d silent)", network, seq, closed, silent)
		if closed < 3 || silent < 3 || seq[0] != 'C' {
			t.Errorf("%s: %d closed, %d silent of 20 closed ports: want a burst of answers, then silences", network, closed, silent)
		}
	}
}

// TestMeasureICMPLimit measures the target's default limit: a burst of
// about six, then about one a second for IPv4, and for IPv6 ten (kernels
// since early 2026) or four (before, to a /64 neighbour).
func TestMeasureICMPLimit(t *testing.T) {
	b := netnstest.NewBed(t)
	for _, c := range []struct {
		network          string
		rateMin, rateMax float64
	}{{"udp4", 0.5, 2}, {"udp6", 2.5, 15}} {
		var l udp.ICMPLimit
		err := b.InScanner(func() error {
			w := udp.Prober{}.NewWorker()
			defer w.Close()
			var err error
			l, err = udp.MeasureICMPLimit(t.Context(), w, netip.AddrPortFrom(b.Addr(c.network), 9000), 50*time.Millisecond, 3*time.Second)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		hint := l.Hint(1000)
		t.Logf("%s: %+v rate %.2f/s\n%s", c.network, l, l.Rate(), hint)
		if !l.Limited() || l.Burst < 2 || l.Burst > 10 || l.Rate() < c.rateMin || l.Rate() > c.rateMax || hint == "" {
			t.Errorf("%s: %+v, rate %.2f: want limited, a burst of about 6, %.1f to %.1f a second",
				c.network, l, l.Rate(), c.rateMin, c.rateMax)
		}
		if l.Elapsed > 4*time.Second || l.Probes > 64 {
			t.Errorf("%s: measurement took %v and %d probes", c.network, l.Elapsed, l.Probes)
		}
	}
	// An open port is not closed.
	b.ListenUDP(7000)
	err := b.InScanner(func() error {
		w := udp.Prober{}.NewWorker()
		defer w.Close()
		_, err := udp.MeasureICMPLimit(t.Context(), w, netip.AddrPortFrom(b.TargetAddr4, 7000), 100*time.Millisecond, time.Second)
		return err
	})
	if !errors.Is(err, udp.ErrNotClosed) {
		t.Errorf("measuring on an open port: %v, want ErrNotClosed", err)
	}
}

// statesInBed probes cases on the bed's target at network's address, one
// after another, with a worker of newWorker, and checks each outcome.
func statesInBed(t *testing.T, b *netnstest.Bed, network string, newWorker func() scan.Worker, cases []expect) {
	host := b.Addr(network)
	outs := make([]scan.Outcome, len(cases))
	err := b.InScanner(func() error {
		w := newWorker()
		defer w.Close()
		for i, c := range cases {
			timeout := time.Second
			if c.state == record.StateUnknown {
				timeout = 150 * time.Millisecond
			}
			outs[i] = w.Probe(t.Context(), netip.AddrPortFrom(host, c.port), timeout)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		out := outs[i]
		switch {
		case out.Err != nil:
			t.Errorf("port %d: local error %v", c.port, out.Err)
		case c.state == record.StateUnknown:
			if !out.NoAnswer {
				t.Errorf("port %d: %+v, want no answer", c.port, out)
			}
		case out.State != c.state || out.Reason != c.reason || out.NoAnswer || out.RTT <= 0:
			t.Errorf("port %d: %+v, want %v (%v)", c.port, out, c.state, c.reason)
		}
	}
}

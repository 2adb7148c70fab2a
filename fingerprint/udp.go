package fingerprint

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

// UDP identification. A UDP port that answered nothing (open|filtered)
// or answered its usual protocol's datagram gets every UDP probe ajar
// has: first the ones that claim its port, then the others in order of
// how common their protocol is. A probe is a UDP plugin's exchange; the
// first in that order whose plugin recognises an answer names the port.
// Probes go out a few at a time per host (UDPLimiter), and the whole
// port stays within Config.Timeout.

// maxUDPReplies bounds the datagrams ExchangeUDP reads.
const maxUDPReplies = 8

// ExchangeUDP sends datagrams on c, all at once, and reads replies until
// parse accepts one, at most a few of them. It returns ErrNoMatch when
// replies came and none was accepted, and the read error (a timeout) when
// none came.
func ExchangeUDP(c *Conn, datagrams [][]byte, parse func([]byte) (*record.Service, error)) (*record.Service, error) {
	for _, d := range datagrams {
		if err := c.Write(d); err != nil {
			return nil, err
		}
	}
	buf := make([]byte, 9000)
	replied := false
	for range maxUDPReplies {
		n, err := c.Read(buf)
		if err != nil {
			if replied || errors.Is(err, ErrBudget) {
				return nil, ErrNoMatch
			}
			return nil, err
		}
		replied = true
		if svc, perr := parse(buf[:n]); perr == nil {
			return svc, nil
		}
	}
	return nil, ErrNoMatch
}

// udpOrder orders the UDP plugins for port: those that claim it (by their
// Info or their probe), the first own of them, then those with a probe by
// the probe's rarity, then the rest by their own rarity.
func udpOrder(plugins []Plugin, port uint16) (order []Plugin, own int) {
	byName := make(map[string]Plugin, len(plugins))
	for _, p := range plugins {
		byName[p.Info().Name] = p
	}
	add := func(p Plugin) {
		if p != nil && !contains(order, p) {
			order = append(order, p)
		}
	}
	probes := probeOrder()
	for _, pr := range probes {
		for _, pt := range pr.Ports {
			if pt == port {
				add(byName[pr.Name])
			}
		}
	}
	for _, p := range plugins {
		if clear, _ := claims(p, port); clear {
			add(p)
		}
	}
	own = len(order)
	for _, pr := range probes {
		add(byName[pr.Name])
	}
	for _, p := range plugins {
		add(p)
	}
	return order, own
}

// identifyUDP offers each UDP plugin a datagram exchange, in udpOrder: the
// port's own first, then the others a few at a time per host. The first
// in order that recognises its answer wins, as soon as every plugin
// before it has given up.
func (s *session) identifyUDP(ctx context.Context) (*record.Service, error) {
	s.cfg.ProbeTimeout = min(s.cfg.ProbeTimeout, udpProbeWait)
	order, own := udpOrder(Plugins(portspec.UDP), s.t.Addr.Port())
	lim := s.cfg.UDPLimiter
	if lim == nil {
		lim = NewUDPLimiter(DefaultUDPPerHost)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var heard replies
	results := make([]chan *record.Service, len(order))
	for i := range results {
		results[i] = make(chan *record.Service, 1)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		// The port's own protocols go first, alone: a service that
		// answered the scan's datagram is named by them, and hears no
		// other protocol's probe.
		var ownDone sync.WaitGroup
		for i, p := range order {
			if i == own {
				ownDone.Wait()
			}
			release, err := lim.acquire(wctx, s.t.Addr.Addr(), i < own)
			if err != nil {
				for _, r := range results[i:] {
					r <- nil
				}
				return
			}
			if i < own {
				ownDone.Add(1)
			}
			wg.Go(func() {
				defer release()
				if i < own {
					defer ownDone.Done()
				}
				results[i] <- s.tryUDP(wctx, p, &heard)
			})
		}
	})
	for i := range order {
		if svc := <-results[i]; svc != nil {
			cancel()
			return svc, nil
		}
	}
	return heard.unknown()
}

// udpProbeWait caps how long one UDP probe waits for its answer: a
// datagram's answer comes in one round trip or not at all, and a host's
// slots (UDPLimiter) are held by the probes a silent port ignores, so
// that the port's rarer protocols wait behind them.
const udpProbeWait = 750 * time.Millisecond

// replies keeps the first reply any probe of a port drew.
type replies struct {
	mu    sync.Mutex
	first []byte
}

// heard notes what a probe's connection read.
func (r *replies) heard(c *Conn) {
	if len(c.first) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.first == nil {
		r.first = bytes.Clone(c.first)
	}
}

// unknown is the answer when no plugin recognised the port: "unknown",
// with the first reply as its banner, when it answered any probe (which
// proves it open), else ErrNoMatch.
func (r *replies) unknown() (*record.Service, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.first == nil {
		return nil, ErrNoMatch
	}
	return &record.Service{Name: "unknown", Method: "probed", Banner: Printable(r.first, bannerMax)}, nil
}

// tryUDP runs one plugin's exchange on a socket of its own: connected to
// the port, or, when the plugin's probe takes answers from another port
// of the host, unconnected.
func (s *session) tryUDP(ctx context.Context, p Plugin, heard *replies) *record.Service {
	if ctx.Err() != nil {
		return nil
	}
	var c *Conn
	var err error
	if pr, ok := udpProbe(p.Info().Name); ok && pr.OtherPort != nil {
		c, err = dialAnyPort(s.t, s.cfg, pr.OtherPort)
	} else {
		dctx, dcancel := context.WithTimeout(ctx, s.cfg.ProbeTimeout)
		c, err = s.dial(dctx)
		dcancel()
	}
	if err != nil {
		return nil
	}
	defer c.Close()
	defer heard.heard(c)
	if svc := s.call(ctx, p, c); svc != nil {
		return svc
	}
	return anyDatagram(c.sent, c.reply)
}

// anyDatagram offers an answer that its own probe's plugin did not
// recognise to the probes of services that answer any datagram, in
// probe order.
func anyDatagram(sent, reply []byte) *record.Service {
	if len(reply) == 0 {
		return nil
	}
	for _, pr := range probeOrder() {
		if pr.AnyDatagram == nil {
			continue
		}
		if svc, err := pr.AnyDatagram(sent, reply); err == nil && svc != nil {
			out := *svc
			out.Method, out.Banner = "probed", Printable(reply, bannerMax)
			if out.Name == "" {
				out.Name = pr.Name
			}
			if out.Confidence <= 0 {
				out.Confidence = 8
			}
			return &out
		}
	}
	return nil
}

// dialAnyPort opens an unconnected UDP socket that writes to t and reads
// what t's host sends from t's port, or from another port when accept
// takes it. It listens in the caller's network namespace, not through
// Config.Dial.
func dialAnyPort(t Target, cfg Config, accept func([]byte) bool) (*Conn, error) {
	network := "udp4"
	dst := netip.AddrPortFrom(t.Addr.Addr().Unmap(), t.Addr.Port())
	if dst.Addr().Is6() {
		network = "udp6"
	}
	pc, err := net.ListenUDP(network, nil)
	if err != nil {
		return nil, err
	}
	ac := &anyPortConn{UDPConn: pc, dst: dst, accept: accept}
	c := NewConn(ac, portspec.UDP, t.Host, cfg.MaxBytes)
	c.addr, c.now = dst, cfg.Now
	return c, nil
}

// anyPortConn is a net.Conn over an unconnected UDP socket, for a service
// that answers from a fresh port.
type anyPortConn struct {
	*net.UDPConn
	dst    netip.AddrPort
	accept func([]byte) bool
}

// maxStrays bounds the datagrams from others that one Read skips.
const maxStrays = 16

func (c *anyPortConn) Write(p []byte) (int, error) { return c.WriteToUDPAddrPort(p, c.dst) }

func (c *anyPortConn) Read(p []byte) (int, error) {
	for range maxStrays {
		n, from, err := c.ReadFromUDPAddrPort(p)
		if err != nil {
			return n, err
		}
		if from.Addr().Unmap() != c.dst.Addr() {
			continue
		}
		if from.Port() == c.dst.Port() || c.accept(p[:n]) {
			return n, nil
		}
	}
	return 0, errStrays
}

var errStrays = errors.New("fingerprint: only stray datagrams")

func (c *anyPortConn) RemoteAddr() net.Addr { return net.UDPAddrFromAddrPort(c.dst) }

var _ net.Conn = (*anyPortConn)(nil)

// RegisterUDP registers a UDP protocol whose identification is its probe's
// datagrams and a pure parse of the answer: the plugin (named, ported and
// ranked as the probe) and the probe, in one call. Protocols that need
// more register a plugin and a probe of their own.
func RegisterUDP(p UDPProbe, parse func([]byte) (*record.Service, error)) {
	Register(&udpPlugin{probe: p, parse: parse})
	RegisterUDPProbe(p)
}

// udpPlugin is the plugin RegisterUDP makes.
type udpPlugin struct {
	probe UDPProbe
	parse func([]byte) (*record.Service, error)
}

func (u *udpPlugin) Info() Info {
	return Info{Name: u.probe.Name, Proto: portspec.UDP, Ports: u.probe.Ports, Rarity: u.probe.Rarity}
}

func (u *udpPlugin) Identify(_ context.Context, c *Conn) (*record.Service, error) {
	return ExchangeUDP(c, u.probe.Datagrams, u.parse)
}

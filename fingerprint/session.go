package fingerprint

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

// session identifies one port, in clear or, nested, inside TLS.
type session struct {
	cfg   Config
	t     Target
	dial  dialer
	inTLS bool
	tls   *record.TLS
	// spare is a connection opened and not written to, for the next
	// plugin.
	spare *Conn
	// banner is the first thing the service said unprompted.
	banner   []byte
	tried    map[Plugin]bool
	triedTLS bool

	// mu guards dialErrs, written by the probes of a wave, and banner,
	// read by the port's own probes while the greeting is awaited.
	mu sync.Mutex
	// dialErrs are the first connections that failed after one had
	// succeeded: they are the reason when nothing is named.
	dialErrs []error
}

// maxDialErrs bounds the dial errors a session keeps.
const maxDialErrs = 4

// noteDial keeps a failed dial, for the answer when nothing is named.
func (s *session) noteDial(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.dialErrs) < maxDialErrs {
		s.dialErrs = append(s.dialErrs, err)
	}
}

func (s *session) close() {
	if s.spare != nil {
		s.spare.Close()
		s.spare = nil
	}
}

// conn hands out the spare connection or dials a new one.
func (s *session) conn(ctx context.Context) (*Conn, error) {
	if c := s.spare; c != nil {
		s.spare = nil
		return c, nil
	}
	dctx, cancel := context.WithTimeout(ctx, s.cfg.ProbeTimeout)
	defer cancel()
	return s.dial(dctx)
}

func (s *session) run(ctx context.Context) (*record.Service, error) {
	defer s.close()
	s.tried = make(map[Plugin]bool)
	plugins := Plugins(s.t.Proto)
	if s.t.Proto == portspec.UDP {
		return s.runUDP(ctx, plugins)
	}
	port := s.t.Addr.Port()
	var hinted []Plugin
	tlsFirst := false
	for _, p := range plugins {
		clear, inTLS := claims(p, port)
		if clear || (s.inTLS && inTLS) {
			hinted = append(hinted, p)
		}
		tlsFirst = tlsFirst || (inTLS && !s.inTLS)
	}
	// 1. Where the port says TLS, and no clear protocol claims it.
	if tlsFirst && len(hinted) == 0 {
		if svc, ok := s.tryTLS(ctx); ok {
			return svc, nil
		}
	}
	// 2. The port's own client-first protocols, and 3. what the server
	// says unprompted: the wait for a greeting starts when the port's own
	// protocols have not answered within hedgeDelay, and their answer,
	// when they have one, comes first.
	hint := s.tryHinted(ctx, hinted)
	select {
	case svc := <-hint:
		if svc != nil {
			return svc, nil
		}
		hint = nil
	case <-time.After(hedgeDelay):
	}
	svc, err := s.listen(ctx, hinted, plugins)
	if hint != nil {
		if h := <-hint; h != nil {
			return h, nil
		}
	}
	if !errors.Is(err, ErrNoMatch) {
		return svc, err
	}
	// 4. The rest, most common first, a wave at a time: TLS beside the
	// first wave, whose answers come first.
	var rest []Plugin
	for _, p := range plugins {
		if !p.Info().ServerFirst && !s.tried[p] {
			rest = append(rest, p)
		}
	}
	for first := true; ; first = false {
		n := min(len(rest), s.cfg.ProbeParallel)
		wave := s.tryWave
		if first && s.wantTLS() {
			wave = s.tryWaveTLS
		}
		if svc := wave(ctx, rest[:n]); svc != nil {
			return svc, nil
		}
		rest = rest[n:]
		if len(rest) == 0 || ctx.Err() != nil {
			break
		}
	}
	return s.unknown()
}

// hedgeDelay is how long the port's own client-first protocols have the
// port to themselves before the wait for a greeting starts beside them:
// a service on its usual port answers its protocol well within it, and
// one that does not costs the greeting's wait only once.
const hedgeDelay = 250 * time.Millisecond

// tryHinted runs the port's own client-first plugins one after the
// other, each on a connection of its own, and sends the first answer, or
// nil, on the channel it returns. The plugins are marked tried at once.
func (s *session) tryHinted(ctx context.Context, hinted []Plugin) <-chan *record.Service {
	out := make(chan *record.Service, 1)
	var ps []Plugin
	for _, p := range hinted {
		if !p.Info().ServerFirst {
			s.tried[p] = true
			ps = append(ps, p)
		}
	}
	if len(ps) == 0 {
		out <- nil
		return out
	}
	// The spare connection (inside TLS, the handshake's) goes to the
	// first of them, as s.try would hand it out.
	spare := s.spare
	s.spare = nil
	go func() {
		for _, p := range ps {
			c := spare
			spare = nil
			if c == nil {
				dctx, cancel := context.WithTimeout(ctx, s.cfg.ProbeTimeout)
				var err error
				c, err = s.dial(dctx)
				cancel()
				if err != nil {
					s.noteDial(fmt.Errorf("dialling for %s: %w", p.Info().Name, err))
					continue
				}
			}
			svc := s.call(ctx, p, c)
			c.Close()
			if svc != nil {
				out <- svc
				return
			}
		}
		out <- nil
	}()
	return out
}

// tryWaveTLS runs a wave and, beside it, tryTLS: the wave's answer
// comes first, and cuts the TLS attempt short.
func (s *session) tryWaveTLS(ctx context.Context, wave []Plugin) *record.Service {
	s.triedTLS = true
	tctx, cancel := context.WithCancel(ctx)
	defer cancel()
	inTLS := make(chan *record.Service, 1)
	go func() {
		svc, ok := s.tryTLS(tctx)
		if !ok {
			svc = nil
		}
		inTLS <- svc
	}()
	svc := s.tryWave(ctx, wave)
	if svc != nil {
		cancel()
	}
	if t := <-inTLS; svc == nil {
		svc = t
	}
	return svc
}

// wantTLS says whether a TLS handshake is still worth a try: not inside
// TLS already, not tried, and the service did not speak first (a TLS
// server never does).
func (s *session) wantTLS() bool { return !s.inTLS && !s.triedTLS && s.banner == nil }

// tryWave runs client-first plugins at once, each on its connection, and
// returns the answer of the first in order that recognised the service,
// as soon as every plugin before it has given up: the others are cut
// short.
func (s *session) tryWave(ctx context.Context, wave []Plugin) *record.Service {
	if len(wave) == 0 || ctx.Err() != nil {
		return nil
	}
	if len(wave) == 1 {
		return s.try(ctx, wave[0])
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type answer struct {
		i   int
		svc *record.Service
	}
	answers := make(chan answer, len(wave))
	var wg sync.WaitGroup
	spare := s.spare
	s.spare = nil
	for i, p := range wave {
		s.tried[p] = true
		c := spare
		spare = nil
		wg.Add(1)
		go func() {
			defer wg.Done()
			if c == nil {
				dctx, dcancel := context.WithTimeout(wctx, s.cfg.ProbeTimeout)
				var err error
				c, err = s.dial(dctx)
				dcancel()
				if err == nil {
					s.skipBanner(wctx, c)
				}
				if err != nil {
					if wctx.Err() == nil {
						s.noteDial(fmt.Errorf("dialling for %s: %w", p.Info().Name, err))
					}
					answers <- answer{i, nil}
					return
				}
			}
			defer c.Close()
			answers <- answer{i, s.call(wctx, p, c)}
		}()
	}
	found := make([]*record.Service, len(wave))
	done := make([]bool, len(wave))
	for range wave {
		a := <-answers
		found[a.i], done[a.i] = a.svc, true
		for i := range wave {
			if !done[i] {
				break
			}
			if found[i] != nil {
				// The others are cut short, and their connections
				// closed, before the winner is asked again.
				cancel()
				wg.Wait()
				return s.confirm(ctx, wave[i], found[i])
			}
		}
	}
	return nil
}

// confirm asks a plugin that won a wave once more, alone, when its answer
// names no product: a server that limits connections per client (ngircd,
// with its "too many connections") may have cut the wave's probe short.
func (s *session) confirm(ctx context.Context, p Plugin, svc *record.Service) *record.Service {
	if svc.Product != "" || ctx.Err() != nil {
		return svc
	}
	c, err := s.conn(ctx)
	if err != nil {
		s.noteDial(fmt.Errorf("dialling to ask %s again: %w", p.Info().Name, err))
		return svc
	}
	defer c.Close()
	if again := s.call(ctx, p, c); again != nil && again.Product != "" {
		return again
	}
	return svc
}

// unknown is the answer when no plugin recognised the service: the
// banner, if the service said anything, else ErrNoMatch, joined with the
// connections that failed on the way.
func (s *session) unknown() (*record.Service, error) {
	s.mu.Lock()
	errs := errors.Join(s.dialErrs...)
	s.mu.Unlock()
	if s.banner == nil {
		if errs != nil {
			return nil, fmt.Errorf("%w (%w)", ErrNoMatch, errs)
		}
		return nil, ErrNoMatch
	}
	svc := &record.Service{
		Name:   "unknown",
		Method: "probed",
		Banner: Printable(s.banner, bannerMax),
	}
	if errs != nil {
		svc.ExtraInfo = "some probes could not connect: " + strings.ReplaceAll(errs.Error(), "\n", "; ")
	}
	return svc, nil
}

// listen waits for a banner on a fresh connection and offers it to the
// server-first plugins, the port's own first. It returns ErrNoMatch when
// none named the service. A connection that fails before a banner ends
// identification only when nothing can be dialled: the first dial's
// error is returned, later ones are kept for the final answer.
func (s *session) listen(ctx context.Context, hinted, plugins []Plugin) (*record.Service, error) {
	c, err := s.bannerConn(ctx)
	if err != nil {
		if errors.Is(err, errNoBanner) {
			return nil, ErrNoMatch
		}
		return nil, err
	}
	var order []Plugin
	for _, p := range hinted {
		if p.Info().ServerFirst {
			order = append(order, p)
		}
	}
	for _, p := range plugins {
		if p.Info().ServerFirst && !s.tried[p] && !contains(order, p) {
			order = append(order, p)
		}
	}
	for _, p := range order {
		if c == nil || c.wrote {
			if c != nil {
				c.Close()
			}
			if c, err = s.bannerConn(ctx); err != nil {
				if !errors.Is(err, errNoBanner) {
					s.noteDial(fmt.Errorf("redialling for %s: %w", p.Info().Name, err))
				}
				return nil, ErrNoMatch
			}
		}
		s.tried[p] = true
		if svc := s.call(ctx, p, c); svc != nil {
			c.Close()
			return svc, nil
		}
	}
	if c != nil {
		c.Close()
	}
	return nil, ErrNoMatch
}

var errNoBanner = errors.New("no banner")

// bannerConn dials and waits for a banner. Without one, the connection is
// kept as the spare and errNoBanner returned.
func (s *session) bannerConn(ctx context.Context) (*Conn, error) {
	c, err := s.conn(ctx)
	if err != nil {
		return nil, err
	}
	dl, _ := ctx.Deadline()
	c.readBanner(s.cfg.BannerWait, bannerGap, dl)
	if c.banner == nil {
		if ctx.Err() == nil && c.read == 0 {
			s.spare = c
		} else {
			c.Close()
		}
		return nil, errNoBanner
	}
	s.mu.Lock()
	if s.banner == nil {
		s.banner = c.banner
	}
	s.mu.Unlock()
	return c, nil
}

// redial opens a connection for Conn.Redial: fresh, past the greeting.
func (s *session) redial(ctx context.Context) (*Conn, error) {
	c, err := s.dial(ctx)
	if err != nil {
		return nil, err
	}
	s.skipBanner(ctx, c)
	return c, nil
}

// skipBanner reads the greeting of a service known to greet, on a fresh
// connection for a client-first plugin, so that the plugin reads the
// answer to its request, not the greeting. A connection that read
// anything already (the spare has not) is left as it is.
func (s *session) skipBanner(ctx context.Context, c *Conn) {
	s.mu.Lock()
	greeted := s.banner != nil
	s.mu.Unlock()
	if !greeted || c.read > 0 || c.wrote {
		return
	}
	dl, _ := ctx.Deadline()
	c.readBanner(s.cfg.BannerWait, bannerGap, dl)
}

func contains(ps []Plugin, p Plugin) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

// try runs a client-first plugin on a connection of its own.
func (s *session) try(ctx context.Context, p Plugin) *record.Service {
	s.tried[p] = true
	c, err := s.conn(ctx)
	if err != nil {
		s.noteDial(fmt.Errorf("dialling for %s: %w", p.Info().Name, err))
		return nil
	}
	defer c.Close()
	s.skipBanner(ctx, c)
	return s.call(ctx, p, c)
}

// call runs one plugin within the probe's time, and completes what it
// found.
func (s *session) call(ctx context.Context, p Plugin, c *Conn) *record.Service {
	pctx, cancel := context.WithTimeout(ctx, s.cfg.ProbeTimeout+p.Info().Linger)
	defer cancel()
	dl, _ := pctx.Deadline()
	c.deadline = dl
	c.nc.SetDeadline(dl)
	c.redial = s.redial
	stop := context.AfterFunc(pctx, func() { c.nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	svc, err := p.Identify(pctx, c)
	if err != nil || svc == nil {
		return nil
	}
	out := *svc
	out.Method = "probed"
	if out.Name == "" {
		out.Name = p.Info().Name
	}
	if out.Confidence <= 0 {
		out.Confidence = 8
	}
	if out.Banner == "" {
		// What the service said unprompted, else the first it answered.
		switch {
		case len(c.banner) > 0:
			out.Banner = Printable(c.banner, bannerMax)
		case len(c.first) > 0:
			out.Banner = Printable(c.first, bannerMax)
		}
	}
	if c.tls != nil {
		out.TLS = c.tls
	}
	if s.inTLS {
		out.Tunnel = "ssl"
	}
	return &out
}

// tryTLS tries a TLS handshake and, when the server takes it, identifies
// what runs inside.
func (s *session) tryTLS(ctx context.Context) (*record.Service, bool) {
	s.triedTLS = true
	wrap := s.cfg.tlsDialer(s.t, s.dial)
	hctx, cancel := context.WithTimeout(ctx, s.cfg.ProbeTimeout)
	c, err := wrap(hctx)
	cancel()
	if err != nil {
		return nil, false
	}
	inner := &session{cfg: s.cfg, t: s.t, dial: wrap, inTLS: true, tls: c.tls, spare: c}
	svc, err := inner.run(ctx)
	if err != nil {
		// Nothing inside spoke a protocol we know: the service is
		// unknown, in a TLS tunnel whose session is described.
		svc = &record.Service{Name: "unknown", Method: "probed"}
		if err != ErrNoMatch { //nolint:errorlint // a bare ErrNoMatch says no more than the name
			svc.ExtraInfo = "inside TLS: " + err.Error()
		}
	}
	svc.Tunnel = "ssl"
	svc.TLS = c.tls
	return svc, true
}

// runUDP offers each plugin a datagram exchange, the port's own first.
func (s *session) runUDP(ctx context.Context, plugins []Plugin) (*record.Service, error) {
	port := s.t.Addr.Port()
	var order []Plugin
	for _, p := range plugins {
		if clear, _ := claims(p, port); clear {
			order = append(order, p)
		}
	}
	for _, p := range plugins {
		if !contains(order, p) {
			order = append(order, p)
		}
	}
	// Datagrams cost nothing to send: every probe goes at once, a wave at
	// a time, and the first in order that is answered wins.
	for len(order) > 0 && ctx.Err() == nil {
		n := min(len(order), s.cfg.ProbeParallel)
		if svc := s.tryWave(ctx, order[:n]); svc != nil {
			return svc, nil
		}
		order = order[n:]
	}
	return nil, ErrNoMatch
}

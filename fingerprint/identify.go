package fingerprint

import (
	"context"
	"crypto/tls"
	"strings"

	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

// The defaults of Config's zero value.
const (
	DefaultTimeout      = 10 * time.Second
	DefaultProbeTimeout = 1500 * time.Millisecond
	DefaultBannerWait   = time.Second
	defaultMaxBytes     = 64 << 10
	bannerGap           = 40 * time.Millisecond
)

// Config is how identification runs. The zero value is usable: every zero
// field takes its default.
type Config struct {
	// Timeout is the whole budget of one port (default 10 s).
	Timeout time.Duration
	// ProbeTimeout bounds one plugin's exchange (default 1.5 s).
	ProbeTimeout time.Duration
	// BannerWait is how long a fresh connection waits for the server to
	// speak first (default 1 s).
	BannerWait time.Duration
	// MaxBytes is the byte budget of one connection (default 64 KiB).
	MaxBytes int
	// ProbeParallel is how many probes of one port may run at once, each
	// on its own connection, once the port's usual protocols and its
	// banner said nothing (default 16).
	ProbeParallel int
	// Dial opens connections; nil uses a net.Dialer.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
	// Now is the clock certificates are judged by; nil is time.Now.
	Now func() time.Time
	// UDPLimiter bounds the UDP probes in flight to each host, shared by
	// the Configs that hold it; nil limits each port's own probes to
	// DefaultUDPPerHost.
	UDPLimiter *UDPLimiter
}

// Target is one open port to identify.
type Target struct {
	Addr  netip.AddrPort
	Proto portspec.Proto
	// Host is the name the user gave for the address, if any: it goes in
	// Host headers and TLS server names.
	Host string
}

func (cfg Config) withDefaults() Config {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.ProbeTimeout <= 0 {
		cfg.ProbeTimeout = DefaultProbeTimeout
	}
	if cfg.BannerWait <= 0 {
		cfg.BannerWait = DefaultBannerWait
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = defaultMaxBytes
	}
	if cfg.ProbeParallel <= 0 {
		cfg.ProbeParallel = 16
	}
	if cfg.Dial == nil {
		var d net.Dialer
		cfg.Dial = d.DialContext
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg
}

// Identify names the service on one open port. It returns ErrNoMatch when
// no plugin recognised the service and it said nothing; a service that
// spoke but was not recognised is "unknown", with its banner. Identify
// never takes longer than the Timeout.
func (cfg Config) Identify(ctx context.Context, t Target) (*record.Service, error) {
	cfg = cfg.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	s := &session{cfg: cfg, t: t, dial: cfg.plainDialer(t)}
	run := s.run
	if t.Proto == portspec.UDP {
		run = s.identifyUDP // udp.go: every UDP probe, a few at a time per host
	}
	svc, err := run(ctx)
	if err != nil {
		if ctx.Err() != nil && !errors.Is(err, ErrNoMatch) {
			return nil, fmt.Errorf("identifying %s/%s: %w", t.Addr, t.Proto, ctx.Err())
		}
		return nil, err
	}
	return svc, nil
}

// dialer opens a fresh connection of a session, in clear or in TLS.
type dialer func(ctx context.Context) (*Conn, error)

func (cfg Config) plainDialer(t Target) dialer {
	network := "tcp"
	if t.Proto == portspec.UDP {
		network = "udp"
	}
	return func(ctx context.Context) (*Conn, error) {
		nc, err := cfg.Dial(ctx, network, t.Addr.String())
		if err != nil {
			return nil, err
		}
		c := NewConn(nc, t.Proto, t.Host, cfg.MaxBytes)
		c.addr, c.now = t.Addr, cfg.Now
		return c, nil
	}
}

// tlsDialer wraps each connection of plain in a TLS session.
func (cfg Config) tlsDialer(t Target, plain dialer) dialer {
	conf := clientTLSConfig(t.Host)
	return func(ctx context.Context) (*Conn, error) {
		c, err := plain(ctx)
		if err != nil {
			return nil, err
		}
		if dl, ok := ctx.Deadline(); ok {
			c.nc.SetDeadline(dl)
		}
		tc, info, err := handshake(ctx, c.nc, conf, cfg.Now())
		if err != nil && isNoALPN(err) {
			// The server knows no protocol we offered: ask again,
			// offering none.
			c.Close()
			if c, err = plain(ctx); err != nil {
				return nil, err
			}
			if dl, ok := ctx.Deadline(); ok {
				c.nc.SetDeadline(dl)
			}
			bare := conf.Clone()
			bare.NextProtos = nil
			tc, info, err = handshake(ctx, c.nc, bare, cfg.Now())
		}
		if err != nil {
			c.Close()
			return nil, err
		}
		tc.SetDeadline(time.Time{})
		c.nc, c.tls, c.tlsConf = tc, info, conf
		return c, nil
	}
}

// Try runs one plugin against a target the way Identify does (a
// server-first plugin sees the banner first), without the others: for
// tests of plugins and for asking about one protocol.
func (cfg Config) Try(ctx context.Context, p Plugin, t Target) (*record.Service, error) {
	cfg = cfg.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	s := &session{cfg: cfg, t: t, dial: cfg.plainDialer(t), tried: map[Plugin]bool{}}
	defer s.close()
	var c *Conn
	var err error
	if p.Info().ServerFirst {
		if c, err = s.bannerConn(ctx); err != nil {
			return nil, fmt.Errorf("%s: %w", p.Info().Name, err)
		}
	} else if c, err = s.conn(ctx); err != nil {
		return nil, err
	}
	defer c.Close()
	if svc := s.call(ctx, p, c); svc != nil {
		return svc, nil
	}
	return nil, ErrNoMatch
}

// isNoALPN reports whether a handshake failed on the server's
// no_application_protocol alert (120).
func isNoALPN(err error) bool {
	var ae tls.AlertError
	return errors.As(err, &ae) && uint8(ae) == 120 || strings.Contains(err.Error(), "no application protocol")
}

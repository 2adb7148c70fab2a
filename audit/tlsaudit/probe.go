package tlsaudit

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"slices"
	"syscall"
	"time"

	"github.com/ajarsec/ajar/audit"
)

// Accepted is what a server takes at one protocol version: the suites,
// in the server's order of preference when ServerOrder, else in the
// order they were offered (the server follows the client's).
type Accepted struct {
	Version     uint16
	Suites      []uint16
	ServerOrder bool
}

// Report is what probing a TLS server found: the versions it accepts,
// best first, and the certificates it presented.
type Report struct {
	Versions []Accepted
	Certs    []*x509.Certificate
	// Incomplete says why the enumeration stopped early ("" when whole):
	// the findings judge what was seen.
	Incomplete string
}

// Accepts reports whether the server accepted version v.
func (r *Report) Accepts(v uint16) bool {
	return slices.ContainsFunc(r.Versions, func(a Accepted) bool { return a.Version == v })
}

// The bounds of a probe: hellos per version (the suites a server can
// take at one version are fewer), and the wait for one answer.
const (
	maxRounds  = 96
	helloWait  = 2 * time.Second
	maxFlight  = 48 << 10
	maxOneHand = 20 << 10
)

// errRefused: the server closed or reset the connection instead of
// answering the hello: the version or suites are refused.
var errRefused = errors.New("tlsaudit: hello refused")

// prober sends hellos to one service.
type prober struct {
	t       *audit.Target
	sni     string
	command string // the STARTTLS command, "" for implicit TLS
}

// dial opens a connection ready for a hello.
func (p *prober) dial(ctx context.Context) (net.Conn, error) {
	c, err := p.t.DialPlain(ctx)
	if err != nil {
		return nil, err
	}
	if p.command != "" {
		if err := startTLS(c, p.t.Service.Name, p.command); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// hello sends one hello and reads the answer: a ServerHello (the flight
// up to ServerHelloDone with wantCerts), an alert, or errRefused.
func (p *prober) hello(ctx context.Context, version uint16, suites []uint16, wantCerts bool) (ServerHello, error) {
	msg, err := Hello(version, suites, p.sni)
	if err != nil {
		return ServerHello{}, err
	}
	c, err := p.dial(ctx)
	if err != nil {
		return ServerHello{}, err
	}
	defer c.Close()
	dl := time.Now().Add(helloWait)
	if d, ok := ctx.Deadline(); ok && d.Before(dl) {
		dl = d
	}
	c.SetDeadline(dl)
	if _, err := c.Write(msg); err != nil {
		return ServerHello{}, refusal(err)
	}
	max := maxOneHand
	if wantCerts {
		max = maxFlight
	}
	if version == VersionSSL2 {
		b, err := audit.ReadUntil(c, func(b []byte) bool { return len(b) >= 13 }, 64)
		if ParseSSLv2(b) {
			return ServerHello{Version: VersionSSL2}, nil
		}
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			return ServerHello{}, refusal(err)
		}
		return ServerHello{}, errRefused
	}
	var sh ServerHello
	var perr error
	_, err = audit.ReadUntil(c, func(b []byte) bool {
		sh, perr = ParseFlight(b, wantCerts)
		return !errors.Is(perr, ErrShort)
	}, max)
	if perr == nil {
		return sh, nil
	}
	if !errors.Is(perr, ErrShort) {
		return sh, errRefused // not TLS: a refusal of this hello
	}
	return sh, refusal(err)
}

// refusal turns a connection's end into errRefused; a timeout too, as
// some servers never answer a hello they do not understand. Other
// errors are returned.
func refusal(err error) error {
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, os.ErrDeadlineExceeded) {
		return errRefused
	}
	return err
}

// offered is every suite a hello for version offers.
func offered(version uint16) []uint16 {
	all := suites12
	if version == VersionTLS13 {
		all = suites13
	}
	ids := make([]uint16, len(all))
	for i, s := range all {
		ids[i] = s.ID
	}
	return ids
}

// accepts sends one hello for version with every suite: whether the
// server accepts the version, the suite it chose, and (wantCerts) its
// certificates.
func (p *prober) accepts(ctx context.Context, version uint16, wantCerts bool) (Accepted, []*x509.Certificate, error) {
	acc := Accepted{Version: version}
	sh, err := p.hello(ctx, version, offered(version), wantCerts)
	switch {
	case err != nil:
		return acc, nil, ignoreRefusal(err)
	case version == VersionSSL2:
		acc.Suites = []uint16{0} // SSL 2.0's kinds are not TLS suites
	case sh.Alert == 0 && sh.Version == version && slices.Contains(offered(version), sh.Suite):
		acc.Suites = []uint16{sh.Suite}
	}
	return acc, sh.Certs, nil
}

// enumerate finds the other suites the server accepts at acc's version:
// offer them all but those it chose, take away the one it chooses, offer
// again, until it refuses (at most maxRounds hellos). Then it offers the
// accepted ones in reverse: a server that still chooses its first one
// has an order of its own.
func (p *prober) enumerate(ctx context.Context, acc *Accepted) error {
	offer := slices.DeleteFunc(offered(acc.Version), func(s uint16) bool { return slices.Contains(acc.Suites, s) })
	for round := 0; round < maxRounds && len(offer) > 0; round++ {
		sh, err := p.hello(ctx, acc.Version, offer, false)
		if err != nil {
			return ignoreRefusal(err)
		}
		if sh.Alert != 0 || sh.Version != acc.Version || !slices.Contains(offer, sh.Suite) {
			break
		}
		acc.Suites = append(acc.Suites, sh.Suite)
		offer = slices.DeleteFunc(offer, func(s uint16) bool { return s == sh.Suite })
	}
	if len(acc.Suites) > 1 {
		rev := slices.Clone(acc.Suites)
		slices.Reverse(rev)
		sh, err := p.hello(ctx, acc.Version, rev, false)
		if err != nil {
			return ignoreRefusal(err)
		}
		acc.ServerOrder = sh.Suite == acc.Suites[0]
	}
	return nil
}

func ignoreRefusal(err error) error {
	if errors.Is(err, errRefused) {
		return nil
	}
	return err
}

// Probe finds the versions and suites a TLS service accepts and the
// certificates it presents, hello by hello, within ctx. command is the
// STARTTLS command identification recorded, "" for implicit TLS.
func Probe(ctx context.Context, t *audit.Target, command string) (Report, error) {
	p := &prober{t: t, sni: serverName(t.Host), command: command}
	var r Report
	// First the versions, one hello each, and the certificates: should
	// the budget end while the suites are counted, they are known.
	for _, v := range []uint16{VersionTLS13, VersionTLS12, VersionTLS11, VersionTLS10, VersionSSL3, VersionSSL2} {
		acc, certs, err := p.accepts(ctx, v, r.Certs == nil && v != VersionTLS13)
		if err != nil {
			r.Incomplete = "stopped at " + VersionName(v) + ": " + err.Error()
			return r, err
		}
		if len(acc.Suites) > 0 {
			r.Versions = append(r.Versions, acc)
		}
		if r.Certs == nil {
			r.Certs = certs
		}
	}
	if r.Certs == nil && r.Accepts(VersionTLS13) {
		// TLS 1.3 encrypts the certificate: Go's client reads it.
		cs, err := p.goHandshake(ctx)
		if err != nil {
			return r, err
		}
		r.Certs = cs.PeerCertificates
	}
	for i := range r.Versions {
		if r.Versions[i].Version == VersionSSL2 {
			continue
		}
		if err := p.enumerate(ctx, &r.Versions[i]); err != nil {
			r.Incomplete = "suites of " + VersionName(r.Versions[i].Version) + ": " + err.Error()
			return r, err
		}
	}
	return r, nil
}

// goHandshake makes one handshake with Go's client (any version), never
// verifying: judging the certificate is JudgeChain's work.
func (p *prober) goHandshake(ctx context.Context) (tls.ConnectionState, error) {
	c, err := p.dial(ctx)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer c.Close()
	tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true, ServerName: p.sni}) //nolint:gosec // judged apart
	if err := tc.HandshakeContext(ctx); err != nil {
		return tls.ConnectionState{}, err
	}
	return tc.ConnectionState(), nil
}

// Package tlsaudit judges a service's TLS from what Go's crypto/tls can
// observe: the legacy protocol versions it still accepts (TLS 1.0 and
// 1.1, which Go's client can still offer when asked) and the certificate
// it presents (expired, not yet valid, self-signed, untrusted, for
// another name, an RSA key under 2048 bits, a SHA-1 or MD5 signature).
// SSLv3, cipher suites per version and STARTTLS services are not judged
// yet. On a STARTTLS service, the certificate identification saw after
// the upgrade is judged (JudgeCertRecord), less surely: expiry,
// self-signature, key size and name, not trust or signature hash. The
// judgements (JudgeVersions, JudgeChain, JudgeCertRecord) are pure.
package tlsaudit

import (
	"context"
	"crypto/tls"
	"fmt"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { audit.Register(check{}) }

type check struct{}

func (check) Info() audit.Info {
	return audit.Info{Name: "tls", TLS: true, Proto: portspec.TCP}
}

// legacy are the versions RFC 8996 deprecates that Go's client can still
// offer.
var legacy = []uint16{tls.VersionTLS10, tls.VersionTLS11}

// allSuites offers every suite Go has, weak ones included: the point is
// to see what the server accepts.
func allSuites() []uint16 {
	var ids []uint16
	for _, s := range tls.CipherSuites() {
		ids = append(ids, s.ID)
	}
	for _, s := range tls.InsecureCipherSuites() {
		ids = append(ids, s.ID)
	}
	return ids
}

func (check) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	if t.Service == nil {
		return nil, audit.ErrNotApplicable
	}
	if t.Service.Tunnel != "ssl" {
		// STARTTLS: the certificate identification saw after the
		// upgrade is judged; versions are not (yet).
		if tl := t.Service.TLS; tl != nil && tl.Cert != nil {
			return JudgeCertRecord(tl.Cert, tl.StartTLS, t.Name(), t.Now()), nil
		}
		return nil, audit.ErrNotApplicable
	}
	cs, err := handshake(ctx, t, &tls.Config{MinVersion: tls.VersionTLS10, CipherSuites: allSuites()})
	if err != nil {
		return nil, err
	}
	fs := JudgeChain(cs.PeerCertificates, t.Name(), t.Now(), t.Roots())
	var accepted []uint16
	for _, v := range legacy {
		conf := &tls.Config{MinVersion: v, MaxVersion: v, CipherSuites: allSuites()}
		if _, err := handshake(ctx, t, conf); err == nil {
			accepted = append(accepted, v)
		} else if ctx.Err() != nil {
			return fs, err
		}
	}
	return append(fs, JudgeVersions(accepted)...), nil
}

// handshake makes one TLS handshake with conf (never verifying: judging
// the certificate is JudgeChain's work) and closes the connection.
func handshake(ctx context.Context, t *audit.Target, conf *tls.Config) (tls.ConnectionState, error) {
	c, err := t.DialPlain(ctx)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer c.Close()
	conf.InsecureSkipVerify = true //nolint:gosec // the chain is judged apart
	conf.ServerName = serverName(t.Host)
	tc := tls.Client(c, conf)
	if err := tc.HandshakeContext(ctx); err != nil {
		return tls.ConnectionState{}, fmt.Errorf("TLS handshake: %w", err)
	}
	return tc.ConnectionState(), nil
}

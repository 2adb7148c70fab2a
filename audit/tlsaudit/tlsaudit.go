// Package tlsaudit judges a service's TLS as testssl.sh and sslyze do,
// from hellos it builds itself (golang.org/x/crypto/cryptobyte), since
// Go's crypto/tls cannot offer SSL 3.0 nor most weak suites: which of
// SSL 2.0, SSL 3.0 and TLS 1.0 to 1.3 the server accepts; at each, the
// suites it accepts (offer all, take away the one it chose, offer again,
// a bounded number of times) and whether it imposes its own order;
// forward secrecy; the certificate chain (expired, not yet valid,
// self-signed, untrusted, for another name, an RSA key under 2048 bits,
// a SHA-1 or MD5 signature); and a grade (Grade documents its rules).
// Each hello stops at the ServerHello (or ServerHelloDone, once, for the
// certificates): no session is ever completed.
//
// It runs on implicit TLS and, for FTP (AUTH TLS), SMTP, IMAP, NNTP
// (STARTTLS) and POP3 (STLS), after the STARTTLS dialogue, on every
// connection. On other STARTTLS services the certificate identification
// saw is judged, less surely (JudgeCertRecord). The judgements
// (JudgeReport, JudgeChain, JudgeCertRecord, Grade) are pure.
package tlsaudit

import (
	"context"
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

func (check) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	if t.Service == nil {
		return nil, audit.ErrNotApplicable
	}
	command := ""
	if t.Service.Tunnel != "ssl" {
		tl := t.Service.TLS
		if tl == nil {
			return nil, audit.ErrNotApplicable
		}
		command = tl.StartTLS
		if _, ok := upgrades[[2]string{t.Service.Name, command}]; !ok {
			// A dialogue not spoken here: the certificate identification
			// saw after the upgrade is judged.
			if tl.Cert == nil {
				return nil, audit.ErrNotApplicable
			}
			return JudgeCertRecord(tl.Cert, command, t.Name(), t.Now()), nil
		}
	}
	r, err := Probe(ctx, t, command)
	if err == nil && len(r.Versions) == 0 {
		return nil, audit.ErrNotApplicable // no hello answered: not TLS here
	}
	fs := JudgeChain(r.Certs, t.Name(), t.Now(), t.Roots())
	if command != "" {
		for i := range fs {
			fs[i].Evidence += " (after " + command + ")"
		}
	}
	fs = append(fs, JudgeReport(&r)...)
	if err != nil {
		// What was seen is judged; the grade needs the whole picture.
		return fs, fmt.Errorf("TLS enumeration: %w", err)
	}
	if g, ok := gradeFinding(&r, fs); ok {
		fs = append(fs, g)
	}
	return fs, nil
}

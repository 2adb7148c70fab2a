package store

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/fingerprint/postgresql"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { audit.Register(postgresCheck{}) }

type postgresCheck struct{}

func (postgresCheck) Info() audit.Info {
	return audit.Info{Name: "postgresql-trust", Services: []string{"postgresql"}, Proto: portspec.TCP}
}

// pgUser is the one user the check starts a session as: the superuser
// every cluster has (initdb's default). No password is ever sent.
const pgUser = "postgres"

// pgTerminate ends the session politely.
var pgTerminate = []byte{'X', 0, 0, 0, 4}

func (postgresCheck) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	b, err := pgStartup(ctx, t, false)
	if err == nil && pgNeedsTLS(b) {
		// pg_hba.conf has only hostssl lines for us: the same startup
		// inside TLS.
		b, err = pgStartup(ctx, t, true)
	}
	if err != nil {
		return nil, err
	}
	return JudgePostgres(b)
}

// pgStartup sends the one StartupMessage, in TLS after an SSLRequest
// when asked, and returns the server's answer.
func pgStartup(ctx context.Context, t *audit.Target, inTLS bool) ([]byte, error) {
	c, err := t.Dial(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if inTLS {
		ans, err := audit.Exchange(c, postgresql.SSLRequest(), func(b []byte) bool { return len(b) > 0 }, 1)
		if err != nil || string(ans) != "S" {
			return nil, audit.ErrNotApplicable
		}
		tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // the certificate is judged elsewhere
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, fmt.Errorf("TLS after SSLRequest: %w", err)
		}
		c = tc
	}
	b, err := audit.Exchange(c, postgresql.StartupMessage(pgUser, pgUser), pgStartupDone, replyMax)
	if err != nil && !pgStartupDone(b) {
		return nil, fmt.Errorf("startup as %s: %w", pgUser, err)
	}
	c.Write(pgTerminate)
	return b, nil
}

// pgNeedsTLS: an ErrorResponse saying no pg_hba.conf line matches a
// connection without encryption (PostgreSQL 12 and later say "no
// encryption", earlier ones "SSL off").
func pgNeedsTLS(b []byte) bool {
	typ, body, _, whole, ok := pgMessage(b)
	return ok && whole && typ == 'E' && bytes.Contains(body, []byte("C28000\x00")) &&
		(bytes.Contains(body, []byte("no encryption")) || bytes.Contains(body, []byte("SSL off")))
}

// pgMessage splits the first backend message off b: its type and body,
// whole false while it is incomplete, ok false when b cannot be one.
func pgMessage(b []byte) (typ byte, body, rest []byte, whole, ok bool) {
	if len(b) < 5 {
		return 0, nil, b, false, true
	}
	n := int(binary.BigEndian.Uint32(b[1:5]))
	if n < 4 || n > replyMax {
		return 0, nil, b, false, false
	}
	if len(b) < 1+n {
		return 0, nil, b, false, true
	}
	return b[0], b[5 : 1+n], b[1+n:], true, true
}

// pgStartupDone: an ErrorResponse, an authentication request other than
// AuthenticationOk, or ReadyForQuery after AuthenticationOk.
func pgStartupDone(b []byte) bool {
	for {
		typ, body, rest, whole, ok := pgMessage(b)
		if !ok {
			return true
		}
		if !whole {
			return false
		}
		switch {
		case typ == 'E' || typ == 'Z':
			return true
		case typ == 'R' && (len(body) < 4 || binary.BigEndian.Uint32(body) != 0):
			return true
		}
		b = rest
	}
}

// JudgePostgres judges a server's answer to a StartupMessage for user
// and database postgres, sent with no password: AuthenticationOk means
// the server trusts the client's word for who it is (pg_hba.conf method
// trust), so anyone who reaches the port is the superuser. A request for
// a password, an ErrorResponse or anything else is not applicable.
func JudgePostgres(b []byte) ([]record.Finding, error) {
	var ev []string
	ok := false
	for len(b) > 0 {
		typ, body, rest, whole, valid := pgMessage(b)
		if !valid || !whole {
			break
		}
		b = rest
		switch typ {
		case 'R':
			if len(body) < 4 {
				return nil, audit.ErrNotApplicable
			}
			code := binary.BigEndian.Uint32(body)
			if code != 0 || len(body) != 4 {
				return nil, audit.ErrNotApplicable
			}
			ok = true
			ev = append(ev, "authentication request: AuthenticationOk (code 0), no password asked")
		case 'S':
			if p := strings.SplitN(string(body), "\x00", 3); len(p) == 3 && p[0] == "server_version" {
				ev = append(ev, "server_version "+p[1])
			}
		case 'E':
			return nil, audit.ErrNotApplicable
		}
	}
	if !ok {
		return nil, audit.ErrNotApplicable
	}
	return []record.Finding{{
		ID: "postgresql-trust", Category: record.NoAuth, Severity: record.Critical,
		Title:    "PostgreSQL lets a client in as the superuser postgres without a password (trust authentication)",
		Evidence: audit.Evidence([]byte("startup as user postgres, database postgres, no password: " + strings.Join(ev, ", "))),
		Remediation: "in pg_hba.conf replace the `trust` method of every `host`/`hostssl` line with `scram-sha-256` " +
			"(and set `password_encryption = scram-sha-256`), give postgres a password, then `SELECT pg_reload_conf()`; " +
			"keep `listen_addresses = 'localhost'` unless remote clients need it",
		References: []string{"CWE-287", "CWE-306", "https://www.postgresql.org/docs/current/auth-trust.html"},
		Confidence: record.Confirmed,
	}}, nil
}

package audit

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

// ErrBudget is returned by reads once a check has read its byte budget:
// a server that sends forever costs at most that much.
var ErrBudget = errors.New("audit: byte budget spent")

// Target is the service a check judges: where it is and what
// identification said of it. Its connections share the check's budget.
type Target struct {
	Addr  netip.AddrPort
	Proto portspec.Proto
	// Host is the name the user gave, "" for the address: what a TLS
	// certificate must name.
	Host string
	// Service is what identification found.
	Service *record.Service

	budget *budget
	now    func() time.Time
	roots  *x509.CertPool
}

// Roots are the CAs a certificate must chain to; nil is the system's.
func (t *Target) Roots() *x509.CertPool { return t.roots }

type budget struct{ left int }

// Now is the audit's clock.
func (t *Target) Now() time.Time {
	if t.now == nil {
		return time.Now()
	}
	return t.now()
}

// Name is what the service should be called by: Host, or the address.
func (t *Target) Name() string {
	if t.Host != "" {
		return t.Host
	}
	return t.Addr.Addr().String()
}

// DialPlain opens a connection to the service with the check's deadline
// (the context's) and byte budget, in clear even when the service runs in
// TLS.
func (t *Target) DialPlain(ctx context.Context) (*Conn, error) {
	var d net.Dialer
	network := "tcp"
	if t.Proto == portspec.UDP {
		network = "udp"
	}
	nc, err := d.DialContext(ctx, network, t.Addr.String())
	if err != nil {
		return nil, fmt.Errorf("dialling %s: %w", t.Addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		nc.SetDeadline(dl)
	}
	if t.budget == nil {
		t.budget = &budget{left: DefaultMaxBytes}
	}
	return &Conn{Conn: nc, budget: t.budget}, nil
}

// Dial opens a connection to the service as identification found it: in
// TLS from the first byte when it runs there (the certificate is not
// verified: judging it is another check's work).
func (t *Target) Dial(ctx context.Context) (net.Conn, error) {
	c, err := t.DialPlain(ctx)
	if err != nil || t.Service == nil || t.Service.Tunnel != "ssl" {
		return c, err
	}
	tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true, ServerName: serverName(t.Host)}) //nolint:gosec // judged elsewhere
	if err := tc.HandshakeContext(ctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("TLS handshake with %s: %w", t.Addr, err)
	}
	return tc, nil
}

// serverName is the SNI for a host: none for an address.
func serverName(host string) string {
	if _, err := netip.ParseAddr(host); err == nil {
		return ""
	}
	return host
}

// Conn is a connection of a check: reads fail with ErrBudget once the
// check's bytes are spent, and with a timeout once its time is.
type Conn struct {
	net.Conn
	budget *budget
}

// Read reads within the budget.
func (c *Conn) Read(p []byte) (int, error) {
	if c.budget.left <= 0 {
		return 0, ErrBudget
	}
	if len(p) > c.budget.left {
		p = p[:c.budget.left]
	}
	n, err := c.Conn.Read(p)
	c.budget.left -= n
	return n, err
}

// ReadUntil reads from r until done says the bytes are whole, max bytes
// are read, or reading fails. It returns what it read, and the error
// that stopped it before done said yes (nil when done did).
func ReadUntil(r net.Conn, done func([]byte) bool, max int) ([]byte, error) {
	buf := make([]byte, 0, min(max, 4096))
	chunk := make([]byte, 2048)
	for len(buf) < max {
		n, err := r.Read(chunk[:min(len(chunk), max-len(buf))])
		buf = append(buf, chunk[:n]...)
		if done(buf) {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, ErrBudget
}

// Exchange writes req whole, then reads as ReadUntil does.
func Exchange(c net.Conn, req []byte, done func([]byte) bool, max int) ([]byte, error) {
	if _, err := c.Write(req); err != nil {
		return nil, err
	}
	return ReadUntil(c, done, max)
}

// UntilLine is a ReadUntil test: a whole line.
func UntilLine(b []byte) bool { return bytes.IndexByte(b, '\n') >= 0 }

// UntilContains is a ReadUntil test: sub has come.
func UntilContains(sub string) func([]byte) bool {
	return func(b []byte) bool { return bytes.Contains(b, []byte(sub)) }
}

package fingerprint

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"time"

	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

// ErrBudget is returned by reads once a connection has read its byte
// budget: a peer that sends forever costs at most that much memory.
var ErrBudget = errors.New("fingerprint: byte budget spent")

// bannerMax is how much of what a service said is kept as its banner.
const bannerMax = 256

// Conn is one connection to the service under identification, handed to a
// plugin. Its deadline is the probe's: reads and writes fail with a
// timeout once the probe's time is up, and every read counts against the
// connection's byte budget.
type Conn struct {
	nc     net.Conn
	proto  portspec.Proto
	addr   netip.AddrPort
	host   string
	banner []byte
	// first holds the first bytes read on the connection, for the
	// Service's banner.
	first []byte
	// sent and reply are, on UDP, the first datagram written and the
	// first read, for probes that judge any answer (UDPProbe.AnyDatagram).
	sent, reply []byte
	read        int
	maxBytes    int
	wrote       bool
	tls         *record.TLS
	tlsConf     *tls.Config
	now         func() time.Time
	// deadline is the probe's deadline, which Shorten never passes.
	deadline time.Time
	// redial opens another connection like this one, for Redial; nil
	// when the connection was not handed out by the core.
	redial func(ctx context.Context) (*Conn, error)
	// redials counts the connections Redial opened.
	redials int
}

// MaxRedials is how many more connections a plugin may open with Redial
// during one probe.
const MaxRedials = 2

// ErrNoRedial is Redial's error when no other connection may be opened:
// the connection was not handed out by the core (a plugin's test), or
// the probe has used its MaxRedials.
var ErrNoRedial = errors.New("fingerprint: no more connections for this probe")

// Redial opens another connection to the same service, of the same kind
// (in TLS when c is, past the greeting of a service that greets), with
// the probe's deadline: for a plugin whose second question needs a fresh
// connection, because the server closed the first. The plugin closes it.
func (c *Conn) Redial(ctx context.Context) (*Conn, error) {
	if c.redial == nil || c.redials >= MaxRedials {
		return nil, ErrNoRedial
	}
	c.redials++
	n, err := c.redial(ctx)
	if err != nil {
		return nil, fmt.Errorf("redialling %s: %w", c.addr, err)
	}
	n.deadline = c.deadline
	if !c.deadline.IsZero() {
		n.nc.SetDeadline(c.deadline)
	}
	return n, nil
}

// NewConn wraps nc for a plugin; it is for tests of plugins, which dial
// their own peers. host is the name for Host headers and SNI ("" for the
// address), and maxBytes the byte budget (0 for the default 64 KiB).
func NewConn(nc net.Conn, proto portspec.Proto, host string, maxBytes int) *Conn {
	if maxBytes <= 0 {
		maxBytes = defaultMaxBytes
	}
	addr := netip.AddrPort{}
	if a, ok := nc.RemoteAddr().(interface{ AddrPort() netip.AddrPort }); ok {
		addr = a.AddrPort()
	} else if ap, err := netip.ParseAddrPort(nc.RemoteAddr().String()); err == nil {
		addr = ap
	}
	addr = netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port())
	return &Conn{nc: nc, proto: proto, addr: addr, host: host, maxBytes: maxBytes, now: time.Now}
}

// Addr is the service's address.
func (c *Conn) Addr() netip.AddrPort { return c.addr }

// Proto is the transport of the connection.
func (c *Conn) Proto() portspec.Proto { return c.proto }

// Host is the name to give the service where a protocol carries one (an
// HTTP Host header, a TLS server name): the hostname the user gave, or
// the address.
func (c *Conn) Host() string {
	if c.host != "" {
		return c.host
	}
	return c.addr.Addr().String()
}

// HostPort is Host with the port, as an HTTP Host header wants it.
func (c *Conn) HostPort() string {
	return net.JoinHostPort(c.Host(), strconv.Itoa(int(c.addr.Port())))
}

// LocalAddr is the client's end of the connection, for protocols that
// name it (a SIP Via header).
func (c *Conn) LocalAddr() netip.AddrPort {
	if ap, err := netip.ParseAddrPort(c.nc.LocalAddr().String()); err == nil {
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return netip.AddrPort{}
}

// Shorten makes reads give up d from now, never later than the probe's
// own deadline: for an optional answer that may never come, so that its
// silence does not cost the whole probe time.
func (c *Conn) Shorten(d time.Duration) {
	dl := time.Now().Add(d)
	if !c.deadline.IsZero() && c.deadline.Before(dl) {
		dl = c.deadline
	}
	c.nc.SetReadDeadline(dl)
}

// Banner is what the server sent before the client wrote anything; nil
// when it sent nothing within the banner wait.
func (c *Conn) Banner() []byte { return c.banner }

// TLS describes the connection's TLS session, nil when it is in clear.
func (c *Conn) TLS() *record.TLS { return c.tls }

// Write sends p whole: on UDP, as one datagram.
func (c *Conn) Write(p []byte) error {
	c.wrote = true
	if c.proto == portspec.UDP && c.sent == nil {
		c.sent = bytes.Clone(p)
	}
	_, err := c.nc.Write(p)
	return err
}

// Read reads into p within the probe's deadline and the byte budget. On
// UDP, one Read is one datagram.
func (c *Conn) Read(p []byte) (int, error) {
	room := c.maxBytes - c.read
	if room <= 0 {
		return 0, ErrBudget
	}
	if len(p) > room {
		p = p[:room]
	}
	n, err := c.nc.Read(p)
	c.read += n
	if n > 0 && c.proto == portspec.UDP && c.reply == nil {
		c.reply = bytes.Clone(p[:n])
	}
	if n > 0 && len(c.first) < bannerMax {
		c.first = append(c.first, p[:min(n, bannerMax-len(c.first))]...)
	}
	return n, err
}

// ReadUntil reads until done reports that the bytes read so far are a
// whole answer, max bytes are read, the peer closes, or the probe's time
// runs out. A nil done accepts the first bytes that arrive. The error is
// nil only when done accepted the bytes; otherwise the bytes read so far
// come back with the reason (io.EOF, a timeout, ErrBudget), and a plugin
// may still make sense of them.
func (c *Conn) ReadUntil(done func([]byte) bool, max int) ([]byte, error) {
	if max <= 0 || max > c.maxBytes {
		max = c.maxBytes
	}
	buf := make([]byte, 0, min(max, 4096))
	for {
		if len(buf) == cap(buf) {
			if len(buf) >= max {
				return buf, fmt.Errorf("answer longer than %d bytes: %w", max, ErrBudget)
			}
			buf = append(buf, make([]byte, min(2*cap(buf), max)-len(buf))...)[:len(buf)]
		}
		n, err := c.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if n > 0 && (done == nil || done(buf)) {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// Exchange writes req and reads the answer as ReadUntil does.
func (c *Conn) Exchange(req []byte, done func([]byte) bool, max int) ([]byte, error) {
	if err := c.Write(req); err != nil {
		return nil, err
	}
	return c.ReadUntil(done, max)
}

// StartTLS turns the connection into a TLS client session, after a
// protocol's upgrade command (command names it: STARTTLS, STLS), and
// records the session's TLS description.
func (c *Conn) StartTLS(ctx context.Context, command string) error {
	// No ALPN after an upgrade: the protocol is already chosen, and some
	// servers (Exim) refuse a handshake that offers one they lack.
	conf := c.tlsConfig().Clone()
	conf.NextProtos = nil
	tc, info, err := handshake(ctx, c.nc, conf, c.now())
	if err != nil {
		return fmt.Errorf("%s: %w", command, err)
	}
	info.StartTLS = command
	c.nc, c.tls = tc, info
	return nil
}

func (c *Conn) tlsConfig() *tls.Config {
	if c.tlsConf != nil {
		return c.tlsConf
	}
	return clientTLSConfig(c.host)
}

// Close closes the connection.
func (c *Conn) Close() error { return c.nc.Close() }

// readBanner waits up to wait for the server to speak first, then reads
// on until it pauses for gap, and keeps what it said as the banner.
func (c *Conn) readBanner(wait, gap time.Duration, probeDeadline time.Time) {
	defer c.nc.SetReadDeadline(probeDeadline)
	end := time.Now().Add(wait)
	if !probeDeadline.IsZero() && probeDeadline.Before(end) {
		end = probeDeadline
	}
	var buf [4096]byte
	var got []byte
	for len(got) < bannerMax*4 {
		dl := end
		if len(got) > 0 {
			dl = time.Now().Add(gap)
			if dl.After(end) {
				dl = end
			}
		}
		c.nc.SetReadDeadline(dl)
		n, err := c.Read(buf[:min(len(buf), bannerMax*4-len(got))])
		got = append(got, buf[:n]...)
		if err != nil {
			break
		}
	}
	if len(got) > 0 {
		c.banner = got
	}
}

// isTimeout reports whether err is a deadline running out.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// UntilContains is a ReadUntil test: the answer holds sub.
func UntilContains(sub string) func([]byte) bool {
	return func(b []byte) bool { return bytes.Contains(b, []byte(sub)) }
}

// UntilLen is a ReadUntil test: at least n bytes arrived.
func UntilLen(n int) func([]byte) bool {
	return func(b []byte) bool { return len(b) >= n }
}

// UntilLine is a ReadUntil test: a whole line (ending in \n) arrived.
func UntilLine(b []byte) bool { return bytes.IndexByte(b, '\n') >= 0 }

// Printable renders bytes a service sent for a banner: printable ASCII
// kept, CR, LF and tab escaped, anything else as \xNN, cut at max bytes of
// input.
func Printable(b []byte, max int) string {
	if len(b) > max {
		b = b[:max]
	}
	var sb bytes.Buffer
	for _, ch := range b {
		switch {
		case ch == '\r':
			sb.WriteString(`\r`)
		case ch == '\n':
			sb.WriteString(`\n`)
		case ch == '\t':
			sb.WriteString(`\t`)
		case ch == '\\':
			sb.WriteString(`\\`)
		case ch >= 0x20 && ch < 0x7f:
			sb.WriteByte(ch)
		default:
			fmt.Fprintf(&sb, `\x%02x`, ch)
		}
	}
	return sb.String()
}

var _ io.Reader = (*Conn)(nil)

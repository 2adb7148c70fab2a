package fingerprint

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/md5"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ajarsec/ajar/record"
)

// helloMax bounds how much of the server's handshake is recorded to find
// its ServerHello.
const helloMax = 16 << 10

// clientTLSConfig offers every version and cipher suite Go has, weak ones
// included, because the point is to see what the server accepts, not to
// trust it: certificates are described, never verified.
func clientTLSConfig(host string) *tls.Config {
	suites := make([]uint16, 0, 32)
	for _, s := range tls.CipherSuites() {
		suites = append(suites, s.ID)
	}
	for _, s := range tls.InsecureCipherSuites() {
		suites = append(suites, s.ID)
	}
	conf := &tls.Config{
		InsecureSkipVerify: true, //nolint:gosec // identification describes the certificate, it does not trust it
		MinVersion:         tls.VersionTLS10,
		CipherSuites:       suites,
		NextProtos:         []string{"http/1.1"},
	}
	if host != "" {
		if _, err := netip.ParseAddr(host); err != nil {
			conf.ServerName = host
		}
	}
	return conf
}

// recorder keeps the first bytes a server sends, to read its ServerHello.
type recorder struct {
	net.Conn
	mu  sync.Mutex
	buf []byte
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.mu.Lock()
	if room := helloMax - len(r.buf); room > 0 {
		r.buf = append(r.buf, p[:min(n, room)]...)
	}
	r.mu.Unlock()
	return n, err
}

// handshake runs a TLS client handshake over nc and describes it.
func handshake(ctx context.Context, nc net.Conn, conf *tls.Config, now time.Time) (*tls.Conn, *record.TLS, error) {
	rec := &recorder{Conn: nc}
	tc := tls.Client(rec, conf)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, nil, fmt.Errorf("TLS handshake: %w", err)
	}
	st := tc.ConnectionState()
	info := &record.TLS{
		Version:     tlsVersionName(st.Version),
		CipherSuite: tls.CipherSuiteName(st.CipherSuite),
		ALPN:        st.NegotiatedProtocol,
	}
	rec.mu.Lock()
	hello, err := ParseServerHello(rec.buf)
	rec.mu.Unlock()
	if err == nil {
		info.JA3SString = hello.JA3S()
		sum := md5.Sum([]byte(info.JA3SString)) //nolint:gosec // JA3S is defined as MD5
		info.JA3S = hex.EncodeToString(sum[:])
	}
	if len(st.PeerCertificates) > 0 {
		info.Cert = describeCert(st.PeerCertificates[0], now)
	}
	return tc, info, nil
}

func tlsVersionName(v uint16) string {
	switch v {
	case tls.VersionTLS10:
		return "TLSv1.0"
	case tls.VersionTLS11:
		return "TLSv1.1"
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS13:
		return "TLSv1.3"
	}
	return fmt.Sprintf("0x%04x", v)
}

// describeCert says what a user needs to know of a certificate.
func describeCert(c *x509.Certificate, now time.Time) *record.Certificate {
	sum := sha256.Sum256(c.Raw)
	out := &record.Certificate{
		Subject:   c.Subject.String(),
		Issuer:    c.Issuer.String(),
		NotBefore: c.NotBefore.UTC(),
		NotAfter:  c.NotAfter.UTC(),
		Expired:   now.After(c.NotAfter),
		SHA256:    hex.EncodeToString(sum[:]),
	}
	out.SANs = append(out.SANs, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		out.SANs = append(out.SANs, ip.String())
	}
	out.SANs = append(out.SANs, c.EmailAddresses...)
	for _, u := range c.URIs {
		out.SANs = append(out.SANs, u.String())
	}
	if string(c.RawIssuer) == string(c.RawSubject) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil {
		out.SelfSigned = true
	}
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		out.KeyType, out.KeyBits = "RSA", k.N.BitLen()
	case *ecdsa.PublicKey:
		out.KeyType, out.KeyBits = "ECDSA", k.Curve.Params().BitSize
	case ed25519.PublicKey:
		out.KeyType, out.KeyBits = "Ed25519", 256
	default:
		out.KeyType = c.PublicKeyAlgorithm.String()
	}
	return out
}

// ServerHello is the part of a TLS ServerHello that JA3S reads.
type ServerHello struct {
	Version    uint16
	Cipher     uint16
	Extensions []uint16
}

// JA3S renders the hello as JA3S does: version, cipher and extension
// types in decimal, the extensions joined by dashes.
func (h ServerHello) JA3S() string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(int(h.Version)))
	b.WriteByte(',')
	b.WriteString(strconv.Itoa(int(h.Cipher)))
	b.WriteByte(',')
	for i, e := range h.Extensions {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(strconv.Itoa(int(e)))
	}
	return b.String()
}

var errNoHello = errors.New("no TLS ServerHello")

// ParseServerHello finds the ServerHello in the first bytes a server sent:
// TLS records of type handshake, whose first message must be a
// ServerHello (a hello split over records is joined).
func ParseServerHello(b []byte) (ServerHello, error) {
	var hs []byte
	for len(b) >= 5 && len(hs) < helloMax {
		typ, n := b[0], int(binary.BigEndian.Uint16(b[3:5]))
		if typ != 22 || len(b) < 5+n {
			break
		}
		hs = append(hs, b[5:5+n]...)
		b = b[5+n:]
		if len(hs) >= 4 && len(hs) >= 4+int(hs[1])<<16|int(hs[2])<<8|int(hs[3]) {
			break
		}
	}
	if len(hs) < 4 || hs[0] != 2 {
		return ServerHello{}, errNoHello
	}
	n := int(hs[1])<<16 | int(hs[2])<<8 | int(hs[3])
	if len(hs) < 4+n {
		return ServerHello{}, fmt.Errorf("%w: truncated", errNoHello)
	}
	return parseHelloBody(hs[4 : 4+n])
}

func parseHelloBody(m []byte) (ServerHello, error) {
	var h ServerHello
	// version(2) random(32) session_id<1> cipher(2) compression(1)
	if len(m) < 35 {
		return h, fmt.Errorf("%w: short", errNoHello)
	}
	h.Version = binary.BigEndian.Uint16(m)
	sid := int(m[34])
	m = m[35:]
	if len(m) < sid+3 {
		return h, fmt.Errorf("%w: short", errNoHello)
	}
	m = m[sid:]
	h.Cipher = binary.BigEndian.Uint16(m)
	m = m[3:]
	if len(m) < 2 {
		return h, nil // no extensions
	}
	ext := int(binary.BigEndian.Uint16(m))
	m = m[2:]
	if len(m) < ext {
		return h, fmt.Errorf("%w: extensions truncated", errNoHello)
	}
	m = m[:ext]
	for len(m) >= 4 {
		typ, l := binary.BigEndian.Uint16(m), int(binary.BigEndian.Uint16(m[2:]))
		if len(m) < 4+l {
			return h, fmt.Errorf("%w: extension truncated", errNoHello)
		}
		h.Extensions = append(h.Extensions, typ)
		m = m[4+l:]
	}
	return h, nil
}

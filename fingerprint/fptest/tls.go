package fptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"testing"
	"time"
)

// Cert returns a fresh self-signed ECDSA P-256 certificate with the
// common name cn (none when empty) and the DNS names dnsNames, valid from
// an hour ago to an hour from now.
func Cert(t testing.TB, cn string, dnsNames ...string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: cn},
		DNSNames:     dnsNames,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TLSConfig is a server TLS configuration with a fresh self-signed
// certificate from Cert.
func TLSConfig(t testing.TB, cn string, dnsNames ...string) *tls.Config {
	t.Helper()
	return &tls.Config{Certificates: []tls.Certificate{Cert(t, cn, dnsNames...)}}
}

// ServeTLS runs a server TLS handshake on c with conf and, when it
// succeeds, reads what the client sends until it closes.
func ServeTLS(c net.Conn, conf *tls.Config) {
	tc := tls.Server(c, conf)
	if tc.Handshake() == nil {
		io.Copy(io.Discard, tc)
	}
}

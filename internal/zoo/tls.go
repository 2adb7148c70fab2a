//go:build linux

package zoo

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// tlsFiles are the zoo's certificates, made fresh for every zoo: one RSA
// key, a self-signed certificate valid now, and one that expired.
type tlsFiles struct {
	Cert        string // PEM certificate, valid for a year from yesterday
	Key         string // PEM private key (PKCS #1)
	Pem         string // certificate then key in one file (haproxy)
	ExpiredCert string // PEM certificate that expired a month ago, same key
}

// certHosts are the names the certificates are for.
var certHosts = []string{"zoo.test", "www.zoo.test", "mail.zoo.test", "localhost"}

// writeCerts makes the key and certificates in dir/tls. The key is
// readable by every user: daemons that drop root (Exim, Prosody) read it
// after dropping, and it protects nothing but a test.
func writeCerts(dir string) (tlsFiles, error) {
	tdir := filepath.Join(dir, "tls")
	if err := os.Mkdir(tdir, 0o755); err != nil {
		return tlsFiles{}, err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return tlsFiles{}, err
	}
	now := time.Now()
	valid, err := selfSigned(key, 1, now.Add(-24*time.Hour), now.Add(365*24*time.Hour))
	if err != nil {
		return tlsFiles{}, err
	}
	expired, err := selfSigned(key, 2, now.Add(-400*24*time.Hour), now.Add(-30*24*time.Hour))
	if err != nil {
		return tlsFiles{}, err
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	f := tlsFiles{
		Cert:        filepath.Join(tdir, "cert.pem"),
		Key:         filepath.Join(tdir, "key.pem"),
		Pem:         filepath.Join(tdir, "cert-key.pem"),
		ExpiredCert: filepath.Join(tdir, "expired.pem"),
	}
	for name, data := range map[string][]byte{
		f.Cert: valid, f.Key: keyPEM, f.Pem: append(append([]byte{}, valid...), keyPEM...), f.ExpiredCert: expired,
	} {
		if err := os.WriteFile(name, data, 0o644); err != nil {
			return tlsFiles{}, err
		}
	}
	return f, nil
}

// selfSigned makes a PEM certificate for certHosts and 127.0.0.1.
func selfSigned(key *rsa.PrivateKey, serial int64, from, until time.Time) ([]byte, error) {
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: certHosts[0], Organization: []string{"ajar zoo"}},
		DNSNames:              certHosts,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             from,
		NotAfter:              until,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

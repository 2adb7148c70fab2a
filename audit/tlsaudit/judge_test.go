package tlsaudit

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ajarsec/ajar/record"
)

var now = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

type certSpec struct {
	cn         string
	names      []string
	ips        []net.IP
	from, to   time.Time
	sig        x509.SignatureAlgorithm
	rsaBits    int // 0: ECDSA P-256
	selfSigned bool
}

// issue makes a certificate by spec, signed by ca (or itself).
func issue(t *testing.T, s certSpec, ca *x509.Certificate, caKey any) (*x509.Certificate, any) {
	t.Helper()
	var key any
	var pub any
	if s.rsaBits > 0 {
		k, err := rsa.GenerateKey(rand.Reader, s.rsaBits)
		if err != nil {
			t.Fatal(err)
		}
		key, pub = k, &k.PublicKey
	} else {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		key, pub = k, &k.PublicKey
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: s.cn},
		DNSNames: s.names, IPAddresses: s.ips, NotBefore: s.from, NotAfter: s.to, SignatureAlgorithm: s.sig,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: s.selfSigned}
	parent, signer := ca, caKey
	if s.selfSigned {
		parent, signer = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, key
}

func ids(fs []record.Finding) string {
	var s []string
	for _, f := range fs {
		s = append(s, f.ID+"/"+f.Severity.String())
	}
	return strings.Join(s, ",")
}

func TestJudgeChain(t *testing.T) {
	year := 365 * 24 * time.Hour
	ca, caKey := issue(t, certSpec{cn: "Test CA", from: now.Add(-year), to: now.Add(year), selfSigned: true}, nil, nil)
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	rogue, rogueKey := issue(t, certSpec{cn: "Rogue CA", from: now.Add(-year), to: now.Add(year), selfSigned: true}, nil, nil)
	host := "www.example.test"
	good, _ := issue(t, certSpec{cn: host, names: []string{host}, ips: []net.IP{net.ParseIP("192.0.2.1")},
		from: now.Add(-time.Hour), to: now.Add(year)}, ca, caKey)
	for _, tc := range []struct {
		name, host string
		chain      []*x509.Certificate
		want       string
	}{
		{"sound, by name", host, []*x509.Certificate{good, ca}, ""},
		{"sound, by address", "192.0.2.1", []*x509.Certificate{good}, ""},
		{"another name", "other.example.test", []*x509.Certificate{good}, "tls-cert-name-mismatch/medium"},
		{"expired", host, []*x509.Certificate{first(issue(t, certSpec{cn: host, names: []string{host},
			from: now.Add(-2 * year), to: now.Add(-year)}, ca, caKey))}, "tls-cert-expired/high"},
		{"not yet valid", host, []*x509.Certificate{first(issue(t, certSpec{cn: host, names: []string{host},
			from: now.Add(year), to: now.Add(2 * year)}, ca, caKey))}, "tls-cert-not-yet-valid/medium"},
		{"self-signed", host, []*x509.Certificate{first(issue(t, certSpec{cn: host, names: []string{host},
			from: now.Add(-time.Hour), to: now.Add(year), selfSigned: true}, nil, nil))}, "tls-cert-self-signed/medium"},
		{"untrusted issuer", host, []*x509.Certificate{first(issue(t, certSpec{cn: host, names: []string{host},
			from: now.Add(-time.Hour), to: now.Add(year)}, rogue, rogueKey))}, "tls-cert-untrusted/medium"},
		{"RSA 1024", host, []*x509.Certificate{first(issue(t, certSpec{cn: host, names: []string{host},
			from: now.Add(-time.Hour), to: now.Add(year), rsaBits: 1024}, ca, caKey))}, "tls-cert-weak-key/high"},
		{"SHA-1 signature", host, []*x509.Certificate{first(issue(t, certSpec{cn: host, names: []string{host},
			from: now.Add(-time.Hour), to: now.Add(year), sig: x509.ECDSAWithSHA1}, ca, caKey))}, "tls-cert-sha1/medium"},
		{"self-signed SHA-1 RSA 1024 expired", host, []*x509.Certificate{first(issue(t, certSpec{cn: "weak", names: []string{"weak"},
			from: now.Add(-2 * year), to: now.Add(-year), sig: x509.SHA1WithRSA, rsaBits: 1024, selfSigned: true}, nil, nil))},
			"tls-cert-expired/high,tls-cert-self-signed/medium,tls-cert-name-mismatch/medium,tls-cert-weak-key/high"},
		{"no certificate", host, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := JudgeChain(tc.chain, tc.host, now, roots)
			if got := ids(fs); got != tc.want {
				t.Errorf("findings %s, want %s", got, tc.want)
			}
			for _, f := range fs {
				if f.Category != record.CertificateRisk || f.Evidence == "" || f.Remediation == "" {
					t.Errorf("incomplete %+v", f)
				}
			}
		})
	}
}

func first(c *x509.Certificate, _ any) *x509.Certificate { return c }

func TestJudgeVersions(t *testing.T) {
	if fs := JudgeVersions(nil); fs != nil {
		t.Errorf("no legacy version: %v", fs)
	}
	fs := JudgeVersions([]uint16{tls.VersionTLS10, tls.VersionTLS11})
	if ids(fs) != "tls-legacy-version/medium" || fs[0].Evidence != "handshakes completed with TLS 1.0, TLS 1.1" {
		t.Errorf("%+v", fs)
	}
}

func TestJudgeCertRecord(t *testing.T) {
	year := 365 * 24 * time.Hour
	// What identification kept of the zoo's certificate, after Dovecot's
	// STARTTLS.
	zoo := &record.Certificate{Subject: "CN=zoo.test,O=ajar zoo", Issuer: "CN=zoo.test,O=ajar zoo",
		SANs: []string{"zoo.test", "www.zoo.test", "127.0.0.1"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(year),
		SelfSigned: true, KeyType: "RSA", KeyBits: 2048}
	sound := &record.Certificate{Subject: "CN=mail.example.test", SANs: []string{"*.example.test"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(year), KeyType: "ECDSA", KeyBits: 256}
	for _, tc := range []struct {
		c    *record.Certificate
		name string
		want string
	}{
		{zoo, "127.0.0.1", "tls-cert-self-signed/medium"},
		{zoo, "10.0.0.2", "tls-cert-self-signed/medium,tls-cert-name-mismatch/medium"},
		{sound, "mail.example.test", ""},
		{sound, "MAIL.example.test.", ""},
		{sound, "a.b.example.test", "tls-cert-name-mismatch/medium"},
		{sound, "example.test", "tls-cert-name-mismatch/medium"},
	} {
		fs := JudgeCertRecord(tc.c, "STARTTLS", tc.name, now)
		if got := ids(fs); got != tc.want {
			t.Errorf("%s for %s: %s, want %s", tc.c.Subject, tc.name, got, tc.want)
		}
		for _, f := range fs {
			if f.Confidence != record.Likely || !strings.HasSuffix(f.Evidence, "(after STARTTLS)") {
				t.Errorf("%+v", f)
			}
		}
	}
	old := *sound
	old.NotAfter, old.KeyType, old.KeyBits = now.Add(-time.Hour), "RSA", 1024
	if got := ids(JudgeCertRecord(&old, "", "mail.example.test", now)); got != "tls-cert-expired/high,tls-cert-weak-key/high" {
		t.Errorf("expired RSA 1024: %s", got)
	}
}

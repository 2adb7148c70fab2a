//go:build linux

package zoo

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"time"
)

// Risk is one row of the audit zoo's truth table: a planted risk that a
// check must find (Severity set), or a hardened twin's port where no
// finding of Category may appear (Severity "").
type Risk struct {
	Daemon   string
	Port     uint16
	ID       string // the finding's id; "" on a twin
	Category string
	Severity string // "" on a twin: no finding of Category allowed
}

// AuditTruth is the audit zoo's truth table: every planted risk, and
// every hardened twin's category that must stay clean.
func AuditTruth() []Risk {
	return []Risk{
		{"audit-redis-open", 6379, "redis-no-auth", "no-auth", "critical"},
		{"audit-redis-auth", 6380, "", "no-auth", ""},
		{"audit-memcached-open", 11211, "memcached-no-auth", "no-auth", "high"},
		{"audit-memcached-sasl", 11212, "", "no-auth", ""},
		{"audit-vsftpd-anon", 21, "ftp-anonymous", "no-auth", "medium"},
		{"audit-vsftpd-noanon", 2121, "", "no-auth", ""},
		{"audit-sshd-weak", 22, "ssh-weak-kex", "weak-ssh", "high"},
		{"audit-sshd-weak", 22, "ssh-weak-cipher", "weak-ssh", "medium"},
		{"audit-sshd-weak", 22, "ssh-weak-mac", "weak-ssh", "medium"},
		{"audit-sshd-weak", 22, "ssh-weak-hostkey", "weak-ssh", "low"},
		{"audit-sshd-hard", 2222, "", "weak-ssh", ""},
	}
}

// auditCA is the audit zoo's own certificate authority: a hardened
// twin's certificate is signed by it, and a scan that trusts it
// (SSL_CERT_FILE=AuditCA) finds that certificate sound.
const auditCAFile = "audit-ca.pem"

// AuditCA is the path of the audit zoo's CA certificate, to trust in a
// scan of it (SSL_CERT_FILE).
func (z *Zoo) AuditCA() string { return z.Dir + "/" + auditCAFile }

// catalogAudit lists the audit zoo: each risky daemon next to its
// hardened twin, from the same package. Keep the packages in step with
// scripts/zoo-deps.sh.
func catalogAudit() []*daemon {
	redis := func(name string, port uint16) *daemon {
		return &daemon{
			name: name, pkg: "redis-server", product: "Redis", reveal: "INFO command",
			services: []svcDef{tcp("redis", "redis", port)}, user: "redis", owner: "redis",
			argv: func(in *instance) []string { return []string{"redis-server", in.file("redis.conf")} },
		}
	}
	vsftpd := func(name string, port uint16) *daemon {
		return &daemon{
			name: name, pkg: "vsftpd", product: "vsftpd", reveal: "banner",
			services: []svcDef{tcp("ftp", "ftp", port)},
			prepare:  func(_ context.Context, in *instance) error { return in.mkdirs("ftp", "empty") },
			argv:     func(in *instance) []string { return []string{"vsftpd", in.file("vsftpd.conf")} },
		}
	}
	sshd := func(name string, port uint16, key string) *daemon {
		return &daemon{
			name: name, pkg: "openssh-server", product: "OpenSSH", reveal: "banner",
			services: []svcDef{tcp("ssh", "ssh", port)},
			tmpfs:    []string{"/run"}, mkdirs: []string{"/run/sshd"},
			prepare: func(ctx context.Context, in *instance) error {
				return in.run(ctx, "ssh-keygen", "-q", "-t", key, "-N", "", "-f", in.file("ssh_host_"+key+"_key"))
			},
			argv: func(in *instance) []string {
				return []string{"/usr/sbin/sshd", "-D", "-e", "-f", in.file("sshd_config")}
			},
		}
	}
	return []*daemon{
		redis("audit-redis-open", 6379),
		redis("audit-redis-auth", 6380),
		{
			name: "audit-memcached-open", pkg: "memcached", product: "memcached", reveal: "version command",
			services: []svcDef{tcp("memcached", "memcached", 11211)},
			argv: func(in *instance) []string {
				return []string{"memcached", "-u", "memcache", "-l", "0.0.0.0", "-p", in.port("memcached"),
					"-U", "0", "-m", "16", "-c", "64"}
			},
		}, {
			// The hardened twin: SASL (-S), which refuses every text
			// command of a client that has not authenticated.
			name: "audit-memcached-sasl", pkg: "memcached", product: "memcached", reveal: "version command",
			services: []svcDef{tcp("memcached", "memcached", 11212)},
			argv: func(in *instance) []string {
				return []string{"memcached", "-u", "memcache", "-l", "0.0.0.0", "-p", in.port("memcached"),
					"-U", "0", "-m", "16", "-c", "64", "-S"}
			},
			// Cyrus SASL's config names PLAIN; memcached's own password
			// file holds the one user.
			prepare: func(_ context.Context, in *instance) error {
				if err := os.WriteFile(in.file("memcached.conf"), []byte("mech_list: plain\n"), 0o644); err != nil {
					return err
				}
				return os.WriteFile(in.file("pwdb"), []byte("zoo:ajar-zoo-5e0c\n"), 0o644)
			},
			env: func(in *instance) []string {
				return []string{"SASL_CONF_PATH=" + in.dir, "MEMCACHED_SASL_PWDB=" + in.file("pwdb")}
			},
		},
		vsftpd("audit-vsftpd-anon", 21),
		vsftpd("audit-vsftpd-noanon", 2121),
		sshd("audit-sshd-weak", 22, "rsa"),
		sshd("audit-sshd-hard", 2222, "ed25519"),
	}
}

// writeAuditCerts makes the audit zoo's CA, a sound certificate it signs
// for the target's address, and a weak one (RSA 1024, SHA-1, self-signed,
// expired), in dir: ca.pem (also Root/audit-ca.pem), good.pem,
// good-key.pem, weak.pem, weak-key.pem.
func writeAuditCerts(in *instance) error {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ajar audit zoo CA"},
		NotBefore: now.Add(-24 * time.Hour), NotAfter: now.Add(365 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}
	goodKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	goodDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "zoo.test"},
		DNSNames: []string{"zoo.test"}, IPAddresses: []net.IP{net.ParseIP(in.data.Addr)},
		NotBefore: now.Add(-24 * time.Hour), NotAfter: now.Add(90 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, ca, &goodKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	weakKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		return err
	}
	weakTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "weak.zoo.test"},
		DNSNames:  []string{"weak.zoo.test"},
		NotBefore: now.Add(-400 * 24 * time.Hour), NotAfter: now.Add(-30 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, SignatureAlgorithm: x509.SHA1WithRSA,
	}
	weakDER, err := x509.CreateCertificate(rand.Reader, weakTmpl, weakTmpl, &weakKey.PublicKey, weakKey)
	if err != nil {
		return err
	}
	certPEM := func(der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}) }
	keyPEM := func(k *rsa.PrivateKey) []byte {
		return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	}
	for name, data := range map[string][]byte{
		in.file("good.pem"): certPEM(goodDER), in.file("good-key.pem"): keyPEM(goodKey),
		in.file("weak.pem"): certPEM(weakDER), in.file("weak-key.pem"): keyPEM(weakKey),
		in.data.Root + "/" + auditCAFile: certPEM(caDER),
	} {
		if err := os.WriteFile(name, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

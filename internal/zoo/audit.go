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
	"slices"
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
	return slices.Concat(auditTruthFirst(), auditTruthStore(), auditTruthNet(), auditTruthNTP(), auditTruthNFS())
}

// auditTruthFirst is the truth of catalogAuditFirst.
func auditTruthFirst() []Risk {
	return []Risk{
		{"audit-redis-open", 6379, "redis-no-auth", "no-auth", "critical"},
		{"audit-redis-auth", 6380, "", "no-auth", ""},
		{"audit-memcached-open", 11211, "memcached-no-auth", "no-auth", "high"},
		{"audit-memcached-sasl", 11212, "", "no-auth", ""},
		{"audit-vsftpd-anon", 21, "ftp-anonymous", "no-auth", "medium"},
		{"audit-vsftpd-anon", 21, "ftp-cleartext", "cleartext", "medium"},
		{"audit-vsftpd-noanon", 2121, "", "no-auth", ""},
		{"audit-vsftpd-tls", 2021, "", "cleartext", ""},
		{"audit-vsftpd-tls", 2021, "", "no-auth", ""},
		{"audit-vsftpd-tls", 2021, "tls-cert-self-signed", "certificate", "medium"},
		{"audit-vsftpd-tls", 2021, "tls-cert-name-mismatch", "certificate", "medium"},
		{"audit-sshd-weak", 22, "ssh-weak-kex", "weak-ssh", "high"},
		{"audit-sshd-weak", 22, "ssh-weak-cipher", "weak-ssh", "medium"},
		{"audit-sshd-weak", 22, "ssh-weak-mac", "weak-ssh", "medium"},
		{"audit-sshd-weak", 22, "ssh-weak-hostkey", "weak-ssh", "low"},
		{"audit-sshd-hard", 2222, "", "weak-ssh", ""},
		{"audit-nginx-weak", 443, "tls-legacy-version", "weak-tls", "medium"},
		{"audit-nginx-weak", 443, "tls-cert-expired", "certificate", "high"},
		{"audit-nginx-weak", 443, "tls-cert-self-signed", "certificate", "medium"},
		{"audit-nginx-weak", 443, "tls-cert-weak-key", "certificate", "high"},
		{"audit-nginx-weak", 443, "tls-cert-name-mismatch", "certificate", "medium"},
		{"audit-nginx-weak", 4443, "tls-cert-sha1", "certificate", "medium"},
		{"audit-nginx-weak", 4443, "tls-cert-untrusted", "certificate", "medium"},
		{"audit-nginx-weak", 443, "tls-broken-cipher", "weak-tls", "high"},
		{"audit-nginx-weak", 4443, "tls-no-forward-secrecy", "weak-tls", "medium"},
		{"audit-nginx-hard", 8443, "", "weak-tls", ""},
		{"audit-nginx-hard", 8443, "", "certificate", ""},
		{"audit-rsync-listed", 873, "rsync-modules-listed", "info-leak", "low"},
		{"audit-rsync-hidden", 8873, "", "info-leak", ""},
		{"audit-snmpd-public", 161, "snmp-public-community", "default-credentials", "high"},
		{"audit-snmpd-private", AuditSNMPTwinPort, "", "default-credentials", ""},
		{"audit-slapd-open", 389, "ldap-anonymous-bind", "no-auth", "low"},
		{"audit-slapd-open", 389, "ldap-anonymous-read", "no-auth", "medium"},
		{"audit-slapd-closed", 1389, "", "no-auth", ""},
		{"audit-node-exporter-open", 9100, "metrics-exposed", "exposed-admin", "low"},
		{"audit-node-exporter-auth", 9101, "", "exposed-admin", ""},
		{"audit-vnc-none", 5901, "vnc-no-auth", "no-auth", "critical"},
		{"audit-vnc-plain", 5902, "", "no-auth", ""},
		// No twin: Telnet has no secure configuration.
		{"audit-telnetd", 23, "telnet-cleartext", "cleartext", "high"},
	}
}

// AuditSNMPTwinPort is the UDP port of the SNMP agent whose community is
// not "public": it is not in Services, as the zoo's readiness probe asks
// with "public" and would wait for it forever; a test scans it itself.
const AuditSNMPTwinPort = 1161

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
	return slices.Concat(catalogAuditFirst(), catalogAuditStore(), catalogAuditNet(), catalogAuditNTP(), catalogAuditNFS())
}

// catalogAuditFirst: the audit zoo's first daemons; data stores and
// brokers are in audit_store.go.
func catalogAuditFirst() []*daemon {
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
	rsync := func(name string, port uint16) *daemon {
		return &daemon{
			name: name, pkg: "rsync", product: "rsync", reveal: "greeting (protocol version only)", hideVersion: true,
			services: []svcDef{tcp("rsync", "rsync", port)},
			prepare: func(_ context.Context, in *instance) error {
				if err := os.WriteFile(in.file("secrets"), []byte("zoo:ajar-zoo-77c1\n"), 0o600); err != nil {
					return err
				}
				return in.mkdirs("share")
			},
			argv: func(in *instance) []string {
				return []string{"rsync", "--daemon", "--no-detach", "--config=" + in.file("rsyncd.conf"),
					"--port=" + in.port("rsync"), "--address=0.0.0.0"}
			},
		}
	}
	snmpd := func(name string, svc svcDef) *daemon {
		return &daemon{
			name: name, pkg: "snmpd", product: "Net-SNMP", reveal: "versionTag OID 1.3.6.1.4.1.2021.100.2.0",
			services: []svcDef{svc},
			env:      func(in *instance) []string { return []string{"SNMP_PERSISTENT_DIR=" + in.file("persist")} },
			argv: func(in *instance) []string {
				return []string{"snmpd", "-f", "-Lo", "-C", "-I", "-smux", "-c", in.file("snmpd.conf"), "-p", in.file("snmpd.pid")}
			},
		}
	}
	slapd := func(name string, port uint16) *daemon {
		return &daemon{
			name: name, pkg: "slapd", product: "OpenLDAP", reveal: "root DSE objectClass", hideVersion: true,
			services: []svcDef{tcp("ldap", "ldap", port)},
			prepare: func(ctx context.Context, in *instance) error {
				if err := in.mkdirs("data"); err != nil {
					return err
				}
				return in.run(ctx, "slapadd", "-f", in.file("slapd.conf"), "-l", in.file("tree.ldif"))
			},
			argv: func(in *instance) []string {
				return []string{"slapd", "-d", "0", "-h", "ldap://0.0.0.0:" + in.port("ldap") + "/", "-f", in.file("slapd.conf")}
			},
		}
	}
	twin := udp("snmp", "snmp", AuditSNMPTwinPort)
	twin.local = true // see AuditSNMPTwinPort
	exporter := func(name string, svc svcDef, args ...string) *daemon {
		return &daemon{
			name: name, pkg: "prometheus-node-exporter", product: "Prometheus Node Exporter",
			reveal: "node_exporter_build_info in /metrics", services: []svcDef{svc},
			argv: func(in *instance) []string {
				return append([]string{"prometheus-node-exporter", "--web.listen-address=0.0.0.0:" + in.port("metrics")},
					args...)
			},
		}
	}
	exporterAuth := exporter("audit-node-exporter-auth", tcp("metrics", "http", 9101))
	exporterAuth.argv = func(in *instance) []string {
		return []string{"prometheus-node-exporter", "--web.listen-address=0.0.0.0:" + in.port("metrics"),
			"--web.config.file=" + in.file("web.yml")}
	}
	vnc := func(name string, port uint16, display string, security ...string) *daemon {
		return &daemon{
			name: name, pkg: "tigervnc-standalone-server", product: "TigerVNC",
			services: []svcDef{tcp("vnc", "vnc", port)},
			tmpfs:    []string{"/tmp"}, // its lock file and sockets
			argv: func(in *instance) []string {
				return append([]string{"Xtigervnc", display, "-rfbport", in.port("vnc"), "-nolisten", "unix",
					"-nolisten", "tcp", "-localhost=0", "-interface", "0.0.0.0", "-geometry", "320x240", "-depth", "16",
					"-desktop", "ajar audit zoo"}, security...)
			},
		}
	}
	return []*daemon{
		{
			name: "audit-telnetd", pkg: "inetutils-telnetd", product: "inetutils telnetd",
			services: []svcDef{tcp("telnet", "telnet", 23)}, tmpfs: []string{"/run"},
			argv: func(in *instance) []string { return []string{"inetd", "-d", in.file("inetd.conf")} },
		},
		vnc("audit-vnc-none", 5901, ":1", "-SecurityTypes", "None"),
		// The twin: VeNCrypt's Plain, users checked by PAM.
		vnc("audit-vnc-plain", 5902, ":2", "-SecurityTypes", "Plain", "-PlainUsers", "zoo"),
		exporter("audit-node-exporter-open", tcp("metrics", "prometheus", 9100)),
		exporterAuth,
		slapd("audit-slapd-open", 389),
		slapd("audit-slapd-closed", 1389),
		rsync("audit-rsync-listed", 873),
		rsync("audit-rsync-hidden", 8873),
		snmpd("audit-snmpd-public", udp("snmp", "snmp", 161)),
		snmpd("audit-snmpd-private", twin),
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
		vsftpd("audit-vsftpd-tls", 2021),
		sshd("audit-sshd-weak", 22, "rsa"),
		sshd("audit-sshd-hard", 2222, "ed25519"),
		{
			name: "audit-nginx-weak", pkg: "nginx", product: "nginx", reveal: "Server header",
			services: []svcDef{tlsTCP("https", "http", 443), tlsTCP("sha1", "http", 4443)},
			prepare:  func(_ context.Context, in *instance) error { return writeWeakCerts(in) },
			argv: func(in *instance) []string {
				return []string{"nginx", "-c", in.file("nginx.conf"), "-e", in.file("error.log")}
			},
		}, {
			name: "audit-nginx-hard", pkg: "nginx", product: "nginx", reveal: "Server header",
			services: []svcDef{tlsTCP("https", "http", 8443)},
			prepare:  func(_ context.Context, in *instance) error { return writeHardCerts(in) },
			argv: func(in *instance) []string {
				return []string{"nginx", "-c", in.file("nginx.conf"), "-e", in.file("error.log")}
			},
		},
	}
}

// writeHardCerts makes the audit zoo's CA (Root/audit-ca.pem) and a
// sound certificate it signs for the target's address: good.pem and
// good-key.pem in the daemon's directory.
func writeHardCerts(in *instance) error {
	now := time.Now()
	ca, caKey, caDER, err := newCA("ajar audit zoo CA", x509.ECDSAWithSHA256)
	if err != nil {
		return err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "zoo.test"},
		DNSNames: []string{"zoo.test"}, IPAddresses: []net.IP{net.ParseIP(in.data.Addr)},
		NotBefore: now.Add(-24 * time.Hour), NotAfter: now.Add(90 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, ca, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	return writePEMs(map[string][]byte{
		in.file("good.pem"): certPEM(der), in.file("good-key.pem"): keyPEM(key),
		in.data.Root + "/" + auditCAFile: certPEM(caDER),
	})
}

// writeWeakCerts makes two weak certificates: weak.pem (RSA 1024,
// self-signed, expired, for another name) and sha1.pem (signed with
// SHA-1 by a CA nobody trusts, for the target's address), with their
// keys.
func writeWeakCerts(in *instance) error {
	now := time.Now()
	weakKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		return err
	}
	weakTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "weak.zoo.test"},
		DNSNames:  []string{"weak.zoo.test"},
		NotBefore: now.Add(-400 * 24 * time.Hour), NotAfter: now.Add(-30 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, SignatureAlgorithm: x509.SHA256WithRSA,
	}
	weakDER, err := x509.CreateCertificate(rand.Reader, weakTmpl, weakTmpl, &weakKey.PublicKey, weakKey)
	if err != nil {
		return err
	}
	rogue, rogueKey, _, err := newCA("ajar audit zoo rogue CA", x509.ECDSAWithSHA256)
	if err != nil {
		return err
	}
	shaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	shaDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(4), Subject: pkix.Name{CommonName: "zoo.test"},
		DNSNames: []string{"zoo.test"}, IPAddresses: []net.IP{net.ParseIP(in.data.Addr)},
		NotBefore: now.Add(-24 * time.Hour), NotAfter: now.Add(90 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		SignatureAlgorithm: x509.ECDSAWithSHA1,
	}, rogue, &shaKey.PublicKey, rogueKey)
	if err != nil {
		return err
	}
	return writePEMs(map[string][]byte{
		in.file("weak.pem"): certPEM(weakDER), in.file("weak-key.pem"): keyPEM(weakKey),
		in.file("sha1.pem"): certPEM(shaDER), in.file("sha1-key.pem"): keyPEM(shaKey),
	})
}

func newCA(name string, sig x509.SignatureAlgorithm) (*x509.Certificate, *ecdsa.PrivateKey, []byte, error) {
	now := time.Now()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: now.Add(-24 * time.Hour), NotAfter: now.Add(365 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true, SignatureAlgorithm: sig,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, nil, err
	}
	ca, err := x509.ParseCertificate(der)
	return ca, key, der, err
}

func certPEM(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func keyPEM(k *rsa.PrivateKey) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
}

func writePEMs(files map[string][]byte) error {
	for name, data := range files {
		if err := os.WriteFile(name, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

package tlsaudit

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/ajarsec/ajar/record"
)

func serverName(host string) string {
	if _, err := netip.ParseAddr(host); err == nil {
		return ""
	}
	return host
}

// JudgeVersions judges the legacy versions a server accepted.
func JudgeVersions(accepted []uint16) []record.Finding {
	if len(accepted) == 0 {
		return nil
	}
	var names []string
	for _, v := range accepted {
		names = append(names, tls.VersionName(v))
	}
	return []record.Finding{{
		ID: "tls-legacy-version", Category: record.WeakTLS, Severity: record.Medium,
		Title:    "TLS server accepts versions deprecated since 2021",
		Evidence: "handshakes completed with " + strings.Join(names, ", "),
		Remediation: "accept TLS 1.2 and 1.3 only: `ssl_protocols TLSv1.2 TLSv1.3;` (nginx), " +
			"`SSLProtocol -all +TLSv1.2 +TLSv1.3` (Apache), `MinProtocol = TLSv1.2` (OpenSSL config)",
		References: []string{"RFC 8996", "CWE-327"},
		Confidence: record.Confirmed,
	}}
}

// certFinding makes a finding of the certificate category.
func certFinding(id string, sev record.Severity, title, evidence, fix string, refs ...string) record.Finding {
	return record.Finding{ID: id, Category: record.CertificateRisk, Severity: sev, Title: title, Evidence: evidence,
		Remediation: fix, References: append(refs, "CWE-295"), Confidence: record.Confirmed}
}

const dateFmt = "2006-01-02"

// JudgeChain judges the certificates a server presented, leaf first,
// for name (a host name or an address) at now; roots are the trusted
// CAs, nil for the system's.
func JudgeChain(chain []*x509.Certificate, name string, now time.Time, roots *x509.CertPool) []record.Finding {
	if len(chain) == 0 {
		return nil
	}
	leaf := chain[0]
	subject := leaf.Subject.String()
	var fs []record.Finding
	renew := "issue a new certificate (e.g. from an ACME CA: certbot, lego) and reload the server"
	switch {
	case now.After(leaf.NotAfter):
		fs = append(fs, certFinding("tls-cert-expired", record.High, "TLS certificate has expired",
			fmt.Sprintf("%s: not after %s", subject, leaf.NotAfter.UTC().Format(dateFmt)), renew))
	case now.Before(leaf.NotBefore):
		fs = append(fs, certFinding("tls-cert-not-yet-valid", record.Medium, "TLS certificate is not valid yet",
			fmt.Sprintf("%s: not before %s", subject, leaf.NotBefore.UTC().Format(dateFmt)),
			"check the server's clock, or the certificate's dates"))
	}
	selfSigned := isSelfSigned(leaf)
	if selfSigned {
		fs = append(fs, certFinding("tls-cert-self-signed", record.Medium, "TLS certificate is self-signed",
			"subject and issuer "+subject+", signed by its own key",
			"use a certificate from a CA the clients trust (a public one via ACME, or your organisation's)"))
	} else if err := verifyTrust(chain, roots); err != nil {
		fs = append(fs, certFinding("tls-cert-untrusted", record.Medium, "TLS certificate's issuer is not trusted",
			fmt.Sprintf("issuer %s: %v", leaf.Issuer, err),
			"serve the whole chain up to a trusted CA (the intermediates too), from a CA the clients trust"))
	}
	if err := leaf.VerifyHostname(name); err != nil {
		names := leaf.DNSNames
		for _, ip := range leaf.IPAddresses {
			names = append(names, ip.String())
		}
		fs = append(fs, certFinding("tls-cert-name-mismatch", record.Medium, "TLS certificate is for another name",
			fmt.Sprintf("scanned as %s; certificate for %s", name, strings.Join(names, ", ")),
			"issue the certificate for the name clients use (subjectAltName), or serve the right one for it (SNI)"))
	}
	if bits, weak := weakKey(leaf); weak {
		fs = append(fs, certFinding("tls-cert-weak-key", record.High, "TLS certificate has a weak key",
			fmt.Sprintf("%s key of %d bits", leaf.PublicKeyAlgorithm, bits),
			"issue a new certificate with an RSA key of 2048 bits or more, or an ECDSA P-256 key", "NIST SP 800-131A"))
	}
	if !selfSigned && weakSignature(leaf.SignatureAlgorithm) {
		fs = append(fs, certFinding("tls-cert-sha1", record.Medium, "TLS certificate is signed with a broken hash",
			fmt.Sprintf("%s signature by %s", leaf.SignatureAlgorithm, leaf.Issuer),
			"issue a new certificate signed with SHA-256 or better", "https://shattered.io"))
	}
	return fs
}

// isSelfSigned: the issuer is the subject, and the leaf's own key signed
// it, or (a signature Go no longer checks, SHA-1) its authority key
// identifier is absent or its own (RFC 5280 section 4.2.1.1).
func isSelfSigned(c *x509.Certificate) bool {
	if !bytes.Equal(c.RawIssuer, c.RawSubject) {
		return false
	}
	if c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil {
		return true
	}
	return weakSignature(c.SignatureAlgorithm) && (len(c.AuthorityKeyId) == 0 || bytes.Equal(c.AuthorityKeyId, c.SubjectKeyId))
}

// verifyTrust checks the chain to roots at a time the leaf is valid, so
// that only trust is judged (expiry is judged apart).
func verifyTrust(chain []*x509.Certificate, roots *x509.CertPool) error {
	leaf := chain[0]
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	at := leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore) / 2)
	_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: at,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	var ua x509.UnknownAuthorityError
	var inv x509.CertificateInvalidError
	var insecure x509.InsecureAlgorithmError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ua) && strings.Contains(ua.Error(), "insecure algorithm"):
		// A trusted issuer was found, but Go no longer checks its SHA-1
		// signature: judged by tls-cert-sha1.
		return nil
	case errors.As(err, &ua):
		return errors.New("signed by an unknown authority")
	case errors.As(err, &inv) && inv.Reason == x509.Expired:
		return nil // an intermediate's dates: not this finding's matter
	case errors.As(err, &insecure):
		return nil // judged by tls-cert-sha1
	}
	return err
}

func weakKey(c *x509.Certificate) (int, bool) {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return k.N.BitLen(), k.N.BitLen() < 2048
	case *ecdsa.PublicKey:
		return k.Curve.Params().BitSize, k.Curve.Params().BitSize < 224
	}
	return 0, false
}

func weakSignature(a x509.SignatureAlgorithm) bool {
	switch a {
	case x509.SHA1WithRSA, x509.ECDSAWithSHA1, x509.DSAWithSHA1, x509.MD5WithRSA, x509.MD2WithRSA:
		return true
	}
	return false
}

// JudgeCertRecord judges the certificate identification described after
// a STARTTLS upgrade (command names it) for name at now: what the record
// keeps (dates, self-signature, key, names), each finding "likely" as
// the audit did not see the handshake itself.
func JudgeCertRecord(c *record.Certificate, command, name string, now time.Time) []record.Finding {
	var fs []record.Finding
	via := ""
	if command != "" {
		via = " (after " + command + ")"
	}
	add := func(f record.Finding) {
		f.Confidence = record.Likely
		f.Evidence += via
		fs = append(fs, f)
	}
	renew := "issue a new certificate (e.g. from an ACME CA: certbot, lego) and reload the server"
	switch {
	case now.After(c.NotAfter):
		add(certFinding("tls-cert-expired", record.High, "TLS certificate has expired",
			fmt.Sprintf("%s: not after %s", c.Subject, c.NotAfter.UTC().Format(dateFmt)), renew))
	case now.Before(c.NotBefore):
		add(certFinding("tls-cert-not-yet-valid", record.Medium, "TLS certificate is not valid yet",
			fmt.Sprintf("%s: not before %s", c.Subject, c.NotBefore.UTC().Format(dateFmt)),
			"check the server's clock, or the certificate's dates"))
	}
	if c.SelfSigned {
		add(certFinding("tls-cert-self-signed", record.Medium, "TLS certificate is self-signed",
			"subject and issuer "+c.Subject+", signed by its own key",
			"use a certificate from a CA the clients trust (a public one via ACME, or your organisation's)"))
	}
	if !namesMatch(c.SANs, name) {
		add(certFinding("tls-cert-name-mismatch", record.Medium, "TLS certificate is for another name",
			fmt.Sprintf("scanned as %s; certificate for %s", name, strings.Join(c.SANs, ", ")),
			"issue the certificate for the name clients use (subjectAltName), or serve the right one for it (SNI)"))
	}
	if (c.KeyType == "RSA" && c.KeyBits < 2048) || (c.KeyType == "ECDSA" && c.KeyBits < 224) {
		add(certFinding("tls-cert-weak-key", record.High, "TLS certificate has a weak key",
			fmt.Sprintf("%s key of %d bits", c.KeyType, c.KeyBits),
			"issue a new certificate with an RSA key of 2048 bits or more, or an ECDSA P-256 key", "NIST SP 800-131A"))
	}
	return fs
}

// namesMatch reports whether one of a certificate's subject alternative
// names is name: an address literally, a host name case-insensitively,
// with a wildcard standing for one leftmost label (RFC 6125 6.4.3).
func namesMatch(sans []string, name string) bool {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if a, err := netip.ParseAddr(name); err == nil {
		for _, s := range sans {
			if b, err := netip.ParseAddr(s); err == nil && a.Unmap() == b.Unmap() {
				return true
			}
		}
		return false
	}
	for _, s := range sans {
		s = strings.ToLower(s)
		if s == name {
			return true
		}
		if rest, ok := strings.CutPrefix(s, "*."); ok {
			if _, after, ok := strings.Cut(name, "."); ok && after == rest {
				return true
			}
		}
	}
	return false
}

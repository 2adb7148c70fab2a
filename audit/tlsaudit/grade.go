package tlsaudit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ajarsec/ajar/record"
)

// JudgeReport judges the versions and suites a server accepted: SSL
// 2.0 and 3.0, TLS 1.0 and 1.1, broken and 64-bit-block suites, and
// forward secrecy.
func JudgeReport(r *Report) []record.Finding {
	var fs []record.Finding
	if r.Accepts(VersionSSL2) {
		fs = append(fs, record.Finding{
			ID: "tls-sslv2", Category: record.WeakTLS, Severity: record.Critical,
			Title:       "TLS server still speaks SSL 2.0",
			Evidence:    "an SSL 2.0 CLIENT-HELLO was answered with a SERVER-HELLO",
			Remediation: "turn SSL 2.0 off (`SSLProtocol -all +TLSv1.2 +TLSv1.3`, `ssl_protocols TLSv1.2 TLSv1.3;`), or upgrade the TLS library",
			References:  []string{"RFC 6176", "CVE-2016-0800", "CWE-327"}, Confidence: record.Confirmed,
		})
	}
	if r.Accepts(VersionSSL3) {
		fs = append(fs, record.Finding{
			ID: "tls-sslv3", Category: record.WeakTLS, Severity: record.High,
			Title:       "TLS server still accepts SSL 3.0 (POODLE)",
			Evidence:    "a ServerHello for SSLv3 with " + SuiteName(r.suitesAt(VersionSSL3)[0]),
			Remediation: "accept TLS 1.2 and 1.3 only: `ssl_protocols TLSv1.2 TLSv1.3;` (nginx), `SSLProtocol -all +TLSv1.2 +TLSv1.3` (Apache)",
			References:  []string{"RFC 7568", "CVE-2014-3566", "CWE-327"}, Confidence: record.Confirmed,
		})
	}
	var legacy []uint16
	for _, v := range []uint16{VersionTLS10, VersionTLS11} {
		if r.Accepts(v) {
			legacy = append(legacy, v)
		}
	}
	fs = append(fs, JudgeVersions(legacy)...)
	fs = append(fs, judgeSuites(r)...)
	return fs
}

func (r *Report) suitesAt(v uint16) []uint16 {
	for _, a := range r.Versions {
		if a.Version == v {
			return a.Suites
		}
	}
	return nil
}

// weakSuites lists, per version, the accepted suites of weakness w.
func (r *Report) weakSuites(w Weakness) (list []string, n int) {
	for _, a := range r.Versions {
		if a.Version == VersionSSL2 {
			continue
		}
		var names []string
		for _, s := range a.Suites {
			if got, why := Judge(s); got == w {
				names = append(names, SuiteName(s)+" ("+why+")")
			}
		}
		if len(names) > 0 {
			list = append(list, VersionName(a.Version)+": "+strings.Join(names, ", "))
			n += len(names)
		}
	}
	return list, n
}

func judgeSuites(r *Report) []record.Finding {
	var fs []record.Finding
	if list, n := r.weakSuites(Broken); n > 0 {
		fs = append(fs, record.Finding{
			ID: "tls-broken-cipher", Category: record.WeakTLS, Severity: record.High,
			Title:    fmt.Sprintf("TLS server accepts %d broken cipher suites (no encryption, anonymous, export, RC4 or DES)", n),
			Evidence: strings.Join(list, "; "),
			Remediation: "offer only AEAD suites with ECDHE: `ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20;` (nginx), " +
				"`SSLCipherSuite ECDHE+AESGCM:ECDHE+CHACHA20` (Apache); never eNULL, aNULL, EXPORT, RC4, DES",
			References: []string{"RFC 7465", "RFC 9325", "CWE-327"}, Confidence: record.Confirmed,
		})
	}
	if list, n := r.weakSuites(Block64); n > 0 {
		fs = append(fs, record.Finding{
			ID: "tls-sweet32", Category: record.WeakTLS, Severity: record.Medium,
			Title:       fmt.Sprintf("TLS server accepts %d suites with a 64-bit block cipher (Sweet32)", n),
			Evidence:    strings.Join(list, "; "),
			Remediation: "remove 3DES and IDEA from the cipher list: add `:!3DES:!IDEA` to `ssl_ciphers` / `SSLCipherSuite`",
			References:  []string{"CVE-2016-2183", "https://sweet32.info", "CWE-327"}, Confidence: record.Confirmed,
		})
	}
	if f, ok := judgeFS(r); ok {
		fs = append(fs, f)
	}
	return fs
}

// judgeFS: no accepted suite has forward secrecy (medium), or the server
// enforces an order that puts a static key exchange first at its best
// version (low).
func judgeFS(r *Report) (record.Finding, bool) {
	f := record.Finding{
		ID: "tls-no-forward-secrecy", Category: record.WeakTLS, Confidence: record.Confirmed,
		Remediation: "offer ECDHE suites first: `ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20;` with `ssl_prefer_server_ciphers on;` (nginx), " +
			"`SSLCipherSuite ECDHE+AESGCM` with `SSLHonorCipherOrder on` (Apache)",
		References: []string{"RFC 9325 section 4.1", "CWE-327"},
	}
	any := false
	for _, a := range r.Versions {
		any = any || slices.ContainsFunc(a.Suites, FS)
	}
	if len(r.Versions) == 0 || r.Versions[0].Version == VersionSSL2 {
		return f, false
	}
	best := r.Versions[0]
	switch {
	case !any:
		f.Severity = record.Medium
		f.Title = "TLS server offers no forward secrecy"
		f.Evidence = "no ECDHE or DHE suite accepted at any version; at " + VersionName(best.Version) + ": " + SuiteName(best.Suites[0])
	case best.ServerOrder && !FS(best.Suites[0]):
		f.Severity = record.Low
		f.Title = "TLS server prefers a suite without forward secrecy"
		f.Evidence = "at " + VersionName(best.Version) + " the server's first choice is " + SuiteName(best.Suites[0])
	default:
		return f, false
	}
	return f, true
}

// Grade is a letter for a TLS service in the spirit of SSL Labs' server
// rating guide, by ajar's own rules: the grade starts at A and each
// weakness caps it, the lowest cap wins.
//
//	F  SSL 2.0; a broken suite (NULL, anonymous, EXPORT, RC4, DES); an
//	   RSA key under 1024 bits
//	C  SSL 3.0; a 64-bit block cipher (3DES, IDEA)
//	B  TLS 1.0 or 1.1; no forward secrecy at all; an RSA key under 2048
//	   bits; no TLS 1.2 or 1.3
//	A+ nothing above, TLS 1.3 accepted, and at TLS 1.2 only AEAD suites
//	   with forward secrecy
//
// A certificate clients cannot trust (expired, not yet valid,
// self-signed, untrusted issuer, another name, SHA-1 signature) adds
// "T": "B/T" reads "B were the certificate trusted". The reasons say
// which rule set each cap.
func Grade(r *Report, certFindings []record.Finding) (string, []string) {
	grade := "A+"
	var why []string
	capAt := func(g, reason string) {
		why = append(why, g+": "+reason)
		if rank(g) > rank(grade) {
			grade = g
		}
	}
	if r.Accepts(VersionSSL2) {
		capAt("F", "SSL 2.0")
	}
	if _, n := r.weakSuites(Broken); n > 0 {
		capAt("F", "broken cipher suites")
	}
	if r.Accepts(VersionSSL3) {
		capAt("C", "SSL 3.0")
	}
	if _, n := r.weakSuites(Block64); n > 0 {
		capAt("C", "64-bit block ciphers")
	}
	if r.Accepts(VersionTLS10) || r.Accepts(VersionTLS11) {
		capAt("B", "TLS 1.0 or 1.1")
	}
	if !r.Accepts(VersionTLS12) && !r.Accepts(VersionTLS13) {
		capAt("B", "neither TLS 1.2 nor 1.3")
	}
	if f, ok := judgeFS(r); ok && f.Severity == record.Medium {
		capAt("B", "no forward secrecy")
	}
	if len(r.Certs) > 0 {
		if bits, weak := weakKey(r.Certs[0]); weak {
			capAt(map[bool]string{true: "F", false: "B"}[bits < 1024], fmt.Sprintf("a %d-bit key", bits))
		}
	}
	if grade == "A+" && (!r.Accepts(VersionTLS13) || slices.ContainsFunc(r.suitesAt(VersionTLS12), notModern)) {
		grade = "A"
	}
	var trust []string
	for _, f := range certFindings {
		if f.Category == record.CertificateRisk && f.ID != "tls-cert-weak-key" {
			trust = append(trust, strings.TrimPrefix(f.ID, "tls-cert-"))
		}
	}
	if len(trust) > 0 {
		why = append(why, "T: certificate not trusted ("+strings.Join(trust, ", ")+")")
		grade += "/T"
	}
	return grade, why
}

func rank(g string) int { return strings.Index("A+ABCF", g) }

// notModern: a TLS 1.2 suite that is not AEAD with forward secrecy.
func notModern(id uint16) bool {
	n := SuiteName(id)
	return !FS(id) || !(strings.Contains(n, "_GCM_") || strings.Contains(n, "CHACHA20") || strings.Contains(n, "_CCM"))
}

// gradeFinding is the grade as an info finding, when it is below A.
func gradeFinding(r *Report, certFindings []record.Finding) (record.Finding, bool) {
	g, why := Grade(r, certFindings)
	if g == "A" || g == "A+" {
		return record.Finding{}, false
	}
	return record.Finding{
		ID: "tls-grade", Category: record.WeakTLS, Severity: record.Info,
		Title:       "TLS grade " + g + " (ajar's rating, in the spirit of SSL Labs')",
		Evidence:    strings.Join(why, "; "),
		Remediation: "fix the findings that cap the grade, worst first",
		References:  []string{"https://github.com/ssllabs/research/wiki/SSL-Server-Rating-Guide"},
		Confidence:  record.Confirmed,
	}, true
}

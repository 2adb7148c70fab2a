package record

import "fmt"

// Finding is one risk a check found behind a port: what it is, how bad,
// what the service said to show it, and how to fix it. Findings travel on
// their port's record (PortResult.Findings), not as records of their own.
type Finding struct {
	// ID names the check's finding, stable across releases
	// ("redis-no-auth").
	ID       string   `json:"id"`
	Category Category `json:"category"`
	Severity Severity `json:"severity"`
	Title    string   `json:"title"`
	// Evidence is what the service said that shows the risk, bounded by
	// MaxEvidence.
	Evidence string `json:"evidence,omitempty"`
	// Remediation is the concrete fix: a configuration directive or a
	// command.
	Remediation string `json:"remediation,omitempty"`
	// References are CVE, CWE and vendor advisory names or URLs.
	References []string   `json:"references,omitempty"`
	Confidence Confidence `json:"confidence"`
	// CVSS, KEV, EPSS, FixedIn and Snapshot describe a known
	// vulnerability (category known-vulnerability): its CVSS score, its
	// listing in CISA's Known Exploited Vulnerabilities catalog, its EPSS
	// score, the version that fixes it, and the vulnerability database
	// snapshot it came from.
	CVSS     *CVSS  `json:"cvss,omitempty"`
	KEV      *KEV   `json:"kev,omitempty"`
	EPSS     *EPSS  `json:"epss,omitempty"`
	FixedIn  string `json:"fixed_in,omitempty"`
	Snapshot string `json:"snapshot,omitempty"`
	// Exposure is who can reach the listener, when the finding was
	// weighed by it (ajar audit, from this machine's sockets); zero when
	// it was not.
	Exposure Exposure `json:"exposure,omitempty"`
	// SeverityReason says why Severity is what it is, once weighed by
	// Exposure.
	SeverityReason string `json:"severity_reason,omitempty"`
}

// CVSS is a CVSS base score and the vector it was computed from.
type CVSS struct {
	Score   float64 `json:"score"`
	Vector  string  `json:"vector"`
	Version string  `json:"version"` // "2.0", "3.0", "3.1", "4.0"
}

// KEV says whether a CVE is in CISA's Known Exploited Vulnerabilities
// catalog, and whether it is known to be used in ransomware campaigns.
type KEV struct {
	Listed     bool `json:"listed"`
	Ransomware bool `json:"ransomware"`
}

// EPSS is a CVE's Exploit Prediction Scoring System score (the
// probability of exploitation in the next 30 days) and its percentile,
// both in [0, 1].
type EPSS struct {
	Score      float64 `json:"score"`
	Percentile float64 `json:"percentile"`
}

// MaxEvidence bounds Finding.Evidence, in bytes.
const MaxEvidence = 512

// Category is the kind of risk a finding is: exactly one of the
// constants below.
type Category string

// The categories.
const (
	NoAuth             Category = "no-auth"
	DefaultCredentials Category = "default-credentials"
	Cleartext          Category = "cleartext"
	WeakTLS            Category = "weak-tls"
	CertificateRisk    Category = "certificate"
	WeakSSH            Category = "weak-ssh"
	Amplification      Category = "amplification"
	OpenRelay          Category = "open-relay"
	OpenProxy          Category = "open-proxy"
	OpenResolver       Category = "open-resolver"
	InfoLeak           Category = "info-leak"
	ExposedAdmin       Category = "exposed-admin"
	KnownVulnerability Category = "known-vulnerability"
)

// Categories lists every category.
var Categories = []Category{NoAuth, DefaultCredentials, Cleartext, WeakTLS, CertificateRisk, WeakSSH,
	Amplification, OpenRelay, OpenProxy, OpenResolver, InfoLeak, ExposedAdmin, KnownVulnerability}

// Valid reports whether c is one of Categories.
func (c Category) Valid() bool {
	for _, k := range Categories {
		if c == k {
			return true
		}
	}
	return false
}

// Severity is how bad a finding is, ordered: Info < Low < … < Critical.
type Severity uint8

// The severities. The zero value is not one: a finding always says.
const (
	SeverityUnknown Severity = iota
	Info
	Low
	Medium
	High
	Critical
)

var severityNames = [...]string{
	SeverityUnknown: "unknown",
	Info:            "info",
	Low:             "low",
	Medium:          "medium",
	High:            "high",
	Critical:        "critical",
}

func (s Severity) String() string {
	if int(s) < len(severityNames) {
		return severityNames[s]
	}
	return fmt.Sprintf("severity(%d)", uint8(s))
}

// ParseSeverity reads a severity's name.
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if i > 0 && n == s {
			return Severity(i), nil
		}
	}
	return SeverityUnknown, fmt.Errorf("unknown severity %q (want info, low, medium, high or critical)", s)
}

// MarshalText implements encoding.TextMarshaler.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Confidence is how sure a finding is.
type Confidence string

// The confidences.
const (
	// Confirmed: an active check saw the risk happen (a command answered
	// without authentication).
	Confirmed Confidence = "confirmed"
	// Likely: what the service said implies the risk.
	Likely Confidence = "likely"
	// Inconclusive: a hint that needs a person to look.
	Inconclusive Confidence = "inconclusive"
)

// Valid reports whether c is one of the three confidences.
func (c Confidence) Valid() bool { return c == Confirmed || c == Likely || c == Inconclusive }

// Worst returns the highest severity of fs, SeverityUnknown when fs is
// empty.
func Worst(fs []Finding) Severity {
	var w Severity
	for _, f := range fs {
		w = max(w, f.Severity)
	}
	return w
}

package vulndb

import (
	"context"
	"fmt"
	"strings"

	"github.com/ajarsec/ajar/record"
)

// HighEPSS is the EPSS score (probability of exploitation in the next 30
// days) from which a finding's severity is raised one level.
const HighEPSS = 0.1

// Severity is a CVE's severity: from its CVSS base score (medium when it
// has none), one level higher when it is in CISA's KEV catalog (and at
// least high) and one level higher when its EPSS score is HighEPSS or
// more.
func (v *Verdict) Severity() record.Severity {
	s := record.Medium
	switch sc := v.CVSS.Score; {
	case v.CVSS.Vector == "":
	case sc >= 9:
		s = record.Critical
	case sc >= 7:
		s = record.High
	case sc >= 4:
		s = record.Medium
	case sc > 0:
		s = record.Low
	default:
		s = record.Info
	}
	if v.KEV != nil && v.KEV.Listed {
		s = max(s+1, record.High)
	}
	if v.EPSS != nil && v.EPSS.Score >= HighEPSS {
		s++
	}
	return min(s, record.Critical)
}

// Finding turns a vulnerable verdict into a finding of category
// known-vulnerability that names the database snapshot.
func (v *Verdict) Finding(snapshot string) record.Finding {
	title := v.CVE
	if v.Product != "" {
		title = fmt.Sprintf("%s %s: %s", v.Product, v.Version, v.CVE)
	}
	if sum := firstSentence(v.Summary); sum != "" {
		title += ": " + sum
	}
	ev := fmt.Sprintf("version %s matches %s", v.Version, v.Criterion)
	if v.DistroNote != "" {
		ev += "; " + v.DistroNote
	}
	f := record.Finding{
		ID: v.CVE, Category: record.KnownVulnerability, Severity: v.Severity(), Title: title,
		Evidence: ev, Confidence: v.Confidence, KEV: v.KEV, EPSS: v.EPSS, FixedIn: v.FixedIn, Snapshot: snapshot,
		References: append(append([]string{v.CVE}, v.CWEs...), "https://nvd.nist.gov/vuln/detail/"+v.CVE),
	}
	if v.CVSS.Vector != "" {
		f.CVSS = &record.CVSS{Score: v.CVSS.Score, Vector: v.CVSS.Vector, Version: v.CVSS.Version}
	}
	switch {
	case v.FixedIn != "" && v.Distro.Family != "" && strings.Contains(v.DistroNote, "affected"):
		f.Remediation = fmt.Sprintf("upgrade the %s package to %s or later", v.Distro.Family, v.FixedIn)
	case v.FixedIn != "":
		f.Remediation = fmt.Sprintf("upgrade %s to %s or later", cmpOr(v.Product, "the software"), v.FixedIn)
	default:
		f.Remediation = "no fixed version is known: see the CVE's advisories for a workaround"
	}
	return f
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// firstSentence is a CVE description's first sentence, at most 120
// bytes.
func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i > 0 {
		s = s[:i]
	}
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	if len(s) > 120 {
		s = strings.TrimSpace(s[:117]) + "…"
	}
	return s
}

// Findings returns the known vulnerabilities of a service as findings;
// CVEs the distribution fixed are left out.
// The slice returned is shared by every port of the same service: the
// caller copies it before changing it.
func (m *Matcher) Findings(ctx context.Context, svc *record.Service) ([]record.Finding, error) {
	if svc == nil || len(svc.CPE) == 0 {
		return nil, nil
	}
	key := serviceKey(svc)
	m.mu.Lock()
	defer m.mu.Unlock()
	if fs, ok := m.findings[key]; ok {
		return fs, nil
	}
	vs, err := m.matchLocked(ctx, svc, key)
	if err != nil {
		return nil, err
	}
	var out []record.Finding
	snap := m.man.SnapshotName()
	for i := range vs {
		if vs[i].Status == Vulnerable {
			out = append(out, vs[i].Finding(snap))
		}
	}
	m.findings[key] = out
	return out, nil
}

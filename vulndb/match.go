package vulndb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/ajarsec/ajar/record"
)

// Status is a verdict on one CVE for one service.
type Status string

// The statuses.
const (
	// Vulnerable: the service's version is in the CVE's affected range.
	Vulnerable Status = "vulnerable"
	// DistroFixed: the upstream version is in the range, but the
	// distribution's package revision the banner names has the fix.
	DistroFixed Status = "not-vulnerable (distro-fixed)"
)

// Verdict is what the database says of one CVE for one service.
type Verdict struct {
	CVE        string
	Status     Status
	Confidence record.Confidence
	// Source is where the affected range came from: "nvd" or "cve5".
	Source string
	// Criterion is the configuration criterion or CVE5 range matched.
	Criterion string
	// Product and Version are the service's, as matched.
	Product, Version string
	// FixedIn is the version that fixes it: the distribution package's
	// when the distribution's data decided, else upstream's, when known.
	FixedIn string
	// Distro is the distribution revision the banner named; DistroNote
	// says what its data said.
	Distro     Distro
	DistroNote string
	Summary    string // the description's first 240 characters
	CWEs       []string
	CVSS       CVSS
	KEV        *record.KEV
	EPSS       *record.EPSS
}

// Matcher matches identified services against a database. It is safe
// for concurrent use, and caches its answer for each distinct service.
type Matcher struct {
	db  *sql.DB
	man Manifest

	mu       sync.Mutex
	verdicts map[string][]Verdict
	cands    map[string][]candidate
	candStmt *sql.Stmt
	findings map[string][]record.Finding
	fixes    map[string]map[string][]DistroFix // family/package → CVE → fixes
	families map[string]bool                   // distribution data loaded
}

// Open opens the database in the data directory dir for matching;
// ErrNoDatabase when there is none.
func Open(dir string) (*Matcher, error) {
	man, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	name := filepath.Join(dir, FileName)
	if _, err := os.Stat(name); err != nil {
		return nil, fmt.Errorf("%w in %s: %v", ErrNoDatabase, dir, err)
	}
	db, err := openSQL(name, true)
	if err != nil {
		return nil, err
	}
	m := &Matcher{db: db, man: man, verdicts: map[string][]Verdict{}, cands: map[string][]candidate{},
		findings: map[string][]record.Finding{}, fixes: map[string]map[string][]DistroFix{},
		families: map[string]bool{}}
	for src, fam := range map[string]string{SourceOSVDebian: "debian", SourceOSVUbuntu: "ubuntu"} {
		if _, ok := man.Sources[src]; ok {
			m.families[fam] = true
		}
	}
	return m, nil
}

// Close closes the database.
func (m *Matcher) Close() error {
	if m.candStmt != nil {
		m.candStmt.Close()
	}
	return m.db.Close()
}

// Manifest is the database's manifest.
func (m *Matcher) Manifest() Manifest { return m.man }

// subject is a service's CPE names: the ones with a version are probed.
func subject(svc *record.Service) Subject {
	var s Subject
	for _, raw := range svc.CPE {
		c, err := ParseCPE(raw)
		if err != nil {
			continue
		}
		if c.Version == Any && c.Part == "a" && svc.Version != "" && len(svc.CPE) > 0 && raw == svc.CPE[0] {
			c.Version = strings.ToLower(svc.Version)
		}
		s = append(s, c)
	}
	return s
}

// Match returns the verdicts of every CVE whose affected range holds the
// service's version: vulnerable ones and those the distribution fixed.
func (m *Matcher) Match(ctx context.Context, svc *record.Service) ([]Verdict, error) {
	if svc == nil || len(svc.CPE) == 0 {
		return nil, nil
	}
	key := serviceKey(svc)
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.matchLocked(ctx, svc, key)
}

func serviceKey(svc *record.Service) string {
	return strings.Join(svc.CPE, "|") + "|" + svc.Version + "|" + svc.Banner + "|" + svc.ExtraInfo
}

// matchLocked is Match with m.mu held.
func (m *Matcher) matchLocked(ctx context.Context, svc *record.Service, key string) ([]Verdict, error) {
	if v, ok := m.verdicts[key]; ok {
		return v, nil
	}
	var out []Verdict
	subj := subject(svc)
	d, hasDistro := distroOf(svc.Banner, svc.ExtraInfo)
	for _, probe := range subj {
		k, err := probe.Key()
		if err != nil || probe.FullVersion() == "" {
			continue
		}
		vs, err := m.probe(ctx, k, probe, subj)
		if err != nil {
			return nil, err
		}
		for i := range vs {
			vs[i].Product, vs[i].Version = svc.Product, probe.FullVersion()
			if hasDistro {
				if err := m.distro(ctx, &vs[i], k, d); err != nil {
					return nil, err
				}
			}
		}
		out = append(out, vs...)
	}
	m.verdicts[key] = out
	return out, nil
}

const candidates = `SELECT cve, title, coalesce(cwe, ''), coalesce(cvss_version, ''),
	coalesce(cvss_vector, ''), coalesce(cvss_score, 0), nvd, cve5, kev, epss, epss_pct
	FROM cand WHERE key=?`

// candidate is a CVE indexed under a key, decoded once per matcher.
type candidate struct {
	v        Verdict // the CVE's own fields
	configs  []Config
	affected []Affected
}

// candidatesOf reads, once, the CVEs indexed under key.
func (m *Matcher) candidatesOf(ctx context.Context, key string) ([]candidate, error) {
	if c, ok := m.cands[key]; ok {
		return c, nil
	}
	if m.candStmt == nil {
		st, err := m.db.PrepareContext(ctx, candidates)
		if err != nil {
			return nil, fmt.Errorf("vulnerability database: %w", err)
		}
		m.candStmt = st
	}
	rows, err := m.candStmt.QueryContext(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("vulnerability database: %w", err)
	}
	defer rows.Close()
	var out []candidate
	for rows.Next() {
		var c candidate
		v := &c.v
		var cwe string
		var nvd, cve5 []byte
		var ransom sql.NullBool
		var score, pct sql.NullFloat64
		if err := rows.Scan(&v.CVE, &v.Summary, &cwe, &v.CVSS.Version, &v.CVSS.Vector, &v.CVSS.Score, &nvd, &cve5,
			&ransom, &score, &pct); err != nil {
			return nil, fmt.Errorf("vulnerability database: %w", err)
		}
		if cwe != "" {
			v.CWEs = strings.Split(cwe, ",")
		}
		if ransom.Valid {
			v.KEV = &record.KEV{Listed: true, Ransomware: ransom.Bool}
		}
		if score.Valid {
			v.EPSS = &record.EPSS{Score: score.Float64, Percentile: pct.Float64}
		}
		if len(nvd) > 0 && json.Unmarshal(nvd, &c.configs) == nil {
			for i := range c.configs {
				c.configs[i].prepare()
			}
		}
		if len(c.configs) == 0 && len(cve5) > 0 {
			if err := json.Unmarshal(cve5, &c.affected); err != nil {
				c.affected = nil
			}
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	m.cands[key] = out
	return out, nil
}

// probe finds the CVEs indexed under key whose ranges hold probe's
// version, judged with the whole subject for platform conditions.
func (m *Matcher) probe(ctx context.Context, key string, probe CPE, subj Subject) ([]Verdict, error) {
	cands, err := m.candidatesOf(ctx, key)
	if err != nil {
		return nil, err
	}
	var out []Verdict
	for i := range cands {
		c := &cands[i]
		v := c.v
		if !judge(&v, probe, subj, c.configs, c.affected) {
			continue
		}
		v.Status, v.Confidence = Vulnerable, record.Likely
		out = append(out, v)
	}
	return out, nil
}

// judge decides one CVE from NVD's configurations, or, when NVD has
// none, from the CVE5 record's affected ranges.
func judge(v *Verdict, probe CPE, subj Subject, configs []Config, affected []Affected) bool {
	if len(configs) > 0 {
		for i := range configs {
			if hit, ok := configs[i].Evaluate(subj); ok && hit.CPE == probe {
				v.Source, v.FixedIn = SourceNVD, hit.Match.FixedIn()
				v.Criterion = describeMatch(hit.Match)
				return true
			}
		}
		return false
	}
	ver := probe.FullVersion()
	for i := range affected {
		a := &affected[i]
		if !a.names(probe) {
			continue
		}
		if hit, fix, ok := a.Status(ver); ok && hit {
			v.Source, v.FixedIn = SourceCVE5, fix
			v.Criterion = fmt.Sprintf("CVE5 %s %s", a.Vendor, a.Product)
			if fix != "" {
				v.Criterion += " < " + fix
			}
			return true
		}
	}
	return false
}

// describeMatch writes a criterion with its range: "cpe:2.3:a:openbsd:
// openssh:*:…, < 9.3p2".
func describeMatch(m CPEMatch) string {
	var b strings.Builder
	b.WriteString(m.Criteria)
	for _, r := range [][2]string{{">=", m.StartIncl}, {">", m.StartExcl}, {"<=", m.EndIncl}, {"<", m.EndExcl}} {
		if r[1] != "" {
			b.WriteString(", " + r[0] + " " + r[1])
		}
	}
	return b.String()
}

// distro lets the distribution's data decide a vulnerable verdict of a
// service whose banner names a package revision.
func (m *Matcher) distro(ctx context.Context, v *Verdict, key string, d Distro) error {
	v.Distro = d
	name := map[string]string{"debian": "Debian", "ubuntu": "Ubuntu"}[d.Family]
	pkgs := sourcePackages[key]
	if !m.families[d.Family] || len(pkgs) == 0 {
		v.Confidence = record.Inconclusive
		v.DistroNote = fmt.Sprintf("%s revision %s may carry a backported fix; without %s's data (OSV) ajar cannot tell",
			name, d.Revision, name)
		return nil
	}
	var fixes []DistroFix
	for _, p := range pkgs {
		byCVE, err := m.loadFixes(ctx, d.Family, p)
		if err != nil {
			return err
		}
		fixes = append(fixes, byCVE[v.CVE]...)
	}
	verdict, fixed := judgeDistro(d, v.Version, fixes)
	switch verdict {
	case distroFixed:
		v.Status, v.FixedIn = DistroFixed, fixed
		v.DistroNote = fmt.Sprintf("%s fixed it in %s %s", name, pkgs[0], fixed)
	case distroAffected:
		v.FixedIn = fixed
		v.DistroNote = fmt.Sprintf("%s's data says %s %s-%s is affected", name, pkgs[0], v.Version, d.Revision)
		if fixed == "" {
			v.DistroNote += " (no fix yet)"
		}
	default:
		v.Confidence = record.Inconclusive
		v.DistroNote = fmt.Sprintf("%s's data has no entry for it in %s %s-%s: it may not apply to %s's package",
			name, pkgs[0], v.Version, d.Revision, name)
	}
	return nil
}

// loadFixes reads, once, every fix the distribution lists for a package.
func (m *Matcher) loadFixes(ctx context.Context, family, pkg string) (map[string][]DistroFix, error) {
	k := family + "/" + pkg
	if f, ok := m.fixes[k]; ok {
		return f, nil
	}
	rows, err := m.db.QueryContext(ctx, `SELECT osv, cve, release, introduced, fixed, last_affected FROM distro
		WHERE family=? AND package=?`, family, pkg)
	if err != nil {
		return nil, fmt.Errorf("vulnerability database: %w", err)
	}
	defer rows.Close()
	out := map[string][]DistroFix{}
	for rows.Next() {
		f := DistroFix{Family: family, Package: pkg}
		if err := rows.Scan(&f.OSV, &f.CVE, &f.Release, &f.Introduced, &f.Fixed, &f.LastAffected); err != nil {
			return nil, err
		}
		out[f.CVE] = append(out[f.CVE], f)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	m.fixes[k] = out
	return out, nil
}

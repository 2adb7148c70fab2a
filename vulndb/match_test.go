package vulndb

import (
	"context"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ajarsec/ajar/record"
)

var fixtureNow = time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)

// buildDB imports files into a new database in a temporary data
// directory and returns the directory.
func buildDB(t testing.TB, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	im, err := BeginImport(ctx, dir, func() time.Time { return fixtureNow })
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if err := im.ImportFile(ctx, f); err != nil {
			im.Rollback()
			t.Fatal(err)
		}
	}
	if _, err := im.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return dir
}

func openMatcher(t testing.TB, dir string) *Matcher {
	t.Helper()
	m, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// sshService is what fingerprint/ssh makes of an OpenSSH banner.
func sshService(version, distro string) *record.Service {
	svc := &record.Service{Name: "ssh", Product: "OpenSSH", Version: version, ExtraInfo: "protocol 2.0",
		Banner: "SSH-2.0-OpenSSH_" + version, CPE: []string{"cpe:2.3:a:openbsd:openssh:" + version + ":*:*:*:*:*:*:*"}}
	if distro != "" {
		fam, rev, _ := strings.Cut(distro, "-")
		svc.Banner += " " + distro
		svc.ExtraInfo = fam + " " + rev + "; protocol 2.0"
		svc.CPE = append(svc.CPE, "cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*")
	}
	return svc
}

type verdictSummary map[string]string // CVE → status/confidence

func summarize(vs []Verdict) verdictSummary {
	out := verdictSummary{}
	for _, v := range vs {
		out[v.CVE] = string(v.Status) + "/" + string(v.Confidence)
	}
	return out
}

func TestMatchFixtures(t *testing.T) {
	dir := buildDB(t, writeFixtures(t, t.TempDir())...)
	m := openMatcher(t, dir)
	const (
		vl = "vulnerable/likely"
		vi = "vulnerable/inconclusive"
		df = "not-vulnerable (distro-fixed)/likely"
	)
	cases := []struct {
		name string
		svc  *record.Service
		want verdictSummary
	}{
		{"OpenSSH 9.2p1, no distribution", sshService("9.2p1", ""), verdictSummary{
			"CVE-2023-38408": vl, "CVE-2024-6387": vl, "CVE-2023-51385": vl, "CVE-2099-0005": vl}},
		{"OpenSSH 9.2p1 Debian-2+deb12u3", sshService("9.2p1", "Debian-2+deb12u3"), verdictSummary{
			"CVE-2023-38408": df, "CVE-2024-6387": df, "CVE-2023-51385": vl, "CVE-2099-0005": vi}},
		{"OpenSSH 9.2p1 Debian-2+deb12u2", sshService("9.2p1", "Debian-2+deb12u2"), verdictSummary{
			"CVE-2023-38408": df, "CVE-2024-6387": vl, "CVE-2023-51385": vl, "CVE-2099-0005": vi}},
		{"OpenSSH 8.9p1", sshService("8.9p1", ""), verdictSummary{
			"CVE-2023-38408": vl, "CVE-2024-6387": vl, "CVE-2023-51385": vl, "CVE-2099-0003": vl}},
		{"OpenSSH 8.9p1 Ubuntu-3ubuntu0.4", sshService("8.9p1", "Ubuntu-3ubuntu0.4"), verdictSummary{
			"CVE-2023-38408": df, "CVE-2024-6387": vi, "CVE-2023-51385": vi, "CVE-2099-0003": vi}},
		{"OpenSSH 7.2p10", sshService("7.2p10", ""), verdictSummary{
			"CVE-2023-38408": vl, "CVE-2023-51385": vl, "CVE-2016-6210": vl}},
		{"OpenSSH 7.2p2", sshService("7.2p2", ""), verdictSummary{
			"CVE-2023-38408": vl, "CVE-2023-51385": vl, "CVE-2016-6210": vl, "CVE-2099-0004": vl}},
		{"OpenSSH 9.9p1", sshService("9.9p1", ""), verdictSummary{}},
		{"no version", &record.Service{Name: "ssh", Product: "OpenSSH", CPE: []string{"cpe:2.3:a:openbsd:openssh:*:*:*:*:*:*:*:*"}}, verdictSummary{}},
	}
	for _, c := range cases {
		vs, err := m.Match(context.Background(), c.svc)
		if err != nil {
			t.Fatal(err)
		}
		got := summarize(vs)
		if !equalSummary(got, c.want) {
			t.Errorf("%s:\n got %v\nwant %v", c.name, sorted(got), sorted(c.want))
		}
	}
}

func equalSummary(a, b verdictSummary) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func sorted(s verdictSummary) []string {
	var out []string
	for k, v := range s {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

func TestFindingsFields(t *testing.T) {
	dir := buildDB(t, writeFixtures(t, t.TempDir())...)
	m := openMatcher(t, dir)
	fs, err := m.Findings(context.Background(), sshService("9.2p1", ""))
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]record.Finding{}
	for _, f := range fs {
		byID[f.ID] = f
		if f.Category != record.KnownVulnerability || f.Snapshot != "vulndb 2026-12-01T00:00:00Z" || f.Title == "" {
			t.Errorf("%s: category %s, snapshot %q, title %q", f.ID, f.Category, f.Snapshot, f.Title)
		}
	}
	agent := byID["CVE-2023-38408"]
	if agent.CVSS == nil || agent.CVSS.Score != 9.8 || agent.CVSS.Version != "3.1" ||
		agent.KEV == nil || !agent.KEV.Ransomware || agent.FixedIn != "9.3p2" || agent.Severity != record.Critical ||
		!slices.Contains(agent.References, "CWE-428") {
		t.Errorf("CVE-2023-38408: %+v cvss %+v kev %+v", agent, agent.CVSS, agent.KEV)
	}
	// 8.1 high, raised one level by its EPSS score of 0.5.
	race := byID["CVE-2024-6387"]
	if race.EPSS == nil || race.EPSS.Score != 0.50123 || race.EPSS.Percentile != 0.99012 || race.Severity != record.Critical {
		t.Errorf("CVE-2024-6387: severity %v epss %+v", race.Severity, race.EPSS)
	}
	if low := byID["CVE-2023-51385"]; low.Severity != record.Medium || low.KEV != nil {
		t.Errorf("CVE-2023-51385: severity %v", low.Severity)
	}
	// The CVE5-only CVE, scored with its CNA's CVSS 4.0 vector.
	cna := byID["CVE-2099-0005"]
	if cna.CVSS == nil || cna.CVSS.Version != "4.0" || cna.CVSS.Score != 9.3 || cna.FixedIn != "9.4" ||
		!strings.Contains(cna.Evidence, "CVE5") || !slices.Contains(cna.References, "CWE-787") {
		t.Errorf("CVE-2099-0005: %+v cvss %+v", cna, cna.CVSS)
	}
	// On Debian, the distribution's fixed revision is the one to install.
	fs, err = m.Findings(context.Background(), sshService("9.2p1", "Debian-2+deb12u2"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if f.ID == "CVE-2024-6387" && (f.FixedIn != "1:9.2p1-2+deb12u3" || !strings.Contains(f.Remediation, "debian package")) {
			t.Errorf("CVE-2024-6387 on Debian: fixed in %q, remediation %q", f.FixedIn, f.Remediation)
		}
	}
}

func TestBundleGivesSameFindings(t *testing.T) {
	files := buildDB(t, writeFixtures(t, t.TempDir())...)
	bundle := t.TempDir() + "/vulndb-bundle.tar.gz"
	writeBundle(t, bundle)
	fromBundle := buildDB(t, bundle)
	for _, svc := range []*record.Service{sshService("9.2p1", "Debian-2+deb12u3"), sshService("8.9p1", "Ubuntu-3ubuntu0.4"), sshService("7.2p10", "")} {
		a, err := openMatcher(t, files).Match(context.Background(), svc)
		if err != nil {
			t.Fatal(err)
		}
		b, err := openMatcher(t, fromBundle).Match(context.Background(), svc)
		if err != nil {
			t.Fatal(err)
		}
		if !equalSummary(summarize(a), summarize(b)) || len(a) == 0 {
			t.Errorf("%s: files %v, bundle %v", svc.Banner, sorted(summarize(a)), sorted(summarize(b)))
		}
	}
	ma, _ := ReadManifest(files)
	mb, _ := ReadManifest(fromBundle)
	if ma.Snapshot() != mb.Snapshot() || ma.Counts["cves"] != mb.Counts["cves"] || ma.Counts["cves"] != 10 {
		t.Errorf("manifests differ: %+v vs %+v", ma, mb)
	}
}

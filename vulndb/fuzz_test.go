package vulndb

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ajarsec/ajar/internal/vulnfixture"
)

// FuzzParseCPE: a name that parses writes back to one that parses to the
// same name.
func FuzzParseCPE(f *testing.F) {
	for _, s := range []string{"cpe:2.3:a:openbsd:openssh:8.9:p1:*:*:*:*:*:*", `cpe:2.3:a:nodejs:node\:js:1.0:*:*:*:*:*:*:*`,
		"cpe:/a:OpenBSD:OpenSSH:9.2p1", "cpe:/o:linux:linux_kernel"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCPE(s)
		if err != nil {
			return
		}
		back, err := ParseCPE(c.String())
		if err != nil || back != c {
			t.Fatalf("%q: %+v -> %q -> %+v, %v", s, c, c.String(), back, err)
		}
	})
}

// FuzzReaders: hostile feed files are refused or read, never a panic.
func FuzzReaders(f *testing.F) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	f.Add([]byte(vulnfixture.NVD(now)))
	f.Add([]byte(vulnfixture.KEV(now)))
	f.Add([]byte(vulnfixture.EPSS(now)))
	f.Add([]byte(vulnfixture.CVE5(now, "CVE-2099-0005", "OpenBSD", "OpenSSH", `[{"version":"9.0","lessThan":"9.4","status":"affected","changes":[{"at":"9.1","status":"unaffected"}]}]`)))
	f.Add([]byte(vulnfixture.DebianOSV(now)["DSA-5724-1.json"]))
	f.Fuzz(func(t *testing.T, b []byte) {
		readNVD(bytes.NewReader(b), func(c *CVE) error { c.keys(); return nil })
		readKEV(bytes.NewReader(b), func(KEV) error { return nil })
		readEPSS(bytes.NewReader(b), func(EPSS) error { return nil })
		if c, err := readCVE5(b); err == nil {
			for i := range c.Affected {
				c.Affected[i].Status("9.2p1")
			}
		}
		readOSV(b, func(DistroFix) error { return nil })
	})
}

// TestRejected: a CVE NVD later rejects leaves the database.
func TestRejected(t *testing.T) {
	dir := buildDB(t, writeFixtures(t, t.TempDir())...)
	rejected := strings.Replace(vulnfixture.NVDFeed(fixtureNow, vulnfixture.NVDItem("CVE-2023-51385", "** REJECT **", "", "[]")),
		`"vulnStatus":"Analyzed"`, `"vulnStatus":"Rejected"`, 1)
	ctx := context.Background()
	im, err := BeginImport(ctx, dir, func() time.Time { return fixtureNow })
	if err != nil {
		t.Fatal(err)
	}
	if err := im.ImportReader(ctx, "rejected.json", strings.NewReader(rejected)); err != nil {
		t.Fatal(err)
	}
	man, err := im.Commit(ctx)
	if err != nil || man.Counts["cves"] != 9 {
		t.Fatalf("after the rejection: %v, %d CVEs", err, man.Counts["cves"])
	}
	vs, err := openMatcher(t, dir).Match(ctx, sshService("9.2p1", ""))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := summarize(vs)["CVE-2023-51385"]; ok {
		t.Error("a rejected CVE still matches")
	}
}

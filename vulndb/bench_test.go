package vulndb

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ajarsec/ajar/internal/vulnfixture"
	"github.com/ajarsec/ajar/record"
)

// benchDir is a data directory with a generated database: the one
// bench/vulndb.sh built (AJAR_VULNDB_DIR), else a small one built here.
func benchDir(b *testing.B) string {
	if d := os.Getenv("AJAR_VULNDB_DIR"); d != "" {
		return d
	}
	src := b.TempDir()
	f, err := os.Create(filepath.Join(src, "nvd.json.gz"))
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	if err := vulnfixture.Generate(f, vulnfixture.GenConfig{CVEs: 20000, Products: 2000, Seed: 1, Now: now}); err != nil {
		b.Fatal(err)
	}
	f.Close()
	kev, epss, deb, err := vulnfixture.GenerateSide(20000, 1, now)
	if err != nil {
		b.Fatal(err)
	}
	files := []string{f.Name()}
	for name, body := range map[string][]byte{"kev.json": kev, "epss.csv": epss, "debian.zip": deb} {
		p := filepath.Join(src, name)
		os.WriteFile(p, body, 0o600)
		files = append(files, p)
	}
	return buildDB(b, files...)
}

// benchServices are 1,000 open ports' services, as a scan of a few
// hundred hosts finds them: nine in ten are the zoo's products at one of
// their versions (OpenSSH often at Debian 12's, with its revision), one in
// ten one of 20 generated products of middling fame (a few hundred CVEs
// each in the 300,000-CVE dump).
func benchServices() []*record.Service {
	var out []*record.Service
	for i := 0; len(out) < 1000; i++ {
		p := vulnfixture.ZooProducts[i%len(vulnfixture.ZooProducts)]
		v := p.Versions[(i/len(vulnfixture.ZooProducts))%len(p.Versions)]
		svc := &record.Service{Name: p.Product, Product: p.Product, Version: v,
			CPE: []string{"cpe:2.3:a:" + p.Vendor + ":" + p.Product + ":" + v + ":*:*:*:*:*:*:*"}}
		switch {
		case i%10 == 9:
			k := 100 + i%20
			v = fmt.Sprintf("%d.%d", 1+k%5, k%10)
			svc = &record.Service{Name: "x", Product: "product", Version: v,
				CPE: []string{fmt.Sprintf("cpe:2.3:a:vendor%d:product%d:%s:*:*:*:*:*:*:*", k%667, k, v)}}
		case p.Product == "openssh" && i%2 == 0:
			svc = sshService("9.2p1", "Debian-2+deb12u10")
		}
		out = append(out, svc)
	}
	return out
}

// BenchmarkMatch1000Ports is what matching adds to a scan of 1,000 open
// ports: open the database, match every port's service, close.
func BenchmarkMatch1000Ports(b *testing.B) {
	dir := benchDir(b)
	svcs := benchServices()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	findings := 0
	for range b.N {
		m, err := Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		findings = 0
		for _, svc := range svcs {
			fs, err := m.Findings(ctx, svc)
			if err != nil {
				b.Fatal(err)
			}
			findings += len(fs)
		}
		m.Close()
	}
	b.ReportMetric(float64(findings), "findings")
}

// BenchmarkStatus is what `ajar vulndb status` reads: the manifest.
func BenchmarkStatus(b *testing.B) {
	dir := benchDir(b)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := ReadManifest(dir); err != nil {
			b.Fatal(err)
		}
	}
}

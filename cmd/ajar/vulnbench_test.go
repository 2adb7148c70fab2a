package main_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/ajarsec/ajar/internal/zoo"
	"github.com/ajarsec/ajar/portspec"
	ajarrecord "github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/vulndb"
)

// BenchmarkVulnZoo identifies the zoo's daemons (Debian 12's packages,
// with their Debian revisions in the banners that give them) with
// ajar scan -sV, and matches each port's service against the database in
// AJAR_VULNDB_DIR (bench/vulndb.sh builds one) twice: as ajar does, the
// distribution's data deciding where a banner names a revision, and by
// version alone, as scanners without distribution data do. It logs the
// findings per port of both. It is a benchmark, not a test: its numbers
// depend on the database.
func BenchmarkVulnZoo(b *testing.B) {
	dir := os.Getenv("AJAR_VULNDB_DIR")
	if dir == "" {
		b.Skip("AJAR_VULNDB_DIR names no database: run bench/vulndb.sh")
	}
	z := zoo.Start(b, zoo.Options{Only: []string{"openssh", "nginx", "apache2", "exim4", "vsftpd", "dovecot", "samba"}})
	var tcp []string
	for _, s := range z.Services(zoo.Usual) {
		if s.Proto == portspec.TCP {
			tcp = append(tcp, fmt.Sprint(s.Port))
		}
	}
	cmd := z.Bed.Scanner.Command(ajarBin, "scan", "-sT", "-sV", "-q", "-p", strings.Join(tcp, ","), "-o", "jsonl", z.Addr().String())
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("ajar scan -sV: %v", err)
	}
	m, err := vulndb.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	type row struct {
		port          uint16
		svc           string
		ajar, version int
		distroFixed   int
	}
	var rows []row
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r struct {
			Port    uint16              `json:"port"`
			Service *ajarrecord.Service `json:"service"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil || r.Service == nil || len(r.Service.CPE) == 0 {
			continue
		}
		vs, err := m.Match(context.Background(), r.Service)
		if err != nil {
			b.Fatal(err)
		}
		bare := *r.Service
		bare.Banner, bare.ExtraInfo = "", ""
		only, err := m.Match(context.Background(), &bare)
		if err != nil {
			b.Fatal(err)
		}
		rw := row{port: r.Port, svc: strings.TrimSpace(r.Service.Product + " " + r.Service.Version + " " + r.Service.ExtraInfo), version: len(only)}
		for _, v := range vs {
			if v.Status == vulndb.Vulnerable {
				rw.ajar++
			} else {
				rw.distroFixed++
			}
		}
		rows = append(rows, rw)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].port < rows[j].port })
	var tot row
	for _, r := range rows {
		b.Logf("port %5d  %-50.50s  ajar %4d  version-only %4d  distro-fixed %4d", r.port, r.svc, r.ajar, r.version, r.distroFixed)
		tot.ajar, tot.version, tot.distroFixed = tot.ajar+r.ajar, tot.version+r.version, tot.distroFixed+r.distroFixed
	}
	b.ReportMetric(float64(tot.ajar), "ajar-findings")
	b.ReportMetric(float64(tot.version), "version-only-findings")
	b.ReportMetric(float64(tot.distroFixed), "distro-fixed")
}

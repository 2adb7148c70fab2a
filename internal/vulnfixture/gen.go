package vulnfixture

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"
)

// Product is a product the generator gives CVEs to, with the versions
// its ranges are drawn from.
type Product struct {
	Vendor, Product string
	Versions        []string // ascending
	CVEs            int
	// Debian is the Debian source package, when the generator writes
	// Debian 12 fixes for the product's CVEs; DebianVersion is the
	// package's Debian 12 version without revision ("1:9.2p1").
	Debian, DebianVersion string
}

// ZooProducts are the products of the daemon zoo, with plausible CVE
// counts and version lists: the generated database matches them like the
// real one would, in number if not in CVE ids.
var ZooProducts = []Product{
	{"openbsd", "openssh", []string{"7.4", "7.9p1", "8.0p1", "8.4p1", "8.9p1", "9.2p1", "9.3p2", "9.6p1", "9.8p1", "9.9p2"}, 130, "openssh", "1:9.2p1"},
	{"f5", "nginx", []string{"1.14.0", "1.18.0", "1.20.1", "1.22.1", "1.24.0", "1.26.2", "1.27.4"}, 40, "nginx", "1.22.1"},
	{"apache", "http_server", []string{"2.4.29", "2.4.41", "2.4.54", "2.4.57", "2.4.59", "2.4.62", "2.4.65"}, 250, "apache2", "2.4.62"},
	{"exim", "exim", []string{"4.90", "4.94", "4.96", "4.97", "4.98"}, 50, "exim4", "4.96"},
	{"dovecot", "dovecot", []string{"2.3.4", "2.3.13", "2.3.19.1", "2.3.21"}, 40, "dovecot", "1:2.3.19.1"},
	{"samba", "samba", []string{"4.9.5", "4.13.13", "4.17.12", "4.19.5", "4.20.1"}, 200, "samba", "2:4.17.12+dfsg"},
	{"beasts", "vsftpd", []string{"2.3.4", "3.0.3", "3.0.5"}, 6, "vsftpd", "3.0.3"},
	{"redis", "redis", []string{"5.0.14", "6.0.16", "7.0.15", "7.2.4"}, 60, "redis", "5:7.0.15"},
	{"mariadb", "mariadb", []string{"10.3.39", "10.5.23", "10.11.6", "11.4.2"}, 120, "mariadb", "1:10.11.6"},
}

// GenConfig shapes a generated dump.
type GenConfig struct {
	CVEs     int // all CVEs, ZooProducts' included
	Products int // other vendor:product pairs, drawn Zipf-like
	Seed     uint64
	Now      time.Time
}

// Generate writes an NVD API 2.0 dump of cfg.CVEs CVEs shaped like NVD's
// (descriptions, CVSS v3.1 and v2 metrics, weaknesses, references, one
// to three configurations of OR nodes with version ranges, a fifth of them
// AND-ed with a platform), gzipped, to w.
func Generate(w io.Writer, cfg GenConfig) error {
	zw := gzip.NewWriter(w)
	bw := bufio.NewWriterSize(zw, 1<<20)
	r := rand.New(rand.NewPCG(cfg.Seed, 1))
	zipf := rand.NewZipf(r, 1.2, 4, uint64(max(cfg.Products, 1)-1))
	fmt.Fprintf(bw, `{"resultsPerPage":%d,"startIndex":0,"totalResults":%d,"format":"NVD_CVE","version":"2.0","timestamp":%q,"vulnerabilities":[`,
		cfg.CVEs, cfg.CVEs, nvdTime(cfg.Now))
	zooLeft := 0
	for _, p := range ZooProducts {
		zooLeft += p.CVEs
	}
	zi, zn := 0, 0
	for i := 0; i < cfg.CVEs; i++ {
		if i > 0 {
			bw.WriteByte(',')
		}
		id := GenID(i)
		var crit, rng string
		if zi < len(ZooProducts) && i%7 == 0 {
			p := ZooProducts[zi]
			crit, rng = "cpe:2.3:a:"+p.Vendor+":"+p.Product+":*:*:*:*:*:*:*:*", genRange(r, p.Versions)
			if zn++; zn >= p.CVEs {
				zi, zn = zi+1, 0
			}
		} else {
			k := zipf.Uint64()
			v := []string{fmt.Sprintf("%d.%d", 1+k%5, k%10), fmt.Sprintf("%d.%d.%d", 2+k%5, k%10, k%7), fmt.Sprintf("%d.0", 4+k%5)}
			crit, rng = fmt.Sprintf("cpe:2.3:a:vendor%d:product%d:*:*:*:*:*:*:*:*", k%(uint64(cfg.Products)/3+1), k), genRange(r, v)
		}
		configs := `[{"nodes":[{"operator":"OR","negate":false,"cpeMatch":[` + CPEMatch(true, crit, rng) + `]}]}`
		if r.IntN(5) == 0 {
			configs += `,{"operator":"AND","nodes":[{"operator":"OR","negate":false,"cpeMatch":[` + CPEMatch(true, crit, rng) +
				`]},{"operator":"OR","negate":false,"cpeMatch":[` + CPEMatch(false, "cpe:2.3:o:microsoft:windows:-:*:*:*:*:*:*:*", "") + `]}]}`
		}
		configs += "]"
		bw.WriteString(genItem(r, id, configs))
	}
	bw.WriteString("]}")
	if err := bw.Flush(); err != nil {
		return err
	}
	return zw.Close()
}

// GenID is the id of the i-th generated CVE.
func GenID(i int) string { return fmt.Sprintf("CVE-%d-%05d", 2000+i/40000, i%40000+10000) }

func genRange(r *rand.Rand, versions []string) string {
	end := versions[r.IntN(len(versions))]
	switch r.IntN(4) {
	case 0:
		return fmt.Sprintf(`"versionEndIncluding":%q,`, end)
	case 1:
		start := versions[r.IntN(len(versions))]
		return fmt.Sprintf(`"versionStartIncluding":%q,"versionEndExcluding":%q,`, start, end)
	}
	return fmt.Sprintf(`"versionEndExcluding":%q,`, end)
}

const loremWords = "a remote attacker could exploit a heap buffer overflow in the parser of the server when it handles crafted requests leading to denial of service or arbitrary code execution via a long header field in versions before the fix"

func genItem(r *rand.Rand, id, configs string) string {
	words := strings.Fields(loremWords)
	r.Shuffle(len(words), func(i, j int) { words[i], words[j] = words[j], words[i] })
	desc := strings.Join(words, " ") + ". " + strings.Join(words[:20], " ") + "."
	av := [...]string{"N", "A", "L", "P"}[r.IntN(4)]
	cia := [...]string{"H", "L", "N"}
	vec := fmt.Sprintf("CVSS:3.1/AV:%s/AC:L/PR:N/UI:N/S:U/C:%s/I:%s/A:%s", av, cia[r.IntN(3)], cia[r.IntN(3)], cia[r.IntN(2)])
	refs := make([]string, 0, 6)
	for j := 0; j < 3+r.IntN(4); j++ {
		refs = append(refs, fmt.Sprintf(`{"url":"https://example.org/advisories/%s/%d","source":"cve@mitre.org","tags":["Third Party Advisory"]}`, id, j))
	}
	return fmt.Sprintf(`{"cve":{"id":%q,"sourceIdentifier":"cve@mitre.org","published":"2021-01-01T00:00:00.000","lastModified":"2026-11-01T00:00:00.000",
"vulnStatus":"Analyzed","cveTags":[],"descriptions":[{"lang":"en","value":%q}],"metrics":{"cvssMetricV31":[{"source":"nvd@nist.gov","type":"Primary",
"cvssData":{"version":"3.1","vectorString":%q,"baseScore":7.5,"baseSeverity":"HIGH","attackVector":"NETWORK"},"exploitabilityScore":3.9,"impactScore":3.6}],
"cvssMetricV2":[{"source":"nvd@nist.gov","type":"Primary","cvssData":{"version":"2.0","vectorString":"AV:N/AC:L/Au:N/C:P/I:P/A:P","baseScore":7.5}}]},
"weaknesses":[{"source":"nvd@nist.gov","type":"Primary","description":[{"lang":"en","value":"CWE-787"}]}],"configurations":%s,"references":[%s]}}`,
		id, desc, vec, configs, strings.Join(refs, ","))
}

// GenerateSide writes the KEV catalog, the EPSS CSV and a Debian OSV zip
// for a generated dump of n CVEs: one CVE in 200 in KEV, every CVE
// scored, and Debian 12 records for the zoo products' CVEs (about half
// fixed in a deb12uN revision, a fifth unfixed, the rest absent).
func GenerateSide(n int, seed uint64, now time.Time) (kev, epss, debianZip []byte, err error) {
	r := rand.New(rand.NewPCG(seed, 2))
	var k, e strings.Builder
	fmt.Fprintf(&k, `{"title":"CISA Catalog of Known Exploited Vulnerabilities","catalogVersion":"2026.12.01","dateReleased":%q,"vulnerabilities":[`, now.Format(time.RFC3339))
	fmt.Fprintf(&e, "#model_version:v2025.03.14,score_date:%s\ncve,epss,percentile\n", now.Format(time.RFC3339))
	first := true
	for i := 0; i < n; i++ {
		id := GenID(i)
		if i%200 == 0 {
			if !first {
				k.WriteByte(',')
			}
			first = false
			fmt.Fprintf(&k, `{"cveID":%q,"dateAdded":"2024-01-01","knownRansomwareCampaignUse":%q}`, id, [...]string{"Known", "Unknown"}[r.IntN(2)])
		}
		s := r.Float64() * r.Float64() * r.Float64()
		fmt.Fprintf(&e, "%s,%.5f,%.5f\n", id, s, min(1, s*3))
	}
	k.WriteString("]}")
	files := map[string]string{}
	zi, zn := 0, 0
	for i := 0; i < n && zi < len(ZooProducts); i += 7 {
		p := ZooProducts[zi]
		switch x := r.IntN(10); {
		case x < 5:
			files[fmt.Sprintf("DEBIAN-%s.json", GenID(i))] = OSV(now, "DEBIAN-"+GenID(i), GenID(i), "Debian:12", p.Debian,
				fmt.Sprintf(`[{"introduced":"0"},{"fixed":"%s-2+deb12u%d"}]`, p.DebianVersion, 1+r.IntN(12)))
		case x < 7:
			files[fmt.Sprintf("DEBIAN-%s.json", GenID(i))] = OSV(now, "DEBIAN-"+GenID(i), GenID(i), "Debian:12", p.Debian, `[{"introduced":"0"}]`)
		}
		if zn++; zn >= p.CVEs {
			zi, zn = zi+1, 0
		}
	}
	var zb strings.Builder
	if err := writeZip(&zb, files); err != nil {
		return nil, nil, nil, err
	}
	return []byte(k.String()), []byte(e.String()), []byte(zb.String()), nil
}

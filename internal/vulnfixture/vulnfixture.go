// Package vulnfixture writes small files in the real formats of the
// vulnerability feeds (NVD API 2.0 JSON, CVE5 records, CISA KEV, FIRST
// EPSS CSV, OSV Debian and Ubuntu zips) for the tests of vulndb and of
// ajar's commands, with the traps a matcher must not fall into: an AND
// configuration, a platform-only CPE, a wildcard vendor, OpenSSH p
// releases, Debian and Ubuntu revisions, a CVE that only CVE5 knows.
package vulnfixture

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The fixtures are small files in the feeds' real formats, written by the
// tests themselves.

// V31Critical is a CVSS 3.1 vector of score 9.8.
const V31Critical = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"

// NVDItem writes one vulnerabilities[] item as NVD's CVE API 2.0 does.
func NVDItem(id, desc, vector, configs string) string {
	metrics := "{}"
	if vector != "" {
		metrics = fmt.Sprintf(`{"cvssMetricV31":[{"source":"nvd@nist.gov","type":"Primary","cvssData":{"version":"3.1",
"vectorString":%q,"baseScore":9.8,"baseSeverity":"CRITICAL"},"exploitabilityScore":3.9,"impactScore":5.9}]}`, vector)
	}
	return fmt.Sprintf(`{"cve":{"id":%q,"sourceIdentifier":"cve@mitre.org","published":"2023-07-20T03:15:10.060",
"lastModified":"2026-11-30T12:00:00.000","vulnStatus":"Analyzed","cveTags":[],
"descriptions":[{"lang":"en","value":%q},{"lang":"es","value":"..."}],"metrics":%s,
"weaknesses":[{"source":"nvd@nist.gov","type":"Primary","description":[{"lang":"en","value":"CWE-428"}]}],
"configurations":%s,"references":[{"url":"https://www.openssh.com/security.html","source":"cve@mitre.org"}]}}`,
		id, desc, metrics, configs)
}

// CPEMatch writes one cpeMatch entry.
func CPEMatch(vuln bool, crit, extra string) string {
	return fmt.Sprintf(`{"vulnerable":%v,"criteria":%q,%s"matchCriteriaId":"5D3A1B2C-0000-0000-0000-000000000000"}`, vuln, crit, extra)
}

// SSHAll is OpenSSH of any version.
const SSHAll = "cpe:2.3:a:openbsd:openssh:*:*:*:*:*:*:*:*"

// NVDFeed writes an API response of items.
func NVDFeed(now time.Time, items ...string) string {
	return fmt.Sprintf(`{"resultsPerPage":%d,"startIndex":0,"totalResults":%d,"format":"NVD_CVE","version":"2.0",
"timestamp":%q,"vulnerabilities":[%s]}`, len(items), len(items), nvdTime(now), strings.Join(items, ","))
}

// NVD is a page of NVD's API with OpenSSH CVEs and traps, made at now.
func NVD(now time.Time) string {
	return NVDFeed(now,
		NVDItem("CVE-2023-38408", "The PKCS#11 feature in ssh-agent in OpenSSH before 9.3p2 has an insufficiently trustworthy search path. More text.", V31Critical,
			`[{"nodes":[{"operator":"OR","negate":false,"cpeMatch":[`+CPEMatch(true, SSHAll, `"versionEndExcluding":"9.3p2",`)+`]}]}]`),
		NVDItem("CVE-2024-6387", "A signal handler race condition was found in OpenSSH's server (sshd).", "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H",
			`[{"nodes":[{"operator":"OR","negate":false,"cpeMatch":[`+CPEMatch(true, SSHAll, `"versionStartIncluding":"8.5p1","versionEndExcluding":"9.8p1",`)+`]}]}]`),
		NVDItem("CVE-2023-51385", "In ssh in OpenSSH before 9.6, OS command injection might occur.", "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:L",
			`[{"nodes":[{"operator":"OR","negate":false,"cpeMatch":[`+CPEMatch(true, SSHAll, `"versionEndExcluding":"9.6",`)+`]}]}]`),
		// An AND configuration: OpenSSH only together with a PAM module.
		NVDItem("CVE-2099-0001", "OpenSSH with a PAM module.", V31Critical,
			`[{"operator":"AND","negate":false,"nodes":[{"operator":"OR","negate":false,"cpeMatch":[`+CPEMatch(true, SSHAll, `"versionEndExcluding":"9.8",`)+
				`]},{"operator":"OR","negate":false,"cpeMatch":[`+CPEMatch(false, "cpe:2.3:a:pam_project:pam_krb5:*:*:*:*:*:*:*:*", "")+`]}]}]`),
		// Platform-only for OpenSSH: the kernel is the vulnerable thing.
		NVDItem("CVE-2099-0002", "The Linux kernel, reachable through sshd.", V31Critical,
			`[{"operator":"AND","nodes":[{"operator":"OR","negate":false,"cpeMatch":[`+CPEMatch(true, "cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*", "")+
				`]},{"operator":"OR","negate":false,"cpeMatch":[`+CPEMatch(false, SSHAll, "")+`]}]}]`),
		// A p release in the update attribute, as NVD writes OpenSSH's.
		NVDItem("CVE-2099-0003", "OpenSSH 8.9p1 only.", "",
			`[{"nodes":[{"operator":"OR","negate":false,"cpeMatch":[`+CPEMatch(true, "cpe:2.3:a:openbsd:openssh:8.9:p1:*:*:*:*:*:*", "")+`]}]}]`),
		NVDItem("CVE-2099-0004", "OpenSSH up to 7.2p2.", V31Critical,
			`[{"nodes":[{"operator":"OR","negate":false,"cpeMatch":[`+CPEMatch(true, SSHAll, `"versionEndIncluding":"7.2p2",`)+`]}]}]`),
		// A wildcard vendor matches nothing.
		NVDItem("CVE-2099-0007", "Any vendor's openssh.", V31Critical,
			`[{"nodes":[{"operator":"OR","negate":false,"cpeMatch":[`+CPEMatch(true, "cpe:2.3:a:*:openssh:*:*:*:*:*:*:*:*", "")+`]}]}]`),
	)
}

// NVD2 is a second page, gzipped in Files.
func NVD2(now time.Time) string {
	return NVDFeed(now, NVDItem("CVE-2016-6210", "sshd in OpenSSH before 7.3 allows user enumeration.", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
		`[{"nodes":[{"operator":"OR","negate":false,"cpeMatch":[`+CPEMatch(true, SSHAll, `"versionEndExcluding":"7.3",`)+`]}]}]`))
}

// CVE5 writes a CVE List V5 record with a CNA affected[] range.
func CVE5(now time.Time, id, vendor, product, versions string) string {
	return fmt.Sprintf(`{"dataType":"CVE_RECORD","dataVersion":"5.1","cveMetadata":{"cveId":%q,"assignerOrgId":"00000000-0000-4000-9000-000000000000",
"state":"PUBLISHED","assignerShortName":"openbsd","dateReserved":"2099-01-01T00:00:00.000Z","datePublished":"2099-01-02T00:00:00.000Z",
"dateUpdated":%q},"containers":{"cna":{"providerMetadata":{"orgId":"00000000-0000-4000-9000-000000000000"},
"descriptions":[{"lang":"en","value":"A CVE5-only flaw in sshd."}],
"affected":[{"vendor":%q,"product":%q,"defaultStatus":"unaffected","versions":%s}],
"problemTypes":[{"descriptions":[{"lang":"en","type":"CWE","cweId":"CWE-787","description":"CWE-787 Out-of-bounds Write"}]}],
"metrics":[{"format":"CVSS","cvssV4_0":{"version":"4.0","vectorString":"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N","baseScore":9.3,"baseSeverity":"CRITICAL"}}],
"references":[{"url":"https://example.org/advisory"}]}}}`, id, now.Add(-24*time.Hour).UTC().Format(time.RFC3339), vendor, product, versions)
}

// KEV is CISA's catalog, released at now.
func KEV(now time.Time) string {
	return `{"title":"CISA Catalog of Known Exploited Vulnerabilities","catalogVersion":"2026.12.01","dateReleased":"` + now.UTC().Format(time.RFC3339) + `",
"count":1,"vulnerabilities":[{"cveID":"CVE-2023-38408","vendorProject":"OpenBSD","product":"OpenSSH","vulnerabilityName":"OpenSSH ssh-agent",
"dateAdded":"2024-01-01","shortDescription":"...","requiredAction":"Apply updates.","dueDate":"2024-01-22",
"knownRansomwareCampaignUse":"Known","notes":"","cwes":["CWE-428"]}]}`
}

// EPSS is FIRST's CSV, scored at now.
func EPSS(now time.Time) string {
	return "#model_version:v2025.03.14,score_date:" + now.UTC().Format(time.RFC3339) + "\ncve,epss,percentile\n" +
		"CVE-2024-6387,0.50123,0.99012\nCVE-2023-51385,0.02000,0.60000\n"
}

// OSV writes one OSV record with one affected package.
func OSV(now time.Time, id, upstream, eco, pkg string, events string) string {
	return fmt.Sprintf(`{"schema_version":"1.6.0","id":%q,"modified":%q,"published":"2024-01-01T00:00:00Z",
"upstream":[%q],"summary":"openssh - security update","affected":[{"package":{"ecosystem":%q,"name":%q},
"ranges":[{"type":"ECOSYSTEM","events":%s}]}]}`, id, now.UTC().Format(time.RFC3339), upstream, eco, pkg, events)
}

// DebianOSV are OSV records of Debian's openssh, by file name.
func DebianOSV(now time.Time) map[string]string {
	return map[string]string{
		"DEBIAN-CVE-2023-38408.json": OSV(now, "DEBIAN-CVE-2023-38408", "CVE-2023-38408", "Debian:12", "openssh",
			`[{"introduced":"0"},{"fixed":"1:9.2p1-2+deb12u1"}]`),
		"DSA-5724-1.json": OSV(now, "DSA-5724-1", "CVE-2024-6387", "Debian:12", "openssh",
			`[{"introduced":"0"},{"fixed":"1:9.2p1-2+deb12u3"}]`),
		"DEBIAN-CVE-2023-51385.json": OSV(now, "DEBIAN-CVE-2023-51385", "CVE-2023-51385", "Debian:12", "openssh",
			`[{"introduced":"0"}]`),
		"DEBIAN-CVE-2023-38408-11.json": OSV(now, "DLA-3532-1", "CVE-2023-38408", "Debian:11", "openssh",
			`[{"introduced":"0"},{"fixed":"1:8.4p1-5+deb11u2"}]`),
	}
}

// UbuntuOSV are OSV records of Ubuntu's openssh, by file name.
func UbuntuOSV(now time.Time) map[string]string {
	return map[string]string{
		"UBUNTU-CVE-2023-38408.json": OSV(now, "UBUNTU-CVE-2023-38408", "CVE-2023-38408", "Ubuntu:22.04:LTS", "openssh",
			`[{"introduced":"0"},{"fixed":"1:8.9p1-3ubuntu0.3"}]`),
	}
}

// Zip makes a zip archive of files.
func Zip(t testing.TB, files map[string]string) []byte {
	var b bytes.Buffer
	if err := writeZip(&b, files); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func writeZip(w io.Writer, files map[string]string) error {
	zw := zip.NewWriter(w)
	for name, body := range files {
		fw, err := zw.Create(name)
		if err != nil {
			return err
		}
		if _, err := fw.Write([]byte(body)); err != nil {
			return err
		}
	}
	return zw.Close()
}

// Gzip compresses body.
func Gzip(t testing.TB, body []byte) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(body)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Files are the fixture files by name, as they would be carried, made
// at now; the oldest, the CVE5 records, a day before.
func Files(t testing.TB, now time.Time) map[string][]byte {
	return map[string][]byte{
		"nvd-page-1.json":    []byte(NVD(now)),
		"nvd-page-2.json.gz": Gzip(t, []byte(NVD2(now))),
		"CVE-2099-0005.json": []byte(CVE5(now, "CVE-2099-0005", "OpenBSD", "OpenSSH",
			`[{"version":"9.0","lessThan":"9.4","status":"affected","versionType":"custom"}]`)),
		// NVD has a configuration for this one: its CVE5 range is not used.
		"CVE-2023-38408.json": []byte(CVE5(now, "CVE-2023-38408", "OpenBSD", "OpenSSH",
			`[{"version":"0","lessThan":"99","status":"affected","versionType":"custom"}]`)),
		"known_exploited_vulnerabilities.json": []byte(KEV(now)),
		"epss_scores-current.csv.gz":           Gzip(t, []byte(EPSS(now))),
		"debian-all.zip":                       Zip(t, DebianOSV(now)),
		"ubuntu-all.zip":                       Zip(t, UbuntuOSV(now)),
	}
}

// Write writes the fixture files into dir and returns their paths.
func Write(t testing.TB, dir string, now time.Time) []string {
	var paths []string
	for name, b := range Files(t, now) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// WriteBundle writes the fixture files as one tar.gz, as carried to an
// air-gapped host.
func WriteBundle(t testing.TB, name string, now time.Time) {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for n, body := range Files(t, now) {
		if err := tw.WriteHeader(&tar.Header{Name: "bundle/" + n, Mode: 0o600, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(body)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, Gzip(t, b.Bytes()), 0o600); err != nil {
		t.Fatal(err)
	}
}

// nvdTime writes a time as NVD does: UTC without a zone.
func nvdTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000") }

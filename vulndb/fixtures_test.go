package vulndb

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The fixtures are small files in the feeds' real formats, written by the
// tests themselves.

const v31Critical = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"

// nvdItem writes one vulnerabilities[] item as NVD's CVE API 2.0 does.
func nvdItem(id, desc, vector, configs string) string {
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

func cpeMatch(vuln bool, crit, extra string) string {
	return fmt.Sprintf(`{"vulnerable":%v,"criteria":%q,%s"matchCriteriaId":"5D3A1B2C-0000-0000-0000-000000000000"}`, vuln, crit, extra)
}

const sshAll = "cpe:2.3:a:openbsd:openssh:*:*:*:*:*:*:*:*"

func nvdFeed(items ...string) string {
	return fmt.Sprintf(`{"resultsPerPage":%d,"startIndex":0,"totalResults":%d,"format":"NVD_CVE","version":"2.0",
"timestamp":"2026-12-01T06:00:00.000","vulnerabilities":[%s]}`, len(items), len(items), strings.Join(items, ","))
}

func fixtureNVD() string {
	return nvdFeed(
		nvdItem("CVE-2023-38408", "The PKCS#11 feature in ssh-agent in OpenSSH before 9.3p2 has an insufficiently trustworthy search path. More text.", v31Critical,
			`[{"nodes":[{"operator":"OR","negate":false,"cpeMatch":[`+cpeMatch(true, sshAll, `"versionEndExcluding":"9.3p2",`)+`]}]}]`),
		nvdItem("CVE-2024-6387", "A signal handler race condition was found in OpenSSH's server (sshd).", "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H",
			`[{"nodes":[{"operator":"OR","negate":false,"cpeMatch":[`+cpeMatch(true, sshAll, `"versionStartIncluding":"8.5p1","versionEndExcluding":"9.8p1",`)+`]}]}]`),
		nvdItem("CVE-2023-51385", "In ssh in OpenSSH before 9.6, OS command injection might occur.", "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:L",
			`[{"nodes":[{"operator":"OR","negate":false,"cpeMatch":[`+cpeMatch(true, sshAll, `"versionEndExcluding":"9.6",`)+`]}]}]`),
		// An AND configuration: OpenSSH only together with a PAM module.
		nvdItem("CVE-2099-0001", "OpenSSH with a PAM module.", v31Critical,
			`[{"operator":"AND","negate":false,"nodes":[{"operator":"OR","negate":false,"cpeMatch":[`+cpeMatch(true, sshAll, `"versionEndExcluding":"9.8",`)+
				`]},{"operator":"OR","negate":false,"cpeMatch":[`+cpeMatch(false, "cpe:2.3:a:pam_project:pam_krb5:*:*:*:*:*:*:*:*", "")+`]}]}]`),
		// Platform-only for OpenSSH: the kernel is the vulnerable thing.
		nvdItem("CVE-2099-0002", "The Linux kernel, reachable through sshd.", v31Critical,
			`[{"operator":"AND","nodes":[{"operator":"OR","negate":false,"cpeMatch":[`+cpeMatch(true, "cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*", "")+
				`]},{"operator":"OR","negate":false,"cpeMatch":[`+cpeMatch(false, sshAll, "")+`]}]}]`),
		// A p release in the update attribute, as NVD writes OpenSSH's.
		nvdItem("CVE-2099-0003", "OpenSSH 8.9p1 only.", "",
			`[{"nodes":[{"operator":"OR","negate":false,"cpeMatch":[`+cpeMatch(true, "cpe:2.3:a:openbsd:openssh:8.9:p1:*:*:*:*:*:*", "")+`]}]}]`),
		nvdItem("CVE-2099-0004", "OpenSSH up to 7.2p2.", v31Critical,
			`[{"nodes":[{"operator":"OR","negate":false,"cpeMatch":[`+cpeMatch(true, sshAll, `"versionEndIncluding":"7.2p2",`)+`]}]}]`),
		// A wildcard vendor matches nothing.
		nvdItem("CVE-2099-0007", "Any vendor's openssh.", v31Critical,
			`[{"nodes":[{"operator":"OR","negate":false,"cpeMatch":[`+cpeMatch(true, "cpe:2.3:a:*:openssh:*:*:*:*:*:*:*:*", "")+`]}]}]`),
	)
}

func fixtureNVD2() string {
	return nvdFeed(nvdItem("CVE-2016-6210", "sshd in OpenSSH before 7.3 allows user enumeration.", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
		`[{"nodes":[{"operator":"OR","negate":false,"cpeMatch":[`+cpeMatch(true, sshAll, `"versionEndExcluding":"7.3",`)+`]}]}]`))
}

// cve5JSON writes a CVE List V5 record with a CNA affected[] range.
func cve5JSON(id, vendor, product, versions string) string {
	return fmt.Sprintf(`{"dataType":"CVE_RECORD","dataVersion":"5.1","cveMetadata":{"cveId":%q,"assignerOrgId":"00000000-0000-4000-9000-000000000000",
"state":"PUBLISHED","assignerShortName":"openbsd","dateReserved":"2099-01-01T00:00:00.000Z","datePublished":"2099-01-02T00:00:00.000Z",
"dateUpdated":"2026-11-29T10:00:00.000Z"},"containers":{"cna":{"providerMetadata":{"orgId":"00000000-0000-4000-9000-000000000000"},
"descriptions":[{"lang":"en","value":"A CVE5-only flaw in sshd."}],
"affected":[{"vendor":%q,"product":%q,"defaultStatus":"unaffected","versions":%s}],
"problemTypes":[{"descriptions":[{"lang":"en","type":"CWE","cweId":"CWE-787","description":"CWE-787 Out-of-bounds Write"}]}],
"metrics":[{"format":"CVSS","cvssV4_0":{"version":"4.0","vectorString":"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N","baseScore":9.3,"baseSeverity":"CRITICAL"}}],
"references":[{"url":"https://example.org/advisory"}]}}}`, id, vendor, product, versions)
}

func fixtureKEV() string {
	return `{"title":"CISA Catalog of Known Exploited Vulnerabilities","catalogVersion":"2026.12.01","dateReleased":"2026-12-01T15:00:00.0000Z",
"count":1,"vulnerabilities":[{"cveID":"CVE-2023-38408","vendorProject":"OpenBSD","product":"OpenSSH","vulnerabilityName":"OpenSSH ssh-agent",
"dateAdded":"2024-01-01","shortDescription":"...","requiredAction":"Apply updates.","dueDate":"2024-01-22",
"knownRansomwareCampaignUse":"Known","notes":"","cwes":["CWE-428"]}]}`
}

func fixtureEPSS() string {
	return "#model_version:v2025.03.14,score_date:2026-12-01T12:55:00Z\ncve,epss,percentile\n" +
		"CVE-2024-6387,0.50123,0.99012\nCVE-2023-51385,0.02000,0.60000\n"
}

func osvRecordJSON(id, upstream, eco, pkg string, events string) string {
	return fmt.Sprintf(`{"schema_version":"1.6.0","id":%q,"modified":"2026-11-30T00:00:00Z","published":"2024-01-01T00:00:00Z",
"upstream":[%q],"summary":"openssh - security update","affected":[{"package":{"ecosystem":%q,"name":%q},
"ranges":[{"type":"ECOSYSTEM","events":%s}]}]}`, id, upstream, eco, pkg, events)
}

func fixtureDebianOSV() map[string]string {
	return map[string]string{
		"DEBIAN-CVE-2023-38408.json": osvRecordJSON("DEBIAN-CVE-2023-38408", "CVE-2023-38408", "Debian:12", "openssh",
			`[{"introduced":"0"},{"fixed":"1:9.2p1-2+deb12u1"}]`),
		"DSA-5724-1.json": osvRecordJSON("DSA-5724-1", "CVE-2024-6387", "Debian:12", "openssh",
			`[{"introduced":"0"},{"fixed":"1:9.2p1-2+deb12u3"}]`),
		"DEBIAN-CVE-2023-51385.json": osvRecordJSON("DEBIAN-CVE-2023-51385", "CVE-2023-51385", "Debian:12", "openssh",
			`[{"introduced":"0"}]`),
		"DEBIAN-CVE-2023-38408-11.json": osvRecordJSON("DLA-3532-1", "CVE-2023-38408", "Debian:11", "openssh",
			`[{"introduced":"0"},{"fixed":"1:8.4p1-5+deb11u2"}]`),
	}
}

func fixtureUbuntuOSV() map[string]string {
	return map[string]string{
		"UBUNTU-CVE-2023-38408.json": osvRecordJSON("UBUNTU-CVE-2023-38408", "CVE-2023-38408", "Ubuntu:22.04:LTS", "openssh",
			`[{"introduced":"0"},{"fixed":"1:8.9p1-3ubuntu0.3"}]`),
	}
}

func zipBytes(t testing.TB, files map[string]string) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gzipBytes(t testing.TB, body []byte) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(body)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fixtureFiles are the fixture files by name, as they would be carried.
func fixtureFiles(t testing.TB) map[string][]byte {
	return map[string][]byte{
		"nvd-page-1.json":    []byte(fixtureNVD()),
		"nvd-page-2.json.gz": gzipBytes(t, []byte(fixtureNVD2())),
		"CVE-2099-0005.json": []byte(cve5JSON("CVE-2099-0005", "OpenBSD", "OpenSSH",
			`[{"version":"9.0","lessThan":"9.4","status":"affected","versionType":"custom"}]`)),
		// NVD has a configuration for this one: its CVE5 range is not used.
		"CVE-2023-38408.json": []byte(cve5JSON("CVE-2023-38408", "OpenBSD", "OpenSSH",
			`[{"version":"0","lessThan":"99","status":"affected","versionType":"custom"}]`)),
		"known_exploited_vulnerabilities.json": []byte(fixtureKEV()),
		"epss_scores-current.csv.gz":           gzipBytes(t, []byte(fixtureEPSS())),
		"debian-all.zip":                       zipBytes(t, fixtureDebianOSV()),
		"ubuntu-all.zip":                       zipBytes(t, fixtureUbuntuOSV()),
	}
}

// writeFixtures writes the fixture files into dir and returns their
// paths.
func writeFixtures(t testing.TB, dir string) []string {
	var paths []string
	for name, b := range fixtureFiles(t) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// writeBundle writes the fixture files as one tar.gz, as carried to an
// air-gapped host.
func writeBundle(t testing.TB, name string) {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for n, body := range fixtureFiles(t) {
		if err := tw.WriteHeader(&tar.Header{Name: "bundle/" + n, Mode: 0o600, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(body)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, gzipBytes(t, b.Bytes()), 0o600); err != nil {
		t.Fatal(err)
	}
}

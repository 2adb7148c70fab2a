// Package vulndb is ajar's local vulnerability database: known CVEs,
// offline. It imports the public feeds in their real formats — NVD's CVE
// API 2.0, the CVE List V5 records (their CNA affected ranges, which NVD
// no longer turns into CPE configurations for most new CVEs), CISA's
// Known Exploited Vulnerabilities catalog, FIRST's EPSS scores, and OSV's
// Debian and Ubuntu data (the package revisions that fix a CVE by a
// backport) — into one file in ajar's data directory, with a manifest of
// each source's snapshot time, and matches identified services against
// it.
//
// Matching is exact on vendor and product (a wildcard vendor matches
// nothing), follows NVD's configuration semantics in full (AND/OR nodes,
// negate, vulnerable:false entries only as platform conditions), uses
// CVE5 version ranges where NVD has no configuration, and orders versions
// with its own comparison (CompareVersions: 8.9p1 > 8.9; CompareDebVersions:
// dpkg's order). Where a service names its distribution's package
// revision ("OpenSSH_9.2p1 Debian-2+deb12u3"), the distribution's data
// decides: a CVE fixed in that revision is not a finding.
package vulndb

package vulndb

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Affected is one product a CVE5 record says is affected, with its
// version ranges, in the CVE JSON 5 schema's own names.
type Affected struct {
	Vendor        string            `json:"vendor,omitempty"`
	Product       string            `json:"product,omitempty"`
	CPEs          []string          `json:"cpes,omitempty"`
	DefaultStatus string            `json:"defaultStatus,omitempty"`
	Versions      []AffectedVersion `json:"versions,omitempty"`
}

// AffectedVersion is one version, or a range of them (version up to
// lessThan or lessThanOrEqual), and its status.
type AffectedVersion struct {
	Version         string `json:"version"`
	Status          string `json:"status"`
	VersionType     string `json:"versionType,omitempty"`
	LessThan        string `json:"lessThan,omitempty"`
	LessThanOrEqual string `json:"lessThanOrEqual,omitempty"`
	Changes         []struct {
		At     string `json:"at"`
		Status string `json:"status"`
	} `json:"changes,omitempty"`
}

// keys adds the part:vendor:product keys the entry names: its vendor and
// product as an application, and those of its CPEs.
func (a *Affected) keys(add func(string)) {
	if v, p := normName(a.Vendor), normName(a.Product); knownName(v) && knownName(p) {
		add("a:" + v + ":" + p)
	}
	for _, s := range a.CPEs {
		if c, err := ParseCPE(s); err == nil {
			if k, err := c.Key(); err == nil {
				add(k)
			}
		}
	}
}

// knownName reports whether a CVE5 vendor or product names something:
// "n/a", "unknown" and wildcards do not.
func knownName(s string) bool {
	switch s {
	case "", "n/a", "*", "-", "unknown", "unspecified":
		return false
	}
	return true
}

// names reports whether the entry is about the product c names.
func (a *Affected) names(c CPE) bool {
	if !concrete(c.Vendor) || !concrete(c.Product) {
		return false
	}
	if normName(a.Vendor) == unquote(c.Vendor) && normName(a.Product) == unquote(c.Product) && c.Part == "a" {
		return true
	}
	for _, s := range a.CPEs {
		if x, err := ParseCPE(s); err == nil && x.Part == c.Part && x.Vendor == c.Vendor && x.Product == c.Product {
			return true
		}
	}
	return false
}

// Status says whether version v is affected, and the version that fixes
// it when a range says so. decided is false when nothing in the entry
// can be compared with v (git commits, "unspecified" versions): then the
// entry says nothing.
func (a *Affected) Status(v string) (affected bool, fixedIn string, decided bool) {
	comparable := false
	var sawAffected bool
	for i := range a.Versions {
		e := &a.Versions[i]
		if e.VersionType == "git" {
			continue
		}
		st, fix, ok := e.status(v)
		if !ok {
			continue
		}
		comparable = true
		switch st {
		case "unaffected":
			return false, "", true
		case "affected":
			sawAffected = true
			if fixedIn == "" {
				fixedIn = fix
			}
		}
	}
	for i := range a.Versions {
		if a.Versions[i].comparable() {
			comparable = true
		}
	}
	if sawAffected {
		return true, fixedIn, true
	}
	if comparable && a.DefaultStatus == "affected" {
		return true, "", true
	}
	return false, "", comparable
}

func placeholder(v string) bool {
	switch strings.ToLower(v) {
	case "", "*", "n/a", "unspecified", "unknown", "all", "-":
		return true
	}
	return false
}

// comparable reports whether the entry has a version v can be compared
// with.
func (e *AffectedVersion) comparable() bool {
	return e.VersionType != "git" && (!placeholder(e.Version) || e.LessThan != "" && e.LessThan != "*" || e.LessThanOrEqual != "")
}

// status is the entry's status for v, ok when the entry covers v.
func (e *AffectedVersion) status(v string) (string, string, bool) {
	ranged := e.LessThan != "" || e.LessThanOrEqual != ""
	if !ranged {
		if placeholder(e.Version) || CompareVersions(v, e.Version) != 0 {
			return "", "", false
		}
		return e.Status, "", true
	}
	if !placeholder(e.Version) && e.Version != "0" && CompareVersions(v, e.Version) < 0 {
		return "", "", false
	}
	switch {
	case e.LessThan != "" && e.LessThan != "*" && CompareVersions(v, e.LessThan) >= 0:
		return "", "", false
	case e.LessThanOrEqual != "" && e.LessThanOrEqual != "*" && CompareVersions(v, e.LessThanOrEqual) > 0:
		return "", "", false
	case e.LessThan == "*" && placeholder(e.Version):
		return "", "", false
	}
	st, fix := e.Status, ""
	if e.LessThan != "*" {
		fix = e.LessThan
	}
	for _, ch := range e.Changes {
		if CompareVersions(v, ch.At) >= 0 {
			st = ch.Status
		} else if ch.Status == "unaffected" && st == "affected" {
			fix = ch.At
			break
		}
	}
	return st, fix, true
}

// cve5Record is a CVE List V5 record, the fields ajar reads.
type cve5Record struct {
	DataType    string `json:"dataType"`
	CVEMetadata struct {
		CVEID         string `json:"cveId"`
		State         string `json:"state"`
		DatePublished string `json:"datePublished"`
		DateUpdated   string `json:"dateUpdated"`
	} `json:"cveMetadata"`
	Containers struct {
		CNA cve5Container   `json:"cna"`
		ADP []cve5Container `json:"adp"`
	} `json:"containers"`
}

type cve5Container struct {
	Affected     []Affected `json:"affected"`
	Descriptions []struct {
		Lang  string `json:"lang"`
		Value string `json:"value"`
	} `json:"descriptions"`
	Metrics      []map[string]json.RawMessage `json:"metrics"`
	ProblemTypes []struct {
		Descriptions []struct {
			CWEID string `json:"cweId"`
		} `json:"descriptions"`
	} `json:"problemTypes"`
}

// readCVE5 reads one CVE5 record.
func readCVE5(b []byte) (*CVE, error) {
	var r cve5Record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("CVE5 record: %w", err)
	}
	m := r.CVEMetadata
	if !cveIDRe.MatchString(m.CVEID) {
		return nil, fmt.Errorf("CVE5 record without a CVE id")
	}
	c := &CVE{ID: m.CVEID, Published: parseTime(m.DatePublished), Modified: parseTime(m.DateUpdated),
		Rejected: strings.EqualFold(m.State, "REJECTED")}
	for i, ct := range append([]cve5Container{r.Containers.CNA}, r.Containers.ADP...) {
		c.Affected = append(c.Affected, ct.Affected...)
		for _, d := range ct.Descriptions {
			if c.Summary == "" && strings.HasPrefix(d.Lang, "en") {
				c.Summary = d.Value
			}
		}
		for _, pt := range ct.ProblemTypes {
			for _, d := range pt.Descriptions {
				if cveCWE(d.CWEID) {
					c.CWEs = appendNew(c.CWEs, d.CWEID)
				}
			}
		}
		for _, mm := range ct.Metrics {
			for key, raw := range mm {
				if !strings.HasPrefix(key, "cvssV") {
					continue
				}
				var x struct {
					Version      string  `json:"version"`
					VectorString string  `json:"vectorString"`
					BaseScore    float64 `json:"baseScore"`
				}
				if json.Unmarshal(raw, &x) == nil {
					if s := cvssFrom(x.Version, x.VectorString, x.BaseScore); s.better(c.CVSS, i == 0) {
						c.CVSS = s
					}
				}
			}
		}
	}
	return c, nil
}

package vulndb

import (
	"regexp"
	"strings"
	"time"

	gocvss20 "github.com/pandatix/go-cvss/20"
	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"
	gocvss40 "github.com/pandatix/go-cvss/40"
)

// CVE is what the database keeps of one CVE from NVD or a CVE5 record.
type CVE struct {
	ID        string
	Published time.Time
	Modified  time.Time
	Summary   string
	CWEs      []string
	CVSS      CVSS
	// Configs are NVD's configurations; Affected the CVE5 record's
	// affected products (its CNA's and ADPs').
	Configs  []Config
	Affected []Affected
	// Rejected CVEs are removed from the database.
	Rejected bool
}

// CVSS is a CVSS vector and its base score.
type CVSS struct {
	Version string  `json:"version"` // "2.0", "3.0", "3.1", "4.0"
	Vector  string  `json:"vector"`
	Score   float64 `json:"score"`
}

// ParseCVSS reads a CVSS vector of version 2.0, 3.0, 3.1 or 4.0 and
// computes its base score.
func ParseCVSS(vector string) (CVSS, error) {
	switch {
	case strings.HasPrefix(vector, "CVSS:4.0/"):
		v, err := gocvss40.ParseVector(vector)
		if err != nil {
			return CVSS{}, err
		}
		return CVSS{Version: "4.0", Vector: vector, Score: v.Score()}, nil
	case strings.HasPrefix(vector, "CVSS:3.1/"):
		v, err := gocvss31.ParseVector(vector)
		if err != nil {
			return CVSS{}, err
		}
		return CVSS{Version: "3.1", Vector: vector, Score: v.BaseScore()}, nil
	case strings.HasPrefix(vector, "CVSS:3.0/"):
		v, err := gocvss30.ParseVector(vector)
		if err != nil {
			return CVSS{}, err
		}
		return CVSS{Version: "3.0", Vector: vector, Score: v.BaseScore()}, nil
	}
	v, err := gocvss20.ParseVector(strings.TrimPrefix(vector, "(") + "")
	if err != nil {
		return CVSS{}, err
	}
	return CVSS{Version: "2.0", Vector: vector, Score: v.BaseScore()}, nil
}

// cvssRank orders the versions a CVE's score is taken from: 3.1 first,
// as NVD scores most CVEs with it, then 3.0, 4.0 and 2.0.
func cvssRank(version string) int {
	switch version {
	case "3.1":
		return 4
	case "3.0":
		return 3
	case "4.0":
		return 2
	case "2.0", "2":
		return 1
	}
	return 0
}

// better reports whether c should replace the score chosen so far.
func (c CVSS) better(than CVSS, primary bool) bool {
	if c.Vector == "" {
		return false
	}
	r, t := cvssRank(c.Version), cvssRank(than.Version)
	return r > t || r == t && primary
}

// cvssFrom parses vector, falling back to the score the feed gave when
// the vector does not parse.
func cvssFrom(version, vector string, score float64) CVSS {
	if c, err := ParseCVSS(vector); err == nil {
		return c
	}
	return CVSS{Version: version, Vector: vector, Score: score}
}

var cveIDRe = regexp.MustCompile(`CVE-\d{4}-\d{4,}`)

// parseTime reads the times the feeds write: RFC 3339, or NVD's
// "2023-07-20T03:15:10.060" (UTC without a zone).
func parseTime(s string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05.999999999Z0700",
		"2006-01-02T15:04:05-0700", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// normName makes a CVE5 vendor or product name comparable with a CPE
// attribute: lower case, spaces as underscores.
func normName(s string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), " ", "_")
}

// keys are the part:vendor:product keys a CVE is found by.
func (c *CVE) keys() []string {
	seen := map[string]bool{}
	var out []string
	add := func(k string) {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	for i := range c.Configs {
		c.Configs[i].keys(add)
	}
	for i := range c.Affected {
		c.Affected[i].keys(add)
	}
	return out
}

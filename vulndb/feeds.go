package vulndb

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// KEV is a CVE's entry in CISA's Known Exploited Vulnerabilities catalog.
type KEV struct {
	CVE        string
	Added      string
	Ransomware bool // knownRansomwareCampaignUse is "Known"
}

// readKEV reads CISA's KEV catalog JSON and returns its release time.
func readKEV(r io.Reader, put func(KEV) error) (time.Time, error) {
	var cat struct {
		DateReleased    string `json:"dateReleased"`
		Vulnerabilities []struct {
			CVEID                      string `json:"cveID"`
			DateAdded                  string `json:"dateAdded"`
			KnownRansomwareCampaignUse string `json:"knownRansomwareCampaignUse"`
		} `json:"vulnerabilities"`
	}
	if err := json.NewDecoder(r).Decode(&cat); err != nil {
		return time.Time{}, fmt.Errorf("KEV JSON: %w", err)
	}
	for _, v := range cat.Vulnerabilities {
		if !cveIDRe.MatchString(v.CVEID) {
			return time.Time{}, fmt.Errorf("KEV JSON: bad cveID %q", v.CVEID)
		}
		k := KEV{CVE: v.CVEID, Added: v.DateAdded, Ransomware: strings.EqualFold(v.KnownRansomwareCampaignUse, "Known")}
		if err := put(k); err != nil {
			return time.Time{}, err
		}
	}
	return parseTime(cat.DateReleased), nil
}

// EPSS is a CVE's EPSS score and percentile, both in [0, 1].
type EPSS struct {
	CVE               string
	Score, Percentile float64
}

// readEPSS reads FIRST's EPSS CSV ("#model_version:…,score_date:…", then
// "cve,epss,percentile") and returns its score date.
func readEPSS(r io.Reader, put func(EPSS) error) (time.Time, error) {
	br := bufio.NewReader(r)
	var date time.Time
	if b, err := br.Peek(1); err == nil && b[0] == '#' {
		line, err := br.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return date, err
		}
		for _, f := range strings.Split(strings.TrimSpace(line[1:]), ",") {
			if k, v, ok := strings.Cut(f, ":"); ok && k == "score_date" {
				date = parseTime(v)
			}
		}
	}
	cr := csv.NewReader(br)
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil || len(head) < 3 || head[0] != "cve" || head[1] != "epss" || head[2] != "percentile" {
		return date, fmt.Errorf("EPSS CSV: want a header cve,epss,percentile")
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return date, nil
		}
		if err != nil {
			return date, fmt.Errorf("EPSS CSV: %w", err)
		}
		s, err1 := strconv.ParseFloat(rec[1], 64)
		p, err2 := strconv.ParseFloat(rec[2], 64)
		if err1 != nil || err2 != nil || !cveIDRe.MatchString(rec[0]) || s < 0 || s > 1 || p < 0 || p > 1 {
			line, _ := cr.FieldPos(0)
			return date, fmt.Errorf("EPSS CSV line %d: bad row %q", line, strings.Join(rec, ","))
		}
		if err := put(EPSS{CVE: rec[0], Score: s, Percentile: p}); err != nil {
			return date, err
		}
	}
}

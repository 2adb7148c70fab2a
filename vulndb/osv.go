package vulndb

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// DistroFix is what a distribution's data says of one CVE in one source
// package of one release: affected from Introduced, fixed in Fixed (empty
// while unfixed) or affected up to LastAffected. Versions are the
// distribution's own, with epochs.
type DistroFix struct {
	OSV          string // the OSV record it came from
	CVE          string
	Family       string // "debian", "ubuntu"
	Release      string // "12", "22.04"
	Package      string // the source package: "openssh"
	Introduced   string
	Fixed        string
	LastAffected string
}

// osvRecord is an OSV record, the fields ajar reads.
type osvRecord struct {
	ID       string   `json:"id"`
	Modified string   `json:"modified"`
	Aliases  []string `json:"aliases"`
	Upstream []string `json:"upstream"`
	Related  []string `json:"related"`
	Affected []struct {
		Package struct {
			Ecosystem string `json:"ecosystem"`
			Name      string `json:"name"`
		} `json:"package"`
		Ranges []struct {
			Type   string `json:"type"`
			Events []struct {
				Introduced   string `json:"introduced"`
				Fixed        string `json:"fixed"`
				LastAffected string `json:"last_affected"`
			} `json:"events"`
		} `json:"ranges"`
	} `json:"affected"`
}

// readOSV reads one OSV record; it keeps only Debian and Ubuntu
// packages, and returns the record's modification time.
func readOSV(b []byte, put func(DistroFix) error) (time.Time, string, error) {
	var r osvRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return time.Time{}, "", fmt.Errorf("OSV record: %w", err)
	}
	if r.ID == "" {
		return time.Time{}, "", fmt.Errorf("OSV record without an id")
	}
	var cves []string
	for _, s := range append(append(append([]string{r.ID}, r.Aliases...), r.Upstream...), r.Related...) {
		if id := cveIDRe.FindString(s); id != "" {
			cves = appendNew(cves, id)
		}
	}
	family := ""
	for _, a := range r.Affected {
		eco := strings.Split(a.Package.Ecosystem, ":")
		fam := strings.ToLower(eco[0])
		if fam != "debian" && fam != "ubuntu" || len(eco) < 2 || a.Package.Name == "" {
			continue
		}
		family = fam
		for _, rg := range a.Ranges {
			if rg.Type != "ECOSYSTEM" {
				continue
			}
			fix := DistroFix{OSV: r.ID, Family: fam, Release: eco[1], Package: a.Package.Name}
			open := false
			for _, ev := range rg.Events {
				switch {
				case ev.Introduced != "":
					fix.Introduced, fix.Fixed, fix.LastAffected, open = ev.Introduced, "", "", true
				case ev.Fixed != "" || ev.LastAffected != "":
					fix.Fixed, fix.LastAffected = ev.Fixed, ev.LastAffected
					if err := putAll(cves, fix, put); err != nil {
						return time.Time{}, family, err
					}
					open = false
				}
			}
			if open {
				if err := putAll(cves, fix, put); err != nil {
					return time.Time{}, family, err
				}
			}
		}
	}
	return parseTime(r.Modified), family, nil
}

func putAll(cves []string, fix DistroFix, put func(DistroFix) error) error {
	for _, id := range cves {
		fix.CVE = id
		if err := put(fix); err != nil {
			return err
		}
	}
	return nil
}

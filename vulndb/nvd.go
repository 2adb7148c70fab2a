package vulndb

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// nvdCVE is a CVE as NVD's CVE API 2.0 writes it, the fields ajar reads.
type nvdCVE struct {
	ID           string `json:"id"`
	Published    string `json:"published"`
	LastModified string `json:"lastModified"`
	VulnStatus   string `json:"vulnStatus"`
	Descriptions []struct {
		Lang  string `json:"lang"`
		Value string `json:"value"`
	} `json:"descriptions"`
	Metrics map[string][]struct {
		Type     string `json:"type"`
		CVSSData struct {
			Version      string  `json:"version"`
			VectorString string  `json:"vectorString"`
			BaseScore    float64 `json:"baseScore"`
		} `json:"cvssData"`
	} `json:"metrics"`
	Weaknesses []struct {
		Description []struct {
			Value string `json:"value"`
		} `json:"description"`
	} `json:"weaknesses"`
	Configurations []struct {
		Operator string `json:"operator"`
		Negate   bool   `json:"negate"`
		Nodes    []struct {
			Operator string `json:"operator"`
			Negate   bool   `json:"negate"`
			CPEMatch []struct {
				Vulnerable            bool   `json:"vulnerable"`
				Criteria              string `json:"criteria"`
				VersionStartIncluding string `json:"versionStartIncluding"`
				VersionStartExcluding string `json:"versionStartExcluding"`
				VersionEndIncluding   string `json:"versionEndIncluding"`
				VersionEndExcluding   string `json:"versionEndExcluding"`
			} `json:"cpeMatch"`
		} `json:"nodes"`
	} `json:"configurations"`
}

func (n *nvdCVE) cve() *CVE {
	c := &CVE{ID: n.ID, Published: parseTime(n.Published), Modified: parseTime(n.LastModified),
		Rejected: n.VulnStatus == "Rejected"}
	for _, d := range n.Descriptions {
		if d.Lang == "en" {
			c.Summary = d.Value
			break
		}
	}
	for _, list := range n.Metrics {
		for _, m := range list {
			s := cvssFrom(m.CVSSData.Version, m.CVSSData.VectorString, m.CVSSData.BaseScore)
			if s.better(c.CVSS, m.Type == "Primary") {
				c.CVSS = s
			}
		}
	}
	for _, w := range n.Weaknesses {
		for _, d := range w.Description {
			if cveCWE(d.Value) {
				c.CWEs = appendNew(c.CWEs, d.Value)
			}
		}
	}
	for _, cf := range n.Configurations {
		conf := Config{Operator: cf.Operator, Negate: cf.Negate}
		for _, nd := range cf.Nodes {
			node := Node{Operator: nd.Operator, Negate: nd.Negate}
			for _, m := range nd.CPEMatch {
				node.Matches = append(node.Matches, CPEMatch{Vulnerable: m.Vulnerable, Criteria: m.Criteria,
					StartIncl: m.VersionStartIncluding, StartExcl: m.VersionStartExcluding,
					EndIncl: m.VersionEndIncluding, EndExcl: m.VersionEndExcluding})
			}
			conf.Nodes = append(conf.Nodes, node)
		}
		c.Configs = append(c.Configs, conf)
	}
	return c
}

func cveCWE(s string) bool { return len(s) > 4 && s[:4] == "CWE-" }

func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// nvdPage is what an NVD response says of itself.
type nvdPage struct {
	Timestamp                            time.Time
	Total, StartIndex, ResultsPerPage, N int
}

// readNVD streams an NVD API 2.0 response or feed file,
// {"timestamp": …, "vulnerabilities": [{"cve": {…}}, …]}, handing each CVE
// to put.
func readNVD(r io.Reader, put func(*CVE) error) (nvdPage, error) {
	dec := json.NewDecoder(r)
	var page nvdPage
	err := objectKeys(dec, func(key string) error {
		switch key {
		case "timestamp":
			var s string
			if err := dec.Decode(&s); err != nil {
				return err
			}
			page.Timestamp = parseTime(s)
			return nil
		case "totalResults":
			return dec.Decode(&page.Total)
		case "startIndex":
			return dec.Decode(&page.StartIndex)
		case "resultsPerPage":
			return dec.Decode(&page.ResultsPerPage)
		case "vulnerabilities":
			return arrayItems(dec, func() error {
				var item struct {
					CVE nvdCVE `json:"cve"`
				}
				if err := dec.Decode(&item); err != nil {
					return err
				}
				if item.CVE.ID == "" {
					return fmt.Errorf("a vulnerability without a CVE id")
				}
				page.N++
				return put(item.CVE.cve())
			})
		}
		var skip json.RawMessage
		return dec.Decode(&skip)
	})
	if err != nil {
		return page, fmt.Errorf("NVD JSON: %w", err)
	}
	return page, nil
}

// objectKeys reads a JSON object from dec, calling f at each key with
// the decoder before its value; f must consume the value.
func objectKeys(dec *json.Decoder, f func(string) error) error {
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		key, ok := t.(string)
		if !ok {
			return fmt.Errorf("want an object key, got %v", t)
		}
		if err := f(key); err != nil {
			return err
		}
	}
	_, err := dec.Token()
	return err
}

// arrayItems reads a JSON array from dec, calling f before each item; f
// must consume the item.
func arrayItems(dec *json.Decoder, f func() error) error {
	if err := expectDelim(dec, '['); err != nil {
		return err
	}
	for dec.More() {
		if err := f(); err != nil {
			return err
		}
	}
	_, err := dec.Token()
	return err
}

func expectDelim(dec *json.Decoder, d json.Delim) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if t != d {
		return fmt.Errorf("want %v, got %v", d, t)
	}
	return nil
}

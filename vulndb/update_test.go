package vulndb

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// feedServer serves the fixture files on loopback at paths of its own,
// in the real formats, as the sources' servers do: NVD's API paginated,
// the cvelistV5 release JSON pointing at a zip of a zip of records.
type feedServer struct {
	*httptest.Server
	mu       sync.Mutex
	nvdQuery []string
	apiKeys  []string
	throttle int // NVD requests to answer 429 first
}

func newFeedServer(t *testing.T) *feedServer {
	fs := &feedServer{}
	files := fixtureFiles(t)
	var items []string
	for _, feed := range []string{fixtureNVD(), fixtureNVD2()} {
		var f struct {
			Vulnerabilities []json.RawMessage `json:"vulnerabilities"`
		}
		if err := json.Unmarshal([]byte(feed), &f); err != nil {
			t.Fatal(err)
		}
		for _, v := range f.Vulnerabilities {
			items = append(items, string(v))
		}
	}
	inner := zipBytes(t, map[string]string{
		"cves/2099/0xxx/CVE-2099-0005.json":   string(files["CVE-2099-0005.json"]),
		"cves/2023/38xxx/CVE-2023-38408.json": string(files["CVE-2023-38408.json"]),
		"cves/delta.json":                     `{"fetchTime":"2026-12-01T00:00:00Z"}`,
	})
	outer := zipBytes(t, map[string]string{"cves.zip": string(inner)})
	mux := http.NewServeMux()
	mux.HandleFunc("/rest/json/cves/2.0", func(w http.ResponseWriter, r *http.Request) {
		fs.mu.Lock()
		fs.nvdQuery = append(fs.nvdQuery, r.URL.RawQuery)
		fs.apiKeys = append(fs.apiKeys, r.Header.Get("apiKey"))
		throttle := fs.throttle > 0
		fs.throttle--
		fs.mu.Unlock()
		if throttle {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		start, _ := strconv.Atoi(r.URL.Query().Get("startIndex"))
		page, total := items[min(start, len(items)):min(start+3, len(items))], len(items)
		if r.URL.Query().Get("lastModStartDate") != "" {
			page, total = items[:1], 1
		}
		fmt.Fprintf(w, `{"resultsPerPage":%d,"startIndex":%d,"totalResults":%d,"format":"NVD_CVE","version":"2.0",
"timestamp":"2026-12-01T06:00:00.000","vulnerabilities":[%s]}`, len(page), start, total, strings.Join(page, ","))
	})
	mux.HandleFunc("/repos/CVEProject/cvelistV5/releases/latest", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"tag_name":"cve_2026-12-01_0000Z","assets":[{"name":"2026-12-01_delta_CVEs_at_0000Z.zip","browser_download_url":"%[1]s/nope"},
{"name":"2026-12-01_all_CVEs_at_midnight.zip.zip","browser_download_url":"%[1]s/cve5.zip.zip"}]}`, fs.URL)
	})
	serve := func(path string, body []byte) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) { w.Write(body) })
	}
	serve("/cve5.zip.zip", outer)
	serve("/kev.json", files["known_exploited_vulnerabilities.json"])
	serve("/epss.csv.gz", files["epss_scores-current.csv.gz"])
	serve("/Debian/all.zip", files["debian-all.zip"])
	serve("/Ubuntu/all.zip", files["ubuntu-all.zip"])
	fs.Server = httptest.NewServer(mux)
	t.Cleanup(fs.Close)
	return fs
}

func (fs *feedServer) endpoints() Endpoints {
	return Endpoints{NVD: fs.URL + "/rest/json/cves/2.0", CVE5Latest: fs.URL + "/repos/CVEProject/cvelistV5/releases/latest",
		KEV: fs.URL + "/kev.json", EPSS: fs.URL + "/epss.csv.gz", OSVDebian: fs.URL + "/Debian/all.zip", OSVUbuntu: fs.URL + "/Ubuntu/all.zip"}
}

// TestUpdate downloads from a loopback server in the real formats: the
// machines that run the tests cannot reach the real sources.
func TestUpdate(t *testing.T) {
	srv := newFeedServer(t)
	srv.throttle = 1
	dir := t.TempDir()
	now := fixtureNow
	cfg := UpdateConfig{Endpoints: srv.endpoints(), NVDAPIKey: "k3y", NVDInterval: time.Millisecond, Client: srv.Client(),
		Now: func() time.Time { return now }}
	read, man, err := Update(context.Background(), dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if read[SourceNVD].Records != 9 || read[SourceCVE5].Records != 2 || read[SourceKEV].Records != 1 ||
		read[SourceEPSS].Records != 2 || man.Counts["cves"] != 10 || !man.Sources[SourceNVD].Cursor.Equal(now) {
		t.Fatalf("read %+v, manifest %+v", read, man)
	}
	// One 429 answered, then three pages of three.
	if len(srv.nvdQuery) != 4 || srv.apiKeys[0] != "k3y" || strings.Contains(srv.nvdQuery[0], "lastMod") ||
		!strings.Contains(srv.nvdQuery[3], "startIndex=6") {
		t.Fatalf("NVD queries %q, keys %q", srv.nvdQuery, srv.apiKeys)
	}
	m := openMatcher(t, dir)
	vs, err := m.Match(context.Background(), sshService("9.2p1", "Debian-2+deb12u3"))
	if err != nil {
		t.Fatal(err)
	}
	if got := sorted(summarize(vs)); strings.Join(got, " ") != "CVE-2023-38408=not-vulnerable (distro-fixed)/likely "+
		"CVE-2023-51385=vulnerable/likely CVE-2024-6387=not-vulnerable (distro-fixed)/likely CVE-2099-0005=vulnerable/inconclusive" {
		t.Errorf("after update: %v", got)
	}
	m.Close()

	// The next update asks NVD only for what changed since.
	now = now.Add(24 * time.Hour)
	srv.nvdQuery = nil
	cfg.Sources = []string{SourceNVD}
	if _, _, err := Update(context.Background(), dir, cfg); err != nil {
		t.Fatal(err)
	}
	if len(srv.nvdQuery) != 1 || !strings.Contains(srv.nvdQuery[0], "lastModStartDate=2026-12-02T00%3A00%3A00.000%2B00%3A00") {
		t.Errorf("incremental NVD queries %q", srv.nvdQuery)
	}
	man2, err := ReadManifest(dir)
	if err != nil || man2.Counts["cves"] != 10 || man2.Sources[SourceKEV].Records != 1 || !man2.Sources[SourceNVD].Cursor.Equal(now) {
		t.Errorf("manifest after the incremental update: %+v, %v", man2, err)
	}
	// A source that fails leaves the database as it was.
	cfg.Sources, cfg.Endpoints.KEV = []string{SourceKEV}, srv.URL+"/missing"
	if _, _, err := Update(context.Background(), dir, cfg); err == nil || !strings.Contains(err.Error(), "Not Found") {
		t.Errorf("a missing KEV: %v", err)
	}
	if err := Verify(dir); err != nil {
		t.Error(err)
	}
}

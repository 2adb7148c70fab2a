package vulndb

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Endpoints are where Update downloads each source from.
type Endpoints struct {
	NVD        string // NVD's CVE API 2.0
	CVE5Latest string // the GitHub API's latest release of CVEProject/cvelistV5
	KEV        string
	EPSS       string
	OSVDebian  string
	OSVUbuntu  string
}

// DefaultEndpoints are the sources' public addresses.
var DefaultEndpoints = Endpoints{
	NVD:        "https://services.nvd.nist.gov/rest/json/cves/2.0",
	CVE5Latest: "https://api.github.com/repos/CVEProject/cvelistV5/releases/latest",
	KEV:        "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json",
	EPSS:       "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz",
	OSVDebian:  "https://osv-vulnerabilities.storage.googleapis.com/Debian/all.zip",
	OSVUbuntu:  "https://osv-vulnerabilities.storage.googleapis.com/Ubuntu/all.zip",
}

// Sources are every source Update knows, in the order it fetches them.
var Sources = []string{SourceNVD, SourceCVE5, SourceKEV, SourceEPSS, SourceOSVDebian, SourceOSVUbuntu}

// NVD's rate limits: 5 requests in 30 s without an API key, 50 with one.
const (
	NVDIntervalNoKey = 6 * time.Second
	NVDIntervalKey   = 600 * time.Millisecond
	nvdPageSize      = 2000
	nvdMaxRange      = 120 * 24 * time.Hour // the longest lastModified range NVD accepts
	maxDownload      = 8 << 30
)

// UpdateConfig is how Update downloads. The zero value fetches every
// source from DefaultEndpoints with http.DefaultClient, NVD without a
// key at its unauthenticated rate.
type UpdateConfig struct {
	Endpoints Endpoints // empty fields: DefaultEndpoints'
	Sources   []string  // nil: all of Sources
	NVDAPIKey string
	// NVDInterval is the pause between two NVD requests; 0 is
	// NVDIntervalNoKey, or NVDIntervalKey with a key.
	NVDInterval time.Duration
	// Full downloads all of NVD, not only what changed since the last
	// update.
	Full   bool
	Client *http.Client
	// Log, when set, hears about each download.
	Log func(string)
	Now func() time.Time
}

func (c *UpdateConfig) endpoint(src string) string {
	e, d := c.Endpoints, DefaultEndpoints
	switch src {
	case SourceNVD:
		return cmp.Or(e.NVD, d.NVD)
	case SourceCVE5:
		return cmp.Or(e.CVE5Latest, d.CVE5Latest)
	case SourceKEV:
		return cmp.Or(e.KEV, d.KEV)
	case SourceEPSS:
		return cmp.Or(e.EPSS, d.EPSS)
	case SourceOSVDebian:
		return cmp.Or(e.OSVDebian, d.OSVDebian)
	}
	return cmp.Or(e.OSVUbuntu, d.OSVUbuntu)
}

func (c *UpdateConfig) log(format string, a ...any) {
	if c.Log != nil {
		c.Log(fmt.Sprintf(format, a...))
	}
}

// Update downloads the sources and loads them into the database in dir
// in one transaction, as BeginImport and ImportFile do; a failed
// download leaves the database as it was. It returns what it read.
func Update(ctx context.Context, dir string, cfg UpdateConfig) (map[string]Source, Manifest, error) {
	if cfg.Client == nil {
		cfg.Client = http.DefaultClient
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	srcs := cfg.Sources
	if srcs == nil {
		srcs = Sources
	}
	for _, s := range srcs {
		if !slices.Contains(Sources, s) {
			return nil, Manifest{}, fmt.Errorf("unknown source %q (want %s)", s, strings.Join(Sources, ", "))
		}
	}
	im, err := BeginImport(ctx, dir, cfg.Now)
	if err != nil {
		return nil, Manifest{}, err
	}
	for _, src := range srcs {
		switch src {
		case SourceNVD:
			err = updateNVD(ctx, im, &cfg)
		case SourceCVE5:
			err = updateCVE5(ctx, im, &cfg)
		default:
			err = fetchImport(ctx, im, &cfg, src, cfg.endpoint(src), nil)
		}
		if err != nil {
			im.Rollback()
			return nil, Manifest{}, fmt.Errorf("%s: %w", src, err)
		}
	}
	read := im.Sources()
	man, err := im.Commit(ctx)
	return read, man, err
}

// fetch downloads url into a temporary file, which the caller removes.
func fetch(ctx context.Context, cfg *UpdateConfig, u string, header http.Header) (*os.File, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", "ajar-vulndb")
	resp, err := cfg.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &httpError{url: u, status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After")}
	}
	f, err := os.CreateTemp("", "ajar-vulndb-*")
	if err != nil {
		return nil, err
	}
	n, err := io.Copy(f, io.LimitReader(resp.Body, maxDownload+1))
	if err == nil && n > maxDownload {
		err = fmt.Errorf("%s: over %d GB", u, maxDownload>>30)
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return f, nil
}

type httpError struct {
	url        string
	status     int
	retryAfter string
}

func (e *httpError) Error() string {
	return fmt.Sprintf("GET %s: %s", e.url, http.StatusText(e.status))
}

func fetchImport(ctx context.Context, im *Importer, cfg *UpdateConfig, src, u string, header http.Header) error {
	cfg.log("downloading %s from %s", src, u)
	f, err := fetch(ctx, cfg, u, header)
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	return im.importStream(ctx, src, f, 0)
}

// updateCVE5 finds the latest cvelistV5 release's zip of every record and
// loads it.
func updateCVE5(ctx context.Context, im *Importer, cfg *UpdateConfig) error {
	f, err := fetch(ctx, cfg, cfg.endpoint(SourceCVE5), http.Header{"Accept": {"application/vnd.github+json"}})
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	var rel struct {
		TagName string `json:"tag_name"`
		Assets  []struct {
			Name string `json:"name"`
			URL  string `json:"browser_download_url"`
		} `json:"assets"`
	}
	if err := json.NewDecoder(f).Decode(&rel); err != nil {
		return fmt.Errorf("the cvelistV5 release: %w", err)
	}
	for _, a := range rel.Assets {
		if strings.Contains(a.Name, "all_CVEs") && strings.HasSuffix(a.Name, ".zip") {
			return fetchImport(ctx, im, cfg, SourceCVE5, a.URL, nil)
		}
	}
	return fmt.Errorf("the cvelistV5 release %s has no all_CVEs zip", rel.TagName)
}

// updateNVD pages through NVD's CVE API 2.0: everything on the first
// update (or with Full), else what changed since the last one, at the
// rate NVD allows.
func updateNVD(ctx context.Context, im *Importer, cfg *UpdateConfig) error {
	start := cfg.Now().UTC()
	q := url.Values{"resultsPerPage": {strconv.Itoa(nvdPageSize)}}
	if cur := im.man.Sources[SourceNVD].Cursor; !cfg.Full && !cur.IsZero() && start.Sub(cur) < nvdMaxRange {
		const layout = "2006-01-02T15:04:05.000-07:00"
		q.Set("lastModStartDate", cur.UTC().Format(layout))
		q.Set("lastModEndDate", start.Format(layout))
	}
	header := http.Header{}
	interval := cmp.Or(cfg.NVDInterval, NVDIntervalNoKey)
	if cfg.NVDAPIKey != "" {
		header.Set("apiKey", cfg.NVDAPIKey)
		interval = cmp.Or(cfg.NVDInterval, NVDIntervalKey)
	}
	for index, total := 0, 1; index < total; {
		q.Set("startIndex", strconv.Itoa(index))
		page, err := nvdRequest(ctx, im, cfg, cfg.endpoint(SourceNVD)+"?"+q.Encode(), header, interval)
		if err != nil {
			return err
		}
		cfg.log("NVD: %d of %d", index+page.N, page.Total)
		if page.N == 0 {
			break
		}
		index, total = index+page.N, page.Total
		if index < total {
			if err := sleep(ctx, interval); err != nil {
				return err
			}
		}
	}
	im.SetCursor(SourceNVD, start)
	return nil
}

// nvdRequest fetches and loads one page, trying again after NVD's
// answers of overload (403, 429, 503) with growing pauses.
func nvdRequest(ctx context.Context, im *Importer, cfg *UpdateConfig, u string, header http.Header, interval time.Duration) (nvdPage, error) {
	for attempt := 0; ; attempt++ {
		f, err := fetch(ctx, cfg, u, header)
		var he *httpError
		if errors.As(err, &he) && attempt < 4 && (he.status == 403 || he.status == 429 || he.status == 503) {
			wait := interval * time.Duration(2<<attempt)
			if s, perr := strconv.Atoi(he.retryAfter); perr == nil {
				wait = time.Duration(s) * time.Second
			}
			cfg.log("NVD: %v, waiting %v", err, wait)
			if err := sleep(ctx, wait); err != nil {
				return nvdPage{}, err
			}
			continue
		}
		if err != nil {
			return nvdPage{}, err
		}
		page, err := im.nvdPage(f)
		f.Close()
		os.Remove(f.Name())
		return page, err
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

package vulndb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Importer loads feeds into the database of a data directory, all in one
// transaction: Commit makes them visible and rewrites the manifest,
// Rollback leaves the database as it was.
type Importer struct {
	dir   string
	db    *sql.DB
	tx    *sql.Tx
	stmt  map[string]*sql.Stmt
	man   Manifest
	now   func() time.Time
	seen  map[string]*Source // sources read in this import
	batch int
}

var statements = map[string]string{
	"nvd": `INSERT INTO cve(id, published, modified, summary, cwe, cvss_version, cvss_vector, cvss_score, nvd)
		VALUES(?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET published=excluded.published,
		modified=excluded.modified, summary=excluded.summary, cwe=excluded.cwe,
		cvss_version=excluded.cvss_version, cvss_vector=excluded.cvss_vector, cvss_score=excluded.cvss_score, nvd=excluded.nvd`,
	"cve5": `INSERT INTO cve(id, published, modified, summary, cwe, cvss_version, cvss_vector, cvss_score, cve5)
		VALUES(?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET cve5=excluded.cve5,
		published=coalesce(published, excluded.published), modified=max(coalesce(modified, 0), excluded.modified),
		summary=CASE WHEN coalesce(summary, '')='' THEN excluded.summary ELSE summary END,
		cwe=CASE WHEN coalesce(cwe, '')='' THEN excluded.cwe ELSE cwe END,
		cvss_version=CASE WHEN coalesce(cvss_vector, '')='' THEN excluded.cvss_version ELSE cvss_version END,
		cvss_score=CASE WHEN coalesce(cvss_vector, '')='' THEN excluded.cvss_score ELSE cvss_score END,
		cvss_vector=CASE WHEN coalesce(cvss_vector, '')='' THEN excluded.cvss_vector ELSE cvss_vector END`,
	"delkeys":  `DELETE FROM cpe_key WHERE cve=? AND src=?`,
	"key":      `INSERT OR IGNORE INTO cpe_key(key, cve, src) VALUES(?,?,?)`,
	"delcve":   `DELETE FROM cve WHERE id=?`,
	"delall":   `DELETE FROM cpe_key WHERE cve=?`,
	"kev":      `INSERT OR REPLACE INTO kev(cve, ransomware, added) VALUES(?,?,?)`,
	"epss":     `INSERT OR REPLACE INTO epss(cve, score, percentile) VALUES(?,?,?)`,
	"delosv":   `DELETE FROM distro WHERE osv=?`,
	"distro":   `INSERT INTO distro(osv, cve, family, release, package, introduced, fixed, last_affected) VALUES(?,?,?,?,?,?,?,?)`,
	"clearkev": `DELETE FROM kev`,
}

// The src column of cpe_key.
const (
	srcNVD  = 1
	srcCVE5 = 2
)

// BeginImport opens (creating it when missing) the database in dir for
// an import. now is the clock of the manifest's times; nil is time.Now.
func BeginImport(ctx context.Context, dir string, now func() time.Time) (*Importer, error) {
	if now == nil {
		now = time.Now
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	man, err := ReadManifest(dir)
	if err != nil {
		// No database, or one of another schema: start afresh.
		man = Manifest{Sources: map[string]Source{}}
		if rerr := os.Remove(filepath.Join(dir, FileName)); rerr != nil && !os.IsNotExist(rerr) {
			return nil, rerr
		}
	}
	db, err := openSQL(filepath.Join(dir, FileName), false)
	if err != nil {
		return nil, err
	}
	im := &Importer{dir: dir, db: db, man: man, now: now, seen: map[string]*Source{}, stmt: map[string]*sql.Stmt{}}
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("vulnerability database: %w", err)
	}
	if im.tx, err = db.BeginTx(ctx, nil); err != nil {
		db.Close()
		return nil, err
	}
	for k, q := range statements {
		if im.stmt[k], err = im.tx.PrepareContext(ctx, q); err != nil {
			im.Rollback()
			return nil, fmt.Errorf("vulnerability database: %w", err)
		}
	}
	return im, nil
}

func (im *Importer) exec(name string, args ...any) error {
	_, err := im.stmt[name].Exec(args...)
	return err
}

// note records that n records of src, published at t, were read.
func (im *Importer) note(src string, t time.Time, n int64) {
	s := im.seen[src]
	if s == nil {
		s = &Source{}
		im.seen[src] = s
	}
	s.Records += n
	if t.After(s.Snapshot) {
		s.Snapshot = t
	}
}

func unixOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Unix()
}

func (im *Importer) putCVE(src string, c *CVE) error {
	srcID := srcNVD
	if src == SourceCVE5 {
		srcID = srcCVE5
	}
	if err := im.exec("delkeys", c.ID, srcID); err != nil {
		return err
	}
	if c.Rejected {
		if err := im.exec("delall", c.ID); err != nil {
			return err
		}
		return im.exec("delcve", c.ID)
	}
	var blob []byte
	var err error
	if src == SourceCVE5 {
		blob, err = json.Marshal(c.Affected)
	} else {
		blob, err = json.Marshal(c.Configs)
	}
	if err != nil {
		return err
	}
	if len(c.Summary) > maxSummary {
		c.Summary = c.Summary[:maxSummary] + "…"
	}
	if err := im.exec(src, c.ID, unixOrNil(c.Published), unixOrNil(c.Modified), c.Summary, strings.Join(c.CWEs, ","),
		c.CVSS.Version, c.CVSS.Vector, c.CVSS.Score, blob); err != nil {
		return err
	}
	for _, k := range c.keys() {
		if err := im.exec("key", k, c.ID, srcID); err != nil {
			return err
		}
	}
	return nil
}

// maxSummary bounds the description kept of a CVE, in bytes.
const maxSummary = 400

func (im *Importer) nvd(r io.Reader) error {
	_, err := im.nvdPage(r)
	return err
}

func (im *Importer) nvdPage(r io.Reader) (nvdPage, error) {
	page, err := readNVD(r, func(c *CVE) error { return im.putCVE(SourceNVD, c) })
	if err != nil {
		return page, err
	}
	im.note(SourceNVD, page.Timestamp, int64(page.N))
	return page, nil
}

func (im *Importer) cve5(b []byte) error {
	c, err := readCVE5(b)
	if err != nil {
		return err
	}
	im.note(SourceCVE5, c.Modified, 1)
	return im.putCVE(SourceCVE5, c)
}

func (im *Importer) kev(r io.Reader) error {
	// The catalog is whole in each file: it replaces the one loaded.
	if err := im.exec("clearkev"); err != nil {
		return err
	}
	n := int64(0)
	ts, err := readKEV(r, func(k KEV) error {
		n++
		return im.exec("kev", k.CVE, k.Ransomware, k.Added)
	})
	if err != nil {
		return err
	}
	im.note(SourceKEV, ts, n)
	return nil
}

func (im *Importer) epss(r io.Reader) error {
	n := int64(0)
	ts, err := readEPSS(r, func(e EPSS) error {
		n++
		return im.exec("epss", e.CVE, e.Score, e.Percentile)
	})
	if err != nil {
		return err
	}
	im.note(SourceEPSS, ts, n)
	return nil
}

func (im *Importer) osv(b []byte) error {
	var id struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &id); err != nil {
		return fmt.Errorf("OSV record: %w", err)
	}
	if err := im.exec("delosv", id.ID); err != nil {
		return err
	}
	ts, family, err := readOSV(b, func(f DistroFix) error {
		return im.exec("distro", f.OSV, f.CVE, f.Family, f.Release, f.Package, f.Introduced, f.Fixed, f.LastAffected)
	})
	if err != nil {
		return err
	}
	src := sourceOSVUnknown
	switch family {
	case "debian":
		src = SourceOSVDebian
	case "ubuntu":
		src = SourceOSVUbuntu
	}
	if src != sourceOSVUnknown {
		im.note(src, ts, 1)
	}
	return nil
}

// Sources returns what this import has read so far, by source.
func (im *Importer) Sources() map[string]Source {
	out := map[string]Source{}
	for k, v := range im.seen {
		out[k] = *v
	}
	return out
}

// SetCursor records where the next incremental update of src goes on
// from.
func (im *Importer) SetCursor(src string, t time.Time) {
	s := im.seen[src]
	if s == nil {
		s = &Source{}
		im.seen[src] = s
	}
	s.Cursor = t
}

// buildCandidates rewrites table cand: each CVE under each key it is
// indexed by, with what matching reads (its KEV and EPSS entries too, and
// the start of its description for the finding's title), so that the
// candidates of a key lie side by side and are read in one range, not
// one lookup a CVE across the whole table.
var buildCandidates = []string{`DELETE FROM cand`,
	`INSERT OR IGNORE INTO cand SELECT k.key, c.id, substr(coalesce(c.summary, ''), 1, 240), c.cwe, c.cvss_version,
	c.cvss_vector, c.cvss_score, c.nvd, c.cve5, kev.ransomware, epss.score, epss.percentile
	FROM cpe_key k JOIN cve c ON c.id=k.cve LEFT JOIN kev ON kev.cve=c.id LEFT JOIN epss ON epss.cve=c.id
	ORDER BY k.key, c.id`}

// Commit makes the import visible and writes the manifest: the sources
// read replace their entries, the others stay.
func (im *Importer) Commit(ctx context.Context) (Manifest, error) {
	now := im.now().UTC()
	for k, s := range im.seen {
		old := im.man.Sources[k]
		s.Imported = now
		if s.Snapshot.Before(old.Snapshot) && (s.Snapshot.IsZero() || k != SourceKEV && k != SourceEPSS) {
			// An older file of an incremental source, or one without a
			// date, does not make the data older than it was.
			s.Snapshot = old.Snapshot
		}
		if s.Snapshot.IsZero() {
			s.Snapshot = now
		}
		if s.Cursor.IsZero() {
			s.Cursor = old.Cursor
		}
		im.man.Sources[k] = *s
	}
	var err error
	for _, q := range buildCandidates {
		if _, err = im.tx.ExecContext(ctx, q); err != nil {
			break
		}
	}
	var c map[string]int64
	if err == nil {
		c, err = counts(ctx, im.tx)
	}
	if err == nil {
		im.man.Counts = c
		err = im.tx.Commit()
	}
	if err != nil {
		im.Rollback()
		return Manifest{}, fmt.Errorf("vulnerability database: %w", err)
	}
	if err := im.db.Close(); err != nil {
		return Manifest{}, err
	}
	sum, size, err := fileDigest(filepath.Join(im.dir, FileName))
	if err != nil {
		return Manifest{}, err
	}
	im.man.Schema, im.man.Built, im.man.SHA256, im.man.Size = SchemaVersion, now, sum, size
	return im.man, writeManifest(im.dir, &im.man)
}

// Rollback abandons the import.
func (im *Importer) Rollback() {
	if im.tx != nil {
		im.tx.Rollback()
	}
	im.db.Close()
}

package vulndb

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite", pure Go
)

// The database's files in the data directory.
const (
	FileName     = "vulndb.sqlite"
	ManifestName = "vulndb.json"
)

// SchemaVersion is the version of the database's tables; a database of
// another version is rebuilt, not read.
const SchemaVersion = 3

// ErrNoDatabase is returned when the data directory holds no database.
var ErrNoDatabase = errors.New("no vulnerability database")

// The sources, as the manifest names them.
const (
	SourceNVD        = "nvd"
	SourceCVE5       = "cve5"
	SourceKEV        = "kev"
	SourceEPSS       = "epss"
	SourceOSVDebian  = "osv-debian"
	SourceOSVUbuntu  = "osv-ubuntu"
	sourceOSVUnknown = "osv"
)

const schema = `
CREATE TABLE IF NOT EXISTS cve(id TEXT PRIMARY KEY, published INTEGER, modified INTEGER, summary TEXT,
  cwe TEXT, cvss_version TEXT, cvss_vector TEXT, cvss_score REAL, nvd BLOB, cve5 BLOB) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS cpe_key(key TEXT, cve TEXT, src INTEGER, PRIMARY KEY(key, cve, src)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS cpe_key_cve ON cpe_key(cve);
CREATE TABLE IF NOT EXISTS cand(key TEXT, cve TEXT, title TEXT, cwe TEXT, cvss_version TEXT, cvss_vector TEXT,
  cvss_score REAL, nvd BLOB, cve5 BLOB, kev INTEGER, epss REAL, epss_pct REAL, PRIMARY KEY(key, cve)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS kev(cve TEXT PRIMARY KEY, ransomware INTEGER, added TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS epss(cve TEXT PRIMARY KEY, score REAL, percentile REAL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS distro(osv TEXT, cve TEXT, family TEXT, release TEXT, package TEXT,
  introduced TEXT, fixed TEXT, last_affected TEXT);
CREATE INDEX IF NOT EXISTS distro_pkg ON distro(family, package);
CREATE INDEX IF NOT EXISTS distro_osv ON distro(osv);
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
`

// Manifest describes a database: its schema, each source's snapshot, and
// the database file's digest. It is kept beside the database, so that
// `ajar vulndb status` reads a small file, not the database.
type Manifest struct {
	Schema  int               `json:"schema"`
	Built   time.Time         `json:"built"`
	SHA256  string            `json:"sha256"`
	Size    int64             `json:"size"`
	Sources map[string]Source `json:"sources"`
	Counts  map[string]int64  `json:"counts"`
}

// Source is what was loaded from one source.
type Source struct {
	// Snapshot is the time the source's data was published (NVD's
	// response timestamp, the newest CVE5 or OSV record, KEV's release,
	// EPSS's score date).
	Snapshot time.Time `json:"snapshot"`
	// Imported is when it was loaded.
	Imported time.Time `json:"imported"`
	// Records is how many records the last import read.
	Records int64 `json:"records"`
	// Cursor is where an incremental update goes on from (NVD's
	// lastModified).
	Cursor time.Time `json:"cursor,omitzero"`
}

// Snapshot is the oldest snapshot of the sources loaded: the data is at
// least this old. It is the zero time when nothing is loaded.
func (m *Manifest) Snapshot() time.Time {
	var old time.Time
	for _, s := range m.Sources {
		if !s.Snapshot.IsZero() && (old.IsZero() || s.Snapshot.Before(old)) {
			old = s.Snapshot
		}
	}
	return old
}

// SnapshotName names the database snapshot in findings: "vulndb
// 2026-12-01T00:00:00Z".
func (m *Manifest) SnapshotName() string {
	return "vulndb " + m.Snapshot().Format(time.RFC3339)
}

// Age is how old the data is at now.
func (m *Manifest) Age(now time.Time) time.Duration { return now.Sub(m.Snapshot()) }

// StaleAfter is the age past which a database is stale: every scan that
// uses it warns.
const StaleAfter = 7 * 24 * time.Hour

// Stale reports whether the data is older than StaleAfter at now.
func (m *Manifest) Stale(now time.Time) bool { return m.Age(now) > StaleAfter }

// ReadManifest reads the manifest of the database in dir; ErrNoDatabase
// when there is none.
func ReadManifest(dir string) (Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if errors.Is(err, fs.ErrNotExist) {
		if _, serr := os.Stat(filepath.Join(dir, FileName)); serr == nil {
			return Manifest{}, fmt.Errorf("%w in %s: its manifest %s is missing (import again)", ErrNoDatabase, dir, ManifestName)
		}
		return Manifest{}, fmt.Errorf("%w in %s", ErrNoDatabase, dir)
	}
	if err != nil {
		return Manifest{}, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return Manifest{}, fmt.Errorf("%s: %w", ManifestName, err)
	}
	if m.Schema != SchemaVersion {
		return Manifest{}, fmt.Errorf("%w in %s: schema %d, this ajar reads %d (run ajar vulndb update or import again)",
			ErrNoDatabase, dir, m.Schema, SchemaVersion)
	}
	return m, nil
}

// writeManifest writes m atomically.
func writeManifest(dir string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, ManifestName+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, ManifestName))
}

// Verify checks the database file against its manifest's digest.
func Verify(dir string) error {
	m, err := ReadManifest(dir)
	if err != nil {
		return err
	}
	sum, size, err := fileDigest(filepath.Join(dir, FileName))
	if err != nil {
		return err
	}
	if sum != m.SHA256 || size != m.Size {
		return fmt.Errorf("%s does not match its manifest (sha256 %s, want %s): import again", FileName, sum, m.SHA256)
	}
	return nil
}

func fileDigest(name string) (string, int64, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// openSQL opens the database file; readOnly for matching.
func openSQL(name string, readOnly bool) (*sql.DB, error) {
	dsn := "file:" + name + "?_pragma=busy_timeout(5000)"
	if readOnly {
		dsn += "&mode=ro&_pragma=query_only(1)&_pragma=mmap_size(1073741824)"
	} else {
		dsn += "&_pragma=journal_mode(DELETE)&_pragma=synchronous(NORMAL)"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// Counts returns how many rows each table of the database holds.
func counts(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (map[string]int64, error) {
	out := map[string]int64{}
	for _, t := range []string{"cve", "kev", "epss", "distro"} {
		var n int64
		if err := q.QueryRowContext(ctx, "SELECT count(*) FROM "+t).Scan(&n); err != nil {
			return nil, err
		}
		out[strings.ReplaceAll(t, "cve", "cves")] = n
	}
	return out, nil
}

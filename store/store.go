// Package store keeps ajar's history: every scan, identification, socket
// snapshot and import, with its records, in a SQL database. The default is
// an embedded SQLite file in ajar's data directory (modernc.org/sqlite,
// pure Go, in WAL mode); a postgres:// URL puts it in PostgreSQL (pgx) for
// teams. The schema's migrations are embedded and run on Open.
//
// A run is written as it streams: Sink (a run.Sink) inserts the records
// in small transactions while the scan goes on, and marks the run
// complete only at End. A process killed mid-scan leaves a consistent
// database holding an incomplete run. Several processes may write at
// once: SQLite's writers wait on each other (busy_timeout), PostgreSQL's
// do not need to.
//
// Open ports (and any port with an identified service or findings) are
// kept one row each; the other states of a host's ports (closed,
// filtered, ...) are kept as port ranges, so a full 65,535-port scan of a
// host costs a few rows, and a stored run still says the state of every
// port it probed.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "modernc.org/sqlite"             // database/sql driver "sqlite"
)

// FileName is the name of the SQLite history in ajar's data directory.
const FileName = "history.sqlite"

// BusyTimeout is how long a SQLite writer waits for another process's
// transaction before it gives up.
const BusyTimeout = 30 * time.Second

// ErrNotFound is returned for a run that is not in the store.
var ErrNotFound = errors.New("no such run")

// Store is an open history database. Its methods may be called from
// several goroutines.
type Store struct {
	db       *sql.DB
	postgres bool
	where    string // the file or URL, for messages (no password)
	stmts    stmtCache
}

// Open opens the history at dsn, creating it and running its migrations
// as needed: a postgres:// or postgresql:// URL, or the path of a SQLite
// file (whose directory must exist).
func Open(ctx context.Context, dsn string) (*Store, error) {
	if dsn == "" {
		return nil, errors.New("store: no database given")
	}
	s := &Store{}
	var err error
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		s.postgres = true
		s.where = redact(dsn)
		s.db, err = sql.Open("pgx", dsn)
	} else {
		dsn = strings.TrimPrefix(dsn, "sqlite:")
		s.where = dsn
		s.db, err = sql.Open("sqlite", sqliteDSN(dsn))
		s.db.SetMaxOpenConns(4)
	}
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", s.where, err)
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("store %s: %w", s.where, err)
	}
	return s, nil
}

// OpenDir opens the SQLite history in data directory dir, creating the
// directory when it is missing.
func OpenDir(ctx context.Context, dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return Open(ctx, filepath.Join(dir, FileName))
}

// sqliteDSN is the modernc.org/sqlite name of the file at path: WAL,
// a busy timeout, and write transactions that take the write lock at
// BEGIN (so two writers wait on each other rather than deadlock).
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.Itoa(int(BusyTimeout/time.Millisecond))+")")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// redact hides the password of a URL.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres"
	}
	return u.Redacted()
}

// String says where the store is: a file, or a URL without its password.
func (s *Store) String() string { return s.where }

// Close closes the database.
func (s *Store) Close() error {
	return errors.Join(s.stmts.close(), s.db.Close())
}

// q rewrites a query's ? placeholders for the database: $1, $2, ... for
// PostgreSQL.
func (s *Store) q(query string) string {
	if !s.postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, c := range query {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// micros is t in Unix microseconds, the store's time.
func micros(t time.Time) int64 { return t.UnixMicro() }

// Run is one stored run: a scan, an identification, a socket snapshot or
// an import.
type Run struct {
	ID   int64
	Kind Kind
	// Started and Ended are when the run began and ended; Ended is zero
	// for a run that never ended (killed, or still going).
	Started, Ended time.Time
	// Complete is set for a run that finished: ended, not interrupted.
	Complete bool
	// Interrupted is set for a run stopped before it finished (Ctrl-C).
	Interrupted bool
	// Targets are the run's targets as given; Args its command line.
	Targets, Args string
	// Source is the file an imported run came from, and its format.
	Source string
	// Info is what the run's Begin said, as JSON.
	Info string
	// Counts, kept as the run is written.
	Hosts, HostsUp, OpenPorts, Findings, Sockets int64
}

// Status is "complete", "interrupted" or "incomplete" (never ended).
func (r *Run) Status() string {
	switch {
	case r.Complete:
		return "complete"
	case r.Interrupted:
		return "interrupted"
	}
	return "incomplete"
}

// Kind is what a run did.
type Kind string

// The kinds of runs.
const (
	KindScan     Kind = "scan"
	KindIdentify Kind = "identify"
	KindSockets  Kind = "sockets"
	KindImport   Kind = "import"
	KindAudit    Kind = "audit" // ajar audit: this machine's listeners
	KindCheck    Kind = "check" // ajar check: a scan judged by a policy
)

const runCols = `id, kind, started_us, ended_us, complete, interrupted, targets, args, source, info,
	hosts, hosts_up, open_ports, findings, sockets`

func scanRun(sc interface{ Scan(...any) error }) (Run, error) {
	var r Run
	var started int64
	var ended sql.NullInt64
	var complete, interrupted int64
	err := sc.Scan(&r.ID, &r.Kind, &started, &ended, &complete, &interrupted, &r.Targets, &r.Args, &r.Source,
		&r.Info, &r.Hosts, &r.HostsUp, &r.OpenPorts, &r.Findings, &r.Sockets)
	r.Started = time.UnixMicro(started)
	if ended.Valid {
		r.Ended = time.UnixMicro(ended.Int64)
	}
	r.Complete, r.Interrupted = complete != 0, interrupted != 0
	return r, err
}

// Filter chooses runs.
type Filter struct {
	// Kind, when set, keeps runs of that kind.
	Kind Kind
	// Limit, when above 0, keeps that many of the newest runs.
	Limit int
	// Since, when set, keeps runs started at or after it.
	Since time.Time
}

// Runs lists the runs f chooses, oldest first.
func (s *Store) Runs(ctx context.Context, f Filter) ([]Run, error) {
	query := `SELECT ` + runCols + ` FROM runs WHERE 1 = 1`
	var args []any
	if f.Kind != "" {
		query += ` AND kind = ?`
		args = append(args, string(f.Kind))
	}
	if !f.Since.IsZero() {
		query += ` AND started_us >= ?`
		args = append(args, f.Since.UnixMicro())
	}
	query += ` ORDER BY id DESC`
	if f.Limit > 0 {
		query += ` LIMIT ` + strconv.Itoa(f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("listing runs: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("listing runs: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing runs: %w", err)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// Run returns the run with id.
func (s *Store) Run(ctx context.Context, id int64) (Run, error) {
	r, err := scanRun(s.db.QueryRowContext(ctx, s.q(`SELECT `+runCols+` FROM runs WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return Run{}, fmt.Errorf("run %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Run{}, fmt.Errorf("run %d: %w", id, err)
	}
	return r, nil
}

// Resolve finds the run a user names: its number, "last" (the newest
// run), "last~N" (the Nth before the newest), or "@WHEN" (the newest run
// started at or before WHEN, read by ParseWhen: @tuesday, @2026-12-01,
// @7d). With kind set, "last" and "@WHEN" count runs of that kind only.
func (s *Store) Resolve(ctx context.Context, ref string, kind Kind) (Run, error) {
	return s.resolve(ctx, ref, kind, time.Now())
}

// RefSyntax says what a run reference may be, for errors.
const RefSyntax = "a run number, last, last~N or @WHEN (@tuesday, @2026-12-01, @7d)"

func (s *Store) resolve(ctx context.Context, ref string, kind Kind, now time.Time) (Run, error) {
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil && id > 0 {
		return s.Run(ctx, id)
	}
	query := `SELECT ` + runCols + ` FROM runs WHERE 1 = 1`
	var args []any
	if kind != "" {
		query += ` AND kind = ?`
		args = append(args, string(kind))
	}
	back := 0
	if when, ok := strings.CutPrefix(ref, "@"); ok {
		t, err := ParseWhen(when, now, true)
		if err != nil {
			return Run{}, fmt.Errorf("bad run %q: %w", ref, err)
		}
		query += ` AND started_us <= ?`
		args = append(args, t.UnixMicro())
	} else if rest, ok := strings.CutPrefix(ref, "last"); ok {
		if rest != "" {
			n, err := strconv.Atoi(strings.TrimPrefix(rest, "~"))
			if !strings.HasPrefix(rest, "~") || err != nil || n < 0 {
				return Run{}, fmt.Errorf("bad run %q: want %s", ref, RefSyntax)
			}
			back = n
		}
	} else {
		return Run{}, fmt.Errorf("bad run %q: want %s", ref, RefSyntax)
	}
	order := ` ORDER BY id DESC`
	if strings.HasPrefix(ref, "@") {
		order = ` ORDER BY started_us DESC, id DESC` // an import keeps its file's time
	}
	query += order + ` LIMIT 1 OFFSET ` + strconv.Itoa(back)
	r, err := scanRun(s.db.QueryRowContext(ctx, s.q(query), args...))
	if errors.Is(err, sql.ErrNoRows) {
		return Run{}, fmt.Errorf("run %s: %w", ref, ErrNotFound)
	}
	if err != nil {
		return Run{}, fmt.Errorf("run %s: %w", ref, err)
	}
	return r, nil
}

// recordTables are the tables that hold a run's records.
var recordTables = []string{"hosts", "ports", "port_ranges", "findings", "sockets"}

// Prune deletes the runs that started before t, with their records, and
// returns how many it deleted.
func (s *Store) Prune(ctx context.Context, before time.Time) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("pruning: %w", err)
	}
	defer tx.Rollback()
	sel := `SELECT id FROM runs WHERE started_us < ?`
	for _, t := range recordTables {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM `+t+` WHERE run_id IN (`+sel+`)`), micros(before)); err != nil {
			return 0, fmt.Errorf("pruning %s: %w", t, err)
		}
	}
	res, err := tx.ExecContext(ctx, s.q(`DELETE FROM runs WHERE started_us < ?`), micros(before))
	if err != nil {
		return 0, fmt.Errorf("pruning runs: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("pruning runs: %w", err)
	}
	return n, tx.Commit()
}

// newRun inserts a run's row and returns its id.
func (s *Store) newRun(ctx context.Context, r *Run) (int64, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, s.q(`INSERT INTO runs (kind, started_us, targets, args, source, info)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`),
		string(r.Kind), micros(r.Started), r.Targets, r.Args, r.Source, r.Info).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("recording the run: %w", err)
	}
	return id, nil
}

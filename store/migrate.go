package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// migrations are the schema's steps, one directory per database: files
// NNNN_name.sql, applied in order, each once.
//
//go:embed migrations
var migrations embed.FS

// migration is one step of the schema.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the steps for one database, in order.
func loadMigrations(dir string) ([]migration, error) {
	ents, err := fs.ReadDir(migrations, path.Join("migrations", dir))
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range ents {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration %s: want NNNN_name.sql", e.Name())
		}
		b, err := migrations.ReadFile(path.Join("migrations", dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// migrate brings the schema up to date in one transaction, which holds
// the database's write lock (SQLite) or an advisory lock (PostgreSQL), so
// that two processes opening a new database at once apply each step once.
func (s *Store) migrate(ctx context.Context) error {
	dir := "sqlite"
	if s.postgres {
		dir = "postgres"
	}
	steps, err := loadMigrations(dir)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	// Up to date (the usual case): a read, no write lock taken.
	var have int
	if s.db.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&have) == nil &&
		have == steps[len(steps)-1].version {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrating: %w", err)
	}
	defer tx.Rollback()
	if s.postgres {
		// Any number: it only needs to be the same in every ajar.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7403161)`); err != nil {
			return fmt.Errorf("migrating: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("migrating: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("migrating: %w", err)
	}
	if last := steps[len(steps)-1].version; have > last {
		return fmt.Errorf("the database's schema is version %d, newer than this ajar's %d: upgrade ajar", have, last)
	}
	for _, m := range steps {
		if m.version <= have {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, name) VALUES (?, ?)`), m.version, m.name); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return tx.Commit()
}

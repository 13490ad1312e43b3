// Package store is the node's persistence: an embedded SQLite database
// (modernc.org/sqlite, WAL journal, synchronous=FULL) with schema migrations
// embedded in the binary and applied in order, and an encryption envelope that
// seals templates and images at rest under per-encounter data keys wrapped by
// a key-encryption key (see envelope.go).
//
// Every write goes through [Store.Update], one transaction per action, so that
// a crash leaves either the whole action or none of it.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// PageSize is the database page size in bytes, set when the file is created.
const PageSize = 8192

// ErrNotFound is returned when a record does not exist.
var ErrNotFound = errors.New("not found")

// Store is an open node database. It is safe for concurrent use.
type Store struct {
	db  *sql.DB
	kek *KEK
}

// Open opens (creating if needed) the database bix.db in dir, applies pending
// migrations and returns the store. kek wraps and unwraps the data keys.
func Open(ctx context.Context, dir string, kek *KEK) (*Store, error) {
	if kek == nil {
		return nil, errors.New("store: no key-encryption key")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: data directory: %w", err)
	}
	path := filepath.Join(dir, "bix.db")
	// Per-connection pragmas go in the DSN (the driver applies them in
	// alphabetical order on every new connection); page_size and the journal
	// mode are properties of the file and are set once below, page_size
	// first, because it cannot change after WAL is enabled.
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s := &Store{db: db, kek: kek}
	if err := s.init(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: %s: %w", path, err)
	}
	return s, nil
}

func (s *Store) init(ctx context.Context) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA page_size="+strconv.Itoa(PageSize)); err != nil {
		return fmt.Errorf("page_size: %w", err)
	}
	var mode string
	if err := conn.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode); err != nil {
		return fmt.Errorf("journal_mode: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal_mode is %q, want wal", mode)
	}
	return s.migrate(ctx)
}

// migrate applies the embedded migrations NNNN_name.sql in numeric order,
// each in its own transaction together with its row in schema_migrations.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("schema_migrations: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	type mig struct {
		version int
		name    string
	}
	var ms []mig
	for _, n := range names {
		base := filepath.Base(n)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return fmt.Errorf("migration %s: name must be NNNN_name.sql", base)
		}
		ms = append(ms, mig{v, base})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for _, m := range ms {
		var done int
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&done); err != nil {
			return err
		}
		if done > 0 {
			continue
		}
		body, err := migrations.ReadFile("migrations/" + m.name)
		if err != nil {
			return err
		}
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)`, m.version, m.name, now()); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return nil
}

// SchemaVersion returns the highest applied migration version.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v)
	return int(v.Int64), err
}

// DB returns the underlying database, for packages that keep their own
// tables in the same file (the audit log).
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Tx is one write transaction. Its methods write records; SQL returns the
// underlying transaction for other packages' writes (the audit log) that must
// commit or roll back with the action.
type Tx struct {
	tx *sql.Tx
	s  *Store
}

// SQL returns the underlying transaction.
func (t *Tx) SQL() *sql.Tx { return t.tx }

// Update runs fn in one write transaction and commits it if fn returns nil;
// otherwise it rolls back and returns fn's error.
func (s *Store) Update(ctx context.Context, fn func(*Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := fn(&Tx{tx: tx, s: s}); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// querier is what reads need: a *sql.DB or *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func now() string { return time.Now().UTC().Format(time.RFC3339Nano) }

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

func fmtTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// schema is the audit tables. audit_entries holds the canonical entry
// bodies by log index; audit_hashes holds the tlog stored hashes by stored
// hash index (tlog.StoredHashIndex); audit_checkpoints the log's own signed
// checkpoints by tree size; audit_witness the partners' checkpoints this node
// has checked and cosigned; audit_alerts what a consistency check found.
const schema = `
CREATE TABLE IF NOT EXISTS audit_entries (
	idx  INTEGER PRIMARY KEY,
	body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_hashes (
	id   INTEGER PRIMARY KEY,
	hash BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_checkpoints (
	size    INTEGER PRIMARY KEY,
	created INTEGER NOT NULL,
	signed  BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_witness (
	origin  TEXT NOT NULL,
	size    INTEGER NOT NULL,
	hash    BLOB NOT NULL,
	seen    INTEGER NOT NULL,
	signed  BLOB NOT NULL,
	PRIMARY KEY (origin, size)
);
CREATE TABLE IF NOT EXISTS audit_alerts (
	id      INTEGER PRIMARY KEY AUTOINCREMENT,
	time    INTEGER NOT NULL,
	origin  TEXT NOT NULL,
	kind    TEXT NOT NULL,
	detail  TEXT NOT NULL,
	evidence BLOB
);
`

// Init creates the audit tables if they do not exist. It is idempotent and
// is called by the node when it opens a data directory.
func Init(ctx context.Context, db *sql.DB) error {
	for _, stmt := range strings.Split(schema, ";") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("audit: init: %w", err)
		}
	}
	if err := initRedactions(ctx, db); err != nil {
		return fmt.Errorf("audit: init: %w", err)
	}
	return nil
}

// Append adds e to the log inside the caller's transaction tx and returns
// its index. It stores the canonical body and the tlog stored hashes for the
// new record, so the action and its audit entry commit or roll back
// together. If e.Time is zero, Append returns an error: the caller stamps
// the time the action took place.
//
// Appends from concurrent transactions serialise on the database write
// lock: the first statement Append runs is the INSERT that takes the next
// index from the stored entries, so the index is computed under the lock.
// With SQLite in WAL mode a deferred transaction that has already read
// before calling Append may get SQLITE_BUSY on that INSERT if another writer
// committed in between; the node should begin write transactions IMMEDIATE
// (modernc.org/sqlite DSN parameter _txlock=immediate).
func Append(ctx context.Context, tx *sql.Tx, e Entry) (index int64, err error) {
	body, err := e.Canonical()
	if err != nil {
		return 0, err
	}
	err = tx.QueryRowContext(ctx,
		`INSERT INTO audit_entries(idx, body) SELECT COALESCE(MAX(idx)+1, 0), ? FROM audit_entries RETURNING idx`,
		body).Scan(&index)
	if err != nil {
		return 0, fmt.Errorf("audit: append: %w", err)
	}
	hashes, err := tlog.StoredHashes(index, body, hashReader{ctx, tx})
	if err != nil {
		return 0, fmt.Errorf("audit: append entry %d: %w", index, err)
	}
	first := tlog.StoredHashIndex(0, index)
	var q strings.Builder
	args := make([]any, 0, 2*len(hashes))
	q.WriteString("INSERT INTO audit_hashes(id, hash) VALUES ")
	for i, h := range hashes {
		if i > 0 {
			q.WriteString(",")
		}
		q.WriteString("(?,?)")
		args = append(args, first+int64(i), h[:])
	}
	if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
		return 0, fmt.Errorf("audit: append entry %d hashes: %w", index, err)
	}
	return index, nil
}

// querier is what *sql.DB, *sql.Conn and *sql.Tx have in common.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// hashReader reads tlog stored hashes from audit_hashes.
type hashReader struct {
	ctx context.Context
	q   querier
}

// ReadHashes implements tlog.HashReader.
func (r hashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, id := range indexes {
		var b []byte
		err := r.q.QueryRowContext(r.ctx, `SELECT hash FROM audit_hashes WHERE id = ?`, id).Scan(&b)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("%w: stored hash %d missing", ErrCorrupt, id)
		}
		if err != nil {
			return nil, fmt.Errorf("reading stored hash %d: %w", id, err)
		}
		if len(b) != tlog.HashSize {
			return nil, fmt.Errorf("%w: stored hash %d has %d bytes", ErrCorrupt, id, len(b))
		}
		copy(out[i][:], b)
	}
	return out, nil
}

// size returns the number of entries in the log as seen by q.
func size(ctx context.Context, q querier) (int64, error) {
	var n int64
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(idx)+1, 0) FROM audit_entries`).Scan(&n); err != nil {
		return 0, fmt.Errorf("audit: log size: %w", err)
	}
	return n, nil
}

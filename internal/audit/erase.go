package audit

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/tlog"
)

// Erasing log entries.
//
// Logs about a person are kept for a while after the person's record is
// erased (one year in the Eurodac pattern), then the personal references in
// them must go too. The log is an append-only Merkle tree: changing an entry
// body changes its leaf hash and would break every checkpoint after it.
// Redact therefore keeps the tree and changes only what is stored: the
// entry's body is replaced by a redacted body (each personal reference
// replaced by a pseudonym the caller chooses, typically a hash), the
// original leaf hash — already stored in audit_hashes, where it stays — is
// recorded in audit_redactions, and the redaction itself is logged as an
// erasure entry, appended in the same transaction, whose detail commits to
// each redacted entry's index and new body:
//
//	"redacted": [{"index": 12, "body_sha256": "<hex SHA-256 of the redacted body>"}, ...]
//
// Verification ([Log.Verify], [CheckExport], [CheckInclusion]) uses the
// recorded leaf hash for a redacted entry and the body's hash for every
// other, so every checkpoint, inclusion and consistency proof still holds;
// and it accepts a redacted body only if the erasure entry named by the
// redaction is in the log, is an erasure, and commits to exactly that body.
// A body changed without such an erasure entry, or changed again after it,
// is reported as tampering ([ErrCorrupt], [ErrBadExport]). What cannot be
// shown any more for a redacted entry is that its body is the one first
// logged; that is the point of erasing it. A redaction can only be made by
// appending an erasure entry to the log, which partners witness like any
// other entry.

// redactionSchema records redacted entries: the original leaf hash, when
// the entry was first redacted and the erasure entry that redacted it last.
const redactionSchema = `CREATE TABLE IF NOT EXISTS audit_redactions (
	idx     INTEGER PRIMARY KEY,
	leaf    BLOB NOT NULL,    -- RFC 6962 leaf hash of the original body
	at      INTEGER NOT NULL, -- unix nanoseconds of the first redaction
	erasure INTEGER           -- index of the erasure entry that redacted it last
)`

// DetailRedacted is the Detail key under which an erasure entry written by
// [Redact] lists the entries it redacted.
const DetailRedacted = "redacted"

// ErrRedaction is returned (wrapped) when entries cannot be redacted: a key
// too short, an erasure entry that is not one, or a stored leaf hash that
// does not match its body.
var ErrRedaction = errors.New("audit entry cannot be redacted")

// execQuerier is what *sql.DB and *sql.Tx have in common for writing.
type execQuerier interface {
	querier
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// initRedactions creates audit_redactions, adding the erasure column to a
// table made before it existed (its rows then carry no erasure entry and
// do not verify).
func initRedactions(ctx context.Context, q execQuerier) error {
	if _, err := q.ExecContext(ctx, redactionSchema); err != nil {
		return err
	}
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info('audit_redactions') WHERE name = 'erasure'`).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		if _, err := q.ExecContext(ctx, `ALTER TABLE audit_redactions ADD COLUMN erasure INTEGER`); err != nil {
			return err
		}
	}
	return nil
}

// redactionCommit is one element of an erasure entry's "redacted" list.
type redactionCommit struct {
	Index      int64  `json:"index"`
	BodySHA256 string `json:"body_sha256"`
}

// Redact replaces, in every entry that mentions one of repl's keys (in
// Objects or anywhere in Detail's string values), each key by its value,
// and appends erasure (Action must be [ActionErasure]) to the log, all
// inside the caller's transaction. The appended erasure entry's Detail is
// the caller's (a JSON object without a "redacted" member, or empty) plus
// the [DetailRedacted] list of every entry changed with the SHA-256 of its
// new body; the leaf hash of each original body is kept so that the tree
// still verifies. It returns the number of entries changed and the index of
// the erasure entry, which is appended even when nothing changed (the
// erasure was due and is logged). Keys shorter than 8 bytes are refused, so
// that a short string cannot redact unrelated entries.
func Redact(ctx context.Context, tx *sql.Tx, repl map[string]string, erasure Entry) (n int, index int64, err error) {
	if erasure.Action != ActionErasure {
		return 0, 0, fmt.Errorf("%w: the redaction must be logged as an %q entry, not %q", ErrRedaction, ActionErasure, erasure.Action)
	}
	detail := map[string]any{}
	if len(erasure.Detail) > 0 {
		d := json.NewDecoder(bytes.NewReader(erasure.Detail))
		d.UseNumber()
		if err := d.Decode(&detail); err != nil {
			return 0, 0, fmt.Errorf("%w: erasure detail: %v", ErrRedaction, err)
		}
		if _, ok := detail[DetailRedacted]; ok {
			return 0, 0, fmt.Errorf("%w: erasure detail already has %q", ErrRedaction, DetailRedacted)
		}
	}
	if err := initRedactions(ctx, tx); err != nil {
		return 0, 0, fmt.Errorf("audit: redact: %w", err)
	}
	keys := make([]string, 0, len(repl))
	for k := range repl {
		if len(k) < 8 {
			return 0, 0, fmt.Errorf("%w: reference %q too short to redact safely", ErrRedaction, k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	type hit struct {
		idx  int64
		body []byte
	}
	seen := map[int64]bool{}
	var hits []hit
	for _, k := range keys {
		rows, err := tx.QueryContext(ctx, `SELECT idx, body FROM audit_entries WHERE instr(body, ?) > 0 ORDER BY idx`, k)
		if err != nil {
			return 0, 0, fmt.Errorf("audit: redact: %w", err)
		}
		for rows.Next() {
			var h hit
			if err := rows.Scan(&h.idx, &h.body); err != nil {
				rows.Close()
				return 0, 0, fmt.Errorf("audit: redact: %w", err)
			}
			if !seen[h.idx] {
				seen[h.idx] = true
				hits = append(hits, h)
			}
		}
		if err := rows.Close(); err != nil {
			return 0, 0, fmt.Errorf("audit: redact: %w", err)
		}
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].idx < hits[j].idx })
	type change struct {
		idx  int64
		body []byte
	}
	var changes []change
	commits := []redactionCommit{}
	for _, h := range hits {
		e, err := ParseEntry(h.body)
		if err != nil {
			return 0, 0, fmt.Errorf("%w: entry %d: %v", ErrRedaction, h.idx, err)
		}
		red, changed, err := redactEntry(e, repl)
		if err != nil {
			return 0, 0, fmt.Errorf("%w: entry %d: %v", ErrRedaction, h.idx, err)
		}
		if !changed {
			continue
		}
		body, err := red.Canonical()
		if err != nil {
			return 0, 0, fmt.Errorf("%w: entry %d: %v", ErrRedaction, h.idx, err)
		}
		var stored []byte
		if err := tx.QueryRowContext(ctx, `SELECT hash FROM audit_hashes WHERE id = ?`, tlog.StoredHashIndex(0, h.idx)).Scan(&stored); err != nil {
			return 0, 0, fmt.Errorf("audit: redact entry %d: leaf hash: %w", h.idx, err)
		}
		var prior []byte
		err = tx.QueryRowContext(ctx, `SELECT leaf FROM audit_redactions WHERE idx = ?`, h.idx).Scan(&prior)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if !bytes.Equal(rfc6962.DefaultHasher.HashLeaf(h.body), stored) {
				return 0, 0, fmt.Errorf("%w: entry %d: body does not match its stored leaf hash", ErrRedaction, h.idx)
			}
		case err != nil:
			return 0, 0, fmt.Errorf("audit: redact entry %d: %w", h.idx, err)
		default:
			if !bytes.Equal(prior, stored) {
				return 0, 0, fmt.Errorf("%w: entry %d: recorded leaf does not match the stored one", ErrRedaction, h.idx)
			}
		}
		changes = append(changes, change{h.idx, body})
		commits = append(commits, redactionCommit{Index: h.idx, BodySHA256: Hash(body)})
	}
	detail[DetailRedacted] = commits
	if erasure.Detail, err = json.Marshal(detail); err != nil {
		return 0, 0, fmt.Errorf("%w: erasure detail: %v", ErrRedaction, err)
	}
	index, err = Append(ctx, tx, erasure)
	if err != nil {
		return 0, 0, fmt.Errorf("audit: redact: logging the erasure: %w", err)
	}
	at := erasure.Time.UnixNano()
	for _, c := range changes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_redactions(idx, leaf, at, erasure)
SELECT ?1, hash, ?2, ?3 FROM audit_hashes WHERE id = ?4
ON CONFLICT(idx) DO UPDATE SET erasure = excluded.erasure`, c.idx, at, index, tlog.StoredHashIndex(0, c.idx)); err != nil {
			return 0, 0, fmt.Errorf("audit: redact entry %d: %w", c.idx, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE audit_entries SET body = ? WHERE idx = ?`, c.body, c.idx); err != nil {
			return 0, 0, fmt.Errorf("audit: redact entry %d: %w", c.idx, err)
		}
	}
	return len(changes), index, nil
}

// redactEntry returns e with repl applied to Objects and to every string in
// Detail (object keys included).
func redactEntry(e Entry, repl map[string]string) (Entry, bool, error) {
	changed := false
	sub := func(s string) string {
		out := s
		for k, v := range repl {
			out = strings.ReplaceAll(out, k, v)
		}
		if out != s {
			changed = true
		}
		return out
	}
	objs := make([]string, len(e.Objects))
	for i, o := range e.Objects {
		objs[i] = sub(o)
	}
	e.Objects = objs
	if len(e.Detail) > 0 {
		var v any
		d := json.NewDecoder(bytes.NewReader(e.Detail))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			return e, false, err
		}
		v = walkStrings(v, sub)
		b, err := json.Marshal(v)
		if err != nil {
			return e, false, err
		}
		e.Detail = b
	}
	return e, changed, nil
}

func walkStrings(v any, f func(string) string) any {
	switch x := v.(type) {
	case string:
		return f(x)
	case []any:
		for i := range x {
			x[i] = walkStrings(x[i], f)
		}
		return x
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			out[f(k)] = walkStrings(val, f)
		}
		return out
	}
	return v
}

// Redaction describes one redacted entry: its index, the original leaf
// hash the tree keeps, when it was first redacted and the erasure entry
// that redacted it (last).
type Redaction struct {
	Index   int64     `json:"index"`
	Leaf    tlog.Hash `json:"leaf"`
	At      time.Time `json:"at"`
	Erasure int64     `json:"erasure"`
}

// readRedactions returns the redactions recorded in q, by entry index (none
// when the table does not exist: a log never redacted). A row without an
// erasure entry is ErrCorrupt.
func readRedactions(ctx context.Context, q querier) (map[int64]Redaction, error) {
	var exists int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'audit_redactions'`).Scan(&exists); err != nil {
		return nil, err
	}
	out := map[int64]Redaction{}
	if exists == 0 {
		return out, nil
	}
	var hasErasure int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info('audit_redactions') WHERE name = 'erasure'`).Scan(&hasErasure); err != nil {
		return nil, err
	}
	col := "erasure"
	if hasErasure == 0 {
		col = "NULL"
	}
	rows, err := q.QueryContext(ctx, `SELECT idx, leaf, at, `+col+` FROM audit_redactions ORDER BY idx`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var r Redaction
		var leaf []byte
		var at int64
		var by sql.NullInt64
		if err := rows.Scan(&r.Index, &leaf, &at, &by); err != nil {
			return nil, err
		}
		if len(leaf) != tlog.HashSize {
			return nil, fmt.Errorf("%w: redaction of entry %d: leaf hash of %d bytes", ErrCorrupt, r.Index, len(leaf))
		}
		if !by.Valid {
			return nil, fmt.Errorf("%w: redaction of entry %d names no erasure entry", ErrCorrupt, r.Index)
		}
		copy(r.Leaf[:], leaf)
		r.At = time.Unix(0, at).UTC()
		r.Erasure = by.Int64
		out[r.Index] = r
	}
	return out, rows.Err()
}

// Redactions lists the log's redacted entries in index order.
func (l *Log) Redactions(ctx context.Context) ([]Redaction, error) {
	m, err := readRedactions(ctx, l.db)
	if err != nil {
		return nil, fmt.Errorf("audit: redactions: %w", err)
	}
	return sortedRedactions(m), nil
}

func sortedRedactions(m map[int64]Redaction) []Redaction {
	out := make([]Redaction, 0, len(m))
	for _, r := range m {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out
}

// redactionCommits returns what an erasure entry's body commits to: the
// SHA-256 of each redacted body by index. A body that is not an erasure
// entry, or whose "redacted" list is malformed, is an error.
func redactionCommits(body []byte) (map[int64]string, error) {
	e, err := ParseEntry(body)
	if err != nil {
		return nil, err
	}
	if e.Action != ActionErasure {
		return nil, fmt.Errorf("it is a %q entry, not an erasure", e.Action)
	}
	var d struct {
		Redacted []redactionCommit `json:"redacted"`
	}
	if err := json.Unmarshal(e.Detail, &d); err != nil {
		return nil, fmt.Errorf("its %q list: %v", DetailRedacted, err)
	}
	out := make(map[int64]string, len(d.Redacted))
	for _, c := range d.Redacted {
		out[c.Index] = c.BodySHA256
	}
	return out, nil
}

// checkRedaction checks that the erasure entry with body erasureBody
// redacted entry idx to exactly body.
func checkRedaction(idx int64, body []byte, erasureIdx int64, erasureBody []byte) error {
	if erasureIdx <= idx {
		return fmt.Errorf("entry %d: redaction names erasure entry %d, which is not after it", idx, erasureIdx)
	}
	c, err := redactionCommits(erasureBody)
	if err != nil {
		return fmt.Errorf("entry %d: redaction by entry %d: %v", idx, erasureIdx, err)
	}
	h, ok := c[idx]
	if !ok {
		return fmt.Errorf("entry %d: erasure entry %d does not list it as redacted", idx, erasureIdx)
	}
	if h != Hash(body) {
		return fmt.Errorf("entry %d: body is not the one erasure entry %d redacted it to", idx, erasureIdx)
	}
	return nil
}

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

	"github.com/transparency-dev/merkle/compact"
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
// replaced by a pseudonym the caller chooses, typically a hash), and the
// original leaf hash — already stored in audit_hashes, where it stays — is
// recorded in audit_redactions with the time of redaction. VerifyRedacted
// recomputes the tree using the recorded leaf hash for redacted entries and
// the body's hash for all others, so every checkpoint still verifies and
// any other change to any entry is still detected. What cannot be shown any
// more for a redacted entry is that its body is the one logged; that is the
// point of erasing it.

// redactionSchema records redacted entries.
const redactionSchema = `CREATE TABLE IF NOT EXISTS audit_redactions (
	idx  INTEGER PRIMARY KEY,
	leaf BLOB NOT NULL,    -- RFC 6962 leaf hash of the original body
	at   INTEGER NOT NULL  -- unix nanoseconds of the (first) redaction
)`

// ErrRedaction is returned (wrapped) when an entry cannot be redacted
// because its stored leaf hash does not match its body.
var ErrRedaction = errors.New("audit entry cannot be redacted")

// Redact replaces, in every entry that mentions one of repl's keys (in
// Objects or anywhere in Detail's string values), each key by its value,
// inside the caller's transaction. The leaf hash of the original body is kept
// (see VerifyRedacted). It returns the number of entries changed. Keys
// shorter than 8 bytes are refused, so that a short string cannot redact
// unrelated entries.
func Redact(ctx context.Context, tx *sql.Tx, repl map[string]string, at time.Time) (int, error) {
	if _, err := tx.ExecContext(ctx, redactionSchema); err != nil {
		return 0, fmt.Errorf("audit: redact: %w", err)
	}
	keys := make([]string, 0, len(repl))
	for k := range repl {
		if len(k) < 8 {
			return 0, fmt.Errorf("%w: reference %q too short to redact safely", ErrRedaction, k)
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
			return 0, fmt.Errorf("audit: redact: %w", err)
		}
		for rows.Next() {
			var h hit
			if err := rows.Scan(&h.idx, &h.body); err != nil {
				rows.Close()
				return 0, fmt.Errorf("audit: redact: %w", err)
			}
			if !seen[h.idx] {
				seen[h.idx] = true
				hits = append(hits, h)
			}
		}
		if err := rows.Close(); err != nil {
			return 0, err
		}
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].idx < hits[j].idx })
	n := 0
	for _, h := range hits {
		e, err := ParseEntry(h.body)
		if err != nil {
			return n, fmt.Errorf("%w: entry %d: %v", ErrRedaction, h.idx, err)
		}
		red, changed, err := redactEntry(e, repl)
		if err != nil {
			return n, fmt.Errorf("%w: entry %d: %v", ErrRedaction, h.idx, err)
		}
		if !changed {
			continue
		}
		body, err := red.Canonical()
		if err != nil {
			return n, fmt.Errorf("%w: entry %d: %v", ErrRedaction, h.idx, err)
		}
		var stored []byte
		if err := tx.QueryRowContext(ctx, `SELECT hash FROM audit_hashes WHERE id = ?`, tlog.StoredHashIndex(0, h.idx)).Scan(&stored); err != nil {
			return n, fmt.Errorf("audit: redact entry %d: leaf hash: %w", h.idx, err)
		}
		var prior []byte
		err = tx.QueryRowContext(ctx, `SELECT leaf FROM audit_redactions WHERE idx = ?`, h.idx).Scan(&prior)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			leaf := rfc6962.DefaultHasher.HashLeaf(h.body)
			if !bytes.Equal(leaf, stored) {
				return n, fmt.Errorf("%w: entry %d: body does not match its stored leaf hash", ErrRedaction, h.idx)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO audit_redactions(idx, leaf, at) VALUES (?,?,?)`, h.idx, leaf, at.UnixNano()); err != nil {
				return n, fmt.Errorf("audit: redact entry %d: %w", h.idx, err)
			}
		case err != nil:
			return n, fmt.Errorf("audit: redact entry %d: %w", h.idx, err)
		default:
			if !bytes.Equal(prior, stored) {
				return n, fmt.Errorf("%w: entry %d: recorded leaf does not match the stored one", ErrRedaction, h.idx)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE audit_entries SET body = ? WHERE idx = ?`, body, h.idx); err != nil {
			return n, fmt.Errorf("audit: redact entry %d: %w", h.idx, err)
		}
		n++
	}
	return n, nil
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

// Redacted reports which entries have been redacted, by index, with the time
// of redaction.
func (l *Log) Redacted(ctx context.Context) (map[int64]time.Time, error) {
	if _, err := l.db.ExecContext(ctx, redactionSchema); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	rows, err := l.db.QueryContext(ctx, `SELECT idx, at FROM audit_redactions ORDER BY idx`)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	defer rows.Close()
	out := map[int64]time.Time{}
	for rows.Next() {
		var i, at int64
		if err := rows.Scan(&i, &at); err != nil {
			return nil, err
		}
		out[i] = time.Unix(0, at).UTC()
	}
	return out, rows.Err()
}

// VerifyRedacted is Log.VerifySummary for a log some of whose entries were
// redacted: a redacted entry's body must still be a canonical entry, and its
// recorded original leaf hash stands in for the hash of its body; every
// other entry is hashed from its body. Stored hashes and checkpoints (with
// their signatures when the log knows its verifier) are checked as by
// Log.Verify. Log.Verify itself reports a redacted entry as corrupt.
func (l *Log) VerifyRedacted(ctx context.Context) (Summary, error) {
	var sum Summary
	if _, err := l.db.ExecContext(ctx, redactionSchema); err != nil {
		return sum, fmt.Errorf("audit: verify: %w", err)
	}
	tx, err := l.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return sum, fmt.Errorf("audit: verify: %w", err)
	}
	defer tx.Rollback()
	type cp struct {
		size int64
		hash []byte
	}
	var cps []cp
	crows, err := tx.QueryContext(ctx, `SELECT size, signed FROM audit_checkpoints ORDER BY size`)
	if err != nil {
		return sum, fmt.Errorf("audit: verify: %w", err)
	}
	for crows.Next() {
		var n int64
		var signed []byte
		if err := crows.Scan(&n, &signed); err != nil {
			crows.Close()
			return sum, fmt.Errorf("audit: verify: %w", err)
		}
		c, err := l.parseOwnCheckpoint(signed)
		if err != nil || int64(c.Size) != n {
			crows.Close()
			return sum, fmt.Errorf("%w: checkpoint at size %d: %v", ErrCorrupt, n, err)
		}
		cps = append(cps, cp{n, c.Hash})
	}
	crows.Close()
	sum.Checkpoints = len(cps)
	sum.Signed = l.verifier != nil
	if len(cps) > 0 {
		sum.Latest = cps[len(cps)-1].size
	}
	leaves := map[int64][]byte{}
	rrows, err := tx.QueryContext(ctx, `SELECT idx, leaf FROM audit_redactions`)
	if err != nil {
		return sum, fmt.Errorf("audit: verify: %w", err)
	}
	for rrows.Next() {
		var i int64
		var h []byte
		rrows.Scan(&i, &h)
		leaves[i] = h
	}
	rrows.Close()

	// Stored hashes, by id, to compare with the recomputed ones.
	stored := map[int64][]byte{}
	hrows, err := tx.QueryContext(ctx, `SELECT id, hash FROM audit_hashes`)
	if err != nil {
		return sum, fmt.Errorf("audit: verify: %w", err)
	}
	for hrows.Next() {
		var id int64
		var h []byte
		hrows.Scan(&id, &h)
		stored[id] = h
	}
	hrows.Close()

	hasher := rfc6962.DefaultHasher
	rf := compact.RangeFactory{Hash: hasher.HashChildren}
	rng := rf.NewEmptyRange(0)
	var visitErr error
	visited := 0
	visit := func(id compact.NodeID, h []byte) {
		want := tlog.StoredHashIndex(int(id.Level), int64(id.Index))
		visited++
		if visitErr == nil && !bytes.Equal(stored[want], h) {
			visitErr = fmt.Errorf("%w: stored hash %d does not match the entries", ErrCorrupt, want)
		}
	}
	ci := 0
	for ; ci < len(cps) && cps[ci].size == 0; ci++ {
	}
	erows, err := tx.QueryContext(ctx, `SELECT idx, body FROM audit_entries ORDER BY idx`)
	if err != nil {
		return sum, fmt.Errorf("audit: verify: %w", err)
	}
	defer erows.Close()
	var i int64
	for erows.Next() {
		var idx int64
		var body []byte
		if err := erows.Scan(&idx, &body); err != nil {
			return sum, fmt.Errorf("audit: verify: %w", err)
		}
		if idx != i {
			return sum, fmt.Errorf("%w: entry %d missing", ErrCorrupt, i)
		}
		if _, err := ParseEntry(body); err != nil {
			return sum, fmt.Errorf("%w: entry %d: %v", ErrCorrupt, i, err)
		}
		leaf, ok := leaves[i]
		if !ok {
			leaf = hasher.HashLeaf(body)
		}
		if err := rng.Append(leaf, visit); err != nil {
			return sum, fmt.Errorf("audit: verify: %w", err)
		}
		if visitErr != nil {
			return sum, fmt.Errorf("entry %d: %w", i, visitErr)
		}
		i++
		for ; ci < len(cps) && cps[ci].size == i; ci++ {
			root, err := rng.GetRootHash(nil)
			if err != nil {
				return sum, fmt.Errorf("audit: verify: %w", err)
			}
			if !bytes.Equal(root, cps[ci].hash) {
				return sum, fmt.Errorf("%w: checkpoint at size %d does not match the entries", ErrCorrupt, i)
			}
		}
	}
	if err := erows.Err(); err != nil {
		return sum, fmt.Errorf("audit: verify: %w", err)
	}
	if visited != len(stored) {
		return sum, fmt.Errorf("%w: %d stored hashes for %d computed", ErrCorrupt, len(stored), visited)
	}
	if ci < len(cps) {
		return sum, fmt.Errorf("%w: checkpoint at size %d but only %d entries", ErrCorrupt, cps[ci].size, i)
	}
	sum.Size = i
	if i == 0 {
		copy(sum.Root[:], hasher.EmptyRoot())
	} else {
		root, err := rng.GetRootHash(nil)
		if err != nil {
			return sum, err
		}
		copy(sum.Root[:], root)
	}
	return sum, nil
}

package accountability

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bixproject/bix/internal/audit"
	"github.com/bixproject/bix/internal/exchange"
	"github.com/bixproject/bix/internal/node"
	"github.com/bixproject/bix/internal/store"
)

// LogGrace is how long audit entries about a person are kept after the
// person's record was erased: one year, the pattern of Regulation (EU)
// 2024/1358 (Eurodac) Art. 41 for logs.
const LogGrace = 1 // years

// ErrRetention is returned (wrapped) for a retention period that cannot be
// parsed.
var ErrRetention = errors.New("invalid retention period")

// Period is a retention period in calendar units.
type Period struct {
	Years, Months, Days int
}

// ParsePeriod parses a retention period written as a positive integer and a
// unit: "10y" (years), "6m" (months), "2w" (weeks) or "90d" (days).
func ParsePeriod(s string) (Period, error) {
	s = strings.TrimSpace(s)
	if len(s) < 2 {
		return Period{}, fmt.Errorf("%w: %q", ErrRetention, s)
	}
	n, err := strconv.Atoi(s[:len(s)-1])
	if err != nil || n <= 0 || n > 200*366 {
		return Period{}, fmt.Errorf("%w: %q: want a positive count then y, m, w or d", ErrRetention, s)
	}
	switch s[len(s)-1] {
	case 'y':
		return Period{Years: n}, nil
	case 'm':
		return Period{Months: n}, nil
	case 'w':
		return Period{Days: 7 * n}, nil
	case 'd':
		return Period{Days: n}, nil
	}
	return Period{}, fmt.Errorf("%w: %q: unit must be y, m, w or d", ErrRetention, s)
}

// After returns t plus the period.
func (p Period) After(t time.Time) time.Time { return t.AddDate(p.Years, p.Months, p.Days) }

// Policy is the retention configuration: a period per category of person
// (node.Config.Retention). A person's category is the person record's, or
// when that is empty their encounters'. Persons whose category has no
// period are kept.
type Policy map[string]Period

// ParsePolicy parses node.Config.Retention.
func ParsePolicy(m map[string]string) (Policy, error) {
	p := Policy{}
	for cat, s := range m {
		d, err := ParsePeriod(s)
		if err != nil {
			return nil, fmt.Errorf("retention %q: %w", cat, err)
		}
		p[cat] = d
	}
	return p, nil
}

// Retention is the scheduler that erases expired records. A record's
// retention runs from its latest capture (the latest encounter's
// captured_at, or the person's creation when there is none).
type Retention struct {
	Store    *store.Store
	Policy   Policy
	Now      Clock
	Gallery  GalleryRemover // may be nil
	Notifier Notifier       // may be nil: no partners
}

// system is the actor of scheduled actions.
var system = node.Actor{User: "retention", Role: node.RoleSystem, Purpose: "retention"}

// Erased describes one erased person.
type Erased struct {
	PersonID     string    `json:"person_id"`
	Category     string    `json:"category,omitempty"`
	Reason       string    `json:"reason"`
	RetentionEnd time.Time `json:"retention_end,omitzero"`
	DataKeys     int       `json:"data_keys"`
	Templates    int       `json:"templates"`
	// Receipts are the partners' answers to the erasure notification.
	Receipts []*exchange.Outcome `json:"receipts,omitempty"`
	// NotifyError is why notifying partners failed, if it did; the erasure
	// itself stands.
	NotifyError string `json:"notify_error,omitempty"`
}

// RunResult is what one retention run did.
type RunResult struct {
	At              time.Time `json:"at"`
	Erased          []*Erased `json:"erased"`
	ReceivedExpired int64     `json:"received_expired"` // partner data past retain_until
	LogsRedacted    int       `json:"logs_redacted"`    // audit entries redacted (a year after erasure)
}

// Run erases every record past its retention, marks data received from
// partners past its retain_until erased, and redacts the audit entries of
// persons erased more than LogGrace years before retention ended.
func (r *Retention) Run(ctx context.Context) (*RunResult, error) {
	now := r.Now().UTC()
	res := &RunResult{At: now, Erased: []*Erased{}}
	if err := initTables(ctx, r.Store.DB()); err != nil {
		return nil, err
	}
	due, err := r.expired(ctx, now)
	if err != nil {
		return nil, err
	}
	for _, d := range due {
		e, err := erasePerson(ctx, r.Store, r.Gallery, r.Notifier, system, d.id, "retention", d.end, now)
		if err != nil {
			return res, err
		}
		e.Category = d.cat
		res.Erased = append(res.Erased, e)
	}
	if res.ReceivedExpired, err = expireReceived(ctx, r.Store, now); err != nil {
		return res, err
	}
	if res.LogsRedacted, err = redactDueLogs(ctx, r.Store, now); err != nil {
		return res, err
	}
	return res, nil
}

type due struct {
	id, cat string
	end     time.Time
}

// expired lists the persons whose retention ended at or before now.
func (r *Retention) expired(ctx context.Context, now time.Time) ([]due, error) {
	rows, err := r.Store.DB().QueryContext(ctx, `
SELECT p.id, CASE WHEN p.category != '' THEN p.category ELSE COALESCE(MAX(e.category), '') END, p.created_at, COALESCE(MAX(e.captured_at), '')
FROM persons p LEFT JOIN encounters e ON e.person_id = p.id
WHERE p.status != 'merged'
GROUP BY p.id ORDER BY p.id`)
	if err != nil {
		return nil, fmt.Errorf("retention: listing persons: %w", err)
	}
	defer rows.Close()
	var out []due
	for rows.Next() {
		var id, cat, created, last string
		if err := rows.Scan(&id, &cat, &created, &last); err != nil {
			return nil, err
		}
		p, ok := r.Policy[cat]
		if !ok {
			continue
		}
		from, err := time.Parse(time.RFC3339Nano, created)
		if err != nil {
			return nil, fmt.Errorf("retention: person %s created_at %q: %w", id, created, err)
		}
		if last != "" {
			// The period runs from the latest capture (the date the
			// biometrics were taken), not from when the row was written.
			t, err := time.Parse(time.RFC3339Nano, last)
			if err != nil {
				return nil, fmt.Errorf("retention: person %s captured_at %q: %w", id, last, err)
			}
			from = t
		}
		if end := p.After(from); !now.Before(end) {
			out = append(out, due{id, cat, end})
		}
	}
	return out, rows.Err()
}

// tables is accountability's own state, in the node's database.
const tables = `
CREATE TABLE IF NOT EXISTS accountability_erasures (
	person TEXT PRIMARY KEY,        -- person id until its log entries are redacted, then its hash
	reason TEXT NOT NULL,
	erased_at TEXT NOT NULL,
	log_redact_after TEXT NOT NULL,
	log_redacted INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS accountability_reviews (
	id INTEGER PRIMARY KEY,
	person_id TEXT NOT NULL,
	kind TEXT NOT NULL,             -- contest | review | rectify | protection
	actor TEXT NOT NULL,
	reason TEXT NOT NULL DEFAULT '',
	at TEXT NOT NULL
);
`

func initTables(ctx context.Context, db *sql.DB) error {
	for _, stmt := range strings.Split(tables, ";") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("accountability: init: %w", err)
		}
	}
	return nil
}

// pseudonym is what replaces a person id once its log entries are redacted.
func pseudonym(id string) string {
	h := sha256.Sum256([]byte(id))
	return "erased:" + hex.EncodeToString(h[:16])
}

// erasePerson destroys the data keys and deletes every row of person id
// (and of the identities merged into it), removes their exchange references
// and the id from the disclosure register, logs the erasure, drops the
// person from the gallery and notifies the partners that held a reference.
func erasePerson(ctx context.Context, st *store.Store, gal GalleryRemover, nf Notifier, a node.Actor, id, reason string, end, now time.Time) (*Erased, error) {
	if err := initTables(ctx, st.DB()); err != nil {
		return nil, err
	}
	e := &Erased{PersonID: id, Reason: reason, RetentionEnd: end}
	var ids []string
	var refs []exchange.PartnerRef
	err := st.Update(ctx, func(tx *store.Tx) error {
		refs = nil
		q := tx.SQL()
		p, err := tx.Person(ctx, id)
		if err != nil {
			return fmt.Errorf("erase person %s: %w", id, err)
		}
		e.Category = p.Category
		ids = []string{id}
		rows, err := q.QueryContext(ctx, `SELECT id FROM persons WHERE merged_into = ?`, id)
		if err != nil {
			return err
		}
		for rows.Next() {
			var m string
			rows.Scan(&m)
			ids = append(ids, m)
		}
		rows.Close()
		for _, pid := range ids {
			if err := deleteRows(ctx, tx, pid, e); err != nil {
				return fmt.Errorf("erase person %s: %w", pid, err)
			}
			// The references given to partners go too (kept here to
			// notify them), and the disclosure register keeps only the
			// pseudonym.
			r, err := exchange.ErasePerson(ctx, q, pid, pseudonym(pid))
			if err != nil {
				return fmt.Errorf("erase person %s: %w", pid, err)
			}
			refs = append(refs, r...)
		}
		logAfter := now.AddDate(LogGrace, 0, 0)
		if !end.IsZero() {
			logAfter = end.AddDate(LogGrace, 0, 0)
		}
		for _, pid := range ids {
			if _, err := q.ExecContext(ctx, `INSERT OR REPLACE INTO accountability_erasures(person, reason, erased_at, log_redact_after) VALUES (?,?,?,?)`,
				pid, reason, now.Format(time.RFC3339Nano), logAfter.Format(time.RFC3339Nano)); err != nil {
				return err
			}
		}
		detail, _ := json.Marshal(map[string]any{"reason": reason, "category": p.Category, "data_keys": e.DataKeys, "templates": e.Templates, "retention_end": fmtTime(end)})
		_, err = audit.Append(ctx, q, audit.Entry{Time: now, Actor: a.User, Role: string(a.Role), Action: audit.ActionErasure, Purpose: a.Purpose, Objects: ids, Detail: detail})
		return err
	})
	if err != nil {
		return nil, err
	}
	if gal != nil {
		for _, pid := range ids {
			gal.Remove(pid)
		}
	}
	if nf != nil {
		out, err := nf.NotifyReferences(ctx, a, refs, exchange.NotifyErasure, nil)
		e.Receipts = out
		if err != nil {
			e.NotifyError = err.Error()
		}
	}
	return e, nil
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// deleteRows destroys person pid's data keys and deletes its rows, children
// first (the schema enforces foreign keys).
func deleteRows(ctx context.Context, tx *store.Tx, pid string, e *Erased) error {
	q := tx.SQL()
	var keys []string
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT key_id FROM encounters WHERE person_id = ?`, pid)
	if err != nil {
		return err
	}
	for rows.Next() {
		var k string
		rows.Scan(&k)
		keys = append(keys, k)
	}
	rows.Close()
	sort.Strings(keys)
	var nt int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM templates WHERE person_id = ? OR encounter_id IN (SELECT id FROM encounters WHERE person_id = ?)`, pid, pid).Scan(&nt); err != nil {
		return err
	}
	e.Templates += nt
	encs := `(SELECT id FROM encounters WHERE person_id = ?1)`
	tasks := `(SELECT id FROM tasks WHERE person_id = ?1 OR encounter_id IN ` + encs + `)`
	for _, s := range []string{
		`DELETE FROM decisions WHERE task_id IN ` + tasks,
		`DELETE FROM tasks WHERE id IN ` + tasks,
		`DELETE FROM alerts WHERE person_id = ?1 OR encounter_id IN ` + encs + ` OR watchlist_id IN (SELECT id FROM watchlist WHERE person_id = ?1)`,
		`DELETE FROM watchlist WHERE person_id = ?1`,
		`DELETE FROM templates WHERE person_id = ?1 OR encounter_id IN ` + encs,
		`DELETE FROM samples WHERE encounter_id IN ` + encs,
		`DELETE FROM encounters WHERE person_id = ?1`,
		`UPDATE persons SET merged_into = NULL WHERE merged_into = ?1`,
		`DELETE FROM persons WHERE id = ?1`,
	} {
		if _, err := q.ExecContext(ctx, s, pid); err != nil {
			return fmt.Errorf("%s: %w", s[:strings.Index(s, " WHERE")], err)
		}
	}
	for _, k := range keys {
		if err := tx.DeleteDataKey(ctx, k); err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("data key %s: %w", k, err)
		}
		e.DataKeys++
	}
	return nil
}

// expireReceived marks data received from partners past its retain_until
// erased (fields cleared) and logs how many rows expired.
func expireReceived(ctx context.Context, st *store.Store, now time.Time) (int64, error) {
	var n int64
	today := now.Format("2006-01-02")
	err := st.Update(ctx, func(tx *store.Tx) error {
		var exists int
		tx.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name='exchange_received'`).Scan(&exists)
		if exists == 0 {
			return nil
		}
		r, err := tx.SQL().ExecContext(ctx, `UPDATE exchange_received SET fields = '{}', erased = 1 WHERE erased = 0 AND retain_until < ?`, today)
		if err != nil {
			return fmt.Errorf("retention: partner data: %w", err)
		}
		n, _ = r.RowsAffected()
		if n == 0 {
			return nil
		}
		detail, _ := json.Marshal(map[string]any{"reason": "retention", "scope": "exchange_received", "rows": n})
		_, err = audit.Append(ctx, tx.SQL(), audit.Entry{Time: now, Actor: system.User, Role: string(system.Role), Action: audit.ActionErasure, Purpose: system.Purpose, Detail: detail})
		return err
	})
	return n, err
}

// redactDueLogs redacts the audit entries of persons whose log grace period
// ended, and replaces the person id in the erasure register by its hash.
func redactDueLogs(ctx context.Context, st *store.Store, now time.Time) (int, error) {
	rows, err := st.DB().QueryContext(ctx, `SELECT person FROM accountability_erasures WHERE log_redacted = 0 AND log_redact_after <= ? ORDER BY person`, now.Format(time.RFC3339Nano))
	if err != nil {
		return 0, err
	}
	var ids []string
	for rows.Next() {
		var id string
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	if len(ids) == 0 {
		return 0, nil
	}
	var total int
	err = st.Update(ctx, func(tx *store.Tx) error {
		repl := map[string]string{}
		for _, id := range ids {
			repl[id] = pseudonym(id)
		}
		objs := make([]string, len(ids))
		for i, id := range ids {
			objs[i] = pseudonym(id)
		}
		// Redact logs its own erasure entry, which lists (by index and
		// hash of the new body) every entry it redacted.
		detail, _ := json.Marshal(map[string]any{"reason": "log retention", "scope": "audit_entries", "persons": len(ids)})
		n, _, err := audit.Redact(ctx, tx.SQL(), repl, audit.Entry{Time: now, Actor: system.User, Role: string(system.Role), Action: audit.ActionErasure, Purpose: system.Purpose, Objects: objs, Detail: detail})
		if err != nil {
			return err
		}
		total = n
		for _, id := range ids {
			if _, err := tx.SQL().ExecContext(ctx, `UPDATE accountability_erasures SET person = ?, log_redacted = 1 WHERE person = ?`, pseudonym(id), id); err != nil {
				return err
			}
		}
		return nil
	})
	return total, err
}

// Every runs the scheduler now and then every interval until ctx is done,
// passing each run's result (or error) to report, which may be nil. A node
// runs it in its own goroutine; `bix retention run` does one pass.
func (r *Retention) Every(ctx context.Context, interval time.Duration, report func(*RunResult, error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for ctx.Err() == nil {
		res, err := r.Run(ctx)
		if report != nil {
			report(res, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

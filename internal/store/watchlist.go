package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// WatchlistEntry puts a person on a named watchlist.
type WatchlistEntry struct {
	ID        string     `json:"id"`
	PersonID  string     `json:"person_id"`
	List      string     `json:"list"`
	Reason    string     `json:"reason,omitempty"`
	AddedBy   string     `json:"added_by"`
	AddedAt   time.Time  `json:"added_at"`
	RemovedBy string     `json:"removed_by,omitempty"`
	RemovedAt *time.Time `json:"removed_at,omitempty"`
}

// InsertWatchlistEntry stores an entry.
func (t *Tx) InsertWatchlistEntry(ctx context.Context, w *WatchlistEntry) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO watchlist(id, person_id, list, reason, added_by, added_at) VALUES (?,?,?,?,?,?)`,
		w.ID, w.PersonID, w.List, w.Reason, w.AddedBy, fmtTime(w.AddedAt))
	if err != nil {
		return fmt.Errorf("watchlist entry %s: %w", w.ID, err)
	}
	return nil
}

// RemoveWatchlistEntry marks an active entry removed; ErrNotFound if there is
// no active entry id.
func (t *Tx) RemoveWatchlistEntry(ctx context.Context, id, by string) error {
	res, err := t.tx.ExecContext(ctx, `UPDATE watchlist SET removed_by = ?, removed_at = ? WHERE id = ? AND removed_at IS NULL`, by, now(), id)
	if err != nil {
		return fmt.Errorf("watchlist entry %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("watchlist entry %s: %w", id, ErrNotFound)
	}
	return nil
}

// Watchlist returns the active entries, or all entries if all is set.
func (s *Store) Watchlist(ctx context.Context, all bool) ([]*WatchlistEntry, error) {
	q := `SELECT id, person_id, list, reason, added_by, added_at, coalesce(removed_by, ''), removed_at FROM watchlist`
	if !all {
		q += ` WHERE removed_at IS NULL`
	}
	return s.watchlistQuery(ctx, s.db, q+` ORDER BY added_at, id`)
}

// ActiveWatchlistEntries returns the active entries on person ids.
func (t *Tx) ActiveWatchlistEntries(ctx context.Context, personID string) ([]*WatchlistEntry, error) {
	return t.s.watchlistQuery(ctx, t.tx, `SELECT id, person_id, list, reason, added_by, added_at, coalesce(removed_by, ''), removed_at FROM watchlist WHERE removed_at IS NULL AND person_id = ?`, personID)
}

func (s *Store) watchlistQuery(ctx context.Context, q querier, query string, args ...any) ([]*WatchlistEntry, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*WatchlistEntry
	for rows.Next() {
		var w WatchlistEntry
		var added string
		var removed sql.NullString
		if err := rows.Scan(&w.ID, &w.PersonID, &w.List, &w.Reason, &w.AddedBy, &added, &w.RemovedBy, &removed); err != nil {
			return nil, err
		}
		w.AddedAt = parseTime(added)
		if removed.Valid {
			t := parseTime(removed.String)
			w.RemovedAt = &t
		}
		out = append(out, &w)
	}
	return out, rows.Err()
}

// Alert records a watchlist hit raised by an encounter.
type Alert struct {
	ID          string    `json:"id"`
	EncounterID string    `json:"encounter_id"`
	PersonID    string    `json:"person_id"`
	WatchlistID string    `json:"watchlist_id"`
	List        string    `json:"list"`
	Score       float64   `json:"score"`
	CreatedAt   time.Time `json:"created_at"`
}

// InsertAlert stores an alert.
func (t *Tx) InsertAlert(ctx context.Context, a *Alert) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO alerts(id, encounter_id, person_id, watchlist_id, score, created_at) VALUES (?,?,?,?,?,?)`,
		a.ID, a.EncounterID, a.PersonID, a.WatchlistID, a.Score, fmtTime(a.CreatedAt))
	if err != nil {
		return fmt.Errorf("alert %s: %w", a.ID, err)
	}
	return nil
}

// Alerts returns all alerts, newest first.
func (s *Store) Alerts(ctx context.Context) ([]*Alert, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT a.id, a.encounter_id, a.person_id, a.watchlist_id, w.list, a.score, a.created_at FROM alerts a JOIN watchlist w ON w.id = a.watchlist_id ORDER BY a.created_at DESC, a.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Alert
	for rows.Next() {
		var a Alert
		var created string
		if err := rows.Scan(&a.ID, &a.EncounterID, &a.PersonID, &a.WatchlistID, &a.List, &a.Score, &created); err != nil {
			return nil, err
		}
		a.CreatedAt = parseTime(created)
		out = append(out, &a)
	}
	return out, rows.Err()
}

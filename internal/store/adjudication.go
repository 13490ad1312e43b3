package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Task states.
const (
	TaskOpen    = "open"
	TaskClaimed = "claimed"
	TaskDecided = "decided"
	// TaskReview: decided by fewer examiners than the task requires; it
	// awaits the next examiner's decision (see Review).
	TaskReview = "review"
)

// Task is an adjudication task: a provisional identity whose encounter
// matched existing identities above the threshold, for an examiner to decide.
type Task struct {
	ID          string    `json:"id"`
	Kind        string    `json:"kind"`
	EncounterID string    `json:"encounter_id"`
	PersonID    string    `json:"person_id"`
	Candidates  []byte    `json:"-"` // JSON, owned by the node
	State       string    `json:"state"`
	ClaimedBy   string    `json:"claimed_by,omitempty"`
	ClaimedAt   time.Time `json:"claimed_at,omitzero"`
	CreatedAt   time.Time `json:"created_at"`
	// ReviewsRequired is the number of different examiners whose
	// decisions the task needs before one takes effect (1, or 2 under the
	// second-examiner rule); ReviewReasons says why more than one.
	ReviewsRequired int      `json:"reviews_required"`
	ReviewReasons   []string `json:"review_reasons,omitempty"`
}

// InsertTask stores a task (ReviewsRequired below 1 is stored as 1).
func (t *Tx) InsertTask(ctx context.Context, k *Task) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO tasks(id, kind, encounter_id, person_id, candidates, state, created_at, reviews_required, review_reasons) VALUES (?,?,?,?,?,?,?,?,?)`,
		k.ID, k.Kind, k.EncounterID, k.PersonID, string(k.Candidates), k.State, now(), max(1, k.ReviewsRequired), strings.Join(k.ReviewReasons, ","))
	if err != nil {
		return fmt.Errorf("task %s: %w", k.ID, err)
	}
	return nil
}

// ClaimTask sets an open (or already self-claimed) task claimed by examiner.
// ErrConflict if another examiner holds it or it is decided.
func (t *Tx) ClaimTask(ctx context.Context, id, examiner string) error {
	k, err := getTask(ctx, t.tx, id)
	if err != nil {
		return err
	}
	if k.State == TaskDecided || (k.State == TaskClaimed && k.ClaimedBy != examiner) {
		return fmt.Errorf("task %s is %s by %q: %w", id, k.State, k.ClaimedBy, ErrConflict)
	}
	_, err = t.tx.ExecContext(ctx, `UPDATE tasks SET state = ?, claimed_by = ?, claimed_at = ? WHERE id = ?`, TaskClaimed, examiner, now(), id)
	return err
}

// ErrConflict is returned when a record's state does not allow the change.
var ErrConflict = errors.New("conflict")

// Task returns the task id within the transaction.
func (t *Tx) Task(ctx context.Context, id string) (*Task, error) { return getTask(ctx, t.tx, id) }

// Task returns the task id.
func (s *Store) Task(ctx context.Context, id string) (*Task, error) { return getTask(ctx, s.db, id) }

const taskCols = `id, kind, encounter_id, person_id, candidates, state, coalesce(claimed_by, ''), coalesce(claimed_at, ''), created_at, reviews_required, review_reasons`

func scanTask(sc interface{ Scan(...any) error }) (*Task, error) {
	var k Task
	var cands, claimed, created, reasons string
	if err := sc.Scan(&k.ID, &k.Kind, &k.EncounterID, &k.PersonID, &cands, &k.State, &k.ClaimedBy, &claimed, &created, &k.ReviewsRequired, &reasons); err != nil {
		return nil, err
	}
	k.Candidates, k.ClaimedAt, k.CreatedAt = []byte(cands), parseTime(claimed), parseTime(created)
	if reasons != "" {
		k.ReviewReasons = strings.Split(reasons, ",")
	}
	return &k, nil
}

func getTask(ctx context.Context, q querier, id string) (*Task, error) {
	k, err := scanTask(q.QueryRowContext(ctx, `SELECT `+taskCols+` FROM tasks WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("task %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("task %s: %w", id, err)
	}
	return k, nil
}

// Tasks returns tasks in the given state ("" for all), oldest first.
func (s *Store) Tasks(ctx context.Context, state string) ([]*Task, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+taskCols+` FROM tasks WHERE ? = '' OR state = ? ORDER BY created_at, id`, state, state)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Task
	for rows.Next() {
		k, err := scanTask(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// Decision outcomes.
const (
	OutcomeSame         = "same"
	OutcomeDifferent    = "different"
	OutcomeInconclusive = "inconclusive"
)

// Decision is an examiner's decision on a task.
type Decision struct {
	ID         string    `json:"id"`
	TaskID     string    `json:"task_id"`
	Outcome    string    `json:"outcome"`
	Candidate  string    `json:"candidate,omitempty"`
	ReasonCode string    `json:"reason_code"`
	Examiner   string    `json:"examiner"`
	DecidedAt  time.Time `json:"decided_at"`
}

// InsertDecision stores a decision and marks its task decided.
func (t *Tx) InsertDecision(ctx context.Context, d *Decision) error {
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO decisions(id, task_id, outcome, candidate, reason_code, examiner, decided_at) VALUES (?,?,?,?,?,?,?)`,
		d.ID, d.TaskID, d.Outcome, d.Candidate, d.ReasonCode, d.Examiner, fmtTime(d.DecidedAt)); err != nil {
		return fmt.Errorf("decision on task %s: %w", d.TaskID, err)
	}
	if _, err := t.tx.ExecContext(ctx, `UPDATE tasks SET state = ? WHERE id = ?`, TaskDecided, d.TaskID); err != nil {
		return fmt.Errorf("task %s: %w", d.TaskID, err)
	}
	return nil
}

// Decision returns the decision on task id.
func (s *Store) Decision(ctx context.Context, taskID string) (*Decision, error) {
	var d Decision
	var at string
	err := s.db.QueryRowContext(ctx, `SELECT id, task_id, outcome, candidate, reason_code, examiner, decided_at FROM decisions WHERE task_id = ?`, taskID).
		Scan(&d.ID, &d.TaskID, &d.Outcome, &d.Candidate, &d.ReasonCode, &d.Examiner, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("decision on task %s: %w", taskID, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	d.DecidedAt = parseTime(at)
	return &d, nil
}

// Review is one examiner's decision on a task that needs several (see
// Task.ReviewsRequired). Every examiner's decision on such a task is a
// review; the one that takes effect is also stored as the task's Decision.
type Review struct {
	ID         string    `json:"id"`
	TaskID     string    `json:"task_id"`
	Outcome    string    `json:"outcome"`
	Candidate  string    `json:"candidate,omitempty"`
	ReasonCode string    `json:"reason_code"`
	Examiner   string    `json:"examiner"`
	DecidedAt  time.Time `json:"decided_at"`
}

// InsertReview stores an examiner's review of a task. When pending is
// true the task goes to TaskReview, its claim released for the next
// examiner; otherwise the caller records the effective decision with
// InsertDecision. ErrConflict if the examiner already reviewed the task.
func (t *Tx) InsertReview(ctx context.Context, r *Review, pending bool) error {
	var n int
	if err := t.tx.QueryRowContext(ctx, `SELECT count(*) FROM reviews WHERE task_id = ? AND examiner = ?`, r.TaskID, r.Examiner).Scan(&n); err != nil {
		return fmt.Errorf("reviews of task %s: %w", r.TaskID, err)
	}
	if n > 0 {
		return fmt.Errorf("task %s: examiner %q has already decided: %w", r.TaskID, r.Examiner, ErrConflict)
	}
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO reviews(id, task_id, outcome, candidate, reason_code, examiner, decided_at) VALUES (?,?,?,?,?,?,?)`,
		r.ID, r.TaskID, r.Outcome, r.Candidate, r.ReasonCode, r.Examiner, fmtTime(r.DecidedAt)); err != nil {
		return fmt.Errorf("review of task %s: %w", r.TaskID, err)
	}
	if pending {
		if _, err := t.tx.ExecContext(ctx, `UPDATE tasks SET state = ?, claimed_by = NULL, claimed_at = NULL WHERE id = ?`, TaskReview, r.TaskID); err != nil {
			return fmt.Errorf("task %s: %w", r.TaskID, err)
		}
	}
	return nil
}

// Reviews returns the reviews of task id within the transaction, oldest
// first.
func (t *Tx) Reviews(ctx context.Context, taskID string) ([]*Review, error) {
	return reviews(ctx, t.tx, taskID)
}

// Reviews returns the reviews of task id, oldest first.
func (s *Store) Reviews(ctx context.Context, taskID string) ([]*Review, error) {
	return reviews(ctx, s.db, taskID)
}

func reviews(ctx context.Context, q querier, taskID string) ([]*Review, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, task_id, outcome, candidate, reason_code, examiner, decided_at FROM reviews WHERE task_id = ? ORDER BY decided_at, id`, taskID)
	if err != nil {
		return nil, fmt.Errorf("reviews of task %s: %w", taskID, err)
	}
	defer rows.Close()
	var out []*Review
	for rows.Next() {
		var r Review
		var at string
		if err := rows.Scan(&r.ID, &r.TaskID, &r.Outcome, &r.Candidate, &r.ReasonCode, &r.Examiner, &at); err != nil {
			return nil, err
		}
		r.DecidedAt = parseTime(at)
		out = append(out, &r)
	}
	return out, rows.Err()
}

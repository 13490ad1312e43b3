package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Task states.
const (
	TaskOpen    = "open"
	TaskClaimed = "claimed"
	TaskDecided = "decided"
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
}

// InsertTask stores a task.
func (t *Tx) InsertTask(ctx context.Context, k *Task) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO tasks(id, kind, encounter_id, person_id, candidates, state, created_at) VALUES (?,?,?,?,?,?,?)`,
		k.ID, k.Kind, k.EncounterID, k.PersonID, string(k.Candidates), k.State, now())
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

const taskCols = `id, kind, encounter_id, person_id, candidates, state, coalesce(claimed_by, ''), coalesce(claimed_at, ''), created_at`

func scanTask(sc interface{ Scan(...any) error }) (*Task, error) {
	var k Task
	var cands, claimed, created string
	if err := sc.Scan(&k.ID, &k.Kind, &k.EncounterID, &k.PersonID, &cands, &k.State, &k.ClaimedBy, &claimed, &created); err != nil {
		return nil, err
	}
	k.Candidates, k.ClaimedAt, k.CreatedAt = []byte(cands), parseTime(claimed), parseTime(created)
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

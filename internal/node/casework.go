package node

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/bixproject/bix/internal/audit"
	"github.com/bixproject/bix/internal/gallery"
	"github.com/bixproject/bix/internal/store"
)

// PersonRecord is what an officer sees of a person.
type PersonRecord struct {
	*store.Person
	Minor      bool                    `json:"minor"`
	Encounters []*store.Encounter      `json:"encounters"`
	Watchlist  []*store.WatchlistEntry `json:"watchlist"`
	Templates  int                     `json:"templates"`
}

// Person returns a person with their encounters and active watchlist
// entries. A merged identity is returned as is (its MergedInto says where
// its encounters went).
func (n *Node) Person(ctx context.Context, a Actor, id string) (*PersonRecord, error) {
	if err := allow(a, "person.read"); err != nil {
		return nil, err
	}
	if _, err := uuid.Parse(id); err != nil {
		return nil, invalid("person id %q is not a UUID", id)
	}
	p, err := n.st.Person(ctx, id)
	if err != nil {
		return nil, err
	}
	r := &PersonRecord{Person: p, Minor: p.Minor(time.Now()), Encounters: []*store.Encounter{}, Watchlist: []*store.WatchlistEntry{}}
	if e, err := n.st.Encounters(ctx, id); err != nil {
		return nil, err
	} else if e != nil {
		r.Encounters = e
	}
	all, err := n.st.Watchlist(ctx, false)
	if err != nil {
		return nil, err
	}
	for _, w := range all {
		if w.PersonID == id {
			r.Watchlist = append(r.Watchlist, w)
		}
	}
	ts, err := n.st.PersonTemplates(ctx, id)
	if err != nil {
		return nil, err
	}
	r.Templates = len(ts)
	if err := n.st.Update(ctx, func(tx *store.Tx) error {
		return logEntry(ctx, tx, a, "person.read", []string{id}, nil)
	}); err != nil {
		return nil, err
	}
	return r, nil
}

// WatchlistAdd puts a person on a watchlist.
func (n *Node) WatchlistAdd(ctx context.Context, a Actor, personID, list, reason string) (*store.WatchlistEntry, error) {
	if err := allow(a, audit.ActionWatchlist); err != nil {
		return nil, err
	}
	if list == "" || len(list) > 100 || len(reason) > 500 {
		return nil, invalid("watchlist name must be 1..100 bytes and reason at most 500")
	}
	w := &store.WatchlistEntry{ID: uuid.NewString(), PersonID: personID, List: list, Reason: reason, AddedBy: a.User, AddedAt: time.Now().UTC()}
	err := n.st.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.Person(ctx, personID); err != nil {
			return err
		}
		if err := tx.InsertWatchlistEntry(ctx, w); err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]any{"change": "add", "list": list})
		return logEntry(ctx, tx, a, audit.ActionWatchlist, []string{w.ID, personID}, detail)
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// WatchlistRemove removes an active watchlist entry.
func (n *Node) WatchlistRemove(ctx context.Context, a Actor, entryID string) error {
	if err := allow(a, audit.ActionWatchlist); err != nil {
		return err
	}
	return n.st.Update(ctx, func(tx *store.Tx) error {
		if err := tx.RemoveWatchlistEntry(ctx, entryID, a.User); err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]any{"change": "remove"})
		return logEntry(ctx, tx, a, audit.ActionWatchlist, []string{entryID}, detail)
	})
}

// Watchlist lists active watchlist entries.
func (n *Node) Watchlist(ctx context.Context, a Actor) ([]*store.WatchlistEntry, error) {
	if err := allow(a, "watchlist.read"); err != nil {
		return nil, err
	}
	w, err := n.st.Watchlist(ctx, false)
	if w == nil {
		w = []*store.WatchlistEntry{}
	}
	return w, err
}

// Alerts lists watchlist alerts, newest first.
func (n *Node) Alerts(ctx context.Context, a Actor) ([]*store.Alert, error) {
	if err := allow(a, "alert.read"); err != nil {
		return nil, err
	}
	al, err := n.st.Alerts(ctx)
	if al == nil {
		al = []*store.Alert{}
	}
	return al, err
}

// TaskView is an adjudication task with its candidate list and decision.
type TaskView struct {
	*store.Task
	Candidates []gallery.Candidate `json:"candidates"`
	Decision   *store.Decision     `json:"decision,omitempty"`
}

func (n *Node) taskView(ctx context.Context, k *store.Task) (*TaskView, error) {
	v := &TaskView{Task: k}
	if err := json.Unmarshal(k.Candidates, &v.Candidates); err != nil {
		return nil, fmt.Errorf("task %s candidates: %w", k.ID, err)
	}
	if k.State == store.TaskDecided {
		d, err := n.st.Decision(ctx, k.ID)
		if err != nil {
			return nil, err
		}
		v.Decision = d
	}
	return v, nil
}

// Tasks lists adjudication tasks in a state ("" for all).
func (n *Node) Tasks(ctx context.Context, a Actor, state string) ([]*TaskView, error) {
	if err := allow(a, "task.read"); err != nil {
		return nil, err
	}
	switch state {
	case "", store.TaskOpen, store.TaskClaimed, store.TaskDecided:
	default:
		return nil, invalid("task state %q is not open, claimed or decided", state)
	}
	ks, err := n.st.Tasks(ctx, state)
	if err != nil {
		return nil, err
	}
	out := []*TaskView{}
	for _, k := range ks {
		v, err := n.taskView(ctx, k)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Task returns one task.
func (n *Node) Task(ctx context.Context, a Actor, id string) (*TaskView, error) {
	if err := allow(a, "task.read"); err != nil {
		return nil, err
	}
	k, err := n.st.Task(ctx, id)
	if err != nil {
		return nil, err
	}
	return n.taskView(ctx, k)
}

// ClaimTask claims a task for the acting examiner.
func (n *Node) ClaimTask(ctx context.Context, a Actor, id string) (*TaskView, error) {
	if err := allow(a, audit.ActionAdjudicate); err != nil {
		return nil, err
	}
	err := n.st.Update(ctx, func(tx *store.Tx) error {
		if err := tx.ClaimTask(ctx, id, a.User); err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]any{"step": "claim"})
		return logEntry(ctx, tx, a, audit.ActionAdjudicate, []string{id}, detail)
	})
	if err != nil {
		return nil, err
	}
	return n.Task(ctx, Actor{User: a.User, Role: RoleExaminer}, id)
}

// Decision is an examiner's decision on a task.
type Decision struct {
	// Outcome is same, different or inconclusive.
	Outcome string `json:"outcome"`
	// Candidate is the identity judged the same (outcome same); it must be
	// on the task's candidate list.
	Candidate string `json:"candidate,omitempty"`
	// ReasonCode says why (for example "minutiae-agree", "pattern-differs").
	ReasonCode string `json:"reason_code"`
}

// DecideTask records an examiner's decision. Same links the encounter to
// the candidate identity (the provisional identity is merged into it);
// different makes the provisional identity an identity of its own;
// inconclusive keeps them apart too. A task claimed by another examiner
// cannot be decided.
func (n *Node) DecideTask(ctx context.Context, a Actor, id string, d Decision) (*TaskView, error) {
	if err := allow(a, audit.ActionAdjudicate); err != nil {
		return nil, err
	}
	if d.ReasonCode == "" || len(d.ReasonCode) > 100 {
		return nil, invalid("reason_code is required (at most 100 bytes)")
	}
	switch d.Outcome {
	case store.OutcomeSame:
		if d.Candidate == "" {
			return nil, invalid("outcome same needs the candidate judged the same")
		}
	case store.OutcomeDifferent, store.OutcomeInconclusive:
		if d.Candidate != "" {
			return nil, invalid("candidate is only given with outcome same")
		}
	default:
		return nil, invalid("outcome %q is not same, different or inconclusive", d.Outcome)
	}
	n.enrollMu.Lock()
	defer n.enrollMu.Unlock()
	var k *store.Task
	err := n.st.Update(ctx, func(tx *store.Tx) error {
		var err error
		if k, err = tx.Task(ctx, id); err != nil {
			return err
		}
		if k.State == store.TaskDecided {
			return fmt.Errorf("task %s is already decided: %w", id, ErrConflict)
		}
		if k.State == store.TaskClaimed && k.ClaimedBy != a.User {
			return fmt.Errorf("task %s is claimed by %q: %w", id, k.ClaimedBy, ErrConflict)
		}
		if d.Outcome == store.OutcomeSame {
			var cands []gallery.Candidate
			if err := json.Unmarshal(k.Candidates, &cands); err != nil {
				return err
			}
			found := false
			for _, c := range cands {
				found = found || c.PersonID == d.Candidate
			}
			if !found {
				return invalid("candidate %s is not on task %s's candidate list", d.Candidate, id)
			}
			target, err := tx.Person(ctx, d.Candidate)
			if err != nil {
				return err
			}
			if target.Status == store.PersonMerged {
				d.Candidate = target.MergedInto
			}
			if err := tx.MoveEncounter(ctx, k.EncounterID, d.Candidate, store.EncounterEnrolled); err != nil {
				return err
			}
			if err := tx.SetPersonStatus(ctx, k.PersonID, store.PersonMerged, d.Candidate); err != nil {
				return err
			}
		} else {
			if err := tx.MoveEncounter(ctx, k.EncounterID, k.PersonID, store.EncounterEnrolled); err != nil {
				return err
			}
			if err := tx.SetPersonStatus(ctx, k.PersonID, store.PersonActive, ""); err != nil {
				return err
			}
		}
		if err := tx.InsertDecision(ctx, &store.Decision{ID: uuid.NewString(), TaskID: id, Outcome: d.Outcome, Candidate: d.Candidate,
			ReasonCode: d.ReasonCode, Examiner: a.User, DecidedAt: time.Now().UTC()}); err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]any{"step": "decide", "outcome": d.Outcome, "reason_code": d.ReasonCode})
		objs := []string{id, k.PersonID}
		if d.Candidate != "" {
			objs = append(objs, d.Candidate)
		}
		return logEntry(ctx, tx, a, audit.ActionAdjudicate, objs, detail)
	})
	if err != nil {
		return nil, err
	}
	if d.Outcome == store.OutcomeSame {
		n.gal.Merge(k.PersonID, d.Candidate)
	}
	return n.Task(ctx, Actor{User: a.User, Role: RoleExaminer}, id)
}

package node

import (
	"context"
	"encoding/json"
	"errors"
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
// Under the second-examiner rule (ReviewsRequired 2) Reviews lists each
// examiner's decision; the effective one is Decision.
type TaskView struct {
	*store.Task
	Candidates []gallery.Candidate `json:"candidates"`
	Reviews    []*store.Review     `json:"reviews,omitempty"`
	Decision   *store.Decision     `json:"decision,omitempty"`
}

// Review reasons: why a task needs a second examiner.
const (
	ReviewMinor    = "minor"     // the person or a candidate is under minor_age at the encounter
	ReviewFaceOnly = "face_only" // a candidate reaches the threshold only with the face
)

// reviewRule is the second-examiner rule: a dedup task needs decisions by
// two different examiners when its person (born birthDate) or one of its
// candidates is younger than minor_age at the encounter time at, or when a
// candidate's match is face-only; otherwise one. It returns the number and
// the reasons.
func (n *Node) reviewRule(ctx context.Context, birthDate string, at time.Time, cands []gallery.Candidate) (int, []string, error) {
	var reasons []string
	minor := minorAt(birthDate, at, n.cfg.MinorAge)
	faceOnly := false
	for _, c := range cands {
		faceOnly = faceOnly || (c.Fusion != nil && c.Fusion.FaceOnly)
		if minor {
			continue
		}
		p, err := n.st.Person(ctx, c.PersonID)
		if errors.Is(err, store.ErrNotFound) {
			continue // erased since
		}
		if err != nil {
			return 0, nil, err
		}
		minor = minorAt(p.BirthDate, at, n.cfg.MinorAge)
	}
	if minor {
		reasons = append(reasons, ReviewMinor)
	}
	if faceOnly {
		reasons = append(reasons, ReviewFaceOnly)
	}
	if len(reasons) > 0 {
		return 2, reasons, nil
	}
	return 1, nil, nil
}

// minorAt reports whether someone born on birth (YYYY-MM-DD) is younger
// than age years at t; false when the birth date is unknown or malformed.
func minorAt(birth string, t time.Time, age int) bool {
	b, err := time.Parse("2006-01-02", birth)
	if err != nil {
		return false
	}
	return t.Before(b.AddDate(age, 0, 0))
}

// taskRule returns the reviews task k requires: what was recorded at its
// creation, raised by the rule applied now (tasks created before the rule
// existed, or configuration changes).
func (n *Node) taskRule(ctx context.Context, k *store.Task, cands []gallery.Candidate) (int, []string, error) {
	p, err := n.st.Person(ctx, k.PersonID)
	if err != nil {
		return 0, nil, err
	}
	at := p.CreatedAt
	if e, err := n.st.Encounter(ctx, k.EncounterID); err == nil {
		at = e.CapturedAt
	} else if !errors.Is(err, store.ErrNotFound) {
		return 0, nil, err
	}
	req, reasons, err := n.reviewRule(ctx, p.BirthDate, at, cands)
	if err != nil {
		return 0, nil, err
	}
	if k.ReviewsRequired > req {
		return k.ReviewsRequired, k.ReviewReasons, nil
	}
	if req == k.ReviewsRequired && len(k.ReviewReasons) > 0 {
		reasons = k.ReviewReasons
	}
	return max(req, 1), reasons, nil
}

func (n *Node) taskView(ctx context.Context, k *store.Task) (*TaskView, error) {
	v := &TaskView{Task: k}
	if err := json.Unmarshal(k.Candidates, &v.Candidates); err != nil {
		return nil, fmt.Errorf("task %s candidates: %w", k.ID, err)
	}
	if k.State != store.TaskDecided {
		req, reasons, err := n.taskRule(ctx, k, v.Candidates)
		if err != nil {
			return nil, err
		}
		k.ReviewsRequired, k.ReviewReasons = req, reasons
	}
	rs, err := n.st.Reviews(ctx, k.ID)
	if err != nil {
		return nil, err
	}
	v.Reviews = rs
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
	case "", store.TaskOpen, store.TaskClaimed, store.TaskReview, store.TaskDecided:
	default:
		return nil, invalid("task state %q is not open, claimed, review or decided", state)
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
		rs, err := tx.Reviews(ctx, id)
		if err != nil {
			return err
		}
		for _, r := range rs {
			if r.Examiner == a.User {
				return fmt.Errorf("task %s: %q has already decided it and cannot be its second examiner: %w", id, a.User, ErrConflict)
			}
		}
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
//
// Second-examiner rule: a task whose person or candidate is a minor, or
// whose match is face-only (see reviewRule), needs decisions by two
// different examiners. The first decision is recorded as a review and
// leaves the task in state review, with no effect; the same examiner cannot
// decide it again (ErrConflict). The second decision takes effect when both
// agree (same outcome, same candidate); when they disagree the identities
// are kept apart (outcome inconclusive, reason code examiners-disagree).
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
	k0, err := n.st.Task(ctx, id)
	if err != nil {
		return nil, err
	}
	var cands []gallery.Candidate
	if err := json.Unmarshal(k0.Candidates, &cands); err != nil {
		return nil, fmt.Errorf("task %s candidates: %w", id, err)
	}
	required, reasons, err := n.taskRule(ctx, k0, cands)
	if err != nil {
		return nil, err
	}
	var k *store.Task
	final := d
	pending := false
	err = n.st.Update(ctx, func(tx *store.Tx) error {
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
			found := false
			for _, c := range cands {
				found = found || c.PersonID == d.Candidate
			}
			if !found {
				return invalid("candidate %s is not on task %s's candidate list", d.Candidate, id)
			}
		}
		rs, err := tx.Reviews(ctx, id)
		if err != nil {
			return err
		}
		for _, r := range rs {
			if r.Examiner == a.User {
				return fmt.Errorf("task %s: %q has already decided it; a different examiner must: %w", id, a.User, ErrConflict)
			}
		}
		now := time.Now().UTC()
		if required > 1 {
			pending = len(rs)+1 < required
			if err := tx.InsertReview(ctx, &store.Review{ID: uuid.NewString(), TaskID: id, Outcome: d.Outcome, Candidate: d.Candidate,
				ReasonCode: d.ReasonCode, Examiner: a.User, DecidedAt: now}, pending); err != nil {
				return err
			}
			if pending {
				detail, _ := json.Marshal(map[string]any{"step": "review", "outcome": d.Outcome, "reason_code": d.ReasonCode,
					"reviews": len(rs) + 1, "reviews_required": required, "review_reasons": reasons})
				objs := []string{id, k.PersonID}
				if d.Candidate != "" {
					objs = append(objs, d.Candidate)
				}
				return logEntry(ctx, tx, a, audit.ActionAdjudicate, objs, detail)
			}
			for _, r := range rs {
				if r.Outcome != d.Outcome || r.Candidate != d.Candidate {
					final = Decision{Outcome: store.OutcomeInconclusive, ReasonCode: "examiners-disagree"}
				}
			}
		}
		if final.Outcome == store.OutcomeSame {
			target, err := tx.Person(ctx, final.Candidate)
			if err != nil {
				return err
			}
			if target.Status == store.PersonMerged {
				final.Candidate = target.MergedInto
			}
			if err := tx.MoveEncounter(ctx, k.EncounterID, final.Candidate, store.EncounterEnrolled); err != nil {
				return err
			}
			if err := tx.SetPersonStatus(ctx, k.PersonID, store.PersonMerged, final.Candidate); err != nil {
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
		if err := tx.InsertDecision(ctx, &store.Decision{ID: uuid.NewString(), TaskID: id, Outcome: final.Outcome, Candidate: final.Candidate,
			ReasonCode: final.ReasonCode, Examiner: a.User, DecidedAt: now}); err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]any{"step": "decide", "outcome": final.Outcome, "reason_code": final.ReasonCode, "reviews_required": required})
		objs := []string{id, k.PersonID}
		if final.Candidate != "" {
			objs = append(objs, final.Candidate)
		}
		return logEntry(ctx, tx, a, audit.ActionAdjudicate, objs, detail)
	})
	if err != nil {
		return nil, err
	}
	if !pending && final.Outcome == store.OutcomeSame {
		n.gal.Merge(k.PersonID, final.Candidate)
	}
	return n.Task(ctx, Actor{User: a.User, Role: RoleExaminer}, id)
}

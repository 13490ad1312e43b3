package accountability

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/bixproject/bix/internal/audit"
	"github.com/bixproject/bix/internal/exchange"
	"github.com/bixproject/bix/internal/node"
	"github.com/bixproject/bix/internal/store"
)

// Actions this package logs besides audit.ActionErasure.
const (
	ActionContest    = "person.contest"    // a record's accuracy or lawfulness is contested
	ActionReview     = "person.review"     // a supervisor reviewed a contested record
	ActionRectify    = "person.rectify"    // biographic fields corrected on a lawful request
	ActionProtection = "person.protection" // protection (asylum/refugee) granted
	ActionAccess     = "person.access"     // an access report was produced for the person
)

// Errors callers test with errors.Is.
var (
	// ErrForbidden: the actor's role may not do this.
	ErrForbidden = node.ErrForbidden
	// ErrInvalid: the request is malformed.
	ErrInvalid = node.ErrInvalid
)

// Rights performs the operations a person's rights call for on one node:
// contest and review, rectification, erasure, protection marking and access
// reports. Changes that partners must know about are notified to every
// partner that received the person's data, after the local change commits.
type Rights struct {
	Store    *store.Store
	Now      Clock
	Gallery  GalleryRemover // may be nil
	Notifier Notifier       // may be nil: no partners
	// AccessDelay withholds, in access reports, disclosures to partners
	// more recent than this, where the law allows a delay (for example
	// while an investigation is running). Zero shows everything.
	AccessDelay time.Duration
}

// Change is the result of an operation: the person after it and the
// partners' receipts for the notification it sent (if any).
type Change struct {
	Person      *store.Person       `json:"person,omitempty"`
	Receipts    []*exchange.Outcome `json:"receipts,omitempty"`
	NotifyError string              `json:"notify_error,omitempty"`
}

func role(a node.Actor, allowed ...node.Role) error {
	for _, r := range allowed {
		if a.Role == r {
			return nil
		}
	}
	return fmt.Errorf("%w: role %q may not do this", ErrForbidden, a.Role)
}

// update runs fn on person id in one transaction with an audit entry for
// action, and records the operation in accountability_reviews.
func (r *Rights) update(ctx context.Context, a node.Actor, id, action, kind, reason string, detail map[string]any, fn func(tx *store.Tx, p *store.Person) error) (*store.Person, error) {
	if err := initTables(ctx, r.Store.DB()); err != nil {
		return nil, err
	}
	now := r.Now().UTC()
	var out *store.Person
	err := r.Store.Update(ctx, func(tx *store.Tx) error {
		p, err := tx.Person(ctx, id)
		if err != nil {
			return fmt.Errorf("person %s: %w", id, err)
		}
		if p.Status == store.PersonMerged {
			return fmt.Errorf("person %s: %w: merged into %s; act on that record", id, store.ErrConflict, p.MergedInto)
		}
		if err := fn(tx, p); err != nil {
			return err
		}
		if _, err := tx.SQL().ExecContext(ctx, `UPDATE persons SET updated_at = ? WHERE id = ?`, now.Format(time.RFC3339Nano), id); err != nil {
			return err
		}
		if _, err := tx.SQL().ExecContext(ctx, `INSERT INTO accountability_reviews(person_id, kind, actor, reason, at) VALUES (?,?,?,?,?)`, id, kind, a.User, reason, now.Format(time.RFC3339Nano)); err != nil {
			return err
		}
		if detail == nil {
			detail = map[string]any{}
		}
		if reason != "" {
			detail["reason"] = reason
		}
		db, _ := json.Marshal(detail)
		if _, err := audit.Append(ctx, tx.SQL(), audit.Entry{Time: now, Actor: a.User, Role: string(a.Role), Action: action, Purpose: a.Purpose, Objects: []string{id}, Detail: db}); err != nil {
			return err
		}
		out, err = tx.Person(ctx, id)
		return err
	})
	return out, err
}

func (r *Rights) notify(ctx context.Context, a node.Actor, c *Change, id, kind string, fields map[string]string) {
	if r.Notifier == nil {
		return
	}
	out, err := r.Notifier.NotifyPartners(ctx, a, id, kind, fields)
	c.Receipts = out
	if err != nil {
		c.NotifyError = err.Error()
	}
}

// Contest marks person id's record contested (by the person, through an
// officer or supervisor who records the request). A contested record is not
// disclosed to partners (internal/exchange refuses with record_contested)
// until a supervisor reviews it with Review.
func (r *Rights) Contest(ctx context.Context, a node.Actor, id, reason string) (*Change, error) {
	if err := role(a, node.RoleOfficer, node.RoleSupervisor); err != nil {
		return nil, err
	}
	if reason == "" {
		return nil, fmt.Errorf("%w: a contest needs the person's grounds", ErrInvalid)
	}
	p, err := r.update(ctx, a, id, ActionContest, "contest", reason, nil, func(tx *store.Tx, p *store.Person) error {
		_, err := tx.SQL().ExecContext(ctx, `UPDATE persons SET contested = 1 WHERE id = ?`, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &Change{Person: p}, nil
}

// Review records a supervisor's review of a contested record: upheld
// clears the contested mark; otherwise the record stays contested (and
// usually a rectification or erasure follows).
func (r *Rights) Review(ctx context.Context, a node.Actor, id string, upheld bool, reason string) (*Change, error) {
	if err := role(a, node.RoleSupervisor); err != nil {
		return nil, err
	}
	if reason == "" {
		return nil, fmt.Errorf("%w: a review needs a recorded reason", ErrInvalid)
	}
	p, err := r.update(ctx, a, id, ActionReview, "review", reason, map[string]any{"upheld": upheld}, func(tx *store.Tx, p *store.Person) error {
		if !p.Contested {
			return fmt.Errorf("person %s: %w: not contested", id, store.ErrConflict)
		}
		if !upheld {
			return nil
		}
		_, err := tx.SQL().ExecContext(ctx, `UPDATE persons SET contested = 0 WHERE id = ?`, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &Change{Person: p}, nil
}

// Rectifiable lists the biographic fields Rectify may change.
var Rectifiable = []string{"given_name", "family_name", "sex", "birth_date", "nationality"}

// Rectify corrects biographic fields of person id on a lawful request and
// sends a correction notification with the new values to every partner
// that received the person's data.
func (r *Rights) Rectify(ctx context.Context, a node.Actor, id string, fields map[string]string, reason string) (*Change, error) {
	if err := role(a, node.RoleSupervisor); err != nil {
		return nil, err
	}
	if len(fields) == 0 || reason == "" {
		return nil, fmt.Errorf("%w: a rectification needs fields and a legal reason", ErrInvalid)
	}
	names := make([]string, 0, len(fields))
	for f, v := range fields {
		ok := false
		for _, g := range Rectifiable {
			ok = ok || f == g
		}
		if !ok {
			return nil, fmt.Errorf("%w: field %q cannot be rectified (allowed: %v)", ErrInvalid, f, Rectifiable)
		}
		if f == "birth_date" && v != "" {
			if _, err := time.Parse("2006-01-02", v); err != nil {
				return nil, fmt.Errorf("%w: birth_date %q is not YYYY-MM-DD", ErrInvalid, v)
			}
		}
		if len(v) > 200 {
			return nil, fmt.Errorf("%w: field %q longer than 200 bytes", ErrInvalid, f)
		}
		names = append(names, f)
	}
	sort.Strings(names)
	// The log names the fields changed, never their values.
	p, err := r.update(ctx, a, id, ActionRectify, "rectify", reason, map[string]any{"fields": names}, func(tx *store.Tx, p *store.Person) error {
		for _, f := range names {
			// f is one of Rectifiable's constant column names.
			if _, err := tx.SQL().ExecContext(ctx, `UPDATE persons SET `+f+` = ? WHERE id = ?`, fields[f], id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	c := &Change{Person: p}
	r.notify(ctx, a, c, id, exchange.NotifyCorrection, fields)
	return c, nil
}

// MarkProtected records that protection (asylum or refugee status) was
// granted to person id: the store's ProtectionStatus is set, the marking is
// logged and a marking notification goes to every partner that received
// the person's data. From then on the exchange's protection-status guard
// answers partners' searches for the person as unknown.
func (r *Rights) MarkProtected(ctx context.Context, a node.Actor, id, reason string) (*Change, error) {
	if err := role(a, node.RoleSupervisor); err != nil {
		return nil, err
	}
	if reason == "" {
		return nil, fmt.Errorf("%w: a marking needs the decision's reference", ErrInvalid)
	}
	p, err := r.update(ctx, a, id, ActionProtection, "protection", reason, map[string]any{"protection_status": "granted"}, func(tx *store.Tx, p *store.Person) error {
		if p.ProtectionStatus {
			return fmt.Errorf("person %s: %w: protection already marked", id, store.ErrConflict)
		}
		_, err := tx.SQL().ExecContext(ctx, `UPDATE persons SET protection_status = 1 WHERE id = ?`, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	c := &Change{Person: p}
	r.notify(ctx, a, c, id, exchange.NotifyMarking, map[string]string{"protection_status": "granted"})
	return c, nil
}

// Erase erases person id on a lawful request (not retention): data keys
// destroyed, rows deleted, the erasure logged and notified to partners.
// The person's log entries are redacted a year later by the retention
// scheduler.
func (r *Rights) Erase(ctx context.Context, a node.Actor, id, reason string) (*Erased, error) {
	if err := role(a, node.RoleSupervisor); err != nil {
		return nil, err
	}
	if reason == "" {
		return nil, fmt.Errorf("%w: an erasure needs a legal reason", ErrInvalid)
	}
	p, err := r.Store.Person(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("person %s: %w", id, err)
	}
	if p.Status == store.PersonMerged {
		return nil, fmt.Errorf("person %s: %w: merged into %s; erase that record", id, store.ErrConflict, p.MergedInto)
	}
	return erasePerson(ctx, r.Store, r.Gallery, r.Notifier, a, id, "request: "+reason, time.Time{}, r.Now().UTC())
}

package exchange

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/bixproject/bix/internal/audit"

	"github.com/bixproject/bix/internal/node"
)

// PartnerRef is a pseudonymous reference given to a partner for a local
// person.
type PartnerRef struct {
	Partner   string `json:"partner"`
	Reference string `json:"reference"`
}

// ErasePerson removes, inside the caller's transaction tx, what the
// exchange tables hold that names local person personID, whose record is
// being erased. The references given to partners (exchange_refs) are
// deleted, so that a later disclosure request for one is answered as for an
// unknown reference; in the register of disclosures (exchange_disclosed)
// the person id is replaced by replacement (a pseudonym the caller keeps in
// its own erasure register), so that what was disclosed to whom, and when,
// stays countable without naming the person.
//
// For each deleted reference an erasure notification to its partner is
// queued in the outbox in tx, with its audit entry, so that it commits or
// rolls back with the erasure: a crash after the commit loses no
// notification, the outbox (Run) delivers it after a restart, and the
// partner applies it once however often it is retried. It returns the
// deleted references; [Exchange.NotifyReferences] delivers their queued
// notifications at once. A node that never exchanged has no such tables and
// nothing to erase.
func ErasePerson(ctx context.Context, tx *sql.Tx, personID, replacement string) ([]PartnerRef, error) {
	if personID == "" || replacement == "" || replacement == personID {
		return nil, fmt.Errorf("exchange: erase person %q: %w: the replacement must be a different, non-empty pseudonym", personID, node.ErrInvalid)
	}
	var refs []PartnerRef
	has := func(table string) (bool, error) {
		var n int
		err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, table).Scan(&n)
		return n > 0, err
	}
	ok, err := has("exchange_refs")
	if err != nil {
		return nil, fmt.Errorf("exchange: erase person %s: %w", personID, err)
	}
	if ok {
		rows, err := tx.QueryContext(ctx, `SELECT partner, reference FROM exchange_refs WHERE person_id = ? ORDER BY partner, reference`, personID)
		if err != nil {
			return nil, fmt.Errorf("exchange: erase person %s: %w", personID, err)
		}
		for rows.Next() {
			var r PartnerRef
			if err := rows.Scan(&r.Partner, &r.Reference); err != nil {
				rows.Close()
				return nil, fmt.Errorf("exchange: erase person %s: %w", personID, err)
			}
			refs = append(refs, r)
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("exchange: erase person %s: %w", personID, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM exchange_refs WHERE person_id = ?`, personID); err != nil {
			return nil, fmt.Errorf("exchange: erase person %s: references: %w", personID, err)
		}
		for _, r := range refs {
			if err := queueErasureNotice(ctx, tx, r); err != nil {
				return nil, fmt.Errorf("exchange: erase person %s: notifying %s: %w", personID, r.Partner, err)
			}
		}
	}
	if ok, err = has("exchange_disclosed"); err != nil {
		return nil, fmt.Errorf("exchange: erase person %s: %w", personID, err)
	}
	if ok {
		if _, err := tx.ExecContext(ctx, `UPDATE exchange_disclosed SET person_id = ? WHERE person_id = ?`, replacement, personID); err != nil {
			return nil, fmt.Errorf("exchange: erase person %s: disclosures: %w", personID, err)
		}
	}
	return refs, nil
}

// erasureOfficer is the local user an erasure notification queued by
// ErasePerson is sent for: the node's erasure itself, named to the partner
// by its pseudonymous officer id like any user.
const erasureOfficer = "system:erasure"

// noticeRequestID is the request id of the kind notification of reference
// to partner that ErasePerson queues. It is derived from the three so that
// NotifyReferences finds the queued row instead of queueing a second one;
// references are unique, so no two notifications share it.
func noticeRequestID(partner, reference, kind string) string {
	h := sha256.Sum256([]byte("bix-notify\x00" + kind + "\x00" + partner + "\x00" + reference))
	h[6] = h[6]&0x0f | 0x80 // UUID version 8 (custom)
	h[8] = h[8]&0x3f | 0x80
	x := hex.EncodeToString(h[:16])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}

// queueErasureNotice writes, in tx, the outbox row of an erasure
// notification of r and its audit entry. The message lacks what only the
// Exchange knows (this node's party id and the officer's pseudonym); the
// delivery fills them in, identically at every attempt.
func queueErasureNotice(ctx context.Context, tx *sql.Tx, r PartnerRef) error {
	now := time.Now().UTC()
	body, err := json.Marshal(NotifyBody{Kind: NotifyErasure, Reference: r.Reference})
	if err != nil {
		return err
	}
	m := &Message{Header: Header{RequestID: noticeRequestID(r.Partner, r.Reference, NotifyErasure), Type: TypeNotify, To: r.Partner, Time: now}, Body: body}
	mb, err := json.Marshal(m)
	if err != nil {
		return err
	}
	rh := requestHash(m)
	res, err := tx.ExecContext(ctx, `INSERT INTO exchange_messages(direction, partner, request_id, type, officer, status, message, request_hash, day, created_at, updated_at, next_attempt)
		VALUES ('out',?,?,?,?,?,?,?,?,?,?,'') ON CONFLICT DO NOTHING`, r.Partner, m.RequestID, TypeNotify, erasureOfficer, StatusQueued, mb, rh, day(now), ts(now), ts(now))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil // already queued
	}
	detail, _ := json.Marshal(map[string]any{"request_id": m.RequestID, "partner": r.Partner, "type": TypeNotify, "kind": NotifyErasure, "phase": "queued"})
	_, err = audit.Append(ctx, tx, audit.Entry{Time: now, Actor: erasureOfficer, Role: string(node.RoleSystem), Action: audit.ActionNotification,
		Objects: []string{m.RequestID, r.Reference}, Detail: detail})
	return err
}

// NotifyReferences sends a notification (erasure, correction or marking)
// for each of refs to its partner and returns the outcomes (receipts when
// answered). It is [Exchange.NotifyPartners] for a person whose references
// were already removed by [ErasePerson]: an erasure notification that
// ErasePerson queued is delivered now (or its outcome returned, if the
// outbox already delivered it), not sent a second time. Only a supervisor
// or the system may notify.
func (x *Exchange) NotifyReferences(ctx context.Context, a node.Actor, refs []PartnerRef, kind string, fields map[string]string) ([]*Outcome, error) {
	if err := allowRole(a, node.RoleSupervisor, node.RoleSystem); err != nil {
		return nil, err
	}
	var out []*Outcome
	for _, r := range refs {
		var o *Outcome
		var err error
		if id := noticeRequestID(r.Partner, r.Reference, kind); kind == NotifyErasure && x.queued(ctx, r.Partner, id) {
			x.deliver(ctx, id, r.Partner, true)
			o, err = x.Outcome(ctx, id)
		} else {
			o, err = x.send(ctx, a, r.Partner, TypeNotify, "", "", NotifyBody{Kind: kind, Reference: r.Reference, Fields: fields})
		}
		if err != nil {
			return out, fmt.Errorf("exchange: notifying %s of %s: %w", r.Partner, kind, err)
		}
		out = append(out, o)
	}
	return out, nil
}

// queued reports whether the outbox holds request id for partner, in any
// state.
func (x *Exchange) queued(ctx context.Context, partner, id string) bool {
	var n int
	err := x.db.QueryRowContext(ctx, `SELECT count(*) FROM exchange_messages WHERE direction = 'out' AND partner = ? AND request_id = ?`, partner, id).Scan(&n)
	return err == nil && n > 0
}

package exchange

import (
	"context"
	"database/sql"
	"fmt"

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
// stays countable without naming the person. It returns the deleted
// references, for the caller to notify those partners of the erasure once
// tx commits (see [Exchange.NotifyReferences]). A node that never
// exchanged has no such tables and nothing to erase.
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

// NotifyReferences sends a notification (erasure, correction or marking)
// for each of refs to its partner and returns the outcomes (receipts when
// answered). It is [Exchange.NotifyPartners] for a person whose references
// were already removed by [ErasePerson]. Only a supervisor or the system
// may notify.
func (x *Exchange) NotifyReferences(ctx context.Context, a node.Actor, refs []PartnerRef, kind string, fields map[string]string) ([]*Outcome, error) {
	if err := allowRole(a, node.RoleSupervisor, node.RoleSystem); err != nil {
		return nil, err
	}
	var out []*Outcome
	for _, r := range refs {
		o, err := x.send(ctx, a, r.Partner, TypeNotify, "", "", NotifyBody{Kind: kind, Reference: r.Reference, Fields: fields})
		if err != nil {
			return out, fmt.Errorf("exchange: notifying %s of %s: %w", r.Partner, kind, err)
		}
		out = append(out, o)
	}
	return out, nil
}

package exchange

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/bixproject/bix/internal/audit"
	"github.com/bixproject/bix/internal/node"
	"github.com/bixproject/bix/internal/store"
)

// ActionDisclosedRead is the audit action of a user reading disclosed
// person data held in the exchange's records: the fields a partner
// disclosed to this node, or a disclosure message (either direction) with
// its fields.
const ActionDisclosedRead = "disclosure.read"

// querier is what reads need: a *sql.DB or *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ReadReceived returns to user a the fields received from partner under
// reference that are still held (not erased and not past their retention
// date), like [Exchange.Received], and logs the read: who (a's user and
// role), which partner and reference, a's purpose and the field names
// (never their values), in one store transaction with the read, so that no
// one sees received data without an entry. Nothing held: (nil, false, nil)
// and no entry.
func (x *Exchange) ReadReceived(ctx context.Context, a node.Actor, partner, reference string) (map[string]string, bool, error) {
	var out map[string]string
	var held bool
	err := x.cfg.Node.Store().Update(ctx, func(tx *store.Tx) error {
		var err error
		var requestID string
		if out, requestID, held, err = x.received(ctx, tx.SQL(), partner, reference); err != nil || !held {
			return err
		}
		return x.logRead(ctx, tx, a, partner, reference, requestID, "received", out)
	})
	if err != nil {
		return nil, false, fmt.Errorf("exchange: reading what %s disclosed under %s: %w", partner, reference, err)
	}
	return out, held, nil
}

// received is Received on q, also returning the disclosure's request id.
func (x *Exchange) received(ctx context.Context, q querier, partner, reference string) (map[string]string, string, bool, error) {
	var fields, until, requestID string
	var erased bool
	err := q.QueryRowContext(ctx, `SELECT fields, retain_until, erased, request_id FROM exchange_received WHERE partner = ? AND reference = ? ORDER BY id DESC LIMIT 1`, partner, reference).Scan(&fields, &until, &erased, &requestID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", false, nil
	}
	if err != nil {
		return nil, "", false, err
	}
	if erased || until < day(x.cfg.Now()) {
		return nil, "", false, nil
	}
	var out map[string]string
	if err := json.Unmarshal([]byte(fields), &out); err != nil {
		return nil, "", false, fmt.Errorf("stored fields: %w", err)
	}
	return out, requestID, true, nil
}

// logRead appends the ActionDisclosedRead entry of a reading fields
// disclosed under reference (by or to partner) in request requestID.
func (x *Exchange) logRead(ctx context.Context, tx *store.Tx, a node.Actor, partner, reference, requestID, what string, fields map[string]string) error {
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	slices.Sort(names)
	detail, err := json.Marshal(map[string]any{"partner": partner, "reference": reference, "request_id": requestID, "read": what, "fields": names})
	if err != nil {
		return err
	}
	_, err = audit.Append(ctx, tx.SQL(), audit.Entry{Time: x.cfg.Now().UTC(), Actor: a.User, Role: string(a.Role), Action: ActionDisclosedRead,
		Purpose: a.Purpose, Objects: []string{reference, requestID}, Detail: detail})
	return err
}

// ShowAs returns to user a the messages with request id (one per direction
// at most) and, for a request this node sent, its outcome, like
// [Exchange.Show] and [Exchange.Outcome]. When they carry disclosed fields
// (a disclosure answered with data, sent or received), the read is logged
// as by ReadReceived, one entry per message with fields, in the
// transaction of the read.
func (x *Exchange) ShowAs(ctx context.Context, a node.Actor, requestID string) ([]*MessageRecord, *Outcome, error) {
	var ms []*MessageRecord
	var out *Outcome
	err := x.cfg.Node.Store().Update(ctx, func(tx *store.Tx) error {
		var err error
		if ms, err = x.show(ctx, tx.SQL(), requestID); err != nil {
			return err
		}
		out = nil
		for _, m := range ms {
			if m.Direction == "out" {
				if out, err = x.outcome(ctx, tx.SQL(), requestID); err != nil {
					return err
				}
			}
			if fields, ok := disclosedIn(m); ok {
				ref, err := discloseReference(ctx, tx.SQL(), m)
				if err != nil {
					return err
				}
				if err := x.logRead(ctx, tx, a, m.Partner, ref, requestID, "message "+m.Direction, fields); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return ms, out, nil
}

// disclosedIn returns the fields of a disclosure message answered with
// data.
func disclosedIn(m *MessageRecord) (map[string]string, bool) {
	if m.Type != TypeDisclose || m.Result != ResultDisclosed || len(m.Response) == 0 {
		return nil, false
	}
	var db DisclosureBody
	if json.Unmarshal(m.Response, &db) != nil || len(db.Fields) == 0 {
		return nil, false
	}
	return db.Fields, true
}

// discloseReference returns the reference a stored disclosure request
// asked for: the message is the unsigned JSON of a request this node sent,
// the signed bytes of one it received.
func discloseReference(ctx context.Context, q querier, m *MessageRecord) (string, error) {
	var raw []byte
	if err := q.QueryRowContext(ctx, `SELECT message FROM exchange_messages WHERE direction = ? AND partner = ? AND request_id = ?`, m.Direction, m.Partner, m.RequestID).Scan(&raw); err != nil {
		return "", err
	}
	body, ok := responseBody(raw)
	if !ok {
		var msg Message
		if err := json.Unmarshal(raw, &msg); err != nil {
			return "", fmt.Errorf("stored request %s: %w", m.RequestID, err)
		}
		body = msg.Body
	}
	var d DiscloseBody
	if err := json.Unmarshal(body, &d); err != nil {
		return "", fmt.Errorf("stored request %s: %w", m.RequestID, err)
	}
	return d.Reference, nil
}

// withoutDisclosedFields drops the response body of disclosure messages
// from a listing: their fields are read with ShowAs or ReadReceived, which
// log the read.
func withoutDisclosedFields(ms []*MessageRecord) {
	for _, m := range ms {
		if m.Type == TypeDisclose && m.Result == ResultDisclosed {
			m.Response = nil
		}
	}
}

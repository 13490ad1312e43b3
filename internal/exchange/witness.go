package exchange

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/bixproject/bix/internal/audit"
	"github.com/bixproject/bix/internal/node"
)

// Witnessing: partners keep each other's audit logs honest. A node asks a
// partner for its latest signed checkpoint with a consistency proof from the
// last checkpoint it witnessed (TypeCheckpoint), checks the proof and
// cosigns (audit.Log.Witness), and sends the cosigned checkpoint back
// (TypeCosignature), which the partner stores with its checkpoint. A
// partner whose log is not an extension of what was witnessed before raises
// an alert (audit.ErrInconsistent) on the witnessing side.
//
// The log keys themselves travel in these messages, which are signed with the
// agreement's keys; each side pins a partner's log key on first use and
// refuses a different one afterwards.

// Witnessing message types.
const (
	TypeCosignature = "cosignature"
	// ActionWitness is the audit action of witnessing exchanges.
	ActionWitness = "witness"
)

// CheckpointBody asks for the partner's latest checkpoint with a
// consistency proof from FromSize.
type CheckpointBody struct {
	FromSize int64 `json:"from_size"`
}

// CheckpointResultBody answers a CheckpointBody.
type CheckpointResultBody struct {
	Origin     string   `json:"origin"`
	LogKey     string   `json:"log_vkey"` // the log's note verifier key
	Checkpoint []byte   `json:"checkpoint"`
	Proof      [][]byte `json:"proof,omitempty"` // tlog consistency proof hashes
}

// CosignatureBody carries a checkpoint cosigned by the sender.
type CosignatureBody struct {
	WitnessKey string `json:"witness_vkey"` // the sender's log key, whose cosignatures these are
	Cosigned   []byte `json:"cosigned"`
}

// ErrLogKeyChanged reports a partner whose audit log key differs from the
// one pinned when it was first seen.
var ErrLogKeyChanged = errors.New("partner audit log key changed")

const witnessSchema = `
CREATE TABLE IF NOT EXISTS exchange_log_keys (
	partner TEXT PRIMARY KEY,
	vkey TEXT NOT NULL,
	pinned_at TEXT NOT NULL
);`

// logSigner reads this node's audit log key (data_dir/audit.key).
func (x *Exchange) logSigner() (*audit.Signer, error) {
	b, err := os.ReadFile(filepath.Join(x.cfg.Node.Config().DataDir, "audit.key"))
	if err != nil {
		return nil, fmt.Errorf("exchange: audit key: %w", err)
	}
	return audit.NewSigner(string(b))
}

// pinLogKey pins partner's log key on first use and checks it afterwards.
func (x *Exchange) pinLogKey(ctx context.Context, partner, vkey string) error {
	if _, err := x.db.ExecContext(ctx, witnessSchema); err != nil {
		return err
	}
	var pinned string
	err := x.db.QueryRowContext(ctx, `SELECT vkey FROM exchange_log_keys WHERE partner = ?`, partner).Scan(&pinned)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = x.db.ExecContext(ctx, `INSERT INTO exchange_log_keys(partner, vkey, pinned_at) VALUES (?,?,?)`, partner, vkey, ts(x.cfg.Now()))
		return err
	case err != nil:
		return err
	case pinned != vkey:
		return fmt.Errorf("%w: %s now presents %q, pinned %q", ErrLogKeyChanged, partner, vkey, pinned)
	}
	return nil
}

// answerCheckpoint prepares the answer to a checkpoint request (outside
// the request's transaction: it signs a new checkpoint).
func (x *Exchange) answerCheckpoint(ctx context.Context, m *Message) (any, json.RawMessage, error) {
	var cb CheckpointBody
	if err := json.Unmarshal(m.Body, &cb); err != nil {
		return nil, nil, refuse(400, CodeMalformed, "checkpoint body: %v", err)
	}
	signer, err := x.logSigner()
	if err != nil {
		return nil, nil, err
	}
	log := x.cfg.Node.AuditLog()
	cp, err := log.Checkpoint(ctx)
	if err != nil {
		return nil, nil, err
	}
	size, err := checkpointSize(cp, log.Origin(), signer.Verifier())
	if err != nil {
		return nil, nil, err
	}
	res := &CheckpointResultBody{Origin: log.Origin(), LogKey: signer.VerifierKey(), Checkpoint: cp}
	if cb.FromSize > 0 && cb.FromSize <= size {
		proof, err := log.ProveConsistency(ctx, cb.FromSize, size)
		if err != nil {
			return nil, nil, refuse(400, CodeMalformed, "consistency proof from %d to %d: %v", cb.FromSize, size, err)
		}
		for _, h := range proof {
			res.Proof = append(res.Proof, append([]byte(nil), h[:]...))
		}
	}
	detail, _ := json.Marshal(map[string]any{"request_id": m.RequestID, "direction": "received", "kind": "checkpoint", "size": size, "from_size": cb.FromSize})
	return res, detail, nil
}

// answerCosignature stores a partner's cosignature of this node's
// checkpoint.
func (x *Exchange) answerCosignature(ctx context.Context, m *Message) (any, json.RawMessage, error) {
	var cb CosignatureBody
	if err := json.Unmarshal(m.Body, &cb); err != nil {
		return nil, nil, refuse(400, CodeMalformed, "cosignature body: %v", err)
	}
	if err := x.pinLogKey(ctx, m.From, cb.WitnessKey); err != nil {
		return nil, nil, refuse(409, CodeWrongAgreement, "%v", err)
	}
	v, err := audit.NewCosignatureVerifier(cb.WitnessKey)
	if err != nil {
		return nil, nil, refuse(400, CodeMalformed, "witness key: %v", err)
	}
	if err := x.cfg.Node.AuditLog().AddCosignature(ctx, cb.Cosigned, v); err != nil {
		return nil, nil, refuse(400, CodeMalformed, "%v", err)
	}
	detail, _ := json.Marshal(map[string]any{"request_id": m.RequestID, "direction": "received", "kind": "cosignature", "witness": m.From})
	return &ReceiptBody{Kind: TypeCosignature, Applied: true}, detail, nil
}

func checkpointSize(cp []byte, origin string, v note.Verifier) (int64, error) {
	n, err := note.Open(cp, note.VerifierList(v))
	if err != nil {
		return 0, fmt.Errorf("exchange: own checkpoint: %w", err)
	}
	var size int64
	var originLine string
	if _, err := fmt.Sscanf(n.Text, "%s\n%d\n", &originLine, &size); err != nil || originLine != origin {
		return 0, fmt.Errorf("exchange: own checkpoint: unexpected text %q", n.Text)
	}
	return size, nil
}

// WitnessPartner witnesses partner's audit log once: it fetches the
// partner's latest checkpoint with a consistency proof from the last one
// this node witnessed, verifies and cosigns it, and returns the cosignature
// to the partner. An inconsistent checkpoint is an error wrapping
// audit.ErrInconsistent (and an alert in this node's log).
func (x *Exchange) WitnessPartner(ctx context.Context, partner string) (size int64, err error) {
	sys := node.Actor{User: "node:" + x.self, Role: node.RoleSystem}
	log := x.cfg.Node.AuditLog()
	_, from, err := log.LastWitnessed(ctx, partner)
	if err != nil {
		return 0, err
	}
	o, err := x.send(ctx, sys, partner, TypeCheckpoint, "", "", CheckpointBody{FromSize: from})
	if err != nil {
		return 0, err
	}
	if o.Checkpoint == nil {
		return 0, fmt.Errorf("exchange: witness %s: no checkpoint (%s %s)", partner, o.Status, code(o))
	}
	cr := o.Checkpoint
	if err := x.pinLogKey(ctx, partner, cr.LogKey); err != nil {
		return 0, err
	}
	v, err := note.NewVerifier(cr.LogKey)
	if err != nil {
		return 0, fmt.Errorf("exchange: witness %s: log key: %w", partner, err)
	}
	var proof tlog.TreeProof
	for _, h := range cr.Proof {
		if len(h) != tlog.HashSize {
			return 0, fmt.Errorf("exchange: witness %s: proof hash of %d bytes", partner, len(h))
		}
		var th tlog.Hash
		copy(th[:], h)
		proof = append(proof, th)
	}
	cosigned, err := log.Witness(ctx, v, cr.Origin, cr.Checkpoint, proof)
	if err != nil {
		return 0, err
	}
	size, err = checkpointSize(cr.Checkpoint, cr.Origin, v)
	if err != nil {
		return 0, err
	}
	signer, err := x.logSigner()
	if err != nil {
		return 0, err
	}
	o, err = x.send(ctx, sys, partner, TypeCosignature, "", "", CosignatureBody{WitnessKey: signer.VerifierKey(), Cosigned: cosigned})
	if err != nil {
		return 0, err
	}
	if o.Receipt == nil || !o.Receipt.Applied {
		return size, fmt.Errorf("exchange: witness %s: cosignature not accepted (%s %s)", partner, o.Status, code(o))
	}
	return size, nil
}

// RunWitness witnesses every partner's log every interval until ctx ends,
// reporting errors (an inconsistent partner log above all) to onErr.
func (x *Exchange) RunWitness(ctx context.Context, interval time.Duration, onErr func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for _, a := range x.cfg.Agreements {
			for _, p := range a.Parties {
				if p.ID == x.self {
					continue
				}
				if _, err := x.WitnessPartner(ctx, p.ID); err != nil && ctx.Err() == nil && onErr != nil {
					onErr(fmt.Errorf("witnessing %s: %w", p.ID, err))
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// code returns the refusal code of an outcome, if any.
func code(o *Outcome) string {
	if o.Refusal != nil {
		return o.Refusal.Code
	}
	return o.LastError
}

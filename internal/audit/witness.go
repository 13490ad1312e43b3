package audit

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	tlogfmt "github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

var (
	// ErrInconsistent means a partner's signed checkpoint contradicts one
	// this node saw before (a fork, or a failed consistency proof): the
	// partner's log was rewritten. An alert row is stored with the evidence.
	ErrInconsistent = errors.New("partner checkpoint inconsistent with the last one seen")
	// ErrStale means a partner presented a checkpoint older than the
	// latest one this node has already witnessed.
	ErrStale = errors.New("partner checkpoint older than the latest witnessed")
	// ErrBadCheckpoint means a checkpoint is malformed, for another origin,
	// or not validly signed by the expected key.
	ErrBadCheckpoint = errors.New("bad checkpoint")
)

// Witness checks a partner log's signed checkpoint and cosigns it. partner
// verifies the partner's log key and origin is the partner log's origin.
// proof is the consistency proof (from the partner's ProveConsistency) from
// the latest checkpoint of that origin this node witnessed to the new one;
// for the first checkpoint of an origin it is ignored (trust on first use).
//
// On success Witness stores the checkpoint with this node's cosignature
// (C2SP cosignature/v1, see [Cosigner]) added to the note and returns it; the
// partner may add it to its own copy with [Log.AddCosignature]. If the
// checkpoint contradicts the one seen before, Witness stores an alert (see
// [Log.Alerts]) and returns an error wrapping [ErrInconsistent].
func (l *Log) Witness(ctx context.Context, partner note.Verifier, origin string, checkpoint []byte, proof tlog.TreeProof) (cosigned []byte, err error) {
	if l.signer == nil {
		return nil, errNoSigner
	}
	cp, _, n, err := tlogfmt.ParseCheckpoint(checkpoint, origin, partner)
	if err != nil {
		return nil, fmt.Errorf("audit: witness %s: %w: %v", origin, ErrBadCheckpoint, err)
	}
	if len(cp.Hash) != tlog.HashSize {
		return nil, fmt.Errorf("audit: witness %s: %w: root hash has %d bytes", origin, ErrBadCheckpoint, len(cp.Hash))
	}
	if cp.Size > 1<<62 {
		return nil, fmt.Errorf("audit: witness %s: %w: size %d out of range", origin, ErrBadCheckpoint, cp.Size)
	}
	var newHash tlog.Hash
	copy(newHash[:], cp.Hash)
	newSize := int64(cp.Size)

	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("audit: witness %s: %w", origin, err)
	}
	defer tx.Rollback()

	// A checkpoint of the same size seen before must be identical.
	var sameHash, sameSigned []byte
	err = tx.QueryRowContext(ctx, `SELECT hash, signed FROM audit_witness WHERE origin = ? AND size = ?`, origin, newSize).Scan(&sameHash, &sameSigned)
	switch {
	case err == nil:
		if !bytes.Equal(sameHash, newHash[:]) {
			tx.Rollback()
			return nil, l.alert(ctx, origin, "fork", fmt.Sprintf("two signed checkpoints of size %d with different roots", newSize), checkpoint, sameSigned)
		}
		return sameSigned, nil
	case !errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("audit: witness %s: %w", origin, err)
	}

	var lastSize int64
	var lastHash, lastSigned []byte
	err = tx.QueryRowContext(ctx, `SELECT size, hash, signed FROM audit_witness WHERE origin = ? ORDER BY size DESC LIMIT 1`, origin).Scan(&lastSize, &lastHash, &lastSigned)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		// First checkpoint seen from this origin.
	case err != nil:
		return nil, fmt.Errorf("audit: witness %s: %w", origin, err)
	case newSize < lastSize:
		return nil, fmt.Errorf("audit: witness %s: %w (size %d, latest witnessed %d)", origin, ErrStale, newSize, lastSize)
	default:
		var old tlog.Hash
		copy(old[:], lastHash)
		if lastSize > 0 {
			if err := tlog.CheckTree(proof, newSize, newHash, lastSize, old); err != nil {
				tx.Rollback()
				return nil, l.alert(ctx, origin, "inconsistent",
					fmt.Sprintf("checkpoint of size %d is not an extension of the witnessed size %d: %v", newSize, lastSize, err),
					checkpoint, lastSigned, proofEvidence(proof))
			}
		}
	}

	cosigned, err = note.Sign(n, l.cosigner)
	if err != nil {
		return nil, fmt.Errorf("audit: witness %s: cosigning: %w", origin, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_witness(origin, size, hash, seen, signed) VALUES (?, ?, ?, ?, ?)`,
		origin, newSize, newHash[:], time.Now().Unix(), cosigned); err != nil {
		return nil, fmt.Errorf("audit: witness %s: %w", origin, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("audit: witness %s: %w", origin, err)
	}
	return cosigned, nil
}

// LastWitnessed returns the latest checkpoint (with this node's
// cosignature) witnessed for origin and its size, or nil and 0 if none: the
// size a partner's consistency proof must start from.
func (l *Log) LastWitnessed(ctx context.Context, origin string) (signed []byte, size int64, err error) {
	err = l.db.QueryRowContext(ctx, `SELECT signed, size FROM audit_witness WHERE origin = ? ORDER BY size DESC LIMIT 1`, origin).Scan(&signed, &size)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("audit: last witnessed %s: %w", origin, err)
	}
	return signed, size, nil
}

func proofEvidence(p tlog.TreeProof) []byte {
	var b bytes.Buffer
	for _, h := range p {
		b.WriteString(h.String())
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// alert stores an alert with the evidence (the parts joined by a line
// "--") and returns the error to give the caller.
func (l *Log) alert(ctx context.Context, origin, kind, detail string, evidence ...[]byte) error {
	ev := bytes.Join(evidence, []byte("\n--\n"))
	e := fmt.Errorf("audit: witness %s: %w: %s", origin, ErrInconsistent, detail)
	if _, err := l.db.ExecContext(ctx, `INSERT INTO audit_alerts(time, origin, kind, detail, evidence) VALUES (?, ?, ?, ?, ?)`,
		time.Now().Unix(), origin, kind, detail, ev); err != nil {
		return fmt.Errorf("%w (and storing the alert failed: %v)", e, err)
	}
	return e
}

// Alert is a stored finding about a partner log.
type Alert struct {
	ID       int64
	Time     time.Time
	Origin   string
	Kind     string // "fork" or "inconsistent"
	Detail   string
	Evidence []byte // the signed checkpoints (and proof) that contradict each other
}

// Alerts returns the stored alerts, oldest first.
func (l *Log) Alerts(ctx context.Context) ([]Alert, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT id, time, origin, kind, detail, evidence FROM audit_alerts ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("audit: alerts: %w", err)
	}
	defer rows.Close()
	var out []Alert
	for rows.Next() {
		var a Alert
		var t int64
		if err := rows.Scan(&a.ID, &t, &a.Origin, &a.Kind, &a.Detail, &a.Evidence); err != nil {
			return nil, fmt.Errorf("audit: alerts: %w", err)
		}
		a.Time = time.Unix(t, 0).UTC()
		out = append(out, a)
	}
	return out, rows.Err()
}

// AddCosignature adds a witness's cosignature from cosigned (a copy of one
// of this log's checkpoints returned by a partner's Witness) to the stored
// checkpoint, after verifying it with witness (for a bix node, the
// [NewCosignatureVerifier] of its key). The log must know its own
// verifier (see [Open]).
func (l *Log) AddCosignature(ctx context.Context, cosigned []byte, witness note.Verifier) error {
	if l.verifier == nil {
		return fmt.Errorf("audit: add cosignature: the log's verifier is unknown")
	}
	cp, _, n, err := tlogfmt.ParseCheckpoint(cosigned, l.origin, l.verifier, witness)
	if err != nil {
		return fmt.Errorf("audit: add cosignature: %w: %v", ErrBadCheckpoint, err)
	}
	var wsig *note.Signature
	for i, s := range n.Sigs {
		if s.Name == witness.Name() && s.Hash == witness.KeyHash() {
			wsig = &n.Sigs[i]
		}
	}
	if wsig == nil {
		return fmt.Errorf("audit: add cosignature: %w: no signature by %s", ErrBadCheckpoint, witness.Name())
	}
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("audit: add cosignature: %w", err)
	}
	defer tx.Rollback()
	var stored []byte
	if err := tx.QueryRowContext(ctx, `SELECT signed FROM audit_checkpoints WHERE size = ?`, int64(cp.Size)).Scan(&stored); err != nil {
		return fmt.Errorf("audit: add cosignature: checkpoint of size %d: %w", cp.Size, err)
	}
	sn, err := note.Open(stored, note.VerifierList(l.verifier))
	if err != nil {
		return fmt.Errorf("audit: add cosignature: stored checkpoint %d: %w", cp.Size, err)
	}
	if sn.Text != n.Text {
		return fmt.Errorf("audit: add cosignature: %w: cosigned text differs from the stored checkpoint of size %d", ErrBadCheckpoint, cp.Size)
	}
	var kept []note.Signature
	for _, s := range sn.UnverifiedSigs {
		if s.Name == wsig.Name && s.Hash == wsig.Hash {
			continue
		}
		kept = append(kept, s)
	}
	sn.UnverifiedSigs = append(kept, *wsig)
	merged, err := note.Sign(sn)
	if err != nil {
		return fmt.Errorf("audit: add cosignature: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE audit_checkpoints SET signed = ? WHERE size = ?`, merged, int64(cp.Size)); err != nil {
		return fmt.Errorf("audit: add cosignature: %w", err)
	}
	return tx.Commit()
}

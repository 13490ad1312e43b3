package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	tlogfmt "github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// ExportFormat names the export file format version.
const ExportFormat = "bix-audit-export/1"

// ErrBadExport is returned (wrapped) by [CheckExport] for an export that
// does not verify.
var ErrBadExport = errors.New("audit export does not verify")

// Export is what an overseer receives: entries [From, To) of a log, the
// log's signed checkpoints up to the latest one (size Size), each with the
// consistency proof from it to the latest, and, when the entries are not the
// whole log, an inclusion proof for each entry in the latest checkpoint.
// Erasures holds, in a partial export, the erasure entries outside
// [From, To) that redacted entries of the export (see [Redact]), each with
// its inclusion proof, so that every redaction can be checked.
type Export struct {
	Format      string             `json:"format"`
	Origin      string             `json:"origin"`
	Size        int64              `json:"size"`
	From        int64              `json:"from"`
	To          int64              `json:"to"`
	Checkpoints []ExportCheckpoint `json:"checkpoints"`
	Entries     []ExportEntry      `json:"entries"`
	Erasures    []ExportEntry      `json:"erasures,omitempty"`
}

// ExportCheckpoint is one signed checkpoint and the consistency proof from
// its size to the export's latest checkpoint.
type ExportCheckpoint struct {
	Signed      string         `json:"signed"`
	Consistency tlog.TreeProof `json:"consistency,omitempty"`
}

// ExportEntry is one entry's canonical JSON and, in a partial export, its
// inclusion proof in the latest checkpoint. For a redacted entry Body is the
// redacted body and Redaction says which leaf hash the tree holds and which
// erasure entry redacted it.
type ExportEntry struct {
	Index     int64            `json:"index"`
	Body      string           `json:"body"`
	Proof     tlog.RecordProof `json:"proof,omitempty"`
	Redaction *Redaction       `json:"redaction,omitempty"`
}

// Export writes the whole log up to its latest signed checkpoint to w as
// JSON (see [Export]); entries appended after the latest checkpoint are
// not included. It fails with [ErrNotCheckpointed] if there is no checkpoint.
func (l *Log) Export(ctx context.Context, w io.Writer) error {
	return l.ExportRange(ctx, w, 0, -1)
}

// ExportRange writes entries [from, to) (to < 0: up to the latest
// checkpoint) with an inclusion proof for each unless the range is the
// whole checkpointed log. It fails with [ErrNotCheckpointed] when an
// exported entry was redacted by an erasure entry the latest checkpoint
// does not cover yet.
func (l *Log) ExportRange(ctx context.Context, w io.Writer, from, to int64) error {
	_, n, err := l.latestCheckpoint(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("audit: export: %w (no checkpoint with entries yet)", ErrNotCheckpointed)
	}
	if to < 0 {
		to = n
	}
	if from < 0 || from > to || to > n {
		return fmt.Errorf("audit: export: range [%d, %d) outside the checkpointed log [0, %d)", from, to, n)
	}
	full := from == 0 && to == n
	x := Export{Format: ExportFormat, Origin: l.origin, Size: n, From: from, To: to, Entries: []ExportEntry{}}
	r := hashReader{ctx, l.db}

	rows, err := l.db.QueryContext(ctx, `SELECT size, signed FROM audit_checkpoints WHERE size <= ? ORDER BY size`, n)
	if err != nil {
		return fmt.Errorf("audit: export: %w", err)
	}
	for rows.Next() {
		var size int64
		var signed []byte
		if err := rows.Scan(&size, &signed); err != nil {
			rows.Close()
			return fmt.Errorf("audit: export: %w", err)
		}
		x.Checkpoints = append(x.Checkpoints, ExportCheckpoint{Signed: string(signed)})
		if size > 0 && size < n {
			p, err := tlog.ProveTree(n, size, r)
			if err != nil {
				rows.Close()
				return fmt.Errorf("audit: export: consistency %d→%d: %w", size, n, err)
			}
			x.Checkpoints[len(x.Checkpoints)-1].Consistency = p
		}
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("audit: export: %w", err)
	}

	red, err := readRedactions(ctx, l.db)
	if err != nil {
		return fmt.Errorf("audit: export: %w", err)
	}
	redaction := func(idx int64) (*Redaction, error) {
		rd, ok := red[idx]
		if !ok {
			return nil, nil
		}
		if rd.Erasure <= idx || rd.Erasure >= n {
			return nil, fmt.Errorf("audit: export: entry %d: %w: redacted by entry %d, beyond the latest checkpoint (size %d); sign a checkpoint first", idx, ErrNotCheckpointed, rd.Erasure, n)
		}
		return &rd, nil
	}
	rows, err = l.db.QueryContext(ctx, `SELECT idx, body FROM audit_entries WHERE idx >= ? AND idx < ? ORDER BY idx`, from, to)
	if err != nil {
		return fmt.Errorf("audit: export: %w", err)
	}
	defer rows.Close()
	var need []int64 // erasure entries outside the range to add
	for rows.Next() {
		var e ExportEntry
		var body []byte
		if err := rows.Scan(&e.Index, &body); err != nil {
			return fmt.Errorf("audit: export: %w", err)
		}
		e.Body = string(body)
		if !full {
			if e.Proof, err = tlog.ProveRecord(n, e.Index, r); err != nil {
				return fmt.Errorf("audit: export: entry %d: %w", e.Index, err)
			}
		}
		if e.Redaction, err = redaction(e.Index); err != nil {
			return err
		}
		if e.Redaction != nil && e.Redaction.Erasure >= to {
			need = append(need, e.Redaction.Erasure)
		}
		x.Entries = append(x.Entries, e)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("audit: export: %w", err)
	}
	added := map[int64]bool{}
	for len(need) > 0 {
		idx := need[0]
		need = need[1:]
		if added[idx] {
			continue
		}
		added[idx] = true
		e := ExportEntry{Index: idx}
		var body []byte
		if err := l.db.QueryRowContext(ctx, `SELECT body FROM audit_entries WHERE idx = ?`, idx).Scan(&body); err != nil {
			return fmt.Errorf("audit: export: erasure entry %d: %w", idx, err)
		}
		e.Body = string(body)
		if e.Proof, err = tlog.ProveRecord(n, idx, r); err != nil {
			return fmt.Errorf("audit: export: erasure entry %d: %w", idx, err)
		}
		if e.Redaction, err = redaction(idx); err != nil {
			return err
		}
		if e.Redaction != nil {
			need = append(need, e.Redaction.Erasure)
		}
		x.Erasures = append(x.Erasures, e)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	if err := enc.Encode(&x); err != nil {
		return fmt.Errorf("audit: export: %w", err)
	}
	return nil
}

// ExportReport is what [CheckExport] verified.
type ExportReport struct {
	Origin      string
	Size        int64     // size of the latest checkpoint
	Root        tlog.Hash // its root hash
	From, To    int64     // entries checked
	Checkpoints int
	// Cosigners lists, for the latest checkpoint, the names of the given
	// witness keys that validly cosigned it.
	Cosigners []string
	Entries   []IndexedEntry
	// Redacted lists the redacted entries among Entries, each checked
	// against the erasure entry that redacted it.
	Redacted []Redaction
}

// CheckExport verifies an export offline with only public keys: every
// checkpoint is signed by logKey for the export's origin; each is consistent
// with the latest (RFC 6962 consistency proofs, checked with
// github.com/transparency-dev/merkle, independently of the tlog code that
// made them); every entry is canonical and included in the latest
// checkpoint — by recomputing the whole tree when the export holds all
// entries (checking every checkpoint's root directly), else by its
// inclusion proof. A redacted entry counts with its original leaf hash and
// is accepted only if the erasure entry that redacted it (in the export, or
// in its Erasures with an inclusion proof) commits to its present body.
// Cosignatures by witnesses are verified and reported.
func CheckExport(r io.Reader, logKey note.Verifier, witnesses ...note.Verifier) (*ExportReport, error) {
	var x Export
	d := json.NewDecoder(r)
	d.DisallowUnknownFields()
	if err := d.Decode(&x); err != nil {
		return nil, fmt.Errorf("%w: decoding: %v", ErrBadExport, err)
	}
	if x.Format != ExportFormat {
		return nil, fmt.Errorf("%w: format %q, want %q", ErrBadExport, x.Format, ExportFormat)
	}
	if len(x.Checkpoints) == 0 {
		return nil, fmt.Errorf("%w: no checkpoints", ErrBadExport)
	}
	h := rfc6962.DefaultHasher
	type parsed struct {
		size int64
		root []byte
	}
	cps := make([]parsed, len(x.Checkpoints))
	rep := &ExportReport{Origin: x.Origin, Size: x.Size, From: x.From, To: x.To, Checkpoints: len(x.Checkpoints)}
	for i, c := range x.Checkpoints {
		cp, _, n, err := tlogfmt.ParseCheckpoint([]byte(c.Signed), x.Origin, logKey, witnesses...)
		if err != nil {
			return nil, fmt.Errorf("%w: checkpoint %d: %v", ErrBadExport, i, err)
		}
		if len(cp.Hash) != h.Size() || cp.Size > 1<<62 {
			return nil, fmt.Errorf("%w: checkpoint %d: malformed size or hash", ErrBadExport, i)
		}
		cps[i] = parsed{int64(cp.Size), cp.Hash}
		if i > 0 && cps[i].size <= cps[i-1].size {
			return nil, fmt.Errorf("%w: checkpoint %d: sizes not increasing (%d after %d)", ErrBadExport, i, cps[i].size, cps[i-1].size)
		}
		if i == len(x.Checkpoints)-1 {
			for _, s := range n.Sigs {
				if s.Name == logKey.Name() && s.Hash == logKey.KeyHash() {
					continue
				}
				rep.Cosigners = append(rep.Cosigners, s.Name)
			}
		}
	}
	last := cps[len(cps)-1]
	if last.size != x.Size {
		return nil, fmt.Errorf("%w: latest checkpoint has size %d, export says %d", ErrBadExport, last.size, x.Size)
	}
	copy(rep.Root[:], last.root)
	for i, c := range cps[:len(cps)-1] {
		if c.size == 0 {
			if !bytes.Equal(c.root, h.EmptyRoot()) {
				return nil, fmt.Errorf("%w: checkpoint %d: size 0 with a non-empty root", ErrBadExport, i)
			}
			continue
		}
		if err := proof.VerifyConsistency(h, uint64(c.size), uint64(last.size), hashesToBytes(x.Checkpoints[i].Consistency), c.root, last.root); err != nil {
			return nil, fmt.Errorf("%w: checkpoint %d (size %d) not consistent with the latest (size %d): %v", ErrBadExport, i, c.size, last.size, err)
		}
	}

	if x.From < 0 || x.From > x.To || x.To > x.Size || int64(len(x.Entries)) != x.To-x.From {
		return nil, fmt.Errorf("%w: entries [%d, %d) with %d entries in a log of %d", ErrBadExport, x.From, x.To, len(x.Entries), x.Size)
	}
	full := x.From == 0 && x.To == x.Size
	rf := compact.RangeFactory{Hash: h.HashChildren}
	rng := rf.NewEmptyRange(0)
	ci := 0
	for ; ci < len(cps) && cps[ci].size == 0; ci++ {
	}
	for i, e := range x.Entries {
		want := x.From + int64(i)
		if e.Index != want {
			return nil, fmt.Errorf("%w: entry at position %d has index %d, want %d", ErrBadExport, i, e.Index, want)
		}
		ent, err := ParseEntry([]byte(e.Body))
		if err != nil {
			return nil, fmt.Errorf("%w: entry %d: %v", ErrBadExport, e.Index, err)
		}
		rep.Entries = append(rep.Entries, IndexedEntry{Index: e.Index, Entry: ent})
		leaf, err := exportLeaf(e, x.Size)
		if err != nil {
			return nil, err
		}
		if !full {
			if err := proof.VerifyInclusion(h, uint64(e.Index), uint64(x.Size), leaf, hashesToBytes(e.Proof), last.root); err != nil {
				return nil, fmt.Errorf("%w: entry %d not included in the latest checkpoint: %v", ErrBadExport, e.Index, err)
			}
			continue
		}
		if err := rng.Append(leaf, nil); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadExport, err)
		}
		for ; ci < len(cps) && cps[ci].size == want+1; ci++ {
			root, err := rng.GetRootHash(nil)
			if err != nil {
				return nil, fmt.Errorf("%w: %v", ErrBadExport, err)
			}
			if !bytes.Equal(root, cps[ci].root) {
				return nil, fmt.Errorf("%w: entries 0..%d do not match the checkpoint of size %d", ErrBadExport, want, cps[ci].size)
			}
		}
	}
	if full && ci != len(cps) {
		return nil, fmt.Errorf("%w: checkpoint of size %d not reached by the entries", ErrBadExport, cps[ci].size)
	}

	// Redactions: every redacted entry's erasure entry is in the export
	// (included like the others) and commits to its present body.
	bodies := make(map[int64][]byte, len(x.Entries)+len(x.Erasures))
	for _, e := range x.Entries {
		bodies[e.Index] = []byte(e.Body)
	}
	if full && len(x.Erasures) > 0 {
		return nil, fmt.Errorf("%w: a full export lists separate erasure entries", ErrBadExport)
	}
	for _, e := range x.Erasures {
		if e.Index >= x.From && e.Index < x.To {
			return nil, fmt.Errorf("%w: erasure entry %d listed apart but within the entries", ErrBadExport, e.Index)
		}
		if _, dup := bodies[e.Index]; dup {
			return nil, fmt.Errorf("%w: erasure entry %d listed twice", ErrBadExport, e.Index)
		}
		if _, err := ParseEntry([]byte(e.Body)); err != nil {
			return nil, fmt.Errorf("%w: erasure entry %d: %v", ErrBadExport, e.Index, err)
		}
		leaf, err := exportLeaf(e, x.Size)
		if err != nil {
			return nil, err
		}
		if err := proof.VerifyInclusion(h, uint64(e.Index), uint64(x.Size), leaf, hashesToBytes(e.Proof), last.root); err != nil {
			return nil, fmt.Errorf("%w: erasure entry %d not included in the latest checkpoint: %v", ErrBadExport, e.Index, err)
		}
		bodies[e.Index] = []byte(e.Body)
	}
	for _, set := range [][]ExportEntry{x.Entries, x.Erasures} {
		for _, e := range set {
			if e.Redaction == nil {
				continue
			}
			eb, ok := bodies[e.Redaction.Erasure]
			if !ok {
				return nil, fmt.Errorf("%w: entry %d redacted by entry %d, which the export does not hold", ErrBadExport, e.Index, e.Redaction.Erasure)
			}
			if err := checkRedaction(e.Index, []byte(e.Body), e.Redaction.Erasure, eb); err != nil {
				return nil, fmt.Errorf("%w: %v", ErrBadExport, err)
			}
			if e.Index >= x.From && e.Index < x.To {
				rep.Redacted = append(rep.Redacted, *e.Redaction)
			}
		}
	}
	return rep, nil
}

// exportLeaf returns the leaf hash the tree holds for e: its redaction's
// for a redacted entry, else its body's.
func exportLeaf(e ExportEntry, size int64) ([]byte, error) {
	if e.Redaction == nil {
		return rfc6962.DefaultHasher.HashLeaf([]byte(e.Body)), nil
	}
	if e.Redaction.Index != e.Index || e.Redaction.Erasure <= e.Index || e.Redaction.Erasure >= size {
		return nil, fmt.Errorf("%w: entry %d: redaction names entry %d erased by %d", ErrBadExport, e.Index, e.Redaction.Index, e.Redaction.Erasure)
	}
	return e.Redaction.Leaf[:], nil
}

// CheckInclusion verifies p offline: the checkpoint is signed by logKey for
// origin, the body is a canonical entry, and it is included at p.Index in
// the checkpoint's tree. For a redacted entry, the tree holds p.Redaction's
// leaf hash, and the erasure entry's proof must verify in the same
// checkpoint and commit to p's body; the entry returned is the redacted one.
func CheckInclusion(p *InclusionProof, origin string, logKey note.Verifier) (Entry, error) {
	cp, _, _, err := tlogfmt.ParseCheckpoint([]byte(p.Checkpoint), origin, logKey)
	if err != nil {
		return Entry{}, fmt.Errorf("audit: inclusion proof: %w: %v", ErrBadCheckpoint, err)
	}
	e, err := ParseEntry([]byte(p.Body))
	if err != nil {
		return Entry{}, fmt.Errorf("audit: inclusion proof: %w", err)
	}
	if p.Index < 0 || cp.Size > 1<<62 || int64(cp.Size) != p.Size {
		return Entry{}, fmt.Errorf("audit: inclusion proof: size %d does not match the checkpoint's %d", p.Size, cp.Size)
	}
	h := rfc6962.DefaultHasher
	leaf := h.HashLeaf([]byte(p.Body))
	if r := p.Redaction; r != nil {
		if r.Erasure == nil || r.Erasure.Checkpoint != p.Checkpoint {
			return Entry{}, fmt.Errorf("audit: inclusion proof: entry %d: %w: redaction without its erasure entry's proof in the same checkpoint", p.Index, ErrCorrupt)
		}
		if _, err := CheckInclusion(r.Erasure, origin, logKey); err != nil {
			return Entry{}, fmt.Errorf("audit: inclusion proof: entry %d: erasure entry: %w", p.Index, err)
		}
		if err := checkRedaction(p.Index, []byte(p.Body), r.Erasure.Index, []byte(r.Erasure.Body)); err != nil {
			return Entry{}, fmt.Errorf("audit: inclusion proof: %w: %v", ErrCorrupt, err)
		}
		leaf = r.Leaf[:]
	}
	if err := proof.VerifyInclusion(h, uint64(p.Index), cp.Size, leaf, hashesToBytes(p.Proof), cp.Hash); err != nil {
		return Entry{}, fmt.Errorf("audit: inclusion proof: entry %d: %w", p.Index, err)
	}
	return e, nil
}

func hashesToBytes[H ~[]tlog.Hash](hs H) [][]byte {
	out := make([][]byte, len(hs))
	for i := range hs {
		out[i] = hs[i][:]
	}
	return out
}

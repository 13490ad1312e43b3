package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	tlogfmt "github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Sentinel errors callers test with errors.Is.
var (
	// ErrCorrupt means the stored log does not match itself: an entry, a
	// stored hash or a checkpoint was altered, deleted or reordered.
	ErrCorrupt = errors.New("audit log corrupt")
	// ErrNotCheckpointed means an entry is not yet covered by a signed
	// checkpoint, so no proof can be given for it yet.
	ErrNotCheckpointed = errors.New("entry not yet covered by a checkpoint")
	// ErrForbidden means the caller's role may not read audit entries.
	ErrForbidden = errors.New("only the auditor role may read audit entries")
	// ErrNoEntry means the requested entry index is beyond the log.
	ErrNoEntry = errors.New("no such audit entry")
)

// Log is a node's audit log over one database. Its methods are safe for
// concurrent use; entries are added with [Append] inside the caller's
// transactions, not through Log.
type Log struct {
	db       *sql.DB
	signer   note.Signer
	cosigner note.Signer   // witnesses partners' checkpoints
	verifier note.Verifier // nil when signer cannot tell its public key
	origin   string
}

// Open returns the audit log stored in db (after [Init]), whose checkpoints
// carry origin as their first line and are signed by signer. If signer is a
// *[Signer] (from [NewSigner]), Verify also checks the signatures on stored
// checkpoints, and Witness cosigns partners' checkpoints in the C2SP
// cosignature/v1 format with the same key; with any other note.Signer,
// Verify checks checkpoint contents only and Witness adds a plain note
// signature.
func Open(db *sql.DB, signer note.Signer, origin string) *Log {
	l := &Log{db: db, signer: signer, cosigner: signer, origin: origin}
	if s, ok := signer.(*Signer); ok {
		l.verifier = s.Verifier()
		l.cosigner = s.Cosigner()
	}
	return l
}

// OpenVerifier returns the log stored in db for reading and verifying
// only: its checkpoints are checked with v; Checkpoint and Witness fail.
func OpenVerifier(db *sql.DB, v note.Verifier, origin string) *Log {
	return &Log{db: db, verifier: v, origin: origin}
}

// StoredOrigin returns the origin named by the latest stored checkpoint,
// or "" if there is none.
func StoredOrigin(ctx context.Context, db *sql.DB) (string, error) {
	var b []byte
	err := db.QueryRowContext(ctx, `SELECT signed FROM audit_checkpoints ORDER BY size DESC LIMIT 1`).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("audit: stored origin: %w", err)
	}
	origin, _, _ := strings.Cut(string(b), "\n")
	return origin, nil
}

// errNoSigner is returned by operations that sign when the log was opened
// for verifying only.
var errNoSigner = errors.New("audit: log opened without a signer")

// Origin returns the log's origin string.
func (l *Log) Origin() string { return l.origin }

// Signer is a note signer that also knows its verifier.
type Signer struct {
	note.Signer
	verifier note.Verifier
	vkey     string
	priv     ed25519.PrivateKey
}

// Verifier returns the verifier for the signer's public key.
func (s *Signer) Verifier() note.Verifier { return s.verifier }

// VerifierKey returns the encoded verifier (public) key, "name+hash+key".
func (s *Signer) VerifierKey() string { return s.vkey }

// GenerateKey returns a new Ed25519 note signer key (secret) and verifier
// key (public) named name, in the encodings of golang.org/x/mod/sumdb/note.
func GenerateKey(name string) (skey, vkey string, err error) {
	return note.GenerateKey(rand.Reader, name)
}

// NewSigner parses an encoded Ed25519 note signer key
// ("PRIVATE+KEY+name+hash+key") and derives its verifier.
func NewSigner(skey string) (*Signer, error) {
	s, err := note.NewSigner(strings.TrimSpace(skey))
	if err != nil {
		return nil, fmt.Errorf("audit: signer key: %w", err)
	}
	parts := strings.SplitN(strings.TrimSpace(skey), "+", 5)
	if len(parts) != 5 {
		return nil, fmt.Errorf("audit: signer key: malformed")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return nil, fmt.Errorf("audit: signer key: not an Ed25519 key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(s.Name(), pub)
	if err != nil {
		return nil, fmt.Errorf("audit: signer key: %w", err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("audit: signer key: %w", err)
	}
	if v.KeyHash() != s.KeyHash() {
		return nil, fmt.Errorf("audit: signer key: key hash does not match key")
	}
	return &Signer{Signer: s, verifier: v, vkey: vkey, priv: ed25519.NewKeyFromSeed(raw[1:])}, nil
}

// Size returns the number of entries in the log.
func (l *Log) Size(ctx context.Context) (int64, error) { return size(ctx, l.db) }

// TreeHash returns the RFC 6962 root hash of the first n entries, from the
// stored hashes.
func (l *Log) TreeHash(ctx context.Context, n int64) (tlog.Hash, error) {
	return tlog.TreeHash(n, hashReader{ctx, l.db})
}

// Checkpoint returns a signed checkpoint for the log's current size,
// signing and storing a new one if the log grew since the latest; otherwise
// it returns the latest one (with any cosignatures added since).
func (l *Log) Checkpoint(ctx context.Context) (signed []byte, err error) {
	if l.signer == nil {
		return nil, errNoSigner
	}
	n, err := size(ctx, l.db)
	if err != nil {
		return nil, err
	}
	if last, lastSize, err := l.latestCheckpoint(ctx); err != nil {
		return nil, err
	} else if last != nil && lastSize == n {
		return last, nil
	}
	h, err := tlog.TreeHash(n, hashReader{ctx, l.db})
	if err != nil {
		return nil, fmt.Errorf("audit: checkpoint at size %d: %w", n, err)
	}
	text := tlogfmt.Checkpoint{Origin: l.origin, Size: uint64(n), Hash: h[:]}.Marshal()
	signed, err = note.Sign(&note.Note{Text: string(text)}, l.signer)
	if err != nil {
		return nil, fmt.Errorf("audit: signing checkpoint: %w", err)
	}
	if _, err := l.db.ExecContext(ctx,
		`INSERT OR IGNORE INTO audit_checkpoints(size, created, signed) VALUES (?, ?, ?)`,
		n, time.Now().Unix(), signed); err != nil {
		return nil, fmt.Errorf("audit: storing checkpoint: %w", err)
	}
	return signed, nil
}

// LatestCheckpoint returns the latest stored signed checkpoint, or nil if
// none has been made.
func (l *Log) LatestCheckpoint(ctx context.Context) ([]byte, error) {
	b, _, err := l.latestCheckpoint(ctx)
	return b, err
}

func (l *Log) latestCheckpoint(ctx context.Context) ([]byte, int64, error) {
	var b []byte
	var n int64
	err := l.db.QueryRowContext(ctx, `SELECT signed, size FROM audit_checkpoints ORDER BY size DESC LIMIT 1`).Scan(&b, &n)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("audit: latest checkpoint: %w", err)
	}
	return b, n, nil
}

// Run signs a checkpoint every interval until ctx is done, passing errors
// to onErr (if not nil). The node runs it in its own goroutine.
func (l *Log) Run(ctx context.Context, interval time.Duration, onErr func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := l.Checkpoint(ctx); err != nil && onErr != nil && ctx.Err() == nil {
				onErr(err)
			}
		}
	}
}

// Summary describes a verified log.
type Summary struct {
	Size        int64     // entries
	Root        tlog.Hash // root hash over all entries
	Checkpoints int       // stored checkpoints, all consistent with the entries
	Latest      int64     // size of the latest checkpoint (0 if none)
	Signed      bool      // whether checkpoint signatures were verified
	// Redacted lists the entries whose content was erased (see [Redact]):
	// each keeps its original leaf hash in the tree and is backed by the
	// erasure entry that redacted it.
	Redacted []Redaction
}

// Verify recomputes the whole tree from the stored entries and checks it
// against the stored hashes and every stored checkpoint (their signatures
// too, when the log knows its verifier). A redacted entry (see [Redact])
// counts with its recorded original leaf hash, provided the erasure entry
// that redacted it is in the log and commits to its present body. Any
// altered, deleted, inserted or reordered entry or hash, and any redaction
// not backed by its erasure entry, yields an error wrapping [ErrCorrupt].
func (l *Log) Verify(ctx context.Context) error {
	_, err := l.VerifySummary(ctx)
	return err
}

// VerifySummary is [Log.Verify] returning what it verified, redacted
// entries included.
func (l *Log) VerifySummary(ctx context.Context) (Summary, error) {
	var sum Summary
	tx, err := l.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return sum, fmt.Errorf("audit: verify: %w", err)
	}
	defer tx.Rollback()

	// Checkpoints first: there are few, and we check each root as the
	// recomputation passes its size.
	type cp struct {
		size int64
		hash []byte
	}
	var cps []cp
	crows, err := tx.QueryContext(ctx, `SELECT size, signed FROM audit_checkpoints ORDER BY size`)
	if err != nil {
		return sum, fmt.Errorf("audit: verify: %w", err)
	}
	for crows.Next() {
		var n int64
		var signed []byte
		if err := crows.Scan(&n, &signed); err != nil {
			crows.Close()
			return sum, fmt.Errorf("audit: verify: %w", err)
		}
		c, err := l.parseOwnCheckpoint(signed)
		if err != nil {
			crows.Close()
			return sum, fmt.Errorf("%w: checkpoint at size %d: %v", ErrCorrupt, n, err)
		}
		if int64(c.Size) != n {
			crows.Close()
			return sum, fmt.Errorf("%w: checkpoint stored at size %d says size %d", ErrCorrupt, n, c.Size)
		}
		cps = append(cps, cp{n, c.Hash})
	}
	if err := crows.Close(); err != nil {
		return sum, fmt.Errorf("audit: verify: %w", err)
	}
	sum.Checkpoints = len(cps)
	sum.Signed = l.verifier != nil
	if len(cps) > 0 {
		sum.Latest = cps[len(cps)-1].size
	}
	redactions, err := readRedactions(ctx, tx)
	if err != nil {
		return sum, fmt.Errorf("audit: verify: %w", err)
	}
	// For redacted entries, their present body; for the erasure entries
	// that redacted them, theirs: checked once all entries are read.
	redactedBody := map[int64][]byte{}
	erasureBody := map[int64][]byte{}
	for _, r := range redactions {
		erasureBody[r.Erasure] = nil
	}

	erows, err := tx.QueryContext(ctx, `SELECT idx, body FROM audit_entries ORDER BY idx`)
	if err != nil {
		return sum, fmt.Errorf("audit: verify: %w", err)
	}
	defer erows.Close()
	hrows, err := tx.QueryContext(ctx, `SELECT id, hash FROM audit_hashes ORDER BY id`)
	if err != nil {
		return sum, fmt.Errorf("audit: verify: %w", err)
	}
	defer hrows.Close()

	hasher := rfc6962.DefaultHasher
	rf := compact.RangeFactory{Hash: hasher.HashChildren}
	rng := rf.NewEmptyRange(0)
	var visitErr error
	visit := func(id compact.NodeID, h []byte) {
		if visitErr != nil {
			return
		}
		want := tlog.StoredHashIndex(int(id.Level), int64(id.Index))
		if !hrows.Next() {
			if err := hrows.Err(); err != nil {
				visitErr = fmt.Errorf("audit: verify: %w", err)
				return
			}
			visitErr = fmt.Errorf("%w: stored hash %d missing", ErrCorrupt, want)
			return
		}
		var got int64
		var stored []byte
		if err := hrows.Scan(&got, &stored); err != nil {
			visitErr = fmt.Errorf("audit: verify: %w", err)
			return
		}
		if got != want {
			visitErr = fmt.Errorf("%w: stored hash %d found where %d was expected", ErrCorrupt, got, want)
			return
		}
		if !bytes.Equal(stored, h) {
			level, n := tlog.SplitStoredHashIndex(want)
			visitErr = fmt.Errorf("%w: stored hash %d (level %d, node %d) does not match the entries", ErrCorrupt, want, level, n)
		}
	}
	ci := 0
	for ; ci < len(cps) && cps[ci].size == 0; ci++ {
		if !bytes.Equal(cps[ci].hash, hasher.EmptyRoot()) {
			return sum, fmt.Errorf("%w: checkpoint at size 0 has a wrong root", ErrCorrupt)
		}
	}
	var i int64
	for erows.Next() {
		var idx int64
		var body []byte
		if err := erows.Scan(&idx, &body); err != nil {
			return sum, fmt.Errorf("audit: verify: %w", err)
		}
		if idx != i {
			return sum, fmt.Errorf("%w: entry %d missing (next stored entry is %d)", ErrCorrupt, i, idx)
		}
		if _, err := ParseEntry(body); err != nil {
			return sum, fmt.Errorf("%w: entry %d: %v", ErrCorrupt, i, err)
		}
		leaf := hasher.HashLeaf(body)
		if r, ok := redactions[i]; ok {
			leaf = r.Leaf[:]
			redactedBody[i] = body
		}
		if _, ok := erasureBody[i]; ok {
			erasureBody[i] = body
		}
		if err := rng.Append(leaf, visit); err != nil {
			return sum, fmt.Errorf("audit: verify: %w", err)
		}
		if visitErr != nil {
			return sum, fmt.Errorf("entry %d: %w", i, visitErr)
		}
		i++
		for ; ci < len(cps) && cps[ci].size == i; ci++ {
			root, err := rng.GetRootHash(nil)
			if err != nil {
				return sum, fmt.Errorf("audit: verify: %w", err)
			}
			if !bytes.Equal(root, cps[ci].hash) {
				return sum, fmt.Errorf("%w: checkpoint at size %d does not match the entries", ErrCorrupt, i)
			}
		}
	}
	if err := erows.Err(); err != nil {
		return sum, fmt.Errorf("audit: verify: %w", err)
	}
	if hrows.Next() {
		var id int64
		var h []byte
		_ = hrows.Scan(&id, &h)
		return sum, fmt.Errorf("%w: stored hash %d has no entry (entries deleted after %d?)", ErrCorrupt, id, i)
	}
	if ci < len(cps) {
		return sum, fmt.Errorf("%w: checkpoint at size %d but only %d entries (entries deleted?)", ErrCorrupt, cps[ci].size, i)
	}
	sum.Redacted = sortedRedactions(redactions)
	for _, r := range sum.Redacted {
		if r.Index >= i || r.Erasure >= i {
			return sum, fmt.Errorf("%w: redaction of entry %d by entry %d beyond the log's %d entries", ErrCorrupt, r.Index, r.Erasure, i)
		}
		if err := checkRedaction(r.Index, redactedBody[r.Index], r.Erasure, erasureBody[r.Erasure]); err != nil {
			return sum, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
	}
	sum.Size = i
	if i == 0 {
		copy(sum.Root[:], hasher.EmptyRoot())
	} else {
		root, err := rng.GetRootHash(nil)
		if err != nil {
			return sum, fmt.Errorf("audit: verify: %w", err)
		}
		copy(sum.Root[:], root)
	}
	return sum, nil
}

// parseOwnCheckpoint parses one of the log's own stored checkpoints,
// verifying its signature when the verifier is known.
func (l *Log) parseOwnCheckpoint(signed []byte) (*tlogfmt.Checkpoint, error) {
	if l.verifier != nil {
		c, _, _, err := tlogfmt.ParseCheckpoint(signed, l.origin, l.verifier)
		return c, err
	}
	// Without a verifier, read the text only.
	i := bytes.Index(signed, []byte("\n\n"))
	if i < 0 {
		return nil, fmt.Errorf("malformed signed note")
	}
	c := &tlogfmt.Checkpoint{}
	if _, err := c.Unmarshal(signed[:i+1]); err != nil {
		return nil, err
	}
	if c.Origin != l.origin {
		return nil, fmt.Errorf("origin %q, want %q", c.Origin, l.origin)
	}
	return c, nil
}

// InclusionProof proves that an entry is in the log at the size of a signed
// checkpoint. Body is the entry's canonical JSON. For a redacted entry (see
// [Redact]) Body is the redacted body and Redaction holds the original leaf
// hash and the proof of the erasure entry that redacted it.
type InclusionProof struct {
	Index      int64            `json:"index"`
	Body       string           `json:"body"`
	Proof      tlog.RecordProof `json:"proof"`
	Checkpoint string           `json:"checkpoint"`
	Size       int64            `json:"size"`
	Redaction  *ProofRedaction  `json:"redaction,omitempty"`
}

// ProofRedaction is the part of an [InclusionProof] for a redacted entry:
// the leaf hash the tree holds for it and the inclusion proof, in the same
// checkpoint, of the erasure entry that commits to its present body.
type ProofRedaction struct {
	Leaf    tlog.Hash       `json:"leaf"`
	Erasure *InclusionProof `json:"erasure"`
}

// ProveInclusion returns the proof that entry index is included in the tree
// of the latest signed checkpoint. The proof carries the entry body, so
// only an auditor may be given it (see [CanRead]). A redacted entry whose
// erasure entry is not yet covered by the checkpoint fails with
// [ErrNotCheckpointed].
func (l *Log) ProveInclusion(ctx context.Context, index int64) (*InclusionProof, error) {
	signed, n, err := l.latestCheckpoint(ctx)
	if err != nil {
		return nil, err
	}
	if index < 0 {
		return nil, fmt.Errorf("audit: entry %d: %w", index, ErrNoEntry)
	}
	if signed == nil || index >= n {
		total, err := size(ctx, l.db)
		if err != nil {
			return nil, err
		}
		if index >= total {
			return nil, fmt.Errorf("audit: entry %d: %w (log has %d entries)", index, ErrNoEntry, total)
		}
		return nil, fmt.Errorf("audit: entry %d: %w (latest checkpoint size %d)", index, ErrNotCheckpointed, n)
	}
	red, err := readRedactions(ctx, l.db)
	if err != nil {
		return nil, fmt.Errorf("audit: entry %d: %w", index, err)
	}
	return l.proveAt(ctx, index, signed, n, red)
}

// proveAt proves entry index in the tree of size n with checkpoint signed,
// with the erasure entry's proof for a redacted entry.
func (l *Log) proveAt(ctx context.Context, index int64, signed []byte, n int64, red map[int64]Redaction) (*InclusionProof, error) {
	var body []byte
	if err := l.db.QueryRowContext(ctx, `SELECT body FROM audit_entries WHERE idx = ?`, index).Scan(&body); err != nil {
		return nil, fmt.Errorf("audit: entry %d: %w", index, err)
	}
	r := hashReader{ctx, l.db}
	p, err := tlog.ProveRecord(n, index, r)
	if err != nil {
		return nil, fmt.Errorf("audit: proving entry %d in tree %d: %w", index, n, err)
	}
	out := &InclusionProof{Index: index, Body: string(body), Proof: p, Checkpoint: string(signed), Size: n}
	if rd, ok := red[index]; ok {
		if rd.Erasure <= index || rd.Erasure >= n {
			return nil, fmt.Errorf("audit: entry %d: %w: redacted by entry %d, beyond the latest checkpoint (size %d)", index, ErrNotCheckpointed, rd.Erasure, n)
		}
		ep, err := l.proveAt(ctx, rd.Erasure, signed, n, red)
		if err != nil {
			return nil, err
		}
		out.Redaction = &ProofRedaction{Leaf: rd.Leaf, Erasure: ep}
	}
	return out, nil
}

// ProveConsistency returns the RFC 6962 consistency proof that the tree of
// size newSize contains the tree of size oldSize as a prefix. Partners ask
// for it to witness a new checkpoint against the last one they saw.
func (l *Log) ProveConsistency(ctx context.Context, oldSize, newSize int64) (tlog.TreeProof, error) {
	n, err := size(ctx, l.db)
	if err != nil {
		return nil, err
	}
	if oldSize < 0 || oldSize > newSize || newSize > n {
		return nil, fmt.Errorf("audit: consistency proof %d→%d: sizes out of range (log has %d entries)", oldSize, newSize, n)
	}
	if oldSize == 0 {
		return nil, nil
	}
	p, err := tlog.ProveTree(newSize, oldSize, hashReader{ctx, l.db})
	if err != nil {
		return nil, fmt.Errorf("audit: consistency proof %d→%d: %w", oldSize, newSize, err)
	}
	return p, nil
}

// IndexedEntry is an entry with its log index.
type IndexedEntry struct {
	Index int64
	Entry Entry
}

// Entries returns entries [start, end) for a user with role; only
// [RoleAuditor] may read them (ErrForbidden otherwise).
func (l *Log) Entries(ctx context.Context, role string, start, end int64) ([]IndexedEntry, error) {
	if !CanRead(role) {
		return nil, ErrForbidden
	}
	rows, err := l.db.QueryContext(ctx, `SELECT idx, body FROM audit_entries WHERE idx >= ? AND idx < ? ORDER BY idx`, start, end)
	if err != nil {
		return nil, fmt.Errorf("audit: entries: %w", err)
	}
	defer rows.Close()
	var out []IndexedEntry
	for rows.Next() {
		var ie IndexedEntry
		var body []byte
		if err := rows.Scan(&ie.Index, &body); err != nil {
			return nil, fmt.Errorf("audit: entries: %w", err)
		}
		if ie.Entry, err = ParseEntry(body); err != nil {
			return nil, fmt.Errorf("audit: entry %d: %w", ie.Index, err)
		}
		out = append(out, ie)
	}
	return out, rows.Err()
}

// Hash returns the hex SHA-256 of b, the form Entry.RequestHash and
// Entry.ResponseHash take.
func Hash(b []byte) string {
	h := sha256.Sum256(b)
	return fmt.Sprintf("%x", h[:])
}

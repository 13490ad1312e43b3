package audit_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bixproject/bix/internal/audit"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
	_ "modernc.org/sqlite"
)

// redactedLog is a log of six entries whose entries 0 and 2 (naming
// person-aaaaaaaa) were redacted by the erasure entry 4, with checkpoints
// at sizes 4 and 6.
type redactedLog struct {
	db *sql.DB
	l  *audit.Log
	v  note.Verifier
}

var redactAt = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func newRedactedLog(t *testing.T) *redactedLog {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+t.TempDir()+"/a.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := audit.Init(ctx, db); err != nil {
		t.Fatal(err)
	}
	skey, _, _ := audit.GenerateKey("redact-test")
	s, err := audit.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	rl := &redactedLog{db: db, l: audit.Open(db, s, "redact-test"), v: s.Verifier()}
	add := func(action string, objs []string, detail string) {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		e := audit.Entry{Time: redactAt, Actor: "officer1", Role: "officer", Action: action, Objects: objs}
		if detail != "" {
			e.Detail = []byte(detail)
		}
		if _, err := audit.Append(ctx, tx, e); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	add("identify", []string{"person-aaaaaaaa"}, `{"candidates":["person-aaaaaaaa","person-bbbbbbbb"],"n":1.5}`)
	add("identify", []string{"person-bbbbbbbb"}, "")
	add("enroll", []string{"encounter-1", "person-aaaaaaaa"}, "")
	add("verify", []string{"person-cccccccc"}, "")
	if _, err := rl.l.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	erasure := audit.Entry{Time: redactAt, Actor: "retention", Role: "system", Action: audit.ActionErasure, Detail: []byte(`{"reason":"log retention"}`)}
	n, idx, err := audit.Redact(ctx, tx, map[string]string{"person-aaaaaaaa": "erased:1234"}, erasure)
	if err != nil || n != 2 || idx != 4 {
		t.Fatalf("Redact = %d, %d, %v; want 2 entries, erasure entry 4", n, idx, err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	add("identify", []string{"person-dddddddd"}, "")
	if _, err := rl.l.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	return rl
}

// export returns the log's export of [from, to) (to < 0: all).
func (rl *redactedLog) export(t *testing.T, from, to int64) ([]byte, error) {
	t.Helper()
	var b bytes.Buffer
	err := rl.l.ExportRange(context.Background(), &b, from, to)
	return b.Bytes(), err
}

func TestRedactVerifies(t *testing.T) {
	ctx := context.Background()
	rl := newRedactedLog(t)
	es, err := rl.l.Entries(ctx, audit.RoleAuditor, 0, 6)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		b, _ := e.Entry.Canonical()
		if strings.Contains(string(b), "person-aaaaaaaa") {
			t.Errorf("entry %d still holds the reference: %s", e.Index, b)
		}
	}
	if !strings.Contains(string(es[0].Entry.Detail), "person-bbbbbbbb") || es[1].Entry.Objects[0] != "person-bbbbbbbb" {
		t.Errorf("other references were changed: %+v", es)
	}
	if e := es[4].Entry; e.Action != audit.ActionErasure || !strings.Contains(string(e.Detail), `"redacted":[{"body_sha256":`) || !strings.Contains(string(e.Detail), `"reason":"log retention"`) {
		t.Errorf("erasure entry %s does not list the redactions", e.Detail)
	}

	sum, err := rl.l.VerifySummary(ctx)
	if err != nil {
		t.Fatalf("Verify of a redacted log: %v", err)
	}
	if sum.Size != 6 || sum.Checkpoints != 2 || len(sum.Redacted) != 2 ||
		sum.Redacted[0].Index != 0 || sum.Redacted[1].Index != 2 || sum.Redacted[0].Erasure != 4 || !sum.Redacted[0].At.Equal(redactAt) {
		t.Errorf("VerifySummary = %+v", sum)
	}
	if red, err := rl.l.Redactions(ctx); err != nil || len(red) != 2 {
		t.Errorf("Redactions = %v, %v", red, err)
	}

	for _, r := range []struct{ from, to int64 }{{0, -1}, {0, 3}, {2, 3}, {1, 2}, {4, 6}} {
		b, err := rl.export(t, r.from, r.to)
		if err != nil {
			t.Fatalf("export [%d, %d): %v", r.from, r.to, err)
		}
		rep, err := audit.CheckExport(bytes.NewReader(b), rl.v)
		if err != nil {
			t.Fatalf("CheckExport [%d, %d): %v", r.from, r.to, err)
		}
		want := 0
		for _, i := range []int64{0, 2} {
			if i >= rep.From && i < rep.To {
				want++
			}
		}
		if len(rep.Redacted) != want {
			t.Errorf("export [%d, %d): %d redacted reported, want %d", r.from, r.to, len(rep.Redacted), want)
		}
	}
	for i := int64(0); i < 6; i++ {
		p, err := rl.l.ProveInclusion(ctx, i)
		if err != nil {
			t.Fatalf("ProveInclusion(%d): %v", i, err)
		}
		if (p.Redaction != nil) != (i == 0 || i == 2) {
			t.Errorf("proof of entry %d: redaction %+v", i, p.Redaction)
		}
		// The proof goes through JSON, as `bix audit prove` writes it.
		b, _ := json.Marshal(p)
		var q audit.InclusionProof
		if err := json.Unmarshal(b, &q); err != nil {
			t.Fatal(err)
		}
		if _, err := audit.CheckInclusion(&q, "redact-test", rl.v); err != nil {
			t.Errorf("CheckInclusion(%d): %v", i, err)
		}
		if q.Redaction != nil {
			q.Redaction.Erasure.Body = strings.Replace(q.Redaction.Erasure.Body, `"index":`, `"index":1`, 1)
			if _, err := audit.CheckInclusion(&q, "redact-test", rl.v); err == nil {
				t.Errorf("CheckInclusion(%d) accepts a forged erasure entry", i)
			}
		}
	}
	// Consistency between the checkpoints before and after the redaction
	// still holds.
	if _, err := rl.l.ProveConsistency(ctx, 4, 6); err != nil {
		t.Fatal(err)
	}
	h4, _ := rl.l.TreeHash(ctx, 4)
	h6, _ := rl.l.TreeHash(ctx, 6)
	p, _ := rl.l.ProveConsistency(ctx, 4, 6)
	if err := tlog.CheckTree(p, 6, h6, 4, h4); err != nil {
		t.Errorf("consistency 4→6 after redaction: %v", err)
	}
}

func TestRedactRefuses(t *testing.T) {
	ctx := context.Background()
	rl := newRedactedLog(t)
	er := audit.Entry{Time: redactAt, Actor: "retention", Role: "system", Action: audit.ActionErasure}
	for _, tc := range []struct {
		name string
		repl map[string]string
		e    audit.Entry
	}{
		{"short key", map[string]string{"short": "x"}, er},
		{"not an erasure", map[string]string{"person-bbbbbbbb": "x-erased"}, audit.Entry{Time: redactAt, Actor: "a", Role: "system", Action: "identify"}},
		{"detail already lists", map[string]string{"person-bbbbbbbb": "x-erased"}, audit.Entry{Time: redactAt, Actor: "a", Role: "system", Action: audit.ActionErasure, Detail: []byte(`{"redacted":[]}`)}},
	} {
		tx, _ := rl.db.BeginTx(ctx, nil)
		if _, _, err := audit.Redact(ctx, tx, tc.repl, tc.e); !errors.Is(err, audit.ErrRedaction) {
			t.Errorf("%s: Redact = %v, want ErrRedaction", tc.name, err)
		}
		tx.Rollback()
	}
	// Redacting again changes nothing, is logged, and keeps the log valid.
	tx, _ := rl.db.BeginTx(ctx, nil)
	if n, idx, err := audit.Redact(ctx, tx, map[string]string{"person-aaaaaaaa": "erased:1234"}, er); err != nil || n != 0 || idx != 6 {
		t.Fatalf("second Redact = %d, %d, %v", n, idx, err)
	}
	tx.Commit()
	// Redacting an already redacted entry further keeps its original leaf
	// and moves its erasure to the new entry.
	tx, _ = rl.db.BeginTx(ctx, nil)
	if n, idx, err := audit.Redact(ctx, tx, map[string]string{"person-bbbbbbbb": "erased:5678"}, er); err != nil || n != 2 || idx != 7 {
		t.Fatalf("third Redact = %d, %d, %v", n, idx, err)
	}
	tx.Commit()
	sum, err := rl.l.VerifySummary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Redacted) != 3 || sum.Redacted[0].Erasure != 7 || sum.Redacted[1].Erasure != 7 || sum.Redacted[2].Erasure != 4 {
		t.Errorf("redactions after a second one: %+v", sum.Redacted)
	}
	// Not yet checkpointed: export says so rather than exporting what
	// cannot be checked; after a checkpoint it checks.
	if _, err := rl.export(t, 0, -1); !errors.Is(err, audit.ErrNotCheckpointed) {
		t.Fatalf("export with a redaction after the checkpoint = %v, want ErrNotCheckpointed", err)
	}
	if _, err := rl.l.ProveInclusion(ctx, 0); !errors.Is(err, audit.ErrNotCheckpointed) {
		t.Fatalf("proof of an entry redacted after the checkpoint = %v, want ErrNotCheckpointed", err)
	}
	rl.l.Checkpoint(ctx)
	b, err := rl.export(t, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := audit.CheckExport(bytes.NewReader(b), rl.v); err != nil {
		t.Fatal(err)
	}
}

// TestRedactTampering: altering, deleting, reordering an entry or forging
// a redaction is still detected by Verify, by the offline export check
// and by inclusion proofs.
func TestRedactTampering(t *testing.T) {
	leaf := func(i int64) string { return fmt.Sprint(tlog.StoredHashIndex(0, i)) }
	for _, tc := range []struct {
		name  string
		sql   []string
		prove int64 // entry whose inclusion proof must fail (-1: none)
	}{
		{"alter unredacted entry", []string{`UPDATE audit_entries SET body = replace(body, 'person-bbbbbbbb', 'person-zzzzzzzz') WHERE idx = 1`}, 1},
		{"alter redacted entry", []string{`UPDATE audit_entries SET body = replace(body, 'erased:1234', 'erased:9999') WHERE idx = 2`}, 2},
		{"alter erasure entry", []string{`UPDATE audit_entries SET body = replace(body, '"reason":"log retention"', '"reason":"log retentio"') WHERE idx = 4`}, 4},
		{"delete entry", []string{`DELETE FROM audit_entries WHERE idx = 3`}, 3},
		{"delete last entry", []string{`DELETE FROM audit_entries WHERE idx = 5`}, 5},
		{"reorder entries", []string{
			`UPDATE audit_entries SET idx = 100 WHERE idx = 1`,
			`UPDATE audit_entries SET idx = 1 WHERE idx = 3`,
			`UPDATE audit_entries SET idx = 3 WHERE idx = 100`}, 1},
		{"forge redaction", []string{
			`UPDATE audit_entries SET body = replace(body, 'person-cccccccc', 'erased:0000') WHERE idx = 3`,
			`INSERT INTO audit_redactions(idx, leaf, at, erasure) SELECT 3, hash, 0, 4 FROM audit_hashes WHERE id = ` + leaf(3)}, 3},
		{"forge redaction by a non-erasure", []string{
			`UPDATE audit_entries SET body = replace(body, 'person-cccccccc', 'erased:0000') WHERE idx = 3`,
			`INSERT INTO audit_redactions(idx, leaf, at, erasure) SELECT 3, hash, 0, 5 FROM audit_hashes WHERE id = ` + leaf(3)}, 3},
		{"forge redaction by an earlier erasure", []string{
			`UPDATE audit_entries SET body = replace(body, 'person-dddddddd', 'erased:0000') WHERE idx = 5`,
			`INSERT INTO audit_redactions(idx, leaf, at, erasure) SELECT 5, hash, 0, 4 FROM audit_hashes WHERE id = ` + leaf(5)}, 5},
		{"forge redaction without erasure", []string{
			`UPDATE audit_entries SET body = replace(body, 'person-cccccccc', 'erased:0000') WHERE idx = 3`,
			`INSERT INTO audit_redactions(idx, leaf, at) SELECT 3, hash, 0 FROM audit_hashes WHERE id = ` + leaf(3)}, 3},
		{"redaction moved to another erasure", []string{`UPDATE audit_redactions SET erasure = 5 WHERE idx = 0`}, 0},
		{"redaction row deleted", []string{`DELETE FROM audit_redactions WHERE idx = 2`}, 2},
		{"redaction leaf altered", []string{`UPDATE audit_redactions SET leaf = (SELECT hash FROM audit_hashes WHERE id = ` + leaf(1) + `) WHERE idx = 0`}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			rl := newRedactedLog(t)
			for _, q := range tc.sql {
				if _, err := rl.db.Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			if err := rl.l.Verify(ctx); !errors.Is(err, audit.ErrCorrupt) {
				t.Errorf("Verify = %v, want ErrCorrupt", err)
			}
			if b, err := rl.export(t, 0, -1); err == nil {
				if _, err := audit.CheckExport(bytes.NewReader(b), rl.v); !errors.Is(err, audit.ErrBadExport) {
					t.Errorf("CheckExport of the full export = %v, want ErrBadExport", err)
				}
			}
			if b, err := rl.export(t, tc.prove, tc.prove+1); err == nil {
				if _, err := audit.CheckExport(bytes.NewReader(b), rl.v); !errors.Is(err, audit.ErrBadExport) {
					t.Errorf("CheckExport of entry %d = %v, want ErrBadExport", tc.prove, err)
				}
			}
			if p, err := rl.l.ProveInclusion(ctx, tc.prove); err == nil {
				if _, err := audit.CheckInclusion(p, "redact-test", rl.v); err == nil {
					t.Errorf("CheckInclusion(%d) accepts the tampered entry", tc.prove)
				}
			}
		})
	}
}

package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
	_ "modernc.org/sqlite"
)

// openDB opens a fresh SQLite database the way the node does (WAL,
// immediate write transactions) and creates the audit tables.
func openDB(t testing.TB) *sql.DB { return openDBLock(t, "immediate") }

func openDBLock(t testing.TB, txlock string) *sql.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bix.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(20000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock="+txlock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := Init(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	if err := Init(context.Background(), db); err != nil {
		t.Fatalf("Init is not idempotent: %v", err)
	}
	return db
}

func newSigner(t testing.TB, name string) *Signer {
	t.Helper()
	skey, vkey, err := GenerateKey(name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	if s.VerifierKey() != vkey {
		t.Fatalf("derived verifier key %q, want %q", s.VerifierKey(), vkey)
	}
	return s
}

var t0 = time.Date(2026, 11, 28, 12, 0, 0, 123456789, time.UTC)

func testEntry(i int) Entry {
	return Entry{
		Time:          t0.Add(time.Duration(i) * time.Second),
		Actor:         fmt.Sprintf("officer-%d", i%3),
		Role:          "officer",
		Action:        ActionEnroll,
		Purpose:       "border_control",
		LegalBasis:    "Act 12 s.4",
		Objects:       []string{fmt.Sprintf("rec-%d", i)},
		RequestHash:   Hash([]byte(fmt.Sprint("req", i))),
		AgreementHash: Hash([]byte("agreement")),
		Detail:        json.RawMessage(fmt.Sprintf(`{"n": %d, "ok": true}`, i)),
	}
}

func appendOne(t testing.TB, db *sql.DB, e Entry) int64 {
	t.Helper()
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := Append(ctx, tx, e)
	if err != nil {
		tx.Rollback()
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return idx
}

// newLog returns a log with n entries and a checkpoint after each of the
// sizes in cps.
func newLog(t testing.TB, name string, n int, cps ...int) (*Log, *sql.DB) {
	t.Helper()
	db := openDB(t)
	l := Open(db, newSigner(t, name), name)
	ctx := context.Background()
	for i := 0; i < n; i++ {
		if got := appendOne(t, db, testEntry(i)); got != int64(i) {
			t.Fatalf("Append #%d returned index %d", i, got)
		}
		for _, c := range cps {
			if c == i+1 {
				if _, err := l.Checkpoint(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return l, db
}

// memoryRoot computes the tree hash of entries 0..n-1 in memory with tlog.
func memoryRoot(t *testing.T, n int, entry func(int) Entry) tlog.Hash {
	var hashes []tlog.Hash
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hashes[x]
		}
		return out, nil
	})
	for i := 0; i < n; i++ {
		body, err := entry(i).Canonical()
		if err != nil {
			t.Fatal(err)
		}
		hs, err := tlog.StoredHashes(int64(i), body, r)
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, hs...)
	}
	h, err := tlog.TreeHash(int64(n), r)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestAppendVerify(t *testing.T) {
	ctx := context.Background()
	for _, n := range []int{0, 1, 2, 3, 7, 8, 33} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			l, _ := newLog(t, "test.example/log", n, 1, 5, n)
			sum, err := l.VerifySummary(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Size != int64(n) || !sum.Signed {
				t.Errorf("summary %+v, want size %d signed", sum, n)
			}
			if want := memoryRoot(t, n, testEntry); sum.Root != want {
				t.Errorf("root %v, want %v", sum.Root, want)
			}
			th, err := l.TreeHash(ctx, int64(n))
			if err != nil || th != sum.Root {
				t.Errorf("TreeHash = %v, %v; want %v", th, err, sum.Root)
			}
		})
	}
}

func TestAppendRollsBackWithTransaction(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	appendOne(t, db, testEntry(0))
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if idx, err := Append(ctx, tx, testEntry(1)); err != nil || idx != 1 {
		t.Fatalf("Append = %d, %v", idx, err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if idx := appendOne(t, db, testEntry(2)); idx != 1 {
		t.Errorf("after rollback, next index = %d, want 1", idx)
	}
	l := Open(db, newSigner(t, "x"), "x")
	if err := l.Verify(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestAppendRejectsInvalid(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	bad := []Entry{
		{},
		{Time: t0, Role: "r", Action: "enroll"},
		{Time: t0, Actor: "a", Role: "r", Action: "Enroll!"},
		{Time: t0, Actor: "a", Role: "r", Action: "enroll", Detail: json.RawMessage(`[1]`)},
		{Time: t0, Actor: "a", Role: "r", Action: "enroll", Detail: json.RawMessage(`{"a":1} {}`)},
		{Time: t0, Actor: "a\xff", Role: "r", Action: "enroll"},
		{Time: t0, Actor: "a", Role: "r", Action: "enroll", Objects: make([]string, maxObjects+1)},
		{Time: t0, Actor: "a", Role: "r", Action: "enroll", Detail: json.RawMessage(`{"id":9007199254740993}`)},
	}
	for i, e := range bad {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Append(ctx, tx, e); !errors.Is(err, ErrInvalidEntry) {
			t.Errorf("entry %d: err = %v, want ErrInvalidEntry", i, err)
		}
		tx.Rollback()
	}
	if n, _ := size(ctx, db); n != 0 {
		t.Errorf("log has %d entries after invalid appends", n)
	}
}

// TestConcurrentAppends checks that appends from concurrent transactions
// serialise into one gap-free log.
func TestConcurrentAppends(t *testing.T) {
	for _, lock := range []string{"immediate", "deferred"} {
		t.Run(lock, func(t *testing.T) { testConcurrentAppends(t, lock) })
	}
}

func testConcurrentAppends(t *testing.T, txlock string) {
	ctx := context.Background()
	db := openDBLock(t, txlock)
	const workers, each = 4, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	seen := make(chan int64, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					errs <- err
					return
				}
				idx, err := Append(ctx, tx, testEntry(w*each+i))
				if err != nil {
					tx.Rollback()
					errs <- err
					return
				}
				if err := tx.Commit(); err != nil {
					errs <- err
					return
				}
				seen <- idx
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	close(seen)
	for err := range errs {
		t.Fatal(err)
	}
	got := map[int64]bool{}
	for idx := range seen {
		if got[idx] {
			t.Errorf("index %d given twice", idx)
		}
		got[idx] = true
	}
	for i := int64(0); i < workers*each; i++ {
		if !got[i] {
			t.Errorf("index %d never given", i)
		}
	}
	if err := Open(db, newSigner(t, "x"), "x").Verify(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestCheckpoint(t *testing.T) {
	ctx := context.Background()
	l, db := newLog(t, "bix.example/us", 5)
	c1, err := l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := "bix.example/us\n5\n"
	if !bytes.HasPrefix(c1, []byte(want)) {
		t.Errorf("checkpoint starts %q, want %q", c1[:min(len(c1), 20)], want)
	}
	c2, err := l.Checkpoint(ctx)
	if err != nil || !bytes.Equal(c1, c2) {
		t.Errorf("second Checkpoint without appends gave a new one (%v)", err)
	}
	appendOne(t, db, testEntry(5))
	c3, err := l.Checkpoint(ctx)
	if err != nil || !bytes.HasPrefix(c3, []byte("bix.example/us\n6\n")) {
		t.Errorf("Checkpoint after append = %q, %v", c3, err)
	}
	if latest, _ := l.LatestCheckpoint(ctx); !bytes.Equal(latest, c3) {
		t.Errorf("LatestCheckpoint differs from the last made")
	}
	// The checkpoint is a valid C2SP signed note.
	v := l.verifier
	if _, err := note.Open(c3, note.VerifierList(v)); err != nil {
		t.Error(err)
	}
}

func TestRunCheckpoints(t *testing.T) {
	l, _ := newLog(t, "x", 3)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx, time.Millisecond, func(err error) { t.Error(err) }); close(done) }()
	for {
		if c, _ := l.LatestCheckpoint(context.Background()); c != nil {
			break
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
}

// tamper describes one way of changing the stored log behind its back.
type tamper struct {
	name string
	sql  []string
	// args builds statement arguments.
	args func(t *testing.T) [][]any
}

func otherBody(t *testing.T, i int) []byte {
	e := testEntry(i)
	e.Actor = "someone-else"
	b, err := e.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestVerifyDetectsTampering alters, deletes, inserts and reorders stored
// entries, hashes and checkpoints, and checks that Verify notices each.
func TestVerifyDetectsTampering(t *testing.T) {
	ctx := context.Background()
	noArgs := func(*testing.T) [][]any { return nil }
	tampers := []tamper{
		{"alter entry", []string{`UPDATE audit_entries SET body = ? WHERE idx = 3`}, func(t *testing.T) [][]any { return [][]any{{otherBody(t, 3)}} }},
		{"alter entry non-canonically", []string{`UPDATE audit_entries SET body = CAST(replace(CAST(body AS TEXT), '"actor":', '"actor" :') AS BLOB) WHERE idx = 2`}, noArgs},
		{"delete entry", []string{`DELETE FROM audit_entries WHERE idx = 4`}, noArgs},
		{"delete first entry", []string{`DELETE FROM audit_entries WHERE idx = 0`}, noArgs},
		{"delete last entry", []string{`DELETE FROM audit_entries WHERE idx = 9`}, noArgs},
		{"delete last entry and its hashes", []string{`DELETE FROM audit_entries WHERE idx = 9`, `DELETE FROM audit_hashes WHERE id >= ?`},
			func(*testing.T) [][]any { return [][]any{nil, {tlog.StoredHashIndex(0, 9)}} }},
		{"swap two entries", []string{
			`UPDATE audit_entries SET idx = -1 WHERE idx = 2`,
			`UPDATE audit_entries SET idx = 2 WHERE idx = 5`,
			`UPDATE audit_entries SET idx = 5 WHERE idx = -1`}, noArgs},
		{"alter stored hash", []string{`UPDATE audit_hashes SET hash = zeroblob(32) WHERE id = 7`}, noArgs},
		{"delete stored hash", []string{`DELETE FROM audit_hashes WHERE id = 7`}, noArgs},
		{"append entry without hashes", []string{`INSERT INTO audit_entries(idx, body) VALUES (10, ?)`}, func(t *testing.T) [][]any { return [][]any{{otherBody(t, 10)}} }},
		{"alter checkpoint", []string{`UPDATE audit_checkpoints SET signed = CAST(replace(CAST(signed AS TEXT), char(10) || '4' || char(10), char(10) || '3' || char(10)) AS BLOB) WHERE size = 4`}, noArgs},
		{"move checkpoint", []string{`UPDATE audit_checkpoints SET size = 5 WHERE size = 4`}, noArgs},
	}
	for _, tc := range tampers {
		t.Run(tc.name, func(t *testing.T) {
			l, db := newLog(t, "bix.example/us", 10, 4, 10)
			if err := l.Verify(ctx); err != nil {
				t.Fatalf("untouched log: %v", err)
			}
			args := tc.args(t)
			for i, q := range tc.sql {
				var a []any
				if i < len(args) {
					a = args[i]
				}
				res, err := db.ExecContext(ctx, q, a...)
				if err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				if n, _ := res.RowsAffected(); n == 0 {
					t.Fatalf("%s changed nothing", q)
				}
			}
			err := l.Verify(ctx)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Verify after %s = %v, want ErrCorrupt", tc.name, err)
			}
			t.Log(err)
		})
	}
}

// rewrittenLog builds the log an attacker holding the signing key would
// make to hide a change: entries rebuilt from scratch with all hashes and a
// new signed checkpoint.
func rewrittenLog(t *testing.T, s *Signer, origin string, entries []Entry) *Log {
	db := openDB(t)
	for _, e := range entries {
		appendOne(t, db, e)
	}
	l := Open(db, s, origin)
	if _, err := l.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := l.Verify(context.Background()); err != nil {
		t.Fatalf("rewritten log does not verify locally: %v", err)
	}
	return l
}

// TestPartnerDetectsRewrite checks that a partner that witnessed a
// checkpoint detects a log rewritten to alter, delete or reorder an entry,
// even when the rewrite is self-consistent and re-signed with the log key.
func TestPartnerDetectsRewrite(t *testing.T) {
	ctx := context.Background()
	const origin = "bix.example/co"
	orig := make([]Entry, 8)
	for i := range orig {
		orig[i] = testEntry(i)
	}
	cases := map[string]func() []Entry{
		"alter": func() []Entry {
			es := append([]Entry(nil), orig...)
			es[3].Actor = "someone-else"
			return append(es, testEntry(8), testEntry(9))
		},
		"delete": func() []Entry {
			es := append(append([]Entry(nil), orig[:3]...), orig[4:]...)
			return append(es, testEntry(8), testEntry(9), testEntry(10))
		},
		"reorder": func() []Entry {
			es := append([]Entry(nil), orig...)
			es[1], es[6] = es[6], es[1]
			return append(es, testEntry(8))
		},
		"truncate": func() []Entry { return append([]Entry(nil), orig[:5]...) },
		"honest":   func() []Entry { return append(append([]Entry(nil), orig...), testEntry(8), testEntry(9)) },
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			coKey := newSigner(t, origin)
			co := rewrittenLog(t, coKey, origin, orig)
			us := Open(openDB(t), newSigner(t, "bix.example/us"), "bix.example/us")

			c1, _ := co.LatestCheckpoint(ctx)
			if _, err := us.Witness(ctx, coKey.Verifier(), origin, c1, nil); err != nil {
				t.Fatal(err)
			}
			_, lastSize, _ := us.LastWitnessed(ctx, origin)

			co2 := rewrittenLog(t, coKey, origin, f())
			c2, _ := co2.LatestCheckpoint(ctx)
			n2, _ := co2.Size(ctx)
			var proof tlog.TreeProof
			if lastSize <= n2 {
				var err error
				if proof, err = co2.ProveConsistency(ctx, lastSize, n2); err != nil {
					t.Fatal(err)
				}
			}
			_, err := us.Witness(ctx, coKey.Verifier(), origin, c2, proof)
			alerts, aerr := us.Alerts(ctx)
			if aerr != nil {
				t.Fatal(aerr)
			}
			switch name {
			case "honest":
				if err != nil || len(alerts) != 0 {
					t.Fatalf("honest extension: err %v, alerts %v", err, alerts)
				}
			case "truncate":
				if !errors.Is(err, ErrStale) {
					t.Fatalf("truncated log: err %v, want ErrStale", err)
				}
			default:
				if !errors.Is(err, ErrInconsistent) {
					t.Fatalf("rewritten log (%s): err %v, want ErrInconsistent", name, err)
				}
				if len(alerts) != 1 || alerts[0].Origin != origin || alerts[0].Kind != "inconsistent" || !bytes.Contains(alerts[0].Evidence, c2) {
					t.Fatalf("alerts = %+v", alerts)
				}
			}
		})
	}
}

func TestWitness(t *testing.T) {
	ctx := context.Background()
	const origin = "bix.example/co"
	co, codb := newLog(t, origin, 4, 4)
	coV := co.verifier
	usKey := newSigner(t, "bix.example/us")
	us := Open(openDB(t), usKey, "bix.example/us")

	c4, _ := co.LatestCheckpoint(ctx)
	// Wrong key, wrong origin, garbage.
	if _, err := us.Witness(ctx, usKey.Verifier(), origin, c4, nil); !errors.Is(err, ErrBadCheckpoint) {
		t.Errorf("wrong key: %v", err)
	}
	if _, err := us.Witness(ctx, coV, "other", c4, nil); !errors.Is(err, ErrBadCheckpoint) {
		t.Errorf("wrong origin: %v", err)
	}
	if _, err := us.Witness(ctx, coV, origin, []byte("garbage"), nil); !errors.Is(err, ErrBadCheckpoint) {
		t.Errorf("garbage: %v", err)
	}
	cos4, err := us.Witness(ctx, coV, origin, c4, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Cosigned: both signatures verify.
	n, err := note.Open(cos4, note.VerifierList(coV, usKey.CosignatureVerifier()))
	if err != nil || len(n.Sigs) != 2 {
		t.Fatalf("cosigned note: %v, %d sigs", err, len(n.Sigs))
	}
	// Same checkpoint again: idempotent.
	if again, err := us.Witness(ctx, coV, origin, c4, nil); err != nil || !bytes.Equal(again, cos4) {
		t.Errorf("witnessing again: %v", err)
	}
	// The partner adds the cosignature to its own checkpoint.
	if err := co.AddCosignature(ctx, cos4, usKey.CosignatureVerifier()); err != nil {
		t.Fatal(err)
	}
	if err := co.AddCosignature(ctx, cos4, usKey.CosignatureVerifier()); err != nil {
		t.Fatalf("adding the same cosignature twice: %v", err)
	}
	stored, _ := co.LatestCheckpoint(ctx)
	if n, err := note.Open(stored, note.VerifierList(coV, usKey.CosignatureVerifier())); err != nil || len(n.Sigs) != 2 {
		t.Fatalf("stored checkpoint after AddCosignature: %v", err)
	}
	if err := co.Verify(ctx); err != nil {
		t.Fatalf("Verify with cosigned checkpoint: %v", err)
	}

	// Extension with a valid proof.
	for i := 4; i < 9; i++ {
		appendOne(t, codb, testEntry(i))
	}
	c9, _ := co.Checkpoint(ctx)
	p, err := co.ProveConsistency(ctx, 4, 9)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := us.Witness(ctx, coV, origin, c9, nil); !errors.Is(err, ErrInconsistent) {
		t.Errorf("extension without proof: %v", err)
	}
	if _, err := us.Witness(ctx, coV, origin, c9, p); err != nil {
		t.Fatalf("extension with proof: %v", err)
	}
	if _, err := us.Witness(ctx, coV, origin, c4, nil); err != nil {
		t.Errorf("re-presenting an already witnessed checkpoint: %v", err)
	}
	// A fork: another checkpoint of size 9 with a different root, signed
	// with the same key.
	fork := rewrittenLog(t, co.signer.(*Signer), origin, append([]Entry{testEntry(100)}, func() []Entry {
		var es []Entry
		for i := 1; i < 9; i++ {
			es = append(es, testEntry(i))
		}
		return es
	}()...))
	f9, _ := fork.LatestCheckpoint(ctx)
	if _, err := us.Witness(ctx, coV, origin, f9, nil); !errors.Is(err, ErrInconsistent) {
		t.Errorf("fork: %v", err)
	}
	alerts, _ := us.Alerts(ctx)
	if len(alerts) != 2 || alerts[1].Kind != "fork" {
		t.Errorf("alerts = %+v", alerts)
	}
}

func TestEntriesOnlyForAuditor(t *testing.T) {
	ctx := context.Background()
	l, _ := newLog(t, "x", 3)
	if _, err := l.Entries(ctx, "officer", 0, 3); !errors.Is(err, ErrForbidden) {
		t.Errorf("officer read entries: %v", err)
	}
	es, err := l.Entries(ctx, RoleAuditor, 1, 3)
	if err != nil || len(es) != 2 || es[0].Index != 1 || es[1].Entry.Objects[0] != "rec-2" {
		t.Fatalf("Entries = %+v, %v", es, err)
	}
	if !es[0].Entry.Time.Equal(testEntry(1).Time) {
		t.Errorf("time round trip: %v", es[0].Entry.Time)
	}
}

func TestProveInclusion(t *testing.T) {
	ctx := context.Background()
	l, db := newLog(t, "bix.example/us", 11, 11)
	for i := int64(0); i < 11; i++ {
		p, err := l.ProveInclusion(ctx, i)
		if err != nil {
			t.Fatal(err)
		}
		e, err := CheckInclusion(p, "bix.example/us", l.verifier)
		if err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		if e.Objects[0] != fmt.Sprintf("rec-%d", i) {
			t.Errorf("entry %d: wrong entry %+v", i, e)
		}
		// A proof for another body fails.
		p.Body = string(otherBody(t, int(i)))
		if _, err := CheckInclusion(p, "bix.example/us", l.verifier); err == nil {
			t.Errorf("entry %d: altered body passed", i)
		}
	}
	appendOne(t, db, testEntry(11))
	if _, err := l.ProveInclusion(ctx, 11); !errors.Is(err, ErrNotCheckpointed) {
		t.Errorf("uncheckpointed entry: %v", err)
	}
	if _, err := l.ProveInclusion(ctx, 12); !errors.Is(err, ErrNoEntry) {
		t.Errorf("missing entry: %v", err)
	}
}

func TestExport(t *testing.T) {
	ctx := context.Background()
	l, db := newLog(t, "bix.example/us", 13, 1, 6, 8, 13)
	witness := newSigner(t, "bix.example/co")
	w := Open(openDB(t), witness, "bix.example/co")
	c, _ := l.LatestCheckpoint(ctx)
	cos, err := w.Witness(ctx, l.verifier, "bix.example/us", c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.AddCosignature(ctx, cos, witness.CosignatureVerifier()); err != nil {
		t.Fatal(err)
	}
	appendOne(t, db, testEntry(13)) // not checkpointed: not exported

	var full, part bytes.Buffer
	if err := l.Export(ctx, &full); err != nil {
		t.Fatal(err)
	}
	if err := l.ExportRange(ctx, &part, 3, 9); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"full": full.Bytes(), "part": part.Bytes()} {
		rep, err := CheckExport(bytes.NewReader(b), l.verifier, witness.CosignatureVerifier())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if rep.Size != 13 || rep.Checkpoints != 4 || len(rep.Cosigners) != 1 || rep.Cosigners[0] != "bix.example/co" {
			t.Errorf("%s: report %+v", name, rep)
		}
		if name == "part" && (len(rep.Entries) != 6 || rep.Entries[0].Index != 3) {
			t.Errorf("part: %d entries from %d", len(rep.Entries), rep.Entries[0].Index)
		}
		// Wrong key.
		if _, err := CheckExport(bytes.NewReader(b), witness.Verifier()); !errors.Is(err, ErrBadExport) {
			t.Errorf("%s: wrong key: %v", name, err)
		}
	}

	// Tampered exports.
	edits := map[string]func(x *Export){
		"alter entry":        func(x *Export) { x.Entries[4].Body = string(otherBody(t, 4)) },
		"delete entry":       func(x *Export) { x.Entries = append(x.Entries[:4], x.Entries[5:]...) },
		"delete and shift":   func(x *Export) { x.Entries = append(x.Entries[:4], x.Entries[5:]...); x.To--; x.shiftIndexes(4) },
		"reorder entries":    func(x *Export) { x.Entries[2].Body, x.Entries[7].Body = x.Entries[7].Body, x.Entries[2].Body },
		"drop checkpoint":    func(x *Export) { x.Checkpoints = x.Checkpoints[:len(x.Checkpoints)-1] },
		"swap checkpoints":   func(x *Export) { x.Checkpoints[1], x.Checkpoints[2] = x.Checkpoints[2], x.Checkpoints[1] },
		"bad consistency":    func(x *Export) { x.Checkpoints[1].Consistency[0][0] ^= 1 },
		"change origin":      func(x *Export) { x.Origin = "bix.example/co" },
		"fewer than claimed": func(x *Export) { x.Entries = x.Entries[:10] },
	}
	for name, edit := range edits {
		var x Export
		if err := json.Unmarshal(full.Bytes(), &x); err != nil {
			t.Fatal(err)
		}
		edit(&x)
		b, _ := json.Marshal(&x)
		if _, err := CheckExport(bytes.NewReader(b), l.verifier); !errors.Is(err, ErrBadExport) {
			t.Errorf("%s: CheckExport = %v, want ErrBadExport", name, err)
		}
	}
	var x Export
	json.Unmarshal(part.Bytes(), &x)
	x.Entries[1].Body = string(otherBody(t, 4))
	b, _ := json.Marshal(&x)
	if _, err := CheckExport(bytes.NewReader(b), l.verifier); !errors.Is(err, ErrBadExport) {
		t.Errorf("partial export with altered entry: %v", err)
	}
}

func (x *Export) shiftIndexes(from int) {
	for i := from; i < len(x.Entries); i++ {
		x.Entries[i].Index--
	}
}

func TestExportWithoutCheckpoint(t *testing.T) {
	l, _ := newLog(t, "x", 2)
	if err := l.Export(context.Background(), &bytes.Buffer{}); !errors.Is(err, ErrNotCheckpointed) {
		t.Errorf("Export = %v", err)
	}
}

func TestNewSignerRejects(t *testing.T) {
	for _, k := range []string{"", "PRIVATE+KEY+x+00000000+AAAA", "x+1234+abc"} {
		if _, err := NewSigner(k); err == nil {
			t.Errorf("NewSigner(%q) succeeded", k)
		}
	}
}

// FuzzCheckExport checks that CheckExport never panics on a mangled export
// and never accepts one whose entries differ from the log's.
func FuzzCheckExport(f *testing.F) {
	ctx := context.Background()
	l, _ := newLog(f, "bix.example/us", 6, 2, 6)
	var full, part bytes.Buffer
	if err := l.Export(ctx, &full); err != nil {
		f.Fatal(err)
	}
	if err := l.ExportRange(ctx, &part, 1, 4); err != nil {
		f.Fatal(err)
	}
	f.Add(full.Bytes())
	f.Add(part.Bytes())
	want := map[int64]string{}
	for i := 0; i < 6; i++ {
		b, _ := testEntry(i).Canonical()
		want[int64(i)] = string(b)
	}
	v := l.verifier
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := CheckExport(bytes.NewReader(b), v)
		if err != nil {
			return
		}
		for _, e := range rep.Entries {
			got, _ := e.Entry.Canonical()
			if want[e.Index] != string(got) {
				t.Fatalf("accepted entry %d that is not in the log: %s", e.Index, got)
			}
		}
	})
}

func TestCosignatureV1(t *testing.T) {
	s := newSigner(t, "witness.example/w1")
	c := s.Cosigner()
	c.now = func() time.Time { return time.Unix(1679315147, 0) }
	body := []byte("example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n")
	sig, err := c.Sign(body)
	if err != nil {
		t.Fatal(err)
	}
	// The signed message is the one tlog-cosignature specifies.
	msg := "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
	if len(sig) != 72 || binary.BigEndian.Uint64(sig) != 1679315147 || !ed25519.Verify(s.priv.Public().(ed25519.PublicKey), []byte(msg), sig[8:]) {
		t.Fatal("cosignature is not timestamp || Ed25519(cosignature/v1 message)")
	}
	// Key ID: SHA-256(name || "\n" || 0x04 || key)[:4].
	h := sha256.Sum256(append([]byte("witness.example/w1\n\x04"), s.priv.Public().(ed25519.PublicKey)...))
	if c.KeyHash() != binary.BigEndian.Uint32(h[:4]) {
		t.Errorf("key ID %08x, want %x", c.KeyHash(), h[:4])
	}
	v, err := NewCosignatureVerifier(s.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	if v.KeyHash() != c.KeyHash() || v.Name() != c.Name() || !v.Verify(body, sig) {
		t.Fatal("verifier from the vkey does not verify")
	}
	if v.Verify(append(body, 'x'), sig) || v.Verify(body, sig[:71]) {
		t.Fatal("verifier accepted a wrong message or signature")
	}
	// A plain note signature by the same key is not a cosignature.
	if v.KeyHash() == s.Verifier().KeyHash() {
		t.Error("cosignature key ID equals the plain key hash")
	}
	signed, err := note.Sign(&note.Note{Text: string(body)}, c)
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		t.Fatal(err)
	}
	if ts, err := CosignatureTime(n.Sigs[0]); err != nil || ts.Unix() != 1679315147 {
		t.Errorf("CosignatureTime = %v, %v", ts, err)
	}
	for _, bad := range []string{"", "x+00000000+AAAA", s.VerifierKey() + "x"} {
		if _, err := NewCosignatureVerifier(bad); err == nil {
			t.Errorf("NewCosignatureVerifier(%q) succeeded", bad)
		}
	}
}

// rehashInPlace is what an attacker with the database and the signing key
// does after editing audit_entries: recompute every stored hash, drop the
// old checkpoints and sign a new one, so that Verify passes locally.
func rehashInPlace(t *testing.T, l *Log, db *sql.DB) {
	ctx := context.Background()
	rows, err := db.Query(`SELECT body FROM audit_entries ORDER BY idx`)
	if err != nil {
		t.Fatal(err)
	}
	var bodies [][]byte
	for rows.Next() {
		var b []byte
		rows.Scan(&b)
		bodies = append(bodies, b)
	}
	rows.Close()
	var hashes []tlog.Hash
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hashes[x]
		}
		return out, nil
	})
	for i, b := range bodies {
		hs, err := tlog.StoredHashes(int64(i), b, r)
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, hs...)
	}
	for _, q := range []string{`DELETE FROM audit_hashes`, `DELETE FROM audit_checkpoints`, `DELETE FROM audit_entries`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	for i, b := range bodies {
		db.Exec(`INSERT INTO audit_entries(idx, body) VALUES (?, ?)`, i, b)
	}
	for i, h := range hashes {
		db.Exec(`INSERT INTO audit_hashes(id, hash) VALUES (?, ?)`, i, h[:])
	}
	if _, err := l.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.Verify(ctx); err != nil {
		t.Fatalf("after the attacker's rehash, Verify still fails: %v", err)
	}
}

// TestPartnerDetectsInPlaceTampering edits the stored entries of a log
// that a partner witnessed, covers the edit by recomputing all hashes and
// re-signing, and checks that the partner's consistency check catches it.
func TestPartnerDetectsInPlaceTampering(t *testing.T) {
	ctx := context.Background()
	const origin = "bix.example/co"
	for name, edit := range map[string][]string{
		"alter":   {`UPDATE audit_entries SET body = CAST(replace(CAST(body AS TEXT), 'officer-1', 'officer-2') AS BLOB) WHERE idx = 4`},
		"delete":  {`DELETE FROM audit_entries WHERE idx = 3`, `UPDATE audit_entries SET idx = idx - 1 WHERE idx > 3`},
		"reorder": {`UPDATE audit_entries SET idx = -1 WHERE idx = 1`, `UPDATE audit_entries SET idx = 1 WHERE idx = 6`, `UPDATE audit_entries SET idx = 6 WHERE idx = -1`},
	} {
		t.Run(name, func(t *testing.T) {
			co, codb := newLog(t, origin, 8, 8)
			us := Open(openDB(t), newSigner(t, "bix.example/us"), "bix.example/us")
			c8, _ := co.LatestCheckpoint(ctx)
			if _, err := us.Witness(ctx, co.verifier, origin, c8, nil); err != nil {
				t.Fatal(err)
			}
			for _, q := range edit {
				if _, err := codb.Exec(q); err != nil {
					t.Fatal(err)
				}
			}
			if err := co.Verify(ctx); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Verify right after the edit: %v", err)
			}
			rehashInPlace(t, co, codb)
			// The log grows on; the attacker shows its next checkpoint.
			for i := 8; i < 11; i++ {
				appendOne(t, codb, testEntry(i))
			}
			if _, err := co.Checkpoint(ctx); err != nil {
				t.Fatal(err)
			}
			n, _ := co.Size(ctx)
			cNew, _ := co.LatestCheckpoint(ctx)
			proof, err := co.ProveConsistency(ctx, 8, n)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := us.Witness(ctx, co.verifier, origin, cNew, proof); !errors.Is(err, ErrInconsistent) {
				t.Fatalf("partner accepted the rewritten log: %v", err)
			}
			if alerts, _ := us.Alerts(ctx); len(alerts) != 1 {
				t.Fatalf("alerts = %+v", alerts)
			}
		})
	}
}

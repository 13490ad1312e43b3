package audit_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bixproject/bix/internal/audit"
	_ "modernc.org/sqlite"
)

func TestRedact(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+t.TempDir()+"/a.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := audit.Init(ctx, db); err != nil {
		t.Fatal(err)
	}
	skey, _, _ := audit.GenerateKey("redact-test")
	s, err := audit.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	l := audit.Open(db, s, "redact-test")
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	add := func(objs []string, detail string) {
		tx, _ := db.BeginTx(ctx, nil)
		e := audit.Entry{Time: at, Actor: "officer1", Role: "officer", Action: "identify", Objects: objs}
		if detail != "" {
			e.Detail = []byte(detail)
		}
		if _, err := audit.Append(ctx, tx, e); err != nil {
			t.Fatal(err)
		}
		tx.Commit()
	}
	add([]string{"person-aaaaaaaa"}, `{"candidates":["person-aaaaaaaa","person-bbbbbbbb"],"n":1.5}`)
	add([]string{"person-bbbbbbbb"}, "")
	add([]string{"encounter-1", "person-aaaaaaaa"}, "")
	if _, err := l.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	tx, _ := db.BeginTx(ctx, nil)
	if _, err := audit.Redact(ctx, tx, map[string]string{"short": "x"}, at); !errors.Is(err, audit.ErrRedaction) {
		t.Errorf("short key accepted: %v", err)
	}
	n, err := audit.Redact(ctx, tx, map[string]string{"person-aaaaaaaa": "erased:1234"}, at)
	if err != nil || n != 2 {
		t.Fatalf("Redact = %d, %v; want 2 entries", n, err)
	}
	tx.Commit()
	// Redacting again changes nothing and keeps the original leaf.
	tx, _ = db.BeginTx(ctx, nil)
	if n, err := audit.Redact(ctx, tx, map[string]string{"person-aaaaaaaa": "erased:1234"}, at); err != nil || n != 0 {
		t.Fatalf("second Redact = %d, %v", n, err)
	}
	tx.Commit()
	es, err := l.Entries(ctx, audit.RoleAuditor, 0, 3)
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
	if err := l.Verify(ctx); !errors.Is(err, audit.ErrCorrupt) {
		t.Errorf("plain Verify accepts a redacted log (%v): it must recompute leaves from bodies", err)
	}
	sum, err := l.VerifyRedacted(ctx)
	if err != nil || sum.Size != 3 || sum.Checkpoints != 1 {
		t.Fatalf("VerifyRedacted = %+v, %v", sum, err)
	}
	red, err := l.Redacted(ctx)
	if err != nil || len(red) != 2 || !red[0].Equal(at) {
		t.Errorf("Redacted = %v, %v", red, err)
	}
	// An unredacted entry altered, or a redacted one turned non-canonical,
	// is still caught.
	for _, q := range []string{
		`UPDATE audit_entries SET body = replace(body, 'person-bbbbbbbb', 'person-cccccccc') WHERE idx = 1`,
		`UPDATE audit_entries SET body = body || ' ' WHERE idx = 0`,
	} {
		var b0, b1 []byte
		db.QueryRow(`SELECT body FROM audit_entries WHERE idx = 0`).Scan(&b0)
		db.QueryRow(`SELECT body FROM audit_entries WHERE idx = 1`).Scan(&b1)
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
		if _, err := l.VerifyRedacted(ctx); !errors.Is(err, audit.ErrCorrupt) {
			t.Errorf("after %s: VerifyRedacted = %v", q, err)
		}
		db.Exec(`UPDATE audit_entries SET body = ? WHERE idx = 0`, b0)
		db.Exec(`UPDATE audit_entries SET body = ? WHERE idx = 1`, b1)
		if _, err := l.VerifyRedacted(ctx); err != nil {
			t.Fatalf("restored log: %v", err)
		}
	}
}

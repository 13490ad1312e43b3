package audit_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/bixproject/bix/internal/audit"
	_ "modernc.org/sqlite"
)

// Example shows how a node logs an action in the same transaction as the
// action itself, signs a checkpoint, and verifies the log.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "bix-audit-example")
	defer os.RemoveAll(dir)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "bix.db")+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_txlock=immediate")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if err := audit.Init(ctx, db); err != nil {
		log.Fatal(err)
	}
	skey, _, _ := audit.GenerateKey("bix.example/us")
	signer, _ := audit.NewSigner(skey)
	l := audit.Open(db, signer, "bix.example/us")

	tx, _ := db.BeginTx(ctx, nil)
	// ... the node stores the enrolled record in tx here ...
	idx, err := audit.Append(ctx, tx, audit.Entry{
		Time: time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC), Actor: "us-00c0ffee", Role: "officer",
		Action: audit.ActionEnroll, Purpose: "border_control", Objects: []string{"rec-8f3a"},
	})
	if err != nil {
		tx.Rollback() // the record and its audit entry roll back together
		log.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		log.Fatal(err)
	}
	if _, err := l.Checkpoint(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("entry", idx, "verify:", l.Verify(ctx))
	// Output: entry 0 verify: <nil>
}

package audit

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// BenchmarkAppend measures one audit entry appended in its own committed
// transaction (the cost an enrollment pays), against the same transaction
// with a plain one-row insert instead, as a baseline measured in the same run.
func BenchmarkAppend(b *testing.B) {
	ctx := context.Background()
	for _, sync := range []string{"NORMAL", "FULL"} {
		open := func(b *testing.B) *sql.DB {
			path := filepath.Join(b.TempDir(), "bix.db")
			db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(20000)&_pragma=journal_mode(WAL)&_pragma=synchronous("+sync+")&_txlock=immediate")
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { db.Close() })
			if err := Init(ctx, db); err != nil {
				b.Fatal(err)
			}
			if _, err := db.Exec(`CREATE TABLE baseline (id INTEGER PRIMARY KEY, body BLOB)`); err != nil {
				b.Fatal(err)
			}
			return db
		}
		e := testEntry(1)
		body, _ := e.Canonical()
		b.Run("sync="+sync+"/audit", func(b *testing.B) {
			db := open(b)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Append(ctx, tx, e); err != nil {
					b.Fatal(err)
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("sync="+sync+"/baseline-insert", func(b *testing.B) {
			db := open(b)
			b.ReportAllocs()
			for b.Loop() {
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO baseline(body) VALUES (?)`, body); err != nil {
					b.Fatal(err)
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	// Append alone inside one long transaction: the audit's own CPU cost.
	b.Run("in-tx", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "bix.db")
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_txlock=immediate")
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		if err := Init(ctx, db); err != nil {
			b.Fatal(err)
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer tx.Rollback()
		e := testEntry(1)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Append(ctx, tx, e); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkVerify measures recomputing the tree from the store.
func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	l, _ := newLog(b, "x", 2000, 2000)
	b.ResetTimer()
	for b.Loop() {
		if err := l.Verify(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/2000, "ns/entry")
}

package node

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bixproject/bix/internal/gallery"
	"github.com/bixproject/bix/internal/store"
	"github.com/bixproject/bix/synth"
)

// loadBenchKEK is the key-encryption key of the load benchmark's stores.
const loadBenchKEK = "101112131415161718191a1b1c1d1e1f000102030405060708090a0b0c0d0e0f"

// loadBenchSet returns the bench template maker of the load benchmark:
// 20 synth masters (the load does not depend on identities being distinct).
func loadBenchSet() *benchSet {
	b := &benchSet{cfg: BenchConfig{Seed: 1, Masters: 20}, masters: make([]benchMaster, 20)}
	parallel(len(b.masters), func(f int) {
		b.masters[f] = masterPoints(synth.NewFinger(synth.FingerSeed(1, f)))
	})
	return b
}

// BenchmarkLoadGallery times opening a node whose store holds
// BIX_LOAD_TEMPLATES finger templates (default 20,000; ten per person, one
// data key each), as bix serve and bix bench identify do, and reports the
// process CPU time per load and the latency of the first one-finger search
// after it (both outside the timed load). BIX_LOAD_SHORTLIST sets the
// gallery's pre-filter shortlist (default 0: exhaustive, every template
// prepared for the matcher at load). BIX_LOAD_DIR, when set, keeps the store there between runs
// (it is written when it holds no bix.db), so that profiles of large loads
// do not pay for the write:
//
//	BIX_LOAD_TEMPLATES=100000 BIX_LOAD_DIR=/tmp/load100k go test ./internal/node \
//	    -run '^$' -bench LoadGallery -benchtime 3x -cpuprofile load.prof
func BenchmarkLoadGallery(b *testing.B) {
	ctx := context.Background()
	n := 20000
	if v := os.Getenv("BIX_LOAD_TEMPLATES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 10 {
			b.Fatalf("BIX_LOAD_TEMPLATES=%q: want a number >= 10", v)
		}
	}
	shortlist := 0
	if v := os.Getenv("BIX_LOAD_SHORTLIST"); v != "" {
		var err error
		if shortlist, err = strconv.Atoi(v); err != nil {
			b.Fatalf("BIX_LOAD_SHORTLIST=%q: want a number", v)
		}
	}
	dir := os.Getenv("BIX_LOAD_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	kek, err := store.ParseKEK(loadBenchKEK)
	if err != nil {
		b.Fatal(err)
	}
	bs := loadBenchSet()
	if _, err := os.Stat(filepath.Join(dir, "bix.db")); err != nil {
		if _, err := bs.write(ctx, dir, kek, n/10, nil); err != nil {
			b.Fatal(err)
		}
	}
	probe := []gallery.Sample{{Position: 3, Template: bs.probeTemplate(rand.IntN(n/10)*10 + 2)}}
	var cpu, first time.Duration
	b.ResetTimer()
	for b.Loop() {
		c0 := processCPU()
		nd, err := Open(ctx, Config{DataDir: dir, KEK: kek, Shortlist: shortlist}, nil)
		if err != nil {
			b.Fatal(err)
		}
		cpu += processCPU() - c0
		b.StopTimer()
		t0 := time.Now()
		if _, err := nd.Gallery().Identify(ctx, probe, gallery.Options{}); err != nil {
			b.Fatal(err)
		}
		first += time.Since(t0)
		if got := nd.Gallery().Len(); got != n/10*10 {
			b.Fatalf("loaded %d templates, want %d", got, n/10*10)
		}
		nd.Close()
		b.StartTimer()
	}
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(first.Seconds()*1000/float64(b.N), "first-search-ms")
}

// TestLoadGallery writes a bench store, opens a node on it with and without
// the pre-filter and compares the loaded gallery with one built from a
// serial scan and Gallery.Add (the simple form of the load): the same
// sizes and the same candidates for mated probes; the start-up log reports
// the load. It loads from the index entries the store holds, then after a
// third of them were removed (as in a store written before entries
// existed), which it computes again, counts and writes back, so that the
// next load, without the pre-filter, finds them all again.
func TestLoadGallery(t *testing.T) {
	if testing.Short() {
		t.Skip("grows synthetic master fingers")
	}
	ctx := context.Background()
	dir := t.TempDir()
	kek, err := store.ParseKEK(loadBenchKEK)
	if err != nil {
		t.Fatal(err)
	}
	bs := loadBenchSet()
	const templates = 600
	persons, err := bs.write(ctx, dir, kek, templates/10, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		shortlist  int
		strip      bool // remove a third of the index entries first
		recomputed int
	}{{0, false, 0}, {20, false, 0}, {20, true, templates / 3}, {0, false, 0}} {
		shortlist := c.shortlist
		if c.strip {
			st, err := store.Open(ctx, dir, kek)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.Update(ctx, func(tx *store.Tx) error {
				_, err := tx.SQL().ExecContext(ctx, `UPDATE templates SET index_sealed = NULL WHERE rowid % 3 = 0`)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			st.Close()
		}
		var logs bytes.Buffer
		n, err := Open(ctx, Config{DataDir: dir, KEK: kek, Shortlist: shortlist}, slog.New(slog.NewTextHandler(&logs, nil)))
		if err != nil {
			t.Fatal(err)
		}
		ref := gallery.NewWith(gallery.Config{Shortlist: shortlist})
		if _, err := n.Store().ScanTemplates(ctx, func(tp *store.Template) error {
			ft, err := decodeTemplate(tp.Format, tp.Data)
			if err != nil {
				return err
			}
			return ref.Add(tp.PersonID, tp.ID, tp.Position, ft)
		}, nil); err != nil {
			t.Fatal(err)
		}
		g := n.Gallery()
		if g.Len() != templates || g.Persons() != templates/10 || ref.Len() != templates {
			t.Errorf("shortlist %d: loaded %d templates of %d persons, reference %d", shortlist, g.Len(), g.Persons(), ref.Len())
		}
		if !strings.Contains(logs.String(), fmt.Sprintf("msg=\"gallery loaded\" templates=600 erased=0 persons=60 recomputed=%d rewritten=%[1]d ", c.recomputed)) {
			t.Errorf("shortlist %d: start-up log:\n%s", shortlist, logs.String())
		}
		for i := 3; i < templates; i += 97 {
			probe := []gallery.Sample{{Position: i%10 + 1, Template: bs.probeTemplate(i)}}
			got, err := g.Identify(ctx, probe, gallery.Options{MaxCandidates: 3})
			if err != nil {
				t.Fatal(err)
			}
			want, err := ref.Identify(ctx, probe, gallery.Options{MaxCandidates: 3})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 || got[0].PersonID != persons[i/10] || fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("shortlist %d, probe of template %d: loaded gallery gives %v, reference %v (mate %s)", shortlist, i, got, want, persons[i/10])
			}
		}
		n.Close()
	}
}

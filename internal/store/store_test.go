package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
)

func testKEK(t *testing.T) *KEK {
	t.Helper()
	k, err := ParseKEK(GenerateKeyText())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func openTest(t *testing.T, dir string, kek *KEK) *Store {
	t.Helper()
	s, err := Open(context.Background(), dir, kek)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestOpenPragmasAndMigrations(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	kek := testKEK(t)
	s := openTest(t, dir, kek)
	for _, c := range []struct {
		pragma string
		want   string
	}{
		{"page_size", "8192"},
		{"journal_mode", "wal"},
		{"synchronous", "2"}, // FULL
		{"foreign_keys", "1"},
	} {
		var got string
		if err := s.db.QueryRowContext(ctx, "PRAGMA "+c.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("PRAGMA %s = %s, want %s", c.pragma, got, c.want)
		}
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil || len(names) < 2 {
		t.Fatalf("embedded migrations %v, %v", names, err)
	}
	latest := len(names) // numbered 0001.. without gaps
	v, err := s.SchemaVersion(ctx)
	if err != nil || v != latest {
		t.Fatalf("schema version %d, %v; want %d", v, err, latest)
	}
	s.Close()
	// Reopening applies nothing twice.
	s2 := openTest(t, dir, kek)
	if v, err := s2.SchemaVersion(ctx); err != nil || v != latest {
		t.Fatalf("after reopen: schema version %d, %v", v, err)
	}
}

func TestParseKEK(t *testing.T) {
	for _, in := range []string{"", "abcd", "zz" + GenerateKeyText()[2:], GenerateKeyText() + "00"} {
		if _, err := ParseKEK(in); err == nil {
			t.Errorf("ParseKEK(%q) succeeded", in)
		}
	}
	if _, err := ParseKEK(" " + GenerateKeyText() + "\n"); err != nil {
		t.Error(err)
	}
	if _, err := ParseKEK("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="); err != nil {
		t.Error(err)
	}
}

// enrollOne writes a person, encounter, sample and template in one
// transaction and returns them.
func enrollOne(t *testing.T, s *Store, data, image []byte) (*Person, *Encounter, *Template) {
	t.Helper()
	ctx := context.Background()
	p := &Person{ID: uuid.NewString(), GivenName: "Ana", BirthDate: "2015-03-01", Status: PersonActive}
	e := &Encounter{ID: uuid.NewString(), PersonID: p.ID, CapturedAt: time.Now(), Officer: "o1", Source: "json", Status: EncounterEnrolled}
	sm := &Sample{ID: uuid.NewString(), EncounterID: e.ID, Modality: "finger", Position: 2, Quality: 80, Status: SampleOK, ImageFormat: "png", Image: image}
	tp := &Template{ID: uuid.NewString(), SampleID: sm.ID, EncounterID: e.ID, PersonID: p.ID, Modality: "finger", Position: 2, Format: "test", Data: data}
	err := s.Update(ctx, func(tx *Tx) error {
		key, err := tx.NewDataKey(ctx)
		if err != nil {
			return err
		}
		e.KeyID = key.ID
		if err := tx.InsertPerson(ctx, p); err != nil {
			return err
		}
		if err := tx.InsertEncounter(ctx, e); err != nil {
			return err
		}
		if err := tx.InsertSample(ctx, key, sm); err != nil {
			return err
		}
		return tx.InsertTemplate(ctx, key, tp)
	})
	if err != nil {
		t.Fatal(err)
	}
	return p, e, tp
}

func TestEnvelopeRoundTripAndErasure(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir(), testKEK(t))
	data := []byte("template bytes that must not appear in the file")
	img := []byte("PNG image bytes that must not appear either")
	p, e, tp := enrollOne(t, s, data, img)

	// Nothing is stored in the clear.
	var sealed, rawImg []byte
	if err := s.db.QueryRow(`SELECT sealed FROM templates WHERE id = ?`, tp.ID).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	if err := s.db.QueryRow(`SELECT image FROM samples WHERE encounter_id = ?`, e.ID).Scan(&rawImg); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, data[:10]) || bytes.Contains(rawImg, img[:10]) {
		t.Fatal("plaintext found in the database")
	}

	got, err := s.PersonTemplates(ctx, p.ID)
	if err != nil || len(got) != 1 || !bytes.Equal(got[0].Data, data) {
		t.Fatalf("PersonTemplates = %v, %v", got, err)
	}
	sms, err := s.Samples(ctx, e.ID)
	if err != nil || len(sms) != 1 || !bytes.Equal(sms[0].Image, img) {
		t.Fatalf("Samples = %v, %v", sms, err)
	}

	// A sealed template moved to another record id does not open.
	key, err := s.dataKey(ctx, s.db, e.KeyID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := key.Open("another-id", sealed); !errors.Is(err, ErrDecrypt) {
		t.Errorf("open under another record id: %v, want ErrDecrypt", err)
	}

	// Erasure: deleting the data key makes the record unreadable.
	if err := s.Update(ctx, func(tx *Tx) error { return tx.DeleteDataKey(ctx, e.KeyID) }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Samples(ctx, e.ID); !errors.Is(err, ErrKeyErased) {
		t.Errorf("Samples after erasure: %v, want ErrKeyErased", err)
	}
	st, err := s.ScanTemplates(ctx, func(*Template) error { t.Error("erased template scanned"); return nil }, nil)
	if err != nil || st.Erased != 1 || st.Loaded != 0 {
		t.Errorf("ScanTemplates after erasure = %+v, %v", st, err)
	}
}

func TestWrongKEK(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openTest(t, dir, testKEK(t))
	enrollOne(t, s, []byte("x"), nil)
	s.Close()
	s2 := openTest(t, dir, testKEK(t))
	if _, err := s2.ScanTemplates(ctx, func(*Template) error { return nil }, nil); !errors.Is(err, ErrDecrypt) {
		t.Errorf("scan with another KEK: %v, want ErrDecrypt", err)
	}
}

func TestRollbackLeavesNothing(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir(), testKEK(t))
	boom := errors.New("boom")
	err := s.Update(ctx, func(tx *Tx) error {
		if err := tx.InsertPerson(ctx, &Person{ID: "p1", Status: PersonActive}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if _, err := s.Person(ctx, "p1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("person after rollback: %v", err)
	}
}

func TestMinor(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		birth string
		want  bool
	}{{"2010-01-01", true}, {"2008-06-01", false}, {"2008-06-02", true}, {"", false}, {"garbage", false}} {
		if got := (&Person{BirthDate: c.birth}).Minor(now); got != c.want {
			t.Errorf("Minor(%q) = %v, want %v", c.birth, got, c.want)
		}
	}
}

func TestTasksAndUsers(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir(), testKEK(t))
	p, e, _ := enrollOne(t, s, []byte("x"), nil)
	err := s.Update(ctx, func(tx *Tx) error {
		if err := tx.PutUser(ctx, &User{Name: "eve", Role: "examiner"}, "tok"); err != nil {
			return err
		}
		return tx.InsertTask(ctx, &Task{ID: "t1", Kind: "dedup", EncounterID: e.ID, PersonID: p.ID, Candidates: []byte("[]"), State: TaskOpen})
	})
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.UserByToken(ctx, "tok")
	if err != nil || u.Name != "eve" {
		t.Fatalf("UserByToken = %v, %v", u, err)
	}
	if _, err := s.UserByToken(ctx, "other"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown token: %v", err)
	}
	if err := s.Update(ctx, func(tx *Tx) error { return tx.ClaimTask(ctx, "t1", "eve") }); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, func(tx *Tx) error { return tx.ClaimTask(ctx, "t1", "bob") }); !errors.Is(err, ErrConflict) {
		t.Errorf("second claim: %v, want ErrConflict", err)
	}
	ts, err := s.Tasks(ctx, TaskClaimed)
	if err != nil || len(ts) != 1 || ts[0].ClaimedBy != "eve" {
		t.Fatalf("Tasks = %v, %v", ts, err)
	}
}

func TestReviews(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir(), testKEK(t))
	p, e, _ := enrollOne(t, s, []byte("x"), nil)
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	err := s.Update(ctx, func(tx *Tx) error {
		if err := tx.InsertTask(ctx, &Task{ID: "t2", Kind: "dedup", EncounterID: e.ID, PersonID: p.ID, Candidates: []byte("[]"), State: TaskOpen,
			ReviewsRequired: 2, ReviewReasons: []string{"minor", "face_only"}}); err != nil {
			return err
		}
		if err := tx.InsertTask(ctx, &Task{ID: "t1", Kind: "dedup", EncounterID: e.ID, PersonID: p.ID, Candidates: []byte("[]"), State: TaskOpen}); err != nil {
			return err
		}
		return tx.ClaimTask(ctx, "t2", "eve")
	})
	if err != nil {
		t.Fatal(err)
	}
	if k, err := s.Task(ctx, "t1"); err != nil || k.ReviewsRequired != 1 || k.ReviewReasons != nil {
		t.Errorf("plain task = %+v, %v", k, err)
	}
	review := func(examiner string, pending bool) error {
		return s.Update(ctx, func(tx *Tx) error {
			return tx.InsertReview(ctx, &Review{ID: "r-" + examiner, TaskID: "t2", Outcome: OutcomeDifferent, ReasonCode: "x", Examiner: examiner, DecidedAt: at}, pending)
		})
	}
	if err := review("eve", true); err != nil {
		t.Fatal(err)
	}
	k, err := s.Task(ctx, "t2")
	if err != nil || k.State != TaskReview || k.ClaimedBy != "" || k.ReviewsRequired != 2 || len(k.ReviewReasons) != 2 || k.ReviewReasons[1] != "face_only" {
		t.Fatalf("after first review: %+v, %v", k, err)
	}
	if err := review("eve", false); !errors.Is(err, ErrConflict) {
		t.Errorf("same examiner twice: %v, want ErrConflict", err)
	}
	if err := review("bob", false); err != nil {
		t.Fatal(err)
	}
	rs, err := s.Reviews(ctx, "t2")
	if err != nil || len(rs) != 2 || rs[0].Examiner != "bob" && rs[0].Examiner != "eve" || !rs[0].DecidedAt.Equal(at) {
		t.Fatalf("Reviews = %+v, %v", rs, err)
	}
	if ts, err := s.Tasks(ctx, TaskReview); err != nil || len(ts) != 1 {
		t.Errorf("Tasks(review) = %v, %v", ts, err)
	}
	// Erasure deletes tasks; their reviews go with them.
	if err := s.Update(ctx, func(tx *Tx) error {
		_, err := tx.SQL().ExecContext(ctx, `DELETE FROM tasks WHERE id = 't2'`)
		return err
	}); err != nil {
		t.Fatalf("deleting a reviewed task: %v", err)
	}
	if rs, err := s.Reviews(ctx, "t2"); err != nil || len(rs) != 0 {
		t.Errorf("reviews after task deletion: %+v, %v", rs, err)
	}
}

// enrollFingers writes a person (with status) and one encounter of k
// templates sealed under one data key, and returns the templates.
func enrollFingers(t *testing.T, s *Store, status string, k int) []*Template {
	t.Helper()
	ctx := context.Background()
	p := &Person{ID: uuid.NewString(), Status: status}
	e := &Encounter{ID: uuid.NewString(), PersonID: p.ID, CapturedAt: time.Now(), Officer: "o1", Source: "json", Status: EncounterEnrolled}
	var ts []*Template
	err := s.Update(ctx, func(tx *Tx) error {
		key, err := tx.NewDataKey(ctx)
		if err != nil {
			return err
		}
		e.KeyID = key.ID
		if err := tx.InsertPerson(ctx, p); err != nil {
			return err
		}
		if err := tx.InsertEncounter(ctx, e); err != nil {
			return err
		}
		for f := range k {
			sm := &Sample{ID: uuid.NewString(), EncounterID: e.ID, Modality: "finger", Position: f + 1, Quality: 80, Status: SampleOK}
			if err := tx.InsertSample(ctx, key, sm); err != nil {
				return err
			}
			tp := &Template{ID: uuid.NewString(), SampleID: sm.ID, EncounterID: e.ID, PersonID: p.ID, Modality: "finger", Position: f + 1, Format: "test", Data: []byte("template " + sm.ID)}
			if f%2 == 1 {
				tp.Index = []byte("index " + sm.ID)
			}
			if err := tx.InsertTemplate(ctx, key, tp); err != nil {
				return err
			}
			ts = append(ts, tp)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// eraseEncounterKey deletes the data key of encounter id.
func eraseEncounterKey(t *testing.T, s *Store, id string) {
	t.Helper()
	ctx := context.Background()
	if err := s.Update(ctx, func(tx *Tx) error {
		var keyID string
		if err := tx.SQL().QueryRowContext(ctx, `SELECT key_id FROM encounters WHERE id = ?`, id).Scan(&keyID); err != nil {
			return err
		}
		return tx.DeleteDataKey(ctx, keyID)
	}); err != nil {
		t.Fatal(err)
	}
}

// scanned is what a scan gives of tp: its data and index entry.
func scanned(tp *Template) string {
	return fmt.Sprintf("%q %q %v", tp.Data, tp.Index, tp.Index == nil)
}

// TestScanTemplatesParallel checks the parallel scan against the serial one
// over many small rowid ranges: the same templates decrypted once each,
// merged persons left out, erased ones counted, worker indexes in range,
// progress serialised with growing multiples, and errors returned; index
// entries come back with their templates (nil where none was stored), and
// one moved to another template's row does not open.
func TestScanTemplatesParallel(t *testing.T) {
	chunk, prog := scanChunk, scanProgress
	scanChunk, scanProgress = 7, 10
	t.Cleanup(func() { scanChunk, scanProgress = chunk, prog })
	ctx := context.Background()
	dir := t.TempDir()
	s := openTest(t, dir, testKEK(t))
	want := map[string]string{}
	for i := range 40 {
		for _, tp := range enrollFingers(t, s, []string{PersonActive, PersonPending}[i%2], 1+i%10) {
			want[tp.ID] = scanned(tp)
		}
	}
	enrollFingers(t, s, PersonMerged, 3)
	erased := enrollFingers(t, s, PersonActive, 4)
	eraseEncounterKey(t, s, erased[0].EncounterID)

	serial := map[string]string{}
	st, err := s.ScanTemplates(ctx, func(tp *Template) error { serial[tp.ID] = scanned(tp); return nil }, nil)
	if err != nil || st.Loaded != len(want) || st.Erased != 4 {
		t.Fatalf("ScanTemplates = %+v, %v; want %d loaded, 4 erased", st, err, len(want))
	}
	for _, workers := range []int{1, 3, 8} {
		var mu sync.Mutex
		got := map[string]string{}
		var reports []int
		st, err := s.ScanTemplatesParallel(ctx, workers, func(w int, tp *Template) error {
			if w < 0 || w >= workers {
				t.Errorf("worker %d of %d", w, workers)
			}
			mu.Lock()
			defer mu.Unlock()
			if _, dup := got[tp.ID]; dup {
				t.Errorf("template %s scanned twice", tp.ID)
			}
			got[tp.ID] = scanned(tp)
			return nil
		}, func(p TemplateScan) { reports = append(reports, p.Loaded) })
		if err != nil || st.Loaded != len(want) || st.Erased != 4 {
			t.Errorf("%d workers: %+v, %v; want %d loaded, 4 erased", workers, st, err, len(want))
		}
		for id, d := range want {
			if got[id] != d || serial[id] != d {
				t.Fatalf("%d workers: template %s = %q (serial %q), want %q", workers, id, got[id], serial[id], d)
			}
		}
		if len(got) != len(want) {
			t.Errorf("%d workers: %d templates, want %d", workers, len(got), len(want))
		}
		for i, n := range reports {
			if n%10 != 0 || i > 0 && n <= reports[i-1] {
				t.Errorf("%d workers: progress %v", workers, reports)
				break
			}
		}
		if len(reports) != len(want)/10 {
			t.Errorf("%d workers: %d progress calls, want %d", workers, len(reports), len(want)/10)
		}
	}

	stop := errors.New("stop")
	var calls atomic.Int64
	if _, err := s.ScanTemplatesParallel(ctx, 3, func(int, *Template) error {
		if calls.Add(1) == 5 {
			return stop
		}
		return nil
	}, nil); !errors.Is(err, stop) {
		t.Errorf("scan whose fn fails: %v, want the fn's error", err)
	}
	var ids []string
	for id := range want {
		ids = append(ids, id)
	}
	if err := s.Update(ctx, func(tx *Tx) error {
		_, err := tx.SQL().ExecContext(ctx, `UPDATE templates SET index_sealed = (SELECT index_sealed FROM templates WHERE index_sealed IS NOT NULL AND id != ? LIMIT 1) WHERE id = ?`, ids[0], ids[0])
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ScanTemplates(ctx, func(*Template) error { return nil }, nil); !errors.Is(err, ErrDecrypt) || !strings.Contains(err.Error(), ids[0]+" index entry") {
		t.Errorf("scan with an index entry moved to template %s: %v, want ErrDecrypt naming it", ids[0], err)
	}
	s.Close()
	s2 := openTest(t, dir, testKEK(t))
	if _, err := s2.ScanTemplatesParallel(ctx, 3, func(int, *Template) error { return nil }, nil); !errors.Is(err, ErrDecrypt) {
		t.Errorf("parallel scan with another KEK: %v, want ErrDecrypt", err)
	}
}

// TestUpdateTemplateIndexes checks that new index entries replace the old
// ones (and fill absent ones) sealed so that a scan opens them, and that
// templates that do not exist or whose data key is erased are skipped.
func TestUpdateTemplateIndexes(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir(), testKEK(t))
	kept := enrollFingers(t, s, PersonActive, 4)
	erased := enrollFingers(t, s, PersonActive, 2)
	eraseEncounterKey(t, s, erased[0].EncounterID)
	var us []IndexUpdate
	for _, tp := range append(kept, erased...) {
		us = append(us, IndexUpdate{TemplateID: tp.ID, Index: []byte("new " + tp.ID)})
	}
	us = append(us, IndexUpdate{TemplateID: "no-such-template", Index: []byte("x")})
	n, err := s.UpdateTemplateIndexes(ctx, us)
	if err != nil || n != len(kept) {
		t.Fatalf("UpdateTemplateIndexes = %d, %v; want %d", n, err, len(kept))
	}
	got := map[string]string{}
	if _, err := s.ScanTemplates(ctx, func(tp *Template) error { got[tp.ID] = string(tp.Index); return nil }, nil); err != nil {
		t.Fatal(err)
	}
	for _, tp := range kept {
		if got[tp.ID] != "new "+tp.ID {
			t.Errorf("template %s: index entry %q after the update", tp.ID, got[tp.ID])
		}
	}
	if len(got) != len(kept) {
		t.Errorf("%d templates scanned, want %d", len(got), len(kept))
	}
}

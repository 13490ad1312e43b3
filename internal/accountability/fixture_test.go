package accountability

import (
	"context"
	"testing"
	"time"

	"github.com/bixproject/bix/internal/audit"
	"github.com/bixproject/bix/internal/store"
	"golang.org/x/mod/sumdb/note"
)

// fixture is a node database with the audit tables, built without a node so
// that tests control every timestamp.
type fixture struct {
	st  *store.Store
	log *audit.Log
	key note.Verifier // the log's public key
	t   *testing.T
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	kek, err := store.NewKEK(make([]byte, store.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	st, err := store.Open(ctx, dir, kek)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := audit.Init(ctx, st.DB()); err != nil {
		t.Fatal(err)
	}
	skey, _, err := audit.GenerateKey("test-node")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := audit.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{st: st, log: audit.Open(st.DB(), signer, "test-node"), key: signer.Verifier(), t: t}
}

// person stores a person with one encounter captured at captured, one
// sample and one sealed template, and logs the enrollment.
func (f *fixture) person(id, category, sex, birth, nat string, captured time.Time) {
	f.t.Helper()
	ctx := context.Background()
	err := f.st.Update(ctx, func(tx *store.Tx) error {
		if err := tx.InsertPerson(ctx, &store.Person{ID: id, GivenName: "Given " + id, FamilyName: "Family", Sex: sex, BirthDate: birth, Nationality: nat, Category: category, Status: store.PersonActive}); err != nil {
			return err
		}
		key, err := tx.NewDataKey(ctx)
		if err != nil {
			return err
		}
		enc := &store.Encounter{ID: "enc-" + id, PersonID: id, CapturedAt: captured, Category: category, Officer: "officer1", Source: "json", Status: store.EncounterEnrolled, KeyID: key.ID}
		if err := tx.InsertEncounter(ctx, enc); err != nil {
			return err
		}
		sm := &store.Sample{ID: "smp-" + id, EncounterID: enc.ID, Modality: "finger", Position: 1, Quality: 80, Status: store.SampleOK}
		if err := tx.InsertSample(ctx, key, sm); err != nil {
			return err
		}
		tp := &store.Template{ID: "tpl-" + id, SampleID: sm.ID, EncounterID: enc.ID, PersonID: id, Modality: "finger", Position: 1, Format: "test", Data: []byte("minutiae of " + id)}
		if err := tx.InsertTemplate(ctx, key, tp); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx.SQL(), audit.Entry{Time: captured, Actor: "officer1", Role: "officer", Action: audit.ActionEnroll, Objects: []string{enc.ID, id}})
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

// logAction appends an entry as a node would.
func (f *fixture) logAction(at time.Time, action string, objects ...string) {
	f.t.Helper()
	ctx := context.Background()
	if err := f.st.Update(ctx, func(tx *store.Tx) error {
		_, err := audit.Append(ctx, tx.SQL(), audit.Entry{Time: at, Actor: "officer1", Role: "officer", Action: action, Objects: objects})
		return err
	}); err != nil {
		f.t.Fatal(err)
	}
}

// clock is an injectable clock the test advances.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func (c *clock) set(t time.Time)         { c.t = t }

package node

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/bixproject/bix/fingerprint"
	"github.com/bixproject/bix/internal/audit"
	"github.com/bixproject/bix/internal/gallery"
	"github.com/bixproject/bix/internal/store"
)

// MaxImportPersons caps one Import call (one store transaction).
const MaxImportPersons = 10000

// importAuditChunk is how many persons one audit entry of an import names.
const importAuditChunk = 250

// ImportPerson is one identity for Import: biographics, the encounter and
// finger templates (positions 1..10, each at most once).
type ImportPerson struct {
	Person    PersonInfo
	Encounter EncounterInfo
	Templates []*fingerprint.Template
}

// Import enrolls identities in bulk from templates, with neither
// deduplication nor watchlist checks: it is for a holding that is already
// deduplicated (a migration) and for benchmarks that need a large gallery.
// All persons are written in one store transaction with audit entries
// naming them (one per 250 persons), then added to the gallery; it returns their person ids in
// order. Only a supervisor (or the node itself) may import. Malformed input
// is an error wrapping ErrInvalid and writes nothing.
func (n *Node) Import(ctx context.Context, a Actor, persons []ImportPerson) ([]string, error) {
	if a.Role != RoleSupervisor && a.Role != RoleSystem {
		return nil, fmt.Errorf("%w: role %q may not import identities in bulk", ErrForbidden, a.Role)
	}
	if len(persons) > MaxImportPersons {
		return nil, invalid("%d persons in one import, at most %d", len(persons), MaxImportPersons)
	}
	// Validate and encode everything before writing anything.
	encoded := make([][]storedFinger, len(persons))
	for i, ip := range persons {
		if err := validateImport(ip); err != nil {
			return nil, fmt.Errorf("import: persons[%d]: %w", i, err)
		}
		encoded[i] = make([]storedFinger, len(ip.Templates))
	}
	var encErr error
	var errMu sync.Mutex
	eachParallel(len(persons), func(i int) {
		for k, t := range persons[i].Templates {
			sf, err := storeFinger(t)
			if err != nil {
				errMu.Lock()
				encErr = fmt.Errorf("%w: import: persons[%d].templates[%d]: %v", ErrInvalid, i, k, err)
				errMu.Unlock()
				return
			}
			encoded[i][k] = sf
		}
	})
	if encErr != nil {
		return nil, encErr
	}

	ids := make([]string, len(persons))
	tplIDs := make([][]string, len(persons))
	now := time.Now()
	err := n.st.Update(ctx, func(tx *store.Tx) error {
		for i, ip := range persons {
			ids[i] = uuid.NewString()
			key, err := tx.NewDataKey(ctx)
			if err != nil {
				return err
			}
			pi := ip.Person
			p := &store.Person{ID: ids[i], GivenName: pi.GivenName, FamilyName: pi.FamilyName, Sex: pi.Sex, BirthDate: pi.BirthDate,
				Nationality: pi.Nationality, Category: pi.Category, ProtectionStatus: pi.ProtectionStatus, Status: store.PersonActive}
			if p.Category == "" {
				p.Category = ip.Encounter.Category
			}
			if err := tx.InsertPerson(ctx, p); err != nil {
				return err
			}
			captured := ip.Encounter.CapturedAt
			if captured.IsZero() {
				captured = now
			}
			e := &store.Encounter{ID: uuid.NewString(), PersonID: p.ID, Location: ip.Encounter.Location, CapturedAt: captured,
				Category: ip.Encounter.Category, Consent: ip.Encounter.Consent, Notice: ip.Encounter.Notice,
				Officer: a.User, Source: "import", Status: store.EncounterEnrolled, KeyID: key.ID}
			if err := tx.InsertEncounter(ctx, e); err != nil {
				return err
			}
			tplIDs[i] = make([]string, len(ip.Templates))
			for k, t := range ip.Templates {
				sm := &store.Sample{ID: uuid.NewString(), EncounterID: e.ID, Modality: "finger", Position: t.Position, Quality: t.Quality, Status: store.SampleOK}
				if err := tx.InsertSample(ctx, key, sm); err != nil {
					return err
				}
				tplIDs[i][k] = uuid.NewString()
				if err := tx.InsertTemplate(ctx, key, &store.Template{ID: tplIDs[i][k], SampleID: sm.ID, EncounterID: e.ID, PersonID: p.ID,
					Modality: "finger", Position: t.Position, Format: templateFormat, Data: encoded[i][k].data, Index: encoded[i][k].index}); err != nil {
					return err
				}
			}
		}
		// One entry per importAuditChunk persons (an entry names at most
		// 256 objects).
		for c0 := 0; c0 < len(ids); c0 += importAuditChunk {
			c1 := min(len(ids), c0+importAuditChunk)
			detail, _ := json.Marshal(map[string]any{"source": "import", "persons": c1 - c0, "import_persons": len(ids), "deduplicated": false})
			if err := logEntry(ctx, tx, a, audit.ActionEnroll, ids[c0:c1], detail); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	// The gallery holds what a restart would load: the stored encoding.
	eachParallel(len(persons), func(i int) {
		for k, sf := range encoded[i] {
			r, err := n.gal.Ready(ids[i], tplIDs[i][k], persons[i].Templates[k].Position, sf.t, sf.index)
			if err == nil {
				err = n.gal.AddPending([]gallery.Pending{r})
			}
			if err != nil {
				n.log.Error("gallery add after import", "template", tplIDs[i][k], "err", err)
			}
		}
	})
	n.metrics.galleryTemplates.Set(float64(n.gal.Len()))
	n.log.Info("imported", "persons", len(persons), "actor", a.User)
	return ids, nil
}

// validateImport checks one person of an import.
func validateImport(ip ImportPerson) error {
	p := ip.Person
	if p.BirthDate != "" {
		if _, err := time.Parse("2006-01-02", p.BirthDate); err != nil || !dateRE.MatchString(p.BirthDate) {
			return invalid("birth_date %q is not YYYY-MM-DD", p.BirthDate)
		}
	}
	if p.Nationality != "" && !countryRE.MatchString(p.Nationality) {
		return invalid("nationality %q is not an ISO 3166-1 alpha-3 code", p.Nationality)
	}
	switch p.Sex {
	case "", "M", "F", "X", "U":
	default:
		return invalid("sex %q is not one of M, F, X, U", p.Sex)
	}
	if len(ip.Templates) == 0 || len(ip.Templates) > MaxFingers {
		return invalid("%d templates, want 1..%d", len(ip.Templates), MaxFingers)
	}
	seen := map[int]bool{}
	for k, t := range ip.Templates {
		switch {
		case t == nil:
			return invalid("templates[%d] is nil", k)
		case t.Position < 1 || t.Position > 10:
			return invalid("templates[%d].position %d is not a finger position 1..10", k, t.Position)
		case seen[t.Position]:
			return invalid("templates[%d].position %d given twice", k, t.Position)
		}
		seen[t.Position] = true
	}
	return nil
}

// eachParallel calls fn(i) for i in [0, n) on all cores.
func eachParallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	w := min(runtime.GOMAXPROCS(0), max(n, 1))
	for k := range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := k; i < n; i += w {
				fn(i)
			}
		}()
	}
	wg.Wait()
}

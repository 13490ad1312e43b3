package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Person status values.
const (
	PersonActive  = "active"  // an identity in the gallery
	PersonPending = "pending" // a new identity awaiting a dedup decision
	PersonMerged  = "merged"  // judged the same as MergedInto; holds no templates
)

// Person is an identity. Its ID is random and never derived from biographics.
type Person struct {
	ID               string    `json:"id"`
	GivenName        string    `json:"given_name,omitempty"`
	FamilyName       string    `json:"family_name,omitempty"`
	Sex              string    `json:"sex,omitempty"`
	BirthDate        string    `json:"birth_date,omitempty"` // YYYY-MM-DD
	Nationality      string    `json:"nationality,omitempty"`
	Category         string    `json:"category,omitempty"`
	ProtectionStatus bool      `json:"protection_status"`
	Contested        bool      `json:"contested"`
	Status           string    `json:"status"`
	MergedInto       string    `json:"merged_into,omitempty"`
	CreatedAt        time.Time `json:"created_at"`
}

// Minor reports whether the person is under 18 at t, from the birth date;
// false when the birth date is unknown or malformed.
func (p *Person) Minor(t time.Time) bool {
	b, err := time.Parse("2006-01-02", p.BirthDate)
	if err != nil {
		return false
	}
	return t.Before(b.AddDate(18, 0, 0))
}

// InsertPerson stores a new person.
func (t *Tx) InsertPerson(ctx context.Context, p *Person) error {
	ts := now()
	var merged any
	if p.MergedInto != "" {
		merged = p.MergedInto
	}
	_, err := t.tx.ExecContext(ctx, `INSERT INTO persons(id, given_name, family_name, sex, birth_date, nationality, category, protection_status, contested, status, merged_into, created_at, updated_at)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		p.ID, p.GivenName, p.FamilyName, p.Sex, p.BirthDate, p.Nationality, p.Category, b2i(p.ProtectionStatus), b2i(p.Contested), p.Status, merged, ts, ts)
	if err != nil {
		return fmt.Errorf("person %s: %w", p.ID, err)
	}
	return nil
}

// SetPersonStatus sets a person's status and, for PersonMerged, the person
// it was merged into.
func (t *Tx) SetPersonStatus(ctx context.Context, id, status, mergedInto string) error {
	var merged any
	if mergedInto != "" {
		merged = mergedInto
	}
	res, err := t.tx.ExecContext(ctx, `UPDATE persons SET status = ?, merged_into = ?, updated_at = ? WHERE id = ?`, status, merged, now(), id)
	if err != nil {
		return fmt.Errorf("person %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("person %s: %w", id, ErrNotFound)
	}
	return nil
}

const personCols = `id, given_name, family_name, sex, birth_date, nationality, category, protection_status, contested, status, coalesce(merged_into, ''), created_at`

func scanPerson(sc interface{ Scan(...any) error }) (*Person, error) {
	var p Person
	var prot, cont int
	var created string
	if err := sc.Scan(&p.ID, &p.GivenName, &p.FamilyName, &p.Sex, &p.BirthDate, &p.Nationality, &p.Category, &prot, &cont, &p.Status, &p.MergedInto, &created); err != nil {
		return nil, err
	}
	p.ProtectionStatus, p.Contested, p.CreatedAt = prot != 0, cont != 0, parseTime(created)
	return &p, nil
}

// Person returns the person id.
func (s *Store) Person(ctx context.Context, id string) (*Person, error) {
	return getPerson(ctx, s.db, id)
}

// Person returns the person id within the transaction.
func (t *Tx) Person(ctx context.Context, id string) (*Person, error) {
	return getPerson(ctx, t.tx, id)
}

func getPerson(ctx context.Context, q querier, id string) (*Person, error) {
	p, err := scanPerson(q.QueryRowContext(ctx, `SELECT `+personCols+` FROM persons WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("person %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("person %s: %w", id, err)
	}
	return p, nil
}

// Encounter status values.
const (
	EncounterEnrolled = "enrolled"           // templates in the gallery under PersonID
	EncounterPending  = "pending"            // awaiting a dedup decision
	EncounterFTA      = "failure_to_acquire" // no usable sample
)

// Encounter is one capture event: who, where, when, under which category,
// with what consent and notice, by which officer.
type Encounter struct {
	ID         string    `json:"id"`
	PersonID   string    `json:"person_id"`
	Location   string    `json:"location,omitempty"`
	CapturedAt time.Time `json:"captured_at"`
	Category   string    `json:"category,omitempty"`
	Consent    bool      `json:"consent"`
	Notice     bool      `json:"notice"`
	Officer    string    `json:"officer"`
	Source     string    `json:"source"`
	Status     string    `json:"status"`
	KeyID      string    `json:"-"`
	CreatedAt  time.Time `json:"created_at"`
}

// InsertEncounter stores an encounter.
func (t *Tx) InsertEncounter(ctx context.Context, e *Encounter) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO encounters(id, person_id, location, captured_at, category, consent, notice, officer, source, status, key_id, created_at)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
		e.ID, e.PersonID, e.Location, fmtTime(e.CapturedAt), e.Category, b2i(e.Consent), b2i(e.Notice), e.Officer, e.Source, e.Status, e.KeyID, now())
	if err != nil {
		return fmt.Errorf("encounter %s: %w", e.ID, err)
	}
	return nil
}

// MoveEncounter sets an encounter's person and status and moves its
// templates to that person.
func (t *Tx) MoveEncounter(ctx context.Context, id, personID, status string) error {
	if _, err := t.tx.ExecContext(ctx, `UPDATE encounters SET person_id = ?, status = ? WHERE id = ?`, personID, status, id); err != nil {
		return fmt.Errorf("encounter %s: %w", id, err)
	}
	if _, err := t.tx.ExecContext(ctx, `UPDATE templates SET person_id = ? WHERE encounter_id = ?`, personID, id); err != nil {
		return fmt.Errorf("encounter %s templates: %w", id, err)
	}
	return nil
}

const encounterCols = `id, person_id, location, captured_at, category, consent, notice, officer, source, status, key_id, created_at`

func scanEncounter(sc interface{ Scan(...any) error }) (*Encounter, error) {
	var e Encounter
	var consent, notice int
	var captured, created string
	if err := sc.Scan(&e.ID, &e.PersonID, &e.Location, &captured, &e.Category, &consent, &notice, &e.Officer, &e.Source, &e.Status, &e.KeyID, &created); err != nil {
		return nil, err
	}
	e.Consent, e.Notice, e.CapturedAt, e.CreatedAt = consent != 0, notice != 0, parseTime(captured), parseTime(created)
	return &e, nil
}

// Encounter returns the encounter id.
func (s *Store) Encounter(ctx context.Context, id string) (*Encounter, error) {
	e, err := scanEncounter(s.db.QueryRowContext(ctx, `SELECT `+encounterCols+` FROM encounters WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("encounter %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("encounter %s: %w", id, err)
	}
	return e, nil
}

// Encounters returns a person's encounters, oldest first.
func (s *Store) Encounters(ctx context.Context, personID string) ([]*Encounter, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+encounterCols+` FROM encounters WHERE person_id = ? ORDER BY created_at, id`, personID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Encounter
	for rows.Next() {
		e, err := scanEncounter(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Sample status values.
const (
	SampleOK  = "ok"
	SampleFTA = "failure_to_acquire"
)

// Sample is one captured biometric sample. Image is plaintext in memory and
// sealed in the database; it is nil when images are not kept.
type Sample struct {
	ID          string `json:"id"`
	EncounterID string `json:"encounter_id"`
	Modality    string `json:"modality"`
	Position    int    `json:"position"`
	Quality     int    `json:"quality"`
	Status      string `json:"status"`
	Reason      string `json:"reason,omitempty"`
	ImageFormat string `json:"image_format,omitempty"`
	Image       []byte `json:"-"`
}

// InsertSample stores a sample, sealing its image (if any) with key.
func (t *Tx) InsertSample(ctx context.Context, key *DataKey, sm *Sample) error {
	var img any
	if sm.Image != nil {
		img = key.Seal(sm.ID, sm.Image)
	}
	_, err := t.tx.ExecContext(ctx, `INSERT INTO samples(id, encounter_id, modality, position, quality, status, reason, image_format, image) VALUES (?,?,?,?,?,?,?,?,?)`,
		sm.ID, sm.EncounterID, sm.Modality, sm.Position, sm.Quality, sm.Status, sm.Reason, sm.ImageFormat, img)
	if err != nil {
		return fmt.Errorf("sample %s: %w", sm.ID, err)
	}
	return nil
}

// Samples returns an encounter's samples with their images decrypted when
// kept; if the encounter's data key was erased it returns ErrKeyErased.
func (s *Store) Samples(ctx context.Context, encounterID string) ([]*Sample, error) {
	e, err := s.Encounter(ctx, encounterID)
	if err != nil {
		return nil, err
	}
	key, err := s.dataKey(ctx, s.db, e.KeyID)
	if err != nil {
		return nil, fmt.Errorf("encounter %s: %w", encounterID, err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, encounter_id, modality, position, quality, status, reason, image_format, image FROM samples WHERE encounter_id = ? ORDER BY position, id`, encounterID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Sample
	for rows.Next() {
		var sm Sample
		var img []byte
		if err := rows.Scan(&sm.ID, &sm.EncounterID, &sm.Modality, &sm.Position, &sm.Quality, &sm.Status, &sm.Reason, &sm.ImageFormat, &img); err != nil {
			return nil, err
		}
		if img != nil {
			if sm.Image, err = key.Open(sm.ID, img); err != nil {
				return nil, fmt.Errorf("sample %s image: %w", sm.ID, err)
			}
		}
		out = append(out, &sm)
	}
	return out, rows.Err()
}

// Template is an extracted biometric template. Data is plaintext in memory
// and sealed in the database with the encounter's data key.
type Template struct {
	ID          string
	SampleID    string
	EncounterID string
	PersonID    string
	Modality    string
	Position    int
	Format      string
	Data        []byte
	// Index is the gallery's search index entry for the template
	// (gallery.Index), derived from Data and sealed like it; nil when
	// there is none.
	Index []byte
}

// indexAAD is the additional data sealing template id's index entry, so
// that an entry cannot be passed off as a template or moved to another.
func indexAAD(id string) string { return id + "/index" }

// InsertTemplate stores a template sealed with key (AAD: the template id),
// and its index entry, when it has one, sealed with key too.
func (t *Tx) InsertTemplate(ctx context.Context, key *DataKey, tp *Template) error {
	var index []byte
	if tp.Index != nil {
		index = key.Seal(indexAAD(tp.ID), tp.Index)
	}
	_, err := t.tx.ExecContext(ctx, `INSERT INTO templates(id, sample_id, encounter_id, person_id, modality, position, format, sealed, index_sealed) VALUES (?,?,?,?,?,?,?,?,?)`,
		tp.ID, tp.SampleID, tp.EncounterID, tp.PersonID, tp.Modality, tp.Position, tp.Format, key.Seal(tp.ID, tp.Data), index)
	if err != nil {
		return fmt.Errorf("template %s: %w", tp.ID, err)
	}
	return nil
}

// IndexUpdate is a new index entry for template TemplateID.
type IndexUpdate struct {
	TemplateID string
	Index      []byte
}

// UpdateTemplateIndexes stores new index entries in one transaction, each
// sealed like InsertTemplate seals it (the data key of the template's
// encounter, AAD id/index), replacing the old ones, and returns how many
// templates it updated: templates since removed, or whose data key was
// erased, are skipped.
func (s *Store) UpdateTemplateIndexes(ctx context.Context, us []IndexUpdate) (int, error) {
	n := 0
	err := s.Update(ctx, func(tx *Tx) error {
		n = 0
		keys := map[string]*DataKey{} // nil: erased
		for _, u := range us {
			var keyID string
			err := tx.tx.QueryRowContext(ctx, `SELECT e.key_id FROM templates t JOIN encounters e ON e.id = t.encounter_id WHERE t.id = ?`, u.TemplateID).Scan(&keyID)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return fmt.Errorf("template %s: %w", u.TemplateID, err)
			}
			key, seen := keys[keyID]
			if !seen {
				key, err = s.dataKey(ctx, tx.tx, keyID)
				if errors.Is(err, ErrKeyErased) {
					key = nil
				} else if err != nil {
					return fmt.Errorf("template %s: %w", u.TemplateID, err)
				}
				keys[keyID] = key
			}
			if key == nil {
				continue
			}
			if _, err := tx.tx.ExecContext(ctx, `UPDATE templates SET index_sealed = ? WHERE id = ?`, key.Seal(indexAAD(u.TemplateID), u.Index), u.TemplateID); err != nil {
				return fmt.Errorf("template %s index entry: %w", u.TemplateID, err)
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// TemplateScan reports what ScanTemplates did.
type TemplateScan struct {
	Loaded int // templates decrypted and passed to fn
	Erased int // templates skipped because their data key is erased
}

// ScanTemplates decrypts every template of active and pending persons and
// calls fn with each, in storage order. Templates whose data key was erased
// are skipped and counted. progress, if not nil, is called every 10,000
// templates loaded. The scan reuses the memory of a Template's Data and
// Index once fn returns: fn copies what it keeps (decoding does).
func (s *Store) ScanTemplates(ctx context.Context, fn func(*Template) error, progress func(TemplateScan)) (TemplateScan, error) {
	return s.ScanTemplatesParallel(ctx, 1, func(_ int, t *Template) error { return fn(t) }, progress)
}

// scanChunk is the number of template rowids a scan worker reads per query,
// and scanProgress how many templates loaded between progress calls
// (variables so that tests can make them small).
var (
	scanChunk    int64 = 4096
	scanProgress int64 = 10000
)

// ScanTemplatesParallel is ScanTemplates on workers goroutines (at least
// one): the templates table is cut into ranges of rowids that the workers
// take in turn, each reading its range on its own connection, unwrapping the
// data keys and opening the templates, and calling fn with its worker index
// (0..workers-1, for per-worker state). fn is called concurrently from
// different workers, and in storage order within a range; with one worker
// the whole scan is in storage order. The first error stops every worker.
// progress, if not nil, is called every 10,000 templates loaded, never
// concurrently and with growing counts. Each range is read in its own
// transaction, so a scan running beside writers may see some ranges before
// and others after a write: it is meant for loading the gallery at start.
func (s *Store) ScanTemplatesParallel(ctx context.Context, workers int, fn func(worker int, t *Template) error, progress func(TemplateScan)) (TemplateScan, error) {
	var lo, hi sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT min(rowid), max(rowid) FROM templates`).Scan(&lo, &hi); err != nil {
		return TemplateScan{}, fmt.Errorf("scan templates: %w", err)
	}
	if !lo.Valid {
		return TemplateScan{}, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next           atomic.Int64 // first rowid of the next range
		loaded, erased atomic.Int64
		progMu         sync.Mutex
		reported       int64
		errMu          sync.Mutex
		firstErr       error
		wg             sync.WaitGroup
	)
	next.Store(lo.Int64)
	fail := func(err error) {
		errMu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		errMu.Unlock()
		cancel()
	}
	counted := func(n int64) {
		if progress == nil || n%scanProgress != 0 {
			return
		}
		progMu.Lock()
		defer progMu.Unlock()
		if n > reported {
			reported = n
			progress(TemplateScan{Loaded: int(n), Erased: int(erased.Load())})
		}
	}
	chunk := scanChunk
	for w := range max(1, workers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var keys keyCache
			for {
				from := next.Add(chunk) - chunk
				if from > hi.Int64 || ctx.Err() != nil {
					return
				}
				err := s.scanRange(ctx, from, from+chunk, &keys, func(t *Template) error {
					if t == nil {
						erased.Add(1)
						return nil
					}
					if err := fn(w, t); err != nil {
						return err
					}
					counted(loaded.Add(1))
					return nil
				})
				if err != nil {
					fail(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	st := TemplateScan{Loaded: int(loaded.Load()), Erased: int(erased.Load())}
	if firstErr != nil {
		return st, firstErr
	}
	return st, nil
}

// keyCache holds the data key last unwrapped by a scan worker: templates
// are stored encounter by encounter, so consecutive rows share their key.
type keyCache struct {
	key *DataKey
}

// get returns data key id, unwrapping wrapped unless it is the cached one.
func (c *keyCache) get(s *Store, id string, wrapped []byte) (*DataKey, error) {
	if c.key != nil && c.key.ID == id {
		return c.key, nil
	}
	k, err := s.unwrap(id, wrapped)
	if err != nil {
		return nil, err
	}
	c.key = k
	return k, nil
}

// scanRange reads the templates of active and pending persons whose rowid
// is in [from, to), decrypts each and calls fn with it, or with nil for a
// template whose data key is erased.
func (s *Store) scanRange(ctx context.Context, from, to int64, keys *keyCache, fn func(*Template) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT t.id, t.sample_id, t.encounter_id, t.person_id, t.modality, t.position, t.format, t.sealed, t.index_sealed, e.key_id, k.wrapped
		FROM templates t JOIN encounters e ON e.id = t.encounter_id JOIN persons p ON p.id = t.person_id
		LEFT JOIN data_keys k ON k.id = e.key_id
		WHERE t.rowid >= ? AND t.rowid < ? AND p.status IN ('active', 'pending')
		ORDER BY t.rowid`, from, to)
	if err != nil {
		return fmt.Errorf("scan templates: %w", err)
	}
	defer rows.Close()
	// The sealed columns are read in place and opened into buffers reused
	// from row to row (a gallery load reads gigabytes of them).
	var sealed, index sql.RawBytes
	var wrapped []byte
	var keyID string
	var data, plainIndex []byte
	for rows.Next() {
		var tp Template
		if err := rows.Scan(&tp.ID, &tp.SampleID, &tp.EncounterID, &tp.PersonID, &tp.Modality, &tp.Position, &tp.Format, &sealed, &index, &keyID, &wrapped); err != nil {
			return fmt.Errorf("scan templates: %w", err)
		}
		if wrapped == nil {
			if err := fn(nil); err != nil {
				return err
			}
			continue
		}
		key, err := keys.get(s, keyID, wrapped)
		if err != nil {
			return err
		}
		if data, err = key.openAppend(data[:0], tp.ID, sealed); err != nil {
			return fmt.Errorf("template %s: %w", tp.ID, err)
		}
		tp.Data = data
		if index != nil {
			if plainIndex, err = key.openAppend(plainIndex[:0], indexAAD(tp.ID), index); err != nil {
				return fmt.Errorf("template %s index entry: %w", tp.ID, err)
			}
			tp.Index = plainIndex
		}
		if err := fn(&tp); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("scan templates: %w", err)
	}
	return nil
}

// PersonTemplates returns the decrypted templates of a person (erased ones
// are skipped).
func (s *Store) PersonTemplates(ctx context.Context, personID string) ([]*Template, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT t.id, t.sample_id, t.encounter_id, t.person_id, t.modality, t.position, t.format, t.sealed, e.key_id, k.wrapped
		FROM templates t JOIN encounters e ON e.id = t.encounter_id LEFT JOIN data_keys k ON k.id = e.key_id
		WHERE t.person_id = ? ORDER BY t.position, t.id`, personID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Template
	for rows.Next() {
		var tp Template
		var sealed, wrapped []byte
		var keyID string
		if err := rows.Scan(&tp.ID, &tp.SampleID, &tp.EncounterID, &tp.PersonID, &tp.Modality, &tp.Position, &tp.Format, &sealed, &keyID, &wrapped); err != nil {
			return nil, err
		}
		if wrapped == nil {
			continue
		}
		key, err := s.unwrap(keyID, wrapped)
		if err != nil {
			return nil, err
		}
		if tp.Data, err = key.Open(tp.ID, sealed); err != nil {
			return nil, fmt.Errorf("template %s: %w", tp.ID, err)
		}
		out = append(out, &tp)
	}
	return out, rows.Err()
}

package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // decoders for sample images
	_ "image/png"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/tiff"

	"github.com/bixproject/bix/ansinist"
	"github.com/bixproject/bix/fingerprint"
	"github.com/bixproject/bix/internal/audit"
	"github.com/bixproject/bix/internal/gallery"
	"github.com/bixproject/bix/internal/store"
	_ "github.com/bixproject/bix/wsq" // registers the WSQ image format
)

// Limits on one request.
const (
	MaxFingers     = 10
	MaxImagePixels = 2000 * 2000
)

// PersonInfo is the biographic part of an enrollment.
type PersonInfo struct {
	GivenName        string `json:"given_name,omitempty"`
	FamilyName       string `json:"family_name,omitempty"`
	Sex              string `json:"sex,omitempty"` // M, F, X, U
	BirthDate        string `json:"birth_date,omitempty"`
	Nationality      string `json:"nationality,omitempty"`
	Category         string `json:"category,omitempty"`
	ProtectionStatus bool   `json:"protection_status,omitempty"`
}

// EncounterInfo is the capture context of an enrollment.
type EncounterInfo struct {
	Location   string    `json:"location,omitempty"`
	CapturedAt time.Time `json:"captured_at,omitzero"`
	Category   string    `json:"category,omitempty"`
	Consent    bool      `json:"consent"`
	Notice     bool      `json:"notice"`
}

// FingerImage is one finger image of a request: PNG, JPEG, BMP, TIFF or WSQ
// bytes (base64 in JSON), its finger position (0 unknown, 1..10) and its
// resolution in pixels per inch (0: 500 assumed by extraction's estimate).
type FingerImage struct {
	Position int    `json:"position"`
	PPI      int    `json:"ppi,omitempty"`
	Image    []byte `json:"image"`

	decoded image.Image
	format  string
}

// EnrollRequest is an enrollment: finger images, face images or both.
type EnrollRequest struct {
	Person    PersonInfo    `json:"person"`
	Encounter EncounterInfo `json:"encounter"`
	Fingers   []FingerImage `json:"fingers"`
	Faces     []FaceImage   `json:"faces,omitempty"`
}

// SampleResult is what became of one submitted sample.
type SampleResult struct {
	Modality string `json:"modality"` // finger | face
	Position int    `json:"position"` // finger position; 0 for faces
	Status   string `json:"status"`   // ok | failure_to_acquire
	Quality  int    `json:"quality"`
	Reason   string `json:"reason,omitempty"`
	Minutiae int    `json:"minutiae,omitempty"`
}

// Enrollment statuses.
const (
	StatusEnrolled = "enrolled"             // a new identity
	StatusPending  = "pending_adjudication" // possible duplicate: a task for an examiner
	StatusFTA      = store.EncounterFTA     // no usable sample
)

// EnrollResult is the outcome of an enrollment.
type EnrollResult struct {
	EncounterID string              `json:"encounter_id"`
	PersonID    string              `json:"person_id"`
	Status      string              `json:"status"`
	TaskID      string              `json:"task_id,omitempty"`
	Threshold   float64             `json:"threshold"`
	Candidates  []gallery.Candidate `json:"candidates"`
	Alerts      []*store.Alert      `json:"alerts"`
	Samples     []SampleResult      `json:"samples"`
}

var (
	dateRE    = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	countryRE = regexp.MustCompile(`^[A-Z]{3}$`)
)

// validate checks the request and decodes its images.
func (r *EnrollRequest) validate() error {
	p := r.Person
	if p.BirthDate != "" {
		if _, err := time.Parse("2006-01-02", p.BirthDate); err != nil || !dateRE.MatchString(p.BirthDate) {
			return invalid("person.birth_date %q is not YYYY-MM-DD", p.BirthDate)
		}
	}
	if p.Nationality != "" && !countryRE.MatchString(p.Nationality) {
		return invalid("person.nationality %q is not an ISO 3166-1 alpha-3 code", p.Nationality)
	}
	switch p.Sex {
	case "", "M", "F", "X", "U":
	default:
		return invalid("person.sex %q is not one of M, F, X, U", p.Sex)
	}
	for name, s := range map[string]string{"person.given_name": p.GivenName, "person.family_name": p.FamilyName, "person.category": p.Category, "encounter.location": r.Encounter.Location, "encounter.category": r.Encounter.Category} {
		if len(s) > 200 {
			return invalid("%s is %d bytes, at most 200", name, len(s))
		}
	}
	if len(r.Fingers) == 0 && len(r.Faces) == 0 {
		return invalid("no finger or face images")
	}
	if len(r.Fingers) == 0 {
		return nil
	}
	return decodeFingers(r.Fingers)
}

// decodeFingers checks positions and decodes every image.
func decodeFingers(fs []FingerImage) error {
	if len(fs) == 0 {
		return invalid("no finger images")
	}
	if len(fs) > MaxFingers {
		return invalid("%d finger images, at most %d", len(fs), MaxFingers)
	}
	seen := map[int]bool{}
	for i := range fs {
		f := &fs[i]
		if f.Position < 0 || f.Position > 10 {
			return invalid("fingers[%d].position %d is not a finger position 0..10", i, f.Position)
		}
		if f.Position != 0 && seen[f.Position] {
			return invalid("fingers[%d].position %d given twice", i, f.Position)
		}
		seen[f.Position] = true
		if f.PPI != 0 && (f.PPI < 125 || f.PPI > 2000) {
			return invalid("fingers[%d].ppi %d out of 125..2000", i, f.PPI)
		}
		if f.decoded != nil {
			continue
		}
		if len(f.Image) == 0 {
			return invalid("fingers[%d].image is empty", i)
		}
		cfg, format, err := image.DecodeConfig(bytes.NewReader(f.Image))
		if err != nil {
			return invalid("fingers[%d].image: %v", i, err)
		}
		if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > MaxImagePixels {
			return invalid("fingers[%d].image: %d×%d pixels, at most %d pixels", i, cfg.Width, cfg.Height, MaxImagePixels)
		}
		img, _, err := image.Decode(bytes.NewReader(f.Image))
		if err != nil {
			return invalid("fingers[%d].image (%s): %v", i, format, err)
		}
		f.decoded, f.format = img, format
	}
	return nil
}

// extracted is one sample after quality check and extraction.
type extracted struct {
	res  SampleResult
	tmpl *fingerprint.Template
	img  FingerImage
}

// extract runs quality assessment and minutiae extraction on every image;
// unusable images become failure-to-acquire results with the reason.
func (n *Node) extract(fs []FingerImage) []extracted {
	out := make([]extracted, len(fs))
	for i, f := range fs {
		e := extracted{img: f, res: SampleResult{Modality: string(gallery.Finger), Position: f.Position}}
		t, err := fingerprint.Extract(f.decoded, fingerprint.ExtractOptions{Resolution: f.PPI})
		var ue *fingerprint.UnusableError
		switch {
		case errors.As(err, &ue):
			e.res.Status, e.res.Reason = store.SampleFTA, ue.Reason
		case err != nil:
			e.res.Status, e.res.Reason = store.SampleFTA, err.Error()
		case t.Quality < n.cfg.MinQuality:
			e.res.Status, e.res.Quality = store.SampleFTA, t.Quality
			e.res.Reason = fmt.Sprintf("quality %d below the minimum %d", t.Quality, n.cfg.MinQuality)
		default:
			t.Position = f.Position
			e.tmpl = t
			e.res.Status, e.res.Quality, e.res.Minutiae = store.SampleOK, t.Quality, len(t.Minutiae)
		}
		out[i] = e
	}
	return out
}

func probeOf(ex []extracted) []gallery.Sample {
	var p []gallery.Sample
	for _, e := range ex {
		if e.tmpl != nil {
			p = append(p, gallery.Sample{Position: e.res.Position, Template: e.tmpl})
		}
	}
	return p
}

// Enroll enrolls a person from a request: quality check and extraction of
// each finger, then deduplication against the gallery. Candidates above the
// threshold make the new identity pending and open an adjudication task for
// an examiner (identities are never merged without one); otherwise the
// identity is enrolled. Every enrollment is checked against the watchlists:
// a candidate above the threshold who is on a watchlist raises an alert.
// Everything is written in one transaction with its audit entry.
func (n *Node) Enroll(ctx context.Context, a Actor, req *EnrollRequest) (*EnrollResult, error) {
	return n.enroll(ctx, a, req, "json")
}

func (n *Node) enroll(ctx context.Context, a Actor, req *EnrollRequest, source string) (*EnrollResult, error) {
	if err := allow(a, audit.ActionEnroll); err != nil {
		return nil, err
	}
	if err := req.validate(); err != nil {
		return nil, err
	}
	fx, err := n.extractFaces(req.Faces)
	if err != nil {
		return nil, err
	}
	ex := n.extract(req.Fingers)
	probe := probeOf(ex)
	faceEmb := faceProbe(fx)

	n.enrollMu.Lock()
	defer n.enrollMu.Unlock()

	res := &EnrollResult{EncounterID: uuid.NewString(), PersonID: uuid.NewString(), Candidates: []gallery.Candidate{}, Alerts: []*store.Alert{}}
	for _, e := range ex {
		res.Samples = append(res.Samples, e.res)
	}
	for _, f := range fx {
		res.Samples = append(res.Samples, f.res)
	}
	switch {
	case faceEmb != nil:
		// Dedup and watchlist checks on the fused score (fusion.go in
		// package gallery).
		res.Threshold = n.FusedThreshold()
		start := time.Now()
		cands, err := n.gal.IdentifyFused(ctx, gallery.Probe{Fingers: probe, Face: faceEmb}, n.fusion(),
			gallery.Options{MaxCandidates: n.cfg.Thresholds.MaxCandidates, Threshold: res.Threshold})
		n.metrics.searches.WithLabelValues("dedup").Observe(time.Since(start).Seconds())
		if err != nil {
			return nil, err
		}
		res.Candidates = cands
	case len(probe) > 0:
		res.Threshold = n.Threshold(len(probe))
		start := time.Now()
		cands, err := n.gal.Identify(ctx, probe, gallery.Options{MaxCandidates: n.cfg.Thresholds.MaxCandidates, Threshold: res.Threshold})
		n.metrics.searches.WithLabelValues("dedup").Observe(time.Since(start).Seconds())
		if err != nil {
			return nil, err
		}
		res.Candidates = cands
	}
	switch {
	case len(probe) == 0 && faceEmb == nil:
		res.Status = StatusFTA
	case len(res.Candidates) > 0:
		res.Status = StatusPending
		res.TaskID = uuid.NewString()
	default:
		res.Status = StatusEnrolled
	}

	p := &store.Person{
		ID: res.PersonID, GivenName: req.Person.GivenName, FamilyName: req.Person.FamilyName, Sex: req.Person.Sex,
		BirthDate: req.Person.BirthDate, Nationality: req.Person.Nationality, Category: req.Person.Category,
		ProtectionStatus: req.Person.ProtectionStatus, Status: store.PersonActive,
	}
	if p.Category == "" {
		p.Category = req.Encounter.Category
	}
	captured := req.Encounter.CapturedAt
	if captured.IsZero() {
		captured = time.Now()
	}
	enc := &store.Encounter{
		ID: res.EncounterID, PersonID: p.ID, Location: req.Encounter.Location, CapturedAt: captured,
		Category: req.Encounter.Category, Consent: req.Encounter.Consent, Notice: req.Encounter.Notice,
		Officer: a.User, Source: source, Status: store.EncounterEnrolled,
	}
	switch res.Status {
	case StatusPending:
		p.Status, enc.Status = store.PersonPending, store.EncounterPending
	case StatusFTA:
		enc.Status = store.EncounterFTA
	}
	type added struct {
		id    string
		pos   int
		t     *fingerprint.Template
		index []byte
		face  []float32
	}
	var toGallery []added
	var task *store.Task
	if res.TaskID != "" {
		cj, err := json.Marshal(res.Candidates)
		if err != nil {
			return nil, err
		}
		task = &store.Task{ID: res.TaskID, Kind: "dedup", EncounterID: enc.ID, PersonID: p.ID, Candidates: cj, State: store.TaskOpen}
		task.ReviewsRequired, task.ReviewReasons, err = n.reviewRule(ctx, p.BirthDate, captured, res.Candidates)
		if err != nil {
			return nil, err
		}
	}
	err = n.st.Update(ctx, func(tx *store.Tx) error {
		key, err := tx.NewDataKey(ctx)
		if err != nil {
			return err
		}
		enc.KeyID = key.ID
		if err := tx.InsertPerson(ctx, p); err != nil {
			return err
		}
		if err := tx.InsertEncounter(ctx, enc); err != nil {
			return err
		}
		for _, e := range ex {
			sm := &store.Sample{ID: uuid.NewString(), EncounterID: enc.ID, Modality: "finger", Position: e.res.Position,
				Quality: e.res.Quality, Status: e.res.Status, Reason: e.res.Reason}
			if n.cfg.KeepImages {
				sm.Image, sm.ImageFormat = e.img.Image, e.img.format
			}
			if err := tx.InsertSample(ctx, key, sm); err != nil {
				return err
			}
			if e.tmpl == nil {
				continue
			}
			sf, err := storeFinger(e.tmpl)
			if err != nil {
				return fmt.Errorf("position %d template: %w", e.res.Position, err)
			}
			tp := &store.Template{ID: uuid.NewString(), SampleID: sm.ID, EncounterID: enc.ID, PersonID: p.ID,
				Modality: "finger", Position: e.res.Position, Format: templateFormat, Data: sf.data, Index: sf.index}
			if err := tx.InsertTemplate(ctx, key, tp); err != nil {
				return err
			}
			// What the gallery holds is what a restart would load.
			toGallery = append(toGallery, added{id: tp.ID, pos: tp.Position, t: sf.t, index: sf.index})
		}
		for _, f := range fx {
			sm := &store.Sample{ID: uuid.NewString(), EncounterID: enc.ID, Modality: string(gallery.Face),
				Quality: f.res.Quality, Status: f.res.Status, Reason: f.res.Reason}
			if n.cfg.KeepImages && f.img.Image != nil {
				sm.Image, sm.ImageFormat = f.img.Image, "face"
			}
			if err := tx.InsertSample(ctx, key, sm); err != nil {
				return err
			}
			if f.emb == nil {
				continue
			}
			data := encodeFace(f.emb)
			tp := &store.Template{ID: uuid.NewString(), SampleID: sm.ID, EncounterID: enc.ID, PersonID: p.ID,
				Modality: string(gallery.Face), Format: faceTemplateFormat, Data: data}
			if err := tx.InsertTemplate(ctx, key, tp); err != nil {
				return err
			}
			back, err := decodeFace(faceTemplateFormat, data)
			if err != nil {
				return err
			}
			toGallery = append(toGallery, added{id: tp.ID, face: back})
		}
		if task != nil {
			if err := tx.InsertTask(ctx, task); err != nil {
				return err
			}
		}
		for _, c := range res.Candidates {
			entries, err := tx.ActiveWatchlistEntries(ctx, c.PersonID)
			if err != nil {
				return err
			}
			for _, w := range entries {
				al := &store.Alert{ID: uuid.NewString(), EncounterID: enc.ID, PersonID: c.PersonID, WatchlistID: w.ID, List: w.List, Score: c.Score, CreatedAt: time.Now().UTC()}
				if err := tx.InsertAlert(ctx, al); err != nil {
					return err
				}
				res.Alerts = append(res.Alerts, al)
			}
		}
		detail, _ := json.Marshal(map[string]any{"status": res.Status, "candidates": len(res.Candidates), "alerts": len(res.Alerts), "source": source, "faces": len(fx)})
		return logEntry(ctx, tx, a, audit.ActionEnroll, []string{p.ID, enc.ID}, detail)
	})
	if err != nil {
		return nil, fmt.Errorf("enroll: %w", err)
	}
	for _, g := range toGallery {
		var err error
		if g.face != nil {
			err = n.gal.AddFace(p.ID, g.id, g.face)
		} else {
			var r gallery.Pending
			if r, err = n.gal.Ready(p.ID, g.id, g.pos, g.t, g.index); err == nil {
				err = n.gal.AddPending([]gallery.Pending{r})
			}
		}
		if err != nil {
			n.log.Error("gallery add after commit", "template", g.id, "err", err)
		}
	}
	n.metrics.enrollments.WithLabelValues(res.Status).Inc()
	n.metrics.galleryTemplates.Set(float64(n.gal.Len()))
	n.log.Info("enrolled", "encounter", enc.ID, "person", p.ID, "status", res.Status, "candidates", len(res.Candidates), "alerts", len(res.Alerts), "actor", a.User)
	return res, nil
}

// EnrollTransaction enrolls from an ANSI/NIST-ITL transaction (traditional
// or XML encoding): the Type-2 biographics, the finger images of Types 3,
// 4 and 14 (positions 1..10; plain and slap captures of other positions are
// ignored) and the Type-10 face images. Encounter context not carried by the transaction comes from enc.
func (n *Node) EnrollTransaction(ctx context.Context, a Actor, r io.Reader, enc EncounterInfo, category string) (*EnrollResult, error) {
	if err := allow(a, audit.ActionEnroll); err != nil {
		return nil, err
	}
	tr, err := ansinist.Decode(r)
	if err != nil {
		return nil, invalid("ANSI/NIST-ITL transaction: %v", err)
	}
	req, err := requestFromTransaction(tr)
	if err != nil {
		return nil, err
	}
	req.Encounter = enc
	if req.Person.Category == "" {
		req.Person.Category = category
	}
	return n.enroll(ctx, a, req, "ansi-nist")
}

func requestFromTransaction(tr *ansinist.Transaction) (*EnrollRequest, error) {
	b := tr.Biographics()
	req := &EnrollRequest{Person: PersonInfo{GivenName: b.GivenNames, FamilyName: b.Surname, Sex: strings.ToUpper(b.Sex), BirthDate: b.BirthDate}}
	if len(b.Citizenship) > 0 {
		req.Person.Nationality = b.Citizenship[0]
	}
	fs, err := tr.Fingers()
	faces, ferr := tr.Faces()
	if err != nil && len(fs) == 0 && len(faces) == 0 {
		return nil, invalid("ANSI/NIST-ITL transaction: %v", err)
	}
	for _, f := range faces {
		fi := FaceImage{decoded: f.Image}
		if f.Image == nil {
			// Undecodable image: a failure to acquire with its reason.
			fi.fta = fmt.Sprintf("record %d: %s image could not be decoded", f.Record, f.Compression)
		}
		req.Faces = append(req.Faces, fi)
	}
	if len(faces) == 0 && ferr != nil && len(fs) == 0 {
		return nil, invalid("ANSI/NIST-ITL transaction: %v", ferr)
	}
	seen := map[int]bool{}
	for _, f := range fs {
		if f.Position < 1 || f.Position > 10 || seen[f.Position] {
			continue
		}
		seen[f.Position] = true
		fi := FingerImage{Position: f.Position, PPI: f.PPI}
		if f.Image == nil {
			// Undecodable image: a failure to acquire with its reason.
			fi.decoded = image.NewGray(image.Rect(0, 0, 1, 1))
		} else {
			b := f.Image.Bounds()
			if b.Dx()*b.Dy() > MaxImagePixels {
				return nil, invalid("record %d finger %d: %d×%d pixels, at most %d", f.Record, f.Position, b.Dx(), b.Dy(), MaxImagePixels)
			}
			fi.decoded = f.Image
		}
		if fi.PPI != 0 && (fi.PPI < 125 || fi.PPI > 2000) {
			fi.PPI = 0
		}
		req.Fingers = append(req.Fingers, fi)
		if len(req.Fingers) == MaxFingers {
			break
		}
	}
	if len(req.Fingers) == 0 && len(req.Faces) == 0 {
		return nil, invalid("ANSI/NIST-ITL transaction holds no finger image of positions 1..10 and no Type-10 face")
	}
	return req, nil
}

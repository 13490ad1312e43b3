package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/bixproject/bix/face"
	"github.com/bixproject/bix/fingerprint"
	"github.com/bixproject/bix/internal/audit"
	"github.com/bixproject/bix/internal/gallery"
	"github.com/bixproject/bix/internal/node"
	"github.com/bixproject/bix/internal/store"
)

// FingerView is one finger template as the console draws it: the image
// size and the minutiae, with the sample's quality.
type FingerView struct {
	Position   int           `json:"position"`
	Width      int           `json:"width"`
	Height     int           `json:"height"`
	Resolution int           `json:"resolution"`
	Quality    int           `json:"quality"`
	Minutiae   []MinutiaView `json:"minutiae"`
	// Image is the sample image as a data: URL (PNG or JPEG) when the node
	// keeps images (keep_images); it covers the template's Width×Height.
	Image string `json:"image,omitempty"`
}

// MinutiaView is one minutia: pixels (origin top-left, y down), direction
// in radians counter-clockwise from the x axis, kind ending, bifurcation or
// other.
type MinutiaView struct {
	X     int     `json:"x"`
	Y     int     `json:"y"`
	Angle float64 `json:"angle"`
	Kind  string  `json:"kind"`
}

// FingerComparison is the probe's finger at one position against the
// candidate's: the candidate's template, the comparison score and the
// paired minutiae (indices into the probe's and the candidate's minutiae,
// from fingerprint.Pairs).
type FingerComparison struct {
	Position  int                `json:"position"`
	Score     float64            `json:"score"`
	Candidate *FingerView        `json:"candidate"`
	Pairs     []fingerprint.Pair `json:"pairs"`
}

// ConsoleCandidate is one candidate of a task with its per-finger
// comparisons and, when it has one, its face.
type ConsoleCandidate struct {
	PersonID string             `json:"person_id"`
	Score    float64            `json:"score"`
	Rank     int                `json:"rank"`
	Fingers  []FingerComparison `json:"fingers"`
	// Face is the candidate's face the face score came from (the face
	// template closest to the probe's), or its best-quality face when the
	// probe has none; nil when the candidate has no face template.
	Face *FaceView `json:"face,omitempty"`
}

// ConsoleTask is GET /v1/console/tasks/{id}: the task, the probe
// encounter's fingers and face, and each candidate's fingers at the same
// positions with the minutiae that pair, and its face.
type ConsoleTask struct {
	Task  *node.TaskView `json:"task"`
	Probe []*FingerView  `json:"probe"`
	// ProbeFace is the probe encounter's face the search used (its
	// best-quality usable face, else its best face sample); nil when the
	// encounter has no face sample.
	ProbeFace  *FaceView          `json:"probe_face,omitempty"`
	Candidates []ConsoleCandidate `json:"candidates"`
}

// FaceView is one face sample as the console shows it: the face aligned
// as the embedder sees it, the kept photograph and where the face is in
// it. Chip is "" when the node did not keep the image or cannot align it
// (no face engine, no face found again); Reason then says why.
type FaceView struct {
	SampleID string `json:"sample_id"`
	// Quality is the sample's face quality (0..100), Status ok or
	// failure_to_acquire.
	Quality int    `json:"quality"`
	Status  string `json:"status"`
	// Score is the cosine similarity of this face's template to the
	// probe's (candidates' faces, when both have a template).
	Score *float64 `json:"score,omitempty"`
	// Chip is the aligned face (face.Engine.Chip: the eyes and mouth
	// mapped onto the embedder's mean face) as a data: URL PNG of
	// ChipSize×ChipSize pixels.
	Chip     string `json:"chip"`
	ChipSize int    `json:"chip_size,omitempty"`
	// Image is the kept photograph as a data: URL (JPEG or PNG), ""
	// when the node did not keep it; Width and Height are its size.
	Image  string `json:"image"`
	Width  int    `json:"width,omitempty"`
	Height int    `json:"height,omitempty"`
	// Box and Keypoints locate the face in Image (pixels, origin
	// top-left): the detector's box [x0, y0, x1, y1] and its six
	// keypoints.
	Box       []float64      `json:"box,omitempty"`
	Keypoints []FaceKeypoint `json:"keypoints,omitempty"`
	Reason    string         `json:"reason,omitempty"`
}

// FaceKeypoint is one detector keypoint in image pixels. Right and left
// are the subject's.
type FaceKeypoint struct {
	Name string  `json:"name"`
	X    float64 `json:"x"`
	Y    float64 `json:"y"`
}

// consoleTask serves the examiner's side-by-side view. Only examiners and
// supervisors see minutiae; the task itself is read through the node, which
// checks the role and logs nothing more than GET /v1/tasks/{id} does.
func (s *Server) consoleTask(w http.ResponseWriter, r *http.Request, a node.Actor) error {
	if a.Role != node.RoleExaminer && a.Role != node.RoleSupervisor {
		return fmt.Errorf("%w: role %s may not view minutiae", node.ErrForbidden, a.Role)
	}
	ctx := r.Context()
	t, err := s.n.Task(ctx, a, r.PathValue("id"))
	if err != nil {
		return err
	}
	// The probe encounter's templates are the provisional identity's until
	// a decision of "same" moves them to the candidate.
	owners := []string{t.PersonID}
	for _, c := range t.Candidates {
		owners = append(owners, c.PersonID)
	}
	probe := map[int]*fingerprint.Template{}
	out := &ConsoleTask{Task: t, Probe: []*FingerView{}, Candidates: []ConsoleCandidate{}}
	images := &sampleImages{s: s, byEnc: map[string]map[string]*store.Sample{}}
	for _, id := range owners {
		ts, err := s.fingerTemplates(ctx, id)
		if err != nil {
			return err
		}
		for _, st := range ts {
			if st.EncounterID == t.EncounterID && probe[st.pos] == nil {
				probe[st.pos] = st.t
				v := fingerView(st.t, st.pos)
				if v.Image, err = images.dataURL(ctx, st); err != nil {
					return err
				}
				out.Probe = append(out.Probe, v)
			}
		}
	}
	faces := &consoleFaces{s: s, images: images, engine: s.n.FaceEngine()}
	out.ProbeFace, err = faces.probe(ctx, t.EncounterID, owners)
	if err != nil {
		return err
	}
	for _, c := range t.Candidates {
		ts, err := s.fingerTemplates(ctx, c.PersonID)
		if err != nil {
			return err
		}
		cc := ConsoleCandidate{PersonID: c.PersonID, Score: c.Score, Rank: c.Rank, Fingers: []FingerComparison{}}
		if cc.Face, err = faces.candidate(ctx, c.PersonID, t.EncounterID); err != nil {
			return fmt.Errorf("candidate %s face: %w", c.PersonID, err)
		}
		for _, sc := range c.Scores {
			p := probe[sc.Position]
			if p == nil {
				continue
			}
			// The candidate's best impression of that finger by the matcher.
			var best *storedFinger
			bestScore := -1.0
			for i, st := range ts {
				if st.pos != sc.Position || st.EncounterID == t.EncounterID {
					continue
				}
				if s := fingerprint.Compare(p, st.t); s > bestScore {
					best, bestScore = &ts[i], s
				}
			}
			if best == nil {
				continue
			}
			v := fingerView(best.t, sc.Position)
			if v.Image, err = images.dataURL(ctx, *best); err != nil {
				return err
			}
			cc.Fingers = append(cc.Fingers, FingerComparison{Position: sc.Position, Score: sc.Score,
				Candidate: v, Pairs: fingerprint.Pairs(p, best.t)})
		}
		out.Candidates = append(out.Candidates, cc)
	}
	return writeJSON(w, http.StatusOK, out)
}

type storedFinger struct {
	EncounterID string
	sampleID    string
	pos         int
	t           *fingerprint.Template
}

// sampleImages reads kept sample images, one encounter at a time.
type sampleImages struct {
	s     *Server
	byEnc map[string]map[string]*store.Sample
}

// encounter returns an encounter's samples by id.
func (si *sampleImages) encounter(ctx context.Context, encounterID string) (map[string]*store.Sample, error) {
	m, ok := si.byEnc[encounterID]
	if !ok {
		ss, err := si.s.n.Store().Samples(ctx, encounterID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("encounter %s samples: %w", encounterID, err)
		}
		m = map[string]*store.Sample{}
		for _, sm := range ss {
			m[sm.ID] = sm
		}
		si.byEnc[encounterID] = m
	}
	return m, nil
}

// dataURL returns the finger's sample image as a data: URL, "" when the
// node did not keep it. PNG and JPEG pass as they are; other formats
// (WSQ, BMP, TIFF) are converted to PNG, which browsers can show.
func (si *sampleImages) dataURL(ctx context.Context, f storedFinger) (string, error) {
	m, err := si.encounter(ctx, f.EncounterID)
	if err != nil {
		return "", err
	}
	sm := m[f.sampleID]
	if sm == nil || len(sm.Image) == 0 {
		return "", nil
	}
	mime := ""
	switch sm.ImageFormat {
	case "png":
		mime = "image/png"
	case "jpeg":
		mime = "image/jpeg"
	}
	b := sm.Image
	if mime == "" {
		img, _, err := image.Decode(bytes.NewReader(sm.Image))
		if err != nil {
			return "", fmt.Errorf("sample %s image (%s): %w", sm.ID, sm.ImageFormat, err)
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			return "", err
		}
		b, mime = buf.Bytes(), "image/png"
	}
	return "data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(b), nil
}

// fingerTemplates decodes a person's stored finger templates.
func (s *Server) fingerTemplates(ctx context.Context, personID string) ([]storedFinger, error) {
	ts, err := s.n.Store().PersonTemplates(ctx, personID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		return nil, err
	}
	var out []storedFinger
	for _, st := range ts {
		if st.Modality != "finger" {
			continue
		}
		rec, err := fingerprint.DecodeISO(st.Data)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", st.ID, err)
		}
		ft, err := rec.Template(0)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", st.ID, err)
		}
		out = append(out, storedFinger{EncounterID: st.EncounterID, sampleID: st.SampleID, pos: st.Position, t: ft})
	}
	return out, nil
}

func fingerView(t *fingerprint.Template, pos int) *FingerView {
	v := &FingerView{Position: pos, Width: t.Width, Height: t.Height, Resolution: t.Resolution, Quality: t.Quality, Minutiae: make([]MinutiaView, len(t.Minutiae))}
	for i, m := range t.Minutiae {
		kind := "other"
		switch m.Kind {
		case fingerprint.KindEnding:
			kind = "ending"
		case fingerprint.KindBifurcation:
			kind = "bifurcation"
		}
		v.Minutiae[i] = MinutiaView{X: m.X, Y: m.Y, Angle: m.Angle, Kind: kind}
	}
	return v
}

// storedFace is one stored face template.
type storedFace struct {
	EncounterID string
	sampleID    string
	emb         []float32
}

// faceTemplates decodes a person's stored face templates.
func (s *Server) faceTemplates(ctx context.Context, personID string) ([]storedFace, error) {
	ts, err := s.n.Store().PersonTemplates(ctx, personID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		return nil, fmt.Errorf("person %s templates: %w", personID, err)
	}
	var out []storedFace
	for _, st := range ts {
		if st.Modality != string(gallery.Face) {
			continue
		}
		v, err := node.DecodeFaceTemplate(st.Format, st.Data)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", st.ID, err)
		}
		out = append(out, storedFace{EncounterID: st.EncounterID, sampleID: st.SampleID, emb: v})
	}
	return out, nil
}

// consoleFaces builds a task's face views: the probe's face first, whose
// template then picks each candidate's face.
type consoleFaces struct {
	s      *Server
	images *sampleImages
	engine *face.Engine // nil without the face models
	probeT []float32    // the probe face's template, nil when it has none
}

// probe returns the view of the encounter's face the search used: its
// best-quality usable face, else its best-quality face sample (a failure
// to acquire, shown with its reason); nil when it has no face sample.
// owners are the identities that may hold the encounter's templates.
func (cf *consoleFaces) probe(ctx context.Context, encounterID string, owners []string) (*FaceView, error) {
	m, err := cf.images.encounter(ctx, encounterID)
	if err != nil {
		return nil, err
	}
	var best *store.Sample
	for _, sm := range m {
		if sm.Modality != string(gallery.Face) {
			continue
		}
		ok, bestOK := sm.Status == store.SampleOK, best != nil && best.Status == store.SampleOK
		if best == nil || (ok && !bestOK) || (ok == bestOK && (sm.Quality > best.Quality || sm.Quality == best.Quality && sm.ID < best.ID)) {
			best = sm
		}
	}
	if best == nil {
		return nil, nil
	}
	for _, id := range owners {
		fs, err := cf.s.faceTemplates(ctx, id)
		if err != nil {
			return nil, err
		}
		for _, f := range fs {
			if f.sampleID == best.ID {
				cf.probeT = f.emb
			}
		}
	}
	return cf.view(best), nil
}

// candidate returns the view of the candidate's face the face score came
// from: of its face templates outside the probe encounter, the one
// closest to the probe's (the gallery's face score is the best cosine over
// them), or its best-quality one when the probe has no face template; nil
// when it has none.
func (cf *consoleFaces) candidate(ctx context.Context, personID, probeEncounter string) (*FaceView, error) {
	fs, err := cf.s.faceTemplates(ctx, personID)
	if err != nil {
		return nil, err
	}
	var best *store.Sample
	bestScore := math.Inf(-1)
	for _, f := range fs {
		if f.EncounterID == probeEncounter {
			continue
		}
		m, err := cf.images.encounter(ctx, f.EncounterID)
		if err != nil {
			return nil, err
		}
		sm := m[f.sampleID]
		if sm == nil {
			continue
		}
		sc := float64(sm.Quality)
		if cf.probeT != nil {
			sc = float64(face.Cosine(cf.probeT, f.emb))
		}
		if sc > bestScore {
			best, bestScore = sm, sc
		}
	}
	if best == nil {
		return nil, nil
	}
	v := cf.view(best)
	if cf.probeT != nil {
		v.Score = &bestScore
	}
	return v, nil
}

// keypointNames are face.Detection's keypoints in order.
var keypointNames = [face.NumKeypoints]string{"right_eye", "left_eye", "nose_tip", "mouth", "right_ear", "left_ear"}

// view renders a face sample. What the node did not keep or cannot align
// leaves Chip (and Image) empty with the reason; it never fails the task.
func (cf *consoleFaces) view(sm *store.Sample) *FaceView {
	v := &FaceView{SampleID: sm.ID, Quality: sm.Quality, Status: sm.Status}
	if len(sm.Image) == 0 {
		v.Reason = "image not kept: the node stores templates only (keep_images is off)"
		return v
	}
	img, err := face.Decode(bytes.NewReader(sm.Image))
	if err != nil {
		v.Reason = fmt.Sprintf("kept image unreadable: %v", err)
		return v
	}
	b := img.Bounds()
	v.Width, v.Height = b.Dx(), b.Dy()
	if v.Image, err = imageDataURL(sm.Image, img); err != nil {
		v.Reason = fmt.Sprintf("kept image: %v", err)
		return v
	}
	if cf.engine == nil {
		v.Reason = "face engine not loaded (face models not installed: bix models pull): no aligned face"
		return v
	}
	dets, err := cf.engine.Detect(img)
	if err != nil {
		v.Reason = fmt.Sprintf("face detection: %v", err)
		return v
	}
	if len(dets) == 0 {
		v.Reason = "no face found in the kept image"
		return v
	}
	// The subject's face is the largest, as face.Primary picks it at
	// enrollment.
	d := dets[0]
	for _, x := range dets[1:] {
		if x.Box.Width()*x.Box.Height() > d.Box.Width()*d.Box.Height() {
			d = x
		}
	}
	v.Box = []float64{d.Box.X0, d.Box.Y0, d.Box.X1, d.Box.Y1}
	for i, p := range d.Keypoints {
		v.Keypoints = append(v.Keypoints, FaceKeypoint{Name: keypointNames[i], X: p.X, Y: p.Y})
	}
	chip, err := cf.engine.Chip(img, &d)
	if err != nil {
		v.Reason = fmt.Sprintf("face alignment: %v", err)
		return v
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, chip); err != nil {
		v.Reason = fmt.Sprintf("aligned face: %v", err)
		return v
	}
	v.Chip = "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())
	v.ChipSize = face.ChipSize
	return v
}

// imageDataURL returns a kept image as a data: URL: JPEG and PNG as they
// are, img re-encoded as PNG otherwise.
func imageDataURL(raw []byte, img image.Image) (string, error) {
	switch mime := http.DetectContentType(raw); mime {
	case "image/jpeg", "image/png":
		return "data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(raw), nil
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", fmt.Errorf("encode PNG: %w", err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

// AuditEntry is one audit log entry with its index.
type AuditEntry struct {
	Index int64       `json:"index"`
	Entry audit.Entry `json:"entry"`
}

// AuditEntries is GET /v1/audit/entries: entries [start, start+count) of a
// log of size Size.
type AuditEntries struct {
	Size  int64 `json:"size"`
	Start int64 `json:"start"`
	// Object is the object filter, when given: Entries are then the last
	// count entries naming it, not a contiguous range.
	Object  string       `json:"object,omitempty"`
	Entries []AuditEntry `json:"entries"`
}

// entriesAbout returns the last count entries (oldest first) whose objects
// name obj, either exactly or as a partner reference ending in ":"+obj,
// reading the whole log.
func entriesAbout(ctx context.Context, l *audit.Log, role string, size int64, obj string, count int) ([]AuditEntry, error) {
	out := []AuditEntry{}
	for start := int64(0); start < size; start += auditPage {
		es, err := l.Entries(ctx, role, start, min(start+auditPage, size))
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			for _, o := range e.Entry.Objects {
				if o == obj || strings.HasSuffix(o, ":"+obj) {
					out = append(out, AuditEntry{Index: e.Index, Entry: e.Entry})
					break
				}
			}
		}
	}
	if len(out) > count {
		out = out[len(out)-count:]
	}
	return out, nil
}

// auditPage is how many entries a scan of the whole log reads at a time.
const auditPage = 1000

// maxAuditPage caps count on GET /v1/audit/entries.
const maxAuditPage = 500

// auditRead checks that a may read the audit log.
func auditRead(a node.Actor) error {
	if !audit.CanRead(string(a.Role)) {
		return fmt.Errorf("%w: %v", node.ErrForbidden, audit.ErrForbidden)
	}
	return nil
}

// auditEntries serves a page of entries, newest last; without start the
// last count entries (count defaults to 50). With object, the last count
// entries naming that record (who enrolled, read, searched or disclosed
// it).
func (s *Server) auditEntries(w http.ResponseWriter, r *http.Request, a node.Actor) error {
	if err := auditRead(a); err != nil {
		return err
	}
	ctx := r.Context()
	l := s.n.AuditLog()
	size, err := l.Size(ctx)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	count := int64(50)
	if v := q.Get("count"); v != "" {
		if count, err = strconv.ParseInt(v, 10, 64); err != nil || count < 1 || count > maxAuditPage {
			return badParam("count", v, "an integer from 1 to "+strconv.Itoa(maxAuditPage))
		}
	}
	start := max(size-count, 0)
	if v := q.Get("start"); v != "" {
		if start, err = strconv.ParseInt(v, 10, 64); err != nil || start < 0 {
			return badParam("start", v, "a non-negative integer")
		}
	}
	if obj := q.Get("object"); obj != "" {
		es, err := entriesAbout(ctx, l, string(a.Role), size, obj, int(count))
		if err != nil {
			return err
		}
		out := AuditEntries{Size: size, Object: obj, Entries: es}
		if len(es) > 0 {
			out.Start = es[0].Index
		}
		return writeJSON(w, http.StatusOK, out)
	}
	end := min(start+count, size)
	out := AuditEntries{Size: size, Start: start, Entries: []AuditEntry{}}
	if start < end {
		es, err := l.Entries(ctx, string(a.Role), start, end)
		if err != nil {
			return err
		}
		for _, e := range es {
			out.Entries = append(out.Entries, AuditEntry{Index: e.Index, Entry: e.Entry})
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

// CheckpointSignature is one signature line of a signed checkpoint: the
// log's own signature or a partner witness's cosignature.
type CheckpointSignature struct {
	Name    string `json:"name"`
	KeyHash string `json:"key_hash"`
	Witness bool   `json:"witness"`
}

// AuditCheckpoint is GET /v1/audit/checkpoint: the latest signed
// checkpoint (C2SP tlog-checkpoint) with its signatures, and the result of
// recomputing the whole log against every stored checkpoint.
type AuditCheckpoint struct {
	Origin     string                `json:"origin"`
	Size       int64                 `json:"size"`
	Checkpoint string                `json:"checkpoint"`
	Signatures []CheckpointSignature `json:"signatures"`
	LogSize    int64                 `json:"log_size"`
	Verified   bool                  `json:"verified"`
	VerifyErr  string                `json:"verify_error,omitempty"`
	// SignaturesChecked says whether Verified included the checkpoints'
	// signatures (the node knows its public key).
	SignaturesChecked bool   `json:"signatures_checked"`
	Root              string `json:"root"`
	Checkpoints       int    `json:"checkpoints"`
}

func (s *Server) auditCheckpoint(w http.ResponseWriter, r *http.Request, a node.Actor) error {
	if err := auditRead(a); err != nil {
		return err
	}
	ctx := r.Context()
	l := s.n.AuditLog()
	out := AuditCheckpoint{Origin: l.Origin(), Signatures: []CheckpointSignature{}}
	signed, err := l.LatestCheckpoint(ctx)
	if err != nil {
		return err
	}
	if signed != nil {
		cp, err := parseCheckpoint(signed)
		if err != nil {
			return err
		}
		out.Size, out.Checkpoint, out.Signatures = cp.size, string(signed), cp.sigs
	}
	sum, err := l.VerifySummary(ctx)
	out.Verified = err == nil
	if err != nil {
		out.VerifyErr = err.Error()
	} else {
		out.LogSize, out.SignaturesChecked, out.Root, out.Checkpoints = sum.Size, sum.Signed, sum.Root.String(), sum.Checkpoints
	}
	return writeJSON(w, http.StatusOK, out)
}

// AuditProof is GET /v1/audit/proofs/{index}: the entry's inclusion proof
// in the latest checkpoint, and whether the proof's hashes lead from the
// entry to the checkpoint's root hash (checked by the node; `bix audit
// check` checks it offline with the log's public key).
type AuditProof struct {
	*audit.InclusionProof
	Entry   audit.Entry `json:"entry"`
	Root    string      `json:"root"`
	ProofOK bool        `json:"proof_ok"`
	Error   string      `json:"proof_error,omitempty"`
}

func (s *Server) auditProof(w http.ResponseWriter, r *http.Request, a node.Actor) error {
	if err := auditRead(a); err != nil {
		return err
	}
	v := r.PathValue("index")
	index, err := strconv.ParseInt(v, 10, 64)
	if err != nil || index < 0 {
		return fmt.Errorf("%w: entry index %q: want a non-negative integer", errBadRequest, v)
	}
	p, err := s.n.AuditLog().ProveInclusion(r.Context(), index)
	if err != nil {
		if errors.Is(err, audit.ErrNoEntry) {
			return fmt.Errorf("%w: %v", node.ErrNotFound, err)
		}
		return err
	}
	out := AuditProof{InclusionProof: p}
	if out.Entry, err = audit.ParseEntry([]byte(p.Body)); err != nil {
		return err
	}
	cp, err := parseCheckpoint([]byte(p.Checkpoint))
	if err == nil && cp.size != p.Size {
		err = fmt.Errorf("proof size %d, checkpoint size %d", p.Size, cp.size)
	}
	if err == nil {
		out.Root = cp.root.String()
		err = tlog.CheckRecord(p.Proof, p.Size, cp.root, p.Index, tlog.RecordHash([]byte(p.Body)))
	}
	out.ProofOK = err == nil
	if err != nil {
		out.Error = err.Error()
	}
	return writeJSON(w, http.StatusOK, out)
}

type checkpointText struct {
	origin string
	size   int64
	root   tlog.Hash
	sigs   []CheckpointSignature
}

// parseCheckpoint reads a signed checkpoint's body (origin, size, root hash;
// https://c2sp.org/tlog-checkpoint) and its signature lines ("— name
// base64(keyhash‖sig)", https://c2sp.org/signed-note) without verifying
// the signatures; signatures other than the first are witnesses'.
func parseCheckpoint(b []byte) (*checkpointText, error) {
	body, sigs, ok := bytes.Cut(b, []byte("\n\n"))
	if !ok {
		return nil, fmt.Errorf("checkpoint: no blank line before the signatures")
	}
	lines := strings.Split(string(body), "\n")
	if len(lines) < 3 {
		return nil, fmt.Errorf("checkpoint: %d body lines, want at least 3", len(lines))
	}
	cp := &checkpointText{origin: lines[0], sigs: []CheckpointSignature{}}
	var err error
	if cp.size, err = strconv.ParseInt(lines[1], 10, 64); err != nil || cp.size < 0 {
		return nil, fmt.Errorf("checkpoint: size line %q", lines[1])
	}
	if cp.root, err = tlog.ParseHash(lines[2]); err != nil {
		return nil, fmt.Errorf("checkpoint: root hash line %q: %v", lines[2], err)
	}
	for i, line := range strings.Split(strings.TrimRight(string(sigs), "\n"), "\n") {
		rest, ok := strings.CutPrefix(line, "— ")
		if !ok {
			return nil, fmt.Errorf("checkpoint: signature line %d %q", i+1, line)
		}
		name, sig, ok := strings.Cut(rest, " ")
		if !ok {
			return nil, fmt.Errorf("checkpoint: signature line %d has no signature", i+1)
		}
		raw, err := base64.StdEncoding.DecodeString(sig)
		if err != nil || len(raw) < 4 {
			return nil, fmt.Errorf("checkpoint: signature line %d: bad base64", i+1)
		}
		cp.sigs = append(cp.sigs, CheckpointSignature{Name: name, KeyHash: fmt.Sprintf("%08x", raw[:4]), Witness: i > 0})
	}
	return cp, nil
}

// QualityRequest is the POST /v1/console/quality body.
type QualityRequest struct {
	Fingers []node.FingerImage `json:"fingers"`
}

// QualityResult is the POST /v1/console/quality response: per finger what
// enrollment would make of it (status ok or failure_to_acquire, quality,
// minutiae, reason), the same checks Enroll runs, so that an officer can
// recapture before submitting. Nothing is stored or logged.
type QualityResult struct {
	MinQuality int                 `json:"min_quality"`
	Samples    []node.SampleResult `json:"samples"`
}

// consoleQuality checks finger images without enrolling them; for roles
// that capture (officer, supervisor).
func (s *Server) consoleQuality(w http.ResponseWriter, r *http.Request, a node.Actor) error {
	if a.Role != node.RoleOfficer && a.Role != node.RoleSupervisor {
		return fmt.Errorf("%w: role %s does not capture fingerprints", node.ErrForbidden, a.Role)
	}
	var req QualityRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if len(req.Fingers) == 0 || len(req.Fingers) > node.MaxFingers {
		return fmt.Errorf("%w: %d fingers, want 1 to %d", node.ErrInvalid, len(req.Fingers), node.MaxFingers)
	}
	minQ := s.n.Config().MinQuality
	out := QualityResult{MinQuality: minQ, Samples: []node.SampleResult{}}
	for i, f := range req.Fingers {
		if f.Position < 0 || f.Position > 10 {
			return fmt.Errorf("%w: fingers[%d].position %d out of 0..10", node.ErrInvalid, i, f.Position)
		}
		if f.PPI != 0 && (f.PPI < 125 || f.PPI > 2000) {
			return fmt.Errorf("%w: fingers[%d].ppi %d out of 125..2000", node.ErrInvalid, i, f.PPI)
		}
		cfg, format, err := image.DecodeConfig(bytes.NewReader(f.Image))
		if err != nil {
			return fmt.Errorf("%w: fingers[%d].image: %v", node.ErrInvalid, i, err)
		}
		if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > node.MaxImagePixels {
			return fmt.Errorf("%w: fingers[%d].image: %d×%d pixels, at most %d pixels", node.ErrInvalid, i, cfg.Width, cfg.Height, node.MaxImagePixels)
		}
		img, _, err := image.Decode(bytes.NewReader(f.Image))
		if err != nil {
			return fmt.Errorf("%w: fingers[%d].image (%s): %v", node.ErrInvalid, i, format, err)
		}
		res := node.SampleResult{Position: f.Position}
		t, err := fingerprint.Extract(img, fingerprint.ExtractOptions{Resolution: f.PPI})
		var ue *fingerprint.UnusableError
		switch {
		case errors.As(err, &ue):
			res.Status, res.Reason = store.SampleFTA, ue.Reason
		case err != nil:
			res.Status, res.Reason = store.SampleFTA, err.Error()
		case t.Quality < minQ:
			res.Status, res.Quality, res.Minutiae = store.SampleFTA, t.Quality, len(t.Minutiae)
			res.Reason = fmt.Sprintf("quality %d below the minimum %d", t.Quality, minQ)
		default:
			res.Status, res.Quality, res.Minutiae = store.SampleOK, t.Quality, len(t.Minutiae)
		}
		out.Samples = append(out.Samples, res)
	}
	return writeJSON(w, http.StatusOK, out)
}

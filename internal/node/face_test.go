package node

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bixproject/bix/ansinist"
	"github.com/bixproject/bix/face"
	"github.com/bixproject/bix/face/models"
	"github.com/bixproject/bix/fingerprint"
	"github.com/bixproject/bix/internal/gallery"
	"github.com/bixproject/bix/internal/shareddata"
	"github.com/bixproject/bix/internal/store"
)

// embedding returns a unit vector; with base, one near it.
func embedding(r *rand.Rand, base []float32, noise float64) []float32 {
	v := make([]float32, gallery.FaceDim)
	for i := range v {
		x := r.NormFloat64() * noise
		if base != nil {
			x += float64(base[i])
		}
		v[i] = float32(x)
	}
	return face.Normalize(v)
}

func enrollFace(t *testing.T, n *Node, birth string, captured time.Time, emb []float32, fingers []FingerImage) *EnrollResult {
	t.Helper()
	req := &EnrollRequest{
		Person:    PersonInfo{BirthDate: birth, Nationality: "NLD"},
		Encounter: EncounterInfo{Location: "AMS", CapturedAt: captured, Consent: true, Notice: true},
		Fingers:   fingers,
	}
	if emb != nil {
		req.Faces = []FaceImage{{embedding: emb}}
	}
	r, err := n.Enroll(context.Background(), officer, req)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestSecondExaminer guards the second-examiner rule: a dedup task whose
// person is a minor at the encounter, or whose match is face-only, takes
// effect only after two different examiners decide; an adult's
// fingerprint match needs one.
func TestSecondExaminer(t *testing.T) {
	ctx := context.Background()
	n := openNode(t, t.TempDir())
	r := rand.New(rand.NewPCG(1, 2))
	at := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)

	// A ten-year-old, enrolled twice by fingerprints.
	child := enrollFace(t, n, "2015-01-01", at, nil, fingers(t, 5, 0, 1, 2))
	again := enrollFace(t, n, "2015-01-01", at.AddDate(0, 1, 0), nil, fingers(t, 5, 1, 1, 2))
	if again.Status != StatusPending {
		t.Fatalf("child re-enrolled: %+v", again)
	}
	tv, err := n.Task(ctx, examiner, again.TaskID)
	if err != nil || tv.ReviewsRequired != 2 || len(tv.ReviewReasons) != 1 || tv.ReviewReasons[0] != ReviewMinor {
		t.Fatalf("child's task: %+v, %v", tv, err)
	}
	same := Decision{Outcome: "same", Candidate: child.PersonID, ReasonCode: "minutiae-agree"}
	tv, err = n.DecideTask(ctx, examiner, again.TaskID, same)
	if err != nil || tv.State != store.TaskReview || tv.Decision != nil || len(tv.Reviews) != 1 || tv.Reviews[0].Examiner != examiner.User {
		t.Fatalf("first examiner's decision: %+v, %v", tv, err)
	}
	// No effect yet: the new identity is still pending, not merged.
	if p, err := n.Store().Person(ctx, again.PersonID); err != nil || p.Status != store.PersonPending {
		t.Fatalf("after one decision the person is %+v, %v", p, err)
	}
	if _, err := n.DecideTask(ctx, examiner, again.TaskID, same); !errors.Is(err, ErrConflict) {
		t.Errorf("same examiner deciding twice: %v, want ErrConflict", err)
	}
	if _, err := n.ClaimTask(ctx, examiner, again.TaskID); !errors.Is(err, ErrConflict) {
		t.Errorf("first examiner claiming as second: %v, want ErrConflict", err)
	}
	if l, err := n.Tasks(ctx, examiner2, store.TaskReview); err != nil || len(l) != 1 {
		t.Errorf("tasks in review: %v, %v", l, err)
	}
	if _, err := n.ClaimTask(ctx, examiner2, again.TaskID); err != nil {
		t.Fatal(err)
	}
	tv, err = n.DecideTask(ctx, examiner2, again.TaskID, same)
	if err != nil || tv.State != store.TaskDecided || tv.Decision == nil || tv.Decision.Outcome != "same" || tv.Decision.Examiner != examiner2.User || len(tv.Reviews) != 2 {
		t.Fatalf("second examiner's decision: %+v, %v", tv, err)
	}
	if p, err := n.Store().Person(ctx, again.PersonID); err != nil || p.Status != store.PersonMerged || p.MergedInto != child.PersonID {
		t.Fatalf("after two decisions the person is %+v, %v", p, err)
	}

	// An adult's fingerprint match: one examiner decides.
	adult := enrollFace(t, n, "1980-01-01", at, nil, fingers(t, 6, 0, 1, 2))
	adult2 := enrollFace(t, n, "1980-01-01", at, nil, fingers(t, 6, 1, 1, 2))
	if adult2.Status != StatusPending {
		t.Fatalf("adult re-enrolled: %+v", adult2)
	}
	tv, err = n.DecideTask(ctx, examiner, adult2.TaskID, Decision{Outcome: "same", Candidate: adult.PersonID, ReasonCode: "minutiae-agree"})
	if err != nil || tv.State != store.TaskDecided || tv.ReviewsRequired != 1 {
		t.Fatalf("adult's task: %+v, %v", tv, err)
	}

	// Face-only: an adult enrolled by face alone, then again by face;
	// the examiners disagree, so the identities stay apart.
	v := embedding(r, nil, 1)
	f1 := enrollFace(t, n, "1985-03-03", at, v, nil)
	if f1.Status != StatusEnrolled || len(f1.Samples) != 1 || f1.Samples[0].Modality != "face" {
		t.Fatalf("face enrollment: %+v", f1)
	}
	f2 := enrollFace(t, n, "1985-03-03", at, embedding(r, v, 0.01), nil)
	if f2.Status != StatusPending || len(f2.Candidates) != 1 || f2.Candidates[0].PersonID != f1.PersonID || f2.Candidates[0].Fusion == nil || !f2.Candidates[0].Fusion.FaceOnly {
		t.Fatalf("face-only duplicate: %+v", f2)
	}
	tv, err = n.Task(ctx, examiner, f2.TaskID)
	if err != nil || tv.ReviewsRequired != 2 || len(tv.ReviewReasons) != 1 || tv.ReviewReasons[0] != ReviewFaceOnly {
		t.Fatalf("face-only task: %+v, %v", tv, err)
	}
	if tv, err = n.DecideTask(ctx, examiner, f2.TaskID, Decision{Outcome: "same", Candidate: f1.PersonID, ReasonCode: "face-agrees"}); err != nil || tv.State != store.TaskReview {
		t.Fatalf("face-only, first examiner: %+v, %v", tv, err)
	}
	tv, err = n.DecideTask(ctx, supervisor, f2.TaskID, Decision{Outcome: "different", ReasonCode: "face-differs"})
	if err != nil || tv.State != store.TaskDecided || tv.Decision.Outcome != store.OutcomeInconclusive || tv.Decision.ReasonCode != "examiners-disagree" {
		t.Fatalf("face-only, disagreeing second examiner: %+v, %v", tv, err)
	}
	if p, err := n.Store().Person(ctx, f2.PersonID); err != nil || p.Status != store.PersonActive {
		t.Fatalf("after disagreement the person is %+v, %v", p, err)
	}
	if !n.Gallery().Has(f2.PersonID) || !n.Gallery().Has(f1.PersonID) {
		t.Error("identities kept apart should both be in the gallery")
	}
}

func TestMinorAgeConfigurable(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.MinorAge = 9
	n, err := Open(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	at := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	enrollFace(t, n, "2015-01-01", at, nil, fingers(t, 5, 0, 1, 2))
	again := enrollFace(t, n, "2015-01-01", at, nil, fingers(t, 5, 1, 1, 2))
	tv, err := n.Task(context.Background(), examiner, again.TaskID)
	if err != nil || tv.ReviewsRequired != 1 {
		t.Fatalf("ten-year-old with minor_age 9: %+v, %v", tv, err)
	}
	for _, bad := range []int{-1, 30} {
		c := testConfig(t, t.TempDir())
		c.MinorAge = bad
		if _, err := Open(context.Background(), c, nil); err == nil {
			t.Errorf("minor_age %d accepted", bad)
		}
	}
}

func TestMinorAt(t *testing.T) {
	at := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		birth string
		want  bool
	}{{"2011-06-02", true}, {"2011-06-01", false}, {"2015-01-01", true}, {"", false}, {"x", false}} {
		if got := minorAt(tc.birth, at, 14); got != tc.want {
			t.Errorf("minorAt(%q) = %v, want %v", tc.birth, got, tc.want)
		}
	}
}

func TestFaceWithoutEngine(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t, t.TempDir())
	cfg.Face.Enabled = "false"
	n, err := Open(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if n.FaceEnabled() {
		t.Fatal("face engine loaded with face.enabled false")
	}
	img := []byte("\x89PNG not really")
	if _, err := n.Enroll(ctx, officer, &EnrollRequest{Faces: []FaceImage{{Image: img}}}); !errors.Is(err, ErrNoFaceEngine) || !errors.Is(err, ErrInvalid) {
		t.Errorf("enroll with a face: %v, want ErrNoFaceEngine", err)
	}
	if _, err := n.IdentifyImages(ctx, officer, fingers(t, 1, 0, 1), &FaceImage{Image: img}, IdentifyOptions{}); !errors.Is(err, ErrNoFaceEngine) {
		t.Errorf("identify with a face: %v, want ErrNoFaceEngine", err)
	}
	if _, err := n.Verify(ctx, officer, "00000000-0000-0000-0000-000000000000", nil, &FaceImage{Image: img}); !errors.Is(err, ErrNoFaceEngine) {
		t.Errorf("verify with a face: %v, want ErrNoFaceEngine", err)
	}
	// Stored embeddings are still searched after a restart: the engine is
	// needed to read images, not to match.
	r := rand.New(rand.NewPCG(3, 4))
	v := embedding(r, nil, 1)
	e := enrollFace(t, n, "", time.Time{}, v, fingers(t, 7, 0, 1))
	n.Close()
	n2, err := Open(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer n2.Close()
	if n2.Gallery().Faces() != 1 {
		t.Fatalf("faces after restart: %d", n2.Gallery().Faces())
	}
	res, err := n2.IdentifyFused(ctx, officer, gallery.Probe{Face: embedding(r, v, 0.01)}, IdentifyOptions{})
	if err != nil || !res.Hit || res.Candidates[0].PersonID != e.PersonID || !res.Fused || res.FaceThreshold <= 0.9 || res.FaceThreshold >= 1 {
		t.Fatalf("face search after restart: %+v, %v", res, err)
	}
	vr, err := n2.VerifyFused(ctx, officer, e.PersonID, gallery.Probe{Fingers: nil, Face: v})
	if err != nil || !vr.Match || vr.Fusion == nil || !vr.Fusion.Face {
		t.Fatalf("face verify: %+v, %v", vr, err)
	}
	bad := []string{"maybe", "x"}
	for _, b := range bad {
		c := testConfig(t, t.TempDir())
		c.Face.Enabled = b
		if _, err := Open(ctx, c, nil); err == nil {
			t.Errorf("face.enabled %q accepted", b)
		}
	}
	c := testConfig(t, t.TempDir())
	c.Face.Enabled, c.Face.ModelsDir = "true", t.TempDir()
	if _, err := Open(ctx, c, nil); !errors.Is(err, models.ErrMissing) {
		t.Errorf("face.enabled true without models: %v, want models.ErrMissing", err)
	}
}

func TestFaceTemplateCodec(t *testing.T) {
	v := make([]float32, gallery.FaceDim)
	for i := range v {
		v[i] = float32(i) / 100
	}
	got, err := decodeFace(faceTemplateFormat, encodeFace(v))
	if err != nil {
		t.Fatal(err)
	}
	for i := range v {
		if got[i] != v[i] {
			t.Fatalf("value %d: %v, want %v", i, got[i], v[i])
		}
	}
	if _, err := decodeFace("other", encodeFace(v)); err == nil {
		t.Error("unknown format accepted")
	}
	if _, err := decodeFace(faceTemplateFormat, encodeFace(v[:5])); err == nil {
		t.Error("short template accepted")
	}
}

// TestFacePriors checks the prior tails against the engine's calibrated
// thresholds: face.DefaultThreshold is about FMR 1e-2, StrictThreshold
// about 1e-3; the finger prior gives fingerprint.DefaultThreshold 4.
func TestFacePriors(t *testing.T) {
	if e := facePrior.Evidence(float64(face.DefaultThreshold)); math.Abs(e-2) > 0.15 {
		t.Errorf("face prior at DefaultThreshold: %v decades, want about 2", e)
	}
	if e := facePrior.Evidence(float64(face.StrictThreshold)); math.Abs(e-3) > 0.3 {
		t.Errorf("face prior at StrictThreshold: %v decades, want about 3", e)
	}
	if e := fingerPrior.Evidence(fingerprint.DefaultThreshold); math.Abs(e-4) > 1e-9 {
		t.Errorf("finger prior at DefaultThreshold: %v", e)
	}
}

// realEngine returns the node config with the face models, skipping
// without them (failing under CI, like package face's tests), and the LFW
// images directory of the shared data.
func realFaces(t *testing.T) (Config, string) {
	t.Helper()
	d, err := models.Dir(nil)
	if err == nil {
		err = models.Check(d)
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("face models unavailable under CI: %v", err)
		}
		t.Skipf("face models not installed (%v); run: go run ./cmd/bix models pull", err)
	}
	lfw := shareddata.Require(t, "faces", "lfw-deepfunneled")
	cfg := testConfig(t, t.TempDir())
	cfg.Face.Enabled, cfg.Face.ModelsDir = "true", d
	return cfg, lfw
}

func lfwImage(t *testing.T, dir, name string, i int) []byte {
	t.Helper()
	b, err := os.ReadFile(face.LFWImage(dir, name, i))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFaceRealModels enrolls, identifies and verifies real LFW faces with
// the real models (photographs picked whose genuine cosine is above the
// FMR 1e-4 face score, 0.945; about 60 % of LFW genuine pairs are): a
// second photograph of an enrolled person is found and
// verified on the face (fused with fingers when both are given), another
// person is not, and a face-only duplicate enrollment needs two examiners.
func TestFaceRealModels(t *testing.T) {
	cfg, lfw := realFaces(t)
	ctx := context.Background()
	n, err := Open(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if !n.FaceEnabled() {
		t.Fatal("face engine not loaded")
	}
	people := []string{"Ariel_Sharon", "Adrien_Brody", "Amelie_Mauresmo"}
	ids := map[string]string{}
	for i, name := range people {
		if _, err := os.Stat(filepath.Join(lfw, name)); err != nil {
			t.Skipf("LFW identity %s not in the shared data", name)
		}
		res, err := n.Enroll(ctx, officer, &EnrollRequest{Person: PersonInfo{BirthDate: "1970-01-01"},
			Fingers: fingers(t, 20+i, 0, 1), Faces: []FaceImage{{Image: lfwImage(t, lfw, name, 1)}}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != StatusEnrolled || len(res.Samples) != 2 || res.Samples[1].Status != store.SampleOK {
			t.Fatalf("enroll %s: %+v", name, res)
		}
		ids[name] = res.PersonID
	}
	// Face only, another photograph.
	res, err := n.IdentifyImages(ctx, officer, nil, &FaceImage{Image: lfwImage(t, lfw, "Ariel_Sharon", 2)}, IdentifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Hit || res.Candidates[0].PersonID != ids["Ariel_Sharon"] || !res.Candidates[0].Fusion.FaceOnly || res.Candidates[0].Scores[0].Modality != gallery.Face {
		t.Fatalf("face search: %+v", res)
	}
	t.Logf("face search: score %.2f decades (threshold %.2f; face %.3f, needs %.3f)", res.Candidates[0].Score, res.Threshold, res.Candidates[0].Fusion.FaceScore, res.FaceThreshold)
	// Face and finger together.
	res, err = n.IdentifyImages(ctx, officer, fingers(t, 21, 1, 1), &FaceImage{Image: lfwImage(t, lfw, "Adrien_Brody", 2)}, IdentifyOptions{})
	if err != nil || !res.Hit || res.Candidates[0].PersonID != ids["Adrien_Brody"] || res.Candidates[0].Fusion.FaceOnly || len(res.Candidates[0].Scores) != 2 {
		t.Fatalf("fused search: %+v, %v", res, err)
	}
	// 1:1: genuine and impostor.
	v, err := n.Verify(ctx, officer, ids["Ariel_Sharon"], nil, &FaceImage{Image: lfwImage(t, lfw, "Ariel_Sharon", 3)})
	if err != nil || !v.Match {
		t.Fatalf("genuine face verify: %+v, %v", v, err)
	}
	v, err = n.Verify(ctx, officer, ids["Adrien_Brody"], nil, &FaceImage{Image: lfwImage(t, lfw, "Ariel_Sharon", 3)})
	if err != nil || v.Match {
		t.Fatalf("impostor face verify: %+v, %v", v, err)
	}
	// An image without a face is a failure to acquire with the reason.
	if _, err := n.IdentifyImages(ctx, officer, nil, &FaceImage{Image: fingerPNG(t, 1, 1, 0)}, IdentifyOptions{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("finger image as a face: %v", err)
	}
	// Type-10 through the transaction path: a face-only duplicate.
	img, err := face.Decode(bytes.NewReader(lfwImage(t, lfw, "Amelie_Mauresmo", 5)))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := ansinist.Build(ansinist.BuildRequest{Faces: []ansinist.FaceImage{{Image: img}}})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := tr.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	er, err := n.EnrollTransaction(ctx, officer, &buf, EncounterInfo{Consent: true, Notice: true}, "visa-applicant")
	if err != nil {
		t.Fatal(err)
	}
	if er.Status != StatusPending || er.Candidates[0].PersonID != ids["Amelie_Mauresmo"] || !er.Candidates[0].Fusion.FaceOnly {
		t.Fatalf("Type-10 duplicate: %+v", er)
	}
	tv, err := n.Task(ctx, examiner, er.TaskID)
	if err != nil || tv.ReviewsRequired != 2 {
		t.Fatalf("face-only task: %+v, %v", tv, err)
	}
}

package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"image/jpeg"
	"image/png"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/bixproject/bix/face"
	"github.com/bixproject/bix/face/models"
	"github.com/bixproject/bix/internal/node"
	"github.com/bixproject/bix/internal/shareddata"
	"github.com/bixproject/bix/internal/store"
)

// faceModels returns the installed face models' directory, skipping the
// test without them (failing under CI, which installs them).
func faceModels(t *testing.T) string {
	t.Helper()
	dir, err := models.Dir(nil)
	if err == nil {
		err = models.Check(dir)
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("face models unavailable under CI: %v", err)
		}
		t.Skipf("face models not installed (%v); run: go run ./cmd/bix models pull", err)
	}
	return dir
}

// faceTaskNode opens a node in dir with the face settings fc and keep
// images as told, serves it, and returns its URL, an officer's and an
// examiner's client tokens and a stop function.
func faceTaskNode(t *testing.T, dir string, kek *store.KEK, keep bool, fc node.FaceConfig, users bool) (url, officer, examiner string, stop func()) {
	t.Helper()
	ctx := context.Background()
	n, err := node.Open(ctx, node.Config{DataDir: dir, NodeID: "faces.test", KEK: kek, KeepImages: keep, Face: fc}, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewServer(n, nil))
	if users {
		sys := node.Actor{User: "setup", Role: node.RoleSystem}
		if officer, err = n.AddUser(ctx, sys, "olga", node.RoleOfficer); err == nil {
			examiner, err = n.AddUser(ctx, sys, "emil", node.RoleExaminer)
		}
		if err != nil {
			srv.Close()
			n.Close()
			t.Fatal(err)
		}
	}
	return srv.URL, officer, examiner, func() { srv.Close(); n.Close() }
}

// enrollFaceDuplicate enrolls LFW photographs 1 and 2 of one identity as
// two face-only enrollments and returns the deduplication task the second
// makes.
func enrollFaceDuplicate(t *testing.T, url, officer string, photos [2][]byte) string {
	t.Helper()
	ctx := context.Background()
	c := &Client{BaseURL: url, Token: officer}
	enc := node.EncounterInfo{Location: "Land border", Consent: true, Notice: true}
	if _, err := c.Enroll(ctx, &node.EnrollRequest{Encounter: enc, Faces: []node.FaceImage{{Image: photos[0]}}}); err != nil {
		t.Fatal(err)
	}
	r, err := c.Enroll(ctx, &node.EnrollRequest{Encounter: enc, Faces: []node.FaceImage{{Image: photos[1]}}})
	if err != nil {
		t.Fatal(err)
	}
	if r.TaskID == "" {
		t.Fatalf("a second photograph of the same person made no deduplication task (status %s)", r.Status)
	}
	return r.TaskID
}

// decodeChip decodes a face view's aligned chip, failing unless it is a
// PNG data URL of face.ChipSize square.
func decodeChip(t *testing.T, who string, v *FaceView) []byte {
	t.Helper()
	b64, ok := strings.CutPrefix(v.Chip, "data:image/png;base64,")
	if !ok {
		t.Fatalf("%s chip %.40q (reason %q): want a PNG data URL", who, v.Chip, v.Reason)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatalf("%s chip: %v", who, err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s chip: %v", who, err)
	}
	if b := img.Bounds(); b.Dx() != face.ChipSize || b.Dy() != face.ChipSize || v.ChipSize != face.ChipSize {
		t.Errorf("%s chip %dx%d (chip_size %d), want %dx%d", who, b.Dx(), b.Dy(), v.ChipSize, face.ChipSize, face.ChipSize)
	}
	return raw
}

// TestConsoleTaskFaces: the task view of a face-only duplicate carries the
// probe's and the candidate's faces aligned as the embedder sees them, with
// the kept photographs, the quality, the keypoints and the candidate's
// cosine score. Reopened without the face engine the view still answers,
// with the photographs and the reason there is no aligned face; a node that
// does not keep images says so. It needs the pinned face models (bix models
// pull; required under CI) and the shared LFW photographs.
func TestConsoleTaskFaces(t *testing.T) {
	modelsDir := faceModels(t)
	lfw := shareddata.Require(t, "faces", "lfw-deepfunneled")
	var photos [2][]byte
	for i := range photos {
		b, err := os.ReadFile(face.LFWImage(lfw, "Ariel_Sharon", i+1))
		if err != nil {
			t.Fatal(err)
		}
		photos[i] = b
	}
	kek, _ := store.ParseKEK(store.GenerateKeyText())
	dir := t.TempDir()
	withEngine := node.FaceConfig{Enabled: "true", ModelsDir: modelsDir}

	url, off, ex, stop := faceTaskNode(t, dir, kek, true, withEngine, true)
	task := enrollFaceDuplicate(t, url, off, photos)
	var ct ConsoleTask
	if got := getJSON(t, "GET", url+"/v1/console/tasks/"+task, ex, nil, &ct); got != 200 {
		stop()
		t.Fatalf("console task: %d", got)
	}
	if got := getJSON(t, "GET", url+"/v1/console/tasks/"+task, off, nil, nil); got != 403 {
		t.Errorf("officer reading the console task: %d, want 403", got)
	}
	stop()
	if ct.ProbeFace == nil || len(ct.Candidates) != 1 || ct.Candidates[0].Face == nil {
		t.Fatalf("console task without both faces: probe %+v, candidates %+v", ct.ProbeFace, ct.Candidates)
	}
	probe, cand := ct.ProbeFace, ct.Candidates[0].Face
	if bytes.Equal(decodeChip(t, "probe", probe), decodeChip(t, "candidate", cand)) {
		t.Error("probe and candidate show the same aligned face")
	}
	for who, v := range map[string]*FaceView{"probe": probe, "candidate": cand} {
		b64, ok := strings.CutPrefix(v.Image, "data:image/jpeg;base64,")
		if !ok {
			t.Fatalf("%s image %.40q: want the kept JPEG", who, v.Image)
		}
		raw, _ := base64.StdEncoding.DecodeString(b64)
		if cfg, err := jpeg.DecodeConfig(bytes.NewReader(raw)); err != nil || cfg.Width != v.Width || cfg.Height != v.Height {
			t.Errorf("%s image %dx%d, %v; view says %dx%d", who, cfg.Width, cfg.Height, err, v.Width, v.Height)
		}
		if v.Status != store.SampleOK || v.Quality <= 0 || len(v.Keypoints) != face.NumKeypoints || len(v.Box) != 4 || v.Reason != "" {
			t.Errorf("%s face: status %s quality %d, %d keypoints, box %v, reason %q", who, v.Status, v.Quality, len(v.Keypoints), v.Box, v.Reason)
		}
	}
	if probe.Score != nil {
		t.Errorf("probe face has a score %v", *probe.Score)
	}
	if f := ct.Task.Candidates[0].Fusion; cand.Score == nil || f == nil || *cand.Score < 0.9 || *cand.Score-f.FaceScore > 1e-6 || f.FaceScore-*cand.Score > 1e-6 {
		t.Errorf("candidate face score %v, fusion %+v: want the fused face score", cand.Score, f)
	}

	// The same node without the face engine: photographs, no aligned face.
	url, _, _, stop = faceTaskNode(t, dir, kek, true, node.FaceConfig{Enabled: "false"}, false)
	ct = ConsoleTask{}
	got := getJSON(t, "GET", url+"/v1/console/tasks/"+task, ex, nil, &ct)
	stop()
	if got != 200 || ct.ProbeFace == nil || len(ct.Candidates) != 1 || ct.Candidates[0].Face == nil {
		t.Fatalf("console task without the face engine: %d, probe %+v", got, ct.ProbeFace)
	}
	for who, v := range map[string]*FaceView{"probe": ct.ProbeFace, "candidate": ct.Candidates[0].Face} {
		if v.Chip != "" || !strings.Contains(v.Reason, "face engine not loaded") || !strings.HasPrefix(v.Image, "data:image/jpeg;base64,") {
			t.Errorf("%s face without the engine: chip %.20q, image %.30q, reason %q", who, v.Chip, v.Image, v.Reason)
		}
	}

	// A node that keeps templates only.
	url, off, ex, stop = faceTaskNode(t, t.TempDir(), kek, false, withEngine, true)
	defer stop()
	task = enrollFaceDuplicate(t, url, off, photos)
	ct = ConsoleTask{}
	if got := getJSON(t, "GET", url+"/v1/console/tasks/"+task, ex, nil, &ct); got != 200 || ct.ProbeFace == nil || len(ct.Candidates) != 1 || ct.Candidates[0].Face == nil {
		t.Fatalf("console task without kept images: %d, probe %+v", got, ct.ProbeFace)
	}
	for who, v := range map[string]*FaceView{"probe": ct.ProbeFace, "candidate": ct.Candidates[0].Face} {
		if v.Chip != "" || v.Image != "" || !strings.Contains(v.Reason, "keep_images") || v.Quality <= 0 {
			t.Errorf("%s face without kept images: chip %.20q, image %.20q, quality %d, reason %q", who, v.Chip, v.Image, v.Quality, v.Reason)
		}
	}
}

package browse

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"net"
	"net/http"
	"os"
	"path/filepath"

	"github.com/bixproject/bix/face"
	"github.com/bixproject/bix/fingerprint"
	"github.com/bixproject/bix/internal/accountability"

	"github.com/bixproject/bix/internal/api"
	"github.com/bixproject/bix/internal/node"
	"github.com/bixproject/bix/internal/store"
	"github.com/bixproject/bix/synth"
)

// ImageNode is a single node that keeps sample images (keep_images), with
// one deduplication task, so that the examiner's page shows finger images
// under the minutiae (the demo pair keeps templates only).
type ImageNode struct {
	URL           string
	ExaminerToken string
	TaskID        string
	stop          func()
}

// startImageNode opens a node keeping images with cfg's face settings in
// dir, serves its API (no partner exchange) on a loopback port, and adds an
// officer and an examiner; it returns the node and an API client of the
// officer.
func startImageNode(ctx context.Context, dir, id string, face node.FaceConfig) (*ImageNode, *api.Client, error) {
	kek, err := store.ParseKEK(store.GenerateKeyText())
	if err != nil {
		return nil, nil, err
	}
	n, err := node.Open(ctx, node.Config{DataDir: dir, NodeID: id, KEK: kek, KeepImages: true, Face: face}, nil)
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		n.Close()
		return nil, nil, err
	}
	hs := &http.Server{Handler: api.NewServer(n, nil)}
	go hs.Serve(ln)
	in := &ImageNode{URL: "http://" + ln.Addr().String(), stop: func() { hs.Close(); n.Close() }}
	sys := node.Actor{User: "console-setup", Role: node.RoleSystem}
	off, err := n.AddUser(ctx, sys, "officer", node.RoleOfficer)
	if err == nil {
		in.ExaminerToken, err = n.AddUser(ctx, sys, "examiner", node.RoleExaminer)
	}
	if err != nil {
		in.Stop()
		return nil, nil, err
	}
	return in, &api.Client{BaseURL: in.URL, Token: off}, nil
}

// NewImageNode starts the node in dir on a loopback port and enrolls two
// impressions of the same synthetic fingers.
func NewImageNode(ctx context.Context, dir string) (*ImageNode, error) {
	in, oc, err := startImageNode(ctx, dir, "images-demo", node.FaceConfig{Enabled: "false"})
	if err != nil {
		return nil, err
	}
	for imp := int64(1); imp <= 2; imp++ {
		req := &node.EnrollRequest{Encounter: node.EncounterInfo{Location: "Land border", Consent: true, Notice: true}}
		for _, pos := range Positions {
			var buf bytes.Buffer
			if err := png.Encode(&buf, synth.NewFinger(synth.FingerSeed(1000, pos)).Impression(imp, synth.ImpressionOptions{Variation: 0.5})); err != nil {
				in.Stop()
				return nil, err
			}
			req.Fingers = append(req.Fingers, node.FingerImage{Position: pos, PPI: 500, Image: buf.Bytes()})
		}
		r, err := oc.Enroll(ctx, req)
		if err != nil {
			in.Stop()
			return nil, err
		}
		in.TaskID = r.TaskID
	}
	if in.TaskID == "" {
		in.Stop()
		return nil, fmt.Errorf("second impressions of the same fingers made no deduplication task")
	}
	return in, nil
}

// FaceIdentity is the LFW identity NewFaceNode enrolls; photographs 1 and
// 2 of it score above the face-only threshold with the pinned models (as in
// package node's TestFaceRealModels).
const FaceIdentity = "Ariel_Sharon"

// NewFaceNode starts a node with the face engine (the pinned models in
// modelsDir) that keeps images, enrolls a person with two synthetic
// fingers and photograph 1 of FaceIdentity from the LFW directory lfwDir,
// then photograph 2 alone: the deduplication task that makes (TaskID) has a
// candidate matched on the face only, with its fusion breakdown, and needs
// two examiners (review reason face_only).
func NewFaceNode(ctx context.Context, dir, modelsDir, lfwDir string) (*ImageNode, error) {
	in, oc, err := startImageNode(ctx, dir, "faces-demo", node.FaceConfig{Enabled: "true", ModelsDir: modelsDir})
	if err != nil {
		return nil, err
	}
	photo := func(i int) ([]byte, error) { return os.ReadFile(face.LFWImage(lfwDir, FaceIdentity, i)) }
	first, err := photo(1)
	if err != nil {
		in.Stop()
		return nil, err
	}
	req := &node.EnrollRequest{Person: node.PersonInfo{BirthDate: "1970-02-26"}, Encounter: node.EncounterInfo{Location: "Land border", Consent: true, Notice: true},
		Faces: []node.FaceImage{{Image: first}}}
	for _, pos := range Positions {
		var buf bytes.Buffer
		if err := png.Encode(&buf, synth.NewFinger(synth.FingerSeed(3000, pos)).Impression(1, synth.ImpressionOptions{Variation: 0.5})); err != nil {
			in.Stop()
			return nil, err
		}
		req.Fingers = append(req.Fingers, node.FingerImage{Position: pos, PPI: 500, Image: buf.Bytes()})
	}
	if _, err := oc.Enroll(ctx, req); err != nil {
		in.Stop()
		return nil, err
	}
	second, err := photo(2)
	if err != nil {
		in.Stop()
		return nil, err
	}
	r, err := oc.Enroll(ctx, &node.EnrollRequest{Person: node.PersonInfo{BirthDate: "1970-02-26"}, Encounter: node.EncounterInfo{Location: "Land border", Consent: true, Notice: true},
		Faces: []node.FaceImage{{Image: second}}})
	if err != nil {
		in.Stop()
		return nil, err
	}
	if r.TaskID == "" {
		in.Stop()
		return nil, fmt.Errorf("a second photograph of %s made no deduplication task (status %s)", FaceIdentity, r.Status)
	}
	in.TaskID = r.TaskID
	return in, nil
}

// Stop stops the node.
func (in *ImageNode) Stop() { in.stop() }

// WriteDemographics measures the demographic differential report on a
// synthetic population of persons (accountability.SynthSubjects, right
// index finger) and keeps it in the node's data directory, where the
// auditor's console reads it (api.DemographicsFile).
func WriteDemographics(ctx context.Context, dataDir string, persons int) error {
	ss, err := accountability.SynthSubjects(ctx, synth.PopulationSpec{Seed: 7, Size: persons, MinorShare: 0.15}, 2)
	if err != nil {
		return err
	}
	d := accountability.Analyse(fmt.Sprintf("synthetic population (package synth), %d persons, seed 7, finger 2", persons), ss, fingerprint.DefaultThreshold, 20000)
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(dataDir, filepath.FromSlash(api.DemographicsFile))
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

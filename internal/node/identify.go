package node

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/bixproject/bix/internal/audit"
	"github.com/bixproject/bix/internal/gallery"
	"github.com/bixproject/bix/internal/store"
)

// IdentifyResult is a 1:N search result.
type IdentifyResult struct {
	// Hit is true when at least one candidate reaches the threshold.
	Hit bool `json:"hit"`
	// Threshold is the fused-score threshold used (see Node.Threshold).
	Threshold float64 `json:"threshold"`
	// Candidates are the identities at or above the threshold, best first,
	// with per-finger scores and ranks.
	Candidates []gallery.Candidate `json:"candidates"`
	// Samples says what became of each probe image (IdentifyImages only).
	Samples []SampleResult `json:"samples,omitempty"`
	// Fused is true when the probe carried a face: Threshold and the
	// candidates' scores are then evidence, −log10 of a false match
	// probability (see package gallery's fusion rule), and FaceThreshold
	// is the cosine score a face alone needs to reach Threshold.
	Fused         bool    `json:"fused,omitempty"`
	FaceThreshold float64 `json:"face_threshold,omitempty"`
}

// IdentifyOptions adjust a search.
type IdentifyOptions struct {
	// MaxCandidates caps the list (default: the configured cap).
	MaxCandidates int `json:"max_candidates,omitempty"`
	// Threshold, when positive, replaces the calibrated threshold.
	Threshold float64 `json:"threshold,omitempty"`
}

// Identify searches the gallery with probe templates (1:N). It is the entry
// point for Go callers such as the partner exchange, which pass their own
// actor (role and purpose); the search is logged.
func (n *Node) Identify(ctx context.Context, a Actor, probe []gallery.Sample, opt IdentifyOptions) (*IdentifyResult, error) {
	if err := allow(a, audit.ActionIdentify); err != nil {
		return nil, err
	}
	if len(probe) == 0 {
		return nil, invalid("no usable probe sample")
	}
	th := opt.Threshold
	if th <= 0 {
		th = n.Threshold(len(probe))
	}
	maxC := opt.MaxCandidates
	if maxC <= 0 || maxC > n.cfg.Thresholds.MaxCandidates {
		maxC = n.cfg.Thresholds.MaxCandidates
	}
	start := time.Now()
	cands, err := n.gal.Identify(ctx, probe, gallery.Options{MaxCandidates: maxC, Threshold: th})
	n.metrics.searches.WithLabelValues("identify").Observe(time.Since(start).Seconds())
	if err != nil {
		return nil, err
	}
	if cands == nil {
		cands = []gallery.Candidate{}
	}
	res := &IdentifyResult{Hit: len(cands) > 0, Threshold: th, Candidates: cands}
	objs := make([]string, 0, len(cands))
	for _, c := range cands {
		objs = append(objs, c.PersonID)
	}
	detail, _ := json.Marshal(map[string]any{"fingers": len(probe), "candidates": len(cands), "threshold": th})
	if err := n.st.Update(ctx, func(tx *store.Tx) error {
		return logEntry(ctx, tx, a, audit.ActionIdentify, objs, detail)
	}); err != nil {
		return nil, fmt.Errorf("identify: %w", err)
	}
	return res, nil
}

// IdentifyImages extracts templates from finger images and a face image
// (either may be absent, not both) and searches with them: with fingers
// only as Identify does; with a face, on the fused score (IdentifyFused).
// Unusable images are reported in Samples; if none is usable the error
// wraps ErrInvalid. A face on a node without the face models is
// ErrNoFaceEngine.
func (n *Node) IdentifyImages(ctx context.Context, a Actor, fingers []FingerImage, face *FaceImage, opt IdentifyOptions) (*IdentifyResult, error) {
	if err := allow(a, audit.ActionIdentify); err != nil {
		return nil, err
	}
	ex, fx, probe, err := n.probeImages(fingers, face)
	if err != nil {
		return nil, err
	}
	var res *IdentifyResult
	if emb := faceProbe(fx); emb != nil {
		res, err = n.IdentifyFused(ctx, a, gallery.Probe{Fingers: probe, Face: emb}, opt)
	} else {
		res, err = n.Identify(ctx, a, probe, opt)
	}
	if err != nil {
		return nil, err
	}
	res.Samples = sampleResults(ex, fx)
	return res, nil
}

// probeImages decodes and extracts a request's finger and face images; an
// error wrapping ErrInvalid when nothing usable remains.
func (n *Node) probeImages(fingers []FingerImage, face *FaceImage) ([]extracted, []faceExtracted, []gallery.Sample, error) {
	if len(fingers) == 0 && face == nil {
		return nil, nil, nil, invalid("no finger or face image")
	}
	var fx []faceExtracted
	if face != nil {
		var err error
		if fx, err = n.extractFaces([]FaceImage{*face}); err != nil {
			return nil, nil, nil, err
		}
	}
	var ex []extracted
	if len(fingers) > 0 {
		if err := decodeFingers(fingers); err != nil {
			return nil, nil, nil, err
		}
		ex = n.extract(fingers)
	}
	probe := probeOf(ex)
	if len(probe) == 0 && faceProbe(fx) == nil {
		return nil, nil, nil, invalid("no usable finger or face image: %s", samplesFTAReasons(ex, fx))
	}
	return ex, fx, probe, nil
}

func sampleResults(ex []extracted, fx []faceExtracted) []SampleResult {
	var out []SampleResult
	for _, e := range ex {
		out = append(out, e.res)
	}
	for _, f := range fx {
		out = append(out, f.res)
	}
	return out
}

func ftaReasons(ex []extracted) string { return samplesFTAReasons(ex, nil) }

func samplesFTAReasons(ex []extracted, fx []faceExtracted) string {
	var parts []string
	for _, e := range ex {
		parts = append(parts, fmt.Sprintf("position %d: %s", e.res.Position, e.res.Reason))
	}
	for _, f := range fx {
		parts = append(parts, "face: "+f.res.Reason)
	}
	return strings.Join(parts, "; ")
}

// IdentifyFused searches the gallery with a multimodal probe (finger
// templates and/or a normalised face embedding) on the fused score: the
// entry point for Go callers; the search is logged. The threshold is
// FusedThreshold unless opt gives one (on the evidence scale).
func (n *Node) IdentifyFused(ctx context.Context, a Actor, probe gallery.Probe, opt IdentifyOptions) (*IdentifyResult, error) {
	if err := allow(a, audit.ActionIdentify); err != nil {
		return nil, err
	}
	if len(probe.Fingers) == 0 && probe.Face == nil {
		return nil, invalid("no usable probe sample")
	}
	th := opt.Threshold
	if th <= 0 {
		th = n.FusedThreshold()
	}
	maxC := opt.MaxCandidates
	if maxC <= 0 || maxC > n.cfg.Thresholds.MaxCandidates {
		maxC = n.cfg.Thresholds.MaxCandidates
	}
	fu := n.fusion()
	start := time.Now()
	cands, err := n.gal.IdentifyFused(ctx, probe, fu, gallery.Options{MaxCandidates: maxC, Threshold: th})
	n.metrics.searches.WithLabelValues("identify").Observe(time.Since(start).Seconds())
	if err != nil {
		return nil, invalid("%v", err)
	}
	if cands == nil {
		cands = []gallery.Candidate{}
	}
	res := &IdentifyResult{Hit: len(cands) > 0, Threshold: th, Candidates: cands, Fused: true, FaceThreshold: fu.Face.Score(th)}
	objs := make([]string, 0, len(cands))
	for _, c := range cands {
		objs = append(objs, c.PersonID)
	}
	detail, _ := json.Marshal(map[string]any{"fingers": len(probe.Fingers), "face": probe.Face != nil, "candidates": len(cands), "threshold": th})
	if err := n.st.Update(ctx, func(tx *store.Tx) error {
		return logEntry(ctx, tx, a, audit.ActionIdentify, objs, detail)
	}); err != nil {
		return nil, fmt.Errorf("identify: %w", err)
	}
	return res, nil
}

// VerifyResult is a 1:1 comparison result. With a face in the probe,
// Score and Threshold are evidence (−log10 of a false match probability,
// threshold −log10 face.verify_fmr), Fusion breaks the score down by
// modality and FaceThreshold is the cosine score a face alone needs.
type VerifyResult struct {
	PersonID      string                `json:"person_id"`
	Match         bool                  `json:"match"`
	Score         float64               `json:"score"`
	Threshold     float64               `json:"threshold"`
	Scores        []gallery.SampleScore `json:"scores"`
	Samples       []SampleResult        `json:"samples,omitempty"`
	Fusion        *gallery.FusionScore  `json:"fusion,omitempty"`
	FaceThreshold float64               `json:"face_threshold,omitempty"`
}

// Verify compares finger images and/or a face image with one identity's
// templates (1:1): fingers only on the mean finger score, with a face on
// the fused score.
func (n *Node) Verify(ctx context.Context, a Actor, personID string, fingers []FingerImage, face *FaceImage) (*VerifyResult, error) {
	if err := allow(a, audit.ActionVerify); err != nil {
		return nil, err
	}
	ex, fx, probe, err := n.probeImages(fingers, face)
	if err != nil {
		return nil, err
	}
	if emb := faceProbe(fx); emb != nil {
		res, err := n.VerifyFused(ctx, a, personID, gallery.Probe{Fingers: probe, Face: emb})
		if err != nil {
			return nil, err
		}
		res.Samples = sampleResults(ex, fx)
		return res, nil
	}
	res, err := n.verify(ctx, a, personID, probe, ex)
	if err != nil {
		return nil, err
	}
	res.Samples = sampleResults(ex, fx)
	return res, nil
}

// VerifyFused compares a multimodal probe with one identity (1:1) on the
// fused score (for Go callers; Verify with a face comes here).
func (n *Node) VerifyFused(ctx context.Context, a Actor, personID string, probe gallery.Probe) (*VerifyResult, error) {
	if err := allow(a, audit.ActionVerify); err != nil {
		return nil, err
	}
	p, err := n.st.Person(ctx, personID)
	if err != nil {
		return nil, err
	}
	if p.Status == store.PersonMerged {
		personID = p.MergedInto
	}
	th := n.verifyEvidence()
	fu := n.fusion()
	start := time.Now()
	c, ok, err := n.gal.VerifyFused(personID, probe, fu, th)
	n.metrics.searches.WithLabelValues("verify").Observe(time.Since(start).Seconds())
	if err != nil {
		return nil, invalid("%v", err)
	}
	if !ok {
		return nil, fmt.Errorf("person %s has no templates of the probe's modalities: %w", personID, ErrConflict)
	}
	res := &VerifyResult{PersonID: personID, Score: c.Score, Threshold: th, Scores: c.Scores, Fusion: c.Fusion, FaceThreshold: fu.Face.Score(th)}
	res.Match = res.Score >= res.Threshold
	detail, _ := json.Marshal(map[string]any{"match": res.Match, "score": res.Score, "face": probe.Face != nil, "fingers": len(probe.Fingers)})
	if err := n.st.Update(ctx, func(tx *store.Tx) error {
		return logEntry(ctx, tx, a, audit.ActionVerify, []string{personID}, detail)
	}); err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	return res, nil
}

// VerifyTemplates is Verify for probe templates (for Go callers).
func (n *Node) VerifyTemplates(ctx context.Context, a Actor, personID string, probe []gallery.Sample) (*VerifyResult, error) {
	if err := allow(a, audit.ActionVerify); err != nil {
		return nil, err
	}
	if len(probe) == 0 {
		return nil, invalid("no probe sample")
	}
	return n.verify(ctx, a, personID, probe, nil)
}

func (n *Node) verify(ctx context.Context, a Actor, personID string, probe []gallery.Sample, ex []extracted) (*VerifyResult, error) {
	p, err := n.st.Person(ctx, personID)
	if err != nil {
		return nil, err
	}
	if p.Status == store.PersonMerged {
		personID = p.MergedInto
	}
	start := time.Now()
	c, ok, err := n.gal.Verify(personID, probe)
	n.metrics.searches.WithLabelValues("verify").Observe(time.Since(start).Seconds())
	if err != nil {
		return nil, invalid("%v", err)
	}
	if !ok {
		return nil, fmt.Errorf("person %s has no templates: %w", personID, ErrConflict)
	}
	res := &VerifyResult{PersonID: personID, Score: c.Score, Threshold: n.cfg.Thresholds.Verify, Scores: c.Scores}
	res.Match = res.Score >= res.Threshold
	detail, _ := json.Marshal(map[string]any{"match": res.Match, "score": res.Score})
	if err := n.st.Update(ctx, func(tx *store.Tx) error {
		return logEntry(ctx, tx, a, audit.ActionVerify, []string{personID}, detail)
	}); err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	return res, nil
}

package node

import (
	"context"
	"encoding/json"
	"fmt"
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

// IdentifyImages extracts templates from finger images and searches with
// them (see Identify). Unusable images are reported in Samples; if none is
// usable the error wraps ErrInvalid.
func (n *Node) IdentifyImages(ctx context.Context, a Actor, fingers []FingerImage, opt IdentifyOptions) (*IdentifyResult, error) {
	if err := allow(a, audit.ActionIdentify); err != nil {
		return nil, err
	}
	if err := decodeFingers(fingers); err != nil {
		return nil, err
	}
	ex := n.extract(fingers)
	probe := probeOf(ex)
	if len(probe) == 0 {
		return nil, invalid("no usable finger image: %s", ftaReasons(ex))
	}
	res, err := n.Identify(ctx, a, probe, opt)
	if err != nil {
		return nil, err
	}
	for _, e := range ex {
		res.Samples = append(res.Samples, e.res)
	}
	return res, nil
}

func ftaReasons(ex []extracted) string {
	s := ""
	for i, e := range ex {
		if i > 0 {
			s += "; "
		}
		s += fmt.Sprintf("position %d: %s", e.res.Position, e.res.Reason)
	}
	return s
}

// VerifyResult is a 1:1 comparison result.
type VerifyResult struct {
	PersonID  string                `json:"person_id"`
	Match     bool                  `json:"match"`
	Score     float64               `json:"score"`
	Threshold float64               `json:"threshold"`
	Scores    []gallery.SampleScore `json:"scores"`
	Samples   []SampleResult        `json:"samples,omitempty"`
}

// Verify compares finger images with one identity's templates (1:1).
func (n *Node) Verify(ctx context.Context, a Actor, personID string, fingers []FingerImage) (*VerifyResult, error) {
	if err := allow(a, audit.ActionVerify); err != nil {
		return nil, err
	}
	if err := decodeFingers(fingers); err != nil {
		return nil, err
	}
	ex := n.extract(fingers)
	probe := probeOf(ex)
	if len(probe) == 0 {
		return nil, invalid("no usable finger image: %s", ftaReasons(ex))
	}
	return n.verify(ctx, a, personID, probe, ex)
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
	for _, e := range ex {
		res.Samples = append(res.Samples, e.res)
	}
	detail, _ := json.Marshal(map[string]any{"match": res.Match, "score": res.Score})
	if err := n.st.Update(ctx, func(tx *store.Tx) error {
		return logEntry(ctx, tx, a, audit.ActionVerify, []string{personID}, detail)
	}); err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	return res, nil
}

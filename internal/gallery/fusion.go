package gallery

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// The fusion rule.
//
// Finger and face scores live on unrelated scales (the MCC matcher's 0..1
// score, where impostors rarely pass 0.02; cosine similarity, where
// impostors commonly reach 0.8). Each raw score s of a modality is first
// normalised by that modality's impostor statistics into evidence
//
//	e(s) = −log10 P(impostor score ≥ s)
//
// (a Tail; 0 for a score any impostor reaches, 4 for a score one impostor
// comparison in 10,000 reaches). Under the hypothesis that probe and
// candidate are different people, each 10^−e is a p-value, and the samples
// (every probe finger, the face) are taken as independent. The evidences
// are summed and converted back to the probability that k independent
// impostor comparisons produce at least that sum (Fisher's method:
// X = ln 10 · Σe is Gamma(k, 1) distributed under the hypothesis), so the
// fused score is again −log10 of a false match probability:
//
//	fused = −log10( e^−X · Σ_{j<k} X^j / j! )
//
// With one sample, fused = e. Because the fused score is calibrated the
// same way whatever the mix of modalities, one threshold serves them all:
// −log10 of the per-comparison false match rate that the target FPIR
// allows against the gallery (see EvidenceThreshold). Samples the candidate
// cannot be compared on (no face enrolled, no finger templates) are left
// out of k; a finger position the candidate lacks scores 0 and counts, as
// in Identify's mean. Each sample's evidence is capped at MaxEvidence so
// that one extrapolated tail cannot decide alone beyond what any impostor
// sample could support.

// MaxEvidence caps one sample's evidence (decades of false match rate).
const MaxEvidence = 12

// Tail maps a modality's raw comparison score to evidence, −log10 of the
// probability that an impostor comparison scores at least as high. It is
// piecewise linear in the score between knots and extends past the last
// knot with the exponential tail fitted there (linear in evidence).
type Tail struct {
	knots []TailPoint // increasing in Score and Evidence
	slope float64     // evidence per unit score beyond the last knot
}

// TailPoint is one point of a tail: the score that impostors reach with
// probability 10^−Evidence.
type TailPoint struct {
	Score    float64 `json:"score"`
	Evidence float64 `json:"evidence"`
}

// ErrTail reports tail points that do not define a tail.
var ErrTail = errors.New("gallery: bad score tail")

// NewTail returns the tail through points (at least two, strictly
// increasing in both score and evidence, the first at evidence 0),
// extended past the last point with the slope of the last segment.
// Published operating points of a matcher (score at FMR 1e-2, 1e-3, ...)
// make such a tail.
func NewTail(points []TailPoint) (*Tail, error) {
	if len(points) < 2 {
		return nil, fmt.Errorf("%w: %d points, need 2", ErrTail, len(points))
	}
	if points[0].Evidence != 0 {
		return nil, fmt.Errorf("%w: first point at evidence %v, want 0", ErrTail, points[0].Evidence)
	}
	for i := 1; i < len(points); i++ {
		a, b := points[i-1], points[i]
		if !(b.Score > a.Score) || !(b.Evidence > a.Evidence) || math.IsInf(b.Score, 0) || math.IsNaN(b.Evidence) {
			return nil, fmt.Errorf("%w: points %d and %d not strictly increasing", ErrTail, i-1, i)
		}
	}
	a, b := points[len(points)-2], points[len(points)-1]
	return &Tail{knots: append([]TailPoint(nil), points...), slope: (b.Evidence - a.Evidence) / (b.Score - a.Score)}, nil
}

// TailFromImpostors estimates a tail from a sample of impostor scores:
// knots every quarter decade at the empirical quantiles, as far as ten
// scores still lie above the knot, then an exponential tail whose scale is
// the mean excess of the scores above the knot a decade lower (the peaks-
// over-threshold estimate). It returns nil for fewer than 100 scores.
func TailFromImpostors(scores []float64) *Tail {
	n := len(scores)
	if n < 100 {
		return nil
	}
	s := append([]float64(nil), scores...)
	sort.Float64s(s)
	last := math.Floor(4*math.Log10(float64(n)/10)) / 4
	var knots []TailPoint
	for e := 0.0; e <= last+1e-9; e += 0.25 {
		above := int(math.Ceil(float64(n) * math.Pow(10, -e))) // scores at or above the knot
		v := s[n-above]
		if len(knots) > 0 && v <= knots[len(knots)-1].Score {
			continue // ties: keep the lowest evidence for the score
		}
		knots = append(knots, TailPoint{Score: v, Evidence: e})
	}
	if len(knots) == 0 {
		return nil
	}
	// The scale comes from the scores above the knot a decade below the
	// last (about 100 of them, rather than 10): the mean excess of an
	// exponential tail is the same over any threshold, and tails lighter
	// than exponential (bounded scores) get the wider, conservative scale.
	u := knots[0]
	for _, k := range knots {
		if k.Evidence <= last-1+1e-9 {
			u = k
		}
	}
	var excess float64
	var m int
	for _, v := range s {
		if v > u.Score {
			excess += v - u.Score
			m++
		}
	}
	t := &Tail{knots: knots, slope: math.Inf(1)}
	if m > 0 && excess > 0 {
		t.slope = float64(m) / excess / math.Ln10 // 1 / (β ln 10)
	}
	return t
}

// Points returns the tail's knots.
func (t *Tail) Points() []TailPoint { return append([]TailPoint(nil), t.knots...) }

// Evidence returns −log10 of the impostor tail probability at score s, in
// 0..MaxEvidence.
func (t *Tail) Evidence(s float64) float64 {
	k := t.knots
	if math.IsNaN(s) || s <= k[0].Score {
		return 0
	}
	last := k[len(k)-1]
	var e float64
	if s >= last.Score {
		e = last.Evidence
		if s > last.Score {
			e += (s - last.Score) * t.slope
		}
	} else {
		i := sort.Search(len(k), func(i int) bool { return k[i].Score > s })
		a, b := k[i-1], k[i]
		e = a.Evidence + (s-a.Score)*(b.Evidence-a.Evidence)/(b.Score-a.Score)
	}
	return min(e, MaxEvidence)
}

// Score returns the lowest score whose evidence reaches e: the raw-score
// threshold of this modality alone for a fused threshold e.
func (t *Tail) Score(e float64) float64 {
	k := t.knots
	if e <= 0 {
		return k[0].Score
	}
	last := k[len(k)-1]
	if e >= last.Evidence {
		if math.IsInf(t.slope, 1) {
			return math.Nextafter(last.Score, math.Inf(1))
		}
		return last.Score + (e-last.Evidence)/t.slope
	}
	i := sort.Search(len(k), func(i int) bool { return k[i].Evidence > e })
	a, b := k[i-1], k[i]
	return a.Score + (e-a.Evidence)*(b.Score-a.Score)/(b.Evidence-a.Evidence)
}

// Fisher combines the evidences of independent samples (each −log10 of a
// p-value) into −log10 of the probability that as many independent
// impostor comparisons give at least their sum (see the fusion rule above).
// It returns 0 for no evidence and e itself for one.
func Fisher(evidence ...float64) float64 {
	k := len(evidence)
	if k == 0 {
		return 0
	}
	var sum float64
	for _, e := range evidence {
		sum += max(e, 0)
	}
	if k == 1 {
		return sum
	}
	x := sum * math.Ln10
	// log Σ_{j<k} x^j/j!, summed from the largest term for stability.
	terms := make([]float64, k)
	for j := range k {
		lg, _ := math.Lgamma(float64(j + 1))
		terms[j] = float64(j)*math.Log(max(x, 1e-300)) - lg
	}
	if x == 0 {
		return 0
	}
	top := terms[0]
	for _, v := range terms {
		top = max(top, v)
	}
	var acc float64
	for _, v := range terms {
		acc += math.Exp(v - top)
	}
	return max(0, (x-top-math.Log(acc))/math.Ln10)
}

// EvidenceThreshold returns the fused-score threshold for a fused search
// against n identities at the target false positive identification rate:
// −log10 of ComparisonFMR(fpir, n), never below floor.
func EvidenceThreshold(fpir float64, n int, floor float64) float64 {
	return max(-math.Log10(ComparisonFMR(fpir, n)), floor)
}

// Fusion holds the impostor tails fused searches normalise scores with.
type Fusion struct {
	Finger *Tail // one finger's MCC score
	Face   *Tail // cosine similarity of face embeddings
}

// FusionScore is a fused candidate's score by modality.
type FusionScore struct {
	// Fingers is the number of probe fingers compared (0 when the probe
	// or the candidate has none); FingerEvidence their combined evidence.
	Fingers        int     `json:"fingers"`
	FingerEvidence float64 `json:"finger_evidence"`
	// Face is true when the faces were compared; FaceScore is then the
	// best cosine score over the candidate's face templates and
	// FaceEvidence its evidence.
	Face         bool    `json:"face"`
	FaceScore    float64 `json:"face_score,omitempty"`
	FaceEvidence float64 `json:"face_evidence,omitempty"`
	// FaceOnly is true when the candidate reaches the threshold only with
	// the face: its finger evidence alone is below the threshold.
	FaceOnly bool `json:"face_only"`
}

// fuse computes a candidate's fused score from its per-sample finger
// scores (nil when fingers are not compared) and face score (ok false when
// faces are not compared), at threshold th.
func (f Fusion) fuse(finger []float64, faceScore float64, faceOK bool, th float64) (float64, FusionScore, []float64) {
	var fs FusionScore
	ev := make([]float64, 0, len(finger)+1)
	fingerEv := make([]float64, len(finger))
	for i, s := range finger {
		fingerEv[i] = f.Finger.Evidence(s)
	}
	ev = append(ev, fingerEv...)
	fs.Fingers = len(finger)
	fs.FingerEvidence = Fisher(fingerEv...)
	if faceOK {
		fs.Face, fs.FaceScore = true, faceScore
		fs.FaceEvidence = f.Face.Evidence(faceScore)
		ev = append(ev, fs.FaceEvidence)
	}
	fused := Fisher(ev...)
	fs.FaceOnly = fs.Face && fused >= th && fs.FingerEvidence < th
	return fused, fs, fingerEv
}

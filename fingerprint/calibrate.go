package fingerprint

import (
	"math"
	"sort"
)

// ThresholdForFMR returns the lowest decision threshold (accept when score ≥
// threshold) at which at most the fraction fmr of impostorScores would be
// accepted: the empirical quantile of the impostor distribution. With n
// scores, rates below 1/n cannot be resolved: the threshold is then just
// above the highest impostor score (zero observed false matches), so use at
// least 10/fmr scores for a stable estimate. It returns +Inf when there are
// no scores (accept nothing) and ignores NaN scores.
func ThresholdForFMR(impostorScores []float64, fmr float64) float64 {
	s := make([]float64, 0, len(impostorScores))
	for _, v := range impostorScores {
		if !math.IsNaN(v) {
			s = append(s, v)
		}
	}
	if len(s) == 0 {
		return math.Inf(1)
	}
	sort.Float64s(s)
	n := len(s)
	if math.IsNaN(fmr) || fmr < 0 {
		fmr = 0
	}
	k := int(math.Floor(fmr * float64(n))) // impostor scores allowed at or above the threshold
	if k >= n {
		return s[0]
	}
	// Threshold just above s[n-k-1]; ties at s[n-k-1] are rejected, so
	// skip down to the first score that is strictly higher.
	t := math.Nextafter(s[n-k-1], math.Inf(1))
	return t
}

// DefaultThreshold is the score at which Compare's false match rate is about
// 1 in 10,000 (FMR 1e-4). It was measured with ThresholdForFMR over the
// pooled cross-finger impostor scores (every pair of impressions of
// different fingers) of FVC2002 DB1_B..DB4_B, from the shared ISO templates
// and from the images through Extract: 23,040 impostor scores, of which 2
// score at or above it (TestDefaultThreshold in package fvc recomputes it).
// At FMR 1e-3 the same scores give 0.0109, at 1e-2 0.0063. Half of them
// compare templates without an orientation field (ISO), whose impostor
// scores run higher than those of extracted templates. Ten fingers per set
// make this a rough estimate; calibrate on one's own population when
// possible.
const DefaultThreshold = 0.0170

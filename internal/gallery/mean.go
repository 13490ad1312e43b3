package gallery

import (
	"math"
	"sort"
)

// MeanTail is the impostor distribution of the mean of k independent
// scores of one modality, each distributed as a Tail says: the threshold on
// a k-finger probe's mean score (Identify's fused score) for a target false
// match rate, down to rates no sample of impostor scores could resolve.
//
// It is computed by numerical convolution: one score's distribution is
// discretised on meanBins bins from 0 to the score of evidence MaxEvidence
// (the tail's exponential extension included), convolved k−1 times with
// itself, and summed from the top into a survival function. Each score is
// rounded up to its bin's upper edge, so thresholds err high (by at most a
// bin, about 1/1000 of the score range).
type MeanTail struct {
	k     int
	width float64   // bin width on the single-score scale
	surv  []float64 // surv[j] = P(sum of k scores ≥ j·width), j = 0..k·bins
}

// meanBins is the number of bins of one score's distribution.
const meanBins = 1024

// Mean returns the distribution of the mean of k ≥ 1 independent scores
// drawn from t.
func (t *Tail) Mean(k int) *MeanTail {
	k = max(k, 1)
	top := t.Score(MaxEvidence)
	if !(top > 0) || math.IsInf(top, 0) {
		top = math.Max(t.knots[len(t.knots)-1].Score, 1e-9)
	}
	w := top / meanBins
	// A score s counts as bin ⌈s/w⌉: pmf[i] is the probability that it
	// lies in ((i−1)·w, i·w] (bin 0: s ≤ 0), the last bin holding
	// everything above. A sum of k scores is then at most w times the sum
	// of their bins.
	pmf := make([]float64, meanBins+1)
	prev := 1.0
	for i := 0; i <= meanBins; i++ {
		g := 0.0 // P(score > i·w)
		if i < meanBins {
			g = math.Min(math.Pow(10, -t.Evidence(float64(i)*w)), prev)
		}
		pmf[i] = prev - g
		prev = g
	}
	sum := pmf
	for range k - 1 {
		out := make([]float64, len(sum)+meanBins)
		for i, a := range sum {
			if a == 0 {
				continue
			}
			for j, b := range pmf {
				out[i+j] += a * b
			}
		}
		sum = out
	}
	surv := make([]float64, len(sum)+1)
	for j := len(sum) - 1; j >= 0; j-- {
		surv[j] = surv[j+1] + sum[j]
	}
	return &MeanTail{k: k, width: w, surv: surv}
}

// Threshold returns the lowest mean score that the mean of k impostor
// scores reaches with probability at most fmr.
func (m *MeanTail) Threshold(fmr float64) float64 {
	// A mean of at least j·width/k has a bin sum of at least j, which
	// happens with probability surv[j].
	j := sort.Search(len(m.surv), func(j int) bool { return m.surv[j] <= fmr })
	return float64(j) * m.width / float64(m.k)
}

// FMR returns (an upper bound on) the probability that the mean of k
// impostor scores reaches s.
func (m *MeanTail) FMR(s float64) float64 {
	j := int(math.Ceil(s * float64(m.k) / m.width))
	if j <= 0 {
		return 1
	}
	if j >= len(m.surv) {
		return 0
	}
	return m.surv[j]
}

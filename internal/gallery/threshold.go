package gallery

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/bixproject/bix/fingerprint"
)

// ThresholdForFPIR returns the fused-score threshold that gives a false
// positive identification rate of fpir when a probe of someone not enrolled
// is searched against n identities whose non-mated (impostor) fused scores
// are distributed as impostor. Treating the n comparisons as independent,
// FPIR = 1 − (1 − FMR)ⁿ, so the threshold is the score exceeded by a fraction
// FMR = 1 − (1 − fpir)^(1/n) of impostor scores (ISO/IEC 19795-1 clause 4.6
// defines FPIR; the independence model is the usual first-order one). When
// FMR is below the resolution of the sample (1/len(impostor)) the threshold is
// just above the highest impostor score. It returns +Inf for an empty sample.
func ThresholdForFPIR(impostor []float64, fpir float64, n int) float64 {
	if len(impostor) == 0 {
		return math.Inf(1)
	}
	n = max(n, 1)
	fpir = min(max(fpir, 0), 1)
	fmr := -math.Expm1(math.Log1p(-fpir) / float64(n))
	s := append([]float64(nil), impostor...)
	sort.Float64s(s)
	// k impostor scores may reach the threshold: k = floor(fmr·len).
	k := int(math.Floor(fmr * float64(len(s))))
	if k <= 0 {
		return math.Nextafter(s[len(s)-1], math.Inf(1))
	}
	if k >= len(s) {
		return s[0]
	}
	// Scores ≥ threshold are hits: the threshold sits just above the
	// (len−k−1)th score so that at most k scores reach it.
	return math.Nextafter(s[len(s)-k-1], math.Inf(1))
}

// ImpostorScores samples up to pairs non-mated fused scores for k-sample
// probes: each is the mean of k scores of templates of two different
// identities at the same finger position, drawn at random from the gallery
// (the per-finger scores are taken as independent). It returns nil when the
// gallery has fewer than two identities.
func (g *Gallery) ImpostorScores(k, pairs int, seed uint64) []float64 {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.live < 2 || k < 1 {
		return nil
	}
	var all []entry
	for _, s := range g.byPos {
		all = append(all, s...)
	}
	if len(all) == 0 {
		return nil // identities with faces only
	}
	r := rand.New(rand.NewPCG(seed, 0x6a11))
	probes := map[*slot]*fingerprint.Probe{}
	one := func() (float64, bool) {
		for range 64 {
			a := all[r.IntN(len(all))]
			pos := g.posOf(a)
			cands := g.byPos[pos]
			b := cands[r.IntN(len(cands))]
			if a.person == b.person {
				continue
			}
			pr := probes[a.t]
			if pr == nil {
				pr = fingerprint.NewProbePrepared(g.prepared(a.t))
				if len(probes) < 4096 {
					probes[a.t] = pr
				}
			}
			return pr.Score(g.prepared(b.t)), true
		}
		return 0, false
	}
	out := make([]float64, 0, pairs)
	for range pairs {
		sum := 0.0
		for range k {
			v, ok := one()
			if !ok {
				return out
			}
			sum += v
		}
		out = append(out, sum/float64(k))
	}
	return out
}

// posOf finds the position slice holding e (by identity of the prepared
// template); used only for sampling.
func (g *Gallery) posOf(e entry) int {
	for _, tid := range g.persons[e.person].templates {
		l := g.where[tid]
		if g.byPos[l.pos][l.i].t == e.t {
			return l.pos
		}
	}
	return 0
}

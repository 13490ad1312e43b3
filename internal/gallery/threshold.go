package gallery

import (
	"math"
	"math/rand/v2"

	"github.com/bixproject/bix/fingerprint"
)

// ComparisonFMR returns the false match rate per comparison that gives a
// false positive identification rate of fpir when a probe of someone not
// enrolled is searched against n identities. Treating the n comparisons as
// independent, FPIR = 1 − (1 − FMR)ⁿ, so FMR = 1 − (1 − fpir)^(1/n)
// (ISO/IEC 19795-1 clause 4.6 defines FPIR; the independence model is the
// usual first-order one). fpir is clamped to [1e-12, 1−1e-12].
func ComparisonFMR(fpir float64, n int) float64 {
	n = max(n, 1)
	fpir = min(max(fpir, 1e-12), 1-1e-12)
	return -math.Expm1(math.Log1p(-fpir) / float64(n))
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

package fvc

import (
	"math"
	"sort"
)

// Rates holds error rates of one score distribution pair. All rates are
// fractions in [0, 1]; a comparison is accepted when its score is at least
// the threshold.
type Rates struct {
	// EER is the equal error rate as FVC computes it (Maio et al., "FVC2000:
	// fingerprint verification competition", IEEE TPAMI 24(3), 2002,
	// section 4): the midpoint of the interval [EERlow, EERhigh] found at the
	// thresholds where FNMR and FMR cross.
	EER float64
	// FMR100, FMR1000 and ZeroFMR are the lowest FNMR at a threshold where
	// FMR ≤ 1 %, FMR ≤ 0.1 % and FMR = 0.
	FMR100, FMR1000, ZeroFMR float64
}

// Compute returns the rates of genuine and impostor scores. With no genuine
// or no impostor scores every rate is NaN.
func Compute(genuine, impostor []float64) Rates {
	if len(genuine) == 0 || len(impostor) == 0 {
		nan := math.NaN()
		return Rates{nan, nan, nan, nan}
	}
	c := newCurve(genuine, impostor)
	return Rates{
		EER:     c.eer(),
		FMR100:  c.fnmrAtFMR(0.01),
		FMR1000: c.fnmrAtFMR(0.001),
		ZeroFMR: c.fnmrAtFMR(0),
	}
}

// curve is the FMR/FNMR trade-off at every distinct score.
type curve struct {
	gen, imp []float64 // sorted ascending
	ts       []float64 // candidate thresholds, ascending, ending with +Inf
}

func newCurve(genuine, impostor []float64) *curve {
	c := &curve{gen: sorted(genuine), imp: sorted(impostor)}
	all := append(append([]float64(nil), c.gen...), c.imp...)
	sort.Float64s(all)
	for i, t := range all {
		if i == 0 || t != all[i-1] {
			c.ts = append(c.ts, t)
		}
	}
	c.ts = append(c.ts, math.Inf(1))
	return c
}

func sorted(x []float64) []float64 {
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	return s
}

// fmr is the fraction of impostor scores ≥ t.
func (c *curve) fmr(t float64) float64 {
	return float64(len(c.imp)-sort.SearchFloat64s(c.imp, t)) / float64(len(c.imp))
}

// fnmr is the fraction of genuine scores < t.
func (c *curve) fnmr(t float64) float64 {
	return float64(sort.SearchFloat64s(c.gen, t)) / float64(len(c.gen))
}

// fnmrAtFMR is FNMR at the lowest threshold whose FMR is at most target.
func (c *curve) fnmrAtFMR(target float64) float64 {
	for _, t := range c.ts {
		if c.fmr(t) <= target {
			return c.fnmr(t)
		}
	}
	return 1
}

// eer is the FVC equal error rate: t1 is the highest threshold with
// FNMR ≤ FMR, t2 the lowest with FNMR ≥ FMR.
func (c *curve) eer() float64 {
	t1, t2 := math.Inf(-1), math.Inf(1)
	found1 := false
	for _, t := range c.ts {
		fm, fn := c.fmr(t), c.fnmr(t)
		if fn <= fm {
			t1, found1 = t, true
		}
		if fn >= fm && t < t2 {
			t2 = t
		}
	}
	if !found1 {
		t1 = c.ts[0]
	}
	fm1, fn1 := c.fmr(t1), c.fnmr(t1)
	fm2, fn2 := c.fmr(t2), c.fnmr(t2)
	var lo, hi float64
	if fn1+fm1 <= fm2+fn2 {
		lo, hi = fn1, fm1
	} else {
		lo, hi = fm2, fn2
	}
	return (lo + hi) / 2
}

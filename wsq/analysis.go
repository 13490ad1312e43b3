package wsq

import "fmt"

// Wavelet analysis (spec §A.1, used by the encoder): each w-tree node is
// split into four subbands by filtering rows and then columns with the
// analysis lowpass and highpass filters, symmetrically extended at both
// ends (whole-sample symmetry), and keeping every other output. In a
// spectrally inverted branch the highpass half is stored first.

// Standard analysis filters (spec §A.1, Table A.3): the CDF 9/7 biorthogonal
// pair scaled by √2.
var (
	stdAnalysisLow = []float64{
		0.03782845550699546400, -0.02384946501938000000, -0.11062440441842342100,
		0.37740285561265380000, 0.85269867900940344000, 0.37740285561265380000,
		-0.11062440441842342100, -0.02384946501938000000, 0.03782845550699546400,
	}
	stdAnalysisHigh = []float64{
		0.06453888262893845231, -0.04068941760955843712, -0.41809227322221221054,
		0.78848561640566439735, -0.41809227322221221054, -0.04068941760955843712,
		0.06453888262893845231,
	}
)

// newAnalysisPlan builds the plan that splits a line of n samples into its
// lowpass half (first, or second when inv) and highpass half. lo and hi are
// odd-length symmetric analysis filters.
func newAnalysisPlan(n int, inv bool, lo, hi []float32) (*linePlan, error) {
	lsz, hsz := len(lo), len(hi)
	llen, hlen := n/2, n/2
	if n%2 == 1 {
		llen = (n + 1) / 2
		hlen = llen - 1
	}
	loOff, hiOff := 0, llen
	if inv {
		loOff, hiOff = hlen, 0
	}
	tooSmall := fmt.Errorf("%w: line of %d samples too short for %d/%d-tap filters", ErrTooSmall, n, lsz, hsz)
	lw := mirror{pos: (lsz - 1) / 2, step: -1, last: n - 1}
	hw := mirror{pos: (hsz-1)/2 - 1, step: -1, last: n - 1}
	p := &linePlan{n: n, terms: make([][]term, n)}
	filter := func(start mirror, f []float32) ([]term, error) {
		w := start
		ts := make([]term, 0, len(f))
		for i := range f {
			if i > 0 {
				w.next()
			}
			if w.pos < 0 || w.pos >= n {
				return nil, tooSmall
			}
			ts = append(ts, term{int32(w.pos), f[i]})
		}
		return ts, nil
	}
	var err error
	for pix := 0; pix < hlen; pix++ {
		if p.terms[loOff+pix], err = filter(lw, lo); err != nil {
			return nil, err
		}
		if p.terms[hiOff+pix], err = filter(hw, hi); err != nil {
			return nil, err
		}
		for range 2 {
			lw.turnLeft()
			lw.pos += lw.step
			hw.turnLeft()
			hw.pos += hw.step
		}
	}
	if n%2 == 1 {
		if p.terms[loOff+hlen], err = filter(lw, lo); err != nil {
			return nil, err
		}
	}
	if n < 2 {
		return nil, tooSmall
	}
	return p, nil
}

// analyzer decomposes an image into its subbands.
type analyzer struct {
	lo, hi []float32
	plans  map[[2]int]*linePlan
}

func (a *analyzer) plan(n int, inv bool) (*linePlan, error) {
	k := [2]int{n, 0}
	if inv {
		k[1] = 1
	}
	if p, ok := a.plans[k]; ok {
		return p, nil
	}
	p, err := newAnalysisPlan(n, inv, a.lo, a.hi)
	if err != nil {
		return nil, err
	}
	a.plans[k] = p
	return p, nil
}

// decompose runs the analysis over f (width × height) in place, from the
// whole image down to the deepest node.
func (a *analyzer) decompose(f []float32, width, height int, t *trees) error {
	tmp := make([]float32, width*height)
	for i := 0; i < numWNodes; i++ {
		nd := &t.w[i]
		rp, err := a.plan(nd.w, nd.invRows)
		if err != nil {
			return fmt.Errorf("w-tree node %d (%d×%d): %w", i, nd.w, nd.h, err)
		}
		cp, err := a.plan(nd.h, nd.invCols)
		if err != nil {
			return fmt.Errorf("w-tree node %d (%d×%d): %w", i, nd.w, nd.h, err)
		}
		base := nd.y*width + nd.x
		for r := 0; r < nd.h; r++ {
			rp.row(tmp[r*width:r*width+nd.w], f[base+r*width:base+r*width+nd.w])
		}
		columns(cp, f[base:], tmp, width, nd.w)
	}
	return nil
}

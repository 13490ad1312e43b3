package wsq

import "fmt"

// Wavelet synthesis (spec §A.3): each w-tree node is rebuilt from its four
// subbands by upsampling, symmetric extension and filtering, first along
// columns and then along rows.
//
// To reproduce the reference decoder bit for bit, every output sample is the
// single-precision sum of its products taken in the reference order: the
// lowpass terms first, then the highpass terms, each in the order in which
// the reference walks the symmetrically extended band. A synthPlan records
// that order once per line length; applying it is then a plain loop.

// term is one product of an output sample: the input sample index within
// the line and the filter coefficient.
type term struct {
	idx  int32
	coef float32
}

// synthPlan tells how to rebuild a line of n samples: out[i] = Σ terms[i]
// accumulated in order.
type synthPlan struct {
	n     int
	terms [][]term
}

// mirror walks the samples 0..last of a band with symmetric extension: at an
// end with repeat set the edge sample is used twice (half-sample symmetry,
// once), otherwise the walk reflects about it (whole-sample symmetry).
type mirror struct {
	pos, step, last int
	repL, repR      bool
}

// turnLeft applies the left-edge rule before a step.
func (m *mirror) turnLeft() {
	if m.pos == 0 {
		if m.repL {
			m.step, m.repL = 0, false
		} else {
			m.step = 1
		}
	}
}

// next moves to the next sample of the extended band.
func (m *mirror) next() {
	m.turnLeft()
	if m.pos == m.last {
		if m.repR {
			m.step, m.repR = 0, false
		} else {
			m.step = -1
		}
	}
	m.pos += m.step
}

// newSynthPlan builds the plan for a line of n samples whose lowpass half
// comes first (or the highpass half first when inv, for spectrally inverted
// branches). lo and hi are the odd-length synthesis filters.
func newSynthPlan(n int, inv bool, lo, hi []float32) (*synthPlan, error) {
	lsz, hsz := len(lo), len(hi)
	if lsz%2 == 0 || hsz%2 == 0 {
		return nil, fmt.Errorf("%w: even-length synthesis filters", ErrUnsupported)
	}
	llen, hlen := n/2, n/2
	if n%2 == 1 {
		llen = (n + 1) / 2
		hlen = llen - 1
	}
	loOff, hiOff := 0, llen
	if inv {
		loOff, hiOff = hlen, 0
	}
	// Starting positions and first taps of the two filters.
	lw := mirror{pos: (lsz - 1) / 4, step: -1, last: llen - 1}
	hw := mirror{pos: (hsz+1)/4 - 1, step: -1, last: hlen - 1}
	loTap0, hiTap0 := ((lsz-1)/2)%2, ((hsz+1)/2)%2
	if n%2 == 1 {
		hw.repL, hw.repR = true, true
	} else {
		lw.repR = true
		hw.repL = true
	}

	p := &synthPlan{n: n, terms: make([][]term, n)}
	assigned := make([]bool, n)
	var ol, oh int
	tooSmall := fmt.Errorf("%w: line of %d samples too short for %d/%d-tap filters", ErrTooSmall, n, lsz, hsz)
	emitLo := func(tap int) error {
		if ol >= n {
			return tooSmall
		}
		w := lw
		ts := make([]term, 0, (lsz-tap+1)/2)
		for i := tap; i < lsz; i += 2 {
			if i > tap {
				w.next()
			}
			if w.pos < 0 || w.pos >= llen {
				return tooSmall
			}
			ts = append(ts, term{int32(loOff + w.pos), lo[i]})
		}
		p.terms[ol] = ts
		assigned[ol] = true
		ol++
		return nil
	}
	emitHi := func(tap int) error {
		if oh >= n || !assigned[oh] {
			return tooSmall
		}
		w := hw
		for i := tap; i < hsz; i += 2 {
			if i > tap {
				w.next()
			}
			if w.pos < 0 || w.pos >= hlen {
				return tooSmall
			}
			p.terms[oh] = append(p.terms[oh], term{int32(hiOff + w.pos), hi[i]})
		}
		oh++
		return nil
	}
	loTap, hiTap := loTap0, hiTap0
	for pix := 0; pix < hlen; pix++ {
		for tap := loTap; tap >= 0; tap-- {
			if err := emitLo(tap); err != nil {
				return nil, err
			}
		}
		lw.turnLeft()
		lw.pos += lw.step
		loTap = 1
		for tap := hiTap; tap >= 0; tap-- {
			if err := emitHi(tap); err != nil {
				return nil, err
			}
		}
		hw.turnLeft()
		hw.pos += hw.step
		hiTap = 1
	}
	// The tail of the line.
	last := func(tap0 int) int {
		if n%2 == 1 {
			return tap0
		}
		return tap0 + 1
	}
	for tap := 1; tap >= last(loTap0); tap-- {
		if err := emitLo(tap); err != nil {
			return nil, err
		}
	}
	for tap := 1; tap >= last(hiTap0); tap-- {
		if err := emitHi(tap); err != nil {
			return nil, err
		}
	}
	if ol != n || oh != n {
		return nil, tooSmall
	}
	return p, nil
}

// applyLine rebuilds one line: dst[i*dstStride] from src[j*srcStride].
// It is the plain reference for the faster whole-row passes.
func (p *synthPlan) applyLine(dst []float32, dstStride int, src []float32, srcStride int) {
	for i, ts := range p.terms {
		v := src[int(ts[0].idx)*srcStride] * ts[0].coef
		for _, t := range ts[1:] {
			v += float32(src[int(t.idx)*srcStride] * t.coef)
		}
		dst[i*dstStride] = v
	}
}

// synthesizer rebuilds the coefficient plane into the image.
type synthesizer struct {
	lo, hi []float32
	plans  map[[2]int]*synthPlan
	tmp    []float32
}

func (s *synthesizer) plan(n int, inv bool) (*synthPlan, error) {
	k := [2]int{n, 0}
	if inv {
		k[1] = 1
	}
	if p, ok := s.plans[k]; ok {
		return p, nil
	}
	p, err := newSynthPlan(n, inv, s.lo, s.hi)
	if err != nil {
		return nil, err
	}
	s.plans[k] = p
	return p, nil
}

// plans prepares every plan the trees need, so that errors surface before
// any work.
func (s *synthesizer) prepare(t *trees) error {
	for i := range t.w {
		nd := &t.w[i]
		if _, err := s.plan(nd.h, nd.invCols); err != nil {
			return fmt.Errorf("w-tree node %d (%d×%d): %w", i, nd.w, nd.h, err)
		}
		if _, err := s.plan(nd.w, nd.invRows); err != nil {
			return fmt.Errorf("w-tree node %d (%d×%d): %w", i, nd.w, nd.h, err)
		}
	}
	return nil
}

// reconstruct runs the synthesis over f (width × height, row-major) in
// place, from the deepest node to the whole image. When scalar is set it
// uses the plain per-line reference.
func (s *synthesizer) reconstruct(f []float32, width, height int, t *trees, scalar bool) {
	if len(s.tmp) < width*height {
		s.tmp = make([]float32, width*height)
	}
	tmp := s.tmp
	for i := numWNodes - 1; i >= 0; i-- {
		nd := &t.w[i]
		base := nd.y*width + nd.x
		cp, _ := s.plan(nd.h, nd.invCols)
		rp, _ := s.plan(nd.w, nd.invRows)
		if scalar {
			for c := 0; c < nd.w; c++ {
				cp.applyLine(tmp[c:], width, f[base+c:], width)
			}
			for r := 0; r < nd.h; r++ {
				rp.applyLine(f[base+r*width:], 1, tmp[r*width:], 1)
			}
			continue
		}
		columns(cp, tmp, f[base:], width, nd.w)
		for r := 0; r < nd.h; r++ {
			rp.row(f[base+r*width:base+r*width+nd.w], tmp[r*width:r*width+nd.w])
		}
	}
}

// columns filters the columns of a w-wide region: each output row is the
// weighted sum of input rows, accumulated row-wide in the plan's order, which
// gives every column exactly the arithmetic of applyLine.
func columns(p *synthPlan, dst, src []float32, stride, w int) {
	for i, ts := range p.terms {
		d := dst[i*stride : i*stride+w]
		s0 := src[int(ts[0].idx)*stride : int(ts[0].idx)*stride+w]
		c0 := ts[0].coef
		for x := range d {
			d[x] = s0[x] * c0
		}
		for _, t := range ts[1:] {
			s := src[int(t.idx)*stride : int(t.idx)*stride+w]
			c := t.coef
			for x := range d {
				d[x] += float32(s[x] * c)
			}
		}
	}
}

// row filters one contiguous line.
func (p *synthPlan) row(dst, src []float32) {
	for i, ts := range p.terms {
		v := src[ts[0].idx] * ts[0].coef
		for _, t := range ts[1:] {
			v += float32(src[t.idx] * t.coef)
		}
		dst[i] = v
	}
}

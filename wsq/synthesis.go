package wsq

import (
	"fmt"
	"math"
	"sync"
	"sync/atomic"
)

// Wavelet synthesis (spec §A.3): each w-tree node is rebuilt from its four
// subbands by upsampling, symmetric extension and filtering, first along
// columns and then along rows.
//
// To reproduce the reference decoder bit for bit, every output sample is the
// single-precision sum of its products taken in the reference order: the
// lowpass terms first, then the highpass terms, each in the order in which
// the reference walks the symmetrically extended band. A linePlan records
// that order once per line length; applying it is then a plain loop.

// term is one product of an output sample: the input sample index within
// the line and the filter coefficient.
type term struct {
	idx  int32
	coef float32
}

// linePlan tells how to compute a line of n samples (synthesis or analysis): out[i] = Σ terms[i]
// accumulated in order.
type linePlan struct {
	n     int
	terms [][]term
	// Outputs r0..r1-1 form a regular run (see findRun): outputs r0+2j
	// have shape even shifted by j samples, outputs r0+2j+1 shape odd.
	r0, r1    int
	even, odd shape
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
func newSynthPlan(n int, inv bool, lo, hi []float32) (*linePlan, error) {
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

	p := &linePlan{n: n, terms: make([][]term, n)}
	assigned := make([]bool, n)
	nlo := make([]int, n)
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
		nlo[ol] = len(ts)
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
	p.findRun(func(i int) int { return nlo[i] })
	return p, nil
}

// applyLine rebuilds one line: dst[i*dstStride] from src[j*srcStride].
// It is the plain reference for the faster whole-row passes.
func (p *linePlan) applyLine(dst []float32, dstStride int, src []float32, srcStride int) {
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
	plans  map[[2]int]*linePlan
}

// tmpPool recycles the synthesis work plane, which is fully overwritten
// before it is read, between decodes.
var tmpPool = sync.Pool{New: func() any { return new([]float32) }}

func (s *synthesizer) plan(n int, inv bool) (*linePlan, error) {
	k := [2]int{n, 0}
	if inv {
		k[1] = 1
	}
	if p, ok := s.plans[k]; ok {
		return p, nil
	}
	ck := planKey{n: n, inv: inv, filters: filterKey(s.lo, s.hi)}
	if p, ok := planCache.Load(ck); ok {
		s.plans[k] = p.(*linePlan)
		return p.(*linePlan), nil
	}
	p, err := newSynthPlan(n, inv, s.lo, s.hi)
	if err != nil {
		return nil, err
	}
	if planCacheTerms.Add(int64(p.size())) <= maxCachedTerms {
		planCache.Store(ck, p)
	}
	s.plans[k] = p
	return p, nil
}

// Synthesis plans depend only on the line length, the inversion and the
// filters, which nearly every file shares, so they are kept across decodes
// (up to maxCachedTerms terms in all, about 8 bytes each, to bound memory
// under hostile input).
var (
	planCache      sync.Map // planKey → *linePlan
	planCacheTerms atomic.Int64
)

const maxCachedTerms = 1 << 22

// size returns the number of terms in p.
func (p *linePlan) size() int {
	n := 0
	for _, ts := range p.terms {
		n += len(ts)
	}
	return n
}

type planKey struct {
	n       int
	inv     bool
	filters string
}

// filterKey identifies a pair of filters exactly.
func filterKey(lo, hi []float32) string {
	b := make([]byte, 0, 4*(len(lo)+len(hi))+1)
	for _, f := range [][]float32{lo, hi} {
		for _, v := range f {
			u := math.Float32bits(v)
			b = append(b, byte(u), byte(u>>8), byte(u>>16), byte(u>>24))
		}
		b = append(b, '|')
	}
	return string(b)
}

// prepare builds every plan the trees need, so that errors surface before
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
	bp := tmpPool.Get().(*[]float32)
	defer tmpPool.Put(bp)
	if len(*bp) < width*height {
		*bp = make([]float32, width*height)
	}
	tmp := *bp
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
			rp.rowFast(f[base+r*width:base+r*width+nd.w], tmp[r*width:r*width+nd.w])
		}
	}
}

// columns filters the columns of a w-wide region: each output row is the
// weighted sum of input rows, accumulated in the plan's order for every
// column, which gives each column exactly the arithmetic of applyLine.
func columns(p *linePlan, dst, src []float32, stride, w int) {
	var rows [9][]float32
	for i, ts := range p.terms {
		d := dst[i*stride : i*stride+w]
		if len(ts) == 7 || len(ts) == 9 {
			for k, t := range ts {
				rows[k] = src[int(t.idx)*stride : int(t.idx)*stride+w]
			}
			if len(ts) == 7 {
				columns7(d, &rows, ts)
			} else {
				columns9(d, &rows, ts)
			}
			continue
		}
		s0 := src[int(ts[0].idx)*stride : int(ts[0].idx)*stride+w]
		c0 := ts[0].coef
		for x := range d {
			d[x] = s0[x] * c0
		}
		for _, t := range ts[1:] {
			s := src[int(t.idx)*stride : int(t.idx)*stride+w]
			s = s[:len(d)]
			c := t.coef
			for x := range d {
				d[x] += float32(s[x] * c)
			}
		}
	}
}

func columns7(d []float32, r *[9][]float32, ts []term) {
	c0, c1, c2, c3, c4, c5, c6 := ts[0].coef, ts[1].coef, ts[2].coef, ts[3].coef, ts[4].coef, ts[5].coef, ts[6].coef
	n := len(d)
	r0, r1, r2, r3, r4, r5, r6 := r[0][:n], r[1][:n], r[2][:n], r[3][:n], r[4][:n], r[5][:n], r[6][:n]
	for x := range d {
		v := r0[x] * c0
		v += float32(r1[x] * c1)
		v += float32(r2[x] * c2)
		v += float32(r3[x] * c3)
		v += float32(r4[x] * c4)
		v += float32(r5[x] * c5)
		v += float32(r6[x] * c6)
		d[x] = v
	}
}

func columns9(d []float32, r *[9][]float32, ts []term) {
	c0, c1, c2, c3, c4, c5, c6, c7, c8 := ts[0].coef, ts[1].coef, ts[2].coef, ts[3].coef, ts[4].coef, ts[5].coef, ts[6].coef, ts[7].coef, ts[8].coef
	n := len(d)
	r0, r1, r2, r3, r4, r5, r6, r7, r8 := r[0][:n], r[1][:n], r[2][:n], r[3][:n], r[4][:n], r[5][:n], r[6][:n], r[7][:n], r[8][:n]
	for x := range d {
		v := r0[x] * c0
		v += float32(r1[x] * c1)
		v += float32(r2[x] * c2)
		v += float32(r3[x] * c3)
		v += float32(r4[x] * c4)
		v += float32(r5[x] * c5)
		v += float32(r6[x] * c6)
		v += float32(r7[x] * c7)
		v += float32(r8[x] * c8)
		d[x] = v
	}
}

// row filters one contiguous line.
func (p *linePlan) row(dst, src []float32) {
	for i, ts := range p.terms {
		v := src[ts[0].idx] * ts[0].coef
		for _, t := range ts[1:] {
			v += float32(src[t.idx] * t.coef)
		}
		dst[i] = v
	}
}

// shape describes an output sample inside a regular run: its lowpass terms
// read nlo consecutive samples from lo upwards and its highpass terms nhi
// consecutive samples from hi upwards.
type shape struct {
	lo, hi   int32
	nlo, nhi int
	clo, chi [8]float32
}

// findRun finds the outputs [r0, r1) of p whose terms, two by two, have
// the same coefficients and read consecutive samples advancing by one per
// pair, so that rowFast can compute them without the term lists. nloOf(i)
// is the number of leading lowpass terms of output i.
func (p *linePlan) findRun(nloOf func(i int) int) {
	p.r0, p.r1 = 0, 0
	parse := func(i int) (shape, bool) {
		var s shape
		ts := p.terms[i]
		s.nlo = nloOf(i)
		s.nhi = len(ts) - s.nlo
		if s.nlo < 1 || s.nhi < 1 || s.nlo > 8 || s.nhi > 8 {
			return s, false
		}
		s.lo, s.hi = ts[0].idx, ts[s.nlo].idx
		for k, t := range ts {
			if k < s.nlo {
				if t.idx != s.lo+int32(k) {
					return s, false
				}
				s.clo[k] = t.coef
			} else {
				if t.idx != s.hi+int32(k-s.nlo) {
					return s, false
				}
				s.chi[k-s.nlo] = t.coef
			}
		}
		return s, true
	}
	best0, best1 := 0, 0
	for i := 0; i+1 < p.n; {
		a, ok1 := parse(i)
		b, ok2 := parse(i + 1)
		if !ok1 || !ok2 {
			i++
			continue
		}
		j := i + 2
		for ; j+1 < p.n; j += 2 {
			c, ok3 := parse(j)
			d, ok4 := parse(j + 1)
			step := int32((j - i) / 2)
			if !ok3 || !ok4 || c.nlo != a.nlo || c.nhi != a.nhi || d.nlo != b.nlo || d.nhi != b.nhi ||
				c.clo != a.clo || c.chi != a.chi || d.clo != b.clo || d.chi != b.chi ||
				c.lo != a.lo+step || c.hi != a.hi+step || d.lo != b.lo+step || d.hi != b.hi+step {
				break
			}
		}
		if j-i > best1-best0 {
			best0, best1 = i, j
			p.even, p.odd = a, b
		}
		i = j
	}
	p.r0, p.r1 = best0, best1
}

// dotRun returns Σ s[k]·c[k] for k < n, accumulated in order in single
// precision, starting from the first product.
func dotRun(s []float32, c *[8]float32, n int) float32 {
	switch n {
	case 3:
		s = s[:3]
		v := s[0] * c[0]
		v += float32(s[1] * c[1])
		v += float32(s[2] * c[2])
		return v
	case 4:
		s = s[:4]
		v := s[0] * c[0]
		v += float32(s[1] * c[1])
		v += float32(s[2] * c[2])
		v += float32(s[3] * c[3])
		return v
	case 5:
		s = s[:5]
		v := s[0] * c[0]
		v += float32(s[1] * c[1])
		v += float32(s[2] * c[2])
		v += float32(s[3] * c[3])
		v += float32(s[4] * c[4])
		return v
	}
	v := s[0] * c[0]
	for k := 1; k < n; k++ {
		v += float32(s[k] * c[k])
	}
	return v
}

// addRun returns v + Σ s[k]·c[k] for k < n, accumulated in order.
func addRun(v float32, s []float32, c *[8]float32, n int) float32 {
	switch n {
	case 3:
		s = s[:3]
		v += float32(s[0] * c[0])
		v += float32(s[1] * c[1])
		v += float32(s[2] * c[2])
		return v
	case 4:
		s = s[:4]
		v += float32(s[0] * c[0])
		v += float32(s[1] * c[1])
		v += float32(s[2] * c[2])
		v += float32(s[3] * c[3])
		return v
	case 5:
		s = s[:5]
		v += float32(s[0] * c[0])
		v += float32(s[1] * c[1])
		v += float32(s[2] * c[2])
		v += float32(s[3] * c[3])
		v += float32(s[4] * c[4])
		return v
	}
	for k := 0; k < n; k++ {
		v += float32(s[k] * c[k])
	}
	return v
}

// rowFast is row with the regular run computed from its two shapes.
func (p *linePlan) rowFast(dst, src []float32) {
	for i := 0; i < p.r0; i++ {
		dst[i] = p.one(i, src)
	}
	e, o := &p.even, &p.odd
	if e.nlo == 3 && e.nhi == 4 && o.nlo == 4 && o.nhi == 5 {
		p.run3445(dst, src)
	} else {
		for i, k := p.r0, int32(0); i < p.r1; i, k = i+2, k+1 {
			dst[i] = addRun(dotRun(src[e.lo+k:], &e.clo, e.nlo), src[e.hi+k:], &e.chi, e.nhi)
			dst[i+1] = addRun(dotRun(src[o.lo+k:], &o.clo, o.nlo), src[o.hi+k:], &o.chi, o.nhi)
		}
	}
	for i := p.r1; i < p.n; i++ {
		dst[i] = p.one(i, src)
	}
}

// run3445 computes the regular run for the standard 9/7 filters: even
// outputs have 3 lowpass and 4 highpass terms, odd ones 4 and 5.
func (p *linePlan) run3445(dst, src []float32) {
	e, o := &p.even, &p.odd
	a0, a1, a2 := e.clo[0], e.clo[1], e.clo[2]
	b0, b1, b2, b3 := e.chi[0], e.chi[1], e.chi[2], e.chi[3]
	c0, c1, c2, c3 := o.clo[0], o.clo[1], o.clo[2], o.clo[3]
	d0, d1, d2, d3, d4 := o.chi[0], o.chi[1], o.chi[2], o.chi[3], o.chi[4]
	k := int32(0)
	for i := p.r0; i+1 < p.r1; i += 2 {
		// Array pointers: one length check each instead of one per load.
		l := (*[3]float32)(src[e.lo+k:])
		h := (*[4]float32)(src[e.hi+k:])
		v := l[0] * a0
		v += float32(l[1] * a1)
		v += float32(l[2] * a2)
		v += float32(h[0] * b0)
		v += float32(h[1] * b1)
		v += float32(h[2] * b2)
		v += float32(h[3] * b3)
		m := (*[4]float32)(src[o.lo+k:])
		g := (*[5]float32)(src[o.hi+k:])
		u := m[0] * c0
		u += float32(m[1] * c1)
		u += float32(m[2] * c2)
		u += float32(m[3] * c3)
		u += float32(g[0] * d0)
		u += float32(g[1] * d1)
		u += float32(g[2] * d2)
		u += float32(g[3] * d3)
		u += float32(g[4] * d4)
		d := (*[2]float32)(dst[i:])
		d[0], d[1] = v, u
		k++
	}
}

// one computes output i from its term list.
func (p *linePlan) one(i int, src []float32) float32 {
	ts := p.terms[i]
	v := src[ts[0].idx] * ts[0].coef
	for _, t := range ts[1:] {
		v += float32(src[t.idx] * t.coef)
	}
	return v
}

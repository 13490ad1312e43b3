package fingerprint

import (
	"math"
	"math/bits"
	"slices"
)

// Prepared is a template in the matcher's precomputed form (one bit-based
// Minutia Cylinder-Code per usable minutia): the candidate side of a
// comparison. It is immutable once made and may be shared by any number of
// goroutines. It takes about 100 bytes per usable minutia (2–6 KiB for
// typical templates).
type Prepared struct {
	cyl []cylinder
	// box is the bounding box of the cylinders' centres grown by
	// consolDist: minimum x, minimum y, maximum x, maximum y.
	box [4]float32
	// grid buckets the cylinders by position for consolidate: cells of
	// side cell from (box[0], box[1]), gw across and gh down (row-major);
	// cell k holds the cylinder indices gidx[gstart[k]:gstart[k+1]],
	// ascending.
	cell, inv float32 // cell side and its reciprocal
	gw, gh    int32
	gstart    []uint8
	gidx      []uint8
	// field is the template's orientation field (empty when it has none).
	field preparedField
}

// gridMaxSide is the most cells of a Prepared's grid along one side: the
// cell grows beyond gridCell for very large templates.
const gridMaxSide = 32

// gridCell is the smallest side of a grid cell: twice consolDist, so that
// the disc of radius consolDist around any point meets at most 2×2 cells.
const gridCell = 2 * consolDist

// Prepare precomputes t for matching. It uses at most 64 minutiae (the
// highest quality ones, then those nearest the centroid) and t.Field, and
// scales coordinates to 500 ppi by t.Resolution (500 when zero). A nil or
// empty template gives a Prepared that matches nothing (every score 0).
func Prepare(t *Template) *Prepared {
	p := &Prepared{cyl: cylinders(matchPoints(t))}
	if t != nil && len(p.cyl) > 0 {
		p.field = prepareField(t.Field, matchScale(t))
	}
	p.index()
	return p
}

// index computes p's bounding box and position grid from its cylinders.
func (p *Prepared) index() {
	if len(p.cyl) == 0 {
		return
	}
	p.box = [4]float32{math.MaxFloat32, math.MaxFloat32, -math.MaxFloat32, -math.MaxFloat32}
	for _, c := range p.cyl {
		p.box[0], p.box[1] = min(p.box[0], c.x-consolDist), min(p.box[1], c.y-consolDist)
		p.box[2], p.box[3] = max(p.box[2], c.x+consolDist), max(p.box[3], c.y+consolDist)
	}
	side := max(p.box[2]-p.box[0], p.box[3]-p.box[1])
	p.cell = max(gridCell, side/gridMaxSide*(1+1e-6))
	p.inv = 1 / p.cell
	p.gw = int32(min((p.box[2]-p.box[0])*p.inv, gridMaxSide-1)) + 1
	p.gh = int32(min((p.box[3]-p.box[1])*p.inv, gridMaxSide-1)) + 1
	cells := int(p.gw * p.gh)
	p.gstart = make([]uint8, cells+1)
	p.gidx = make([]uint8, len(p.cyl))
	for _, c := range p.cyl {
		p.gstart[p.cellOf(c.x, c.y)+1]++
	}
	for k := 1; k <= cells; k++ {
		p.gstart[k] += p.gstart[k-1]
	}
	var fill [gridMaxSide * gridMaxSide]uint8
	for j, c := range p.cyl {
		k := p.cellOf(c.x, c.y)
		p.gidx[int(p.gstart[k])+int(fill[k])] = uint8(j)
		fill[k]++
	}
}

// cellOf is the grid cell of a point within p.box.
func (p *Prepared) cellOf(x, y float32) int {
	gx := min(int32((x-p.box[0])*p.inv), p.gw-1)
	gy := min(int32((y-p.box[1])*p.inv), p.gh-1)
	return int(gy*p.gw + gx)
}

// Len returns the number of usable minutiae (valid cylinders).
func (p *Prepared) Len() int { return len(p.cyl) }

// Probe is the probe side of 1:N comparisons: a prepared template plus the
// scratch space a comparison needs, so that Score does not allocate. A Probe
// is not safe for concurrent use: it is meant to be used by one goroutine;
// make one Probe per worker (NewProbe is cheap next to a gallery scan).
type Probe struct {
	p    Prepared
	fpts []fieldPoint // the foreground blocks of p's field

	ext    [3 * maxMatchM]float32
	keys   [maxMatchM * maxMatchM]uint32
	sorted [maxMatchM * maxMatchM]uint32
	hist   [256]uint16
	hist2  [256]uint16
	top    [topPairs]pairSim
	sel    [maxRelax]pairSim
	lam    [2][maxRelax]float32
	rho    [maxRelax][maxRelax]float32
	eff    [maxRelax]float32
	order  [maxRelax]int
	pairs  [maxRelax]relaxPair
}

// relaxPair is a selected pair as compat reads it: the positions of the
// probe minutia (ax, ay) and of the candidate minutia (bx, by), and the
// rotation d from the candidate minutia to the probe minutia, in
// [−π, π), with its cosine and sine.
type relaxPair struct{ ax, ay, bx, by, d, cos, sin float32 }

// pairSim is one candidate correspondence: probe cylinder a, candidate
// cylinder b, local similarity s.
type pairSim struct {
	s    float32
	a, b uint8
}

const (
	topPairs = 48 // best local similarities kept before the one-to-one selection
	maxRelax = 16 // most pairs relaxed (nR), for a bounded comparison time
)

// NewProbe prepares t as a probe.
func NewProbe(t *Template) *Probe {
	return NewProbePrepared(Prepare(t))
}

// NewProbePrepared makes a probe from an already prepared template; p is not
// modified and may keep being used as a candidate.
func NewProbePrepared(p *Prepared) *Probe {
	return &Probe{p: *p, fpts: fieldPoints(&p.field)}
}

// Score compares the probe with candidate c and returns their similarity in
// [0, 1] (see Compare). It does not allocate.
func (pr *Probe) Score(c *Prepared) float64 {
	a, b := pr.p.cyl, c.cyl
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	n := pr.localSimilarities(a, c)
	if n == 0 {
		return 0
	}
	s, pa, pb := pr.relax(a, c, n)
	if s == 0 || len(pr.fpts) == 0 || len(c.field.cells) == 0 {
		return s
	}
	return s * fieldFactor(pr.fieldSimilarity(c, pa, pb))
}

// localSimilarities computes the MCC similarity of every comparable pair of
// cylinders (direction difference at most δθ, enough common valid cells)
// and keeps the topPairs best in pr.top, best first. It returns how many it
// kept. Cylinders are sorted by direction, so the candidates within δθ of
// a probe cylinder are one or two runs found through the direction index.
func (pr *Probe) localSimilarities(a []cylinder, c *Prepared) int {
	b := c.cyl
	keys := &pr.keys
	n := 0
	// The candidates within δθ of a[i] are the window [lo, hi) of b
	// repeated three times, shifted by −2π, 0 and +2π (the directions in
	// ext, laid out once rather than recomputed at every step of the
	// walk): a is sorted by direction too, so the window only moves
	// forward.
	nb3 := 3 * len(b)
	ext := pr.ext[:nb3]
	for j := range b {
		t := b[j].theta
		ext[j], ext[len(b)+j], ext[2*len(b)+j] = t-2*math.Pi, t, t+2*math.Pi
	}
	lo, hi := 0, 0
	for i := range a {
		ca := &a[i]
		for lo < nb3 && ext[lo] < ca.theta-mccMaxDir {
			lo++
		}
		hi = max(hi, lo)
		for hi < nb3 && ext[hi] <= ca.theta+mccMaxDir {
			hi++
		}
		for e := lo; e < hi; {
			off := 0
			if e >= len(b) {
				off = len(b)
				if e >= 2*len(b) {
					off = 2 * len(b)
				}
			}
			end := min(hi, off+len(b))
			j0 := e - off
			n += pairKeys(ca, b[j0:end-off], uint32(i)<<8|uint32(j0), keys[n:])
			e = end
		}
	}
	// Histogram of the keys' top bytes, in two halves added up after, so
	// that runs of equal buckets do not chain increments through memory.
	hist, h2 := &pr.hist, &pr.hist2
	clear(hist[:])
	clear(h2[:])
	for k := 0; k+1 < n; k += 2 {
		hist[keys[k]>>24]++
		h2[keys[k+1]>>24]++
	}
	if n%2 == 1 {
		hist[keys[n-1]>>24]++
	}
	for c := range hist {
		hist[c] += h2[c]
	}
	// Keep the topPairs best: find the histogram bucket where they end,
	// compact the keys at or above it, sort those.
	cut, above := 0, 0
	for c := len(hist) - 1; c >= 0; c-- {
		above += int(hist[c])
		if above >= topPairs {
			cut = c
			break
		}
	}
	// Bucket sort, best first: lay out the buckets from the top down to
	// cut, scatter the keys into them, then sort by insertion, which only
	// moves keys within their bucket (a pathological pile-up in one bucket
	// goes to slices.Sort).
	pos := uint16(0)
	for c := len(hist) - 1; c >= cut; c-- {
		cnt := hist[c]
		hist[c] = pos
		pos += cnt
	}
	// The keys at or above cut (a few dozen of the hundreds) are first
	// compacted in place without a branch, as which ones pass is
	// unpredictable: each is written, and counted when k − cut·2²⁴ does
	// not borrow.
	w, lim := 0, uint64(cut)<<24
	for _, k := range keys[:n] {
		keys[w] = k
		w += int(1 - (uint64(k)-lim)>>63)
	}
	out := pr.sorted[:pos]
	for _, k := range keys[:w] {
		b := k >> 24
		out[hist[b]] = k
		hist[b]++
	}
	if len(out) > 4*topPairs {
		slices.Sort(out)
		slices.Reverse(out)
	} else {
		for i := 1; i < len(out); i++ {
			k, j := out[i], i
			for ; j > 0 && out[j-1] < k; j-- {
				out[j] = out[j-1]
			}
			out[j] = k
		}
	}
	m := min(len(out), topPairs)
	for k, key := range out[:m] {
		pr.top[k] = pairSim{s: float32(key>>16) / 65535, a: uint8(key >> 8), b: uint8(key)}
	}
	return m
}

// pairKeysGo is pairKeys in Go: for each cylinder cb[j] with enough
// valid cells in common with ca (mccMinCommon) and any set bit in common,
// it writes the pair's key to keys and returns how many it wrote. A key is
// the similarity 2|x∧y|/(|x|+|y|) quantised to 16 bits (high half), then
// ij+j (ij packs the probe cylinder's index and cb[0]'s index in the
// candidate, 8 bits each), so that keys sort by similarity, then by
// indices. It may write keys[n] beyond the count returned: keys must have
// room for len(cb) keys.
func pairKeysGo(ca *cylinder, cb []cylinder, ij uint32, keys []uint32) int {
	n := 0
	for j := range cb {
		cb := &cb[j]
		v := ca.valid & cb.valid
		if bits.OnesCount64(v) < mccMinCommon {
			continue
		}
		// MCC bit similarity 1 − |x⊕y|/(|x|+|y|) over the cells valid
		// in both, x = a's bits ∧ v, y = b's bits ∧ v; as bits are set
		// only in a cylinder's own valid cells, x ∧ y needs no mask; |x|
		// and |y| come from the per-cell counts in binary
		// (TestMaskedCount).
		x, y := &ca.bits, &cb.bits
		// |x∧y|: the six words added by carry-save adders into bit
		// planes of weight 1, 2 and 4, then counted.
		w0, w1, w2 := x[0]&y[0], x[1]&y[1], x[2]&y[2]
		w3, w4, w5 := x[3]&y[3], x[4]&y[4], x[5]&y[5]
		s1, c1 := w0^w1^w2, (w0&w1)|(w2&(w0^w1))
		s2, c2 := w3^w4^w5, (w3&w4)|(w5&(w3^w4))
		c3 := s1 & s2
		and := bits.OnesCount64(s1^s2) + 2*bits.OnesCount64(c1^c2^c3) +
			4*bits.OnesCount64((c1&c2)|(c3&(c1^c2)))
		// |x|+|y|: the per-cell counts (3 bits each) masked by v, added
		// by a ripple of full adders into 4 planes.
		pa, pb := &ca.planes, &cb.planes
		a0, a1, a2 := pa[0]&v, pa[1]&v, pa[2]&v
		b0, b1, b2 := pb[0]&v, pb[1]&v, pb[2]&v
		k1 := a0 & b0
		k2 := (a1 & b1) | (k1 & (a1 ^ b1))
		k3 := (a2 & b2) | (k2 & (a2 ^ b2))
		nab := bits.OnesCount64(a0^b0) + 2*bits.OnesCount64(a1^b1^k1) +
			4*bits.OnesCount64(a2^b2^k2) + 8*bits.OnesCount64(k3)
		// 1 − |x⊕y|/(|x|+|y|) = 2|x∧y|/(|x|+|y|), quantised to 16 bits
		// by a reciprocal table. A pair with nothing in common (about
		// 40 % of them) is written but not counted, without a branch:
		// which pairs those are is unpredictable.
		keys[n] = uint32((uint64(and)*recipTable[nab])>>16)<<16 | (ij + uint32(j))
		inc := 0
		if and != 0 {
			inc = 1
		}
		n += inc
	}
	return n
}

// recipTable[n] is 2·65535·65536/n, so that the 16-bit similarity
// 2·and/n·65535 is (and·recipTable[n]) >> 16 (rounded down).
var recipTable = func() (t [2*mccWords*64 + 1]uint64) {
	for n := 1; n < len(t); n++ {
		t[n] = (2*65535*65536 + uint64(n) - 1) / uint64(n)
	}
	return
}()

// relax selects up to nR one-to-one pairs among the best local similarities,
// runs the MCC paper's relaxation (LSS-R) on them, takes the mean relaxed
// similarity of the nP most efficient pairs and weighs it by a global
// consolidation. It also returns the pair the consolidation aligned on.
func (pr *Probe) relax(a []cylinder, c *Prepared, n int) (float64, *cylinder, *cylinder) {
	b := c.cyl
	minAB := min(len(a), len(b))
	nR := min(minAB, maxRelax)
	// Greedy one-to-one selection, best first. Whether a pair's minutiae
	// are taken is unpredictable, so every pair is written and counted by
	// a bit (cylinder indices < maxMatchM = 64: the taken ones are masks).
	var usedA, usedB uint64
	m := 0
	for _, p := range pr.top[:n] {
		if m == nR {
			break
		}
		take := (usedA>>p.a|usedB>>p.b)&1 ^ 1
		pr.sel[m] = p
		m += int(take)
		usedA |= take << p.a
		usedB |= take << p.b
	}
	nP := numPairs(minAB)
	if m < nP {
		nP = m
	}
	sel := pr.sel[:m]
	// Compatibility ρ of every two selected pairs. δ is each pair's
	// rotation from the candidate to the probe.
	for i, p := range sel {
		ca, cb := &a[p.a], &b[p.b]
		// cos and sin of θa − θb from those of θa and θb.
		pr.pairs[i] = relaxPair{
			ax: ca.x, ay: ca.y, bx: cb.x, by: cb.y,
			d:   wrap32(ca.theta - cb.theta),
			cos: ca.cos*cb.cos + ca.sin*cb.sin,
			sin: ca.sin*cb.cos - ca.cos*cb.sin,
		}
	}
	pairs := pr.pairs[:m]
	for i := range pairs {
		pr.rho[i][i] = 0
		pi := &pairs[i]
		for k := i + 1; k < m; k++ {
			r := compat(pi, &pairs[k])
			pr.rho[i][k] = r
			pr.rho[k][i] = r
		}
	}
	for i, p := range sel {
		pr.lam[0][i] = p.s
	}
	cur := pr.relaxIterate(m)
	// Efficiency ε = λ(nrel)/λ(0); keep the nP most efficient pairs.
	ord := pr.order[:m]
	for i := range ord {
		ord[i] = i
	}
	eff := pr.eff[:m]
	for i := range eff {
		eff[i] = cur[i] / sel[i].s
	}
	// A selection sort without branches in its inner loop (which pair is
	// more efficient is unpredictable): the key of ord[k] is its
	// efficiency's bits, then 255 − k, so that the largest key is the
	// first of the most efficient, as a strict > scan finds it. The
	// efficiencies are ≥ 0 and finite (λ ≥ 0, s > 0), and such float32
	// values order as their bits.
	for i := 0; i < nP; i++ {
		var top uint64
		for k := i; k < m; k++ {
			key := uint64(math.Float32bits(eff[ord[k]]))<<8 | uint64(255-k)
			_, less := bits.Sub64(top, key, 0)
			top += (key - top) & -less
		}
		best := 255 - int(top&0xff)
		ord[i], ord[best] = ord[best], ord[i]
	}
	var sum float32
	for _, i := range ord[:nP] {
		sum += cur[i]
	}
	mcc := float64(sum) / float64(nP)
	// Global consolidation: align on each of the consolAnchors most
	// efficient pairs and keep the largest count of minutiae that land on
	// a minutia of the candidate; the score is the MCC score times that
	// count over the geometric mean of the template sizes. The first
	// anchor with the largest count is the alignment returned.
	mc, anchor := -1, 0
	for _, i := range ord[:min(consolAnchors, nP)] {
		if k := pr.consolidate(a, c, &a[sel[i].a], &b[sel[i].b]); k > mc {
			mc, anchor = k, i
		}
	}
	return mcc * float64(mc) / math.Sqrt(float64(len(a))*float64(len(b))), &a[sel[anchor].a], &b[sel[anchor].b]
}

// relaxIterate runs relaxIter iterations of λ ← wR·λ + (1−wR)/(m−1)·ρλ
// (MCC paper, eq. 25) from pr.lam[0][:m] and returns the final λ. The
// rows of ρ and λ are fixed-size arrays, zero beyond m, so that a row's
// product is one unrolled expression without bounds checks, summed in the
// same order as the plain loop (relaxIterateReference in the tests).
func (pr *Probe) relaxIterate(m int) []float32 {
	cur, next := &pr.lam[0], &pr.lam[1]
	clear(cur[m:])
	clear(next[:])
	if m < 2 {
		return cur[:m]
	}
	inv := (1 - relaxW) / float32(m-1)
	for it := 0; it < relaxIter; it++ {
		for i := 0; i < m; i++ {
			r := &pr.rho[i]
			// ρ beyond m may hold an earlier comparison's values: finite,
			// times λ = 0.
			s := r[0]*cur[0] + r[1]*cur[1] + r[2]*cur[2] + r[3]*cur[3] +
				r[4]*cur[4] + r[5]*cur[5] + r[6]*cur[6] + r[7]*cur[7] +
				r[8]*cur[8] + r[9]*cur[9] + r[10]*cur[10] + r[11]*cur[11] +
				r[12]*cur[12] + r[13]*cur[13] + r[14]*cur[14] + r[15]*cur[15]
			next[i] = relaxW*cur[i] + inv*s
		}
		cur, next = next, cur
	}
	return cur[:m]
}

// Consolidation: tolerances at 500 ppi (15 px is 0.75 mm, about one and
// a half ridge periods; π/6 absorbs direction noise) and the number of
// alignments tried (2: a third changed the FVC2002 error rates by less
// than their noise and cost about 10 % of the speed).
const (
	consolDist    = 15
	consolAngle   = math.Pi / 6
	consolAnchors = 2
)

// consolidate aligns a on b by the pair (pa, pb) and counts the minutiae
// of a that land within consolDist of a minutia of b whose direction is
// within consolAngle (consolDirOut), one to one: each minutia of a in turn
// takes the nearest unused one of b (the lowest index on a tie). Only the
// grid cells of b within consolDist are searched (consolidateReference in
// the tests searches all of b).
//
// The search of a cell has no branch but its loop's: whether a minutia of
// b is near enough, unused and aligned is unpredictable. Each candidate
// gets the key (distance, index), both as unsigned integers (a float32
// distance ≥ 0 orders as its bits), set to all ones when it is used or
// misaligned; the least key is the nearest, then the lowest index, as
// the cells are visited in any order.
func (pr *Probe) consolidate(a []cylinder, c *Prepared, pa, pb *cylinder) int {
	b := c.cyl
	rot := pb.theta - pa.theta
	// cos and sin of θb − θa from those of θa and θb.
	sn, cs := pb.sin*pa.cos-pb.cos*pa.sin, pb.cos*pa.cos+pb.sin*pa.sin
	var used uint64 // bit j: b[j] is taken (len(b) ≤ maxMatchM = 64)
	gw, gh, inv := c.gw, c.gh, c.inv
	start, idx := c.gstart, c.gidx
	// none is the key of a candidate at exactly consolDist: a key must be
	// below it to count.
	none := uint64(math.Float32bits(consolDist*consolDist)) << 8
	m := 0
	for i := range a {
		ca := &a[i]
		dx, dy := ca.x-pa.x, ca.y-pa.y
		x := cs*dx - sn*dy + pb.x
		y := sn*dx + cs*dy + pb.y
		if x < c.box[0] || y < c.box[1] || x > c.box[2] || y > c.box[3] {
			continue // outside the candidate: nothing within reach
		}
		th := ca.theta + rot
		if th < 0 {
			th += 2 * math.Pi
		} else if th >= 2*math.Pi {
			th -= 2 * math.Pi
		}
		// Cells overlapping the square of side 2·consolDist around
		// (x, y): at most two each way, as a cell is at least that wide.
		rx, ry := (x-c.box[0])*inv, (y-c.box[1])*inv
		r := consolDist * inv
		gx0, gx1 := max(int32(rx-r), 0), min(int32(rx+r), gw-1)
		gy0, gy1 := max(int32(ry-r), 0), min(int32(ry+r), gh-1)
		best := none
		for gy := gy0; gy <= gy1; gy++ {
			row := int(gy * gw)
			for k := start[row+int(gx0)]; k < start[row+int(gx1)+1]; k++ {
				j := idx[k]
				cb := &b[j]
				ex, ey := cb.x-x, cb.y-y
				d := ex*ex + ey*ey
				key := uint64(math.Float32bits(d))<<8 | uint64(j)
				key |= -(used>>j&1 | consolDirOut(cb.theta, th))
				_, less := bits.Sub64(key, best, 0)
				best += (key - best) & -less
			}
		}
		_, found := bits.Sub64(best, none, 0)
		used |= found << (best & 0xff)
		m += int(found)
	}
	return m
}

// consolDirOut is 0 where directions t and th (radians, in [0, 2π)) are
// within consolAngle of each other and 1 elsewhere, without a branch; it
// equals consolDir in the tests, which wraps t − th to [−π, π) first
// (TestConsolDirOut). |t − th| wraps to 2π − |t − th|, exactly the
// rounded sum consolDir wraps by, where |t − th| ≥ π, and elsewhere
// 2π − |t − th| exceeds π, so the directions agree when either is within
// consolAngle. Non-negative float32 values order as their bits, and the
// bits are below 2³¹, so lim − b borrows, setting bit 31, when b > lim.
func consolDirOut(t, th float32) uint64 {
	ad := abs32(t - th)
	const lim = consolAngleBits
	return uint64((lim-math.Float32bits(ad))>>31) & uint64((lim-math.Float32bits(2*math.Pi-ad))>>31)
}

// consolAngleBits is math.Float32bits(consolAngle) (TestConsolDirOut).
const consolAngleBits = 0x3f060a92

// LSS-R parameters of the MCC paper (section 4).
const (
	relaxW    = 0.5 // wR
	relaxIter = 5   // nrel
	minNP     = 4
	maxNP     = 12
	muP       = 20
	tauP      = 0.4
)

// numPairs is nP of the MCC paper: how many pairs the score averages, from
// minNP to maxNP by a sigmoid of the smaller minutiae count.
func numPairs(n int) int {
	return int(numPairsTable[min(max(n, 0), maxMatchM)])
}

// numPairsTable[n] is numPairs(n), numPairsFormula as a table.
var numPairsTable = func() (t [maxMatchM + 1]uint8) {
	for n := range t {
		t[n] = uint8(numPairsFormula(n))
	}
	return
}()

// numPairsFormula is nP as the MCC paper writes it.
func numPairsFormula(n int) int {
	z := 1 / (1 + math.Exp(-tauP*(float64(n)-muP)))
	return minNP + int(math.Round(z*(maxNP-minNP)))
}

// Compatibility lookup tables: ρ = Z(d1; 5, −1.6)·Z(d2; π/12, −30)·Z(d3; π/12, −30).
const (
	lutN      = 256
	lutDistMx = 16.0        // Z(d1) < 1e-5 beyond
	lutAngMx  = math.Pi / 4 // Z(d2), Z(d3) < 1e-5 beyond
)

var lutDist, lutAng, lutTan = func() (d, a, t [lutN + 1]float32) {
	z := func(v, mu, tau float64) float32 { return float32(1 / (1 + math.Exp(-tau*(v-mu)))) }
	for i := range d {
		d[i] = z(float64(i)*lutDistMx/lutN, 5, -1.6)
		a[i] = z(float64(i)*lutAngMx/lutN, math.Pi/12, -30)
		t[i] = z(math.Atan(float64(i)/lutN), math.Pi/12, -30) // indexed by tan d3
	}
	d[lutN], a[lutN], t[lutN] = 0, 0, 0
	return
}()

// compat is ρ of the MCC paper for the selected pairs pi and pk: how well
// the distance (d1), the direction difference (d2) and the radial angle
// (d3) of ai→ak agree with those of bi→bk. d2 is the difference of the
// rotations; d3 is the angle between ai→ak and bi→bk rotated by pi's
// rotation, taken from its tangent (|d3| < π/4 ⇔ |cross| < dot), so no
// arctangent is needed. compatibilityReference in the tests is the
// formula as the paper writes it.
//
// compat has no branch: which pairs are compatible is unpredictable, and
// the mispredicted early returns cost more than computing every term. A
// term out of its table's range (d2 ≥ π/4, d1 ≥ 16, or not |cross| < dot)
// takes the index lutN, whose entry is 0, so that ρ is +0 exactly as an
// early return gave (compatBranchy in the tests, TestCompatMatchesBranchy).
func compat(pi, pk *relaxPair) float32 {
	// d2: |d| wrapped to [0, π] as absAngle does, the rotations being in
	// [−π, π): where |d| ≥ π, 2π − |d| is exactly d + 2π or −(d − 2π),
	// rounded alike, and elsewhere it exceeds |d|.
	d := abs32(pi.d - pk.d)
	d2 := min(d, 2*math.Pi-d)
	vax, vay := pk.ax-pi.ax, pk.ay-pi.ay
	vbx, vby := pk.bx-pi.bx, pk.by-pi.by
	da := float32(math.Sqrt(float64(vax*vax + vay*vay)))
	db := float32(math.Sqrt(float64(vbx*vbx + vby*vby)))
	d1 := abs32(da - db)
	wx := pi.cos*vbx - pi.sin*vby
	wy := pi.sin*vbx + pi.cos*vby
	dot := wx*vax + wy*vay
	cross := abs32(wx*vay - wy*vax)
	// cross ≥ dot > 0 gives a ratio ≥ 1, an index ≥ lutN; dot ≤ 0 (its
	// bits, as a signed integer, ≤ 0) gives a negative, infinite or NaN
	// ratio, whose conversion is platform-dependent, so its index is
	// made out of range by setting every bit.
	bad := uint((int64(int32(math.Float32bits(dot))) - 1) >> 63)
	i3 := uint(int(cross/dot*lutN)) | bad
	// d1 ≥ lutDistMx ⇔ d1·(lutN/lutDistMx) ≥ lutN, the factor being 16;
	// d2·(lutN/lutAngMx) rounds to lutN at d2 = lutAngMx, so every d2 ≥
	// lutAngMx reaches the sentinel too.
	i1 := uint(int(d1 * (lutN / lutDistMx)))
	i2 := uint(int(d2 * (lutN / lutAngMx)))
	return lutDist[lutIndex(i1)] * lutAng[lutIndex(i2)] * lutTan[lutIndex(i3)]
}

// lutIndex is min(i, lutN) without a branch (a conditional move is not
// what the compiler makes of min here, and the comparisons are
// unpredictable): the borrow of lutN − i selects lutN.
func lutIndex(i uint) uint {
	_, over := bits.Sub(lutN, i, 0)
	return i + (lutN-i)&-over
}

// abs32 is |x|, by clearing the sign bit rather than by a branch.
func abs32(x float32) float32 {
	return math.Float32frombits(math.Float32bits(x) &^ (1 << 31))
}

// wrap32 normalises an angle difference to [−π, π).
func wrap32(d float32) float32 {
	for d < -math.Pi {
		d += 2 * math.Pi
	}
	for d >= math.Pi {
		d -= 2 * math.Pi
	}
	return d
}

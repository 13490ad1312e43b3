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
	// dir[k] is the first cylinder whose direction is at least
	// k·2π/dirBuckets (cylinders are sorted by direction).
	dir [dirBuckets + 1]uint8
	// box is the bounding box of the cylinders' centres grown by
	// consolDist: minimum x, minimum y, maximum x, maximum y.
	box [4]float32
}

// dirBuckets is the size of the direction index of a Prepared.
const dirBuckets = 64

// Prepare precomputes t for matching. It uses at most 64 minutiae (the
// highest quality ones, then those nearest the centroid) and scales
// coordinates to 500 ppi by t.Resolution (500 when zero). A nil or empty
// template gives a Prepared that matches nothing (every score 0).
func Prepare(t *Template) *Prepared {
	p := &Prepared{cyl: cylinders(matchPoints(t))}
	for k := range p.dir {
		p.dir[k] = uint8(lowerBound(p.cyl, float32(k)*(2*math.Pi/dirBuckets)))
	}
	p.box = [4]float32{math.MaxFloat32, math.MaxFloat32, -math.MaxFloat32, -math.MaxFloat32}
	for _, c := range p.cyl {
		p.box[0], p.box[1] = min(p.box[0], c.x-consolDist), min(p.box[1], c.y-consolDist)
		p.box[2], p.box[3] = max(p.box[2], c.x+consolDist), max(p.box[3], c.y+consolDist)
	}
	return p
}

// Len returns the number of usable minutiae (valid cylinders).
func (p *Prepared) Len() int { return len(p.cyl) }

// Probe is the probe side of 1:N comparisons: a prepared template plus the
// scratch space a comparison needs, so that Score does not allocate. A Probe
// is not safe for concurrent use: it is meant to be used by one goroutine;
// make one Probe per worker (NewProbe is cheap next to a gallery scan).
type Probe struct {
	p Prepared

	keys   [maxMatchM * maxMatchM]uint32
	sorted [maxMatchM * maxMatchM]uint32
	hist   [256]uint16
	top    [topPairs]pairSim
	sel    [maxRelax]pairSim
	used   [2][maxMatchM]bool
	lam    [2][maxRelax]float32
	rho    [maxRelax][maxRelax]float32
	eff    [maxRelax]float32
	order  [maxRelax]int
	rot    [maxRelax]rotation
}

// rotation is the rotation δ from a candidate minutia to the probe minutia
// of a selected pair, with its cosine and sine.
type rotation struct{ d, cos, sin float32 }

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
	return &Probe{p: *p}
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
	return pr.relax(a, c, n)
}

// localSimilarities computes the MCC similarity of every comparable pair of
// cylinders (direction difference at most δθ, enough common valid cells)
// and keeps the topPairs best in pr.top, best first. It returns how many it
// kept. Cylinders are sorted by direction, so the candidates within δθ of
// a probe cylinder are one or two runs found through the direction index.
func (pr *Probe) localSimilarities(a []cylinder, c *Prepared) int {
	b := c.cyl
	keys, hist := &pr.keys, &pr.hist
	clear(hist[:])
	n := 0
	// The candidates within δθ of a[i] are the window [lo, hi) of b
	// repeated three times, shifted by −2π, 0 and +2π (theta below):
	// a is sorted by direction too, so the window only moves forward.
	nb3 := 3 * len(b)
	theta := func(e int) float32 {
		k := 0
		if e >= len(b) {
			k = 1
			if e >= 2*len(b) {
				k = 2
			}
		}
		return b[e-k*len(b)].theta + float32(k-1)*(2*math.Pi)
	}
	lo, hi := 0, 0
	for i := range a {
		ca := &a[i]
		for lo < nb3 && theta(lo) < ca.theta-mccMaxDir {
			lo++
		}
		hi = max(hi, lo)
		for hi < nb3 && theta(hi) <= ca.theta+mccMaxDir {
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
			for j := e - off; j < end-off; j++ {
				cb := &b[j]
				v := ca.valid & cb.valid
				if bits.OnesCount64(v) < mccMinCommon {
					continue
				}
				// MCC bit similarity 1 − |x⊕y|/(|x|+|y|) over the cells
				// valid in both, x = a's bits ∧ v, y = b's bits ∧ v; as
				// bits are set only in a cylinder's own valid cells,
				// x ∧ y needs no mask; |x| and |y| come from the per-cell
				// counts.
				// Written out: a call here makes the compiler spill the
				// loop's registers. |x∧y|, then |x| and |y| from the
				// per-cell counts in binary (TestMaskedCount).
				x, y := &ca.bits, &cb.bits
				and := bits.OnesCount64(x[0]&y[0]) + bits.OnesCount64(x[1]&y[1]) +
					bits.OnesCount64(x[2]&y[2]) + bits.OnesCount64(x[3]&y[3]) +
					bits.OnesCount64(x[4]&y[4]) + bits.OnesCount64(x[5]&y[5])
				if and == 0 {
					continue
				}
				pa, pb := &ca.planes, &cb.planes
				na := bits.OnesCount64(pa[0]&v) + 2*bits.OnesCount64(pa[1]&v) + 4*bits.OnesCount64(pa[2]&v)
				nb := bits.OnesCount64(pb[0]&v) + 2*bits.OnesCount64(pb[1]&v) + 4*bits.OnesCount64(pb[2]&v)
				// 1 − |x⊕y|/(|x|+|y|) = 2|x∧y|/(|x|+|y|).
				// Similarity quantised to 16 bits, by a reciprocal table.
				key := simKey(and, na+nb, i, j)
				keys[n] = key
				hist[key>>24]++
				n++
			}
			e = end
		}
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
	out := pr.sorted[:pos]
	for _, k := range keys[:n] {
		if b := k >> 24; int(b) >= cut {
			out[hist[b]] = k
			hist[b]++
		}
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

// recipTable[n] is 2·65535·65536/n, so that the 16-bit similarity
// 2·and/n·65535 is (and·recipTable[n]) >> 16 (rounded down).
var recipTable = func() (t [2*mccWords*64 + 1]uint64) {
	for n := 1; n < len(t); n++ {
		t[n] = (2*65535*65536 + uint64(n) - 1) / uint64(n)
	}
	return
}()

// simKey orders pairs by similarity (quantised to 16 bits as in
// localSimilarities), then by index.
func simKey(and, n, i, j int) uint32 {
	return uint32((uint64(and)*recipTable[n])>>16)<<16 | uint32(i)<<8 | uint32(j)
}

// lowerBound is the first index of cs (sorted by theta) with theta ≥ t.
func lowerBound(cs []cylinder, t float32) int {
	lo, hi := 0, len(cs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if cs[m].theta < t {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// relax selects up to nR one-to-one pairs among the best local similarities,
// runs the MCC paper's relaxation (LSS-R) on them, takes the mean relaxed
// similarity of the nP most efficient pairs and weighs it by a global
// consolidation.
func (pr *Probe) relax(a []cylinder, c *Prepared, n int) float64 {
	b := c.cyl
	minAB := min(len(a), len(b))
	nR := min(minAB, maxRelax)
	for i := range pr.used {
		clear(pr.used[i][:])
	}
	m := 0
	for _, p := range pr.top[:n] {
		if m == nR {
			break
		}
		if pr.used[0][p.a] || pr.used[1][p.b] {
			continue
		}
		pr.used[0][p.a], pr.used[1][p.b] = true, true
		pr.sel[m] = p
		m++
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
		pr.rot[i] = rotation{
			d:   wrap32(ca.theta - cb.theta),
			cos: ca.cos*cb.cos + ca.sin*cb.sin,
			sin: ca.sin*cb.cos - ca.cos*cb.sin,
		}
	}
	for i := range sel {
		pr.rho[i][i] = 0
		ai, bi := &a[sel[i].a], &b[sel[i].b]
		for k := i + 1; k < m; k++ {
			r := compat(ai, &a[sel[k].a], bi, &b[sel[k].b], &pr.rot[i], pr.rot[k].d)
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
	for i := 0; i < nP; i++ {
		best := i
		for k := i + 1; k < m; k++ {
			if eff[ord[k]] > eff[ord[best]] {
				best = k
			}
		}
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
	// count over the geometric mean of the template sizes.
	mc := 0
	for _, i := range ord[:min(consolAnchors, nP)] {
		mc = max(mc, pr.consolidate(a, c, &a[sel[i].a], &b[sel[i].b]))
	}
	return mcc * float64(mc) / math.Sqrt(float64(len(a))*float64(len(b)))
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
// within consolAngle, one to one (nearest first come). b is sorted by
// direction, so only a window of it is searched.
func (pr *Probe) consolidate(a []cylinder, c *Prepared, pa, pb *cylinder) int {
	b := c.cyl
	rot := pb.theta - pa.theta
	// cos and sin of θb − θa from those of θa and θb.
	sn, cs := pb.sin*pa.cos-pb.cos*pa.sin, pb.cos*pa.cos+pb.sin*pa.sin
	used := &pr.used[1]
	clear(used[:len(b)])
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
		// The candidates with direction in [lo, hi] (wrapping), run by
		// run in index order, one scan from the direction index per run
		// (consolidateReference in the tests searches them by bisection).
		var seg [2][2]float32
		nseg := 1
		switch lo, hi := th-consolAngle, th+consolAngle; {
		case lo < 0:
			seg, nseg = [2][2]float32{{lo + 2*math.Pi, 2 * math.Pi}, {0, hi}}, 2
		case hi >= 2*math.Pi:
			seg, nseg = [2][2]float32{{lo, 2 * math.Pi}, {0, hi - 2*math.Pi}}, 2
		default:
			seg[0] = [2]float32{lo, hi}
		}
		bestJ, bestD := -1, float32(consolDist*consolDist)
		for _, sg := range seg[:nseg] {
			for j := c.bucketStart(sg[0]); j < len(b) && b[j].theta <= sg[1]; j++ {
				cb := &b[j]
				if cb.theta < sg[0] {
					continue
				}
				ex, ey := cb.x-x, cb.y-y
				if d := ex*ex + ey*ey; d < bestD && !used[j] {
					bestJ, bestD = j, d
				}
			}
		}
		if bestJ >= 0 {
			used[bestJ] = true
			m++
		}
	}
	return m
}

// bucketStart is an index of p's cylinders at or before the first one
// whose direction is at least t, from the direction index.
func (p *Prepared) bucketStart(t float32) int {
	k := int(t*(dirBuckets/(2*math.Pi))) - 1 // one bucket early: rounding
	k = max(0, min(k, dirBuckets))
	return int(p.dir[k])
}

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

// compat is ρ of the MCC paper for pairs (ai, bi) and (ak, bk), whose
// rotations from candidate to probe are ri and dk: how well the distance
// (d1), the direction difference (d2) and the radial angle (d3) of ai→ak
// agree with those of bi→bk. d2 is the difference of the rotations; d3 is
// the angle between ai→ak and bi→bk rotated by ri, taken from its tangent
// (|d3| < π/4 ⇔ |cross| < dot), so no arctangent is needed.
// compatibilityReference in the tests is the formula as the paper writes it.
func compat(ai, ak, bi, bk *cylinder, ri *rotation, dk float32) float32 {
	d2 := absAngle(ri.d - dk)
	if d2 >= lutAngMx {
		return 0
	}
	vax, vay := ak.x-ai.x, ak.y-ai.y
	vbx, vby := bk.x-bi.x, bk.y-bi.y
	da := float32(math.Sqrt(float64(vax*vax + vay*vay)))
	db := float32(math.Sqrt(float64(vbx*vbx + vby*vby)))
	d1 := da - db
	if d1 < 0 {
		d1 = -d1
	}
	if d1 >= lutDistMx {
		return 0
	}
	wx := ri.cos*vbx - ri.sin*vby
	wy := ri.sin*vbx + ri.cos*vby
	dot := wx*vax + wy*vay
	cross := wx*vay - wy*vax
	if cross < 0 {
		cross = -cross
	}
	if dot <= 0 || cross >= dot {
		return 0
	}
	return lutDist[int(d1*(lutN/lutDistMx))] * lutAng[int(d2*(lutN/lutAngMx))] * lutTan[int(cross/dot*lutN)]
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

// absAngle is |wrap32(d)|.
func absAngle(d float32) float32 {
	d = wrap32(d)
	if d < 0 {
		return -d
	}
	return d
}

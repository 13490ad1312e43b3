package fingerprint

import (
	"math"
	"math/bits"
	"sort"
)

// The matcher represents each minutia by a bit-based Minutia Cylinder-Code
// (MCC, Cappelli, Ferrara and Maltoni, "Minutia Cylinder-Code: a new
// representation and matching technique for fingerprint recognition", IEEE
// TPAMI 32(12), 2010): a cylinder of radius mccRadius centred on the minutia
// and rotated to its direction, cut into mccNS×mccNS spatial cells and mccND
// direction slices. A cell's bit is set when neighbouring minutiae near the
// cell centre have a direction difference (relative to the central minutia)
// near the slice's angle. The parameters are the paper's, expressed at 500
// ppi, except the coarser grid (8×8×6 instead of 16×16×6), chosen so that a
// direction slice of the grid is one 64-bit word and a comparison of two
// cylinders is a handful of AND/XOR/POPCNT instructions.
const (
	mccNS     = 8                       // spatial cells per side
	mccND     = 6                       // direction slices
	mccRadius = 70.0                    // R, pixels at 500 ppi
	mccSigmaS = 28.0 / 3.0              // σS, pixels
	mccSigmaD = 2 * math.Pi / 9         // σD, radians
	mccMuPsi  = 0.01                    // μΨ, bit threshold of a cell's summed contribution
	mccOmega  = 50.0                    // Ω, convex hull enlargement, pixels
	mccMinVC  = 0.75                    // minVC, fraction of in-radius cells that must be valid
	mccMinM   = 2                       // minM, minimum neighbours in a valid cylinder
	mccMinME  = 0.60                    // minME, fraction of cells that must be valid in both to compare
	mccDeltaS = 2 * mccRadius / mccNS   // ΔS, cell side
	mccDeltaD = 2 * math.Pi / mccND     // ΔD, slice width
	mccCells  = mccNS * mccNS           // spatial cells, one bit each in a 64-bit word
	mccWords  = mccND * mccCells / 64   // words of cell bits per cylinder
	mccVWords = mccCells / 64           // words of the validity mask
	matchRes  = 500                     // resolution (ppi) the matcher works at
	maxMatchM = 64                      // most minutiae of one template the matcher uses
	mccMaxDir = math.Pi / 3             // δθ: FVC-style placement rotates up to 35°, plus direction noise
	mccNeighR = mccRadius + 3*mccSigmaS // neighbours farther than this contribute nothing
)

// mccInRadius is the number of spatial cells whose centre lies within
// mccRadius of the cylinder's centre, and mccInMask has their bits.
var mccInRadius, mccInMask = func() (int, uint64) {
	n, m := 0, uint64(0)
	for i := 0; i < mccNS; i++ {
		for j := 0; j < mccNS; j++ {
			dx := (float64(i) - (mccNS-1)/2.0) * mccDeltaS
			dy := (float64(j) - (mccNS-1)/2.0) * mccDeltaS
			if dx*dx+dy*dy <= mccRadius*mccRadius {
				n++
				m |= 1 << (i*mccNS + j)
			}
		}
	}
	return n, m
}()

// mccInRadiusCells is mccInRadius as a constant (52 cells of the 8×8 grid
// lie within the radius; TestCylinderConstants checks it), so that
// mccMinValid and mccMinCommon, minVC and minME in cells, are constants in
// the comparison loop.
const (
	mccInRadiusCells = 52
	mccMinValid      = 39 // ⌈minVC·52⌉ = ⌈0.75·52⌉
	mccMinCommon     = 32 // ⌈minME·52⌉ = ⌈0.60·52⌉
)

// cylinder is one minutia's MCC with the geometry the consolidation step needs.
type cylinder struct {
	bits   [mccWords]uint64 // word k holds direction slice k, bit i*mccNS+j cell (i, j)
	valid  uint64           // valid spatial cells
	planes [3]uint64        // binary digits of each cell's count of set slices
	x, y   float32          // position at 500 ppi, y pointing up
	theta  float32          // direction, radians, counter-clockwise, [0, 2π)
	cos    float32          // cos theta
	sin    float32          // sin theta
}

// count sets c.planes from c.bits: each cell's number of set direction
// slices as three bit planes.
func (c *cylinder) count() {
	c.planes = [3]uint64{}
	for _, w := range c.bits {
		// Add w to the 3-bit per-cell counters.
		carry := c.planes[0] & w
		c.planes[0] ^= w
		carry2 := c.planes[1] & carry
		c.planes[1] ^= carry
		c.planes[2] |= carry2
	}
}

// point is a minutia in the matcher's frame: 500 ppi, y up.
type point struct{ x, y, theta float64 }

// matchPoints returns up to maxMatchM minutiae of t in the matcher's frame,
// preferring higher quality and then those nearest the centroid.
func matchPoints(t *Template) []point {
	if t == nil || len(t.Minutiae) == 0 {
		return nil
	}
	scale := matchScale(t)
	ms := t.Minutiae
	if len(ms) > maxMatchM {
		var cx, cy float64
		for _, m := range ms {
			cx += float64(m.X)
			cy += float64(m.Y)
		}
		cx /= float64(len(ms))
		cy /= float64(len(ms))
		idx := make([]int, len(ms))
		for i := range idx {
			idx[i] = i
		}
		d := func(m Minutia) float64 {
			dx, dy := float64(m.X)-cx, float64(m.Y)-cy
			return dx*dx + dy*dy
		}
		sort.SliceStable(idx, func(a, b int) bool {
			ma, mb := ms[idx[a]], ms[idx[b]]
			if ma.Quality != mb.Quality {
				return ma.Quality > mb.Quality
			}
			return d(ma) < d(mb)
		})
		sel := make([]Minutia, maxMatchM)
		for i := range sel {
			sel[i] = ms[idx[i]]
		}
		ms = sel
	}
	ps := make([]point, len(ms))
	for i, m := range ms {
		th := math.Mod(m.Angle, 2*math.Pi)
		if th < 0 {
			th += 2 * math.Pi
		}
		if math.IsNaN(th) {
			th = 0
		}
		ps[i] = point{x: float64(m.X) * scale, y: -float64(m.Y) * scale, theta: th}
	}
	return ps
}

// matchScale is the matcher's pixels per pixel of t: matchRes over
// t.Resolution, 1 when the resolution is not given.
func matchScale(t *Template) float64 {
	if t.Resolution > 0 {
		return matchRes / float64(t.Resolution)
	}
	return 1
}

// angleDiff returns a−b normalised to [−π, π).
func angleDiff(a, b float64) float64 {
	d := a - b
	for d < -math.Pi {
		d += 2 * math.Pi
	}
	for d >= math.Pi {
		d -= 2 * math.Pi
	}
	return d
}

// convexHull returns the convex hull of ps counter-clockwise (Andrew's
// monotone chain), without repeating the first point.
func convexHull(ps []point) []point {
	h := make([]point, len(ps))
	copy(h, ps)
	sort.Slice(h, func(i, j int) bool {
		if h[i].x != h[j].x {
			return h[i].x < h[j].x
		}
		return h[i].y < h[j].y
	})
	if len(h) < 3 {
		return h
	}
	cross := func(o, a, b point) float64 { return (a.x-o.x)*(b.y-o.y) - (a.y-o.y)*(b.x-o.x) }
	out := make([]point, 0, 2*len(h))
	for _, p := range h {
		for len(out) >= 2 && cross(out[len(out)-2], out[len(out)-1], p) <= 0 {
			out = out[:len(out)-1]
		}
		out = append(out, p)
	}
	lower := len(out) + 1
	for i := len(h) - 2; i >= 0; i-- {
		p := h[i]
		for len(out) >= lower && cross(out[len(out)-2], out[len(out)-1], p) <= 0 {
			out = out[:len(out)-1]
		}
		out = append(out, p)
	}
	return out[:len(out)-1]
}

// nearHull reports whether (x, y) is inside the convex hull h or within
// margin of it.
func nearHull(h []point, x, y, margin float64) bool {
	switch len(h) {
	case 0:
		return false
	case 1:
		return math.Hypot(x-h[0].x, y-h[0].y) <= margin
	}
	inside := len(h) >= 3
	for i := range h {
		a, b := h[i], h[(i+1)%len(h)]
		if (b.x-a.x)*(y-a.y)-(b.y-a.y)*(x-a.x) < 0 {
			inside = false
			break
		}
	}
	if inside {
		return true
	}
	for i := range h {
		a, b := h[i], h[(i+1)%len(h)]
		if segDist(a, b, x, y) <= margin {
			return true
		}
	}
	return false
}

// segDist is the distance from (x, y) to the segment ab.
func segDist(a, b point, x, y float64) float64 {
	dx, dy := b.x-a.x, b.y-a.y
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = ((x-a.x)*dx + (y-a.y)*dy) / l2
		t = math.Max(0, math.Min(1, t))
	}
	return math.Hypot(x-a.x-t*dx, y-a.y-t*dy)
}

// directionalContribution is C^D of the MCC paper: the area of a Gaussian
// (σD) over the slice of width ΔD centred alpha away from the difference.
func directionalContribution(alpha float64) float64 {
	s := mccSigmaD * math.Sqrt2
	return 0.5 * (math.Erf((alpha+mccDeltaD/2)/s) - math.Erf((alpha-mccDeltaD/2)/s))
}

// cylinders builds the valid cylinders of ps (MCC section 3).
func cylinders(ps []point) []cylinder {
	hull := convexHull(ps)
	out := make([]cylinder, 0, len(ps))
	gs := 1 / (mccSigmaS * math.Sqrt(2*math.Pi))
	for mi, m := range ps {
		sin, cos := math.Sincos(m.theta)
		var c cylinder
		// Neighbours and their direction contributions per slice.
		type nb struct {
			x, y float64
			cd   [mccND]float64
		}
		var nbs [maxMatchM]nb
		n := 0
		for ti, t := range ps {
			if ti == mi || math.Hypot(t.x-m.x, t.y-m.y) > mccNeighR {
				continue
			}
			nbs[n].x, nbs[n].y = t.x, t.y
			dth := angleDiff(m.theta, t.theta)
			for k := 0; k < mccND; k++ {
				phi := -math.Pi + (float64(k)+0.5)*mccDeltaD
				nbs[n].cd[k] = directionalContribution(angleDiff(phi, dth))
			}
			n++
		}
		if n < mccMinM {
			continue
		}
		for i := 0; i < mccNS; i++ {
			for j := 0; j < mccNS; j++ {
				bit := uint(i*mccNS + j)
				if mccInMask&(1<<bit) == 0 {
					continue
				}
				u := (float64(i) - (mccNS-1)/2.0) * mccDeltaS
				v := (float64(j) - (mccNS-1)/2.0) * mccDeltaS
				px := m.x + cos*u - sin*v
				py := m.y + sin*u + cos*v
				if !nearHull(hull, px, py, mccOmega) {
					continue
				}
				c.valid |= 1 << bit
				var sum [mccND]float64
				for _, t := range nbs[:n] {
					d2 := (t.x-px)*(t.x-px) + (t.y-py)*(t.y-py)
					if d2 > 9*mccSigmaS*mccSigmaS {
						continue
					}
					cs := gs * math.Exp(-d2/(2*mccSigmaS*mccSigmaS))
					for k := range sum {
						sum[k] += cs * t.cd[k]
					}
				}
				for k, s := range sum {
					if s >= mccMuPsi {
						c.bits[k] |= 1 << bit
					}
				}
			}
		}
		if bits.OnesCount64(c.valid) < mccMinValid {
			continue
		}
		c.count()
		c.x, c.y, c.theta = float32(m.x), float32(m.y), float32(m.theta)
		c.sin, c.cos = float32(sin), float32(cos)
		out = append(out, c)
	}
	// Sorted by direction, so that Score finds the cylinders within δθ
	// of a direction as a sliding window.
	sort.SliceStable(out, func(i, j int) bool { return out[i].theta < out[j].theta })
	return out
}

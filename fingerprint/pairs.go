package fingerprint

import (
	"cmp"
	"math"
	"slices"
)

// Pair links minutia A of one template with minutia B of another: indices
// into the templates' Minutiae.
type Pair struct {
	A int `json:"a"`
	B int `json:"b"`
}

// Pairing tolerances at 500 ppi: a minutia of a, moved by the alignment,
// pairs with a minutia of b within pairDist pixels whose direction differs by
// at most pairAngle.
const (
	pairDist  = 15.0
	pairAngle = math.Pi / 6
)

// Pairs returns the minutiae of a and b that correspond under the rigid
// alignment (rotation and translation) bringing most of them together, for
// an examiner to see which minutiae support a comparison. Every pair of
// minutiae of the same kind proposes an alignment (b's minutia's position and
// direction from a's); each alignment pairs a's moved minutiae greedily,
// closest first, with unpaired minutiae of b within 15 pixels (scaled to the
// templates' resolution) and π/6 in direction, and the alignment with the
// most pairs wins (ties: smallest summed distance). Pairs is not the
// matcher's score (see Compare): it is an explanation drawn from the same
// minutiae. The result is sorted by A; nil when fewer than two minutiae
// pair.
func Pairs(a, b *Template) []Pair {
	if a == nil || b == nil || len(a.Minutiae) == 0 || len(b.Minutiae) == 0 {
		return nil
	}
	tol := pairTolerance(a)
	if tol <= 0 {
		return nil
	}
	g := newPairGrid(b.Minutiae, tol)
	var best []Pair
	bestCost := math.Inf(1)
	cand := make([]candPair, 0, len(a.Minutiae))
	used := make([]bool, len(b.Minutiae))
	for _, ma := range a.Minutiae {
		for _, mb := range b.Minutiae {
			if ma.Kind != mb.Kind && ma.Kind != KindOther && mb.Kind != KindOther {
				continue
			}
			rot := mb.Angle - ma.Angle
			sin, cos := math.Sincos(rot)
			cand = cand[:0]
			for k, mk := range a.Minutiae {
				dx, dy := float64(mk.X-ma.X), float64(mk.Y-ma.Y)
				x := float64(mb.X) + dx*cos + dy*sin
				y := float64(mb.Y) - dx*sin + dy*cos
				ang := mk.Angle + rot
				cand = g.near(cand, b.Minutiae, k, x, y, ang, tol)
			}
			pairs, cost := greedyPairs(cand, used, len(a.Minutiae))
			if len(pairs) > len(best) || (len(pairs) == len(best) && cost < bestCost) {
				best, bestCost = pairs, cost
			}
		}
	}
	if len(best) < 2 {
		return nil
	}
	return best
}

// pairTolerance is pairDist at a's resolution.
func pairTolerance(a *Template) float64 {
	if a.Resolution > 0 {
		return pairDist * float64(a.Resolution) / 500
	}
	return pairDist
}

// pairGrid buckets minutiae into square cells of the pairing tolerance, so
// that the minutiae within tol of a point are in its cell and the eight
// around it.
type pairGrid struct {
	x0, y0 float64
	w, h   int
	cells  [][]int32
}

func newPairGrid(ms []Minutia, tol float64) *pairGrid {
	minX, minY, maxX, maxY := ms[0].X, ms[0].Y, ms[0].X, ms[0].Y
	for _, m := range ms {
		minX, minY, maxX, maxY = min(minX, m.X), min(minY, m.Y), max(maxX, m.X), max(maxY, m.Y)
	}
	g := &pairGrid{x0: float64(minX), y0: float64(minY)}
	g.w = int(float64(maxX-minX)/tol) + 1
	g.h = int(float64(maxY-minY)/tol) + 1
	// Coordinates spread too far for a grid of at most 65536 cells fall
	// back to scanning every minutia (near with no cells).
	if g.w*g.h > 1<<16 {
		g.w, g.h = 0, 0
		return g
	}
	g.cells = make([][]int32, g.w*g.h)
	for i, m := range ms {
		c := int(float64(m.X-minX)/tol) + g.w*int(float64(m.Y-minY)/tol)
		g.cells[c] = append(g.cells[c], int32(i))
	}
	return g
}

// near appends the minutiae of ms within tol of (x, y) and within
// pairAngle of direction ang as candidates for minutia k, in index order.
func (g *pairGrid) near(cand []candPair, ms []Minutia, k int, x, y, ang, tol float64) []candPair {
	check := func(l int) {
		ml := ms[l]
		d := math.Hypot(x-float64(ml.X), y-float64(ml.Y))
		if d <= tol && math.Abs(angleDiff(ang, ml.Angle)) <= pairAngle {
			cand = append(cand, candPair{k, l, d})
		}
	}
	if g.cells == nil {
		for l := range ms {
			check(l)
		}
		return cand
	}
	cx := int(math.Floor((x - g.x0) / tol))
	cy := int(math.Floor((y - g.y0) / tol))
	for yy := max(cy-1, 0); yy <= min(cy+1, g.h-1); yy++ {
		for xx := max(cx-1, 0); xx <= min(cx+1, g.w-1); xx++ {
			for _, l := range g.cells[xx+g.w*yy] {
				check(int(l))
			}
		}
	}
	return cand
}

// pairsReference is Pairs without the grid: every minutia of b is tried
// for every moved minutia of a. Tests check that Pairs agrees with it.
func pairsReference(a, b *Template) []Pair {
	if a == nil || b == nil || len(a.Minutiae) == 0 || len(b.Minutiae) == 0 {
		return nil
	}
	tol := pairTolerance(a)
	var best []Pair
	bestCost := math.Inf(1)
	cand := make([]candPair, 0, len(a.Minutiae))
	used := make([]bool, len(b.Minutiae))
	for _, ma := range a.Minutiae {
		for _, mb := range b.Minutiae {
			if ma.Kind != mb.Kind && ma.Kind != KindOther && mb.Kind != KindOther {
				continue
			}
			rot := mb.Angle - ma.Angle
			sin, cos := math.Sincos(rot)
			// Move a's minutiae: rotate about ma, then translate ma onto mb.
			cand = cand[:0]
			for k, mk := range a.Minutiae {
				dx, dy := float64(mk.X-ma.X), float64(mk.Y-ma.Y)
				// Image y grows downwards while angles are counter-clockwise:
				// rotate by -rot in pixel coordinates.
				x := float64(mb.X) + dx*cos + dy*sin
				y := float64(mb.Y) - dx*sin + dy*cos
				ang := mk.Angle + rot
				for l, ml := range b.Minutiae {
					d := math.Hypot(x-float64(ml.X), y-float64(ml.Y))
					if d > tol || math.Abs(angleDiff(ang, ml.Angle)) > pairAngle {
						continue
					}
					cand = append(cand, candPair{k, l, d})
				}
			}
			pairs, cost := greedyPairs(cand, used, len(a.Minutiae))
			if len(pairs) > len(best) || (len(pairs) == len(best) && cost < bestCost) {
				best, bestCost = pairs, cost
			}
		}
	}
	if len(best) < 2 {
		return nil
	}
	return best
}

type candPair struct {
	a, b int
	d    float64
}

// greedyPairs pairs candidates closest first, each minutia at most once,
// and returns the pairs sorted by A with their summed distance.
func greedyPairs(cand []candPair, used []bool, na int) ([]Pair, float64) {
	// Closest first; ties by index, so that the order in which candidates
	// were found does not matter.
	slices.SortFunc(cand, func(x, y candPair) int {
		if c := cmp.Compare(x.d, y.d); c != 0 {
			return c
		}
		if x.a != y.a {
			return x.a - y.a
		}
		return x.b - y.b
	})
	for i := range used {
		used[i] = false
	}
	byA := make([]int, na)
	for i := range byA {
		byA[i] = -1
	}
	cost := 0.0
	n := 0
	for _, c := range cand {
		if byA[c.a] >= 0 || used[c.b] {
			continue
		}
		byA[c.a], used[c.b] = c.b, true
		cost += c.d
		n++
	}
	out := make([]Pair, 0, n)
	for k, l := range byA {
		if l >= 0 {
			out = append(out, Pair{A: k, B: l})
		}
	}
	return out, cost
}

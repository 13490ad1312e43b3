package fingerprint

import "math"

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
	tol := pairDist
	if a.Resolution > 0 {
		tol = pairDist * float64(a.Resolution) / 500
	}
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
	// Insertion sort: candidate lists are short (a few per minutia).
	for i := 1; i < len(cand); i++ {
		for j := i; j > 0 && cand[j].d < cand[j-1].d; j-- {
			cand[j], cand[j-1] = cand[j-1], cand[j]
		}
	}
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

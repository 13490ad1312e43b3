package fingerprint

import "math"

// Minutiae post-processing parameters, in ridge periods (Maltoni et al.,
// Handbook of Fingerprint Recognition, §3.8.2: spurs, bridges, holes, short
// ridges and broken ridges are shorter than about one inter-ridge distance).
const (
	spurPeriods       = 1.0 // ending joined to a bifurcation within this: spur
	shortRidgePeriods = 1.5 // ridge with two endings shorter than this: noise
	bridgePeriods     = 1.0 // two bifurcations joined within this: bridge or hole
	gapPeriods        = 1.6 // facing endings closer than this: broken ridge
	borderPeriods     = 1.5 // minutiae closer than this to the background are dropped
	clusterPeriods    = 1.0 // three or more minutiae within this: noise
	directionPeriods  = 1.2 // direction measured this far along the ridge
	// snapAngle is the largest difference (radians) between the traced
	// direction and the orientation field for which the field's (smoother)
	// direction is used.
	snapAngle = math.Pi / 6
)

// ring8 are the neighbour offsets in ring order (N, NE, E, SE, S, SW, W, NW)
// for a row stride.
func ring8(s int) [8]int {
	return [8]int{-s, -s + 1, 1, s + 1, s, s - 1, -1, -s - 1}
}

// candidate is a minutia found on the skeleton, in working pixels.
type candidate struct {
	p       int     // pixel index in the padded layout
	x, y    int     // position in the working image
	kind    Kind    // ending or bifurcation
	dir     float64 // direction in image axes (y down), radians
	removed bool
}

// trace stop reasons.
const (
	stopLimit = iota
	stopEnding
	stopJunction
)

// traceResult is where a walk along a skeleton line ended.
type traceResult struct {
	end    int // last pixel
	steps  int
	stop   int
	dx, dy int // displacement from the start at the direction distance (or the end)
}

// trace walks the skeleton from start through first, not stepping back onto
// start or the pixels in exclude, for at most maxSteps steps. It records the
// displacement after dirSteps steps.
func (a *analysis) trace(start, first int, exclude []int, maxSteps, dirSteps int) traceResult {
	sk, pw := a.skel, a.pw
	ring := ring8(pw)
	prev2, prev1, cur := -1, start, first
	res := traceResult{stop: stopLimit}
	sx, sy := start%pw, start/pw
	steps := 1
	for {
		if steps == dirSteps {
			res.dx, res.dy = cur%pw-sx, cur/pw-sy
		}
		if steps >= maxSteps {
			break
		}
		if nbTables.crossing[code(sk, cur, pw)] >= 3 {
			res.stop = stopJunction
			break
		}
		next, n := -1, 0
		for _, o := range ring {
			q := cur + o
			if sk[q] == 0 || q == prev1 || q == prev2 || q == start {
				continue
			}
			skip := false
			for _, e := range exclude {
				if q == e {
					skip = true
					break
				}
			}
			if skip {
				continue
			}
			// Prefer a 4-neighbour if the line touches two pixels.
			if next < 0 || (o == 1 || o == -1 || o == pw || o == -pw) {
				next = q
			}
			n++
		}
		if n == 0 {
			res.stop = stopEnding
			break
		}
		if n > 2 {
			res.stop = stopJunction
			break
		}
		prev2, prev1, cur = prev1, cur, next
		steps++
	}
	res.end, res.steps = cur, steps
	if steps < dirSteps {
		res.dx, res.dy = cur%pw-sx, cur/pw-sy
	}
	return res
}

// minutiae detects minutiae on the skeleton by the crossing number, removes
// the false ones, and returns them at 500 ppi (scale working pixels per
// 500-ppi pixel) in the package's conventions.
func (a *analysis) minutiae(scale float64) []Minutia {
	pw, bw := a.pw, a.bw
	sk := a.skel
	P := a.medianPeriod
	per := func(f float64) int { return max(1, int(math.Round(f*P))) }
	var cands []candidate
	for _, p32 := range a.list {
		p := int(p32)
		if sk[p] == 0 {
			continue
		}
		c := code(sk, p, pw)
		cn := nbTables.crossing[c]
		var k Kind
		switch {
		case cn == 1 && nbTables.count[c] <= 2:
			k = KindEnding
		case cn == 3:
			k = KindBifurcation
		default:
			continue
		}
		x, y := p%pw-pad, p/pw-pad
		cands = append(cands, candidate{p: p, x: x, y: y, kind: k})
	}
	find := func(p int) int {
		for i := range cands {
			if cands[i].p == p {
				return i
			}
		}
		// A junction may span two pixels: accept a neighbour.
		for _, o := range ring8(pw) {
			for i := range cands {
				if cands[i].p == p+o && cands[i].kind == KindBifurcation {
					return i
				}
			}
		}
		return -1
	}
	ring := ring8(pw)
	maxSteps := per(2)
	dirSteps := per(kv("dir", directionPeriods))
	var branches [8]traceResult
	for i := range cands {
		c := &cands[i]
		switch c.kind {
		case KindEnding:
			first := -1
			for _, o := range ring {
				if sk[c.p+o] != 0 {
					first = c.p + o
					break
				}
			}
			r := a.trace(c.p, first, nil, maxSteps, dirSteps)
			c.dir = math.Atan2(float64(r.dy), float64(r.dx))
			switch {
			case r.stop == stopEnding && float64(r.steps) <= kv("short", shortRidgePeriods)*P:
				c.removed = true
				if j := find(r.end); j >= 0 {
					cands[j].removed = true
				}
			case r.stop == stopJunction && float64(r.steps) <= kv("spur", spurPeriods)*P:
				c.removed = true
				if j := find(r.end); j >= 0 {
					cands[j].removed = true
				}
			}
		case KindBifurcation:
			// One branch per run of set pixels around the ring.
			var starts [8]int
			var nbr [8]int
			nn, ns := 0, 0
			code8 := code(sk, c.p, pw)
			for b := 0; b < 8; b++ {
				if code8>>b&1 == 1 {
					nbr[nn] = c.p + ring[b]
					nn++
					if code8>>((b+7)%8)&1 == 0 {
						// Start of a run; take its 4-neighbour if it has one.
						s := b
						if b%2 == 1 && code8>>((b+1)%8)&1 == 1 {
							s = (b + 1) % 8
						}
						starts[ns] = c.p + ring[s]
						ns++
					}
				}
			}
			if ns != 3 {
				c.removed = true
				continue
			}
			for b := 0; b < 3; b++ {
				branches[b] = a.trace(c.p, starts[b], nbr[:nn], maxSteps, dirSteps)
				if branches[b].stop == stopJunction && float64(branches[b].steps) <= kv("bridge", bridgePeriods)*P {
					c.removed = true
					if j := find(branches[b].end); j >= 0 && j != i {
						cands[j].removed = true
					}
				}
			}
			// The two branches closest in direction leave the fork; the
			// minutia points between them.
			best, bi, bj := -2.0, 0, 1
			for u := 0; u < 3; u++ {
				for v := u + 1; v < 3; v++ {
					cs := cosBetween(branches[u], branches[v])
					if cs > best {
						best, bi, bj = cs, u, v
					}
				}
			}
			ux, uy := unit(branches[bi].dx, branches[bi].dy)
			vx, vy := unit(branches[bj].dx, branches[bj].dy)
			c.dir = math.Atan2(uy+vy, ux+vx)
		}
	}
	// Border, broken ridges, clusters.
	border := kv("border", borderPeriods) * P
	for i := range cands {
		c := &cands[i]
		if !c.removed && !a.inside(c.x, c.y, border) {
			c.removed = true
		}
	}
	gap := kv("gap", gapPeriods) * P
	for i := range cands {
		ci := &cands[i]
		if ci.kind != KindEnding || ci.removed {
			continue
		}
		for j := i + 1; j < len(cands); j++ {
			cj := &cands[j]
			if cj.kind != KindEnding || cj.removed {
				continue
			}
			dx, dy := float64(cj.x-ci.x), float64(cj.y-ci.y)
			d := math.Hypot(dx, dy)
			if d > gap || d == 0 {
				continue
			}
			// Facing: opposite directions, each pointing away from the other.
			if dirDiff(ci.dir, cj.dir) < 3*math.Pi/4 {
				continue
			}
			away := math.Atan2(-dy, -dx)
			if dirDiff(ci.dir, away) < math.Pi/3 {
				ci.removed, cj.removed = true, true
			}
		}
	}
	cl := kv("cluster", clusterPeriods) * P
	mark := make([]bool, len(cands))
	for i := range cands {
		if cands[i].removed {
			continue
		}
		n := 0
		for j := range cands {
			if j == i || cands[j].removed {
				continue
			}
			if math.Hypot(float64(cands[j].x-cands[i].x), float64(cands[j].y-cands[i].y)) <= cl {
				n++
			}
		}
		if n >= 2 {
			mark[i] = true
		}
	}
	out := make([]Minutia, 0, len(cands))
	for i := range cands {
		c := &cands[i]
		if c.removed || mark[i] {
			continue
		}
		b := (c.y/blockSize)*bw + c.x/blockSize
		dir := c.dir
		// Snap to the orientation field when they agree.
		th := float64(a.theta[b])
		sa := kv("snap", snapAngle)
		for _, f := range [2]float64{th, th + math.Pi} {
			if dirDiff(f, dir) < sa {
				dir = f
			}
		}
		ang := math.Mod(-dir, 2*math.Pi) // image axes (y down) to ISO (y up)
		if ang < 0 {
			ang += 2 * math.Pi
		}
		out = append(out, Minutia{
			X:       int(math.Round(float64(c.x) / scale)),
			Y:       int(math.Round(float64(c.y) / scale)),
			Angle:   ang,
			Kind:    c.kind,
			Quality: a.minutiaQuality(b),
		})
	}
	return out
}

// inside reports whether every block within r pixels of (x, y) is
// foreground and (x, y) is at least r from the image edge.
func (a *analysis) inside(x, y int, r float64) bool {
	if float64(x) < r || float64(y) < r || float64(a.w-1-x) < r || float64(a.h-1-y) < r {
		return false
	}
	bw, bh := a.bw, a.bh
	rb := int(math.Ceil(r/blockSize)) + 1
	bx0, by0 := x/blockSize, y/blockSize
	for by := by0 - rb; by <= by0+rb; by++ {
		for bx := bx0 - rb; bx <= bx0+rb; bx++ {
			// Distance from (x, y) to the block's nearest point.
			nx := float64(max(bx*blockSize, min(x, bx*blockSize+blockSize-1)))
			ny := float64(max(by*blockSize, min(y, by*blockSize+blockSize-1)))
			if math.Hypot(nx-float64(x), ny-float64(y)) > r {
				continue
			}
			if bx < 0 || by < 0 || bx >= bw || by >= bh {
				continue // the image edge is handled above
			}
			if !a.mask[by*bw+bx] {
				return false
			}
		}
	}
	return true
}

// minutiaQuality rates a minutia 1..100 from the orientation coherence and
// the ridge clarity of its block.
func (a *analysis) minutiaQuality(b int) uint8 {
	c := float64(a.coh[b])
	cl := float64(a.clarity[b])
	q := 100 * math.Sqrt(math.Min(1, c/0.8)*math.Min(1, cl/0.8))
	if kv("qmode", 0) == 1 {
		q = 100 * math.Sqrt(c*cl)
	}
	return uint8(max(1, min(100, int(math.Round(q)))))
}

func unit(dx, dy int) (float64, float64) {
	d := math.Hypot(float64(dx), float64(dy))
	if d == 0 {
		return 0, 0
	}
	return float64(dx) / d, float64(dy) / d
}

func cosBetween(a, b traceResult) float64 {
	ax, ay := unit(a.dx, a.dy)
	bx, by := unit(b.dx, b.dy)
	return ax*bx + ay*by
}

// dirDiff returns the absolute difference of two angles, in [0, π].
func dirDiff(a, b float64) float64 {
	d := math.Mod(math.Abs(a-b), 2*math.Pi)
	if d > math.Pi {
		d = 2*math.Pi - d
	}
	return d
}

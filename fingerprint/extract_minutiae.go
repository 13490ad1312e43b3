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
	// candAt maps a pixel to 1 + its candidate's index (0: none); it is
	// cleared again before returning.
	a.candAt = grow(a.candAt, pw*a.ph)
	for i := range cands {
		a.candAt[cands[i].p] = int32(i + 1)
	}
	defer func() {
		for i := range cands {
			a.candAt[cands[i].p] = 0
		}
	}()
	find := func(p int) int {
		if j := a.candAt[p]; j > 0 {
			return int(j - 1)
		}
		// A junction may span two pixels: accept a neighbouring bifurcation.
		for _, o := range ring8(pw) {
			if j := a.candAt[p+o]; j > 0 && cands[j-1].kind == KindBifurcation {
				return int(j - 1)
			}
		}
		return -1
	}
	ring := ring8(pw)
	maxSteps := per(2)
	dirSteps := per(directionPeriods)
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
			case r.stop == stopEnding && float64(r.steps) <= shortRidgePeriods*P:
				c.removed = true
				if j := find(r.end); j >= 0 {
					cands[j].removed = true
				}
			case r.stop == stopJunction && float64(r.steps) <= spurPeriods*P:
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
				if branches[b].stop == stopJunction && float64(branches[b].steps) <= bridgePeriods*P {
					c.removed = true
					if j := find(branches[b].end); j >= 0 && j != i {
						cands[j].removed = true
					}
				}
			}
			// A hole (lake, Maltoni et al. §3.8.2): two branches of the
			// fork meet again at one bifurcation within the trace's
			// reach (2 periods), as where a wet ridge splits around a
			// pore or a blot; both forks are false.
			var ends [3]int
			for b, br := range branches[:3] {
				ends[b] = -1
				if br.stop == stopJunction {
					ends[b] = find(br.end)
				}
			}
			for u := 0; u < 3; u++ {
				for v := u + 1; v < 3; v++ {
					if j := ends[u]; j >= 0 && j != i && j == ends[v] {
						c.removed = true
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
	border := borderPeriods * P
	for i := range cands {
		c := &cands[i]
		if !c.removed && !a.inside(c.x, c.y, border) {
			c.removed = true
		}
	}
	gap := gapPeriods * P
	cl := clusterPeriods * P
	grid := newCandGrid(cands, max(gap, cl), a.w, a.h)
	for i := range cands {
		ci := &cands[i]
		if ci.kind != KindEnding || ci.removed {
			continue
		}
		grid.near(cands, i, gap, func(j int) {
			cj := &cands[j]
			if j < i || cj.kind != KindEnding || cj.removed || ci.removed {
				return
			}
			dx, dy := float64(cj.x-ci.x), float64(cj.y-ci.y)
			// Facing: opposite directions, each pointing away from the other.
			if dirDiff(ci.dir, cj.dir) < 3*math.Pi/4 {
				return
			}
			if dirDiff(ci.dir, math.Atan2(-dy, -dx)) < math.Pi/3 {
				ci.removed, cj.removed = true, true
			}
		})
	}
	mark := make([]bool, len(cands))
	for i := range cands {
		if cands[i].removed {
			continue
		}
		n := 0
		grid.near(cands, i, cl, func(j int) {
			if !cands[j].removed {
				n++
			}
		})
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
		for _, f := range [2]float64{th, th + math.Pi} {
			if dirDiff(f, dir) < snapAngle {
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

// candGrid buckets candidates into square cells so that neighbours within a
// radius are found without comparing every pair.
type candGrid struct {
	cell       float64
	cw, ch     int
	start, idx []int32 // candidates of cell c are idx[start[c]:start[c+1]]
}

func newCandGrid(cands []candidate, cell float64, w, h int) *candGrid {
	cell = math.Max(cell, 1)
	g := &candGrid{cell: cell, cw: int(float64(w)/cell) + 1, ch: int(float64(h)/cell) + 1}
	g.start = make([]int32, g.cw*g.ch+1)
	for i := range cands {
		g.start[g.cellOf(cands[i].x, cands[i].y)+1]++
	}
	for c := 1; c < len(g.start); c++ {
		g.start[c] += g.start[c-1]
	}
	g.idx = make([]int32, len(cands))
	fill := append([]int32(nil), g.start[:len(g.start)-1]...)
	for i := range cands {
		c := g.cellOf(cands[i].x, cands[i].y)
		g.idx[fill[c]] = int32(i)
		fill[c]++
	}
	return g
}

func (g *candGrid) cellOf(x, y int) int {
	cx := min(g.cw-1, max(0, int(float64(x)/g.cell)))
	cy := min(g.ch-1, max(0, int(float64(y)/g.cell)))
	return cy*g.cw + cx
}

// near calls f with the index of every other candidate within r (≤ the
// cell size) of candidate i.
func (g *candGrid) near(cands []candidate, i int, r float64, f func(j int)) {
	c := &cands[i]
	cx, cy := int(float64(c.x)/g.cell), int(float64(c.y)/g.cell)
	for y := max(0, cy-1); y <= min(g.ch-1, cy+1); y++ {
		for x := max(0, cx-1); x <= min(g.cw-1, cx+1); x++ {
			cell := y*g.cw + x
			for _, j := range g.idx[g.start[cell]:g.start[cell+1]] {
				if int(j) == i {
					continue
				}
				d := &cands[j]
				if math.Hypot(float64(d.x-c.x), float64(d.y-c.y)) <= r {
					f(int(j))
				}
			}
		}
	}
}

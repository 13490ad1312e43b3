package fingerprint

import "testing"

// skeletonAnalysis returns an analysis of a w×h all-foreground image with
// horizontal ridges (direction 0, full quality) and the skeleton pixels
// set by draw, at a ridge period of 9 pixels.
func skeletonAnalysis(w, h int, draw func(set func(x, y int))) *analysis {
	a := &analysis{w: w, h: h, pw: w + 2*pad, ph: h + 2*pad, medianPeriod: 9}
	a.bw, a.bh = (w+blockSize-1)/blockSize, (h+blockSize-1)/blockSize
	nb := a.bw * a.bh
	a.mask, a.theta, a.coh, a.clarity = make([]bool, nb), make([]float32, nb), make([]float32, nb), make([]float32, nb)
	for i := range a.mask {
		a.mask[i], a.coh[i], a.clarity[i] = true, 1, 1
	}
	a.skel = make([]uint8, a.pw*a.ph)
	draw(func(x, y int) {
		p := (y+pad)*a.pw + x + pad
		if a.skel[p] == 0 {
			a.skel[p] = 1
			a.list = append(a.list, int32(p))
		}
	})
	return a
}

// TestMinutiaeHoleRemoved checks that a hole in a ridge (two forks whose
// branches meet again within two periods, 14 pixels apart here, farther
// than the bridge length) yields no minutiae, while the same ridge
// splitting for good keeps its fork.
func TestMinutiaeHoleRemoved(t *testing.T) {
	const w, h = 120, 80
	ridges := func(set func(x, y int), skip int) {
		for y := 10; y < h; y += 9 {
			if y == skip {
				continue
			}
			for x := 0; x < w; x++ {
				set(x, y)
			}
		}
	}
	// Ridge y = 37 with a hole from x = 50 to x = 64: the two paths leave
	// the fork diagonally, run 2 pixels above and below, and rejoin.
	hole := skeletonAnalysis(w, h, func(set func(x, y int)) {
		ridges(set, 37)
		for x := 0; x <= 50; x++ {
			set(x, 37)
		}
		for x := 64; x < w; x++ {
			set(x, 37)
		}
		for _, d := range []int{-1, 1} {
			set(51, 37+d)
			set(63, 37+d)
			for x := 52; x <= 62; x++ {
				set(x, 37+2*d)
			}
		}
	})
	if ms := hole.minutiae(1); len(ms) != 0 {
		t.Errorf("ridge with a hole: %d minutiae %+v, want none", len(ms), ms)
	}
	// The same fork whose branches do not meet again: one bifurcation
	// (the branches end at the image's right edge, beyond the border).
	fork := skeletonAnalysis(w, h, func(set func(x, y int)) {
		ridges(set, 37)
		for x := 0; x <= 50; x++ {
			set(x, 37)
		}
		for _, d := range []int{-1, 1} {
			set(51, 37+d)
			for x := 52; x < w; x++ {
				set(x, 37+2*d)
			}
		}
	})
	ms := fork.minutiae(1)
	if len(ms) != 1 || ms[0].Kind != KindBifurcation || ms[0].X != 50 || ms[0].Y != 37 {
		t.Errorf("fork: minutiae %+v, want one bifurcation at (50, 37)", ms)
	}
}

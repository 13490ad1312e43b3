package fingerprint

import (
	"math"
	"testing"
)

// thinShapes draws thick lines and a ring into an analysis' enhanced image
// (negative = ridge), thins them and returns the analysis.
func thinShapes(t *testing.T) *analysis {
	t.Helper()
	const w, h = 120, 100
	a := &analysis{w: w, h: h, pw: w + 2*pad, ph: h + 2*pad, bw: (w + 7) / 8, bh: (h + 7) / 8}
	a.enh = make([]float32, a.pw*a.ph)
	a.mask = make([]bool, a.bw*a.bh)
	for i := range a.mask {
		a.mask[i] = true
	}
	set := func(x, y int) { a.enh[(y+pad)*a.pw+x+pad] = -1 }
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fx, fy := float64(x), float64(y)
			switch {
			case fy >= 10 && fy < 15 && fx >= 10 && fx < 60: // horizontal bar
				set(x, y)
			case math.Abs((fy-20)-(fx-10)*0.7) < 2.5 && fx >= 10 && fx < 60: // diagonal bar
				set(x, y)
			case math.Abs(math.Hypot(fx-90, fy-60)-15) < 2.5: // ring
				set(x, y)
			}
		}
	}
	a.thin()
	return a
}

func TestThinIsOnePixelWide(t *testing.T) {
	a := thinShapes(t)
	pw := a.pw
	n := 0
	for y := 0; y < a.h; y++ {
		for x := 0; x < a.w; x++ {
			p := (y+pad)*pw + x + pad
			if a.skel[p] == 0 {
				continue
			}
			n++
			c := code(a.skel, p, pw)
			if nbTables.stair[c] {
				t.Errorf("(%d,%d): redundant staircase pixel left", x, y)
			}
			if nbTables.count[c] > 2 && nbTables.crossing[c] < 3 {
				t.Errorf("(%d,%d): %d neighbours on a plain line", x, y, nbTables.count[c])
			}
		}
	}
	if n < 100 {
		t.Fatalf("skeleton has only %d pixels", n)
	}
	// The ring stays closed: no endings on it, and the bars have two
	// endings each.
	endings := 0
	for y := 0; y < a.h; y++ {
		for x := 0; x < a.w; x++ {
			p := (y+pad)*pw + x + pad
			if a.skel[p] != 0 && nbTables.crossing[code(a.skel, p, pw)] == 1 {
				endings++
				if math.Abs(math.Hypot(float64(x)-90, float64(y)-60)-15) < 4 {
					t.Errorf("ending (%d,%d) on the ring", x, y)
				}
			}
		}
	}
	if endings != 4 {
		t.Errorf("%d endings, want 4 (two bars)", endings)
	}
}

func TestNeighbourTables(t *testing.T) {
	for _, tc := range []struct {
		code          int
		crossing      uint8
		stair, zs0Del bool
	}{
		{0, 0, false, false},
		{nbN, 1, false, false},                   // ending: never deleted (B < 2)
		{nbN | nbS, 2, false, false},             // line
		{nbN | nbE, 2, true, false},              // staircase corner
		{nbN | nbE | nbW, 3, true, false},        // T top: removable, its neighbours stay connected
		{nbN | nbSE | nbW, 3, false, false},      // bifurcation
		{nbE | nbSE | nbS, 1, true, true},        // NW corner of a blob
		{nbN | nbS | nbE | nbW, 4, false, false}, // crossing: removal would open a hole
		{nbNE | nbSE | nbSW | nbNW, 4, false, false},
	} {
		if got := nbTables.crossing[tc.code]; got != tc.crossing {
			t.Errorf("crossing[%08b] = %d, want %d", tc.code, got, tc.crossing)
		}
		if got := nbTables.stair[tc.code]; got != tc.stair {
			t.Errorf("stair[%08b] = %v, want %v", tc.code, got, tc.stair)
		}
		if got := nbTables.zs[0][tc.code]; got != tc.zs0Del {
			t.Errorf("zs[0][%08b] = %v, want %v", tc.code, got, tc.zs0Del)
		}
	}
}

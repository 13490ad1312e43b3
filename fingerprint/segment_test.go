package fingerprint

import (
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

// disc returns a w×h image holding a grating inside a disc of radius r at
// the centre and a flat, slightly noisy background outside.
func disc(w, h int, r float64) *image.Gray {
	g := grating(w, h, 0.7, 9, 6, 4)
	rng := rand.New(rand.NewPCG(3, 3))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if math.Hypot(float64(x-w/2), float64(y-h/2)) > r {
				g.Pix[y*g.Stride+x] = uint8(200 + rng.IntN(5))
			}
		}
	}
	return g
}

func TestSegmentDisc(t *testing.T) {
	const w, h, r = 320, 300, 100.0
	a := new(analysis)
	if err := a.run(disc(w, h, r), false); err != nil {
		t.Fatal(err)
	}
	for by := 0; by < a.bh; by++ {
		for bx := 0; bx < a.bw; bx++ {
			cx, cy := float64(bx*blockSize+blockSize/2), float64(by*blockSize+blockSize/2)
			d := math.Hypot(cx-w/2, cy-h/2)
			fg := a.mask[by*a.bw+bx]
			switch {
			case d < r-2*blockSize && !fg:
				t.Errorf("block (%d,%d) %.0f px from the centre is background", bx, by, d)
			case d > r+2*blockSize && fg:
				t.Errorf("block (%d,%d) %.0f px from the centre is foreground", bx, by, d)
			}
		}
	}
}

func TestPercentileAndSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for _, n := range []int{1, 5, 31, 32, 33, 500} {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.IntN(100))
		}
		sortFloat32(v)
		for i := 1; i < n; i++ {
			if v[i] < v[i-1] {
				t.Fatalf("n=%d: not sorted at %d", n, i)
			}
		}
	}
	if p := percentile([]float32{5, 1, 4, 2, 3}, 0.5); p != 3 {
		t.Errorf("median = %v", p)
	}
}

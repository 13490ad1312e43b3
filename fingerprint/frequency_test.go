package fingerprint

import (
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

// grating returns a w×h sinusoidal ridge pattern with ridges running at
// angle theta (radians, image axes, y down) and the given period, plus
// Gaussian noise of standard deviation noise gray levels.
func grating(w, h int, theta, period, noise float64, seed uint64) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(seed, 1))
	nx, ny := -math.Sin(theta), math.Cos(theta)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := 128 + 80*math.Cos(2*math.Pi*(float64(x)*nx+float64(y)*ny)/period)
			if noise > 0 {
				v += rng.NormFloat64() * noise
			}
			g.Pix[y*g.Stride+x] = uint8(max(0, min(255, math.Round(v))))
		}
	}
	return g
}

func TestFrequencyOfGratings(t *testing.T) {
	for _, tc := range []struct {
		theta, period, noise float64
	}{
		{0, 9, 0}, {0.3, 9, 0}, {math.Pi / 4, 9, 0}, {1.2, 9, 0}, {2.5, 9, 0},
		{0.7, 6, 0}, {0.7, 7.5, 0}, {0.7, 11, 0}, {0.7, 13, 0},
		{0.7, 9.5, 20}, {2.0, 8, 30},
	} {
		a := new(analysis)
		if err := a.run(grating(160, 160, tc.theta, tc.period, tc.noise, 1), false); err != nil {
			t.Fatal(err)
		}
		if math.Abs(a.medianPeriod-tc.period) > 0.05*tc.period {
			t.Errorf("θ=%.2f period %.1f noise %.0f: median period %.2f", tc.theta, tc.period, tc.noise, a.medianPeriod)
		}
	}
}

package fingerprint

import (
	"math"
	"testing"
)

func TestOrientationOfGratings(t *testing.T) {
	for _, theta := range []float64{0, 0.2, math.Pi / 4, 1.0, math.Pi / 2, 2.0, 2.8, 3.1} {
		for _, noise := range []float64{0, 30} {
			a := new(analysis)
			if err := a.run(grating(160, 160, theta, 9, noise, 2), false); err != nil {
				t.Fatal(err)
			}
			worst := 0.0
			for by := 2; by < a.bh-2; by++ {
				for bx := 2; bx < a.bw-2; bx++ {
					i := by*a.bw + bx
					d := math.Abs(float64(a.theta[i]) - theta)
					d = math.Min(d, math.Pi-d)
					worst = math.Max(worst, d)
					if noise == 0 && a.coh[i] < 0.9 {
						t.Fatalf("θ=%.2f: block (%d,%d) coherence %.2f on a clean grating", theta, bx, by, a.coh[i])
					}
				}
			}
			if worst > 3*math.Pi/180 {
				t.Errorf("θ=%.2f noise %.0f: orientation off by up to %.1f°", theta, noise, worst*180/math.Pi)
			}
		}
	}
}

func TestAngleIndex(t *testing.T) {
	for i := 0; i < numAngles; i++ {
		th := float32(float64(i) * math.Pi / numAngles)
		if got := angleIndex(th); got != i {
			t.Errorf("angleIndex(%v) = %d, want %d", th, got, i)
		}
	}
	if got := angleIndex(float32(math.Pi - 0.01)); got != 0 {
		t.Errorf("angleIndex(π-0.01) = %d, want 0 (wraps)", got)
	}
}

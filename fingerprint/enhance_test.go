package fingerprint

import (
	"math"
	"testing"
)

// TestEnhanceRestoresNoisyGrating checks that the filtered image's sign
// matches the clean pattern's ridges on a heavily noisy grating.
func TestEnhanceRestoresNoisyGrating(t *testing.T) {
	for _, tc := range []struct{ theta, period float64 }{{0.4, 9}, {1.9, 7}, {math.Pi / 4, 12}} {
		clean := grating(200, 200, tc.theta, tc.period, 0, 1)
		noisy := grating(200, 200, tc.theta, tc.period, 60, 1)
		a := new(analysis)
		if err := a.run(noisy, true); err != nil {
			t.Fatal(err)
		}
		agree, total := 0, 0
		for y := 24; y < 176; y++ {
			for x := 24; x < 176; x++ {
				v := int(clean.Pix[y*clean.Stride+x]) - 128
				if v > -30 && v < 30 {
					continue // near a zero crossing
				}
				total++
				if (a.enh[(y+pad)*a.pw+x+pad] < 0) == (v < 0) {
					agree++
				}
			}
		}
		if r := float64(agree) / float64(total); r < 0.98 {
			t.Errorf("θ=%.2f period %.0f: enhanced sign agrees with the clean ridges on %.1f%% of pixels", tc.theta, tc.period, 100*r)
		}
	}
}

// TestGaborShapes checks the filter bank: the along-ridge pass sums to 1,
// the across pass has no DC response and unit gain at its period.
func TestGaborShapes(t *testing.T) {
	ks := gaborShapes()
	for ai := 0; ai < numAngles; ai += 5 {
		th := float64(ai) * math.Pi / numAngles
		nx, ny := -math.Sin(th), math.Cos(th)
		for pi := 0; pi < numPeriodBins; pi += 4 {
			p := minPeriod + float64(pi)*periodStep
			var s1, s2, gain float64
			for _, tp := range ks.along[ai][pi] {
				s1 += float64(tp.w)
			}
			for _, tp := range ks.across[ai][pi] {
				s2 += float64(tp.w)
				u := float64(tp.dx)*nx + float64(tp.dy)*ny
				gain += float64(tp.w) * math.Cos(2*math.Pi*u/p)
			}
			if math.Abs(s1-1) > 1e-5 || math.Abs(s2) > 1e-5 || math.Abs(gain-1) > 1e-5 {
				t.Errorf("angle %d period %.1f: along sum %.6f, across sum %.6f gain %.6f", ai, p, s1, s2, gain)
			}
		}
	}
}

package fingerprint

import (
	"math"
	"testing"
)

func TestThresholdForFMR(t *testing.T) {
	imp := []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0}
	for _, c := range []struct {
		scores []float64
		fmr    float64
		want   float64 // accepted impostor fraction at the threshold must be ≤ fmr and the next lower score accepted
		accept int     // impostor scores ≥ threshold
	}{
		{imp, 0.1, 0, 1},
		{imp, 0.25, 0, 2},
		{imp, 0, 0, 0},
		{imp, 0.05, 0, 0},
		{imp, 1, 0, 10},
		{[]float64{0.5, 0.5, 0.5, 0.9}, 0.5, 0, 1},
		{[]float64{math.NaN(), 0.2, 0.4}, 0.5, 0, 1},
	} {
		th := ThresholdForFMR(c.scores, c.fmr)
		n := 0
		for _, s := range c.scores {
			if s >= th {
				n++
			}
		}
		if n != c.accept {
			t.Errorf("ThresholdForFMR(%v, %v) = %v accepts %d impostors, want %d", c.scores, c.fmr, th, n, c.accept)
		}
	}
	if th := ThresholdForFMR(nil, 0.01); !math.IsInf(th, 1) {
		t.Errorf("ThresholdForFMR(nil) = %v, want +Inf", th)
	}
}

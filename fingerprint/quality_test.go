package fingerprint

import (
	"math"
	"testing"
)

func TestQualityOrdersByNoise(t *testing.T) {
	prev := 101
	for _, noise := range []float64{0, 30, 60, 90} {
		q := AssessQuality(spiralPattern(300, 300, 0.8, 9, 150, 150, false, noise))
		if q.Reason != "" {
			t.Fatalf("noise %.0f: unusable: %s", noise, q.Reason)
		}
		if q.Score > prev {
			t.Errorf("noise %.0f: score %d above the cleaner image's %d", noise, q.Score, prev)
		}
		for _, v := range []float64{q.Clarity, q.OrientationCertainty, q.FrequencyConsistency, q.Area} {
			if v < 0 || v > 1 || math.IsNaN(v) {
				t.Errorf("noise %.0f: measure out of range: %+v", noise, q)
			}
		}
		prev = q.Score
	}
	if q := AssessQuality(spiralPattern(300, 300, 0.8, 9, 150, 150, false, 0)); q.Score < 80 {
		t.Errorf("clean pattern scores %d: %+v", q.Score, q)
	}
}

func TestQualityArea(t *testing.T) {
	big := AssessQuality(disc(360, 360, 170))
	small := AssessQuality(disc(360, 360, 90))
	if big.Reason != "" || small.Reason != "" {
		t.Fatalf("unusable: %q %q", big.Reason, small.Reason)
	}
	if !(small.Area < big.Area) || !(small.Score < big.Score) {
		t.Errorf("smaller finger area: area %.2f score %d, larger: area %.2f score %d", small.Area, small.Score, big.Area, big.Score)
	}
}

package face

import (
	"math/rand/v2"
	"testing"
)

func TestQualityReasons(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	chip := func(base, noise float32) rgb {
		m := rgb{w: ChipSize, h: ChipSize, pix: make([]float32, ChipSize*ChipSize*3)}
		for i := range m.pix {
			m.pix[i] = min(255, max(0, base+noise*float32(r.NormFloat64())))
		}
		return m
	}
	frontal := func(eye float64, noseShift float64) *Detection {
		d := &Detection{}
		d.Keypoints[RightEye] = Point{100, 100}
		d.Keypoints[LeftEye] = Point{100 + eye, 100}
		d.Keypoints[NoseTip] = Point{100 + eye/2 + noseShift*eye, 100 + eye/2}
		d.Keypoints[Mouth] = Point{100 + eye/2, 100 + eye}
		return d
	}
	for _, tc := range []struct {
		name   string
		d      *Detection
		c      rgb
		reason string
	}{
		{"good", frontal(50, 0), chip(128, 30), ""},
		{"small", frontal(10, 0), chip(128, 30), "face too small"},
		{"turned", frontal(50, 0.6), chip(128, 30), "head turned too far"},
		{"flat", frontal(50, 0), chip(128, 0), "blurred"},
		{"dark", frontal(50, 0), chip(20, 10), "underexposed"},
		{"bright", frontal(50, 0), chip(240, 10), "overexposed"},
	} {
		q := assess(tc.d, tc.c, affine{A: 1})
		if q.Reason != tc.reason || q.Usable != (tc.reason == "") {
			t.Errorf("%s: usable %v reason %q (%+v), want %q", tc.name, q.Usable, q.Reason, q, tc.reason)
		}
		if q.Score < 0 || q.Score > 1 {
			t.Errorf("%s: score %v", tc.name, q.Score)
		}
	}
}

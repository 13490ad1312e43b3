package gallery

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestFisher(t *testing.T) {
	for _, tc := range []struct {
		name string
		ev   []float64
		want float64
	}{
		{"none", nil, 0},
		{"one is itself", []float64{3.5}, 3.5},
		{"one capped below at 0", []float64{-1}, 0},
		// Two p-values of 0.01: product 1e-4, P = 1e-4 (1 + ln 1e4).
		{"two", []float64{2, 2}, 4 - math.Log10(1+4*math.Ln10)},
		// Three of 0.1: x = 3 ln 10, P = e^-x (1 + x + x²/2).
		{"three", []float64{1, 1, 1}, 3 - math.Log10(1+3*math.Ln10+9*math.Ln10*math.Ln10/2)},
		{"zeros", []float64{0, 0}, 0},
		// One strong sample and one uninformative: weaker than alone.
		{"strong and nothing", []float64{6, 0}, 6 - math.Log10(1+6*math.Ln10)},
	} {
		if got := Fisher(tc.ev...); !near(got, tc.want, 1e-9) {
			t.Errorf("%s: Fisher(%v) = %v, want %v", tc.name, tc.ev, got, tc.want)
		}
	}
	// Monotone in each argument.
	if Fisher(3, 2) <= Fisher(3, 1) {
		t.Error("Fisher not increasing in its arguments")
	}
}

// TestFisherCalibrated checks the fused score's meaning: over random
// independent p-values, the fraction with fused ≥ T is 10^−T.
func TestFisherCalibrated(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const n = 200000
	for _, k := range []int{2, 4} {
		hits := 0
		ev := make([]float64, k)
		for range n {
			for i := range ev {
				ev[i] = -math.Log10(1 - r.Float64())
			}
			if Fisher(ev...) >= 2 {
				hits++
			}
		}
		if got := float64(hits) / n; !near(got, 0.01, 0.0015) {
			t.Errorf("k=%d: P(fused ≥ 2) = %.4f, want 0.01", k, got)
		}
	}
}

func TestNewTail(t *testing.T) {
	// The fingerprint matcher's published operating points.
	tl, err := NewTail([]TailPoint{{0, 0}, {0.0072, 2}, {0.0127, 3}, {0.0187, 4}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ s, want float64 }{
		{-1, 0}, {0, 0}, {0.0036, 1}, {0.0072, 2}, {0.0157, 3.5}, {0.0187, 4},
		{0.0247, 5},            // extrapolated with the last segment's slope
		{1, MaxEvidence},       // capped
		{math.NaN(), 0},        // never evidence
		{0.0127 + 0.0030, 3.5}, // between knots
	} {
		if got := tl.Evidence(tc.s); !near(got, tc.want, 1e-9) {
			t.Errorf("Evidence(%v) = %v, want %v", tc.s, got, tc.want)
		}
	}
	for _, e := range []float64{0.5, 2, 3.3, 4, 6} {
		if got := tl.Evidence(tl.Score(e)); !near(got, e, 1e-9) {
			t.Errorf("Evidence(Score(%v)) = %v", e, got)
		}
	}
	for _, bad := range [][]TailPoint{
		nil,
		{{0, 0}},
		{{0, 1}, {1, 2}},
		{{0, 0}, {0, 1}},
		{{0, 0}, {1, 0}},
		{{0, 0}, {1, 2}, {0.5, 3}},
	} {
		if _, err := NewTail(bad); !errors.Is(err, ErrTail) {
			t.Errorf("NewTail(%v) error = %v, want ErrTail", bad, err)
		}
	}
}

func TestTailFromImpostors(t *testing.T) {
	if TailFromImpostors(make([]float64, 99)) != nil {
		t.Error("tail from 99 scores")
	}
	// Exponential impostor scores, P(S ≥ s) = e^−s: evidence s / ln 10,
	// also beyond the sample through the fitted tail.
	r := rand.New(rand.NewPCG(3, 4))
	s := make([]float64, 100000)
	for i := range s {
		s[i] = r.ExpFloat64()
	}
	tl := TailFromImpostors(s)
	for _, v := range []float64{0.5, 2, 5, 9, 14} {
		want := min(v/math.Ln10, MaxEvidence)
		if got := tl.Evidence(v); !near(got, want, 0.08+0.02*want) {
			t.Errorf("Evidence(%v) = %.3f, want %.3f", v, got, want)
		}
	}
	// Many ties at 0 (fingerprint impostors): 0 is no evidence.
	z := make([]float64, 1000)
	for i := 900; i < len(z); i++ {
		z[i] = float64(i-899) / 100
	}
	tz := TailFromImpostors(z)
	if e := tz.Evidence(0); e != 0 {
		t.Errorf("tied zeros: Evidence(0) = %v", e)
	}
	if e := tz.Evidence(0.5); !near(e, -math.Log10(50.0/1000), 0.05) {
		t.Errorf("tied zeros: Evidence(0.5) = %v, want %v", e, -math.Log10(50.0/1000))
	}
}

func TestEvidenceThreshold(t *testing.T) {
	for _, tc := range []struct {
		fpir  float64
		n     int
		floor float64
		want  float64
	}{
		{0.01, 1, 0, 2},
		{0.01, 1000, 0, -math.Log10(-math.Expm1(math.Log1p(-0.01) / 1000))},
		{0.01, 10, 4, 4},
		{0.5, 0, 0, -math.Log10(0.5)},
	} {
		if got := EvidenceThreshold(tc.fpir, tc.n, tc.floor); !near(got, tc.want, 1e-9) {
			t.Errorf("EvidenceThreshold(%v, %d, %v) = %v, want %v", tc.fpir, tc.n, tc.floor, got, tc.want)
		}
	}
}

// testFusion uses the fingerprint matcher's published points and a face
// tail where impostors reach 0.6 with probability 1/10 and 0.9 with 1e-4.
func testFusion(t *testing.T) Fusion {
	ft, err := NewTail([]TailPoint{{0, 0}, {0.0072, 2}, {0.0127, 3}, {0.0187, 4}})
	if err != nil {
		t.Fatal(err)
	}
	fc, err := NewTail([]TailPoint{{0, 0}, {0.6, 1}, {0.9, 4}})
	if err != nil {
		t.Fatal(err)
	}
	return Fusion{Finger: ft, Face: fc}
}

// unit returns a random unit vector; near, with noise, one close to v.
func unit(r *rand.Rand, v []float32, noise float64) []float32 {
	out := make([]float32, FaceDim)
	var n float64
	for i := range out {
		x := r.NormFloat64() * noise
		if v != nil {
			x += float64(v[i])
		}
		out[i] = float32(x)
		n += x * x
	}
	for i := range out {
		out[i] /= float32(math.Sqrt(n))
	}
	return out
}

func TestFusionRule(t *testing.T) {
	f := testFusion(t)
	const th = 4.0
	for _, tc := range []struct {
		name     string
		fingers  []float64
		face     float64
		faceOK   bool
		want     float64
		faceOnly bool
	}{
		{"finger only", []float64{0.0187}, 0, false, 4, false},
		{"face only", nil, 0.9, true, 4, true},
		{"both strong", []float64{0.0187}, 0.9, true, Fisher(4, 4), false},
		{"weak finger, strong face", []float64{0.0072}, 0.95, true, Fisher(2, 4.5), true},
		{"face below, finger below", []float64{0.0072}, 0.6, true, Fisher(2, 1), false},
		{"two fingers", []float64{0.0127, 0.0127}, 0, false, Fisher(3, 3), false},
	} {
		got, fs, _ := f.fuse(tc.fingers, tc.face, tc.faceOK, th)
		if !near(got, tc.want, 1e-9) {
			t.Errorf("%s: fused %v, want %v", tc.name, got, tc.want)
		}
		if fs.FaceOnly != tc.faceOnly {
			t.Errorf("%s: FaceOnly = %v, want %v (fused %v, fingers %v)", tc.name, fs.FaceOnly, tc.faceOnly, got, fs.FingerEvidence)
		}
	}
}

func TestIdentifyFused(t *testing.T) {
	ctx := context.Background()
	g := buildGallery(t, 30, 2) // p0..p29 with fingers 1, 2
	r := rand.New(rand.NewPCG(7, 8))
	faces := map[string][]float32{}
	for p := 0; p < 40; p++ { // p30..p39 have faces only
		if p%3 == 0 && p < 30 {
			continue // some finger identities without a face
		}
		id := fmt.Sprintf("p%d", p)
		faces[id] = unit(r, nil, 1)
		if err := g.AddFace(id, id+"-face", faces[id]); err != nil {
			t.Fatal(err)
		}
	}
	if g.Persons() != 40 || g.Faces() != 30 || g.FacePersons() != 30 {
		t.Fatalf("persons %d faces %d face persons %d", g.Persons(), g.Faces(), g.FacePersons())
	}
	f := testFusion(t)
	opt := Options{MaxCandidates: 5, Threshold: 4}

	// Face only, of a face-only identity: found, flagged face-only.
	probe := unit(r, faces["p35"], 0.02)
	cs, err := g.IdentifyFused(ctx, Probe{Face: probe}, f, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].PersonID != "p35" || !cs[0].Fusion.FaceOnly || cs[0].Fusion.Fingers != 0 {
		t.Fatalf("face probe of p35: %+v", cs)
	}
	if len(cs[0].Scores) != 1 || cs[0].Scores[0].Modality != Face || cs[0].Scores[0].Rank != 1 {
		t.Errorf("face probe scores %+v", cs[0].Scores)
	}

	// Fingers and face of p4 (both enrolled): not face-only, fused higher
	// than the fingers alone.
	fp := []Sample{{Position: 1, Template: impression(master(41), 77)}, {Position: 2, Template: impression(master(42), 78)}}
	both, err := g.IdentifyFused(ctx, Probe{Fingers: fp, Face: unit(r, faces["p4"], 0.02)}, f, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(both) == 0 || both[0].PersonID != "p4" || both[0].Fusion.FaceOnly || !both[0].Fusion.Face || both[0].Fusion.Fingers != 2 {
		t.Fatalf("finger+face probe of p4: %+v", both)
	}
	if both[0].Score <= both[0].Fusion.FingerEvidence || len(both[0].Scores) != 3 {
		t.Errorf("fused %v not above finger evidence %v, scores %+v", both[0].Score, both[0].Fusion.FingerEvidence, both[0].Scores)
	}
	// The same fingers with p3 (no face enrolled): found on fingers alone.
	fp3 := []Sample{{Position: 1, Template: impression(master(31), 79)}}
	c3, err := g.IdentifyFused(ctx, Probe{Fingers: fp3, Face: unit(r, nil, 1)}, f, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(c3) == 0 || c3[0].PersonID != "p3" || c3[0].Fusion.Face {
		t.Fatalf("probe of p3 (no face enrolled): %+v", c3)
	}
	// A stranger's face: nobody at the threshold.
	none, err := g.IdentifyFused(ctx, Probe{Face: unit(r, nil, 1)}, f, opt)
	if err != nil || len(none) != 0 {
		t.Errorf("stranger: %+v, %v", none, err)
	}
	// Exclude drops the identity.
	ex, err := g.IdentifyFused(ctx, Probe{Face: probe}, f, Options{Threshold: 4, Exclude: "p35"})
	if err != nil || len(ex) != 0 {
		t.Errorf("excluded: %+v, %v", ex, err)
	}

	// 1:1.
	v, ok, err := g.VerifyFused("p35", Probe{Face: probe}, f, 4)
	if err != nil || !ok || v.Score < 4 || !v.Fusion.FaceOnly {
		t.Errorf("VerifyFused p35 = %+v, %v, %v", v, ok, err)
	}
	if _, ok, err := g.VerifyFused("p3", Probe{Face: probe}, f, 4); ok || err != nil {
		t.Errorf("VerifyFused face vs identity without a face: ok %v err %v", ok, err)
	}
	v4, ok, err := g.VerifyFused("p4", Probe{Fingers: fp, Face: faces["p4"]}, f, 4)
	if err != nil || !ok || v4.Fusion.Fingers != 2 || !v4.Fusion.Face || v4.Score < both[0].Score-1e-9 {
		t.Errorf("VerifyFused p4 = %+v, %v, %v", v4, ok, err)
	}

	// Merge and Remove carry faces.
	g.Merge("p35", "p36")
	if m, err := g.IdentifyFused(ctx, Probe{Face: probe}, f, opt); err != nil || len(m) == 0 || m[0].PersonID != "p36" {
		t.Errorf("after merge: %+v, %v", m, err)
	}
	if !g.Remove("p36") || g.Has("p36") || g.Faces() != 28 {
		t.Errorf("after remove: has %v faces %d", g.Has("p36"), g.Faces())
	}
	if m, err := g.IdentifyFused(ctx, Probe{Face: probe}, f, opt); err != nil || len(m) != 0 {
		t.Errorf("after remove: %+v, %v", m, err)
	}
	// Remaining faces still found after the swap-removal.
	for _, id := range []string{"p37", "p38", "p39", "p1"} {
		m, err := g.IdentifyFused(ctx, Probe{Face: faces[id]}, f, opt)
		if err != nil || len(m) == 0 || m[0].PersonID != id {
			t.Errorf("%s after removal of others: %+v, %v", id, m, err)
		}
	}
	if imp := g.FaceImpostorScores(500, 1); len(imp) != 500 {
		t.Errorf("FaceImpostorScores: %d", len(imp))
	}
}

func TestFusedBadProbe(t *testing.T) {
	g := New(1)
	f := testFusion(t)
	ctx := context.Background()
	for _, p := range []Probe{{}, {Face: []float32{1, 0}}, {Fingers: []Sample{{Position: 11}}}} {
		if _, err := g.IdentifyFused(ctx, p, f, Options{}); err == nil {
			t.Errorf("IdentifyFused(%+v): no error", p)
		}
	}
	if _, err := g.IdentifyFused(ctx, Probe{Face: make([]float32, FaceDim)}, Fusion{}, Options{}); err == nil {
		t.Error("IdentifyFused without tails: no error")
	}
	if err := g.AddFace("p", "t", make([]float32, 3)); !errors.Is(err, ErrFaceDim) {
		t.Errorf("AddFace short: %v", err)
	}
	bad := make([]float32, FaceDim)
	bad[0] = float32(math.NaN())
	if err := g.AddFace("p", "t", bad); err == nil {
		t.Error("AddFace NaN: no error")
	}
	if err := g.AddFace("p", "t", make([]float32, FaceDim)); err != nil {
		t.Fatal(err)
	}
	if err := g.AddFace("q", "t", make([]float32, FaceDim)); err == nil {
		t.Error("AddFace duplicate id: no error")
	}
	// Finger-only searches skip identities with faces only; sampling
	// impostors on a face-only gallery does not panic.
	if c, err := g.Identify(ctx, []Sample{{Position: 1, Template: master(1)}}, Options{}); err != nil || len(c) != 0 {
		t.Errorf("finger search of a face-only gallery: %+v, %v", c, err)
	}
	if err := g.AddFace("q", "t2", make([]float32, FaceDim)); err != nil {
		t.Fatal(err)
	}
	if s := g.ImpostorScores(1, 10, 1); len(s) != 0 {
		t.Errorf("finger impostors of a face-only gallery: %v", s)
	}
}

// TestMeanTail checks the convolved distribution of a mean of k scores
// against its closed form for k = 1 and against Monte Carlo sampling of the
// same tail for k = 2 and 4.
func TestMeanTail(t *testing.T) {
	tail, err := NewTail([]TailPoint{{Score: 0, Evidence: 0}, {Score: 0.0072, Evidence: 2}, {Score: 0.0127, Evidence: 3}, {Score: 0.0187, Evidence: 4}})
	if err != nil {
		t.Fatal(err)
	}
	top := tail.Score(MaxEvidence)
	for _, fmr := range []float64{1e-2, 1e-4, 1e-6} {
		got := tail.Mean(1).Threshold(fmr)
		want := tail.Score(-math.Log10(fmr))
		if got < want || got > want+2*top/meanBins {
			t.Errorf("k=1 fmr %g: threshold %.5f, want %.5f (up to two bins above)", fmr, got, want)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, k := range []int{2, 4} {
		const n = 400000
		s := make([]float64, n)
		for i := range s {
			var sum float64
			for range k {
				sum += tail.Score(-math.Log10(1 - r.Float64()))
			}
			s[i] = sum / float64(k)
		}
		sort.Float64s(s)
		m := tail.Mean(k)
		for _, fmr := range []float64{1e-2, 1e-3, 1e-4} {
			mc := s[n-int(fmr*n)]
			got := m.Threshold(fmr)
			if got < mc*0.97 || got > mc*1.06+top/meanBins {
				t.Errorf("k=%d fmr %g: threshold %.5f, Monte Carlo %.5f", k, fmr, got, mc)
			}
			if f := m.FMR(got); f > fmr {
				t.Errorf("k=%d: FMR(Threshold(%g)) = %g", k, fmr, f)
			}
		}
		if a, b := m.Threshold(1e-6), m.Threshold(1e-8); !(b > a) {
			t.Errorf("k=%d: threshold at 1e-8 %.5f not above 1e-6 %.5f", k, b, a)
		}
	}
	// More fingers: a lower threshold on their mean for the same rate.
	if a, b := tail.Mean(2).Threshold(1e-6), tail.Mean(10).Threshold(1e-6); !(b < a) {
		t.Errorf("mean of 10 threshold %.5f not below mean of 2 %.5f", b, a)
	}
}

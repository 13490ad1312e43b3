package fingerprint

import (
	"errors"
	"image"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bixproject/bix/internal/shareddata"
)

// spiralPattern returns a w×h ridge pattern of period p with ridges running
// at angle theta (image axes) and one phase singularity at (x0, y0): the
// spiral phase term adds one ridge on one side of it, which makes a ridge
// ending or a bifurcation exactly there (Larkin & Fletcher, "A coherent
// framework for fingerprint analysis", Optics Express 15(14), 2007).
func spiralPattern(w, h int, theta, p float64, x0, y0 float64, invert bool, noise float64) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	nx, ny := -math.Sin(theta), math.Cos(theta)
	rng := rand.New(rand.NewPCG(7, 7))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			phi := 2*math.Pi*(float64(x)*nx+float64(y)*ny)/p + math.Atan2(float64(y)-y0, float64(x)-x0)
			v := 80 * math.Cos(phi)
			if invert {
				v = -v
			}
			v += 128 + rng.NormFloat64()*noise
			g.Pix[y*g.Stride+x] = uint8(max(0, min(255, math.Round(v))))
		}
	}
	return g
}

// ridgesCrossed returns the number of ridge periods the pattern of
// spiralPattern (ridges vertical) passes through along row y from x0 to x1,
// from the continuous phase.
func ridgesCrossed(p, cx, cy float64, y, x0, x1 int) float64 {
	phi := func(x int) float64 {
		return -2*math.Pi*float64(x)/p + math.Atan2(float64(y)-cy, float64(x)-cx)
	}
	return math.Abs(phi(x1)-phi(x0)) / (2 * math.Pi)
}

func TestExtractFindsSingularity(t *testing.T) {
	const w, h = 240, 240
	for _, tc := range []struct {
		name   string
		x0, y0 float64
		period float64
		invert bool
		noise  float64
	}{
		{"ending", 120.3, 119.7, 9.5, false, 0},
		{"inverted", 120.3, 119.7, 9.5, true, 0},
		{"offcentre", 100.5, 135.2, 9.5, false, 0},
		{"period8", 120.3, 119.7, 8, false, 0},
		{"period11", 120.3, 119.7, 11, false, 0},
		{"noisy", 120.3, 119.7, 9.5, false, 25},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Ridges run vertically (θ = π/2).
			g := spiralPattern(w, h, math.Pi/2, tc.period, tc.x0, tc.y0, tc.invert, tc.noise)
			tpl, err := Extract(g, ExtractOptions{Resolution: 500})
			if err != nil {
				t.Fatal(err)
			}
			var best *Minutia
			bd := math.Inf(1)
			for i := range tpl.Minutiae {
				m := &tpl.Minutiae[i]
				if d := math.Hypot(float64(m.X)-tc.x0, float64(m.Y)-tc.y0); d < bd {
					best, bd = m, d
				}
			}
			if best == nil || bd > 5 {
				t.Fatalf("no minutia within 5 px of (%.0f, %.0f); got %v", tc.x0, tc.y0, tpl.Minutiae)
			}
			// Both an ending and a bifurcation point towards the side with
			// more ridges.
			above := ridgesCrossed(tc.period, tc.x0, tc.y0, int(tc.y0)-40, 0, w-1)
			below := ridgesCrossed(tc.period, tc.x0, tc.y0, int(tc.y0)+40, 0, w-1)
			want := math.Pi / 2 // up
			if below > above {
				want = 3 * math.Pi / 2
			}
			if dirDiff(best.Angle, want) > math.Pi/6 {
				t.Errorf("minutia %+v: angle %.0f°, want %.0f° (ridges above %.1f, below %.1f)", *best, best.Angle*180/math.Pi, want*180/math.Pi, above, below)
			}
			// The negative image swaps ridges and valleys: an ending there
			// is a bifurcation here.
			inv := spiralPattern(w, h, math.Pi/2, tc.period, tc.x0, tc.y0, !tc.invert, tc.noise)
			ti, err := Extract(inv, ExtractOptions{Resolution: 500})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ti.Minutiae {
				if math.Hypot(float64(m.X)-tc.x0, float64(m.Y)-tc.y0) <= 5 {
					if m.Kind == best.Kind {
						t.Errorf("image and its negative both give a %v at (%d, %d)", m.Kind, m.X, m.Y)
					}
					return
				}
			}
			t.Errorf("negative image: no minutia within 5 px of (%.0f, %.0f)", tc.x0, tc.y0)
		})
	}
}

func TestExtractFewFalseMinutiaeOnCleanPattern(t *testing.T) {
	g := spiralPattern(300, 300, 0.6, 9.5, 150, 150, false, 15)
	tpl, err := Extract(g, ExtractOptions{Resolution: 500})
	if err != nil {
		t.Fatal(err)
	}
	if len(tpl.Minutiae) > 3 {
		t.Errorf("%d minutiae on a pattern with one singularity: %v", len(tpl.Minutiae), tpl.Minutiae)
	}
	if tpl.Resolution != 500 || tpl.Width != 300 || tpl.Height != 300 || tpl.Quality <= 0 {
		t.Errorf("template header %d×%d at %d ppi quality %d", tpl.Width, tpl.Height, tpl.Resolution, tpl.Quality)
	}
	for _, m := range tpl.Minutiae {
		if m.Quality < 1 || m.Quality > 100 || m.Angle < 0 || m.Angle >= 2*math.Pi {
			t.Errorf("minutia out of range: %+v", m)
		}
	}
}

func TestExtractRescalesGivenResolution(t *testing.T) {
	// The same pattern drawn at 1000 ppi: twice the size and period.
	g := spiralPattern(480, 480, math.Pi/2, 19, 240.5, 239.5, false, 0)
	tpl, err := Extract(g, ExtractOptions{Resolution: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if tpl.Width != 240 || tpl.Height != 240 || tpl.Resolution != 500 {
		t.Fatalf("template %d×%d at %d ppi, want 240×240 at 500", tpl.Width, tpl.Height, tpl.Resolution)
	}
	found := false
	for _, m := range tpl.Minutiae {
		if math.Hypot(float64(m.X)-120, float64(m.Y)-120) <= 5 {
			found = true
		}
	}
	if !found {
		t.Errorf("no minutia near (120, 120): %v", tpl.Minutiae)
	}
}

func TestExtractEstimatesResolution(t *testing.T) {
	for _, tc := range []struct {
		ppi, width int
	}{
		{500, 360}, // nominal
		{580, 360}, // within finger variation: processed at its own scale
		{400, 360},
		{750, 240}, // far out: rescaled
	} {
		p := nominalPeriod * float64(tc.ppi) / 500
		g := spiralPattern(360, 360, 1.0, p, 180.5, 180.5, false, 10)
		tpl, err := Extract(g, ExtractOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if tpl.Width < tc.width-4 || tpl.Width > tc.width+4 || tpl.Resolution != 500 {
			t.Errorf("%d ppi: width at 500 ppi %d, want about %d", tc.ppi, tpl.Width, tc.width)
		}
	}
}

func TestExtractUnusable(t *testing.T) {
	uniform := image.NewGray(image.Rect(0, 0, 200, 200))
	for i := range uniform.Pix {
		uniform.Pix[i] = 200
	}
	noise := image.NewGray(image.Rect(0, 0, 200, 200))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range noise.Pix {
		noise.Pix[i] = uint8(rng.IntN(256))
	}
	small := image.NewGray(image.Rect(0, 0, 300, 300))
	patch := grating(48, 48, 0.5, 9, 0, 3)
	for i := range small.Pix {
		small.Pix[i] = 128
	}
	for y := 0; y < 48; y++ {
		copy(small.Pix[(120+y)*300+120:], patch.Pix[y*48:(y+1)*48])
	}
	for _, tc := range []struct {
		name   string
		img    image.Image
		reason string
	}{
		{"nil", nil, "no image"},
		{"tiny", image.NewGray(image.Rect(0, 0, 10, 10)), "too small"},
		{"uniform", uniform, "blank"},
		{"noise", noise, "not a fingerprint"},
		{"small", small, "too little foreground"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Extract(tc.img, ExtractOptions{})
			var ue *UnusableError
			if !errors.Is(err, ErrUnusable) || !errors.As(err, &ue) {
				t.Fatalf("err = %v, want ErrUnusable", err)
			}
			if !strings.Contains(ue.Reason, tc.reason) {
				t.Errorf("reason %q, want it to mention %q", ue.Reason, tc.reason)
			}
			if tc.img != nil {
				q := AssessQuality(tc.img)
				if q.Score != 0 || !strings.Contains(q.Reason, tc.reason) {
					t.Errorf("AssessQuality = %+v, want score 0 and reason %q", q, tc.reason)
				}
			}
		})
	}
	if _, err := Extract(uniform, ExtractOptions{Resolution: 5}); err == nil || errors.Is(err, ErrUnusable) {
		t.Errorf("resolution 5: err = %v, want a usage error", err)
	}
	if _, err := Extract(uniform, ExtractOptions{Resolution: 130}); err != nil && !errors.Is(err, ErrUnusable) {
		t.Errorf("resolution 130: %v", err)
	}
	huge := image.NewGray(image.Rect(0, 0, 4100, 4100))
	if _, err := Extract(huge, ExtractOptions{}); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("4100×4100 image: err = %v, want a size error", err)
	}
	if q := AssessQuality(huge); !strings.Contains(q.Reason, "more than") {
		t.Errorf("4100×4100 image: quality reason %q", q.Reason)
	}
}

func TestExtractConcurrent(t *testing.T) {
	imgs := []*image.Gray{
		spiralPattern(200, 220, 0.3, 9, 100, 110, false, 10),
		spiralPattern(260, 240, 1.3, 10, 120, 100, true, 20),
		grating(200, 200, 2.0, 8, 5, 9),
	}
	want := make([]*Template, len(imgs))
	for i, g := range imgs {
		want[i], _ = Extract(g, ExtractOptions{})
	}
	var wg sync.WaitGroup
	for r := 0; r < 4; r++ {
		for i, g := range imgs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, _ := Extract(g, ExtractOptions{})
				if (got == nil) != (want[i] == nil) || got != nil && len(got.Minutiae) != len(want[i].Minutiae) {
					t.Errorf("image %d: concurrent result differs", i)
				}
			}()
		}
	}
	wg.Wait()
}

// FuzzExtract checks that arbitrary pixels never make Extract panic: the
// first two bytes give the size.
func FuzzExtract(f *testing.F) {
	f.Add([]byte{40, 40, 1, 2, 3})
	f.Add(append([]byte{48, 48}, grating(48, 48, 0.4, 9, 3, 1).Pix...))
	f.Add(append([]byte{64, 40}, spiralPattern(64, 40, 1, 8, 30, 20, false, 0).Pix...))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < 2 {
			return
		}
		w, h := int(b[0])+1, int(b[1])+1
		g := image.NewGray(image.Rect(0, 0, w, h))
		for i := range g.Pix {
			if len(b) > 2 {
				g.Pix[i] = b[2+i%(len(b)-2)]
			}
		}
		tpl, err := Extract(g, ExtractOptions{})
		if err != nil && !errors.Is(err, ErrUnusable) {
			t.Fatalf("unexpected error kind: %v", err)
		}
		if tpl != nil {
			for _, m := range tpl.Minutiae {
				if m.X < 0 || m.Y < 0 || m.X > tpl.Width || m.Y > tpl.Height {
					t.Fatalf("minutia %+v outside %d×%d", m, tpl.Width, tpl.Height)
				}
			}
		}
		AssessQuality(g)
	})
}

func BenchmarkExtractSynthetic(b *testing.B) {
	g := spiralPattern(388, 374, 0.8, 9, 190, 180, false, 20)
	b.ReportAllocs()
	c0 := processCPU()
	for b.Loop() {
		if _, err := Extract(g, ExtractOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(processCPU()-c0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

// BenchmarkExtractFVC extracts FVC2002 images (first impression of each
// finger of DB1_B..DB4_B) when the shared data is present.
func BenchmarkExtractFVC(b *testing.B) {
	root := shareddata.Require(b, "fingerprints", "fvc2002-b")
	var imgs []*image.Gray
	for _, db := range []string{"DB1_B", "DB2_B", "DB3_B", "DB4_B"} {
		files, _ := filepath.Glob(filepath.Join(root, db, "1*_1.tif"))
		for _, f := range files {
			g, err := LoadImage(f)
			if err != nil {
				b.Fatal(err)
			}
			imgs = append(imgs, g)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	c0 := processCPU()
	for b.Loop() {
		Extract(imgs[i%len(imgs)], ExtractOptions{})
		i++
	}
	b.ReportMetric(float64(processCPU()-c0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

func TestCapMinutiae(t *testing.T) {
	ms := make([]Minutia, 300)
	for i := range ms {
		ms[i] = Minutia{X: i, Quality: uint8(i % 100)}
	}
	got := capMinutiae(ms, MaxMinutiae)
	if len(got) != MaxMinutiae {
		t.Fatalf("kept %d, want %d", len(got), MaxMinutiae)
	}
	// 300 minutiae with qualities i%100: the 45 dropped are the lowest
	// qualities, 0..14 (three of each), so every kept quality is ≥ 15.
	for i, m := range got {
		if m.Quality < 15 {
			t.Errorf("kept minutia %d of quality %d", m.X, m.Quality)
		}
		if i > 0 && got[i-1].X >= m.X {
			t.Fatalf("order not kept at %d: %d after %d", i, m.X, got[i-1].X)
		}
	}
	if short := capMinutiae(ms[:10], MaxMinutiae); len(short) != 10 {
		t.Errorf("short list changed: %d", len(short))
	}
}

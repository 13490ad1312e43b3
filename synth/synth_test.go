package synth

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/bixproject/bix/fingerprint"
	"github.com/bixproject/bix/wsq"
)

func TestClassFrequencies(t *testing.T) {
	r := newRand(1, 99)
	var n [5]int
	const draws = 20000
	for i := 0; i < draws; i++ {
		n[drawClass(r)]++
	}
	for c, want := range ClassFrequency {
		got := float64(n[c]) / draws
		if math.Abs(got-want) > 0.015 {
			t.Errorf("class %v: frequency %.3f, want %.3f", Class(c), got, want)
		}
	}
}

func TestFingerDeterministic(t *testing.T) {
	a := NewFinger(42).Impression(7, ImpressionOptions{})
	b := NewFinger(42).Impression(7, ImpressionOptions{})
	if !bytes.Equal(a.Pix, b.Pix) {
		t.Fatal("same finger and impression seeds gave different images")
	}
	c := NewFinger(42).Impression(8, ImpressionOptions{})
	if bytes.Equal(a.Pix, c.Pix) {
		t.Fatal("different impression seeds gave the same image")
	}
	d := NewFinger(43).Impression(7, ImpressionOptions{})
	if bytes.Equal(a.Pix, d.Pix) {
		t.Fatal("different fingers gave the same image")
	}
}

// TestMasterMinutiae checks that minutiae emerge from every class in
// realistic numbers, of both kinds, apart from each other, and pointing
// along the orientation field.
func TestMasterMinutiae(t *testing.T) {
	for c := Arch; c <= Whorl; c++ {
		m := NewFingerWith(int64(c)*31+5, FingerOptions{Class: c, HasClass: true})
		mm := m.masterMinutiae()
		var ends, bifs int
		for _, p := range mm {
			if p.kind == fingerprint.KindEnding {
				ends++
			} else {
				bifs++
			}
			th := m.f.orientation(p.x, p.y)
			if d := angDiff(math.Mod(p.dir, math.Pi), th); d > 0.2 && d < math.Pi-0.2 {
				t.Errorf("%v: minutia at (%.0f,%.0f) direction %.2f against orientation %.2f", c, p.x, p.y, p.dir, th)
			}
			if m.f.inside(p.x, p.y) < 12 {
				t.Errorf("%v: minutia at (%.0f,%.0f) outside the area", c, p.x, p.y)
			}
		}
		t.Logf("%v: %d minutiae (%d endings, %d bifurcations)", c, len(mm), ends, bifs)
		if len(mm) < 20 || len(mm) > 130 {
			t.Errorf("%v: %d minutiae on the whole master, want 20–130", c, len(mm))
		}
		if ends < len(mm)/5 || bifs < len(mm)/5 {
			t.Errorf("%v: %d endings, %d bifurcations: one kind is missing", c, ends, bifs)
		}
		for i := range mm {
			for j := i + 1; j < len(mm); j++ {
				if d := math.Hypot(mm[i].x-mm[j].x, mm[i].y-mm[j].y); d < 0.8*m.f.period0 {
					t.Errorf("%v: minutiae %d and %d only %.1f px apart", c, i, j, d)
				}
			}
		}
		iso := m.Minutiae()
		if len(iso) != len(mm) {
			t.Fatalf("Minutiae: %d, want %d", len(iso), len(mm))
		}
		for _, p := range iso {
			if p.Angle < 0 || p.Angle >= 2*math.Pi {
				t.Errorf("ISO angle %v outside [0, 2π)", p.Angle)
			}
		}
	}
}

func TestSingularities(t *testing.T) {
	want := map[Class][2]int{Arch: {0, 0}, TentedArch: {1, 1}, LeftLoop: {1, 1}, RightLoop: {1, 1}, Whorl: {2, 2}}
	for c, n := range want {
		cores, deltas := NewFingerWith(1, FingerOptions{Class: c, HasClass: true}).Singularities()
		if len(cores) != n[0] || len(deltas) != n[1] {
			t.Errorf("%v: %d cores, %d deltas, want %v", c, len(cores), len(deltas), n)
		}
	}
	// left loops have their delta right of the core, right loops left.
	for s := int64(0); s < 20; s++ {
		for _, c := range []Class{LeftLoop, RightLoop} {
			cores, deltas := NewFingerWith(s, FingerOptions{Class: c, HasClass: true}).Singularities()
			right := deltas[0][0] > cores[0][0]
			if right != (c == LeftLoop) {
				t.Errorf("seed %d %v: core %v delta %v", s, c, cores[0], deltas[0])
			}
		}
	}
}

func TestGeometryInverse(t *testing.T) {
	m := NewFinger(3)
	for s := int64(0); s < 20; s++ {
		g := newGeometry(newRand(s, 3), m.f, 400, 448, 1.5)
		for _, p := range [][2]float64{{10, 10}, {200, 224}, {390, 30}, {50, 440}, {300, 300}} {
			x, y := g.toMaster(p[0], p[1])
			u, v := g.toImpression(x, y)
			if math.Hypot(u-p[0], v-p[1]) > 0.2 {
				t.Errorf("seed %d: %v → (%.1f,%.1f) → (%.2f,%.2f)", s, p, x, y, u, v)
			}
		}
	}
}

func TestImpression(t *testing.T) {
	m := NewFinger(11)
	for _, tc := range []struct {
		name string
		opt  ImpressionOptions
	}{
		{"default", ImpressionOptions{}},
		{"ideal", ImpressionOptions{Variation: -1}},
		{"dry", ImpressionOptions{Dryness: 1}},
		{"wet", ImpressionOptions{Dryness: -1}},
		{"small", ImpressionOptions{Width: 256, Height: 300}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := m.Impression(1, tc.opt)
			w, h := tc.opt.size()
			if img.Bounds().Dx() != w || img.Bounds().Dy() != h {
				t.Fatalf("size %v, want %dx%d", img.Bounds(), w, h)
			}
			var dark, light int
			for _, v := range img.Pix {
				if v < 110 {
					dark++
				} else if v > 180 {
					light++
				}
			}
			n := len(img.Pix)
			// ridges cover a good part of the image, background and
			// valleys the rest.
			minDark := n / 12
			if tc.opt.Dryness > 0.5 {
				minDark = n / 40
			}
			if dark < minDark || light < n/5 {
				t.Errorf("%d dark and %d light pixels of %d", dark, light, n)
			}
		})
	}
}

func TestWriteFVCAndSheet(t *testing.T) {
	dir := t.TempDir()
	n, err := WriteFVC(dir, 2, 2, 5, ImpressionOptions{Width: 200, Height: 220}, "")
	if err != nil || n != 4 {
		t.Fatalf("WriteFVC: %d, %v", n, err)
	}
	for _, f := range []string{"1_1.png", "1_2.png", "2_1.png", "2_2.png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	if n, err := WriteFVC(dir, 1, 1, 5, ImpressionOptions{Width: 200, Height: 220}, "wsq"); err != nil || n != 1 {
		t.Fatalf("WriteFVC wsq: %d, %v", n, err)
	}
	f, err := os.Open(filepath.Join(dir, "1_1.wsq"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := wsq.Decode(f)
	f.Close()
	if err != nil || img.Bounds().Dx() != 200 {
		t.Fatalf("decoding the WSQ file: %v", err)
	}
	if _, err := WriteFVC(dir, 1, 1, 5, ImpressionOptions{}, "gif"); err == nil {
		t.Error("format gif accepted")
	}
	s := Sheet(5, 1, 1)
	if s.Bounds().Dx() < masterWidth || s.Bounds().Dy() < masterHeight/2 {
		t.Errorf("sheet size %v", s.Bounds())
	}
}

func TestBadSizes(t *testing.T) {
	m := NewFinger(1)
	img := m.Impression(1, ImpressionOptions{Width: 1 << 30, Height: 1})
	if img.Bounds().Dx() != MaxImageSide || img.Bounds().Dy() != 1 {
		t.Errorf("size %v", img.Bounds())
	}
	if s := Sheet(1, -5, -1); s.Bounds().Empty() {
		t.Error("empty sheet")
	}
}

// TestNoiseGrid checks the interpolated fast path of smoothNoise against
// direct evaluation.
func TestNoiseGrid(t *testing.T) {
	r := newRand(5, 5)
	for k := 0; k < 5; k++ {
		n := newSmoothNoise(r, 80, 300)
		g := newNoiseGrid(&n, 388, 374, 4)
		worst := 0.0
		for y := 0; y < 374; y += 3 {
			for x := 0; x < 388; x += 3 {
				d := math.Abs(float64(g.at(x, y)) - n.at(float64(x)+0.5, float64(y)+0.5))
				worst = math.Max(worst, d)
			}
		}
		if worst > 0.015 {
			t.Errorf("grid differs from direct evaluation by %.4f", worst)
		}
	}
}

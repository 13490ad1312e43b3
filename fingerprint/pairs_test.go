package fingerprint

import (
	"math"
	"math/rand/v2"
	"testing"
)

// moved returns t's minutiae rotated by rot (counter-clockwise as seen in
// the image) about (cx, cy) and shifted by (dx, dy).
func moved(t *Template, rot float64, cx, cy, dx, dy int) *Template {
	out := &Template{Width: t.Width, Height: t.Height, Resolution: t.Resolution}
	sin, cos := math.Sincos(rot)
	for _, m := range t.Minutiae {
		x, y := float64(m.X-cx), float64(m.Y-cy)
		nx := float64(cx+dx) + x*cos + y*sin
		ny := float64(cy+dy) - x*sin + y*cos
		out.Minutiae = append(out.Minutiae, Minutia{X: int(math.Round(nx)), Y: int(math.Round(ny)),
			Angle: math.Mod(m.Angle+rot+2*math.Pi, 2*math.Pi), Kind: m.Kind})
	}
	return out
}

func randomTemplate(r *rand.Rand, n int) *Template {
	t := &Template{Width: 400, Height: 500, Resolution: 500}
	for range n {
		k := KindEnding
		if r.IntN(2) == 0 {
			k = KindBifurcation
		}
		t.Minutiae = append(t.Minutiae, Minutia{X: 40 + r.IntN(320), Y: 40 + r.IntN(420), Angle: r.Float64() * 2 * math.Pi, Kind: k})
	}
	return t
}

func TestPairsRecoversMovedMinutiae(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 9))
	for _, tc := range []struct {
		name   string
		rot    float64
		dx, dy int
	}{{"identity", 0, 0, 0}, {"shift", 0, 25, -14}, {"rotate 20°", 20 * math.Pi / 180, 10, 5}, {"rotate -35°", -35 * math.Pi / 180, -20, 12}} {
		t.Run(tc.name, func(t *testing.T) {
			a := randomTemplate(r, 30)
			b := moved(a, tc.rot, 200, 250, tc.dx, tc.dy)
			// b loses its first five minutiae (outside its contact area).
			b.Minutiae = b.Minutiae[5:]
			ps := Pairs(a, b)
			if len(ps) < 22 {
				t.Fatalf("%d pairs, want at least 22 of 25: %v", len(ps), ps)
			}
			wrong := 0
			for _, p := range ps {
				if p.B+5 != p.A {
					wrong++
				}
			}
			if wrong > 1 {
				t.Errorf("%d of %d pairs link different minutiae: %v", wrong, len(ps), ps)
			}
			for i := 1; i < len(ps); i++ {
				if ps[i].A <= ps[i-1].A {
					t.Fatalf("pairs not sorted by A or A repeated: %v", ps)
				}
			}
			seen := map[int]bool{}
			for _, p := range ps {
				if seen[p.B] {
					t.Fatalf("minutia %d of b paired twice: %v", p.B, ps)
				}
				seen[p.B] = true
			}
		})
	}
}

func TestPairsUnrelated(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	a, b := randomTemplate(r, 30), randomTemplate(r, 30)
	if ps := Pairs(a, b); len(ps) > 10 {
		t.Errorf("unrelated templates: %d pairs", len(ps))
	}
	if ps := Pairs(a, &Template{}); ps != nil {
		t.Errorf("empty template: %v", ps)
	}
	if ps := Pairs(nil, a); ps != nil {
		t.Errorf("nil template: %v", ps)
	}
}

// BenchmarkPairs: one pairing of two 60-minutia templates (a task page
// pairs each probe finger with each candidate's).
func BenchmarkPairs(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	a := randomTemplate(r, 60)
	c := moved(a, 0.2, 200, 250, 10, -5)
	b.ResetTimer()
	for b.Loop() {
		Pairs(a, c)
	}
}

// TestPairsAgreesWithReference: the grid finds exactly what scanning every
// minutia finds, for mated, unrelated, sparse and spread-out templates.
func TestPairsAgreesWithReference(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for i := range 30 {
		a := randomTemplate(r, 5+r.IntN(50))
		var b *Template
		switch i % 3 {
		case 0:
			b = moved(a, r.Float64()-0.5, 200, 250, r.IntN(40)-20, r.IntN(40)-20)
			b.Minutiae = b.Minutiae[r.IntN(len(b.Minutiae)/2+1):]
		case 1:
			b = randomTemplate(r, 5+r.IntN(50))
		case 2:
			b = moved(a, 0.1, 0, 0, 3, 3)
			b.Minutiae = append(b.Minutiae, Minutia{X: 100000, Y: -100000, Kind: KindEnding}) // no grid
		}
		if i%5 == 0 {
			a.Resolution = 1000
		}
		got, want := Pairs(a, b), pairsReference(a, b)
		if len(got) != len(want) {
			t.Fatalf("case %d: %d pairs, reference %d", i, len(got), len(want))
		}
		for k := range got {
			if got[k] != want[k] {
				t.Fatalf("case %d: pair %d %v, reference %v", i, k, got[k], want[k])
			}
		}
	}
}

func BenchmarkPairsReference(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	a := randomTemplate(r, 60)
	c := moved(a, 0.2, 200, 250, 10, -5)
	b.ResetTimer()
	for b.Loop() {
		pairsReference(a, c)
	}
}

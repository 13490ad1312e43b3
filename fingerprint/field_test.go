package fingerprint

import (
	"math"
	"math/rand/v2"
	"testing"
)

// synthField returns a smooth orientation field for a w×h-pixel template,
// empty in a margin of one block and in a few random blocks, with random
// coherences.
func synthField(rng *rand.Rand, w, h int) *OrientationField {
	fw, fh := (w+FieldBlock-1)/FieldBlock, (h+FieldBlock-1)/FieldBlock
	f := &OrientationField{Width: fw, Height: fh, Dir: make([]uint8, fw*fh), Coherence: make([]uint8, fw*fh)}
	a, b := rng.Float64()*0.3, rng.Float64()*0.3
	for j := 1; j < fh-1; j++ {
		for i := 1; i < fw-1; i++ {
			if rng.IntN(20) == 0 {
				continue
			}
			d := math.Mod(90+60*math.Sin(float64(i)*a)+40*math.Cos(float64(j)*b)+360, 180)
			k := j*fw + i
			f.Dir[k] = uint8(int(d) % 180)
			f.Coherence[k] = uint8(1 + rng.IntN(255))
		}
	}
	return f
}

// TestFieldOfGratings checks the field of straight ridges: every block of
// the print has the ridges' direction (counter-clockwise, y up) within 2°.
func TestFieldOfGratings(t *testing.T) {
	for _, theta := range []float64{0, 0.3, math.Pi / 4, 1.2, 2.5} {
		a := new(analysis)
		if err := a.run(grating(200, 232, theta, 9, 0, 1), false); err != nil {
			t.Fatal(err)
		}
		f := a.field(1)
		if err := f.validate(); err != nil {
			t.Fatal(err)
		}
		if f.Width != 13 || f.Height != 15 {
			t.Fatalf("θ %.2f: field %d×%d blocks, want 13×15", theta, f.Width, f.Height)
		}
		want := math.Mod(-theta*180/math.Pi+360, 180)
		n := 0
		for k, c := range f.Coherence {
			if c == 0 {
				continue
			}
			n++
			if d := math.Abs(math.Mod(float64(f.Dir[k])-want+540, 180) - 180); d > 2 && 180-d > 2 {
				t.Errorf("θ %.2f block %d: direction %d°, want %.1f°", theta, k, f.Dir[k], want)
			}
			if c < 200 {
				t.Errorf("θ %.2f block %d: coherence %d for straight ridges", theta, k, c)
			}
		}
		if n < f.Width*f.Height/2 {
			t.Errorf("θ %.2f: %d foreground blocks of %d", theta, n, f.Width*f.Height)
		}
	}
}

// fieldSimilarityReference is fieldSimilarity as its doc comment states
// it, in float64 with bounds tests and without the border.
func fieldSimilarityReference(pr *Probe, c *Prepared, pa, pb *cylinder) float64 {
	fa, fb := &pr.p.field, &c.field
	rot := float64(pb.theta) - float64(pa.theta)
	rdeg := int(math.Round(rot*180/math.Pi)) % 180
	cs, sn := math.Cos(rot), math.Sin(rot)
	var sw, sa float64
	for j := 0; j < int(fa.h); j++ {
		for i := 0; i < int(fa.w); i++ {
			ca := fa.cells[(j+1)*int(fa.w+2)+i+1]
			if ca == 0 || (i+j)%2 == 1 {
				continue
			}
			x, y := (float64(i)+0.5)*float64(fa.side), -(float64(j)+0.5)*float64(fa.side)
			dx, dy := x-float64(pa.x), y-float64(pa.y)
			bx := math.Floor((cs*dx - sn*dy + float64(pb.x)) / float64(fb.side))
			by := math.Floor(-(sn*dx + cs*dy + float64(pb.y)) / float64(fb.side))
			if bx < 0 || by < 0 || bx >= float64(fb.w) || by >= float64(fb.h) {
				continue
			}
			cb := fb.cells[(int(by)+1)*int(fb.w+2)+int(bx)+1]
			if cb == 0 {
				continue
			}
			w := float64(cellWeight[ca]) * float64(cellWeight[cb])
			d := float64(int(cellDir[ca])+rdeg-int(cellDir[cb])) * math.Pi / 180
			sw += w
			sa += w * math.Cos(2*d)
		}
	}
	if sw == 0 {
		return 0
	}
	return sa / sw
}

func TestFieldSimilarityReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	for n := 0; n < 200; n++ {
		ta, tb := synthTemplate(rng, 20), synthTemplate(rng, 20)
		ta.Field, tb.Field = synthField(rng, ta.Width, ta.Height), synthField(rng, tb.Width, tb.Height)
		pr, c := NewProbe(ta), Prepare(tb)
		pa, pb := &pr.p.cyl[rng.IntN(len(pr.p.cyl))], &c.cyl[rng.IntN(len(c.cyl))]
		got, want := pr.fieldSimilarity(c, pa, pb), fieldSimilarityReference(pr, c, pa, pb)
		if math.Abs(float64(got)-want) > 1e-4 {
			t.Fatalf("pair %d: fieldSimilarity %v, reference %v", n, got, want)
		}
	}
}

// TestScoreField checks how the field enters the score of a template
// against itself (so the alignment is exact): fields that agree everywhere
// leave the minutiae score as it is, perpendicular ones divide it by
// e^(2·fieldWeight), and a template without a field is compared by its
// minutiae alone.
func TestScoreField(t *testing.T) {
	rng := rand.New(rand.NewPCG(63, 64))
	a := synthTemplate(rng, 40)
	b := &Template{Width: a.Width, Height: a.Height, Resolution: a.Resolution, Minutiae: a.Minutiae}
	minutiae := Compare(a, b)
	if minutiae < 0.1 {
		t.Fatalf("fixture scores %v", minutiae)
	}
	f := synthField(rng, a.Width, a.Height)
	perp := &OrientationField{Width: f.Width, Height: f.Height, Dir: make([]uint8, len(f.Dir)), Coherence: f.Coherence}
	for k, d := range f.Dir {
		if f.Coherence[k] != 0 {
			perp.Dir[k] = uint8((int(d) + 90) % 180)
		}
	}
	with := func(t *Template, f *OrientationField) *Template { c := *t; c.Field = f; return &c }
	if got := Compare(with(a, f), with(b, f)); got != minutiae {
		t.Errorf("same fields: %v, want the minutiae score %v", got, minutiae)
	}
	if got, want := Compare(with(a, f), with(b, perp)), minutiae*math.Exp(-2*fieldWeight); math.Abs(got-want) > 1e-6*want {
		t.Errorf("perpendicular fields: %v, want %v", got, want)
	}
	if got := Compare(with(a, f), b); got != minutiae {
		t.Errorf("candidate without a field: %v, want %v", got, minutiae)
	}
	if got := Compare(a, with(b, f)); got != minutiae {
		t.Errorf("probe without a field: %v, want %v", got, minutiae)
	}
}

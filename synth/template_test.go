package synth

import (
	"math"
	"testing"

	"github.com/bixproject/bix/fingerprint"
)

// TestImpressionTemplatesMatch checks that impressions of one finger match
// each other and not other fingers under the project's matcher, and that
// minutiae counts are those of real plain impressions.
func TestImpressionTemplatesMatch(t *testing.T) {
	r := MeasureTemplates(21, 8, 3, ImpressionOptions{})
	r.Write(testWriter{t})
	if r.MinutiaeMean < 20 || r.MinutiaeMean > 80 {
		t.Errorf("mean minutiae per impression %.1f, want 20–80", r.MinutiaeMean)
	}
	if r.All.EER > 0.15 {
		t.Errorf("EER %.3f on synthetic templates: impressions of a finger do not match", r.All.EER)
	}
}

func TestImpressionTemplateFollowsImage(t *testing.T) {
	// An ideal impression's template is the master's minutiae moved by the
	// centred placement: positions must land on ridge ends of the image,
	// i.e. near dark pixels.
	m := NewFinger(8)
	opt := ImpressionOptions{Variation: -1}
	img := m.Impression(1, opt)
	tp := m.ImpressionTemplate(1, opt)
	if len(tp.Minutiae) < 20 {
		t.Fatalf("%d minutiae", len(tp.Minutiae))
	}
	near := 0
	for _, p := range tp.Minutiae {
		dark := false
		for dy := -3; dy <= 3; dy++ {
			for dx := -3; dx <= 3; dx++ {
				x, y := p.X+dx, p.Y+dy
				if x >= 0 && y >= 0 && x < img.Bounds().Dx() && y < img.Bounds().Dy() && img.GrayAt(x, y).Y < 120 {
					dark = true
				}
			}
		}
		if dark {
			near++
		}
	}
	if near < len(tp.Minutiae)*9/10 {
		t.Errorf("only %d of %d minutiae near a ridge", near, len(tp.Minutiae))
	}
}

func TestTemplates(t *testing.T) {
	var got []*fingerprint.Template
	var fingers []int
	err := Templates(5, 10, TemplateOptions{Fingers: 3}, func(i, f int, tp *fingerprint.Template) error {
		if i != len(got) {
			t.Fatalf("template %d out of order", i)
		}
		got = append(got, tp)
		fingers = append(fingers, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 10 || fingers[4] != 1 {
		t.Fatalf("%d templates, fingers %v", len(got), fingers)
	}
	// template 4 is impression 2 of finger 1
	want := NewFinger(FingerSeed(5, 1)).ImpressionTemplate(2, ImpressionOptions{})
	if len(want.Minutiae) != len(got[4].Minutiae) || want.Minutiae[0] != got[4].Minutiae[0] {
		t.Error("Templates does not follow its documented numbering")
	}
	same := fingerprint.Compare(got[1], got[4])
	other := fingerprint.Compare(got[1], got[5])
	if same <= other {
		t.Errorf("mates score %.3f, non-mates %.3f", same, other)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// TestMeasureExtracted runs the realism measurement on a small set through
// the project's extractor: synthetic images must extract, carry a
// realistic number of minutiae and separate mates from non-mates.
func TestMeasureExtracted(t *testing.T) {
	r := Measure(33, 4, 3, ImpressionOptions{})
	r.Write(testWriter{t})
	if r.FailedToExtract > 0 {
		t.Errorf("%d of %d synthetic images failed to extract", r.FailedToExtract, r.Images)
	}
	if r.MinutiaeMean < 15 || r.MinutiaeMean > 100 {
		t.Errorf("mean minutiae per image %.1f", r.MinutiaeMean)
	}
	if r.All.EER > 0.25 {
		t.Errorf("EER %.3f: mates do not score above non-mates", r.All.EER)
	}
	if r.Quality[2] < 20 {
		t.Errorf("median quality %d", r.Quality[2])
	}
	dir := t.TempDir()
	if _, err := WriteFVC(dir, 2, 2, 33, ImpressionOptions{}, ""); err != nil {
		t.Fatal(err)
	}
	d, err := MeasureDir(dir, ".png")
	if err != nil || d.Images != 4 {
		t.Fatalf("MeasureDir: %+v, %v", d, err)
	}
}

// TestImpressionTemplateField checks that the orientation field of an
// impression's template agrees with the one extracted from its image
// where both see the print.
func TestImpressionTemplateField(t *testing.T) {
	for seed := int64(1); seed <= 4; seed++ {
		m := NewFinger(seed * 13)
		opt := ImpressionOptions{}
		ex, err := fingerprint.Extract(m.Impression(seed, opt), fingerprint.ExtractOptions{})
		if err != nil {
			t.Fatal(err)
		}
		tf, ef := m.ImpressionTemplate(seed, opt).Field, ex.Field
		if tf.Width != ef.Width || tf.Height != ef.Height {
			t.Fatalf("seed %d: field %d×%d, extracted %d×%d", seed, tf.Width, tf.Height, ef.Width, ef.Height)
		}
		var sum float64
		n, only := 0, 0
		for k := range tf.Dir {
			switch {
			case tf.Coherence[k] != 0 && ef.Coherence[k] != 0:
				n++
				sum += math.Cos(2 * float64(int(tf.Dir[k])-int(ef.Dir[k])) * math.Pi / 180)
			case tf.Coherence[k] != 0:
				only++
			}
		}
		if n < 100 || sum/float64(n) < 0.9 {
			t.Errorf("seed %d: %d blocks in common (%d only in the template), mean cos 2Δ %.3f, want ≥ 0.9", seed, n, only, sum/float64(n))
		}
	}
}

package gallery

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/bixproject/bix/fingerprint"
)

// rotate returns t rotated by r about (150, 200) and shifted by (dx, dy),
// without noise: descriptors must not change beyond bin-boundary effects.
func rotate(t *fingerprint.Template, r, dx, dy float64) *fingerprint.Template {
	c, s := math.Cos(r), math.Sin(r)
	out := &fingerprint.Template{Width: t.Width, Height: t.Height, Resolution: t.Resolution}
	for _, m := range t.Minutiae {
		x, y := float64(m.X)-150, -(float64(m.Y) - 200) // y up
		nx, ny := c*x-s*y, s*x+c*y
		out.Minutiae = append(out.Minutiae, fingerprint.Minutia{
			X: int(math.Round(nx + 150 + dx)), Y: int(math.Round(-ny + 200 + dy)),
			Angle: wrapAngle(m.Angle + r), Kind: m.Kind, Quality: m.Quality,
		})
	}
	return out
}

func TestDescriptorInvariance(t *testing.T) {
	m := master(11)
	g := describe(m, false)
	total := common(g, g)
	same := common(describe(rotate(m, 0.7, 12, -9), true), g)
	other := common(describe(master(12), true), g)
	if float64(same) < 0.8*float64(total) {
		t.Errorf("rotated copy shares %d of %d bits", same, total)
	}
	if other >= same/2 {
		t.Errorf("another finger shares %d bits, the rotated copy %d", other, same)
	}
}

func TestShortlistAgreesWithExhaustive(t *testing.T) {
	ctx := context.Background()
	ex := New(2)
	pf := NewWith(Config{Workers: 2, Shortlist: 10})
	for p := range 200 {
		tm := impression(master(uint64(p*10+1)), uint64(7000+p))
		for _, g := range []*Gallery{ex, pf} {
			if err := g.Add(fmt.Sprintf("p%d", p), fmt.Sprintf("t%d", p), 1, tm); err != nil {
				t.Fatal(err)
			}
		}
	}
	agree := 0
	const probes = 40
	for p := range probes {
		probe := []Sample{{Position: 1, Template: impression(master(uint64(p*5*10+1)), uint64(9000+p))}}
		a, err := ex.Identify(ctx, probe, Options{MaxCandidates: 1})
		if err != nil {
			t.Fatal(err)
		}
		b, err := pf.Identify(ctx, probe, Options{MaxCandidates: 1})
		if err != nil {
			t.Fatal(err)
		}
		if a[0].PersonID == b[0].PersonID {
			agree++
		}
	}
	if agree < probes-1 {
		t.Errorf("pre-filter rank 1 agrees with exhaustive for %d of %d probes", agree, probes)
	}
	// Verify and impostor sampling work on lazily prepared templates.
	if _, ok, err := pf.Verify("p3", []Sample{{Position: 1, Template: master(31)}}); !ok || err != nil {
		t.Errorf("verify: %v %v", ok, err)
	}
	if s := pf.ImpostorScores(1, 50, 1); len(s) != 50 {
		t.Errorf("%d impostor scores", len(s))
	}
}

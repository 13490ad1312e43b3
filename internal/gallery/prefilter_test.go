package gallery

import (
	"context"
	"fmt"
	"math"
	"sort"
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

// refDescribe is the plain reference for describe's neighbour selection:
// sort every in-range neighbour by distance and keep the nearest.
func refDescribe(t *fingerprint.Template) *descriptor {
	var d descriptor
	ps := descPoints(t)
	maxD := descDistMin + descDistBins*descDistBin
	for i, p := range ps {
		type nb struct {
			j  int
			d2 float64
		}
		var near []nb
		for j, q := range ps {
			dx, dy := q.x-p.x, q.y-p.y
			d2 := dx*dx + dy*dy
			if j != i && d2 >= descDistMin*descDistMin && d2 < maxD*maxD {
				near = append(near, nb{j, d2})
			}
		}
		sort.SliceStable(near, func(a, b int) bool { return near[a].d2 < near[b].d2 })
		for _, n := range near[:min(len(near), descNeighbours)] {
			q := ps[n.j]
			seg := math.Atan2(q.y-p.y, q.x-p.x)
			setFeature(&d, math.Sqrt(n.d2), wrapAngle(p.a-seg), wrapAngle(q.a-seg))
		}
	}
	return &d
}

func TestDescribeMatchesReference(t *testing.T) {
	for s := range uint64(50) {
		m := master(s)
		if got, want := describe(m, false), refDescribe(m); *got != *want {
			t.Fatalf("template %d: descriptor differs from the reference", s)
		}
	}
}

func BenchmarkDescribe(b *testing.B) {
	m := master(1)
	for b.Loop() {
		describe(m, false)
	}
}

func BenchmarkPrefilterScan(b *testing.B) {
	ds := make([]descriptor, 10000)
	for i := range ds {
		ds[i] = *describe(master(uint64(i%100)), false)
	}
	p := describe(master(5), true)
	for b.Loop() {
		n := 0
		for i := range ds {
			n += common(p, &ds[i])
		}
		_ = n
	}
}

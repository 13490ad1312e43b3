package accountability

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"

	"github.com/bixproject/bix/fingerprint"
	"github.com/bixproject/bix/synth"
)

func TestWilson(t *testing.T) {
	for _, tc := range []struct {
		e, n          int
		low, high, pv float64
	}{
		{0, 10, 0, 0.2775, 0},
		{5, 10, 0.2366, 0.7634, 0.5},
		{1, 100, 0.0018, 0.0545, 0.01},
	} {
		r := NewRate(tc.e, tc.n)
		if math.Abs(r.Low-tc.low) > 5e-4 || math.Abs(r.High-tc.high) > 5e-4 || r.Value != tc.pv {
			t.Errorf("NewRate(%d, %d) = %+v, want [%v, %v]", tc.e, tc.n, r, tc.low, tc.high)
		}
	}
	if r := NewRate(0, 0); r.Value != 0 || r.High != 0 {
		t.Errorf("empty rate %+v", r)
	}
}

func TestAgeBand(t *testing.T) {
	for age, want := range map[int]string{-1: "unknown", 6: "<14", 13: "<14", 14: "14-17", 17: "14-17", 18: "18-39", 59: "40-59", 60: "60+"} {
		if got := AgeBand(age); got != want {
			t.Errorf("AgeBand(%d) = %q, want %q", age, got, want)
		}
	}
}

// TestDemographicsSynthetic runs the extractor and matcher on a small
// labelled synthetic population and checks that the report adds up.
func TestDemographicsSynthetic(t *testing.T) {
	if testing.Short() {
		t.Skip("extracts 48 impressions")
	}
	ss, err := SynthSubjects(context.Background(), synth.PopulationSpec{Seed: 5, Size: 24, MinorShare: 0.3}, 2)
	if err != nil {
		t.Fatal(err)
	}
	// One subject fails to enrol: their enrolment template is lost.
	ss[0].Enrol = nil
	d := Analyse("synthetic", ss, fingerprint.DefaultThreshold, 0)
	if d.Overall.Subjects != 24 || d.Overall.FTE.Errors != 1 || d.Overall.FNMR.Trials != 23 || d.Overall.FMR.Trials != 23*22-countNoProbe(ss)*22 {
		t.Fatalf("overall %+v", d.Overall)
	}
	perDim := map[string]int{}
	imp := map[string]int{}
	for _, g := range d.Groups {
		perDim[g.Dimension] += g.Subjects
		n := 0
		for _, c := range g.Genuine {
			n += c
		}
		if n != g.FNMR.Trials {
			t.Errorf("%s %s: genuine histogram holds %d scores, FNMR counts %d", g.Dimension, g.Group, n, g.FNMR.Trials)
		}
		imp[g.Dimension] += g.FMR.Trials
		if g.FNMR.Value > 0.5 {
			t.Errorf("%s %s: FNMR %.2f on clean synthetic prints", g.Dimension, g.Group, g.FNMR.Value)
		}
	}
	for _, dim := range []string{"sex", "age", "nationality"} {
		if perDim[dim] != 24 {
			t.Errorf("%s groups hold %d subjects, want 24", dim, perDim[dim])
		}
		if imp[dim] > d.Overall.FMR.Trials {
			t.Errorf("%s: more within-group impostor pairs (%d) than pairs (%d)", dim, imp[dim], d.Overall.FMR.Trials)
		}
	}
	if d.Overall.GenuineMedian <= d.Overall.ImpostorMedian {
		t.Errorf("genuine median %.4f not above impostor median %.4f", d.Overall.GenuineMedian, d.Overall.ImpostorMedian)
	}
	var page bytes.Buffer
	if err := d.WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	if strings.Count(page.String(), "<svg") < 4 {
		t.Errorf("demographics page has %d charts", strings.Count(page.String(), "<svg"))
	}
}

func countNoProbe(ss []*Subject) int {
	n := 0
	for _, s := range ss[1:] {
		if s.Probe == nil {
			n++
		}
	}
	return n
}

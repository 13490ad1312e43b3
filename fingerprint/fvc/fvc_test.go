package fvc

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/bixproject/bix/fingerprint"
	"github.com/bixproject/bix/internal/shareddata"
)

func TestParseName(t *testing.T) {
	for _, c := range []struct {
		name   string
		finger string
		imp    int
		ok     bool
	}{
		{"101_1.tif", "101", 1, true},
		{"dir/a_b_12.iso", "a_b", 12, true},
		{"101.tif", "", 0, false},
		{"101_.tif", "", 0, false},
		{"_1.tif", "", 0, false},
		{"101_0.tif", "", 0, false},
		{"101_x.tif", "", 0, false},
	} {
		f, i, ok := ParseName(c.name)
		if f != c.finger || i != c.imp || ok != c.ok {
			t.Errorf("ParseName(%q) = %q, %d, %v", c.name, f, i, ok)
		}
	}
}

func items(fingers, imps int) []Item {
	var its []Item
	for f := 0; f < fingers; f++ {
		for i := 1; i <= imps; i++ {
			its = append(its, Item{Finger: fmt.Sprint(101 + f), Impression: i})
		}
	}
	return its
}

func TestProtocolCounts(t *testing.T) {
	its := items(10, 8)
	if g, i, a := len(Genuine(its)), len(ImpostorFVC(its)), len(ImpostorAll(its)); g != 280 || i != 45 || a != 2880 {
		t.Errorf("genuine %d, FVC impostor %d, all impostor %d; want 280, 45, 2880", g, i, a)
	}
	for _, p := range ImpostorFVC(its) {
		if its[p.A].Impression != 1 || its[p.B].Impression != 1 || its[p.A].Finger == its[p.B].Finger {
			t.Errorf("FVC impostor pair %v is not two first impressions of different fingers", p)
		}
	}
}

func TestCompute(t *testing.T) {
	for _, c := range []struct {
		name     string
		gen, imp []float64
		want     Rates
	}{
		{"separated", []float64{5, 6, 7, 8}, []float64{1, 2, 3, 4}, Rates{0, 0, 0, 0}},
		// One genuine below every impostor score: FNMR cannot fall below
		// 1/4 without accepting every impostor; FMR = FNMR = 1/4 at 4.
		{"one low genuine", []float64{0, 6, 7, 8}, []float64{1, 2, 3, 4}, Rates{0.25, 0.25, 0.25, 0.25}},
		// Fully overlapping.
		{"identical", []float64{1, 2}, []float64{1, 2}, Rates{0.5, 1, 1, 1}},
		// 100 impostors with one high: FMR 1 % allows it, 0.1 % does not.
		// FVC EER: t1 = 5 (FNMR 0, FMR 0.01) beats t2 = 7 (0.5, 0.01), so
		// the interval is [0, 0.01].
		{"one high impostor", []float64{5, 10}, append(make([]float64, 99), 7), Rates{0.005, 0, 0.5, 0.5}},
	} {
		got := Compute(c.gen, c.imp)
		if math.Abs(got.EER-c.want.EER) > 1e-9 || got.FMR100 != c.want.FMR100 || got.FMR1000 != c.want.FMR1000 || got.ZeroFMR != c.want.ZeroFMR {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
	if r := Compute(nil, []float64{1}); !math.IsNaN(r.EER) {
		t.Errorf("Compute with no genuine scores = %+v, want NaN", r)
	}
}

func TestParseXYT(t *testing.T) {
	tm, err := ParseXYT(strings.NewReader("10 20 90 50\n\n30 40 270 7\n"), 500)
	if err != nil {
		t.Fatal(err)
	}
	if len(tm.Minutiae) != 2 || tm.Resolution != 500 {
		t.Fatalf("%+v", tm)
	}
	// y flipped about the highest y (40).
	if m := tm.Minutiae[0]; m.X != 10 || m.Y != 20 || math.Abs(m.Angle-math.Pi/2) > 1e-12 || m.Quality != 50 {
		t.Errorf("minutia 0 = %+v", m)
	}
	if m := tm.Minutiae[1]; m.Y != 0 || m.Quality != 7 {
		t.Errorf("minutia 1 = %+v", m)
	}
	for _, bad := range []string{"1 2\n", "1 2 3 4 5\n", "a 2 3 4\n", "1 -2 3 4\n", "1 2 3 101\n"} {
		if _, err := ParseXYT(strings.NewReader(bad), 500); err == nil {
			t.Errorf("ParseXYT(%q) succeeded", bad)
		}
	}
}

// writeSynthetic writes fingers×imps .bixf templates: each finger a random
// minutiae set, each impression a rotated, shifted, noisy copy.
func writeSynthetic(t *testing.T, dir string, fingers, imps int) {
	rng := rand.New(rand.NewPCG(1, 1))
	for f := 0; f < fingers; f++ {
		type m struct{ x, y, a float64 }
		var base []m
		for len(base) < 40 {
			c := m{30 + rng.Float64()*240, 30 + rng.Float64()*340, rng.Float64() * 2 * math.Pi}
			ok := true
			for _, b := range base {
				if math.Hypot(b.x-c.x, b.y-c.y) < 15 {
					ok = false
				}
			}
			if ok {
				base = append(base, c)
			}
		}
		for i := 1; i <= imps; i++ {
			rot := (rng.Float64() - 0.5) * 0.6
			s, c := math.Sincos(rot)
			dx, dy := rng.NormFloat64()*10, rng.NormFloat64()*10
			tm := &fingerprint.Template{Width: 400, Height: 500, Resolution: 500}
			for _, b := range base {
				if rng.Float64() < 0.1 {
					continue
				}
				x, y := b.x-150, b.y-200
				tm.Minutiae = append(tm.Minutiae, fingerprint.Minutia{
					X:     int(x*c + y*s + 200 + dx + rng.NormFloat64()),
					Y:     int(-x*s + y*c + 250 + dy + rng.NormFloat64()),
					Angle: math.Mod(b.a+rot+4*math.Pi+rng.NormFloat64()*0.05, 2*math.Pi),
					Kind:  fingerprint.KindEnding,
				})
			}
			b, err := tm.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d_%d.bixf", 101+f, i)), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestRunSynthetic(t *testing.T) {
	dir := t.TempDir()
	writeSynthetic(t, dir, 6, 4)
	if err := os.WriteFile(filepath.Join(dir, "107_1.bixf"), []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Run(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Ext != ".bixf" || r.Images != 25 || r.Genuine != 36 || r.Impostor != 21 || r.ImpostorAll != 25*24/2-36 || r.FailedToExtract != 1 {
		t.Errorf("report %+v", r)
	}
	// The junk file's finger has one impression, so it adds only
	// impostor pairs, all scoring 0: the fingers stay separable.
	if r.EER != 0 || r.EERAll != 0 || r.ZeroFMRAll != 0 {
		t.Errorf("synthetic fingers not separated: EER %v, all %v, zero FMR %v", r.EER, r.EERAll, r.ZeroFMRAll)
	}
	if !(r.ComparePerSecCore > 0) {
		t.Errorf("compare_per_sec_core %v", r.ComparePerSecCore)
	}
	if _, err := Run(context.Background(), t.TempDir(), Options{}); err == nil {
		t.Error("Run on an empty folder succeeded")
	}
	if _, err := Run(context.Background(), dir, Options{Ext: ".tif"}); err == nil {
		t.Error("Run with no .tif files succeeded")
	}
}

// TestSharedFVC2002 runs the protocol on the ISO templates of FVC2002
// DB1_B..DB4_B and logs the rates (accuracy is reported by
// `bix bench fingerprint`, not asserted here beyond sanity).
func TestSharedFVC2002(t *testing.T) {
	base := shareddata.Require(t, "fingerprints", "fvc2002-b")
	for _, db := range []string{"DB1_B", "DB2_B", "DB3_B", "DB4_B"} {
		r, err := Run(context.Background(), filepath.Join(base, db), Options{Ext: ".iso"})
		if err != nil {
			t.Fatal(err)
		}
		if r.Images != 80 || r.Genuine != 280 || r.Impostor != 45 || r.ImpostorAll != 2880 || r.FailedToExtract != 0 {
			t.Errorf("%s: %+v", db, r)
		}
		if r.EERAll > 0.2 {
			t.Errorf("%s: all-pairs EER %.3f: matcher broken", db, r.EERAll)
		}
		t.Logf("%s: EER %.2f%% (all %.2f%%), FMR100 %.2f%%, FMR1000 %.2f%%, %.0f comparisons/s", db, 100*r.EER, 100*r.EERAll, 100*r.FMR100All, 100*r.FMR1000All, r.ComparePerSecCore)
	}
}

// TestDefaultThreshold recomputes fingerprint.DefaultThreshold: FMR 1e-4
// over the pooled cross-finger impostor scores of FVC2002 DB1_B..DB4_B,
// from the shared ISO templates and from the images through Extract
// (23,040 scores).
func TestDefaultThreshold(t *testing.T) {
	base := shareddata.Require(t, "fingerprints", "fvc2002-b")
	if testing.Short() {
		t.Skip("extracts 320 images")
	}
	extract := func(p string) (*fingerprint.Template, error) {
		img, err := fingerprint.LoadImage(p)
		if err != nil {
			return nil, err
		}
		return fingerprint.Extract(img, fingerprint.ExtractOptions{})
	}
	var pool []float64
	for _, db := range []string{"DB1_B", "DB2_B", "DB3_B", "DB4_B"} {
		for _, o := range []Options{{Ext: ".iso"}, {Ext: ".tif", Extract: extract}} {
			r, err := Run(context.Background(), filepath.Join(base, db), o)
			if err != nil {
				t.Fatal(err)
			}
			pool = append(pool, r.ImpostorAllScores...)
		}
	}
	th := fingerprint.ThresholdForFMR(pool, 1e-4)
	t.Logf("%d impostor scores: threshold %.4f at FMR 1e-4, %.4f at 1e-3, %.4f at 1e-2", len(pool), th, fingerprint.ThresholdForFMR(pool, 1e-3), fingerprint.ThresholdForFMR(pool, 1e-2))
	if d := math.Abs(th-fingerprint.DefaultThreshold) / th; d > 0.1 {
		t.Errorf("DefaultThreshold %.4f differs from the measured %.4f by %.0f %%", fingerprint.DefaultThreshold, th, 100*d)
	}
}

// TestReportJSONKeys pins the keys `bix bench fingerprint -json` prints.
func TestReportJSONKeys(t *testing.T) {
	b, err := json.Marshal(&Report{Dir: "d", Ext: ".iso", GenuineScores: []float64{1}})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var got []string
	for k := range m {
		got = append(got, k)
	}
	sort.Strings(got)
	want := []string{"compare_per_sec_core", "eer", "eer_all", "extract_ms_median", "failed_to_extract", "fmr100", "fmr1000", "fmr1000_all", "fmr100_all", "genuine", "images", "impostor", "impostor_all", "zero_fmr", "zero_fmr_all"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("JSON keys %v\nwant %v", got, want)
	}
}

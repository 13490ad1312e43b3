package synth

import (
	"fmt"
	"image"
	"io"
	"math"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/bixproject/bix/fingerprint"
	"github.com/bixproject/bix/fingerprint/fvc"
)

// Report is what a measurement found about an FVC-style set (fingers ×
// impressions): the numbers that say whether synthetic impressions behave
// like real ones under the project's extractor, quality measure and matcher.
type Report struct {
	// Source names the set and how templates were obtained.
	Source string
	Images int
	// FailedToExtract counts images Extract refused (their comparisons
	// score 0).
	FailedToExtract int
	// Minutiae per template: mean and 5th, 50th, 95th percentiles.
	MinutiaeMean float64
	Minutiae     [3]int
	// Quality is fingerprint.AssessQuality's score: 5th, 25th, 50th,
	// 75th, 95th percentiles (zero when not measured).
	Quality [5]int
	// Rates of fingerprint.Compare with the FVC protocol (genuine: all
	// pairs of a finger's impressions; impostor: first impressions of
	// different fingers) and with every cross-finger impostor pair.
	FVC, All fvc.Rates
	// ImpostorTail is the share of all cross-finger impostor scores at or
	// above fingerprint.DefaultThreshold (the matcher's FMR 1e-4 operating
	// point on FVC2002), and GenuineMiss the share of genuine scores below
	// it: the FMR and FNMR a deployment would see at that threshold.
	ImpostorTail, GenuineMiss float64
	// ImpostorMax is the highest cross-finger impostor score and
	// ImpostorAt1e3 the threshold fingerprint.ThresholdForFMR gives for
	// FMR 1e-3 over those scores (the score 0.1 % of impostors reach; 0.0127
	// on FVC2002 pooled).
	ImpostorMax, ImpostorAt1e3 float64
	// Median wall-clock costs of generation, when the set was generated.
	MasterMS, ImpressionMS float64

	// per-image measurements and scores, kept for Pool
	counts, quality []int
	tailN, impN     int
	missN, genN     int
	imp             []float64 // cross-finger impostor scores
}

// Pool returns one report of minutiae counts, quality and the tails at
// fingerprint.DefaultThreshold over the images and comparisons of rs
// together (each set's comparisons stay within the set), named source. Its
// error rates are not pooled: they are left zero, since thresholds differ
// from set to set.
func Pool(source string, rs ...Report) Report {
	p := Report{Source: source}
	for _, r := range rs {
		p.Images += r.Images
		p.FailedToExtract += r.FailedToExtract
		p.counts = append(p.counts, r.counts...)
		p.quality = append(p.quality, r.quality...)
		p.tailN += r.tailN
		p.impN += r.impN
		p.missN += r.missN
		p.genN += r.genN
		p.imp = append(p.imp, r.imp...)
	}
	p.summarize()
	return p
}

// summarize fills the percentiles and tail shares from the per-image
// measurements.
func (r *Report) summarize() {
	if r.impN > 0 {
		r.ImpostorTail = float64(r.tailN) / float64(r.impN)
	}
	if r.genN > 0 {
		r.GenuineMiss = float64(r.missN) / float64(r.genN)
	}
	if len(r.imp) > 0 {
		r.ImpostorMax = slices.Max(r.imp)
		r.ImpostorAt1e3 = fingerprint.ThresholdForFMR(r.imp, 1e-3)
	}
	if len(r.counts) == 0 {
		return
	}
	counts := append([]int(nil), r.counts...)
	quality := append([]int(nil), r.quality...)
	sum := 0
	for _, c := range counts {
		sum += c
	}
	r.MinutiaeMean = float64(sum) / float64(len(counts))
	sort.Ints(counts)
	sort.Ints(quality)
	r.Minutiae = [3]int{pctl(counts, 5), pctl(counts, 50), pctl(counts, 95)}
	if len(quality) > 0 && quality[len(quality)-1] > 0 {
		r.Quality = [5]int{pctl(quality, 5), pctl(quality, 25), pctl(quality, 50), pctl(quality, 75), pctl(quality, 95)}
	}
}

// Measure generates fingers × impressions of seed (finger f is
// NewFinger(FingerSeed(seed, f)), impression i its Impression(i, opt), as
// WriteFVC writes them), extracts each image with fingerprint.Extract, and
// measures minutiae counts, fingerprint.AssessQuality and the error rates of
// fingerprint.Compare.
func Measure(seed int64, fingers, impressions int, opt ImpressionOptions) Report {
	var mu sync.Mutex
	var masterT, impT []float64
	ms := make([]*Finger, fingers)
	parallelFor(fingers, func(f int) error {
		t0 := time.Now()
		ms[f] = NewFinger(FingerSeed(seed, f))
		ms[f].master()
		d := msec(time.Since(t0))
		mu.Lock()
		masterT = append(masterT, d)
		mu.Unlock()
		return nil
	})
	items := fvcItems(fingers, impressions)
	rep := measure(items, func(k int) (image.Image, *fingerprint.Template, error) {
		t0 := time.Now()
		img := ms[k/impressions].Impression(int64(k%impressions+1), opt)
		d := msec(time.Since(t0))
		mu.Lock()
		impT = append(impT, d)
		mu.Unlock()
		t, err := fingerprint.Extract(img, fingerprint.ExtractOptions{Resolution: 500})
		return img, t, err
	})
	rep.Source = fmt.Sprintf("synthetic seed %d, %d×%d, extracted", seed, fingers, impressions)
	rep.MasterMS, rep.ImpressionMS = median(masterT), median(impT)
	return rep
}

// MeasureTemplates is Measure with each impression's template taken from
// ImpressionTemplate instead of extracted from the image: the minutiae the
// generator put there, with extractor-like errors but without the
// extractor's own.
func MeasureTemplates(seed int64, fingers, impressions int, opt ImpressionOptions) Report {
	ms := make([]*Finger, fingers)
	parallelFor(fingers, func(f int) error {
		ms[f] = NewFinger(FingerSeed(seed, f))
		ms[f].masterMinutiae()
		return nil
	})
	rep := measure(fvcItems(fingers, impressions), func(k int) (image.Image, *fingerprint.Template, error) {
		return nil, ms[k/impressions].ImpressionTemplate(int64(k%impressions+1), opt), nil
	})
	rep.Source = fmt.Sprintf("synthetic seed %d, %d×%d, ImpressionTemplate", seed, fingers, impressions)
	return rep
}

// MeasureDir measures the FVC-style image set in dir (files F_I.ext with
// extension ext, such as ".tif") the way Measure measures a synthetic one.
func MeasureDir(dir, ext string) (Report, error) {
	items, err := fvc.Scan(dir, ext)
	if err != nil {
		return Report{}, err
	}
	rep := measure(items, func(k int) (image.Image, *fingerprint.Template, error) {
		img, err := fingerprint.LoadImage(items[k].Path)
		if err != nil {
			return nil, nil, err
		}
		t, err := fingerprint.Extract(img, fingerprint.ExtractOptions{Resolution: 500})
		return img, t, err
	})
	rep.Source = dir
	return rep, nil
}

func fvcItems(fingers, impressions int) []fvc.Item {
	items := make([]fvc.Item, 0, fingers*impressions)
	for f := 0; f < fingers; f++ {
		for i := 1; i <= impressions; i++ {
			items = append(items, fvc.Item{Finger: fmt.Sprint(f + 1), Impression: i})
		}
	}
	return items
}

// measure gets every item's image and template (in parallel) and computes
// the report. A nil image means quality is not measured.
func measure(items []fvc.Item, get func(k int) (image.Image, *fingerprint.Template, error)) Report {
	rep := Report{Images: len(items)}
	temps := make([]*fingerprint.Template, len(items))
	quality := make([]int, len(items))
	var failed int
	var mu sync.Mutex
	parallelFor(len(items), func(k int) error {
		img, t, err := get(k)
		if img != nil {
			quality[k] = fingerprint.AssessQuality(img).Score
		}
		if err != nil || t == nil {
			mu.Lock()
			failed++
			mu.Unlock()
			t = &fingerprint.Template{}
		}
		temps[k] = t
		return nil
	})
	rep.FailedToExtract = failed
	rep.counts = make([]int, len(temps))
	for i, t := range temps {
		rep.counts[i] = len(t.Minutiae)
	}
	rep.quality = quality
	if len(temps) == 0 {
		return rep
	}
	prepared := make([]*fingerprint.Prepared, len(temps))
	for i, t := range temps {
		prepared[i] = fingerprint.Prepare(t)
	}
	score := func(ps []fvc.Pair) []float64 {
		out := make([]float64, len(ps))
		parallelFor(len(ps), func(k int) error {
			out[k] = fingerprint.NewProbePrepared(prepared[ps[k].A]).Score(prepared[ps[k].B])
			return nil
		})
		return out
	}
	gen := score(fvc.Genuine(items))
	imp := score(fvc.ImpostorAll(items))
	rep.FVC = fvc.Compute(gen, score(fvc.ImpostorFVC(items)))
	rep.All = fvc.Compute(gen, imp)
	rep.genN, rep.impN = len(gen), len(imp)
	rep.imp = imp
	for _, s := range gen {
		if s < fingerprint.DefaultThreshold {
			rep.missN++
		}
	}
	for _, s := range imp {
		if s >= fingerprint.DefaultThreshold {
			rep.tailN++
		}
	}
	rep.summarize()
	return rep
}

// pctl returns the p-th percentile (nearest rank) of sorted x.
func pctl(x []int, p int) int {
	i := int(math.Ceil(float64(p)/100*float64(len(x)))) - 1
	return x[max(0, min(i, len(x)-1))]
}

// Write prints the report as a few lines of text.
func (r Report) Write(w io.Writer) {
	fmt.Fprintf(w, "%s: %d images, %d failed to extract\n", r.Source, r.Images, r.FailedToExtract)
	if r.genN > 0 && r.All != (fvc.Rates{}) {
		fmt.Fprintf(w, "  EER: FVC protocol %.2f %%, all pairs %.2f %% (FMR100 %.2f %%, FMR1000 %.2f %%)\n",
			100*r.FVC.EER, 100*r.All.EER, 100*r.All.FMR100, 100*r.All.FMR1000)
	}
	if r.impN > 0 {
		fmt.Fprintf(w, "  at DefaultThreshold %.4g: impostor scores above %.3f %% (%d of %d), genuine below %.2f %%\n",
			fingerprint.DefaultThreshold, 100*r.ImpostorTail, r.tailN, r.impN, 100*r.GenuineMiss)
		fmt.Fprintf(w, "  impostor tail: max %.4f, score at FMR 1e-3 %.4f\n", r.ImpostorMax, r.ImpostorAt1e3)
	}
	fmt.Fprintf(w, "  minutiae per image: mean %.1f, p5 %d, median %d, p95 %d\n", r.MinutiaeMean, r.Minutiae[0], r.Minutiae[1], r.Minutiae[2])
	if r.Quality != [5]int{} {
		fmt.Fprintf(w, "  quality (AssessQuality) p5/p25/p50/p75/p95: %d/%d/%d/%d/%d\n", r.Quality[0], r.Quality[1], r.Quality[2], r.Quality[3], r.Quality[4])
	}
	if r.MasterMS > 0 {
		fmt.Fprintf(w, "  median wall time: master %.0f ms, impression image %.1f ms\n", r.MasterMS, r.ImpressionMS)
	}
}

func msec(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func median(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	return s[len(s)/2]
}

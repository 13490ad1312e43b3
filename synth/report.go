package synth

import (
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/bixproject/bix/fingerprint"
	"github.com/bixproject/bix/fingerprint/fvc"
)

// Report is what Measure found about a synthetic FVC-style set.
type Report struct {
	Fingers, Impressions int
	// Minutiae per impression template: mean and 5th, 50th, 95th
	// percentiles.
	MinutiaeMean                    float64
	MinutiaeP5, MinutiaeP50, MinP95 int
	// Rates of fingerprint.Compare on the set: FVC protocol and all
	// cross-finger impostor pairs.
	FVC, All fvc.Rates
	// Median costs on one core.
	MasterMS, ImpressionMS, TemplateUS float64
}

// Measure generates fingers × impressions of seed, takes each impression's
// template with ImpressionTemplate, and measures minutiae counts, the
// matcher's error rates with the FVC protocol (genuine: all pairs of a
// finger's impressions; impostor: first impressions of different fingers)
// and with all cross-finger pairs, and generation costs.
func Measure(seed int64, fingers, impressions int, opt ImpressionOptions) Report {
	rep := Report{Fingers: fingers, Impressions: impressions}
	var masterT, impT, tmplT []float64
	items := make([]fvc.Item, 0, fingers*impressions)
	temps := make([]*fingerprint.Template, 0, fingers*impressions)
	var counts []int
	for f := 0; f < fingers; f++ {
		m := NewFinger(FingerSeed(seed, f))
		t0 := time.Now()
		m.masterMinutiae()
		masterT = append(masterT, ms(time.Since(t0)))
		for i := 1; i <= impressions; i++ {
			if i <= 2 {
				t1 := time.Now()
				m.Impression(int64(i), opt)
				impT = append(impT, ms(time.Since(t1)))
			}
			t2 := time.Now()
			t := m.ImpressionTemplate(int64(i), opt)
			tmplT = append(tmplT, ms(time.Since(t2))*1000)
			items = append(items, fvc.Item{Finger: fmt.Sprint(f + 1), Impression: i})
			temps = append(temps, t)
			counts = append(counts, len(t.Minutiae))
		}
	}
	sort.Ints(counts)
	s := 0
	for _, c := range counts {
		s += c
	}
	rep.MinutiaeMean = float64(s) / float64(len(counts))
	rep.MinutiaeP5 = counts[len(counts)*5/100]
	rep.MinutiaeP50 = counts[len(counts)/2]
	rep.MinP95 = counts[len(counts)*95/100]
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
	rep.FVC = fvc.Compute(gen, score(fvc.ImpostorFVC(items)))
	rep.All = fvc.Compute(gen, score(fvc.ImpostorAll(items)))
	rep.MasterMS, rep.ImpressionMS, rep.TemplateUS = median(masterT), median(impT), median(tmplT)
	return rep
}

// Write prints the report.
func (r Report) Write(w io.Writer) {
	fmt.Fprintf(w, "synthetic set: %d fingers × %d impressions (templates: ImpressionTemplate)\n", r.Fingers, r.Impressions)
	fmt.Fprintf(w, "minutiae per impression: mean %.1f, p5 %d, median %d, p95 %d\n", r.MinutiaeMean, r.MinutiaeP5, r.MinutiaeP50, r.MinP95)
	fmt.Fprintf(w, "fingerprint.Compare EER: FVC protocol %.2f %%, all pairs %.2f %% (FMR100 %.2f %%, FMR1000 %.2f %%)\n",
		100*r.FVC.EER, 100*r.All.EER, 100*r.All.FMR100, 100*r.All.FMR1000)
	fmt.Fprintf(w, "median cost per core: master %.0f ms, impression image %.1f ms, impression template %.0f µs\n", r.MasterMS, r.ImpressionMS, r.TemplateUS)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func median(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	return s[len(s)/2]
}

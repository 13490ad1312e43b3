package accountability

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/bixproject/bix/fingerprint"
	"github.com/bixproject/bix/synth"
)

// Demographic differential report, in the spirit of ISO/IEC 19795-10
// (quantifying biometric system performance variation across demographic
// groups): for each group of each demographic dimension, the
// failure-to-enrol rate, the genuine and impostor score distributions, and
// the false non-match and false match rates at the operating threshold,
// with 95 % Wilson intervals so that a small group's figures are not read
// as more precise than they are. Impostor pairs are counted within a group
// (both subjects in it), as the standard recommends: demographically
// matched impostors are the ones a deployed system actually meets.

// Subject is one labelled person of a benchmark: their demographics and
// two captures of the same finger (enrolment and probe).
type Subject struct {
	ID          string
	Sex         string
	Age         int // at capture; -1 unknown
	Nationality string
	// Enrol and Probe are the extracted templates; nil when extraction
	// failed (a failure to enrol, resp. to acquire).
	Enrol, Probe *fingerprint.Template
}

// AgeBand returns the band of an age: under 14 (the default age for a
// second examiner), 14-17, 18-39, 40-59, 60 and over, or "unknown".
func AgeBand(age int) string {
	switch {
	case age < 0:
		return "unknown"
	case age < 14:
		return "<14"
	case age < 18:
		return "14-17"
	case age < 40:
		return "18-39"
	case age < 60:
		return "40-59"
	}
	return "60+"
}

// ageOrder sorts age bands youngest first.
func ageOrder(band string) int {
	for i, b := range []string{"<14", "14-17", "18-39", "40-59", "60+"} {
		if b == band {
			return i
		}
	}
	return 99
}

// Rate is a proportion with its 95 % Wilson score interval.
type Rate struct {
	Errors int     `json:"errors"`
	Trials int     `json:"trials"`
	Value  float64 `json:"value"`
	Low    float64 `json:"low"`
	High   float64 `json:"high"`
}

// NewRate returns errors/trials with its Wilson interval (z = 1.96).
func NewRate(errs, trials int) Rate {
	r := Rate{Errors: errs, Trials: trials}
	if trials == 0 {
		return r
	}
	n, p, z := float64(trials), float64(errs)/float64(trials), 1.96
	d := 1 + z*z/n
	c := (p + z*z/(2*n)) / d
	h := z * math.Sqrt(p*(1-p)/n+z*z/(4*n*n)) / d
	r.Value, r.Low, r.High = p, math.Max(0, c-h), math.Min(1, c+h)
	return r
}

// GroupStats is one demographic group's performance.
type GroupStats struct {
	Dimension string `json:"dimension"` // sex | age | nationality
	Group     string `json:"group"`
	Subjects  int    `json:"subjects"`
	FTE       Rate   `json:"fte"`
	FNMR      Rate   `json:"fnmr"`
	FMR       Rate   `json:"fmr"`
	// GenuineMedian and ImpostorMedian summarise the distributions;
	// Genuine and Impostor are histograms over Bins.
	GenuineMedian  float64 `json:"genuine_median"`
	ImpostorMedian float64 `json:"impostor_median"`
	Genuine        []int   `json:"genuine_hist"`
	Impostor       []int   `json:"impostor_hist"`
}

// Demographics is the report.
type Demographics struct {
	Source    string        `json:"source"`
	Threshold float64       `json:"threshold"`
	Subjects  int           `json:"subjects"`
	Bins      []float64     `json:"bins"` // histogram bin edges (len = bins+1)
	Overall   GroupStats    `json:"overall"`
	Groups    []*GroupStats `json:"groups"`
	Elapsed   string        `json:"elapsed"`
}

// bins are the score histogram edges: finer near zero, where impostor
// scores and the threshold lie.
var bins = []float64{0, 0.005, 0.01, 0.015, 0.02, 0.03, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3, 0.5, 1}

func binOf(s float64) int {
	i := sort.SearchFloat64s(bins, s)
	if i > 0 && (i >= len(bins) || bins[i] != s) {
		i--
	}
	return min(max(i, 0), len(bins)-2)
}

// Analyse computes the report for subjects at threshold. Impostor
// comparisons are every ordered within-group pair (enrolment of one against
// probe of another), capped at maxImpostors per group by taking every k-th.
func Analyse(source string, subjects []*Subject, threshold float64, maxImpostors int) *Demographics {
	start := time.Now()
	d := &Demographics{Source: source, Threshold: threshold, Subjects: len(subjects), Bins: bins}
	dims := []struct {
		name string
		key  func(*Subject) string
	}{
		{"sex", func(s *Subject) string { return nonEmpty(s.Sex, "unknown") }},
		{"age", func(s *Subject) string { return AgeBand(s.Age) }},
		{"nationality", func(s *Subject) string { return nonEmpty(s.Nationality, "unknown") }},
	}
	d.Overall = *groupStats("all", "all", subjects, threshold, maxImpostors)
	for _, dim := range dims {
		groups := map[string][]*Subject{}
		for _, s := range subjects {
			groups[dim.key(s)] = append(groups[dim.key(s)], s)
		}
		names := make([]string, 0, len(groups))
		for g := range groups {
			names = append(names, g)
		}
		sort.Slice(names, func(i, j int) bool {
			if dim.name == "age" {
				return ageOrder(names[i]) < ageOrder(names[j])
			}
			return names[i] < names[j]
		})
		for _, g := range names {
			d.Groups = append(d.Groups, groupStats(dim.name, g, groups[g], threshold, maxImpostors))
		}
	}
	d.Elapsed = time.Since(start).Round(time.Millisecond).String()
	return d
}

func groupStats(dim, group string, ss []*Subject, threshold float64, maxImpostors int) *GroupStats {
	g := &GroupStats{Dimension: dim, Group: group, Subjects: len(ss), Genuine: make([]int, len(bins)-1), Impostor: make([]int, len(bins)-1)}
	fte := 0
	var enrolled []*Subject
	for _, s := range ss {
		if s.Enrol == nil {
			fte++
			continue
		}
		enrolled = append(enrolled, s)
	}
	g.FTE = NewRate(fte, len(ss))
	var gen, imp []float64
	fn := 0
	for _, s := range enrolled {
		if s.Probe == nil {
			// A probe that could not be acquired is a non-match.
			fn++
			gen = append(gen, 0)
			continue
		}
		sc := fingerprint.Compare(s.Probe, s.Enrol)
		gen = append(gen, sc)
		if sc < threshold {
			fn++
		}
	}
	g.FNMR = NewRate(fn, len(gen))
	pairs := len(enrolled) * (len(enrolled) - 1)
	step := 1
	if maxImpostors > 0 && pairs > maxImpostors {
		step = (pairs + maxImpostors - 1) / maxImpostors
	}
	fm, k := 0, 0
	for i, a := range enrolled {
		for j, b := range enrolled {
			if i == j || b.Probe == nil {
				continue
			}
			k++
			if k%step != 0 {
				continue
			}
			sc := fingerprint.Compare(b.Probe, a.Enrol)
			imp = append(imp, sc)
			if sc >= threshold {
				fm++
			}
		}
	}
	g.FMR = NewRate(fm, len(imp))
	for _, s := range gen {
		g.Genuine[binOf(s)]++
	}
	for _, s := range imp {
		g.Impostor[binOf(s)]++
	}
	g.GenuineMedian, g.ImpostorMedian = median(gen), median(imp)
	return g
}

func median(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// SynthSubjects generates a labelled synthetic population (package synth:
// persons carry sex, birth date and nationality) and extracts, for each
// person, an enrolment and a probe impression of finger position using
// the project's extractor on all cores. Ages are at spec.Now.
func SynthSubjects(ctx context.Context, spec synth.PopulationSpec, position int) ([]*Subject, error) {
	if position < 1 || position > 10 {
		return nil, fmt.Errorf("%w: finger position %d", ErrInvalid, position)
	}
	pop := synth.NewPopulation(spec)
	now := spec.Now
	if now.IsZero() {
		now = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	}
	out := make([]*Subject, len(pop.Persons))
	var wg sync.WaitGroup
	work := make(chan int)
	var firstErr error
	var mu sync.Mutex
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				p := pop.Persons[i]
				s := &Subject{ID: p.ID, Sex: p.Sex, Age: p.Age(now), Nationality: p.Nationality}
				f := p.Fingers[position-1]
				for k, dst := range []**fingerprint.Template{&s.Enrol, &s.Probe} {
					img := f.Impression(synth.SubSeed(p.Seed, uint64(500+k)), synth.ImpressionOptions{})
					t, err := fingerprint.Extract(img, fingerprint.ExtractOptions{})
					if err != nil && !errors.Is(err, fingerprint.ErrUnusable) {
						mu.Lock()
						firstErr = fmt.Errorf("person %s impression %d: %w", p.ID, k, err)
						mu.Unlock()
						continue
					}
					*dst = t
				}
				out[i] = s
			}
		}()
	}
	for i := range pop.Persons {
		if ctx.Err() != nil {
			break
		}
		work <- i
	}
	close(work)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, firstErr
}

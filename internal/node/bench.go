package node

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/bixproject/bix/fingerprint"
	"github.com/bixproject/bix/internal/gallery"
	"github.com/bixproject/bix/internal/store"
	"github.com/bixproject/bix/synth"
)

// BenchConfig configures RunIdentifyBench.
type BenchConfig struct {
	// Gallery is the number of finger templates (ten per person; default
	// 100,000).
	Gallery int
	// Probes1 and Probes10 are the numbers of mated one-finger and
	// ten-finger probes (defaults 50 and 20).
	Probes1, Probes10 int
	// Shortlist is the pre-filter shortlist (0: exhaustive search).
	Shortlist int
	// Workers is the number of search goroutines and GOMAXPROCS while
	// latency is timed (default 2: the 2-core target).
	Workers int
	// Masters is the number of distinct synth master fingers the gallery
	// is made from (default 1000; see RunIdentifyBench).
	Masters int
	// Seed makes the run reproducible.
	Seed int64
	// NoReference skips the exhaustive reference search (rank-1 agreement
	// is then reported as -1), for galleries too large to prepare whole.
	NoReference bool
	// Log, when not nil, receives progress lines.
	Log func(format string, args ...any)
}

// BenchReport is what RunIdentifyBench measured. Latencies are of the
// gallery search alone (no HTTP, no audit write), in milliseconds.
type BenchReport struct {
	Gallery          int     `json:"gallery"`
	Persons          int     `json:"persons"`
	P50ms1           float64 `json:"p50_ms_1finger"`
	P99ms1           float64 `json:"p99_ms_1finger"`
	P50ms10          float64 `json:"p50_ms_10finger"`
	P99ms10          float64 `json:"p99_ms_10finger"`
	BytesPerTemplate float64 `json:"bytes_per_template"`
	// Rank1Agreement is the fraction of probes whose rank-1 identity is
	// the same as an exhaustive search's (1 without the pre-filter).
	Rank1Agreement   float64 `json:"rank1_agreement"`
	Rank1Agreement1  float64 `json:"rank1_agreement_1finger"`
	Rank1Agreement10 float64 `json:"rank1_agreement_10finger"`
	// Rank1Mate is the fraction of probes whose rank-1 identity is the
	// probe's true mate.
	Rank1Mate float64 `json:"rank1_mate"`
	// LoadS is the time to open the node and load the gallery from the
	// store; WriteS the time to write the synthetic gallery.
	LoadS  float64 `json:"load_s"`
	WriteS float64 `json:"write_s"`
	// LoadCPUS is the process CPU time (user and system, all threads)
	// spent in the load (0 where it cannot be read).
	LoadCPUS float64 `json:"load_cpu_s"`
	// SameMasterMax is the highest score between templates of different
	// identities made from the same master finger (a check that the
	// warps make them distinct identities; compare fingerprint.DefaultThreshold).
	SameMasterMax float64 `json:"same_master_impostor_max"`
	// ExhaustiveP50ms1 is the baseline: the p50 latency of up to ten of the
	// one-finger probes searched exhaustively on the same cores (0 when
	// not measured).
	ExhaustiveP50ms1 float64 `json:"exhaustive_p50_ms_1finger,omitempty"`
	Shortlist        int     `json:"shortlist"`
	Workers          int     `json:"workers"`
	Probes1          int     `json:"probes_1finger"`
	Probes10         int     `json:"probes_10finger"`
	Masters          int     `json:"masters"`
}

// benchWarp is identity i's deformation of a master finger: an optional
// mirror, anisotropic scaling and two sinusoidal displacement waves, applied
// in the master's frame. Growing a synth master takes about 0.1 s, so a
// gallery of a million fingers is made from a thousand masters, each
// deformed into a thousand identities; the waves change the distances
// between minutiae within a matcher cylinder by tens of pixels, so that two
// deformations of one master do not match (SameMasterMax checks this: with
// waves of 16–30 px amplitude and 100–180 px wavelength, 300 same-master
// pairs scored at most 0.012, below fingerprint.DefaultThreshold, while
// mated impressions average 0.39; with 8–18 px waves 6 % of pairs matched).
type benchWarp struct {
	mirror   bool
	sx, sy   float64
	ax, ay   float64 // wave amplitudes, pixels
	kx, ky   [2]float64
	phx, phy float64
}

func newBenchWarp(seed int64, i int) benchWarp {
	r := rand.New(rand.NewPCG(uint64(seed), uint64(i)))
	wave := func() [2]float64 {
		lambda := 100 + 80*r.Float64()
		dir := r.Float64() * 2 * math.Pi
		k := 2 * math.Pi / lambda
		return [2]float64{k * math.Cos(dir), k * math.Sin(dir)}
	}
	return benchWarp{
		mirror: r.IntN(2) == 1,
		sx:     0.85 + 0.3*r.Float64(), sy: 0.85 + 0.3*r.Float64(),
		ax: 16 + 14*r.Float64(), ay: 16 + 14*r.Float64(),
		kx: wave(), ky: wave(),
		phx: r.Float64() * 2 * math.Pi, phy: r.Float64() * 2 * math.Pi,
	}
}

// benchPoint is a minutia in a y-up frame centred on the finger.
type benchPoint struct {
	x, y, a float64
	kind    fingerprint.Kind
}

// apply deforms points, turning each direction by the Jacobian.
func (w benchWarp) apply(ps []benchPoint) []benchPoint {
	out := make([]benchPoint, len(ps))
	for i, p := range ps {
		x, y := p.x, p.y
		dx, dy := math.Cos(p.a), math.Sin(p.a)
		if w.mirror {
			x, dx = -x, -dx
		}
		px := w.kx[0]*x + w.kx[1]*y + w.phx
		py := w.ky[0]*x + w.ky[1]*y + w.phy
		cxw, cyw := w.ax*math.Cos(px), w.ay*math.Cos(py)
		out[i] = benchPoint{
			x:    w.sx*x + w.ax*math.Sin(px),
			y:    w.sy*y + w.ay*math.Sin(py),
			a:    math.Atan2(cyw*w.ky[0]*dx+(w.sy+cyw*w.ky[1])*dy, (w.sx+cxw*w.kx[0])*dx+cxw*w.kx[1]*dy),
			kind: p.kind,
		}
	}
	return out
}

// impression simulates one capture of a (deformed) finger: a random
// placement (rotation σ 0.12 rad, shift σ 15 px), position and direction
// noise (σ 2 px, 0.06 rad), about one minutia in eight missed, a few
// spurious ones, cropped to a 400×448 sensor at 500 ppi; its orientation
// field is made from the finger's field samples under the same placement
// (benchField).
func benchImpression(m benchMaster, r *rand.Rand) *fingerprint.Template {
	ps := m.points
	const w, h = 400, 448
	t := &fingerprint.Template{Width: w, Height: h, Resolution: 500, Quality: 80}
	rot := r.NormFloat64() * 0.12
	tx, ty := r.NormFloat64()*15, r.NormFloat64()*15
	c, s := math.Cos(rot), math.Sin(rot)
	t.Field = benchField(m.field, w, h, c, s, tx, ty)
	add := func(x, y, a float64, k fingerprint.Kind) {
		ix, iy := int(math.Round(x+w/2)), int(math.Round(h/2-y))
		if ix < 8 || ix >= w-8 || iy < 8 || iy >= h-8 {
			return
		}
		a = math.Mod(a, 2*math.Pi)
		if a < 0 {
			a += 2 * math.Pi
		}
		t.Minutiae = append(t.Minutiae, fingerprint.Minutia{X: ix, Y: iy, Angle: a, Kind: k, Quality: 60})
	}
	for _, p := range ps {
		if r.Float64() < 0.12 {
			continue
		}
		x := c*p.x - s*p.y + tx + r.NormFloat64()*2
		y := s*p.x + c*p.y + ty + r.NormFloat64()*2
		add(x, y, p.a+rot+r.NormFloat64()*0.06, p.kind)
	}
	for range r.IntN(4) {
		add((r.Float64()-0.5)*w*0.8, (r.Float64()-0.5)*h*0.8, r.Float64()*2*math.Pi, fingerprint.KindEnding)
	}
	return t
}

// benchField is the orientation field of an impression w×h pixels whose
// field samples (centred, y up; see masterPoints) are placed by the
// rotation (c, s) and shift (tx, ty): per block of fingerprint.FieldBlock
// pixels the mean of the doubled-angle vectors of the samples that land in
// it, with that mean's length as coherence; a block no sample reached but
// at least five of its eight neighbours did (a warp can stretch the finger
// more than the samples' spacing) takes their mean.
func benchField(samples []benchPoint, w, h int, c, s, tx, ty float64) *fingerprint.OrientationField {
	const b = fingerprint.FieldBlock
	fw, fh := (w+b-1)/b, (h+b-1)/b
	sum := make([][3]float64, fw*fh) // Σ cos 2a, Σ sin 2a, count
	// the placement turns directions by the rotation's angle
	rc, rs := c*c-s*s, 2*s*c // cos 2rot, sin 2rot
	for _, p := range samples {
		x := c*p.x - s*p.y + tx + float64(w)/2
		y := float64(h)/2 - (s*p.x + c*p.y + ty)
		if x < 0 || y < 0 || x >= float64(w) || y >= float64(h) {
			continue
		}
		k := int(y)/b*fw + int(x)/b
		ds, dc := math.Sincos(2 * p.a)
		sum[k] = [3]float64{sum[k][0] + dc*rc - ds*rs, sum[k][1] + ds*rc + dc*rs, sum[k][2] + 1}
	}
	f := &fingerprint.OrientationField{Width: fw, Height: fh, Dir: make([]uint8, fw*fh), Coherence: make([]uint8, fw*fh)}
	for j := range fh {
		for i := range fw {
			v := sum[j*fw+i]
			if v[2] == 0 {
				n := 0
				for dj := -1; dj <= 1; dj++ {
					for di := -1; di <= 1; di++ {
						if ii, jj := i+di, j+dj; ii >= 0 && jj >= 0 && ii < fw && jj < fh && sum[jj*fw+ii][2] > 0 {
							u := sum[jj*fw+ii]
							v = [3]float64{v[0] + u[0]/u[2], v[1] + u[1]/u[2], v[2] + 1}
							n++
						}
					}
				}
				if n < 5 {
					continue
				}
			}
			length := math.Hypot(v[0], v[1]) / v[2]
			f.Dir[j*fw+i] = fingerprint.FieldDegrees(math.Atan2(v[1], v[0]) / 2)
			f.Coherence[j*fw+i] = uint8(max(1, math.Round(230*length)))
		}
	}
	return f
}

// benchMaster is a master finger as the bench uses it: its minutiae and
// samples of its orientation field (directions in [0, π) as a), both
// centred on the minutiae's centroid, y up.
type benchMaster struct {
	points, field []benchPoint
}

// benchFieldStep is the spacing, in master pixels, of a master's field
// samples: half a field block, so that a block of an impression holds
// about four.
const benchFieldStep = fingerprint.FieldBlock / 2

// benchSet makes the bench's templates.
type benchSet struct {
	cfg     BenchConfig
	masters []benchMaster
}

func masterPoints(f *synth.Finger) benchMaster {
	ms := f.Minutiae()
	var cx, cy float64
	for _, m := range ms {
		cx += float64(m.X)
		cy += float64(m.Y)
	}
	if len(ms) > 0 {
		cx, cy = cx/float64(len(ms)), cy/float64(len(ms))
	}
	ps := make([]benchPoint, len(ms))
	for i, m := range ms {
		ps[i] = benchPoint{float64(m.X) - cx, cy - float64(m.Y), m.Angle, m.Kind}
	}
	var field []benchPoint
	mw, mh := f.Size()
	for y := benchFieldStep / 2.0; y < float64(mh); y += benchFieldStep {
		for x := benchFieldStep / 2.0; x < float64(mw); x += benchFieldStep {
			if a, ok := f.Orientation(x, y); ok {
				field = append(field, benchPoint{x: x - cx, y: cy - y, a: a})
			}
		}
	}
	return benchMaster{points: ps, field: field}
}

// template is impression imp of finger i: master i mod Masters under
// identity i's deformation.
func (b *benchSet) template(i int, imp uint64) *fingerprint.Template {
	m, w := b.masters[i%len(b.masters)], newBenchWarp(b.cfg.Seed, i)
	t := benchImpression(benchMaster{points: w.apply(m.points), field: w.apply(m.field)}, rand.New(rand.NewPCG(uint64(i), imp)))
	t.Position = i%10 + 1
	return t
}

// galleryTemplate is template i as enrolled; probeTemplate another
// impression of the same finger.
func (b *benchSet) galleryTemplate(i int) *fingerprint.Template { return b.template(i, 1) }

func (b *benchSet) probeTemplate(i int) *fingerprint.Template { return b.template(i, 2) }

// write stores persons identities of ten gallery templates each (one
// encounter and data key per identity, as enrollment does) into the store in
// dir, one transaction per 1,000 persons, and returns the person ids.
// progress, if not nil, is called every 20,000 persons and at the end.
func (b *benchSet) write(ctx context.Context, dir string, kek *store.KEK, persons int, progress func(templates int)) ([]string, error) {
	st, err := store.Open(ctx, dir, kek)
	if err != nil {
		return nil, err
	}
	ids, err := b.writeTo(ctx, st, persons, progress)
	if cerr := st.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("bench gallery: %w", cerr)
	}
	return ids, err
}

func (b *benchSet) writeTo(ctx context.Context, st *store.Store, persons int, progress func(templates int)) ([]string, error) {
	ids := make([]string, persons)
	const batch = 1000
	for p0 := 0; p0 < persons; p0 += batch {
		p1 := min(persons, p0+batch)
		enc := make([]storedFinger, (p1-p0)*10)
		var encErr error
		var mu sync.Mutex
		parallel(len(enc), func(k int) {
			sf, err := storeFinger(b.galleryTemplate(p0*10 + k))
			if err != nil {
				mu.Lock()
				encErr = err
				mu.Unlock()
			}
			enc[k] = sf
		})
		if encErr != nil {
			return nil, fmt.Errorf("bench gallery: %w", encErr)
		}
		err := st.Update(ctx, func(tx *store.Tx) error {
			for p := p0; p < p1; p++ {
				ids[p] = uuid.NewString()
				key, err := tx.NewDataKey(ctx)
				if err != nil {
					return err
				}
				if err := tx.InsertPerson(ctx, &store.Person{ID: ids[p], Status: store.PersonActive}); err != nil {
					return err
				}
				e := &store.Encounter{ID: uuid.NewString(), PersonID: ids[p], CapturedAt: time.Now(), Officer: "bench", Source: "bench", Status: store.EncounterEnrolled, KeyID: key.ID}
				if err := tx.InsertEncounter(ctx, e); err != nil {
					return err
				}
				for f := range 10 {
					sm := &store.Sample{ID: uuid.NewString(), EncounterID: e.ID, Modality: "finger", Position: f + 1, Quality: 80, Status: store.SampleOK}
					if err := tx.InsertSample(ctx, key, sm); err != nil {
						return err
					}
					if err := tx.InsertTemplate(ctx, key, &store.Template{ID: uuid.NewString(), SampleID: sm.ID, EncounterID: e.ID, PersonID: ids[p],
						Modality: "finger", Position: f + 1, Format: templateFormat, Data: enc[(p-p0)*10+f].data, Index: enc[(p-p0)*10+f].index}); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("bench gallery: %w", err)
		}
		if progress != nil && (p1%20000 == 0 || p1 == persons) {
			progress(p1 * 10)
		}
	}
	return ids, nil
}

func parallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	w := runtime.GOMAXPROCS(0)
	for k := range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := k; i < n; i += w {
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// RunIdentifyBench measures 1:N identification: it writes a synthetic
// gallery of cfg.Gallery finger templates (ten fingers per person; synth
// master fingers deformed into distinct identities, see benchWarp) into a
// node's store in a temporary directory, reopens the node timing the load,
// times mated one- and ten-finger probes with cfg.Workers cores, measures
// the gallery's heap per template and, with the pre-filter on, compares each
// probe's rank-1 identity with an exhaustive search on all cores.
func RunIdentifyBench(ctx context.Context, cfg BenchConfig) (*BenchReport, error) {
	if cfg.Gallery <= 0 {
		cfg.Gallery = 100000
	}
	cfg.Gallery -= cfg.Gallery % 10
	if cfg.Gallery == 0 {
		return nil, fmt.Errorf("gallery of %d templates: need at least 10", cfg.Gallery)
	}
	if cfg.Probes1 <= 0 {
		cfg.Probes1 = 50
	}
	if cfg.Probes10 <= 0 {
		cfg.Probes10 = 20
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	if cfg.Masters <= 0 {
		cfg.Masters = 1000
	}
	cfg.Masters = min(cfg.Masters, cfg.Gallery)
	logf := cfg.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	rep := &BenchReport{Gallery: cfg.Gallery, Persons: cfg.Gallery / 10, Shortlist: cfg.Shortlist, Workers: cfg.Workers,
		Probes1: cfg.Probes1, Probes10: cfg.Probes10, Masters: cfg.Masters}
	dir, err := os.MkdirTemp("", "bix-bench-identify-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	kek, err := store.ParseKEK(store.GenerateKeyText())
	if err != nil {
		return nil, err
	}

	// Masters, grown on all cores.
	start := time.Now()
	b := &benchSet{cfg: cfg, masters: make([]benchMaster, cfg.Masters)}
	parallel(cfg.Masters, func(f int) {
		b.masters[f] = masterPoints(synth.NewFinger(synth.FingerSeed(cfg.Seed, f)))
	})
	logf("grew %d master fingers in %.1fs", cfg.Masters, time.Since(start).Seconds())

	// Write the gallery: one transaction per 1,000 persons.
	start = time.Now()
	persons, err := b.write(ctx, dir, kek, rep.Persons, func(done int) {
		logf("wrote %d of %d templates (%.1fs)", done, cfg.Gallery, time.Since(start).Seconds())
	})
	if err != nil {
		return nil, err
	}
	rep.WriteS = time.Since(start).Seconds()

	// Load: open the node as bix serve does.
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	start = time.Now()
	cpu0 := processCPU()
	n, err := Open(ctx, Config{DataDir: dir, KEK: kek, Workers: cfg.Workers, Shortlist: cfg.Shortlist}, nil)
	if err != nil {
		return nil, err
	}
	defer n.Close()
	rep.LoadS = time.Since(start).Seconds()
	rep.LoadCPUS = (processCPU() - cpu0).Seconds()
	runtime.GC()
	runtime.ReadMemStats(&m1)
	rep.BytesPerTemplate = float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc)) / float64(cfg.Gallery)
	logf("loaded %d templates in %.1fs (%.1fs CPU), %.0f bytes per template", n.Gallery().Len(), rep.LoadS, rep.LoadCPUS, rep.BytesPerTemplate)

	// Probes.
	r := rand.New(rand.NewPCG(uint64(cfg.Seed), 99))
	type probe struct {
		samples []gallery.Sample
		mate    string
	}
	var probes []probe
	for range cfg.Probes1 {
		i := r.IntN(cfg.Gallery)
		probes = append(probes, probe{[]gallery.Sample{{Position: i%10 + 1, Template: b.probeTemplate(i)}}, persons[i/10]})
	}
	for range cfg.Probes10 {
		p := r.IntN(rep.Persons)
		var s []gallery.Sample
		for f := range 10 {
			s = append(s, gallery.Sample{Position: f + 1, Template: b.probeTemplate(p*10 + f)})
		}
		probes = append(probes, probe{s, persons[p]})
	}

	// Latency with cfg.Workers cores.
	prev := runtime.GOMAXPROCS(cfg.Workers)
	lat := make([]float64, len(probes))
	top := make([]string, len(probes))
	for k, pr := range probes {
		t0 := time.Now()
		c, err := n.Gallery().Identify(ctx, pr.samples, gallery.Options{MaxCandidates: 10})
		lat[k] = float64(time.Since(t0).Microseconds()) / 1000
		if err != nil {
			runtime.GOMAXPROCS(prev)
			return nil, err
		}
		if len(c) > 0 {
			top[k] = c[0].PersonID
		}
	}
	runtime.GOMAXPROCS(prev)
	rep.P50ms1, rep.P99ms1 = percentile(lat[:cfg.Probes1], 0.5), percentile(lat[:cfg.Probes1], 0.99)
	rep.P50ms10, rep.P99ms10 = percentile(lat[cfg.Probes1:], 0.5), percentile(lat[cfg.Probes1:], 0.99)
	mates := 0
	for k, pr := range probes {
		if top[k] == pr.mate {
			mates++
		}
	}
	rep.Rank1Mate = float64(mates) / float64(len(probes))
	logf("latency p50 %.1f ms (1 finger), %.1f ms (10 fingers); rank-1 is the mate for %d of %d probes", rep.P50ms1, rep.P50ms10, mates, len(probes))

	// Distinctness of identities made from one master.
	for k := 0; k+cfg.Masters < cfg.Gallery && k < 200*cfg.Masters; k += cfg.Masters + 1 {
		a := b.galleryTemplate(k)
		c := b.galleryTemplate(k + cfg.Masters)
		rep.SameMasterMax = max(rep.SameMasterMax, fingerprint.Compare(a, c))
	}

	// Rank-1 agreement with an exhaustive search on all cores.
	rep.Rank1Agreement, rep.Rank1Agreement1, rep.Rank1Agreement10 = 1, 1, 1
	if cfg.Shortlist > 0 && cfg.NoReference {
		rep.Rank1Agreement, rep.Rank1Agreement1, rep.Rank1Agreement10 = -1, -1, -1
	}
	if cfg.Shortlist > 0 && !cfg.NoReference {
		start = time.Now()
		ref := gallery.New(runtime.GOMAXPROCS(0))
		_, err := n.Store().ScanTemplatesParallel(ctx, runtime.GOMAXPROCS(0), func(_ int, t *store.Template) error {
			r, _, err := readyFinger(ref, t)
			if err != nil {
				return err
			}
			return ref.AddPending([]gallery.Pending{r})
		}, nil)
		if err != nil {
			return nil, err
		}
		logf("exhaustive reference gallery prepared in %.1fs", time.Since(start).Seconds())
		// Baseline: exhaustive one-finger latency on the same cores.
		ref.SetWorkers(cfg.Workers)
		prev := runtime.GOMAXPROCS(cfg.Workers)
		var base []float64
		for _, pr := range probes[:min(10, cfg.Probes1)] {
			t0 := time.Now()
			if _, err := ref.Identify(ctx, pr.samples, gallery.Options{MaxCandidates: 10}); err != nil {
				runtime.GOMAXPROCS(prev)
				return nil, err
			}
			base = append(base, float64(time.Since(t0).Microseconds())/1000)
		}
		runtime.GOMAXPROCS(prev)
		ref.SetWorkers(runtime.GOMAXPROCS(0))
		rep.ExhaustiveP50ms1 = percentile(base, 0.5)
		logf("exhaustive one-finger p50 %.1f ms on %d cores", rep.ExhaustiveP50ms1, cfg.Workers)
		agree1, agree10 := 0, 0
		for k, pr := range probes {
			c, err := ref.Identify(ctx, pr.samples, gallery.Options{MaxCandidates: 1})
			if err != nil {
				return nil, err
			}
			if len(c) > 0 && c[0].PersonID == top[k] {
				if k < cfg.Probes1 {
					agree1++
				} else {
					agree10++
				}
			}
		}
		rep.Rank1Agreement1 = float64(agree1) / float64(cfg.Probes1)
		rep.Rank1Agreement10 = float64(agree10) / float64(cfg.Probes10)
		rep.Rank1Agreement = float64(agree1+agree10) / float64(len(probes))
		logf("rank-1 agreement with exhaustive search: %d/%d one-finger, %d/%d ten-finger (%.1fs)", agree1, cfg.Probes1, agree10, cfg.Probes10, time.Since(start).Seconds())
	}
	return rep, nil
}

// percentile returns the q-quantile of v (nearest rank).
func percentile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	k := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(0, min(k, len(s)-1))]
}

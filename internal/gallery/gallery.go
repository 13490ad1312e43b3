// Package gallery is the node's in-memory biometric gallery: the templates of
// every identity, searched 1:N in parallel on all cores (identification,
// deduplication, watchlist checks) or 1:1 against one identity
// (verification), with multi-finger score fusion and thresholds set from a
// target false positive identification rate.
//
// The gallery holds matcher-prepared templates (fingerprint.Prepared) and
// never touches the store: the node loads it from the store at start and
// keeps it in step with every committed enrollment and decision.
package gallery

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/bixproject/bix/fingerprint"
)

// Modality names a biometric modality. Fingers are searched by Identify;
// faces, alone or with fingers, by IdentifyFused (see fusion.go).
type Modality string

// Modalities.
const (
	Finger Modality = "finger"
	Face   Modality = "face"
)

// Sample is one probe or gallery sample: a finger template and its position
// (ANSI/NIST-ITL finger position code, 0 when unknown).
type Sample struct {
	Position int
	Template *fingerprint.Template
}

// entry is one gallery template.
type entry struct {
	person int32 // index into g.persons
	t      *slot
}

// slot holds one template: prepared for the matcher (always without the
// pre-filter; with it, when the template came with its index entry, or else
// prepared on first use and cached up to the cache limit), and for the
// pre-filter its descriptor and, when not prepared, compact encoding.
type slot struct {
	prep atomic.Pointer[fingerprint.Prepared]
	desc *descriptor
	w    float32
	enc  []byte                // BIXF encoding (pre-filter mode)
	tmpl *fingerprint.Template // when enc could not be made
}

// prepared returns the slot's matcher form, computing it if needed.
func (g *Gallery) prepared(s *slot) *fingerprint.Prepared {
	if p := s.prep.Load(); p != nil {
		return p
	}
	t := s.tmpl
	if t == nil {
		t = new(fingerprint.Template)
		if err := t.UnmarshalBinary(s.enc); err != nil {
			t = nil // cannot happen: enc came from MarshalBinary
		}
	}
	p := fingerprint.Prepare(t)
	if g.cached.Add(1) <= int64(g.cacheLimit) {
		s.prep.Store(p)
	} else {
		g.cached.Add(-1)
	}
	return p
}

// person is one identity's slot.
type person struct {
	id        string
	templates []string // finger template ids, for removal
	faces     []string // face template ids
	removed   bool
}

// has reports whether the person holds templates of any modality.
func (p *person) has() bool { return len(p.templates)+len(p.faces) > 0 }

// Gallery is an in-memory gallery. It is safe for concurrent use: searches
// run concurrently with each other; Add, Remove and Merge wait for running
// searches.
type Gallery struct {
	mu       sync.RWMutex
	byPos    [11][]entry // finger position 0..10 → templates
	where    map[string]loc
	persons  []person
	personIx map[string]int32
	live     int // persons with at least one template and not removed
	n        int // templates
	workers  int

	shortlist  int          // pre-filter shortlist size; 0: exhaustive
	cacheLimit int          // most prepared templates cached in pre-filter mode
	cached     atomic.Int64 // prepared templates cached

	faces faceSet // face embeddings (face.go)
}

// Config configures a gallery.
type Config struct {
	// Workers is the number of goroutines a search uses
	// (runtime.GOMAXPROCS when <= 0).
	Workers int
	// Shortlist, when positive, turns on the pre-filter: a search
	// compares with the MCC matcher only the Shortlist/len(probe)
	// identities whose pre-filter descriptors agree best with the probe
	// (see scoreShortlist and prefilter.go); templates added with their
	// index entry (Ready) are kept prepared, others compact and prepared
	// for the matcher on first use. 0 compares with every template
	// (exhaustive).
	Shortlist int
	// CacheLimit caps the templates prepared on first use that are kept
	// in pre-filter mode (default 200,000).
	CacheLimit int
}

// loc is where a template id sits.
type loc struct {
	pos int
	i   int
}

// New returns an empty gallery that searches with workers goroutines
// (runtime.GOMAXPROCS when workers <= 0).
func New(workers int) *Gallery {
	return NewWith(Config{Workers: workers})
}

// NewWith returns an empty gallery configured by c.
func NewWith(c Config) *Gallery {
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.CacheLimit <= 0 {
		c.CacheLimit = 200000
	}
	return &Gallery{where: map[string]loc{}, personIx: map[string]int32{}, workers: c.Workers, shortlist: max(0, c.Shortlist), cacheLimit: c.CacheLimit}
}

// newSlot makes the slot for template t as the gallery's mode needs it,
// taking the prepared form and the pre-filter descriptor from index when it
// is a current entry made by Index. With the pre-filter, a template that
// comes with its entry is kept prepared (its memory is what the exhaustive
// gallery spends on every template); one without is kept compact and
// prepared on first use.
func (g *Gallery) newSlot(t *fingerprint.Template, index []byte) *slot {
	if s, ok := g.indexedSlot(index); ok {
		return s
	}
	s := new(slot)
	if g.shortlist == 0 {
		s.prep.Store(fingerprint.Prepare(t))
		return s
	}
	s.desc = describe(t, false)
	s.w = s.desc.weight()
	if enc, err := t.MarshalBinary(); err == nil {
		s.enc = enc
	} else {
		s.tmpl = t
	}
	return s
}

// ErrPosition is returned for a finger position outside 0..10.
var ErrPosition = errors.New("finger position out of range 0..10")

// Add adds template templateID of personID at finger position pos. Adding a
// template id twice is an error.
// The template is prepared (or described, with the pre-filter) before the
// gallery is locked, so concurrent Adds use all cores.
func (g *Gallery) Add(personID, templateID string, pos int, t *fingerprint.Template) error {
	r, err := g.Ready(personID, templateID, pos, t, nil)
	if err != nil {
		return err
	}
	return g.AddPending([]Pending{r})
}

// Pending is a finger template made ready for the gallery by Gallery.Ready
// (prepared for the matcher, or described for the pre-filter), to be added
// with others under one lock by AddPending.
type Pending struct {
	personID, templateID string
	pos                  int
	s                    *slot
}

// Ready prepares template templateID of personID at finger position pos for
// AddPending, as Add does, without locking the gallery: loaders call it on
// every core and add the results in batches. index is t's entry as Index
// made it when the template was stored, or nil; a current entry saves
// preparing (and, with the pre-filter, describing) t again, nearly all of
// the cost of loading a gallery, and any other (nil, another version,
// damaged) is ignored.
func (g *Gallery) Ready(personID, templateID string, pos int, t *fingerprint.Template, index []byte) (Pending, error) {
	if pos < 0 || pos > 10 {
		return Pending{}, fmt.Errorf("template %s: %w: %d", templateID, ErrPosition, pos)
	}
	return Pending{personID: personID, templateID: templateID, pos: pos, s: g.newSlot(t, index)}, nil
}

// ErrNoIndex is returned by ReadyFromIndex for an index entry it cannot
// use (none, another version, damaged).
var ErrNoIndex = errors.New("no current gallery index entry")

// ReadyFromIndex is Ready from template templateID's index entry alone,
// without the template, so that loaders holding entries made by Index
// need not decode the templates. It fails with ErrNoIndex when the entry
// cannot be used; the caller then decodes the template and calls Ready.
func (g *Gallery) ReadyFromIndex(personID, templateID string, pos int, index []byte) (Pending, error) {
	if pos < 0 || pos > 10 {
		return Pending{}, fmt.Errorf("template %s: %w: %d", templateID, ErrPosition, pos)
	}
	s, ok := g.indexedSlot(index)
	if !ok {
		return Pending{}, fmt.Errorf("template %s: %w", templateID, ErrNoIndex)
	}
	return Pending{personID: personID, templateID: templateID, pos: pos, s: s}, nil
}

// indexedSlot makes the slot for a template from its index entry: prepared,
// and with the pre-filter described; false when the entry cannot be used.
func (g *Gallery) indexedSlot(index []byte) (*slot, bool) {
	d, p, ok := indexEntry(index)
	if !ok {
		return nil, false
	}
	s := new(slot)
	s.prep.Store(p)
	if g.shortlist > 0 {
		s.desc, s.w = d, d.weight()
	}
	return s, true
}

// AddPending adds templates made ready by Ready under one lock, in order. A
// template id already in the gallery (or twice in rs) is not added again;
// the others are, and the error names every refused one.
func (g *Gallery) AddPending(rs []Pending) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	var errs []error
	for _, r := range rs {
		if err := g.addLocked(r); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// addLocked adds r (g.mu held).
func (g *Gallery) addLocked(r Pending) error {
	if _, dup := g.where[r.templateID]; dup {
		return fmt.Errorf("template %s already in the gallery", r.templateID)
	}
	if _, dup := g.faces.where[r.templateID]; dup {
		return fmt.Errorf("template %s already in the gallery", r.templateID)
	}
	pi := g.slot(r.personID)
	pr := &g.persons[pi]
	if !pr.has() {
		g.live++
	}
	pr.templates = append(pr.templates, r.templateID)
	g.where[r.templateID] = loc{r.pos, len(g.byPos[r.pos])}
	g.byPos[r.pos] = append(g.byPos[r.pos], entry{person: pi, t: r.s})
	g.n++
	return nil
}

func (g *Gallery) slot(personID string) int32 {
	if pi, ok := g.personIx[personID]; ok {
		if g.persons[pi].removed {
			g.persons[pi].removed = false
		}
		return pi
	}
	pi := int32(len(g.persons))
	g.persons = append(g.persons, person{id: personID})
	g.personIx[personID] = pi
	return pi
}

// Remove takes every template of personID, of every modality, out of the
// gallery (erasure). It reports whether the person was present.
func (g *Gallery) Remove(personID string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	pi, ok := g.personIx[personID]
	if !ok || !g.persons[pi].has() {
		return false
	}
	for _, tid := range g.persons[pi].templates {
		g.removeTemplate(tid)
	}
	for _, tid := range g.persons[pi].faces {
		g.removeFace(tid)
	}
	g.persons[pi].templates, g.persons[pi].faces = nil, nil
	g.live--
	return true
}

// removeTemplate swaps the template out of its position slice.
func (g *Gallery) removeTemplate(tid string) {
	l, ok := g.where[tid]
	if !ok {
		return
	}
	s := g.byPos[l.pos]
	last := len(s) - 1
	if l.i != last {
		s[l.i] = s[last]
		// Find the moved entry's template id: it is the one whose loc
		// points at last. Persons hold few templates, so scan them.
		moved := &g.persons[s[l.i].person]
		for _, id := range moved.templates {
			if w := g.where[id]; w.pos == l.pos && w.i == last {
				g.where[id] = loc{l.pos, l.i}
				break
			}
		}
	}
	s[last] = entry{}
	g.byPos[l.pos] = s[:last]
	delete(g.where, tid)
	g.n--
}

// Merge moves every template of from to into (an examiner decided they are
// the same person).
func (g *Gallery) Merge(from, into string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	fi, ok := g.personIx[from]
	if !ok || !g.persons[fi].has() || from == into {
		return
	}
	ii := g.slot(into)
	if !g.persons[ii].has() {
		g.live++
	}
	for _, tid := range g.persons[fi].templates {
		l := g.where[tid]
		g.byPos[l.pos][l.i].person = ii
	}
	for _, tid := range g.persons[fi].faces {
		g.faces.owner[g.faces.where[tid]] = ii
	}
	g.persons[ii].templates = append(g.persons[ii].templates, g.persons[fi].templates...)
	g.persons[ii].faces = append(g.persons[ii].faces, g.persons[fi].faces...)
	g.persons[fi].templates, g.persons[fi].faces = nil, nil
	g.live--
}

// SetWorkers sets the number of goroutines searches use
// (runtime.GOMAXPROCS when workers <= 0).
func (g *Gallery) SetWorkers(workers int) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	g.mu.Lock()
	g.workers = workers
	g.mu.Unlock()
}

// Len returns the number of templates in the gallery, of every modality.
func (g *Gallery) Len() int {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.n + len(g.faces.ids)
}

// Persons returns the number of identities with templates in the gallery.
func (g *Gallery) Persons() int {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.live
}

// Has reports whether personID has templates (of any modality) in the
// gallery.
func (g *Gallery) Has(personID string) bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	pi, ok := g.personIx[personID]
	return ok && g.persons[pi].has()
}

// SampleScore is one probe sample's score against a candidate.
type SampleScore struct {
	Modality Modality `json:"modality"`
	Position int      `json:"position"`
	Score    float64  `json:"score"`
	// Rank is the candidate's rank (1 best) among all identities by this
	// sample's score alone.
	Rank int `json:"rank"`
	// Evidence is the score normalised by its modality's impostor tail:
	// −log10 of the probability that an impostor comparison scores at
	// least Score (fused searches only; see Tail).
	Evidence float64 `json:"evidence,omitempty"`
}

// Candidate is one identity on a candidate list.
type Candidate struct {
	PersonID string `json:"person_id"`
	// Score is the fused score: the mean finger score for finger-only
	// searches (Identify, Verify); the combined evidence, −log10 of a
	// false match probability, for fused searches (IdentifyFused,
	// VerifyFused).
	Score  float64       `json:"score"`
	Rank   int           `json:"rank"` // 1 best
	Scores []SampleScore `json:"scores"`
	// Fusion details a fused search's score by modality; nil for
	// finger-only searches.
	Fusion *FusionScore `json:"fusion,omitempty"`
}

// Options controls a search.
type Options struct {
	// MaxCandidates caps the candidate list (default 10).
	MaxCandidates int
	// Threshold drops candidates whose fused score is below it.
	Threshold float64
	// Exclude is an identity left out of the search (the encounter's own
	// provisional identity during dedup).
	Exclude string
}

// Identify searches the gallery for the identities most similar to the
// probe's samples (1:N). Each probe sample is compared with every gallery
// template at the same finger position (every template when either position
// is unknown); an identity's score for a sample is its best template's, and
// its fused score is the mean over the probe's samples (see Fuse). The
// candidate list is sorted by fused score, best first.
func (g *Gallery) Identify(ctx context.Context, probe []Sample, opt Options) ([]Candidate, error) {
	if len(probe) == 0 {
		return nil, errors.New("gallery: empty probe")
	}
	for i, s := range probe {
		if s.Position < 0 || s.Position > 10 {
			return nil, fmt.Errorf("gallery: probe sample %d: %w: %d", i, ErrPosition, s.Position)
		}
	}
	if opt.MaxCandidates <= 0 {
		opt.MaxCandidates = 10
	}
	g.mu.RLock()
	defer g.mu.RUnlock()
	np := len(g.persons)
	excl := int32(-1)
	if pi, ok := g.personIx[opt.Exclude]; ok && opt.Exclude != "" {
		excl = pi
	}
	var scores [][]float32
	if g.shortlist > 0 && g.n > 2*g.shortlist {
		var err error
		if scores, err = g.scoreShortlist(ctx, probe, np, excl); err != nil {
			return nil, err
		}
	} else {
		scores = make([][]float32, len(probe))
		for j, s := range probe {
			sc, err := g.scanPosition(ctx, s, np)
			if err != nil {
				return nil, err
			}
			scores[j] = sc
		}
	}
	fused := make([]float32, np)
	for p := range fused {
		var sum float32
		for j := range scores {
			sum += scores[j][p]
		}
		fused[p] = sum / float32(len(scores))
	}
	top := topK(fused, opt.MaxCandidates, func(p int) bool {
		return int32(p) == excl || len(g.persons[p].templates) == 0 || float64(fused[p]) < opt.Threshold
	})
	out := make([]Candidate, len(top))
	for i, p := range top {
		c := Candidate{PersonID: g.persons[p].id, Score: float64(fused[p]), Rank: i + 1}
		for j, s := range probe {
			c.Scores = append(c.Scores, SampleScore{Modality: Finger, Position: s.Position, Score: float64(scores[j][p]), Rank: rankOf(scores[j], p)})
		}
		out[i] = c
	}
	return out, nil
}

// rankOf is 1 + the number of identities scoring strictly higher than p.
func rankOf(s []float32, p int) int {
	r := 1
	v := s[p]
	for _, x := range s {
		if x > v {
			r++
		}
	}
	return r
}

// scanPosition compares one probe sample with the gallery templates at its
// position in parallel and returns each identity's best score.
func (g *Gallery) scanPosition(ctx context.Context, s Sample, np int) ([]float32, error) {
	parts := g.partsFor(s.Position)
	total := 0
	for _, p := range parts {
		total += len(p)
	}
	prep := fingerprint.Prepare(s.Template)
	workers := min(g.workers, max(1, total/256))
	best := make([][]float32, workers)
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pr := fingerprint.NewProbePrepared(prep)
			b := make([]float32, np)
			best[w] = b
			k := 0
			for _, part := range parts {
				lo, hi := split(len(part), workers, w)
				for _, e := range part[lo:hi] {
					if k++; k&1023 == 0 && ctx.Err() != nil {
						errs[w] = ctx.Err()
						return
					}
					if v := float32(pr.Score(g.prepared(e.t))); v > b[e.person] {
						b[e.person] = v
					}
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	out := best[0]
	for _, b := range best[1:] {
		for p, v := range b {
			if v > out[p] {
				out[p] = v
			}
		}
	}
	return out, nil
}

// partsFor returns the template slices a probe sample at position pos is
// compared with: its position and unknown (0), or all for unknown.
func (g *Gallery) partsFor(pos int) [][]entry {
	if pos == 0 {
		return g.byPos[:]
	}
	return [][]entry{g.byPos[pos], g.byPos[0]}
}

// split returns worker w's share [lo, hi) of n items.
func split(n, workers, w int) (int, int) {
	return n * w / workers, n * (w + 1) / workers
}

// topK returns the indices of the k largest values of s not skipped, best
// first (ties by lower index).
func topK(s []float32, k int, skip func(int) bool) []int {
	idx := make([]int, 0, k+1)
	less := func(a, b int) bool { // a ranks below b
		if s[a] != s[b] {
			return s[a] < s[b]
		}
		return a > b
	}
	for p := range s {
		if len(idx) == k && !less(idx[len(idx)-1], p) {
			continue
		}
		if skip(p) {
			continue
		}
		i := sort.Search(len(idx), func(i int) bool { return less(idx[i], p) })
		idx = append(idx, 0)
		copy(idx[i+1:], idx[i:])
		idx[i] = p
		if len(idx) > k {
			idx = idx[:k]
		}
	}
	return idx
}

// Verify compares the probe with one identity (1:1) and returns its fused
// score and per-sample scores; ok is false if the identity has no templates.
func (g *Gallery) Verify(personID string, probe []Sample) (c Candidate, ok bool, err error) {
	if len(probe) == 0 {
		return c, false, errors.New("gallery: empty probe")
	}
	g.mu.RLock()
	defer g.mu.RUnlock()
	pi, found := g.personIx[personID]
	if !found || len(g.persons[pi].templates) == 0 {
		return c, false, nil
	}
	return g.verifyLocked(pi, probe)
}

// verifyLocked is Verify for identity index pi (g.mu held for reading).
func (g *Gallery) verifyLocked(pi int32, probe []Sample) (c Candidate, ok bool, err error) {
	c = Candidate{PersonID: g.persons[pi].id, Rank: 1}
	var sum float64
	for _, s := range probe {
		if s.Position < 0 || s.Position > 10 {
			return c, false, fmt.Errorf("gallery: %w: %d", ErrPosition, s.Position)
		}
		pr := fingerprint.NewProbe(s.Template)
		best := 0.0
		for _, tid := range g.persons[pi].templates {
			l := g.where[tid]
			if s.Position != 0 && l.pos != 0 && l.pos != s.Position {
				continue
			}
			best = max(best, pr.Score(g.prepared(g.byPos[l.pos][l.i].t)))
		}
		sum += best
		c.Scores = append(c.Scores, SampleScore{Modality: Finger, Position: s.Position, Score: best, Rank: 1})
	}
	c.Score = sum / float64(len(probe))
	return c, true, nil
}

// scoreShortlist is the pre-filter search. Every gallery template's
// descriptor is scored against the probe sample at its position, in
// parallel; an identity's pre-filter score is the sum over probe samples of
// its best template's. The max(1, g.shortlist/len(probe)) identities with
// the highest pre-filter scores are then compared with the MCC matcher on
// every probe sample, so a ten-finger probe costs about as many matcher
// comparisons as a one-finger one. Identities off the shortlist score 0.
func (g *Gallery) scoreShortlist(ctx context.Context, probe []Sample, np int, excl int32) ([][]float32, error) {
	workers := g.workers
	fused := make([]float32, np)
	local := make([][]float32, workers)
	for w := range local {
		local[w] = make([]float32, np)
	}
	errs := make([]error, workers)
	for _, s := range probe {
		pd := describe(s.Template, true)
		parts := g.partsFor(s.Position)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b := local[w]
				clear(b)
				k := 0
				for _, part := range parts {
					lo, hi := split(len(part), workers, w)
					for _, e := range part[lo:hi] {
						if k++; k&8191 == 0 && ctx.Err() != nil {
							errs[w] = ctx.Err()
							return
						}
						if v := float32(common(pd, e.t.desc)) * e.t.w; v > b[e.person] {
							b[e.person] = v
						}
					}
				}
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return nil, err
			}
		}
		for p := range fused {
			best := local[0][p]
			for _, b := range local[1:] {
				best = max(best, b[p])
			}
			fused[p] += best
		}
	}
	keep := max(1, g.shortlist/len(probe))
	short := topK(fused, keep, func(p int) bool {
		return int32(p) == excl || len(g.persons[p].templates) == 0 || fused[p] == 0
	})
	// Matcher comparisons: every (probe sample, template) pair of the
	// shortlisted identities at compatible positions.
	type job struct {
		j int
		p int32
		t *slot
	}
	var jobs []job
	for _, p := range short {
		for _, tid := range g.persons[p].templates {
			l := g.where[tid]
			for j, s := range probe {
				if s.Position == 0 || l.pos == 0 || l.pos == s.Position {
					jobs = append(jobs, job{j, int32(p), g.byPos[l.pos][l.i].t})
				}
			}
		}
	}
	preps := make([]*fingerprint.Prepared, len(probe))
	for j, s := range probe {
		preps[j] = fingerprint.Prepare(s.Template)
	}
	vals := make([]float32, len(jobs))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			probes := make([]*fingerprint.Probe, len(preps))
			lo, hi := split(len(jobs), workers, w)
			for i := lo; i < hi; i++ {
				jb := jobs[i]
				if probes[jb.j] == nil {
					probes[jb.j] = fingerprint.NewProbePrepared(preps[jb.j])
				}
				vals[i] = float32(probes[jb.j].Score(g.prepared(jb.t)))
			}
		}()
	}
	wg.Wait()
	scores := make([][]float32, len(probe))
	for j := range scores {
		scores[j] = make([]float32, np)
	}
	for i, jb := range jobs {
		if v := vals[i]; v > scores[jb.j][jb.p] {
			scores[jb.j][jb.p] = v
		}
	}
	return scores, nil
}

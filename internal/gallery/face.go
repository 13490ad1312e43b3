package gallery

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// FaceDim is the length of a face embedding (the dlib ResNet descriptor).
const FaceDim = 128

// faceSet holds the face embeddings, contiguous for one matrix-vector
// product per search.
type faceSet struct {
	data  []float32 // FaceDim values per template
	owner []int32   // person index per template
	ids   []string  // template id per template
	where map[string]int
}

// ErrFaceDim reports an embedding that is not FaceDim values long.
var ErrFaceDim = errors.New("gallery: face embedding must have 128 values")

// AddFace adds face template templateID of personID: an L2-normalised
// embedding (copied). Adding a template id twice is an error.
func (g *Gallery) AddFace(personID, templateID string, emb []float32) error {
	if len(emb) != FaceDim {
		return fmt.Errorf("template %s: %w (got %d)", templateID, ErrFaceDim, len(emb))
	}
	for _, v := range emb {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("template %s: face embedding holds %v", templateID, v)
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.faces.where == nil {
		g.faces.where = map[string]int{}
	}
	if _, dup := g.faces.where[templateID]; dup {
		return fmt.Errorf("template %s already in the gallery", templateID)
	}
	if _, dup := g.where[templateID]; dup {
		return fmt.Errorf("template %s already in the gallery", templateID)
	}
	pi := g.slot(personID)
	pr := &g.persons[pi]
	if !pr.has() {
		g.live++
	}
	pr.faces = append(pr.faces, templateID)
	g.faces.where[templateID] = len(g.faces.ids)
	g.faces.data = append(g.faces.data, emb...)
	g.faces.owner = append(g.faces.owner, pi)
	g.faces.ids = append(g.faces.ids, templateID)
	return nil
}

// Faces returns the number of face templates in the gallery.
func (g *Gallery) Faces() int {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return len(g.faces.ids)
}

// removeFace swaps face template tid out (g.mu held).
func (g *Gallery) removeFace(tid string) {
	f := &g.faces
	i, ok := f.where[tid]
	if !ok {
		return
	}
	last := len(f.ids) - 1
	if i != last {
		copy(f.data[i*FaceDim:(i+1)*FaceDim], f.data[last*FaceDim:])
		f.owner[i], f.ids[i] = f.owner[last], f.ids[last]
		f.where[f.ids[i]] = i
	}
	f.data, f.owner, f.ids = f.data[:last*FaceDim], f.owner[:last], f.ids[:last]
	delete(f.where, tid)
}

// faceScores returns each identity's best cosine score with probe (a
// normalised embedding), and whether the identity has a face at all
// (g.mu held for reading).
func (g *Gallery) faceScores(probe []float32, np int) ([]float32, []bool) {
	f := &g.faces
	best := make([]float32, np)
	has := make([]bool, np)
	n := len(f.ids)
	if n == 0 {
		return best, has
	}
	scores := make([]float32, n)
	blas32.Gemv(blas.NoTrans, 1,
		blas32.General{Rows: n, Cols: FaceDim, Stride: FaceDim, Data: f.data},
		blas32.Vector{N: FaceDim, Inc: 1, Data: probe}, 0,
		blas32.Vector{N: n, Inc: 1, Data: scores})
	for i, s := range scores {
		p := f.owner[i]
		if !has[p] || s > best[p] {
			best[p], has[p] = s, true
		}
	}
	return best, has
}

// FaceImpostorScores samples up to pairs cosine scores between face
// templates of two different identities (the face impostor statistics of
// this gallery); nil when fewer than two identities have faces.
func (g *Gallery) FaceImpostorScores(pairs int, seed uint64) []float64 {
	g.mu.RLock()
	defer g.mu.RUnlock()
	f := &g.faces
	n := len(f.ids)
	if n < 2 {
		return nil
	}
	r := rand.New(rand.NewPCG(seed, 0xface))
	out := make([]float64, 0, pairs)
	for tries := 0; len(out) < pairs && tries < 64*pairs; tries++ {
		a, b := r.IntN(n), r.IntN(n)
		if f.owner[a] == f.owner[b] {
			continue
		}
		var s float32
		va, vb := f.data[a*FaceDim:(a+1)*FaceDim], f.data[b*FaceDim:(b+1)*FaceDim]
		for i := range va {
			s += va[i] * vb[i]
		}
		out = append(out, float64(s))
	}
	return out
}

// FacePersons returns the number of identities with face templates.
func (g *Gallery) FacePersons() int {
	g.mu.RLock()
	defer g.mu.RUnlock()
	n := 0
	for i := range g.persons {
		if len(g.persons[i].faces) > 0 {
			n++
		}
	}
	return n
}

// Probe is a multimodal probe: finger samples, a face embedding, or both.
type Probe struct {
	Fingers []Sample
	// Face is an L2-normalised FaceDim embedding, nil when absent.
	Face []float32
}

func (p Probe) check() error {
	if len(p.Fingers) == 0 && p.Face == nil {
		return errors.New("gallery: empty probe")
	}
	for i, s := range p.Fingers {
		if s.Position < 0 || s.Position > 10 {
			return fmt.Errorf("gallery: probe sample %d: %w: %d", i, ErrPosition, s.Position)
		}
	}
	if p.Face != nil && len(p.Face) != FaceDim {
		return fmt.Errorf("%w (got %d)", ErrFaceDim, len(p.Face))
	}
	return nil
}

// IdentifyFused searches the gallery with a multimodal probe (1:N) and
// fuses the modalities by the rule in fusion.go: every identity's finger
// scores (best template per probe finger, as in Identify) and face score
// (best cosine over its face templates) are normalised by f's impostor
// tails and combined into −log10 of a false match probability. Candidates
// reach opt.Threshold on that scale; their Scores list every probe finger
// and the face with raw score, evidence and rank, and Fusion the per-
// modality breakdown (with FaceOnly).
func (g *Gallery) IdentifyFused(ctx context.Context, p Probe, f Fusion, opt Options) ([]Candidate, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	if f.Finger == nil || f.Face == nil {
		return nil, errors.New("gallery: fusion needs a finger and a face tail")
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
	var fingerScores [][]float32
	if len(p.Fingers) > 0 {
		if g.shortlist > 0 && g.n > 2*g.shortlist {
			var err error
			if fingerScores, err = g.scoreShortlist(ctx, p.Fingers, np, excl); err != nil {
				return nil, err
			}
		} else {
			fingerScores = make([][]float32, len(p.Fingers))
			for j, s := range p.Fingers {
				sc, err := g.scanPosition(ctx, s, np)
				if err != nil {
					return nil, err
				}
				fingerScores[j] = sc
			}
		}
	}
	var faceBest []float32
	var faceHas []bool
	if p.Face != nil {
		faceBest, faceHas = g.faceScores(p.Face, np)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fused := make([]float32, np)
	compared := make([]bool, np)
	buf := make([]float64, len(p.Fingers))
	for pi := range np {
		if int32(pi) == excl {
			continue
		}
		fingers := buf[:0]
		if len(g.persons[pi].templates) > 0 {
			for j := range fingerScores {
				fingers = append(fingers, float64(fingerScores[j][pi]))
			}
		}
		faceOK := p.Face != nil && faceHas[pi]
		if len(fingers) == 0 && !faceOK {
			continue
		}
		var fs float64
		if faceOK {
			fs = float64(faceBest[pi])
		}
		v, _, _ := f.fuse(fingers, fs, faceOK, opt.Threshold)
		fused[pi], compared[pi] = float32(v), true
	}
	top := topK(fused, opt.MaxCandidates, func(pi int) bool {
		return !compared[pi] || float64(fused[pi]) < opt.Threshold
	})
	out := make([]Candidate, len(top))
	for i, pi := range top {
		c, _ := g.fusedCandidate(pi, p, f, opt.Threshold, fingerScores, faceBest, faceHas)
		c.Rank = i + 1
		out[i] = c
	}
	return out, nil
}

// fusedCandidate builds the candidate entry of identity pi; rank arrays
// give each sample's rank among all identities (nil: rank 1, as in 1:1).
func (g *Gallery) fusedCandidate(pi int, p Probe, f Fusion, th float64, fingerScores [][]float32, faceBest []float32, faceHas []bool) (Candidate, bool) {
	var fingers []float64
	if len(g.persons[pi].templates) > 0 {
		for j := range fingerScores {
			fingers = append(fingers, float64(fingerScores[j][pi]))
		}
	}
	faceOK := p.Face != nil && faceHas[pi]
	var fsc float64
	if faceOK {
		fsc = float64(faceBest[pi])
	}
	v, fs, fev := f.fuse(fingers, fsc, faceOK, th)
	c := Candidate{PersonID: g.persons[pi].id, Score: v, Fusion: &fs, Scores: []SampleScore{}}
	for j, s := range fingers {
		c.Scores = append(c.Scores, SampleScore{Modality: Finger, Position: p.Fingers[j].Position, Score: s, Evidence: fev[j], Rank: rankOf(fingerScores[j], pi)})
	}
	if faceOK {
		c.Scores = append(c.Scores, SampleScore{Modality: Face, Score: fsc, Evidence: fs.FaceEvidence, Rank: rankFace(faceBest, faceHas, pi)})
	}
	return c, len(fingers) > 0 || faceOK
}

// rankFace is 1 + the number of identities with faces scoring higher.
func rankFace(best []float32, has []bool, p int) int {
	r := 1
	for i, v := range best {
		if has[i] && v > best[p] {
			r++
		}
	}
	return r
}

// VerifyFused compares a multimodal probe with one identity (1:1) and
// returns the fused candidate (see IdentifyFused; ranks are 1); ok is false
// when the identity has no template of a modality the probe carries.
func (g *Gallery) VerifyFused(personID string, p Probe, f Fusion, th float64) (c Candidate, ok bool, err error) {
	if err := p.check(); err != nil {
		return c, false, err
	}
	if f.Finger == nil || f.Face == nil {
		return c, false, errors.New("gallery: fusion needs a finger and a face tail")
	}
	g.mu.RLock()
	defer g.mu.RUnlock()
	pi, found := g.personIx[personID]
	if !found || !g.persons[pi].has() {
		return c, false, nil
	}
	pr := &g.persons[pi]
	// Per-sample best over the identity's templates, laid out as the 1:N
	// arrays for a one-identity gallery view.
	fingerScores := make([][]float32, len(p.Fingers))
	if len(pr.templates) > 0 {
		one, _, err := g.verifyLocked(pi, p.Fingers)
		if err != nil {
			return c, false, err
		}
		for j := range p.Fingers {
			fingerScores[j] = make([]float32, len(g.persons))
			fingerScores[j][pi] = float32(one.Scores[j].Score)
		}
	}
	var faceBest []float32
	var faceHas []bool
	if p.Face != nil && len(pr.faces) > 0 {
		faceBest, faceHas = make([]float32, len(g.persons)), make([]bool, len(g.persons))
		for _, tid := range pr.faces {
			i := g.faces.where[tid]
			var s float32
			v := g.faces.data[i*FaceDim : (i+1)*FaceDim]
			for k := range v {
				s += v[k] * p.Face[k]
			}
			if !faceHas[pi] || s > faceBest[pi] {
				faceBest[pi], faceHas[pi] = s, true
			}
		}
	}
	if p.Face != nil && faceHas == nil {
		faceHas = make([]bool, len(g.persons))
	}
	c, ok = g.fusedCandidate(int(pi), p, f, th, fingerScores, faceBest, faceHas)
	c.Rank = 1
	for i := range c.Scores {
		c.Scores[i].Rank = 1
	}
	return c, ok, nil
}

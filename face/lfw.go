package face

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/bixproject/bix/face/nn"
)

// Pair is one LFW verification pair: two images and whether they show the
// same person.
type Pair struct {
	Name1 string
	N1    int
	Name2 string
	N2    int
	Same  bool
	Fold  int
	Line  int
}

// ErrPairs reports a malformed pairs file.
var ErrPairs = errors.New("face: bad LFW pairs file")

// ReadPairs parses a pairs file in the LFW View 2 format (pairs.txt, see the
// LFW README, "View 2"): a header "<folds> <n>", then per fold n matched
// lines "name i j" followed by n mismatched lines "name1 i name2 j".
func ReadPairs(r io.Reader) ([]Pair, int, error) {
	sc := bufio.NewScanner(r)
	line := 0
	next := func() ([]string, error) {
		for sc.Scan() {
			line++
			f := strings.Fields(sc.Text())
			if len(f) > 0 {
				return f, nil
			}
		}
		if err := sc.Err(); err != nil {
			return nil, err
		}
		return nil, io.EOF
	}
	h, err := next()
	if err != nil || len(h) != 2 {
		return nil, 0, fmt.Errorf("%w: line %d: want header \"<folds> <pairs per fold>\"", ErrPairs, line)
	}
	folds, err1 := strconv.Atoi(h[0])
	n, err2 := strconv.Atoi(h[1])
	if err1 != nil || err2 != nil || folds < 1 || n < 1 || folds > 100 || n > 100000 {
		return nil, 0, fmt.Errorf("%w: line %d: header %q", ErrPairs, line, strings.Join(h, " "))
	}
	var pairs []Pair
	num := func(s string) (int, error) {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 || v > 9999 {
			return 0, fmt.Errorf("%w: line %d: image number %q", ErrPairs, line, s)
		}
		return v, nil
	}
	for fold := 0; fold < folds; fold++ {
		for i := 0; i < 2*n; i++ {
			f, err := next()
			if err != nil {
				return nil, 0, fmt.Errorf("%w: line %d: fold %d has %d of %d pairs", ErrPairs, line, fold+1, i, 2*n)
			}
			p := Pair{Fold: fold, Line: line, Same: i < n}
			if p.Same {
				if len(f) != 3 {
					return nil, 0, fmt.Errorf("%w: line %d: want \"name i j\"", ErrPairs, line)
				}
				p.Name1, p.Name2 = f[0], f[0]
				if p.N1, err = num(f[1]); err != nil {
					return nil, 0, err
				}
				if p.N2, err = num(f[2]); err != nil {
					return nil, 0, err
				}
			} else {
				if len(f) != 4 {
					return nil, 0, fmt.Errorf("%w: line %d: want \"name1 i name2 j\"", ErrPairs, line)
				}
				p.Name1, p.Name2 = f[0], f[2]
				if p.N1, err = num(f[1]); err != nil {
					return nil, 0, err
				}
				if p.N2, err = num(f[3]); err != nil {
					return nil, 0, err
				}
			}
			if !filepath.IsLocal(p.Name1) || !filepath.IsLocal(p.Name2) || strings.ContainsAny(p.Name1+p.Name2, `/\`) {
				return nil, 0, fmt.Errorf("%w: line %d: bad name", ErrPairs, line)
			}
			pairs = append(pairs, p)
		}
	}
	return pairs, folds, nil
}

// LFWImage returns the path of image n of name in an LFW directory.
func LFWImage(dir, name string, n int) string {
	return filepath.Join(dir, name, fmt.Sprintf("%s_%04d.jpg", name, n))
}

// Report is the result of an LFW evaluation.
type Report struct {
	Pairs int `json:"pairs"`
	// Accuracy is the verification accuracy: the mean over folds of the
	// accuracy at a threshold chosen on the other folds (with one fold, at
	// DefaultThreshold).
	Accuracy float64 `json:"accuracy"`
	// AccuracyDefault is the accuracy over all pairs at DefaultThreshold.
	AccuracyDefault float64 `json:"accuracy_at_default_threshold"`
	TARAtFAR001     float64 `json:"tar_at_far_0_01"`
	// Rank1 is the 1:N identification rate (enrolment: first image of each
	// gallery identity, probes: its next 9); -1 when not measured.
	Rank1        float64 `json:"rank1"`
	Rank1Probes  int     `json:"rank1_probes"`
	Rank1Gallery int     `json:"rank1_gallery"`
	// DetectMsMedian and EmbedMsMedian are medians of the CPU time per
	// image (per face for embedding) over a serial timing pass of
	// TimedImages images: the cost on one core. The wall-clock medians of
	// the same pass follow.
	DetectMsMedian     float64 `json:"detect_ms_median"`
	EmbedMsMedian      float64 `json:"embed_ms_median"`
	DetectWallMsMedian float64 `json:"detect_wall_ms_median"`
	EmbedWallMsMedian  float64 `json:"embed_wall_ms_median"`
	TimedImages        int     `json:"timed_images"`
	GEMMKernel         string  `json:"gemm_kernel"`
	FailedToDetect     int     `json:"failed_to_detect"`
	Images             int     `json:"images"`
	// ThresholdFMR0001 is the threshold giving FMR 0.1 % on these impostors.
	ThresholdFMR0001 float64 `json:"threshold_fmr_0_001"`
	// BestThreshold maximises accuracy over all pairs (what DefaultThreshold
	// is calibrated from).
	BestThreshold float64 `json:"best_threshold"`
	FlipAverage   bool    `json:"flip_average"`
	Folds         int     `json:"folds"`
}

// embedded is one image's result in an evaluation.
type embedded struct {
	emb            []float32
	tm             Timing
	faces          int
	failedToDetect bool
	err            error
}

// EmbedFiles embeds the primary face of each file with workers goroutines
// (GOMAXPROCS when <= 0). An image without a detected face gets a nil
// embedding and counts as failed to detect.
func (e *Engine) embedFiles(paths []string, workers int) map[string]*embedded {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	res := make(map[string]*embedded, len(paths))
	for _, p := range paths {
		res[p] = &embedded{}
	}
	ch := make(chan string)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range ch {
				r := res[p]
				f, err := os.Open(p)
				if err != nil {
					r.err = err
					continue
				}
				img, err := Decode(f)
				f.Close()
				if err != nil {
					r.err = fmt.Errorf("%s: %w", p, err)
					continue
				}
				faces, tm, err := e.ProcessTimed(img)
				r.tm, r.faces = tm, len(faces)
				if err != nil {
					r.err = fmt.Errorf("%s: %w", p, err)
					continue
				}
				if pf, ok := Primary(faces); ok {
					r.emb = pf.Embedding
				} else {
					r.failedToDetect = true
				}
			}
		}()
	}
	for _, p := range paths {
		ch <- p
	}
	close(ch)
	wg.Wait()
	return res
}

// EvaluateLFW scores pairs (with the given number of folds) on the images
// in dir, and, when galleryIDs is not empty, rank-1 identification on those
// identities. A pair with an image in which no face was found scores -1.
//
// After the parallel pass, the first timed images are processed again one
// at a time to measure the per-stage cost.
func (e *Engine) EvaluateLFW(dir string, pairs []Pair, folds int, galleryIDs []string, workers, timed int) (*Report, error) {
	seen := map[string]bool{}
	var paths []string
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			paths = append(paths, p)
		}
	}
	for _, p := range pairs {
		add(LFWImage(dir, p.Name1, p.N1))
		add(LFWImage(dir, p.Name2, p.N2))
	}
	type ident struct {
		name  string
		files []string
	}
	var gallery []ident
	for _, id := range galleryIDs {
		ents, err := os.ReadDir(filepath.Join(dir, id))
		if err != nil {
			return nil, fmt.Errorf("gallery identity %s: %w", id, err)
		}
		var files []string
		for _, en := range ents {
			if strings.HasSuffix(en.Name(), ".jpg") {
				files = append(files, filepath.Join(dir, id, en.Name()))
			}
		}
		sort.Strings(files)
		if len(files) > 10 {
			files = files[:10]
		}
		if len(files) < 2 {
			return nil, fmt.Errorf("gallery identity %s has %d images", id, len(files))
		}
		gallery = append(gallery, ident{id, files})
		for _, f := range files {
			add(f)
		}
	}
	res := e.embedFiles(paths, workers)
	rep := &Report{Pairs: len(pairs), Images: len(paths), Folds: folds, Rank1: -1, GEMMKernel: nn.GEMMKernel}
	for _, p := range paths {
		r := res[p]
		if r.err != nil {
			return nil, r.err
		}
		if r.failedToDetect {
			rep.FailedToDetect++
		}
	}
	timed = min(timed, len(paths))
	if timed > 0 {
		serial := e.embedFiles(paths[:timed], 1)
		var det, emb, detW, embW []float64
		for _, p := range paths[:timed] {
			r := serial[p]
			det = append(det, float64(r.tm.DetectCPU)/1e6)
			detW = append(detW, float64(r.tm.Detect)/1e6)
			if r.faces > 0 {
				emb = append(emb, float64(r.tm.EmbedCPU)/1e6/float64(r.faces))
				embW = append(embW, float64(r.tm.Embed)/1e6/float64(r.faces))
			}
		}
		rep.DetectMsMedian, rep.EmbedMsMedian = median(det), median(emb)
		rep.DetectWallMsMedian, rep.EmbedWallMsMedian = median(detW), median(embW)
		rep.TimedImages = timed
	}

	score := func(p Pair) float32 {
		a, b := res[LFWImage(dir, p.Name1, p.N1)].emb, res[LFWImage(dir, p.Name2, p.N2)].emb
		if a == nil || b == nil {
			return -1
		}
		return Cosine(a, b)
	}
	scores := make([]float32, len(pairs))
	var impostor, genuine []float32
	for i, p := range pairs {
		scores[i] = score(p)
		if p.Same {
			genuine = append(genuine, scores[i])
		} else {
			impostor = append(impostor, scores[i])
		}
	}
	rep.AccuracyDefault = accuracyAt(pairs, scores, func(int) bool { return true }, DefaultThreshold)
	if folds == 1 {
		rep.Accuracy = rep.AccuracyDefault
	} else {
		var sum float64
		for f := 0; f < folds; f++ {
			th := bestThreshold(pairs, scores, func(i int) bool { return pairs[i].Fold != f })
			sum += accuracyAt(pairs, scores, func(i int) bool { return pairs[i].Fold == f }, th)
		}
		rep.Accuracy = sum / float64(folds)
	}
	th := ThresholdForFMR(impostor, 0.01)
	n := 0
	for _, g := range genuine {
		if g >= th {
			n++
		}
	}
	if len(genuine) > 0 {
		rep.TARAtFAR001 = float64(n) / float64(len(genuine))
	}
	rep.ThresholdFMR0001 = float64(ThresholdForFMR(impostor, 0.001))
	rep.BestThreshold = float64(bestThreshold(pairs, scores, func(int) bool { return true }))
	rep.FlipAverage = e.FlipAverage

	if len(gallery) > 0 {
		g := NewGallery(EmbeddingSize)
		for _, id := range gallery {
			if v := res[id.files[0]].emb; v != nil {
				g.Add(id.name, v)
			}
		}
		hits, probes := 0, 0
		for _, id := range gallery {
			for _, f := range id.files[1:] {
				probes++
				v := res[f].emb
				if v == nil {
					continue
				}
				c, err := g.Search(v, 1)
				if err != nil {
					return nil, err
				}
				if len(c) == 1 && c[0].ID == id.name {
					hits++
				}
			}
		}
		rep.Rank1 = float64(hits) / float64(probes)
		rep.Rank1Probes, rep.Rank1Gallery = probes, g.Len()
	}
	return rep, nil
}

func accuracyAt(pairs []Pair, scores []float32, in func(int) bool, th float32) float64 {
	right, n := 0, 0
	for i, p := range pairs {
		if !in(i) {
			continue
		}
		n++
		if (scores[i] >= th) == p.Same {
			right++
		}
	}
	if n == 0 {
		return 0
	}
	return float64(right) / float64(n)
}

// bestThreshold returns the threshold maximising accuracy over the selected
// pairs: the midpoint between consecutive distinct scores.
func bestThreshold(pairs []Pair, scores []float32, in func(int) bool) float32 {
	var cand []float32
	for i := range pairs {
		if in(i) {
			cand = append(cand, scores[i])
		}
	}
	sort.Slice(cand, func(i, j int) bool { return cand[i] < cand[j] })
	best, bestAcc := DefaultThreshold, -1.0
	for i := 0; i+1 < len(cand); i++ {
		if cand[i] == cand[i+1] {
			continue
		}
		th := (cand[i] + cand[i+1]) / 2
		if a := accuracyAt(pairs, scores, in, th); a > bestAcc {
			best, bestAcc = th, a
		}
	}
	return best
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

package fvc

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/bixproject/bix/fingerprint"
)

// Options configures Run.
type Options struct {
	// Ext selects the files (".tif", ".iso", ".xyt", ...). Empty: the first
	// of the image extensions (when Extract is set), .iso, .xyt, .ansi and
	// .bixf that the folder has.
	Ext string
	// Extract turns an image file into a template. Nil: images are not
	// accepted.
	Extract func(path string) (*fingerprint.Template, error)
	// XYTResolution is the resolution (ppi) of .xyt minutiae; 0 means 500.
	XYTResolution int
}

// Report is the outcome of Run; rates are fractions in [0, 1].
type Report struct {
	Dir    string `json:"-"` // the folder read
	Ext    string `json:"-"` // the file kind read
	Images int    `json:"images"`
	// FVC protocol.
	Genuine  int     `json:"genuine"`
	Impostor int     `json:"impostor"`
	EER      float64 `json:"eer"`
	FMR100   float64 `json:"fmr100"`
	FMR1000  float64 `json:"fmr1000"`
	ZeroFMR  float64 `json:"zero_fmr"`
	// Every cross-finger impostor pair.
	ImpostorAll int     `json:"impostor_all"`
	EERAll      float64 `json:"eer_all"`
	FMR100All   float64 `json:"fmr100_all"`
	FMR1000All  float64 `json:"fmr1000_all"`
	ZeroFMRAll  float64 `json:"zero_fmr_all"`
	// ExtractMSMedian is the median time to load and extract (or decode)
	// one file, in milliseconds of the thread's CPU time (wall-clock time
	// where there is no thread clock).
	ExtractMSMedian float64 `json:"extract_ms_median"`
	// ComparePerSecCore is prepared-probe comparisons per second on one
	// goroutine (Probe.Score against Prepared candidates) per second of
	// that thread's CPU time: the median over probes of each probe's scan of
	// all other files.
	ComparePerSecCore float64 `json:"compare_per_sec_core"`
	// FailedToExtract counts files that gave no template; their
	// comparisons score 0.
	FailedToExtract int `json:"failed_to_extract"`
	// Scores has every score, for further analysis (not in JSON).
	GenuineScores, ImpostorScores, ImpostorAllScores []float64 `json:"-"`
}

var imageExts = []string{".tif", ".tiff", ".png", ".bmp", ".jpg", ".jpeg", ".wsq"}

// pickExt chooses the file kind Run reads from dir.
func pickExt(dir string, o Options) (string, error) {
	if o.Ext != "" {
		return o.Ext, nil
	}
	var cands []string
	if o.Extract != nil {
		cands = append(cands, imageExts...)
	}
	cands = append(cands, ".iso", ".xyt", ".ansi", ".bixf", ".json")
	for _, e := range cands {
		items, err := Scan(dir, e)
		if err != nil {
			return "", err
		}
		if len(items) > 0 {
			return e, nil
		}
	}
	return "", fmt.Errorf("%s: no FVC-named F_I.ext files of a kind it can read (%s)", dir, strings.Join(cands, " "))
}

// Load reads one file as a template by its extension: .iso (ISO/IEC
// 19794-2:2005, first view), .ansi (INCITS 378-2004, first view), .bixf
// (bix template), .xyt (NBIS), .json (a fingerprint.Template as
// encoding/json writes it), anything else through o.Extract.
func Load(path string, o Options) (*fingerprint.Template, error) {
	ext := strings.ToLower(filepath.Ext(path))
	if ext == ".xyt" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		res := o.XYTResolution
		if res == 0 {
			res = 500
		}
		return ParseXYT(f, res)
	}
	if ext != ".iso" && ext != ".ansi" && ext != ".bixf" && ext != ".json" {
		if o.Extract == nil {
			return nil, fmt.Errorf("%s: image files need an extractor", path)
		}
		return o.Extract(path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r *fingerprint.Record
	switch ext {
	case ".json":
		t := new(fingerprint.Template)
		if err := json.Unmarshal(b, t); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return t, nil
	case ".bixf":
		t := new(fingerprint.Template)
		if err := t.UnmarshalBinary(b); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return t, nil
	case ".iso":
		r, err = fingerprint.DecodeISO(b)
	default:
		r, err = fingerprint.DecodeINCITS(b)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r.Template(0)
}

// Run loads every FVC-named file of dir, compares all pairs and reports
// the FVC-protocol and all-pairs error rates and the speeds. Loading stops
// early when ctx is cancelled.
func Run(ctx context.Context, dir string, o Options) (*Report, error) {
	ext, err := pickExt(dir, o)
	if err != nil {
		return nil, err
	}
	items, err := Scan(dir, ext)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, errNoFiles(dir, ext)
	}
	rep := &Report{Dir: dir, Ext: ext, Images: len(items)}
	// Times are this thread's CPU time (see threadCPU).
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	preps := make([]*fingerprint.Prepared, len(items))
	times := make([]float64, 0, len(items))
	for i, it := range items {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c0, cpu := threadCPU()
		start := time.Now()
		t, err := Load(it.Path, o)
		el := time.Since(start)
		if c1, ok := threadCPU(); cpu && ok {
			el = c1 - c0
		}
		times = append(times, float64(el)/float64(time.Millisecond))
		if err != nil || t == nil {
			rep.FailedToExtract++
			t = &fingerprint.Template{}
		}
		preps[i] = fingerprint.Prepare(t)
	}
	sort.Float64s(times)
	rep.ExtractMSMedian = median(times)

	// Score every pair once. Speed: each probe scans all other
	// candidates on this goroutine, timed by the thread's CPU clock
	// (wall clock where there is none), so other processes sharing the
	// cores do not count; the rate is the median over probes.
	n := len(items)
	scores := make([]float64, n*n)
	rates := make([]float64, 0, n)
	for i := 0; i < n; i++ {
		p := fingerprint.NewProbePrepared(preps[i])
		c0, cpu := threadCPU()
		w0 := time.Now()
		for j := 0; j < n; j++ {
			if j != i {
				scores[i*n+j] = p.Score(preps[j])
			}
		}
		el := time.Since(w0)
		if c1, ok := threadCPU(); cpu && ok {
			el = c1 - c0
		}
		if el > 0 && n > 1 {
			rates = append(rates, float64(n-1)/el.Seconds())
		}
	}
	sort.Float64s(rates)
	rep.ComparePerSecCore = median(rates)
	get := func(ps []Pair) []float64 {
		s := make([]float64, len(ps))
		for k, p := range ps {
			s[k] = scores[p.A*n+p.B]
		}
		return s
	}
	rep.GenuineScores = get(Genuine(items))
	rep.ImpostorScores = get(ImpostorFVC(items))
	rep.ImpostorAllScores = get(ImpostorAll(items))
	rep.Genuine, rep.Impostor, rep.ImpostorAll = len(rep.GenuineScores), len(rep.ImpostorScores), len(rep.ImpostorAllScores)
	r := Compute(rep.GenuineScores, rep.ImpostorScores)
	rep.EER, rep.FMR100, rep.FMR1000, rep.ZeroFMR = r.EER, r.FMR100, r.FMR1000, r.ZeroFMR
	r = Compute(rep.GenuineScores, rep.ImpostorAllScores)
	rep.EERAll, rep.FMR100All, rep.FMR1000All, rep.ZeroFMRAll = r.EER, r.FMR100, r.FMR1000, r.ZeroFMR
	return rep, nil
}

func median(sorted []float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	m := len(sorted) / 2
	if len(sorted)%2 == 1 {
		return sorted[m]
	}
	return (sorted[m-1] + sorted[m]) / 2
}

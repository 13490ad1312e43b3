package fingerprint

import (
	"cmp"
	"errors"
	"fmt"
	"image"
	"math"
	"slices"
)

// MaxMinutiae is the most minutiae Extract returns for one impression: the
// limit of one finger view in ISO/IEC 19794-2:2005 and ANSI INCITS 378-2004
// (a one-byte count, clause 7.4.1), so that every extracted template can be
// written in both formats. Noisy images yield more candidates than that;
// Extract keeps those of highest quality.
const MaxMinutiae = 255

// capMinutiae keeps the n minutiae of highest quality (the earlier one on a
// tie), in their original order.
func capMinutiae(ms []Minutia, n int) []Minutia {
	if len(ms) <= n {
		return ms
	}
	idx := make([]int, len(ms))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(ms[b].Quality, ms[a].Quality) })
	idx = idx[:n]
	slices.Sort(idx)
	out := make([]Minutia, n)
	for i, j := range idx {
		out[i] = ms[j]
	}
	return out
}

// ExtractOptions controls Extract.
type ExtractOptions struct {
	// Resolution is the image's resolution in pixels per inch if known. The
	// image is then resampled to 500 ppi before extraction. 0 means unknown:
	// the image is processed at its own scale (every parameter follows the
	// measured ridge period), and the coordinates are rescaled to 500 ppi
	// when the median ridge period is too far from the nominal 9 pixels to
	// be finger variation (below 0.6× or above 1.4×); see estimatedScale.
	Resolution int
}

// ErrUnusable is the error Extract returns, wrapped in an *UnusableError,
// when an image holds no usable fingerprint.
var ErrUnusable = errors.New("fingerprint image unusable")

// UnusableError says why an image cannot be used. errors.Is(err, ErrUnusable)
// is true for it.
type UnusableError struct {
	// Reason is a short human-readable cause, such as "blank image (…)" or
	// "too little foreground (12 mm², need 30 mm²)".
	Reason string
}

func (e *UnusableError) Error() string { return "fingerprint image unusable: " + e.Reason }

// Is reports whether target is ErrUnusable.
func (e *UnusableError) Is(target error) bool { return target == ErrUnusable }

// Physical constants of the engine. The nominal ridge period is the usual
// figure for adult fingers at 500 ppi (about 0.46 mm, 9 pixels; the 500 ppi
// FVC2002 and NIST SD4/SD14 images measure 7–10 pixels per finger). Every
// spatial parameter of the filters and of the minutiae stage is a multiple of
// the period measured on the image, not of the nominal one.
const (
	// nominalPeriod is the ridge period in pixels at 500 ppi that
	// resolution estimation assumes.
	nominalPeriod = 9.0
	// minPeriod and maxPeriod bound the ridge period (pixels) accepted by
	// the frequency estimator at the working resolution.
	minPeriod = 4.0
	maxPeriod = 16.0
	// minResolution and maxResolution bound a caller-given resolution.
	minResolution = 125
	maxResolution = 2000
	// estimateLow and estimateHigh bound the ratio of measured to nominal
	// ridge period that is taken as finger-to-finger variation at 500 ppi
	// rather than evidence of another resolution (adult and child fingers,
	// light and heavy pressure).
	estimateLow  = 0.6
	estimateHigh = 1.4
	// minSide is the smallest image side Extract accepts, in pixels at the
	// working resolution.
	minSide = 32
)

// workspaces recycles the analysis buffers (a few MB each) between calls so
// that extracting many images does not allocate per image. Unlike a
// sync.Pool it survives garbage collections; it holds at most its capacity.
var workspaces = make(chan *analysis, 4)

func getWorkspace() *analysis {
	select {
	case a := <-workspaces:
		return a
	default:
		return new(analysis)
	}
}

func putWorkspace(a *analysis) {
	select {
	case workspaces <- a:
	default:
	}
}

// Extract finds the minutiae of the fingerprint in img. The returned
// template's coordinates, Width, Height and Resolution are at 500 ppi
// (see ExtractOptions), Template.Quality is the image quality score of
// AssessQuality and each minutia's Quality is 1..100. When the image holds no
// usable fingerprint the error is an *UnusableError (errors.Is(err,
// ErrUnusable)). Extract is safe for concurrent use.
func Extract(img image.Image, opt ExtractOptions) (*Template, error) {
	if img == nil {
		return nil, &UnusableError{Reason: "no image"}
	}
	if opt.Resolution != 0 && (opt.Resolution < minResolution || opt.Resolution > maxResolution) {
		return nil, fmt.Errorf("fingerprint: resolution %d ppi out of range %d..%d", opt.Resolution, minResolution, maxResolution)
	}
	g := toGray(img)
	scale := 1.0 // working pixels per 500-ppi pixel
	if opt.Resolution != 0 && opt.Resolution != 500 {
		f := 500 / float64(opt.Resolution)
		if w, h := float64(g.Rect.Dx())*f, float64(g.Rect.Dy())*f; w*h > maxImagePixels {
			return nil, fmt.Errorf("fingerprint: %d×%d image at %d ppi is %.0f×%.0f at 500 ppi, more than %d pixels", g.Rect.Dx(), g.Rect.Dy(), opt.Resolution, w, h, maxImagePixels)
		}
		g = resample(g, f)
	}
	a := getWorkspace()
	defer putWorkspace(a)
	if err := a.run(g, true); err != nil {
		return nil, err
	}
	if opt.Resolution == 0 {
		scale = a.estimatedScale()
	}
	q := a.quality()
	if q.Reason != "" {
		return nil, &UnusableError{Reason: q.Reason}
	}
	ms := capMinutiae(a.minutiae(scale), MaxMinutiae)
	if len(ms) == 0 {
		return nil, &UnusableError{Reason: "no minutiae found"}
	}
	return &Template{
		Width:      int(math.Round(float64(a.w) / scale)),
		Height:     int(math.Round(float64(a.h) / scale)),
		Resolution: 500,
		Quality:    q.Score,
		Minutiae:   ms,
		Field:      a.field(scale),
	}, nil
}

// estimatedScale returns the working-resolution pixels per 500-ppi pixel
// implied by the measured median ridge period: 1 while the period is within
// what different fingers show at 500 ppi (about 0.6–1.4 × nominal, so 450–600
// ppi sensors are not told apart from finger variation and are processed at
// their own scale), else the ratio to the nominal period. Continuous
// rescaling inside that band was measured to cost accuracy: it turns the
// period's ±3 % impression-to-impression jitter into scale jitter.
func (a *analysis) estimatedScale() float64 {
	r := a.medianPeriod / nominalPeriod
	if r >= estimateLow && r <= estimateHigh {
		return 1
	}
	return r
}

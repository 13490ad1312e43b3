package fingerprint

import (
	"fmt"
	"image"
	"math"
)

// blockSize is the side in pixels of the blocks the orientation, foreground
// and frequency fields are computed on.
const blockSize = 8

// pad is the replicated border around the working image, enough for the
// frequency window and the enhancement filters to read without bounds tests.
const pad = 24

// analysis holds one image's working buffers and fields. It is reused
// through workspacePool; run resets what it needs.
type analysis struct {
	w, h   int       // working image size
	pw, ph int       // padded size (w+2*pad, h+2*pad)
	img    []float32 // padded image, replicated border

	bw, bh int // block grid size
	// Per-block fields, index by*bw+bx.
	gA, gB, gE []float32 // gradient moments Σ(gx²−gy²), Σ2gxgy, Σ(gx²+gy²) per block
	vx, vy     []float32 // smoothed doubled-angle unit vector of the gradient
	theta      []float32 // ridge direction in [0, π), image axes (y down)
	coh        []float32 // coherence of the gradients in a 3×3-block window, 0..1
	energy     []float32 // mean squared gradient in a 3×3-block window
	mask       []bool    // foreground
	period     []float32 // ridge period in pixels (valid where mask)
	rawPeriod  []float32 // period as measured, where freqOK
	freqOK     []bool    // period measured here (not interpolated)
	clarity    []float32 // ridge/valley clarity 0..1 where freqOK
	tmpB       []float32
	tmpMask    []bool
	sigOff     *sigOffsets
	bank       *filterBank

	fgBlocks     int
	medianPeriod float64
	grayStd      float64

	// limitOutliers' buffers: the other image (winsorized, or as given when
	// the winsorized one is kept) and the fields of the image as given.
	alt, saved []float32

	// Enhancement and skeleton, padded like img.
	enh    []float32
	tmp    []float32
	skel   []uint8
	list   []int32
	del    []int32
	candAt []int32 // minutiae stage: pixel → 1 + candidate index
}

// grow returns s resized to n, reusing its storage.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// run computes the fields of g at its own resolution; with minutiae it also
// enhances and thins the image. It returns an *UnusableError for images that
// are too small.
func (a *analysis) run(g *image.Gray, minutiae bool) error {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	if int64(w)*int64(h) > maxImagePixels {
		return fmt.Errorf("fingerprint: %d×%d image is more than %d pixels", w, h, maxImagePixels)
	}
	if w < minSide || h < minSide {
		return &UnusableError{Reason: fmt.Sprintf("image too small (%d×%d pixels, need at least %d×%d)", w, h, minSide, minSide)}
	}
	a.w, a.h = w, h
	a.pw, a.ph = w+2*pad, h+2*pad
	a.loadPadded(g)
	a.bw, a.bh = (w+blockSize-1)/blockSize, (h+blockSize-1)/blockSize
	nb := a.bw * a.bh
	a.gA = grow(a.gA, nb)
	a.gB = grow(a.gB, nb)
	a.gE = grow(a.gE, nb)
	a.vx = grow(a.vx, nb)
	a.vy = grow(a.vy, nb)
	a.theta = grow(a.theta, nb)
	a.coh = grow(a.coh, nb)
	a.energy = grow(a.energy, nb)
	a.mask = grow(a.mask, nb)
	a.period = grow(a.period, nb)
	a.rawPeriod = grow(a.rawPeriod, nb)
	a.freqOK = grow(a.freqOK, nb)
	a.clarity = grow(a.clarity, nb)
	a.tmpB = grow(a.tmpB, nb)
	a.tmpMask = grow(a.tmpMask, nb)

	a.orientation()
	a.segment()
	if a.fgBlocks == 0 {
		a.medianPeriod = nominalPeriod
		return nil
	}
	a.limitOutliers()
	a.frequency()
	if minutiae {
		a.enhance()
		a.thin()
	}
	return nil
}

// loadPadded copies g into a.img with a replicated border of pad pixels and
// measures the gray-level standard deviation.
func (a *analysis) loadPadded(g *image.Gray) {
	w, h, pw := a.w, a.h, a.pw
	a.img = grow(a.img, pw*a.ph)
	img := a.img
	var sum, sum2 float64
	for y := 0; y < h; y++ {
		src := g.Pix[y*g.Stride : y*g.Stride+w]
		row := img[(y+pad)*pw : (y+pad+1)*pw]
		var rs, rs2 int
		for x, v := range src {
			row[pad+x] = float32(v)
			rs += int(v)
			rs2 += int(v) * int(v)
		}
		sum += float64(rs)
		sum2 += float64(rs2)
		l, r := row[pad], row[pad+w-1]
		for x := 0; x < pad; x++ {
			row[x] = l
			row[pad+w+x] = r
		}
	}
	for y := 0; y < pad; y++ {
		copy(img[y*pw:(y+1)*pw], img[pad*pw:(pad+1)*pw])
		copy(img[(pad+h+y)*pw:(pad+h+y+1)*pw], img[(pad+h-1)*pw:(pad+h)*pw])
	}
	n := float64(w * h)
	mean := sum / n
	v := sum2/n - mean*mean
	if v < 0 {
		v = 0
	}
	a.grayStd = math.Sqrt(v)
}

// median returns the median of v, reordering it.
func median(v []float32) float64 {
	if len(v) == 0 {
		return 0
	}
	sortFloat32(v)
	m := len(v) / 2
	if len(v)%2 == 1 {
		return float64(v[m])
	}
	return (float64(v[m-1]) + float64(v[m])) / 2
}

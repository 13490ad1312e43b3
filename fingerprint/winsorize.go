package fingerprint

// Outlier limiting. A dry or dirty impression (FVC2002 DB2's dry fingers are
// an example) can show its ridges as faint gray lines strewn with isolated
// very dark specks: sweat pores, dirt, spots of the ridge pressed harder than
// the rest. The squared gradients of the orientation estimate are dominated by
// the specks, so the field follows them instead of the ridges, the Gabor
// filter then breaks the ridges into blobs, and the thinning turns those into
// spurious endings. Limiting every pixel to a band around the print's typical
// gray levels keeps the specks' place in the pattern but caps their weight.
//
// The band is Hampel's outlier rule: the median ± winsorK·σ, where σ is the
// median absolute deviation (MAD) scaled by madSigma, both insensitive to up
// to half the values being outliers (Hampel, "The influence curve and its
// role in robust estimation", JASA 69, 1974; Huber and Ronchetti, Robust
// Statistics, 2nd ed., 2009, §5.1). Three σ is the customary cut.
//
// Limiting is not always better: where the ridges themselves are sparse dark
// fragments on a light, speckled ground, the fragments are the tail the band
// cuts, and the field measured on the limited image is worse. So the limited
// image is kept only when the field measured on it is more coherent over the
// foreground than the field of the image as given: coherence is the
// reliability of the averaged squared gradient (Bazen and Gerez 2002, the
// method orientation implements).
const (
	winsorK  = 3.0
	madSigma = 1.4826 // σ of a normal distribution per unit of MAD
)

// limitOutliers winsorizes a.img (see winsorize) and measures the orientation
// field again on the result. It keeps the winsorized image and its field when
// their mean coherence over the foreground is higher than before, and
// restores the image and the field otherwise. The foreground stays as the
// image as given defined it. It needs the fields of orientation and segment.
func (a *analysis) limitOutliers() {
	a.alt = grow(a.alt, len(a.img))
	if !a.winsorize(a.alt) {
		return
	}
	nb := a.bw * a.bh
	saved := [...]*[]float32{&a.vx, &a.vy, &a.theta, &a.coh, &a.energy}
	a.saved = grow(a.saved, len(saved)*nb)
	for k, f := range saved {
		copy(a.saved[k*nb:(k+1)*nb], *f)
	}
	before := a.meanCoherence()
	a.img, a.alt = a.alt, a.img
	a.orientation()
	if a.meanCoherence() > before {
		return
	}
	a.img, a.alt = a.alt, a.img
	for k, f := range saved {
		copy(*f, a.saved[k*nb:(k+1)*nb])
	}
}

// meanCoherence is the mean of a.coh over the foreground blocks (0 when
// there are none).
func (a *analysis) meanCoherence() float64 {
	if a.fgBlocks == 0 {
		return 0
	}
	var s float64
	for i, m := range a.mask {
		if m {
			s += float64(a.coh[i])
		}
	}
	return s / float64(a.fgBlocks)
}

// winsorize writes a.img limited to the band median ± winsorK·σ of the
// foreground's gray levels into dst (len(a.img) values) and reports whether
// any pixel lies outside the band; when none does, dst is left untouched. σ
// is madSigma times the MAD, taken as at least one gray level, the
// quantisation of an 8-bit image: when more than half the print is one
// saturated level, the band is the few levels around it and the ridges
// become a two-level pattern. It assumes a.img holds gray levels 0..255 as
// loadPadded leaves them.
func (a *analysis) winsorize(dst []float32) bool {
	var hist [256]int
	n := 0
	for by := 0; by < a.bh; by++ {
		y0, y1 := by*blockSize, min((by+1)*blockSize, a.h)
		for bx := 0; bx < a.bw; bx++ {
			if !a.mask[by*a.bw+bx] {
				continue
			}
			x0, x1 := bx*blockSize, min((bx+1)*blockSize, a.w)
			for y := y0; y < y1; y++ {
				row := a.img[(y+pad)*a.pw+pad:]
				for _, v := range row[x0:x1] {
					hist[uint8(v)]++
				}
				n += x1 - x0
			}
		}
	}
	if n == 0 {
		return false
	}
	med := histMedian(&hist, n)
	var dev [256]int
	for v, c := range hist {
		d := v - med
		if d < 0 {
			d = -d
		}
		dev[d] += c
	}
	r := float32(winsorK * madSigma * float64(max(histMedian(&dev, n), 1)))
	lo, hi := float32(med)-r, float32(med)+r
	outside := false
	for _, v := range a.img {
		if v < lo || v > hi {
			outside = true
			break
		}
	}
	if !outside {
		return false
	}
	for i, v := range a.img {
		dst[i] = min(max(v, lo), hi)
	}
	return true
}

// histMedian is the lower median of the n values counted in hist.
func histMedian(hist *[256]int, n int) int {
	c := 0
	for v, k := range hist {
		c += k
		if 2*c >= n {
			return v
		}
	}
	return len(hist) - 1
}

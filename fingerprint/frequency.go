package fingerprint

import (
	"math"
	"sync"
)

// Frequency window: an oriented window centred on each block, sigLen
// samples across the ridges (the x-signature of Hong, Wan & Jain 1998,
// §2.4) and 2*sigHalfWidth+1 samples along them, one pixel apart.
const (
	sigLen       = 32
	sigHalfWidth = 6
	sigWidth     = 2*sigHalfWidth + 1
	// numAngles is the number of orientation steps over [0, π) for the
	// precomputed sampling and filter tables (5.6° apart).
	numAngles = 32
)

// sigTable holds, for each quantised orientation, the (dx, dy) of every
// sample of the oriented window, bin-major.
var sigTable = sync.OnceValue(func() [numAngles][sigLen * sigWidth][2]int8 {
	var t [numAngles][sigLen * sigWidth][2]int8
	for ai := 0; ai < numAngles; ai++ {
		th := float64(ai) * math.Pi / numAngles
		tx, ty := math.Cos(th), math.Sin(th) // along the ridge
		nx, ny := -ty, tx                    // across the ridges
		n := 0
		for k := 0; k < sigLen; k++ {
			u := float64(k) - float64(sigLen-1)/2
			for j := -sigHalfWidth; j <= sigHalfWidth; j++ {
				t[ai][n] = [2]int8{int8(math.Round(u*nx + float64(j)*tx)), int8(math.Round(u*ny + float64(j)*ty))}
				n++
			}
		}
	}
	return t
})

// angleIndex quantises a ridge direction in [0, π) to a table index.
func angleIndex(theta float32) int {
	i := int(float64(theta)*numAngles/math.Pi + 0.5)
	if i >= numAngles {
		i -= numAngles
	}
	if i < 0 {
		i = 0
	}
	return i
}

// frequency estimates the ridge period of every foreground block from the
// x-signature: gray levels averaged along the ridge direction and sampled
// across it. The period is the mean distance between successive maxima and
// between successive minima of the smoothed signature, refined to sub-pixel
// by a parabola through each extremum. Blocks without a clear signature take
// the mean of measured neighbours; the field is then smoothed. The same
// window gives the block's clarity: the share of the window's gray-level
// variance explained by the signature (1 for clean ridges, about 1/13 for
// noise), in the spirit of NFIQ 2's local clarity score.
func (a *analysis) frequency() {
	tab := sigTable()
	if a.sigOff == nil {
		a.sigOff = new(sigOffsets)
	}
	offs := a.sigOff
	if offs.stride != a.pw {
		offs.build(tab, a.pw)
	}
	w, h, pw, bw, bh := a.w, a.h, a.pw, a.bw, a.bh
	img := a.img
	valid := a.tmpB[:0]
	for by := 0; by < bh; by++ {
		cy := min(by*blockSize+blockSize/2, h-1)
		for bx := 0; bx < bw; bx++ {
			i := by*bw + bx
			a.freqOK[i] = false
			a.clarity[i] = 0
			a.period[i] = 0
			if !a.mask[i] {
				continue
			}
			cx := min(bx*blockSize+blockSize/2, w-1)
			c := (cy+pad)*pw + cx + pad
			o := &offs.off[angleIndex(a.theta[i])]
			var sig [sigLen]float32
			var sum, sum2 float32
			n := 0
			for k := 0; k < sigLen; k++ {
				var s float32
				for _, d := range o[k*sigWidth : (k+1)*sigWidth] {
					v := img[c+int(d)]
					s += v
					sum2 += v * v
				}
				sig[k] = s
				sum += s
				n += sigWidth
			}
			mean := sum / float32(n)
			total := sum2 - float32(n)*mean*mean
			var between float32
			for k := range sig {
				d := sig[k]/sigWidth - mean
				between += sigWidth * d * d
			}
			if total > 0 {
				a.clarity[i] = between / total
			}
			if p, ok := signaturePeriod(&sig); ok {
				a.period[i] = p
				a.freqOK[i] = true
				valid = append(valid, p)
			}
		}
	}
	copy(a.rawPeriod, a.period)
	if len(valid) == 0 {
		a.medianPeriod = nominalPeriod
	} else {
		a.medianPeriod = median(valid)
	}
	a.fillPeriods()
}

// sigOffsets is sigTable turned into offsets in a padded image row stride.
type sigOffsets struct {
	stride int
	off    [numAngles][sigLen * sigWidth]int32
}

func (s *sigOffsets) build(tab [numAngles][sigLen * sigWidth][2]int8, stride int) {
	s.stride = stride
	for ai := range tab {
		for n, d := range tab[ai] {
			s.off[ai][n] = int32(int(d[1])*stride + int(d[0]))
		}
	}
}

// signaturePeriod returns the ridge period of an x-signature and whether it
// is clear enough to trust.
func signaturePeriod(sig *[sigLen]float32) (float32, bool) {
	var s [sigLen]float32
	s[0], s[sigLen-1] = sig[0], sig[sigLen-1]
	for k := 1; k < sigLen-1; k++ {
		s[k] = (sig[k-1] + 2*sig[k] + sig[k+1]) / 4
	}
	var firstMax, lastMax, firstMin, lastMin float32
	nMax, nMin := 0, 0
	for k := 1; k < sigLen-1; k++ {
		isMax := s[k] > s[k-1] && s[k] >= s[k+1]
		isMin := s[k] < s[k-1] && s[k] <= s[k+1]
		if !isMax && !isMin {
			continue
		}
		// Parabolic sub-sample refinement.
		den := s[k-1] - 2*s[k] + s[k+1]
		pos := float32(k)
		if den != 0 {
			off := 0.5 * (s[k-1] - s[k+1]) / den
			if off > -1 && off < 1 {
				pos += off
			}
		}
		if isMax {
			if nMax == 0 {
				firstMax = pos
			}
			lastMax = pos
			nMax++
		} else {
			if nMin == 0 {
				firstMin = pos
			}
			lastMin = pos
			nMin++
		}
	}
	spans := 0
	var dist float32
	if nMax >= 2 {
		spans += nMax - 1
		dist += lastMax - firstMax
	}
	if nMin >= 2 {
		spans += nMin - 1
		dist += lastMin - firstMin
	}
	if spans < 2 {
		return 0, false
	}
	p := dist / float32(spans)
	if p < minPeriod || p > maxPeriod {
		return p, false
	}
	return p, true
}

// fillPeriods gives foreground blocks without a measured period the mean of
// their measured neighbours (repeatedly, growing inwards), falls back to the
// median period, and smooths the field over 3×3 foreground blocks.
func (a *analysis) fillPeriods() {
	bw, bh := a.bw, a.bh
	p := a.period
	known := a.tmpMask
	for i := range known {
		known[i] = a.freqOK[i]
	}
	tmp := a.tmpB
	for iter := 0; iter < 8; iter++ {
		changed := false
		for by := 0; by < bh; by++ {
			for bx := 0; bx < bw; bx++ {
				i := by*bw + bx
				tmp[i] = 0
				if !a.mask[i] || known[i] {
					continue
				}
				var s float32
				n := 0
				for dy := -1; dy <= 1; dy++ {
					for dx := -1; dx <= 1; dx++ {
						x, y := bx+dx, by+dy
						if x < 0 || y < 0 || x >= bw || y >= bh || !known[y*bw+x] {
							continue
						}
						s += p[y*bw+x]
						n++
					}
				}
				if n > 0 {
					tmp[i] = s / float32(n)
					changed = true
				}
			}
		}
		for i, v := range tmp {
			if v > 0 {
				p[i] = v
				known[i] = true
			}
		}
		if !changed {
			break
		}
	}
	for i := range p {
		if a.mask[i] && !known[i] {
			p[i] = float32(a.medianPeriod)
		}
	}
	// 3×3 smoothing over foreground.
	for by := 0; by < bh; by++ {
		for bx := 0; bx < bw; bx++ {
			i := by*bw + bx
			tmp[i] = 0
			if !a.mask[i] {
				continue
			}
			var s float32
			n := 0
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					x, y := bx+dx, by+dy
					if x < 0 || y < 0 || x >= bw || y >= bh || !a.mask[y*bw+x] {
						continue
					}
					s += p[y*bw+x]
					n++
				}
			}
			tmp[i] = s / float32(n)
		}
	}
	copy(p, tmp)
}

package fingerprint

import (
	"math"
	"sync"
)

// Enhancement filter parameters, in ridge periods: the even-symmetric Gabor
// filter of Hong, Wan & Jain (1998, §2.5) with σx = σy ≈ 4 px at a 9.5 px
// period, i.e. about 0.43 periods.
const (
	alongSigma  = 0.6  // Gaussian along the ridge, in periods
	acrossSigma = 0.42 // Gaussian envelope across the ridges, in periods
	alongReach  = 1.9  // filter half-length along the ridge, in σ
	acrossReach = 2.4  // filter half-length across the ridges, in σ
	// periodStep is the period quantisation of the filter bank (pixels).
	periodStep = 0.5
	// numPeriodBins covers minPeriod..maxPeriod.
	numPeriodBins = int((maxPeriod-minPeriod)/periodStep) + 1
)

// tap is one filter coefficient at a pixel offset.
type tap struct {
	dx, dy int8
	w      float32
}

// kernelShapes holds the two 1-D passes of the oriented Gabor filter for
// each quantised orientation and period.
type kernelShapes struct {
	along, across [numAngles][numPeriodBins][]tap
}

var gaborShapes = sync.OnceValue(func() *kernelShapes {
	ks := new(kernelShapes)
	for ai := 0; ai < numAngles; ai++ {
		th := float64(ai) * math.Pi / numAngles
		tx, ty := math.Cos(th), math.Sin(th)
		for pi := 0; pi < numPeriodBins; pi++ {
			p := minPeriod + float64(pi)*periodStep
			s1 := alongSigma * p
			line := linePixels(tx, ty, alongReach*s1)
			taps := make([]tap, len(line))
			var sum float64
			for i, d := range line {
				u := float64(d[0])*tx + float64(d[1])*ty
				wt := math.Exp(-u * u / (2 * s1 * s1))
				taps[i] = tap{d[0], d[1], float32(wt)}
				sum += wt
			}
			for i := range taps {
				taps[i].w = float32(float64(taps[i].w) / sum)
			}
			ks.along[ai][pi] = taps

			s2 := acrossSigma * p
			nx, ny := -ty, tx
			line = linePixels(nx, ny, acrossReach*s2)
			taps = make([]tap, len(line))
			g := make([]float64, len(line))
			cs := make([]float64, len(line))
			var gs, gcs float64
			for i, d := range line {
				u := float64(d[0])*nx + float64(d[1])*ny
				g[i] = math.Exp(-u * u / (2 * s2 * s2))
				cs[i] = math.Cos(2 * math.Pi * u / p)
				gs += g[i]
				gcs += g[i] * cs[i]
			}
			dc := gcs / gs // remove the DC response
			var gain float64
			for i := range line {
				wt := g[i] * (cs[i] - dc)
				gain += wt * cs[i]
				taps[i] = tap{line[i][0], line[i][1], float32(wt)}
			}
			for i := range taps {
				taps[i].w = float32(float64(taps[i].w) / gain)
			}
			ks.across[ai][pi] = taps
		}
	}
	return ks
})

// linePixels returns the pixels of a digital line through the origin in
// direction (dx, dy) (a unit vector) reaching reach pixels either way, one
// per step of the dominant axis, so that no pixel repeats.
func linePixels(dx, dy, reach float64) [][2]int8 {
	var out [][2]int8
	if math.Abs(dx) >= math.Abs(dy) {
		r := int(math.Floor(reach * math.Abs(dx)))
		for i := -r; i <= r; i++ {
			out = append(out, [2]int8{int8(i), int8(math.Round(float64(i) * dy / dx))})
		}
	} else {
		r := int(math.Floor(reach * math.Abs(dy)))
		for i := -r; i <= r; i++ {
			out = append(out, [2]int8{int8(math.Round(float64(i) * dx / dy)), int8(i)})
		}
	}
	return out
}

// filterBank is gaborShapes with the offsets resolved for one row stride.
type filterBank struct {
	stride        int
	along, across [numAngles][numPeriodBins]kernel
}

type kernel struct {
	off []int32
	w   []float32
}

func (fb *filterBank) build(stride int) {
	ks := gaborShapes()
	fb.stride = stride
	conv := func(k *kernel, taps []tap) {
		k.off = k.off[:0]
		k.w = k.w[:0]
		for _, t := range taps {
			k.off = append(k.off, int32(int(t.dy)*stride+int(t.dx)))
			k.w = append(k.w, t.w)
		}
	}
	for ai := range ks.along {
		for pi := range ks.along[ai] {
			conv(&fb.along[ai][pi], ks.along[ai][pi])
			conv(&fb.across[ai][pi], ks.across[ai][pi])
		}
	}
}

// periodBin quantises a period to the filter bank.
func periodBin(p float32) int {
	i := int((p-minPeriod)/periodStep + 0.5)
	return max(0, min(numPeriodBins-1, i))
}

// enhance filters the foreground with the oriented Gabor filter tuned to
// each block's orientation and period. The filter is even-symmetric and
// separable in the ridge's own axes: a Gaussian along the ridge, then a
// zero-mean cosine-Gaussian across it, each sampled on a digital line. The
// output (a.enh) is negative on ridges (dark) and positive in valleys; it is
// zero outside the foreground.
func (a *analysis) enhance() {
	if a.bank == nil {
		a.bank = new(filterBank)
	}
	if a.bank.stride != a.pw {
		a.bank.build(a.pw)
	}
	fb := a.bank
	w, h, pw, bw, bh := a.w, a.h, a.pw, a.bw, a.bh
	n := pw * a.ph
	a.tmp = grow(a.tmp, n)
	a.enh = grow(a.enh, n)
	clear(a.tmp)
	clear(a.enh)
	img, tmp, enh := a.img, a.tmp, a.enh
	// Blocks whose along-ridge pass is needed: foreground dilated by the
	// across filter's reach (two blocks).
	need := a.tmpMask
	for by := 0; by < bh; by++ {
		for bx := 0; bx < bw; bx++ {
			v := false
			for dy := -2; dy <= 2 && !v; dy++ {
				for dx := -2; dx <= 2; dx++ {
					x, y := bx+dx, by+dy
					if x >= 0 && y >= 0 && x < bw && y < bh && a.mask[y*bw+x] {
						v = true
						break
					}
				}
			}
			need[by*bw+bx] = v
		}
	}
	for by := 0; by < bh; by++ {
		y0, y1 := by*blockSize, min((by+1)*blockSize, h)
		for bx := 0; bx < bw; bx++ {
			i := by*bw + bx
			if !need[i] {
				continue
			}
			p := a.period[i]
			if !a.mask[i] {
				p = float32(a.medianPeriod)
			}
			pb := periodBin(p)
			x0, x1 := bx*blockSize, min((bx+1)*blockSize, w)
			k := &fb.along[angleIndex(a.theta[i])][pb]
			for y := y0; y < y1; y++ {
				row := (y+pad)*pw + pad
				for x := x0; x < x1; x++ {
					tmp[row+x] = convolve(img, row+x, k)
				}
			}
		}
	}
	for by := 0; by < bh; by++ {
		y0, y1 := by*blockSize, min((by+1)*blockSize, h)
		for bx := 0; bx < bw; bx++ {
			i := by*bw + bx
			if !a.mask[i] {
				continue
			}
			pb := periodBin(a.period[i])
			x0, x1 := bx*blockSize, min((bx+1)*blockSize, w)
			k := &fb.across[angleIndex(a.theta[i])][pb]
			for y := y0; y < y1; y++ {
				row := (y+pad)*pw + pad
				for x := x0; x < x1; x++ {
					enh[row+x] = convolve(tmp, row+x, k)
				}
			}
		}
	}
}

// convolve returns Σ k.w[i]·src[c+k.off[i]].
func convolve(src []float32, c int, k *kernel) float32 {
	var s float32
	w := k.w[:len(k.off)]
	for i, o := range k.off {
		s += w[i] * src[c+int(o)]
	}
	return s
}

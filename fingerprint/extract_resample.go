package fingerprint

import (
	"image"
	"math"
)

// resample scales g by factor f (output pixels per input pixel) with a
// separable triangle (linear) filter whose support widens when shrinking,
// so that downsampling averages instead of aliasing.
func resample(g *image.Gray, f float64) *image.Gray {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	nw := max(1, int(math.Round(float64(w)*f)))
	nh := max(1, int(math.Round(float64(h)*f)))
	// Horizontal pass into float rows, then vertical into the output.
	tmp := make([]float32, nw*h)
	xs := resampleWeights(w, nw, f)
	for y := 0; y < h; y++ {
		src := g.Pix[y*g.Stride : y*g.Stride+w]
		dst := tmp[y*nw : (y+1)*nw]
		for x := range dst {
			var s float32
			for _, t := range xs[x].taps {
				s += t.w * float32(src[t.i])
			}
			dst[x] = s
		}
	}
	out := image.NewGray(image.Rect(0, 0, nw, nh))
	ys := resampleWeights(h, nh, f)
	for y := 0; y < nh; y++ {
		for x := 0; x < nw; x++ {
			var s float32
			for _, t := range ys[y].taps {
				s += t.w * tmp[t.i*nw+x]
			}
			out.Pix[y*out.Stride+x] = uint8(max(0, min(255, int(s+0.5))))
		}
	}
	return out
}

type resampleTap struct {
	i int
	w float32
}

type resampleRow struct{ taps []resampleTap }

// resampleWeights returns, for each of n output samples, the input samples
// (of m) and normalised triangle-filter weights that make it.
func resampleWeights(m, n int, f float64) []resampleRow {
	support := 1.0
	if f < 1 {
		support = 1 / f
	}
	rows := make([]resampleRow, n)
	for o := range rows {
		c := (float64(o)+0.5)/f - 0.5 // centre in input coordinates
		lo := int(math.Floor(c - support))
		hi := int(math.Ceil(c + support))
		var sum float64
		var taps []resampleTap
		for i := lo; i <= hi; i++ {
			wt := 1 - math.Abs(float64(i)-c)/support
			if wt <= 0 {
				continue
			}
			j := max(0, min(m-1, i))
			taps = append(taps, resampleTap{j, float32(wt)})
			sum += wt
		}
		for k := range taps {
			taps[k].w = float32(float64(taps[k].w) / sum)
		}
		rows[o].taps = taps
	}
	return rows
}

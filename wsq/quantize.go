package wsq

import "math"

// Subband variance and bit allocation (spec §A.2 and Appendix A of the
// encoder description): the encoder chooses a bin width Q[k] per subband so
// that the expected bit rate meets the target.

const (
	varianceThreshold = 1.01 // subbands with less variance are dropped
	binCenter         = 0.44 // C, the reconstruction offset in a bin
	zeroBinRatio      = 1.2  // Z = 1.2 Q
)

// variances returns the variance of each coded subband of the decomposed
// image f. Subbands 0..3 are measured on a central window; if their total is
// at least 20000 the other subbands are too, else all subbands are measured
// whole.
func variances(f []float32, width int, t *trees) [codedBands]float64 {
	var v [codedBands]float64
	measure := func(k int, window bool) float64 {
		r := t.q[k]
		x0, y0, w, h := r.x, r.y, r.w, r.h
		if window {
			x0 += r.w / 8
			y0 += 9 * r.h / 32
			w = 3 * r.w / 4
			h = 7 * r.h / 16
		}
		n := float64(w * h)
		if n < 2 {
			return 0
		}
		var sum, ssq float64
		for y := y0; y < y0+h; y++ {
			for _, p := range f[y*width+x0 : y*width+x0+w] {
				sum += float64(p)
				ssq += float64(p) * float64(p)
			}
		}
		return (ssq - sum*sum/n) / (n - 1)
	}
	total := 0.0
	for k := 0; k < 4; k++ {
		v[k] = measure(k, true)
		total += v[k]
	}
	whole := total < 20000
	for k := 0; k < codedBands; k++ {
		if k < 4 && !whole {
			continue
		}
		v[k] = measure(k, !whole)
	}
	return v
}

// binWidths allocates the bit rate (bits per pixel) over the subbands and
// returns Q[k] (0 for subbands not coded).
func binWidths(v [codedBands]float64, rate float64) [codedBands]float64 {
	var weight [codedBands]float64 // A[k]
	for k := range weight {
		weight[k] = 1
	}
	for k, a := range []float64{1.32, 1.08, 1.42, 1.08, 1.32, 1.42, 1.08, 1.08} {
		weight[block3Start+k] = a
	}
	// share[k] is the fraction of the image subband k covers (1/m in the
	// spec's notation).
	var share [codedBands]float64
	for k := range share {
		switch {
		case k < 4:
			share[k] = 1.0 / 1024
		case k < 51:
			share[k] = 1.0 / 256
		default:
			share[k] = 1.0 / 16
		}
	}
	var qp, sigma [codedBands]float64 // Q' and √variance
	var initial []int
	for k := range v {
		if v[k] < varianceThreshold {
			continue
		}
		if k < 4 {
			qp[k] = 1
		} else {
			qp[k] = 10 / (weight[k] * math.Log(v[k]))
		}
		sigma[k] = math.Sqrt(v[k])
		initial = append(initial, k)
	}
	var q float64
	set := append([]int(nil), initial...)
	for len(set) > 0 {
		s, logP := 0.0, 0.0
		for _, k := range set {
			s += share[k]
			logP += share[k] * math.Log(sigma[k]/qp[k])
		}
		q = math.Pow(2, rate/s-1) / 2.5 / math.Exp(logP/s)
		kept := set[:0:0]
		for _, k := range set {
			if qp[k]/q < 5*sigma[k] {
				kept = append(kept, k)
			}
		}
		if len(kept) == len(set) {
			break
		}
		set = kept
	}
	var Q [codedBands]float64
	if q == 0 {
		return Q
	}
	for _, k := range initial {
		Q[k] = qp[k] / q
	}
	return Q
}

// quantize maps the subband samples to bin indices with bin widths q and
// zero-bin widths z, appending them in subband order.
func quantize(dst []int16, f []float32, width int, t *trees, q, z *[numSubbands]float32) []int16 {
	for k := 0; k < codedBands; k++ {
		if q[k] == 0 {
			continue
		}
		qk, hz := float64(q[k]), float64(z[k])/2
		r := t.q[k]
		for y := r.y; y < r.y+r.h; y++ {
			for _, p := range f[y*width+r.x : y*width+r.x+r.w] {
				x := float64(p)
				var b float64
				switch {
				case x > hz:
					b = math.Trunc((x-hz)/qk + 1)
				case x < -hz:
					b = math.Trunc((x+hz)/qk - 1)
				}
				dst = append(dst, int16(max(-32767, min(32767, b))))
			}
		}
	}
	return dst
}

package fingerprint

import "math"

// orientation computes the block orientation field by the averaged squared
// gradient method (Bazen & Gerez, "Systematic methods for the computation of
// the directional fields and singular points of fingerprints", IEEE PAMI
// 24(7), 2002; Hong, Wan & Jain, IEEE PAMI 20(8), 1998, §2.3):
//
//   - Sobel gradients (gx, gy) at every pixel;
//   - per block the moments Σ(gx²−gy²), Σ2gxgy, Σ(gx²+gy²);
//   - per block, over a 3×3-block window, the coherence
//     |(Σ(gx²−gy²), Σ2gxgy)| / Σ(gx²+gy²) and the mean squared gradient;
//   - the doubled-angle vector of the window, normalised by Σ(gx²+gy²) so
//     that its length is the coherence, smoothed with a Gaussian (σ = 1
//     block) and turned into the ridge direction, perpendicular to the
//     dominant gradient.
//
// theta is in [0, π) in image axes (x right, y down).
func (a *analysis) orientation() {
	w, h, pw, bw, bh := a.w, a.h, a.pw, a.bw, a.bh
	img := a.img
	gA, gB, gE := a.gA, a.gB, a.gE
	clear(gA)
	clear(gB)
	clear(gE)
	for y := 0; y < h; y++ {
		by := y / blockSize
		rowA := gA[by*bw : (by+1)*bw]
		rowB := gB[by*bw : (by+1)*bw]
		rowE := gE[by*bw : (by+1)*bw]
		p0 := (y+pad)*pw + pad
		up := img[p0-pw-1 : p0-pw+w+1]
		mid := img[p0-1 : p0+w+1]
		dn := img[p0+pw-1 : p0+pw+w+1]
		for bx := 0; bx < bw; bx++ {
			x0, x1 := bx*blockSize, min((bx+1)*blockSize, w)
			var sa, sb, se float32
			for x := x0; x < x1; x++ {
				// Window columns x, x+1, x+2 of the shifted rows are pixels x-1, x, x+1.
				gx := (up[x+2] + 2*mid[x+2] + dn[x+2]) - (up[x] + 2*mid[x] + dn[x])
				gy := (dn[x] + 2*dn[x+1] + dn[x+2]) - (up[x] + 2*up[x+1] + up[x+2])
				sa += gx*gx - gy*gy
				sb += 2 * gx * gy
				se += gx*gx + gy*gy
			}
			rowA[bx] += sa
			rowB[bx] += sb
			rowE[bx] += se
		}
	}
	// 3×3-block window sums: coherence, energy and the normalised vector.
	vx, vy := a.tmpB, a.vy // vx is staged in tmpB, smoothed into a.vx
	for by := 0; by < bh; by++ {
		for bx := 0; bx < bw; bx++ {
			var sa, sb, se float32
			n := 0
			for dy := -1; dy <= 1; dy++ {
				yy := by + dy
				if yy < 0 || yy >= bh {
					continue
				}
				for dx := -1; dx <= 1; dx++ {
					xx := bx + dx
					if xx < 0 || xx >= bw {
						continue
					}
					i := yy*bw + xx
					sa += gA[i]
					sb += gB[i]
					se += gE[i]
					n += blockPixels(xx, yy, w, h)
				}
			}
			i := by*bw + bx
			if se <= 0 {
				a.coh[i], a.energy[i], vx[i], vy[i] = 0, 0, 0, 0
				continue
			}
			a.coh[i] = float32(math.Sqrt(float64(sa*sa+sb*sb))) / se
			a.energy[i] = se / float32(n)
			vx[i], vy[i] = sa/se, sb/se
		}
	}
	// Gaussian smoothing (σ = 1 block, 5×5 support) of the vector field.
	var k [5]float32
	const sig = 1.0 // blocks
	for i := range k {
		d := float64(i - 2)
		k[i] = float32(math.Exp(-d * d / (2 * sig * sig)))
	}
	for by := 0; by < bh; by++ {
		for bx := 0; bx < bw; bx++ {
			var sx, sy, sw float32
			for dy := -2; dy <= 2; dy++ {
				yy := by + dy
				if yy < 0 || yy >= bh {
					continue
				}
				for dx := -2; dx <= 2; dx++ {
					xx := bx + dx
					if xx < 0 || xx >= bw {
						continue
					}
					wt := k[dy+2] * k[dx+2]
					j := yy*bw + xx
					sx += wt * vx[j]
					sy += wt * vy[j]
					sw += wt
				}
			}
			i := by*bw + bx
			a.vx[i] = sx / sw
			a.gA[i] = sy / sw // staged: vy cannot be overwritten while read
		}
	}
	for i := range a.theta {
		a.vy[i] = a.gA[i]
		// Gradient doubled angle φ; the ridge runs perpendicular: θ = φ/2 + π/2.
		t := 0.5*math.Atan2(float64(a.vy[i]), float64(a.vx[i])) + math.Pi/2
		if t >= math.Pi {
			t -= math.Pi
		}
		if t < 0 {
			t += math.Pi
		}
		a.theta[i] = float32(t)
	}
}

// blockPixels is the number of pixels of block (bx, by) inside a w×h image.
func blockPixels(bx, by, w, h int) int {
	return (min((bx+1)*blockSize, w) - bx*blockSize) * (min((by+1)*blockSize, h) - by*blockSize)
}

package synth

import (
	"image"
	"math"
	"math/rand/v2"
)

// ImpressionOptions controls how a finger touches the sensor. The zero value
// gives plain impressions of a 500 ppi optical sensor with the variability
// of FVC2002 acquisitions (volunteers asked to vary placement, pressure and
// skin condition).
type ImpressionOptions struct {
	// Width and Height of the image in pixels; 0 means 400×448.
	Width, Height int
	// Variation scales all random variations (displacement, rotation,
	// distortion, partial contact, skin condition, noise); 0 means 1, and
	// negative means none at all (an ideal, centred touch).
	Variation float64
	// Dryness, when not 0, fixes the skin condition instead of drawing it:
	// -1 very wet (thick, merging ridges) … 0 normal … +1 very dry (thin,
	// broken ridges). Use a tiny value such as 1e-9 for "exactly normal".
	Dryness float64
}

func (o ImpressionOptions) size() (int, int) {
	w, h := o.Width, o.Height
	if w <= 0 {
		w = 400
	}
	if h <= 0 {
		h = 448
	}
	return w, h
}

// geometry is where one impression's pixels come from on the master.
type geometry struct {
	w, h float64
	// rigid part: master = mc + R(rot)·(p − ic)
	mcx, mcy, icx, icy float64
	cosR, sinR         float64
	// plastic distortion (Cappelli, Maio, Maltoni, ICAPR 2001): inside the
	// close-contact ellipse nothing moves; outside, points move by the
	// small rigid motion (dRot, dx, dy) about the ellipse centre, braked by
	// brake(d) = 1 − exp(−d²/2k²) of the distance d from the ellipse.
	ccx, ccy, cca, ccb float64
	dCos, dSin, dx, dy float64
	k2                 float64
	// contact area ellipse (impression coordinates)
	ecx, ecy, ea, eb float64
}

func newGeometry(r *rand.Rand, f *fields, w, h int, v float64) *geometry {
	g := &geometry{w: float64(w), h: float64(h)}
	g.icx, g.icy = float64(w)/2, float64(h)/2
	g.mcx = f.cx + v*normal(r, 0, 22)
	g.mcy = f.cy + 15 + v*normal(r, 0, 28)
	rot := v * normal(r, 0, 0.12)
	g.sinR, g.cosR = math.Sincos(rot)
	g.ccx = g.icx + v*normal(r, 0, 20)
	g.ccy = g.icy + v*normal(r, 0, 25)
	g.cca = uniform(r, 40, 80)
	g.ccb = uniform(r, 50, 95)
	dr := v * normal(r, 0, 0.035)
	g.dSin, g.dCos = math.Sincos(dr)
	g.dx = v * normal(r, 0, 7)
	g.dy = v * normal(r, 0, 7)
	k := uniform(r, 50, 90)
	g.k2 = 2 * k * k
	g.ecx = g.icx + v*normal(r, 0, 18)
	g.ecy = g.icy + v*normal(r, 0, 22)
	shrink := 1 - v*uniform(r, 0, 0.22)
	g.ea = float64(w) * 0.56 * shrink
	g.eb = float64(h) * 0.60 * shrink
	return g
}

// toMaster maps an impression point to the master.
func (g *geometry) toMaster(u, v float64) (float64, float64) {
	// plastic distortion about the close-contact region
	du, dv := (u-g.ccx)/g.cca, (v-g.ccy)/g.ccb
	rho := math.Sqrt(du*du + dv*dv)
	if rho > 1 {
		d := (rho - 1) * math.Sqrt(g.cca*g.ccb)
		b := 1 - math.Exp(-d*d/g.k2)
		ru, rv := u-g.ccx, v-g.ccy
		tu := g.ccx + g.dCos*ru - g.dSin*rv + g.dx
		tv := g.ccy + g.dSin*ru + g.dCos*rv + g.dy
		u += b * (tu - u)
		v += b * (tv - v)
	}
	pu, pv := u-g.icx, v-g.icy
	return g.mcx + g.cosR*pu - g.sinR*pv, g.mcy + g.sinR*pu + g.cosR*pv
}

// toImpression maps a master point to the impression by inverting toMaster
// with a fixed-point iteration (the distortion is a small perturbation of a
// rigid motion, so it converges in a few steps).
func (g *geometry) toImpression(x, y float64) (float64, float64) {
	px, py := x-g.mcx, y-g.mcy
	u := g.icx + g.cosR*px + g.sinR*py
	v := g.icy - g.sinR*px + g.cosR*py
	for i := 0; i < 8; i++ {
		mx, my := g.toMaster(u, v)
		ex, ey := x-mx, y-my
		u += g.cosR*ex + g.sinR*ey
		v += -g.sinR*ex + g.cosR*ey
		if ex*ex+ey*ey < 0.01 {
			break
		}
	}
	return u, v
}

// contact returns how firmly an impression point touches: 1 in the middle
// of the contact area, falling to 0 at its edge.
func (g *geometry) contact(u, v float64) float64 {
	du, dv := (u-g.ecx)/g.ea, (v-g.ecy)/g.eb
	rho := du*du + dv*dv
	return clamp01((1 - rho) * 4)
}

// Impression returns one impression of the finger on a 500 ppi sensor as an
// 8-bit grayscale image (dark ridges on a light background), determined by
// the finger, seed and opt. Different seeds give different placements,
// distortions, skin conditions and noise (SFinGe, Handbook sec. 6.5).
func (m *Finger) Impression(seed int64, opt ImpressionOptions) *image.Gray {
	w, h := opt.size()
	v := opt.Variation
	if v == 0 {
		v = 1
	} else if v < 0 {
		v = 0
	}
	r := newRand(m.Seed^SubSeed(seed, 77), 3)
	g := newGeometry(r, m.f, w, h, v)
	master := m.master()

	// skin condition: ridge threshold (thickness) and breaks
	dry := opt.Dryness
	if dry == 0 {
		dry = v * normal(r, 0, 0.28)
	}
	dry = math.Max(-1, math.Min(1, dry))
	thresh := float32(0.3 * dry)              // higher: thinner ridges
	breakLevel := 0.08 + 0.5*math.Max(0, dry) // share of dry blotches
	if v == 0 {
		breakLevel = 0
	}
	blot := newValueNoise(r, w, h, 7)
	pNoise := newSmoothNoise(r, 120, 300)
	contrast := uniform(r, 150, 200)
	bg := uniform(r, 225, 250)
	noiseSD := float32(v * uniform(r, 4, 12))

	img := image.NewGray(image.Rect(0, 0, w, h))
	buf := make([]float32, w*h)
	for y := 0; y < h; y++ {
		fy := float64(y) + 0.5
		for x := 0; x < w; x++ {
			fx := float64(x) + 0.5
			c := g.contact(fx, fy)
			val := float32(bg)
			if c > 0 {
				mx, my := g.toMaster(fx, fy)
				in := m.f.inside(mx, my)
				if in > 0 {
					c *= clamp01(in / 10)
					fv := m.sample(master, mx, my)
					// pressure: lighter touch (small c) → thinner ridges
					t := thresh + float32(0.2*(1-c)) + float32(0.08*pNoise.at(fx, fy))
					ridge := (fv - t) * 3
					if ridge < 0 {
						ridge = 0
					} else if ridge > 1 {
						ridge = 1
					}
					if breakLevel > 0 {
						b := blot.at(x, y)
						if b < breakLevel {
							ridge *= float32(clamp01((b - breakLevel + 0.12) / 0.12))
						}
					}
					val -= ridge * float32(contrast*math.Sqrt(c))
				}
			}
			buf[y*w+x] = val
		}
	}
	// sensor blur (3×3 binomial) and noise
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s, n float32
			for dy := -1; dy <= 1; dy++ {
				yy := y + dy
				if yy < 0 || yy >= h {
					continue
				}
				for dx := -1; dx <= 1; dx++ {
					xx := x + dx
					if xx < 0 || xx >= w {
						continue
					}
					k := float32((2 - abs(dx)) * (2 - abs(dy)))
					s += k * buf[yy*w+xx]
					n += k
				}
			}
			p := s/n + noiseSD*float32(r.NormFloat64())
			if p < 0 {
				p = 0
			} else if p > 255 {
				p = 255
			}
			img.Pix[y*img.Stride+x] = uint8(p + 0.5)
		}
	}
	return img
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// valueNoise is random values on a coarse grid, interpolated bilinearly:
// blotches about cell pixels across, values in [0, 1).
type valueNoise struct {
	cell, gw int
	v        []float32
}

func newValueNoise(r *rand.Rand, w, h, cell int) *valueNoise {
	gw, gh := w/cell+2, h/cell+2
	n := &valueNoise{cell: cell, gw: gw, v: make([]float32, gw*gh)}
	for i := range n.v {
		n.v[i] = r.Float32()
	}
	return n
}

func (n *valueNoise) at(x, y int) float64 {
	gx, gy := x/n.cell, y/n.cell
	fx := float32(x%n.cell) / float32(n.cell)
	fy := float32(y%n.cell) / float32(n.cell)
	i := gy*n.gw + gx
	a := n.v[i] + fx*(n.v[i+1]-n.v[i])
	b := n.v[i+n.gw] + fx*(n.v[i+n.gw+1]-n.v[i+n.gw])
	return float64(a + fy*(b-a))
}

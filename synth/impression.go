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
	// Width and Height of the image in pixels; 0 means 388×374 (the
	// size of FVC2002 DB1, an optical sensor); at most MaxImageSide.
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
		w = 388
	}
	if h <= 0 {
		h = 374
	}
	w, h = min(w, MaxImageSide), min(h, MaxImageSide)
	return w, h
}

// MaxImageSide bounds the width and height of an impression: larger values
// in ImpressionOptions are cut to it (a 500 ppi image of 2048 pixels is 4
// inches, more than any fingertip).
const MaxImageSide = 2048

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
	g.mcx = f.cx + v*normal(r, 0, 45)
	g.mcy = f.cy + 15 + v*normal(r, 0, 50)
	rot := v * normal(r, 0, 0.22)
	g.sinR, g.cosR = math.Sincos(rot)
	g.ccx = g.icx + v*normal(r, 0, 20)
	g.ccy = g.icy + v*normal(r, 0, 25)
	g.cca = uniform(r, 40, 80)
	g.ccb = uniform(r, 50, 95)
	dr := v * normal(r, 0, 0.05)
	g.dSin, g.dCos = math.Sincos(dr)
	g.dx = v * normal(r, 0, 10)
	g.dy = v * normal(r, 0, 10)
	k := uniform(r, 50, 90)
	g.k2 = 2 * k * k
	g.ecx = g.icx + v*normal(r, 0, 18)
	g.ecy = g.icy + v*normal(r, 0, 22)
	shrink := 1 - v*uniform(r, 0, 0.3)
	g.ea = float64(w) * 0.50 * shrink
	g.eb = float64(h) * 0.54 * shrink
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

	// how difficult this touch is: 0 ideal … 1 poor (noise, low contrast,
	// extreme skin condition); most touches are good, some are poor.
	bad := v * (0.3 + 0.4*r.Float64())
	// skin condition: ridge threshold (thickness) and breaks
	dry := opt.Dryness
	if dry == 0 {
		dry = v * normal(r, 0, 0.22+0.3*bad)
	}
	dry = math.Max(-1, math.Min(1, dry))
	thresh := float32(0.3 * dry) // higher: thinner ridges
	breakLevel := 0.04 + 0.3*bad + 0.4*math.Max(0, dry)
	if v == 0 {
		breakLevel = 0
	}
	blot := newValueNoise(r, w, h, 7)
	tex := newValueNoise(r, w, h, 3) // pores and uneven ridge edges
	pn := newSmoothNoise(r, 120, 300)
	bn := newSmoothNoise(r, 80, 300)
	pNoise, bgNoise := newNoiseGrid(&pn, w, h, 4), newNoiseGrid(&bn, w, h, 4)
	contrast := (150 + 80*(1-bad)) * uniform(r, 0.85, 1)
	bg := uniform(r, 215, 250)
	// Noise lives in the skin, not the sensor (SFinGe, Handbook sec. 6.5):
	// grain on the ridges before the sensor's blur (pores, dirt, uneven
	// contact) and little white noise after it. The backgrounds of
	// FVC2002 DB1–4 have 0–4.6 gray levels of pixel noise; much more makes
	// the extractor find ridges in the background (it was 5–27 here, and
	// noisy touches gave up to 255 minutiae).
	noiseSD := float32(v * (1.5 + 3.5*bad))
	grainSD := float32(v * 100 * bad)
	edgeRough := v * (0.45 + 0.9*bad)
	var creases []crease
	for _, c := range m.f.creases {
		if r.Float64() < 0.8 {
			creases = append(creases, c)
		}
	}
	blurR := 1
	if dry < -0.4 && v > 0 {
		blurR = 2 // wet: smeared ridges
	}
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
					tx := tex.at(x, y)
					t := thresh + float32(0.2*(1-c)) + 0.08*pNoise.at(x, y) + float32(edgeRough*(tx-0.5))
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
					ridge *= float32(0.7 + 0.3*tx)
					for _, cr := range creases {
						ridge *= cr.at(mx, my)
					}
					val -= ridge * float32(contrast*math.Sqrt(c))
					if grainSD > 0 {
						val += grainSD * float32(c) * float32(r.NormFloat64())
					}
				}
			}
			buf[y*w+x] = val + float32(10*bad)*bgNoise.at(x, y)
		}
	}
	// sensor blur (3×3 or, for wet skin, 5×5 binomial-like) and sensor noise
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s, n float32
			for dy := -blurR; dy <= blurR; dy++ {
				yy := y + dy
				if yy < 0 || yy >= h {
					continue
				}
				for dx := -blurR; dx <= blurR; dx++ {
					xx := x + dx
					if xx < 0 || xx >= w {
						continue
					}
					k := float32((blurR + 1 - abs(dx)) * (blurR + 1 - abs(dy)))
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

// crease is a flexion crease or scar of the skin: a thin band, fixed on the
// finger, across which ridges are interrupted.
type crease struct {
	x, y, nx, ny float64 // a point on it and its unit normal (master coordinates)
	half         float64 // half width, pixels
	length       float64 // half length, pixels
}

// at returns the ridge multiplier at master point (x, y): 0 in the crease,
// 1 away from it.
func (c crease) at(x, y float64) float32 {
	dx, dy := x-c.x, y-c.y
	along := math.Abs(-dx*c.ny + dy*c.nx)
	if along > c.length {
		return 1
	}
	d := math.Abs(dx*c.nx + dy*c.ny)
	return float32(clamp01((d - c.half) / 1.5))
}

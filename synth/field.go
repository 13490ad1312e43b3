package synth

import (
	"math"
	"math/rand/v2"
)

// The master canvas at 500 ppi. A master covers a whole fingertip as a plain
// (flat) impression could capture it; impressions take windows of it.
const (
	masterWidth  = 448
	masterHeight = 576
	// growScale is the subsampling of the grid on which the ridge pattern
	// is grown and stored: ridge periods of 8–11 px at 500 ppi are 4–5.5
	// samples there, well above the Nyquist limit of 2.
	growScale = 2
	gridW     = masterWidth / growScale
	gridH     = masterHeight / growScale
)

type point struct{ x, y float64 }

// vgCorrection is the Vizcaya–Gerhardt piecewise-linear correction g of one
// singular point: g(α_i) = α_i + d[i] at α_i = -π + 2πi/8, linear between
// (Vizcaya and Gerhardt, "A nonlinear orientation model for global
// description of fingerprints", Pattern Recognition 29(7), 1996). With all
// d[i] = 0 it is the identity and the model is Sherlock–Monro's.
type vgCorrection [8]float64

func (g *vgCorrection) apply(a float64) float64 {
	// a in (-π, π]
	t := (a + math.Pi) / (2 * math.Pi) * 8
	i := int(t)
	if i > 7 {
		i = 7
	} else if i < 0 {
		i = 0
	}
	f := t - float64(i)
	d0 := g[i]
	d1 := g[(i+1)%8]
	return a + d0 + f*(d1-d0)
}

// fields is the geometry of one master: its fingerprint area, singular
// points, orientation field and ridge-period map.
type fields struct {
	class  Class
	cores  []point // in the unrotated frame, full-resolution pixels
	deltas []point
	gCore  []vgCorrection
	gDelta []vgCorrection
	rot    float64 // global rotation of the pattern, radians
	cx, cy float64 // centre of the fingerprint area

	// fingerprint area: half-ellipse above cy (half-width a, height b1),
	// a squarer super-ellipse below it (height b2).
	a, b1, b2 float64

	// arch model
	archAmp, archS, archY, archW float64

	// ridge period
	period0  float64
	pNoise   smoothNoise
	pNoiseA  float64
	pFine    smoothNoise // ridge-density variation over a few ridges
	pFineA   float64
	topY     float64 // y of the northern-most singular point (unrotated)
	bottomY  float64 // y of the southern-most delta (unrotated)
	oriNoise smoothNoise
	oriNoisA float64

	creases []crease
}

// newFields draws the geometry of a master of class c. periodScale scales
// the mean ridge period (1 for the population average).
func newFields(r *rand.Rand, c Class, periodScale float64) *fields {
	f := &fields{class: c}
	f.cx = masterWidth/2 + normal(r, 0, 6)
	f.cy = masterHeight*0.46 + normal(r, 0, 8)
	f.a = uniform(r, 108, 140)
	f.b1 = uniform(r, 165, 215)
	f.b2 = uniform(r, 260, 320)
	f.rot = normal(r, 0, 0.10)
	cx, cy := f.cx, f.cy
	switch c {
	case LeftLoop, RightLoop:
		s := 1.0
		if c == RightLoop {
			s = -1
		}
		core := point{cx + s*uniform(r, -35, 10), cy - uniform(r, 10, 70)}
		delta := point{core.x + s*uniform(r, 60, 120), core.y + uniform(r, 90, 170)}
		f.cores = []point{core}
		f.deltas = []point{delta}
	case Whorl:
		c1 := point{cx + uniform(r, -25, 25), cy - uniform(r, 30, 80)}
		c2 := point{c1.x + uniform(r, -30, 30), c1.y + uniform(r, 20, 70)}
		d1 := point{cx - uniform(r, 70, 125), c2.y + uniform(r, 60, 130)}
		d2 := point{cx + uniform(r, 70, 125), c2.y + uniform(r, 60, 130)}
		f.cores = []point{c1, c2}
		f.deltas = []point{d1, d2}
	case TentedArch:
		core := point{cx + uniform(r, -25, 25), cy - uniform(r, 0, 50)}
		delta := point{core.x + uniform(r, -12, 12), core.y + uniform(r, 45, 100)}
		f.cores = []point{core}
		f.deltas = []point{delta}
	case Arch:
		f.archAmp = uniform(r, 0.7, 1.6)
		f.archS = uniform(r, 55, 110)
		f.archY = cy + uniform(r, -20, 70)
		f.archW = uniform(r, 110, 190)
	}
	for range f.cores {
		f.gCore = append(f.gCore, drawVG(r))
	}
	for range f.deltas {
		f.gDelta = append(f.gDelta, drawVG(r))
	}
	f.topY, f.bottomY = cy-60, cy+120
	if len(f.cores) > 0 {
		f.topY = f.cores[0].y
		for _, p := range f.cores {
			f.topY = math.Min(f.topY, p.y)
		}
	}
	if len(f.deltas) > 0 {
		f.bottomY = f.deltas[0].y
		for _, p := range f.deltas {
			f.bottomY = math.Max(f.bottomY, p.y)
		}
	}
	// Ridge frequency is about 1/9 to 1/11 per pixel at 500 ppi: a mean
	// period of 10 pixels, varying between persons by about 8 %.
	f.period0 = periodScale * normal(r, 10, 0.85)
	f.pNoise = newSmoothNoise(r, 100, 300)
	f.pNoiseA = uniform(r, 0.06, 0.12)
	f.oriNoise = newSmoothNoise(r, 90, 250)
	f.oriNoisA = uniform(r, 0.18, 0.30)
	for i, n := 0, poisson(r, 1.5); i < n; i++ {
		a := normal(r, math.Pi/2, 0.35) // mostly across the finger
		f.creases = append(f.creases, crease{
			x: cx + normal(r, 0, 60), y: cy + uniform(r, -120, 200),
			nx: math.Cos(a), ny: math.Sin(a),
			half: uniform(r, 0.8, 2.5), length: uniform(r, 30, 180),
		})
	}
	// Ridge density varies over a few ridges too: where it changes along
	// the flow, ridges must start, end or fork, so minutiae are spread over
	// the whole finger, many in facing pairs (short ridges, islands), as in
	// real prints, rather than only where the singular points force them.
	f.pFine = newSmoothNoise(r, 30, 80)
	f.pFineA = uniform(r, 0.25, 0.3)
	return f
}

func drawVG(r *rand.Rand) vgCorrection {
	var g vgCorrection
	for i := range g {
		g[i] = normal(r, 0, 0.22)
	}
	return g
}

// unrotate maps an image point to the unrotated pattern frame.
func (f *fields) unrotate(x, y float64) (float64, float64) {
	s, c := math.Sincos(-f.rot)
	dx, dy := x-f.cx, y-f.cy
	return f.cx + c*dx - s*dy, f.cy + s*dx + c*dy
}

// orientation returns the ridge direction at image point (x, y) in radians
// in [0, π), in image coordinates (x right, y down).
func (f *fields) orientation(x, y float64) float64 {
	ux, uy := f.unrotate(x, y)
	var t float64
	if f.class == Arch {
		dx := ux - f.cx
		w := math.Exp(-(uy - f.archY) * (uy - f.archY) / (2 * f.archW * f.archW))
		slope := f.archAmp * w * dx / f.archS * math.Exp(-dx*dx/(2*f.archS*f.archS))
		t = math.Atan(slope)
	} else {
		// Sherlock–Monro zero-pole model, Vizcaya–Gerhardt corrected.
		for i, p := range f.cores {
			t += f.gCore[i].apply(math.Atan2(uy-p.y, ux-p.x))
		}
		for i, p := range f.deltas {
			t -= f.gDelta[i].apply(math.Atan2(uy-p.y, ux-p.x))
		}
		t /= 2
	}
	t += f.rot + f.oriNoisA*f.oriNoise.at(x, y)
	t = math.Mod(t, math.Pi)
	if t < 0 {
		t += math.Pi
	}
	return t
}

// period returns the local ridge period in pixels at 500 ppi. Ridges are
// sparser above the northern-most core and below the southern-most delta
// (Handbook of Fingerprint Recognition, sec. 6.4.3).
func (f *fields) period(x, y float64) float64 {
	_, uy := f.unrotate(x, y)
	p := f.period0 * (1 + f.pNoiseA*f.pNoise.at(x, y) + f.pFineA*f.pFine.at(x, y))
	above := clamp01((f.topY - uy - 20) / 140)
	below := clamp01((uy - f.bottomY - 30) / 160)
	return p * (1 + 0.13*above + 0.08*below)
}

// inside reports how far (x, y) is inside the fingerprint area: > 0 inside,
// about the distance in pixels to the border for points near it.
func (f *fields) inside(x, y float64) float64 {
	ux, uy := f.unrotate(x, y)
	dx := (ux - f.cx) / f.a
	var d float64
	if uy < f.cy {
		dy := (uy - f.cy) / f.b1
		d = math.Sqrt(dx*dx + dy*dy)
	} else {
		dy := (uy - f.cy) / f.b2
		dx2, dy2 := dx*dx, dy*dy
		d = math.Sqrt(math.Sqrt(dx2*dx2 + dy2*dy2))
	}
	return (1 - d) * f.a
}

func clamp01(v float64) float64 {
	if v < 0 {
		return 0
	}
	if v > 1 {
		return 1
	}
	return v
}

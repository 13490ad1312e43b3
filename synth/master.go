package synth

import (
	"image"
	"math"
	"sync"
)

// FingerOptions chooses properties of a master fingerprint instead of
// drawing them.
type FingerOptions struct {
	// Class forces the pattern class when HasClass is set; otherwise it
	// is drawn with ClassFrequency.
	Class    Class
	HasClass bool
	// PeriodScale scales the mean ridge period (0 means 1). Women's and
	// children's ridges are denser: 0.93 and about 0.8 are typical.
	PeriodScale float64
}

// Finger is a master fingerprint: the ridge pattern of one synthetic finger,
// from which any number of impressions can be taken. The pattern is grown
// on first use and kept; a Finger is safe for concurrent use.
type Finger struct {
	// Seed determines the finger completely.
	Seed int64
	// Class is the pattern class.
	Class Class

	f *fields

	once sync.Once
	// grid is the grown ridge field on the gridW×gridH subsampled canvas,
	// 127 on ridge centres, -127 on valley centres, 0 outside.
	grid []int8

	minOnce  sync.Once
	minutiae []masterMinutia
}

// NewFinger returns the master fingerprint determined by seed, with its
// class drawn from the population frequencies.
func NewFinger(seed int64) *Finger {
	return NewFingerWith(seed, FingerOptions{})
}

// NewFingerWith returns the master fingerprint determined by seed and opt.
// Creating a Finger is cheap; its ridge pattern is grown on first use.
func NewFingerWith(seed int64, opt FingerOptions) *Finger {
	r := newRand(seed, 1)
	c := drawClass(r)
	if opt.HasClass {
		c = opt.Class
	}
	ps := opt.PeriodScale
	if ps <= 0 {
		ps = 1
	}
	return &Finger{Seed: seed, Class: c, f: newFields(r, c, ps)}
}

// Singularities returns the cores and deltas of the master in 500 ppi master
// coordinates.
func (m *Finger) Singularities() (cores, deltas [][2]float64) {
	rot := func(p point) [2]float64 {
		s, c := math.Sincos(m.f.rot)
		dx, dy := p.x-m.f.cx, p.y-m.f.cy
		return [2]float64{m.f.cx + c*dx - s*dy, m.f.cy + s*dx + c*dy}
	}
	for _, p := range m.f.cores {
		cores = append(cores, rot(p))
	}
	for _, p := range m.f.deltas {
		deltas = append(deltas, rot(p))
	}
	return cores, deltas
}

// Gabor filter bank for ridge growth on the subsampled grid.
const (
	bankOrient  = 32
	bankPeriods = 17
	bankPMin    = 3.4 // grid pixels
	bankPStep   = 0.2
	kRadius     = 5
	kSide       = 2*kRadius + 1
)

var (
	bankOnce sync.Once
	bank     [bankOrient * bankPeriods][kSide * kSide]float32
)

// buildBank fills bank with even-symmetric Gabor filters tuned to each
// orientation and period, with zero mean and unit gain on a sinusoidal
// ridge pattern of the tuned orientation and period.
func buildBank() {
	for o := 0; o < bankOrient; o++ {
		th := float64(o) * math.Pi / bankOrient
		s, c := math.Sincos(th)
		for pi := 0; pi < bankPeriods; pi++ {
			p := bankPMin + bankPStep*float64(pi)
			su, sv := 0.46*p, 0.62*p
			k := &bank[o*bankPeriods+pi]
			var g, w [kSide * kSide]float64
			var sg, sw float64
			for y := -kRadius; y <= kRadius; y++ {
				for x := -kRadius; x <= kRadius; x++ {
					u := -float64(x)*s + float64(y)*c // across the ridges
					v := float64(x)*c + float64(y)*s  // along the ridges
					e := math.Exp(-u*u/(2*su*su) - v*v/(2*sv*sv))
					i := (y+kRadius)*kSide + x + kRadius
					w[i] = e
					g[i] = e * math.Cos(2*math.Pi*u/p)
					sg += g[i]
					sw += e
				}
			}
			// zero mean, then unit response to cos(2πu/p)
			var resp float64
			for y := -kRadius; y <= kRadius; y++ {
				for x := -kRadius; x <= kRadius; x++ {
					i := (y+kRadius)*kSide + x + kRadius
					g[i] -= w[i] * sg / sw
					u := -float64(x)*s + float64(y)*c
					resp += g[i] * math.Cos(2*math.Pi*u/p)
				}
			}
			for i := range g {
				k[i] = float32(g[i] / resp)
			}
		}
	}
}

// bankIndex returns the filter for ridge direction th (radians, [0, π)) and
// period p (grid pixels).
func bankIndex(th, p float64) int {
	o := int(math.Round(th/math.Pi*bankOrient)) % bankOrient
	pi := int(math.Round((p - bankPMin) / bankPStep))
	if pi < 0 {
		pi = 0
	} else if pi >= bankPeriods {
		pi = bankPeriods - 1
	}
	return o*bankPeriods + pi
}

// Growth parameters. Ridges form at many initiation sites at once and the
// pattern sets soon after the fronts spreading from them meet (Kücken and
// Newell, "Fingerprint formation", J. Theor. Biol. 235, 2005): each meeting
// out of phase leaves minutiae of either polarity at a random place. So the
// seeds are dense and growth stops a few iterations after the fronts have
// covered the area. Growing much longer (it was 22 iterations from seeds 70
// pixels apart) anneals the pattern: minutiae of opposite polarity glide
// together and cancel, and what remains are the minutiae the orientation
// field forces, in chains of one polarity along the same lines (core to
// delta, across whorls) in every finger of a class. Those repeated
// configurations made impostors of the same class match: 0.18 % of
// synthetic impostor scores reached fingerprint.DefaultThreshold against
// 0.009 % on FVC2002, 86 % of them between fingers of the same class.
const (
	growIterations = 8
	growGain       = 3.0
	seedSpacing    = 25.0 // full-resolution pixels between seeds, on average
)

// master returns the grown ridge field, growing it on first use.
func (m *Finger) master() []int8 {
	m.once.Do(m.grow)
	return m.grid
}

// grow grows the ridge pattern: starting from a few random seeds on an empty
// canvas, each iteration replaces every pixel of the fingerprint area by the
// response of the Gabor filter tuned to the local orientation and period
// there, amplified and clipped (SFinGe, Handbook sec. 6.4.4). Ridges spread
// from the seeds along the orientation field; where two fronts meet out of
// phase, and where the period and orientation demand it, ridges end or
// fork: those are the minutiae.
func (m *Finger) grow() {
	bankOnce.Do(buildBank)
	f := m.f
	r := newRand(m.Seed, 2)
	const pw = gridW + 2*kRadius
	const ph = gridH + 2*kRadius
	cur := make([]float32, pw*ph)
	next := make([]float32, pw*ph)
	type px struct {
		at int32 // index in the padded buffers
		k  int16 // filter
	}
	var area []px
	for y := 0; y < gridH; y++ {
		for x := 0; x < gridW; x++ {
			fx, fy := (float64(x)+0.5)*growScale, (float64(y)+0.5)*growScale
			if f.inside(fx, fy) < -14 {
				continue
			}
			k := bankIndex(f.orientation(fx, fy), f.period(fx, fy)/growScale)
			area = append(area, px{int32((y+kRadius)*pw + x + kRadius), int16(k)})
		}
	}
	// seeds
	nSeeds := int(float64(len(area)*growScale*growScale)/(seedSpacing*seedSpacing)) + 1
	for i := 0; i < nSeeds; i++ {
		p := area[r.IntN(len(area))]
		v := float32(1)
		if r.IntN(2) == 0 {
			v = -1
		}
		cur[p.at] = v
	}
	var last []float32
	for it := 0; it < growIterations; it++ {
		final := it == growIterations-1
		for _, p := range area {
			s := gaborAt(&bank[p.k], cur, int(p.at)-kRadius*pw-kRadius, pw)
			if final {
				next[p.at] = s
				continue
			}
			s *= growGain
			if s > 1 {
				s = 1
			} else if s < -1 {
				s = -1
			}
			next[p.at] = s
		}
		cur, next = next, cur
		last = cur
	}
	grid := make([]int8, gridW*gridH)
	for _, p := range area {
		v := last[p.at] / 1.27 * 127
		if v > 127 {
			v = 127
		} else if v < -127 {
			v = -127
		}
		y, x := int(p.at)/pw-kRadius, int(p.at)%pw-kRadius
		grid[y*gridW+x] = int8(v)
	}
	m.grid = grid
}

// gaborAt returns the response of filter k to the kSide×kSide window of buf
// whose top-left sample is at index top (rows pw apart).
func gaborAt(k *[kSide * kSide]float32, buf []float32, top, pw int) float32 {
	var s float32
	for r := 0; r < kSide; r++ {
		row := buf[top+r*pw : top+r*pw+kSide]
		kr := k[r*kSide : r*kSide+kSide]
		for i, v := range row {
			s += kr[i] * v
		}
	}
	return s
}

// sample returns the ridge field at master point (x, y) (500 ppi pixels) by
// bilinear interpolation, in [-1, 1]; 0 outside the canvas.
func (m *Finger) sample(g []int8, x, y float64) float32 {
	gx := x/growScale - 0.5
	gy := y/growScale - 0.5
	if gx < 0 || gy < 0 || gx >= gridW-1 || gy >= gridH-1 {
		return 0
	}
	ix, iy := int(gx), int(gy)
	fx, fy := float32(gx-float64(ix)), float32(gy-float64(iy))
	i := iy*gridW + ix
	a := float32(g[i]) + fx*float32(int(g[i+1])-int(g[i]))
	b := float32(g[i+gridW]) + fx*float32(int(g[i+gridW+1])-int(g[i+gridW]))
	return (a + fy*(b-a)) / 127
}

// MasterImage renders the master at 500 ppi: dark ridges on white, as an
// ideal, noise-free, undistorted impression of the whole fingertip.
func (m *Finger) MasterImage() *image.Gray {
	g := m.master()
	img := image.NewGray(image.Rect(0, 0, masterWidth, masterHeight))
	for y := 0; y < masterHeight; y++ {
		for x := 0; x < masterWidth; x++ {
			fx, fy := float64(x)+0.5, float64(y)+0.5
			v := m.sample(g, fx, fy)
			in := clamp01(m.f.inside(fx, fy) / 6)
			gray := 255 - in*255*float64(clamp01(float64(v)*1.5+0.5))
			img.Pix[y*img.Stride+x] = uint8(gray)
		}
	}
	return img
}

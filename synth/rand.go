package synth

import (
	"math"
	"math/rand/v2"
)

// newRand returns the package's deterministic generator for a seed and a
// stream label, so that independent aspects of one object (the master, each
// impression, the biographics) draw from independent streams.
func newRand(seed int64, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), mix64(stream^0x9e3779b97f4a7c15)))
}

// mix64 is the SplitMix64 finaliser: a bijective mixing of 64 bits.
func mix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// SubSeed derives a child seed from a parent seed and an index, for example
// the seed of finger position 3 of a person from the person's seed.
func SubSeed(parent int64, index uint64) int64 {
	return int64(mix64(uint64(parent) ^ mix64(index+1)))
}

// uniform returns a number uniformly distributed in [lo, hi).
func uniform(r *rand.Rand, lo, hi float64) float64 {
	return lo + (hi-lo)*r.Float64()
}

// normal returns a normally distributed number with mean m and standard
// deviation s, truncated to m±3s.
func normal(r *rand.Rand, m, s float64) float64 {
	v := r.NormFloat64()
	if v > 3 {
		v = 3
	} else if v < -3 {
		v = -3
	}
	return m + s*v
}

// smoothNoise is a smooth random field: a sum of a few random plane waves
// with wavelengths between minWave and maxWave pixels, with values in about
// [-1, 1].
type smoothNoise struct {
	kx, ky, ph [6]float64
}

func newSmoothNoise(r *rand.Rand, minWave, maxWave float64) smoothNoise {
	var n smoothNoise
	for i := range n.kx {
		w := uniform(r, minWave, maxWave)
		a := uniform(r, 0, 2*math.Pi)
		n.kx[i] = 2 * math.Pi / w * math.Cos(a)
		n.ky[i] = 2 * math.Pi / w * math.Sin(a)
		n.ph[i] = uniform(r, 0, 2*math.Pi)
	}
	return n
}

func (n *smoothNoise) at(x, y float64) float64 {
	s := 0.0
	for i := range n.kx {
		s += math.Sin(n.kx[i]*x + n.ky[i]*y + n.ph[i])
	}
	return s / 2.45 // sqrt(6): unit variance
}

// noiseGrid holds a smoothNoise sampled every step pixels over a w×h image,
// for bilinear look-up: the fields vary over 80 pixels or more, so a 4
// pixel grid reproduces them to within about 0.01 of their unit standard
// deviation (see TestNoiseGrid) at a fraction of the cost of six sines per
// pixel.
type noiseGrid struct {
	step, gw int
	v        []float32
}

func newNoiseGrid(n *smoothNoise, w, h, step int) *noiseGrid {
	gw, gh := w/step+2, h/step+2
	g := &noiseGrid{step: step, gw: gw, v: make([]float32, gw*gh)}
	for gy := 0; gy < gh; gy++ {
		for gx := 0; gx < gw; gx++ {
			g.v[gy*gw+gx] = float32(n.at(float64(gx*step)+0.5, float64(gy*step)+0.5))
		}
	}
	return g
}

// at returns the field at the centre of pixel (x, y), 0 ≤ x < w, 0 ≤ y < h.
func (g *noiseGrid) at(x, y int) float32 {
	gx, gy := x/g.step, y/g.step
	fx := float32(x%g.step) / float32(g.step)
	fy := float32(y%g.step) / float32(g.step)
	i := gy*g.gw + gx
	a := g.v[i] + fx*(g.v[i+1]-g.v[i])
	b := g.v[i+g.gw] + fx*(g.v[i+g.gw+1]-g.v[i+g.gw])
	return a + fy*(b-a)
}

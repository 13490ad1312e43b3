package synth

import (
	"math"

	"github.com/bixproject/bix/fingerprint"
)

// masterMinutia is a minutia of the master in master pixels (500 ppi,
// image coordinates) with its direction in image coordinates (radians,
// counter-clockwise as seen with y down, i.e. atan2(dy, dx)).
type masterMinutia struct {
	x, y float64
	dir  float64
	kind fingerprint.Kind
}

// Minutiae returns the minutiae of the master: the ridge endings and
// bifurcations of its grown ridge pattern, found by binarising the pattern,
// thinning it to one-pixel ridges and applying the crossing number (Handbook
// of Fingerprint Recognition, sec. 3.7.1), then dropping the short spurs and
// bridges thinning leaves. Coordinates are master pixels at 500 ppi; angles
// follow package fingerprint (ISO/IEC 19794-2, counter-clockwise, y up).
// Only minutiae at least 12 pixels inside the fingerprint area are kept.
func (m *Finger) Minutiae() []fingerprint.Minutia {
	mm := m.masterMinutiae()
	out := make([]fingerprint.Minutia, len(mm))
	for i, p := range mm {
		out[i] = fingerprint.Minutia{X: int(math.Round(p.x)), Y: int(math.Round(p.y)), Angle: isoAngle(p.dir), Kind: p.kind, Quality: 100}
	}
	return out
}

// Size returns the width and height in pixels of the master's frame, the
// frame of Minutiae and Orientation.
func (m *Finger) Size() (w, h int) { return masterWidth, masterHeight }

// Orientation returns the master's ridge direction at master pixel (x, y)
// (the frame of Minutiae) in radians in [0, π), counter-clockwise with y up
// like minutiae angles, and whether the point is inside the fingerprint
// area.
func (m *Finger) Orientation(x, y float64) (float64, bool) {
	if m.f.inside(x, y) < 0 {
		return 0, false
	}
	a := math.Mod(-m.f.orientation(x, y), math.Pi)
	if a < 0 {
		a += math.Pi
	}
	return a, true
}

// isoAngle converts an image-coordinate direction (y down) to the ISO
// convention (y up) in [0, 2π).
func isoAngle(dir float64) float64 {
	a := math.Mod(-dir, 2*math.Pi)
	if a < 0 {
		a += 2 * math.Pi
	}
	if a >= 2*math.Pi {
		a = 0
	}
	return a
}

func (m *Finger) masterMinutiae() []masterMinutia {
	m.minOnce.Do(func() { m.minutiae = extractMaster(m) })
	return m.minutiae
}

// extractMaster finds the minutiae of a master's ridge pattern.
func extractMaster(m *Finger) []masterMinutia {
	g := m.master()
	const W, H = masterWidth, masterHeight
	bin := make([]uint8, W*H)
	for y := 1; y < H-1; y++ {
		for x := 1; x < W-1; x++ {
			fx, fy := float64(x)+0.5, float64(y)+0.5
			if m.f.inside(fx, fy) < 2 {
				continue
			}
			if m.sample(g, fx, fy) > 0 {
				bin[y*W+x] = 1
			}
		}
	}
	thin(bin, W, H)
	var cand []masterMinutia
	for y := 2; y < H-2; y++ {
		for x := 2; x < W-2; x++ {
			if bin[y*W+x] == 0 {
				continue
			}
			cn := crossingNumber(bin, W, x, y)
			if cn != 1 && cn != 3 {
				continue
			}
			fx, fy := float64(x)+0.5, float64(y)+0.5
			if m.f.inside(fx, fy) < 12 {
				continue
			}
			mm := masterMinutia{x: fx, y: fy, kind: fingerprint.KindEnding}
			if cn == 3 {
				mm.kind = fingerprint.KindBifurcation
			}
			d, ok := minutiaDir(m, g, fx, fy, mm.kind)
			if !ok {
				continue
			}
			mm.dir = d
			cand = append(cand, mm)
		}
	}
	return cleanMinutiae(cand, m.f.period0)
}

// neighbours in clockwise order starting east (image coordinates).
var nbx = [8]int{1, 1, 0, -1, -1, -1, 0, 1}
var nby = [8]int{0, 1, 1, 1, 0, -1, -1, -1}

func crossingNumber(b []uint8, W, x, y int) int {
	s := 0
	for i := 0; i < 8; i++ {
		a := b[(y+nby[i])*W+x+nbx[i]]
		c := b[(y+nby[(i+1)%8])*W+x+nbx[(i+1)%8]]
		if a != c {
			s++
		}
	}
	return s / 2
}

// thin reduces the ridges of a binary image (1 ridge, 0 background, with a
// background border of one pixel) to one-pixel-wide skeletons in place
// (Zhang and Suen, "A fast parallel algorithm for thinning digital
// patterns", CACM 27(3), 1984).
func thin(b []uint8, W, H int) {
	var del []int
	for changed := true; changed; {
		changed = false
		for step := 0; step < 2; step++ {
			del = del[:0]
			for y := 1; y < H-1; y++ {
				for x := 1; x < W-1; x++ {
					i := y*W + x
					if b[i] == 0 {
						continue
					}
					p2, p3, p4 := b[i-W], b[i-W+1], b[i+1]
					p5, p6, p7 := b[i+W+1], b[i+W], b[i+W-1]
					p8, p9 := b[i-1], b[i-W-1]
					n := int(p2 + p3 + p4 + p5 + p6 + p7 + p8 + p9)
					if n < 2 || n > 6 {
						continue
					}
					seq := [9]uint8{p2, p3, p4, p5, p6, p7, p8, p9, p2}
					a := 0
					for k := 0; k < 8; k++ {
						if seq[k] == 0 && seq[k+1] == 1 {
							a++
						}
					}
					if a != 1 {
						continue
					}
					if step == 0 {
						if p2*p4*p6 != 0 || p4*p6*p8 != 0 {
							continue
						}
					} else {
						if p2*p4*p8 != 0 || p2*p6*p8 != 0 {
							continue
						}
					}
					del = append(del, i)
				}
			}
			for _, i := range del {
				b[i] = 0
			}
			if len(del) > 0 {
				changed = true
			}
		}
	}
}

// minutiaDir returns the direction of a minutia at (x, y): along the local
// ridge orientation, pointing into the ridge for an ending and into the
// valley between the two branches for a bifurcation (the valley ending
// there), per ISO/IEC 19794-2 clause 5.4.3. It probes the pattern a little
// more than half a ridge period away on both sides along the orientation;
// ok is false when neither side is clearly ridge or valley.
func minutiaDir(m *Finger, g []int8, x, y float64, k fingerprint.Kind) (float64, bool) {
	th := m.f.orientation(x, y)
	s, c := math.Sincos(th)
	var fwd, back float32
	for _, r := range []float64{4, 6, 8} {
		fwd += m.sample(g, x+r*c, y+r*s)
		back += m.sample(g, x-r*c, y-r*s)
	}
	if math.Abs(float64(fwd-back)) < 0.6 {
		return 0, false
	}
	into := fwd > back // the forward side is ridge
	if k == fingerprint.KindBifurcation {
		into = !into
	}
	if into {
		return th, true
	}
	return th + math.Pi, true
}

// angDiff is the absolute difference of two directions in [0, π].
func angDiff(a, b float64) float64 {
	d := math.Mod(math.Abs(a-b), 2*math.Pi)
	if d > math.Pi {
		d = 2*math.Pi - d
	}
	return d
}

// cleanMinutiae removes pairs of minutiae closer than about half a ridge
// period (thinning artefacts: spurs, short bridges, holes) and returns the
// rest.
func cleanMinutiae(c []masterMinutia, period float64) []masterMinutia {
	lim := 0.8 * period
	drop := make([]bool, len(c))
	for i := range c {
		for j := i + 1; j < len(c); j++ {
			dx, dy := c[i].x-c[j].x, c[i].y-c[j].y
			if dx*dx+dy*dy < lim*lim {
				drop[i], drop[j] = true, true
			}
		}
	}
	out := c[:0:0]
	for i, p := range c {
		if !drop[i] {
			out = append(out, p)
		}
	}
	return out
}

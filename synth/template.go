package synth

import (
	"math"
	"math/rand/v2"

	"github.com/bixproject/bix/fingerprint"
)

// ImpressionTemplate returns the minutiae of impression seed of the finger
// (the image Impression(seed, opt) returns) as a minutiae extractor would
// report them: the master's minutiae moved by the impression's placement
// and plastic distortion, kept where the finger touched the sensor, with
// position and direction errors of a few pixels and degrees, about one in
// ten missed (more in light contact and dry skin) and a few spurious ones
// along the ridges. It costs tens of microseconds once the master exists.
func (m *Finger) ImpressionTemplate(seed int64, opt ImpressionOptions) *fingerprint.Template {
	w, h := opt.size()
	v := opt.Variation
	if v == 0 {
		v = 1
	} else if v < 0 {
		v = 0
	}
	// the same stream and draws as Impression, so the geometry is the same
	g := newGeometry(newRand(m.Seed^SubSeed(seed, 77), 3), m.f, w, h, v)
	r := newRand(m.Seed^SubSeed(seed, 78), 4)
	t := &fingerprint.Template{Width: w, Height: h, Resolution: 500}
	const margin = 10
	for _, p := range m.masterMinutiae() {
		u, vv := g.toImpression(p.x, p.y)
		if u < margin || vv < margin || u >= float64(w-margin) || vv >= float64(h-margin) {
			continue
		}
		c := g.contact(u, vv)
		if c < 0.15 {
			continue
		}
		if r.Float64() < v*(0.07+0.15*(1-c)) {
			continue // missed
		}
		// direction on the impression: map a point a little along it
		dx, dy := math.Cos(p.dir), math.Sin(p.dir)
		u2, v2 := g.toImpression(p.x+6*dx, p.y+6*dy)
		dir := math.Atan2(v2-vv, u2-u) + v*normal(r, 0, 0.07)
		t.Minutiae = append(t.Minutiae, fingerprint.Minutia{
			X:       int(math.Round(u + v*normal(r, 0, 1.5))),
			Y:       int(math.Round(vv + v*normal(r, 0, 1.5))),
			Angle:   isoAngle(dir),
			Kind:    p.kind,
			Quality: uint8(40 + 60*c*uniform(r, 0.6, 1)),
		})
	}
	// spurious minutiae: a few, on the finger, directed along the ridges
	ns := poisson(r, v*3)
	for i, tries := 0, 0; i < ns && tries < 50; tries++ {
		u, vv := uniform(r, margin, float64(w-margin)), uniform(r, margin, float64(h-margin))
		if g.contact(u, vv) < 0.3 {
			continue
		}
		x, y := g.toMaster(u, vv)
		if m.f.inside(x, y) < 12 {
			continue
		}
		dir := m.f.orientation(x, y) - math.Atan2(g.sinR, g.cosR)
		if r.IntN(2) == 0 {
			dir += math.Pi
		}
		k := fingerprint.KindEnding
		if r.IntN(2) == 0 {
			k = fingerprint.KindBifurcation
		}
		t.Minutiae = append(t.Minutiae, fingerprint.Minutia{X: int(u), Y: int(vv), Angle: isoAngle(dir), Kind: k, Quality: uint8(uniform(r, 20, 60))})
		i++
	}
	t.Field = m.impressionField(g, newRand(m.Seed^SubSeed(seed, 79), 5), v, w, h)
	return t
}

// impressionField returns the orientation field an extractor would report
// for the impression of geometry g: per block of fingerprint.FieldBlock
// pixels whose centre touched the sensor (contact at least 0.3, inside the
// finger), the master's ridge direction there turned by the placement's
// rotation, with a few degrees of error, and a coherence that grows with
// the contact. The master's direction (as a doubled-angle vector) and how
// far inside the finger a point is are evaluated at the centres of every
// fieldStep-th block across and down and interpolated bilinearly in
// between: they vary slowly, and evaluating them at every block would cost
// more than the rest of the template.
// fieldStep is the spacing, in blocks, of the points impressionField
// evaluates the master at.
const fieldStep = 4

func (m *Finger) impressionField(g *geometry, r *rand.Rand, v float64, w, h int) *fingerprint.OrientationField {
	const b = fingerprint.FieldBlock
	fw, fh := (w+b-1)/b, (h+b-1)/b
	f := &fingerprint.OrientationField{Width: fw, Height: fh, Dir: make([]uint8, fw*fh), Coherence: make([]uint8, fw*fh)}
	// coarse point (ci, cj) is the centre of block (fieldStep·ci, fieldStep·cj)
	cw, ch := (fw-1)/fieldStep+2, (fh-1)/fieldStep+2
	vec := make([][3]float64, cw*ch) // cos 2θ, sin 2θ, inside
	for cj := 0; cj < ch; cj++ {
		for ci := 0; ci < cw; ci++ {
			x, y := g.toMaster((fieldStep*float64(ci)+0.5)*b, (fieldStep*float64(cj)+0.5)*b)
			s, c := math.Sincos(2 * m.f.orientation(x, y))
			vec[cj*cw+ci] = [3]float64{c, s, m.f.inside(x, y)}
		}
	}
	rot := math.Atan2(g.sinR, g.cosR)
	for j := 0; j < fh; j++ {
		for i := 0; i < fw; i++ {
			u, vv := (float64(i)+0.5)*b, (float64(j)+0.5)*b
			if u >= float64(w) || vv >= float64(h) {
				continue
			}
			c := g.contact(u, vv)
			if c < 0.3 {
				continue
			}
			ci, cj := i/fieldStep, j/fieldStep
			tx, ty := float64(i%fieldStep)/fieldStep, float64(j%fieldStep)/fieldStep
			var vc, vs, in float64
			for _, p := range [4]struct {
				k int
				w float64
			}{{cj*cw + ci, (1 - tx) * (1 - ty)}, {cj*cw + ci + 1, tx * (1 - ty)}, {(cj+1)*cw + ci, (1 - tx) * ty}, {(cj+1)*cw + ci + 1, tx * ty}} {
				vc += p.w * vec[p.k][0]
				vs += p.w * vec[p.k][1]
				in += p.w * vec[p.k][2]
			}
			if in < 0 {
				continue
			}
			// image axes (y down) to degrees counter-clockwise with y up
			k := j*fw + i
			f.Dir[k] = fingerprint.FieldDegrees(-(math.Atan2(vs, vc)/2 - rot + v*normal(r, 0, 0.07)))
			f.Coherence[k] = uint8(max(1, 255*clamp01(0.45+0.4*c+v*normal(r, 0, 0.05))))
		}
	}
	return f
}

// poisson draws a Poisson-distributed count with mean mu (Knuth).
func poisson(r *rand.Rand, mu float64) int {
	if mu <= 0 {
		return 0
	}
	l, k, p := math.Exp(-mu), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// TemplateOptions controls Templates.
type TemplateOptions struct {
	// Fingers is the number of distinct master fingers (0: n, up to
	// 1000). Template i is impression i/Fingers+1 of finger i%Fingers,
	// finger f being NewFinger(FingerSeed(seed, f)); growing a master
	// costs about 0.1 s, so fewer fingers make more templates per second.
	Fingers int
	// Impression sets the sensor size and variability.
	Impression ImpressionOptions
}

// Templates makes n finger templates from seed and calls fn with each, in
// order of i. Masters are grown in parallel on all CPUs and the minutiae of
// each template are those of an impression of its master (see
// ImpressionTemplate). fn's template is not retained by Templates; an error
// from fn stops the generation and is returned.
func Templates(seed int64, n int, opt TemplateOptions, fn func(i, finger int, t *fingerprint.Template) error) error {
	nf := opt.Fingers
	if nf <= 0 {
		nf = min(n, 1000)
	}
	nf = max(1, min(nf, n))
	masters := make([]*Finger, nf)
	if err := parallelFor(nf, func(f int) error {
		masters[f] = NewFinger(FingerSeed(seed, f))
		masters[f].masterMinutiae()
		return nil
	}); err != nil {
		return err
	}
	const chunk = 2048
	buf := make([]*fingerprint.Template, chunk)
	for start := 0; start < n; start += chunk {
		end := min(n, start+chunk)
		parallelFor((end-start+63)/64, func(b int) error {
			for i := start + 64*b; i < min(end, start+64*b+64); i++ {
				f := i % nf
				buf[i-start] = masters[f].ImpressionTemplate(int64(i/nf+1), opt.Impression)
			}
			return nil
		})
		for i := start; i < end; i++ {
			if err := fn(i, i%nf, buf[i-start]); err != nil {
				return err
			}
			buf[i-start] = nil
		}
	}
	return nil
}

package fingerprint

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/bixproject/bix/internal/shareddata"
)

// synthTemplate returns n minutiae spread over a 300×400 image at least
// 12 px apart, with a smooth direction field, as a stand-in for a finger.
func synthTemplate(rng *rand.Rand, n int) *Template {
	t := &Template{Width: 300, Height: 400, Resolution: 500}
	f1, f2 := rng.Float64()*0.02, rng.Float64()*0.02
	for tries := 0; len(t.Minutiae) < n && tries < 10000; tries++ {
		x, y := 20+rng.IntN(260), 20+rng.IntN(360)
		ok := true
		for _, m := range t.Minutiae {
			if (m.X-x)*(m.X-x)+(m.Y-y)*(m.Y-y) < 144 {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		a := math.Mod(math.Sin(float64(x)*f1)+math.Cos(float64(y)*f2)+rng.Float64()*0.3+float64(rng.IntN(2))*math.Pi+2*math.Pi, 2*math.Pi)
		t.Minutiae = append(t.Minutiae, Minutia{X: x, Y: y, Angle: a, Kind: Kind(1 + rng.IntN(2)), Quality: uint8(40 + rng.IntN(60))})
	}
	return t
}

// impress returns another impression of t: rotated by rot about the centre,
// translated, with position and angle noise, a fraction of minutiae lost and
// some spurious ones added.
func impress(rng *rand.Rand, t *Template, rot float64, dx, dy int) *Template {
	out := &Template{Width: t.Width, Height: t.Height, Resolution: t.Resolution}
	s, c := math.Sincos(rot)
	cx, cy := float64(t.Width)/2, float64(t.Height)/2
	for _, m := range t.Minutiae {
		if rng.Float64() < 0.15 {
			continue
		}
		x, y := float64(m.X)-cx, float64(m.Y)-cy
		// y is down, so a counter-clockwise rotation on screen is
		// (x, y) → (x c + y s, −x s + y c).
		nx := x*c + y*s + cx + float64(dx) + rng.NormFloat64()*2
		ny := -x*s + y*c + cy + float64(dy) + rng.NormFloat64()*2
		if nx < 0 || ny < 0 {
			continue
		}
		a := math.Mod(m.Angle+rot+rng.NormFloat64()*0.1+4*math.Pi, 2*math.Pi)
		out.Minutiae = append(out.Minutiae, Minutia{X: int(nx), Y: int(ny), Angle: a, Kind: m.Kind, Quality: m.Quality})
	}
	extra := synthTemplate(rng, 5)
	out.Minutiae = append(out.Minutiae, extra.Minutiae...)
	return out
}

func TestCompareSeparatesSyntheticFingers(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const fingers = 20
	var gen, imp []float64
	base := make([]*Template, fingers)
	for i := range base {
		base[i] = synthTemplate(rng, 40)
	}
	for i, b := range base {
		a := impress(rng, b, 0, 0, 0)
		g := impress(rng, b, (rng.Float64()-0.5)*math.Pi/2, rng.IntN(60)-30, rng.IntN(60)-30)
		gen = append(gen, Compare(a, g))
		imp = append(imp, Compare(a, impress(rng, base[(i+1)%fingers], 0.3, 10, -10)))
	}
	minGen, maxImp := 1.0, 0.0
	for i := range gen {
		minGen = math.Min(minGen, gen[i])
		maxImp = math.Max(maxImp, imp[i])
	}
	if minGen <= maxImp {
		t.Errorf("lowest genuine score %.4f not above highest impostor score %.4f\ngenuine %.3f\nimpostor %.3f", minGen, maxImp, gen, imp)
	}
}

func TestCompareIdentityAndEmpty(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	a := synthTemplate(rng, 35)
	if s := Compare(a, a); s < 0.5 || s > 1 {
		t.Errorf("Compare(a, a) = %v, want in [0.5, 1]", s)
	}
	for _, e := range []*Template{nil, {}, {Minutiae: []Minutia{{X: 10, Y: 10}}}} {
		if s := Compare(a, e); s != 0 {
			t.Errorf("Compare(a, %v) = %v, want 0", e, s)
		}
		if s := Compare(e, a); s != 0 {
			t.Errorf("Compare(%v, a) = %v, want 0", e, s)
		}
	}
}

func TestCompareResolutionScaling(t *testing.T) {
	// The same finger captured at 1000 ppi matches its 500 ppi version.
	rng := rand.New(rand.NewPCG(5, 6))
	a := synthTemplate(rng, 35)
	b := &Template{Width: 2 * a.Width, Height: 2 * a.Height, Resolution: 1000}
	for _, m := range a.Minutiae {
		m.X, m.Y = 2*m.X, 2*m.Y
		b.Minutiae = append(b.Minutiae, m)
	}
	if s, self := Compare(a, b), Compare(a, a); math.Abs(s-self) > 0.05 {
		t.Errorf("Compare at 500 vs 1000 ppi = %v, self %v", s, self)
	}
}

func TestScoreDoesNotAllocate(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	p := NewProbe(synthTemplate(rng, 60))
	cs := []*Prepared{Prepare(synthTemplate(rng, 60)), Prepare(synthTemplate(rng, 10)), Prepare(nil)}
	for _, c := range cs {
		if n := testing.AllocsPerRun(20, func() { p.Score(c) }); n != 0 {
			t.Errorf("Score allocates %v times per call", n)
		}
	}
}

func TestManyMinutiaeCapped(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	a := synthTemplate(rng, 200)
	if got := len(matchPoints(a)); got != maxMatchM {
		t.Errorf("matchPoints kept %d of %d minutiae, want %d", got, len(a.Minutiae), maxMatchM)
	}
	if s := Compare(a, a); !(s > 0) {
		t.Errorf("Compare of a 200-minutiae template with itself = %v", s)
	}
}

// compatibilityReference is ρ of the MCC paper as written: d1 the
// difference of distances, d2 of direction differences, d3 of radial
// angles, each through its sigmoid.
func compatibilityReference(ai, ak, bi, bk *cylinder) float64 {
	z := func(v, mu, tau float64) float64 { return 1 / (1 + math.Exp(-tau*(v-mu))) }
	f := func(c *cylinder) (float64, float64, float64) { return float64(c.x), float64(c.y), float64(c.theta) }
	xai, yai, tai := f(ai)
	xak, yak, tak := f(ak)
	xbi, ybi, tbi := f(bi)
	xbk, ybk, tbk := f(bk)
	d1 := math.Abs(math.Hypot(xak-xai, yak-yai) - math.Hypot(xbk-xbi, ybk-ybi))
	d2 := math.Abs(angleDiff(angleDiff(tai, tak), angleDiff(tbi, tbk)))
	ra := angleDiff(tai, math.Atan2(yak-yai, xak-xai))
	rb := angleDiff(tbi, math.Atan2(ybk-ybi, xbk-xbi))
	d3 := math.Abs(angleDiff(ra, rb))
	return z(d1, 5, -1.6) * z(d2, math.Pi/12, -30) * z(d3, math.Pi/12, -30)
}

func TestCompatAgreesWithReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	cyl := func(x, y, th float64) *cylinder {
		return &cylinder{x: float32(x), y: float32(y), theta: float32(math.Mod(th+4*math.Pi, 2*math.Pi))}
	}
	for n := 0; n < 100000; n++ {
		ai := cyl(rng.Float64()*300, rng.Float64()*300, rng.Float64()*2*math.Pi)
		ak := cyl(rng.Float64()*300, rng.Float64()*300, rng.Float64()*2*math.Pi)
		// b: a rotated and shifted, with noise that spans the sigmoids.
		rot, dx, dy := rng.Float64()*2*math.Pi, rng.Float64()*100, rng.Float64()*100
		s, c := math.Sincos(rot)
		noise := func(v float64) float64 { return v + rng.NormFloat64()*6 }
		bi := cyl(noise(float64(ai.x)*c-float64(ai.y)*s+dx), noise(float64(ai.x)*s+float64(ai.y)*c+dy), float64(ai.theta)+rot+rng.NormFloat64()*0.2)
		bk := cyl(noise(float64(ak.x)*c-float64(ak.y)*s+dx), noise(float64(ak.x)*s+float64(ak.y)*c+dy), float64(ak.theta)+rot+rng.NormFloat64()*0.2)
		got := float64(compat(testRelaxPair(ai, bi), testRelaxPair(ak, bk)))
		want := compatibilityReference(ai, ak, bi, bk)
		if math.Abs(got-want) > 0.05 {
			t.Fatalf("compat = %.4f, reference %.4f (a %+v %+v, b %+v %+v)", got, want, *ai, *ak, *bi, *bk)
		}
	}
}

// testRelaxPair is the pair (ca, cb) as relax selects it, its rotation's
// cosine and sine computed in float64.
func testRelaxPair(ca, cb *cylinder) *relaxPair {
	p := &relaxPair{ax: ca.x, ay: ca.y, bx: cb.x, by: cb.y, d: wrap32(ca.theta - cb.theta)}
	sn, cs := math.Sincos(float64(p.d))
	p.cos, p.sin = float32(cs), float32(sn)
	return p
}

// absAngle is |wrap32(d)|, as compatBranchy reads d2.
func absAngle(d float32) float32 {
	d = wrap32(d)
	if d < 0 {
		return -d
	}
	return d
}

// compatBranchy is compat with an early return for each term out of its
// table's range, as compat was written before it lost its branches.
func compatBranchy(pi, pk *relaxPair) float32 {
	d2 := absAngle(pi.d - pk.d)
	if d2 >= lutAngMx {
		return 0
	}
	vax, vay := pk.ax-pi.ax, pk.ay-pi.ay
	vbx, vby := pk.bx-pi.bx, pk.by-pi.by
	da := float32(math.Sqrt(float64(vax*vax + vay*vay)))
	db := float32(math.Sqrt(float64(vbx*vbx + vby*vby)))
	d1 := da - db
	if d1 < 0 {
		d1 = -d1
	}
	if d1 >= lutDistMx {
		return 0
	}
	wx := pi.cos*vbx - pi.sin*vby
	wy := pi.sin*vbx + pi.cos*vby
	dot := wx*vax + wy*vay
	cross := wx*vay - wy*vax
	if cross < 0 {
		cross = -cross
	}
	if dot <= 0 || cross >= dot {
		return 0
	}
	return lutDist[int(d1*(lutN/lutDistMx))] * lutAng[int(d2*(lutN/lutAngMx))] * lutTan[int(cross/dot*lutN)]
}

// TestCompatMatchesBranchy compares compat with compatBranchy bit for bit
// on random pairs and on pairs at the edges of the tables' ranges: d2 about
// π/4 and the wrap at π, d1 about 16, the radial angle about ±π/4, a dot
// product of 0 or below, coincident minutiae.
func TestCompatMatchesBranchy(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	check := func(pi, pk *relaxPair) {
		t.Helper()
		got, want := compat(pi, pk), compatBranchy(pi, pk)
		if math.Float32bits(got) != math.Float32bits(want) {
			t.Fatalf("compat(%+v, %+v) = %v, branchy %v", *pi, *pk, got, want)
		}
	}
	// Rotations next to the boundaries of d2: π/4 and π apart, and
	// either side of them by a few ulps.
	var rots []float32
	for _, base := range []float32{0, math.Pi / 4, math.Pi, 7 * math.Pi / 4, 2 * math.Pi} {
		for _, sign := range []float32{1, -1} {
			v := base * sign
			for range 4 {
				rots = append(rots, v)
				v = math.Nextafter32(v, 10)
			}
			v = base * sign
			for range 4 {
				v = math.Nextafter32(v, -10)
				rots = append(rots, v)
			}
		}
	}
	for n := 0; n < 400000; n++ {
		pi := &relaxPair{ax: rng.Float32() * 300, ay: rng.Float32() * 300}
		pk := &relaxPair{ax: rng.Float32() * 300, ay: rng.Float32() * 300}
		rot := rng.Float32() * 2 * math.Pi
		sn, cs := math.Sincos(float64(rot))
		move := func(p *relaxPair, noise float32) {
			p.bx = p.ax*float32(cs) - p.ay*float32(sn) + 20 + noise*float32(rng.NormFloat64())
			p.by = p.ax*float32(sn) + p.ay*float32(cs) - 30 + noise*float32(rng.NormFloat64())
		}
		switch n % 4 {
		case 0: // a genuine-like pair: b is a moved, with noise
			move(pi, 6)
			move(pk, 6)
		case 1: // unrelated positions
			pi.bx, pi.by = rng.Float32()*300, rng.Float32()*300
			pk.bx, pk.by = rng.Float32()*300, rng.Float32()*300
		case 2: // coincident minutiae on one or both sides
			move(pi, 0)
			*pk = *pi
			if rng.IntN(2) == 0 {
				pk.bx += rng.Float32() * 20
			}
		case 3: // distances about 16 apart
			move(pi, 0)
			move(pk, 0)
			pk.bx = pi.bx + (pk.bx-pi.bx)*(1+16/max(1, float32(math.Hypot(float64(pk.bx-pi.bx), float64(pk.by-pi.by)))))*float32(1+rng.NormFloat64()*1e-6)
		}
		pi.d = wrap32(rot + float32(rng.NormFloat64()*0.3))
		pk.d = wrap32(pi.d + float32(rng.NormFloat64()*0.5))
		if n%3 == 0 {
			pi.d, pk.d = wrap32(rots[rng.IntN(len(rots))]), 0
			if rng.IntN(2) == 0 {
				pk.d, pi.d = pi.d, wrap32(pi.d+rots[rng.IntN(len(rots))])
			}
		}
		s, c := math.Sincos(float64(pi.d))
		pi.cos, pi.sin = float32(c), float32(s)
		if n%5 == 0 {
			// The radial angle about ±π/4 or ±π/2: the rotated vectors'
			// cross product about ±dot, or dot about 0.
			a := []float64{math.Pi / 4, -math.Pi / 4, math.Pi / 2, -math.Pi / 2, 3 * math.Pi / 4}[rng.IntN(5)] + rng.NormFloat64()*1e-6
			vax, vay := float64(pk.ax-pi.ax), float64(pk.ay-pi.ay)
			l := math.Hypot(vax, vay)
			ang := math.Atan2(vay, vax) - a - float64(pi.d)
			pk.bx = pi.bx + float32(l*math.Cos(ang))
			pk.by = pi.by + float32(l*math.Sin(ang))
		}
		check(pi, pk)
		check(pk, pi)
	}
}

func TestConvexHull(t *testing.T) {
	ps := []point{{0, 0, 0}, {10, 0, 0}, {10, 10, 0}, {0, 10, 0}, {5, 5, 0}, {5, 0, 0}}
	h := convexHull(ps)
	if len(h) != 4 {
		t.Fatalf("hull %v, want the 4 corners", h)
	}
	for _, c := range []struct {
		x, y float64
		want bool
	}{{5, 5, true}, {-3, 5, true}, {-6, 5, false}, {14, 14, false}, {13, 13, true}} {
		if got := nearHull(h, c.x, c.y, 5); got != c.want {
			t.Errorf("nearHull(%v, %v) = %v, want %v", c.x, c.y, got, c.want)
		}
	}
}

func BenchmarkScore(b *testing.B) {
	rng := rand.New(rand.NewPCG(13, 14))
	const n = 64
	gallery := make([]*Prepared, n)
	for i := range gallery {
		gallery[i] = Prepare(synthTemplate(rng, 40))
	}
	p := NewProbe(impress(rng, synthTemplate(rng, 40), 0.2, 5, 5))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.Score(gallery[i%n])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cmp/s")
}

func BenchmarkPrepare(b *testing.B) {
	rng := rand.New(rand.NewPCG(15, 16))
	t := synthTemplate(rng, 40)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Prepare(t)
	}
}

// BenchmarkScoreFVC2002 scans each ISO template of FVC2002 DB1_B..DB4_B as a
// probe against the other 79 of its set.
func BenchmarkScoreFVC2002(b *testing.B) {
	dir := shareddata.Require(b, "fingerprints", "fvc2002-b")
	var sets [][]*Prepared
	for _, db := range []string{"DB1_B", "DB2_B", "DB3_B", "DB4_B"} {
		files, _ := filepath.Glob(filepath.Join(dir, db, "*.iso"))
		var set []*Prepared
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				b.Fatal(err)
			}
			r, err := DecodeISO(data)
			if err != nil {
				b.Fatal(err)
			}
			tm, _ := r.Template(0)
			set = append(set, Prepare(tm))
		}
		sets = append(sets, set)
	}
	var probes []*Probe
	var gal [][]*Prepared
	for _, s := range sets {
		for _, p := range s {
			probes = append(probes, NewProbePrepared(p))
			gal = append(gal, s)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; {
		k := n % len(probes)
		for _, c := range gal[k] {
			probes[k].Score(c)
			i++
		}
		n++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cmp/s")
}

// BenchmarkScoreFVC2002Images scans each image of FVC2002 DB2_B, extracted
// by this package, as a probe against the other 79: "field" as Extract
// returns the templates, "minutiae" with their orientation fields removed,
// so that the two sub-benchmarks give the field's cost.
func BenchmarkScoreFVC2002Images(b *testing.B) {
	dir := shareddata.Require(b, "fingerprints", "fvc2002-b")
	files, _ := filepath.Glob(filepath.Join(dir, "DB2_B", "*.tif"))
	var tpls []*Template
	for _, f := range files {
		g, err := LoadImage(f)
		if err != nil {
			b.Fatal(err)
		}
		t, err := Extract(g, ExtractOptions{})
		if err != nil {
			b.Fatal(err)
		}
		tpls = append(tpls, t)
	}
	for _, field := range []bool{true, false} {
		name := "field"
		if !field {
			name = "minutiae"
		}
		b.Run(name, func(b *testing.B) {
			var gal []*Prepared
			for _, t := range tpls {
				c := *t
				if !field {
					c.Field = nil
				}
				gal = append(gal, Prepare(&c))
			}
			probes := make([]*Probe, len(gal))
			for i, p := range gal {
				probes[i] = NewProbePrepared(p)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i, n := 0, 0; i < b.N; n++ {
				pr := probes[n%len(probes)]
				for _, c := range gal {
					pr.Score(c)
					i++
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cmp/s")
		})
	}
}

// maskedCount is the number of set bits of a cylinder in the cells of v,
// from its per-cell counts in binary, as localSimilarities computes it.
func maskedCount(p *[3]uint64, v uint64) int {
	return bits.OnesCount64(p[0]&v) + 2*bits.OnesCount64(p[1]&v) + 4*bits.OnesCount64(p[2]&v)
}

func TestMaskedCount(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	for _, c := range cylinders(matchPoints(synthTemplate(rng, 60))) {
		for n := 0; n < 20; n++ {
			v := rng.Uint64()
			want := 0
			for _, w := range c.bits {
				want += bits.OnesCount64(w & v)
			}
			if got := maskedCount(&c.planes, v); got != want {
				t.Fatalf("maskedCount = %d, want %d", got, want)
			}
		}
	}
}

func TestCylinderConstants(t *testing.T) {
	if mccInRadius != mccInRadiusCells || mccWords != 6 {
		t.Errorf("cells within the radius %d, constant %d; words %d", mccInRadius, mccInRadiusCells, mccWords)
	}
	if want := int(math.Ceil(mccMinVC * float64(mccInRadius))); mccMinValid != want {
		t.Errorf("mccMinValid %d, want %d", mccMinValid, want)
	}
	if want := int(math.Ceil(mccMinME * float64(mccInRadius))); mccMinCommon != want {
		t.Errorf("mccMinCommon %d, want %d", mccMinCommon, want)
	}
}

// simKey is the key pairKeys writes for a pair: the similarity
// 2·and/n quantised to 16 bits, then the indices, so that keys order
// pairs by similarity, then by index.
func simKey(and, n, i, j int) uint32 {
	return uint32((uint64(and)*recipTable[n])>>16)<<16 | uint32(i)<<8 | uint32(j)
}

// referenceTop is the plain version of localSimilarities: every pair,
// direction gate by angleDiff, masked counts by loops, a full sort.
func referenceTop(a, b []cylinder) []pairSim {
	var keys []uint32
	for i := range a {
		for j := range b {
			ca, cb := &a[i], &b[j]
			if math.Abs(angleDiff(float64(ca.theta), float64(cb.theta))) > mccMaxDir {
				continue
			}
			v := ca.valid & cb.valid
			if bits.OnesCount64(v) < mccMinCommon {
				continue
			}
			and, na, nb := 0, 0, 0
			for k := 0; k < mccWords; k++ {
				and += bits.OnesCount64(ca.bits[k] & cb.bits[k] & v)
				na += bits.OnesCount64(ca.bits[k] & v)
				nb += bits.OnesCount64(cb.bits[k] & v)
			}
			if and == 0 {
				continue
			}
			keys = append(keys, simKey(and, na+nb, i, j))
		}
	}
	slices.Sort(keys)
	slices.Reverse(keys)
	var top []pairSim
	for _, k := range keys[:min(len(keys), topPairs)] {
		top = append(top, pairSim{s: float32(k>>16) / 65535, a: uint8(k >> 8), b: uint8(k)})
	}
	return top
}

func TestLocalSimilaritiesMatchReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	for n := 0; n < 40; n++ {
		x := synthTemplate(rng, 10+rng.IntN(60))
		y := impress(rng, x, rng.Float64()*2*math.Pi, rng.IntN(40)-20, rng.IntN(40)-20)
		if n%3 == 0 {
			y = synthTemplate(rng, 10+rng.IntN(60))
		}
		p, c := NewProbe(x), Prepare(y)
		got := p.localSimilarities(p.p.cyl, c)
		want := referenceTop(p.p.cyl, c.cyl)
		if got != len(want) || !slices.Equal(p.top[:got], want) {
			t.Fatalf("template pair %d: fast top %v\nreference %v", n, p.top[:got], want)
		}
	}
}

// TestLocalSimilaritiesPileUp compares lattices of parallel minutiae, whose
// interior cylinders are identical, so that most similarities fall in one
// histogram bucket (the slices.Sort path of localSimilarities).
func TestLocalSimilaritiesPileUp(t *testing.T) {
	lattice := func(step int) *Template {
		tm := &Template{Width: 400, Height: 400, Resolution: 500}
		for y := 20; y < 380 && len(tm.Minutiae) < maxMatchM; y += step {
			for x := 20; x < 380 && len(tm.Minutiae) < maxMatchM; x += step {
				tm.Minutiae = append(tm.Minutiae, Minutia{X: x, Y: y, Angle: 1, Quality: 50})
			}
		}
		return tm
	}
	for _, step := range []int{20, 24, 30} {
		p, c := NewProbe(lattice(step)), Prepare(lattice(step))
		got := p.localSimilarities(p.p.cyl, c)
		want := referenceTop(p.p.cyl, c.cyl)
		if got != len(want) || !slices.Equal(p.top[:got], want) {
			t.Fatalf("lattice %d: fast top %v\nreference %v", step, p.top[:got], want)
		}
	}
}

func TestNumPairsTable(t *testing.T) {
	for n := 0; n <= maxMatchM; n++ {
		if got, want := numPairs(n), numPairsFormula(n); got != want {
			t.Errorf("numPairs(%d) = %d, formula %d", n, got, want)
		}
	}
}

// relaxIterateReference is the relaxation of the MCC paper (eq. 25) as a
// plain loop over slices.
func relaxIterateReference(rho [][]float32, lam []float32) []float32 {
	m := len(lam)
	cur, next := slices.Clone(lam), make([]float32, m)
	if m < 2 {
		return cur
	}
	inv := (1 - relaxW) / float32(m-1)
	for it := 0; it < relaxIter; it++ {
		for i := range m {
			var s float32
			for k := range m {
				s += rho[i][k] * cur[k]
			}
			next[i] = relaxW*cur[i] + inv*s
		}
		cur, next = next, cur
	}
	return cur
}

func TestRelaxIterateMatchesReference(t *testing.T) {
	if maxRelax != 16 {
		t.Fatalf("relaxIterate is unrolled for 16 pairs, maxRelax is %d", maxRelax)
	}
	rng := rand.New(rand.NewPCG(29, 30))
	pr := &Probe{}
	for n := 0; n < 200; n++ {
		m := rng.IntN(maxRelax + 1)
		// Leftovers of a larger earlier comparison beyond m.
		for i := range pr.rho {
			for k := range pr.rho[i] {
				pr.rho[i][k] = rng.Float32()
			}
			pr.lam[0][i], pr.lam[1][i] = rng.Float32(), rng.Float32()
		}
		rho := make([][]float32, m)
		lam := make([]float32, m)
		for i := range m {
			rho[i] = make([]float32, m)
			for k := i + 1; k < m; k++ {
				r := rng.Float32()
				if rng.IntN(2) == 0 {
					r = 0
				}
				rho[i][k], pr.rho[i][k] = r, r
			}
			lam[i] = rng.Float32()
			pr.lam[0][i] = lam[i]
		}
		for i := range m {
			pr.rho[i][i] = 0
			for k := 0; k < i; k++ {
				rho[i][k], pr.rho[i][k] = rho[k][i], rho[k][i]
			}
		}
		got, want := pr.relaxIterate(m), relaxIterateReference(rho, lam)
		if !slices.Equal(got, want) {
			t.Fatalf("m %d: relaxIterate %v, reference %v", m, got, want)
		}
	}
}

// consolidateReference is consolidate searching every cylinder of the
// candidate in index order.
func consolidateReference(a []cylinder, c *Prepared, pa, pb *cylinder) int {
	b := c.cyl
	rot := pb.theta - pa.theta
	sn, cs := pb.sin*pa.cos-pb.cos*pa.sin, pb.cos*pa.cos+pb.sin*pa.sin
	used := make([]bool, len(b))
	m := 0
	for i := range a {
		ca := &a[i]
		dx, dy := ca.x-pa.x, ca.y-pa.y
		x := cs*dx - sn*dy + pb.x
		y := sn*dx + cs*dy + pb.y
		th := ca.theta + rot
		if th < 0 {
			th += 2 * math.Pi
		} else if th >= 2*math.Pi {
			th -= 2 * math.Pi
		}
		bestJ, bestD := -1, float32(consolDist*consolDist)
		for j := range b {
			ex, ey := b[j].x-x, b[j].y-y
			if d := ex*ex + ey*ey; d < bestD && !used[j] && consolDir(b[j].theta, th) {
				bestJ, bestD = j, d
			}
		}
		if bestJ >= 0 {
			used[bestJ] = true
			m++
		}
	}
	return m
}

// consolDir reports whether directions t and th (radians, in [0, 2π))
// are within consolAngle of each other.
func consolDir(t, th float32) bool {
	d := t - th
	if d < -math.Pi {
		d += 2 * math.Pi
	} else if d >= math.Pi {
		d -= 2 * math.Pi
	}
	return d <= consolAngle && d >= -consolAngle
}

// TestConsolDirOut compares consolDirOut with consolDir on random
// directions and on directions consolAngle and π apart, either side by a
// few ulps.
func TestConsolDirOut(t *testing.T) {
	if want := math.Float32bits(consolAngle); consolAngleBits != want {
		t.Fatalf("consolAngleBits %#x, want %#x", consolAngleBits, want)
	}
	rng := rand.New(rand.NewPCG(43, 44))
	check := func(t0, th float32) {
		t.Helper()
		want := uint64(1)
		if consolDir(t0, th) {
			want = 0
		}
		if got := consolDirOut(t0, th); got != want {
			t.Fatalf("consolDirOut(%v, %v) = %d, consolDir %v", t0, th, got, want == 0)
		}
	}
	// dir is v reduced to [0, 2π) as the directions are.
	dir := func(v float32) float32 {
		if v < 0 {
			v += 2 * math.Pi
		} else if v >= 2*math.Pi {
			v -= 2 * math.Pi
		}
		return v
	}
	for n := 0; n < 200000; n++ {
		th := dir(rng.Float32() * 2 * math.Pi)
		check(dir(rng.Float32()*2*math.Pi), th)
		for _, off := range []float32{consolAngle, -consolAngle, math.Pi, -math.Pi, 2*math.Pi - consolAngle, consolAngle - 2*math.Pi} {
			v := th + off
			for range 3 {
				check(dir(v), th)
				v = math.Nextafter32(v, 10)
			}
			v = th + off
			for range 3 {
				v = math.Nextafter32(v, -10)
				check(dir(v), th)
			}
		}
	}
}

func TestConsolidateMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for n := 0; n < 60; n++ {
		x := synthTemplate(rng, 10+rng.IntN(60))
		y := impress(rng, x, rng.Float64()*2*math.Pi, rng.IntN(40)-20, rng.IntN(40)-20)
		p, c := NewProbe(x), Prepare(y)
		a, b := p.p.cyl, c.cyl
		if len(a) == 0 || len(b) == 0 {
			continue
		}
		for k := 0; k < 5; k++ {
			pa, pb := &a[rng.IntN(len(a))], &b[rng.IntN(len(b))]
			got, want := p.consolidate(a, c, pa, pb), consolidateReference(a, c, pa, pb)
			if got != want {
				t.Fatalf("template pair %d: consolidate %d, reference %d", n, got, want)
			}
		}
	}
}

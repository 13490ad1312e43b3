package gallery

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"testing"

	"github.com/bixproject/bix/fingerprint"
)

// rotate returns t rotated by r about (150, 200) and shifted by (dx, dy),
// without noise: descriptors must not change beyond bin-boundary effects.
func rotate(t *fingerprint.Template, r, dx, dy float64) *fingerprint.Template {
	c, s := math.Cos(r), math.Sin(r)
	out := &fingerprint.Template{Width: t.Width, Height: t.Height, Resolution: t.Resolution}
	for _, m := range t.Minutiae {
		x, y := float64(m.X)-150, -(float64(m.Y) - 200) // y up
		nx, ny := c*x-s*y, s*x+c*y
		out.Minutiae = append(out.Minutiae, fingerprint.Minutia{
			X: int(math.Round(nx + 150 + dx)), Y: int(math.Round(-ny + 200 + dy)),
			Angle: wrapAngle(m.Angle + r), Kind: m.Kind, Quality: m.Quality,
		})
	}
	return out
}

func TestDescriptorInvariance(t *testing.T) {
	m := master(11)
	g := describe(m, false)
	total := common(g, g)
	same := common(describe(rotate(m, 0.7, 12, -9), true), g)
	other := common(describe(master(12), true), g)
	if float64(same) < 0.8*float64(total) {
		t.Errorf("rotated copy shares %d of %d bits", same, total)
	}
	if other >= same/2 {
		t.Errorf("another finger shares %d bits, the rotated copy %d", other, same)
	}
}

func TestShortlistAgreesWithExhaustive(t *testing.T) {
	ctx := context.Background()
	ex := New(2)
	pf := NewWith(Config{Workers: 2, Shortlist: 10})
	for p := range 200 {
		tm := impression(master(uint64(p*10+1)), uint64(7000+p))
		for _, g := range []*Gallery{ex, pf} {
			if err := g.Add(fmt.Sprintf("p%d", p), fmt.Sprintf("t%d", p), 1, tm); err != nil {
				t.Fatal(err)
			}
		}
	}
	agree := 0
	const probes = 40
	for p := range probes {
		probe := []Sample{{Position: 1, Template: impression(master(uint64(p*5*10+1)), uint64(9000+p))}}
		a, err := ex.Identify(ctx, probe, Options{MaxCandidates: 1})
		if err != nil {
			t.Fatal(err)
		}
		b, err := pf.Identify(ctx, probe, Options{MaxCandidates: 1})
		if err != nil {
			t.Fatal(err)
		}
		if a[0].PersonID == b[0].PersonID {
			agree++
		}
	}
	if agree < probes-1 {
		t.Errorf("pre-filter rank 1 agrees with exhaustive for %d of %d probes", agree, probes)
	}
	// Verify and impostor sampling work on lazily prepared templates.
	if _, ok, err := pf.Verify("p3", []Sample{{Position: 1, Template: master(31)}}); !ok || err != nil {
		t.Errorf("verify: %v %v", ok, err)
	}
	if s := pf.ImpostorScores(1, 50, 1); len(s) != 50 {
		t.Errorf("%d impostor scores", len(s))
	}
}

// refDescribe is the plain reference for describe: measure every pair, sort
// each minutia's in-range neighbours stably by distance and keep the nearest.
func refDescribe(t *fingerprint.Template, soft bool) *descriptor {
	var d descriptor
	ps := descPoints(t, nil)
	maxD := descDistMin + descDistBins*descDistBin
	for i, p := range ps {
		type nb struct {
			j  int
			d2 float64
		}
		var near []nb
		for j, q := range ps {
			dx, dy := q.x-p.x, q.y-p.y
			d2 := dx*dx + dy*dy
			if j != i && d2 >= descDistMin*descDistMin && d2 < maxD*maxD {
				near = append(near, nb{j, d2})
			}
		}
		sort.SliceStable(near, func(a, b int) bool { return near[a].d2 < near[b].d2 })
		for _, n := range near[:min(len(near), descNeighbours)] {
			q := ps[n.j]
			dist := math.Sqrt(n.d2)
			seg := math.Atan2(q.y-p.y, q.x-p.x)
			ai, aj := wrapAngle(p.a-seg), wrapAngle(q.a-seg)
			if !soft {
				setFeature(&d, dist, ai, aj)
				continue
			}
			for _, dd := range softSteps(dist-descDistMin, descDistBin, softDist) {
				for _, da := range softSteps(ai, 2*math.Pi/descAngleBins, softAngle) {
					for _, db := range softSteps(aj, 2*math.Pi/descAngleBins, softAngle) {
						setFeature(&d, dist+dd, ai+da, aj+db)
					}
				}
			}
		}
	}
	return &d
}

// gridTemplate has n minutiae on a coarse lattice of step px pixels at
// resolution res, so that many pairs are equally far apart (ties in the
// neighbour order) and some coincide.
// goldenField is a deterministic orientation field for a w×h template:
// directions turning across it, coherences varying down it, the corners
// outside the print.
func goldenField(seed uint64, w, h int) *fingerprint.OrientationField {
	fw, fh := (w+fingerprint.FieldBlock-1)/fingerprint.FieldBlock, (h+fingerprint.FieldBlock-1)/fingerprint.FieldBlock
	f := &fingerprint.OrientationField{Width: fw, Height: fh, Dir: make([]uint8, fw*fh), Coherence: make([]uint8, fw*fh)}
	for j := range fh {
		for i := range fw {
			if (i == 0 || i == fw-1) && (j == 0 || j == fh-1) {
				continue
			}
			f.Dir[j*fw+i] = uint8((int(seed) + 7*i + 3*j) % 180)
			f.Coherence[j*fw+i] = uint8(1 + (int(seed)+11*j)%255)
		}
	}
	return f
}

func gridTemplate(seed uint64, n, step, res int) *fingerprint.Template {
	r := rand.New(rand.NewPCG(seed, 3))
	t := &fingerprint.Template{Width: 500, Height: 550, Resolution: res}
	for range n {
		t.Minutiae = append(t.Minutiae, fingerprint.Minutia{
			X: step * r.IntN(500/step), Y: step * r.IntN(550/step), Angle: r.Float64() * 2 * math.Pi, Quality: 60,
		})
	}
	return t
}

// TestDescribeMatchesReference checks describe's bit set against
// refDescribe's, gallery and probe side, on random templates, impressions,
// lattices full of equal distances and coincident points, templates of more
// than 128 minutiae, a non-500 ppi resolution and the degenerate ones.
func TestDescribeMatchesReference(t *testing.T) {
	var ts []*fingerprint.Template
	for s := range uint64(50) {
		ts = append(ts, master(s), impression(master(s), s+100))
	}
	for s := range uint64(30) {
		ts = append(ts, gridTemplate(s, 20+int(s)*7, []int{8, 12, 16, 24}[s%4], []int{500, 500, 1000, 250}[s%4]))
	}
	ts = append(ts, gridTemplate(99, 300, 4, 500), &fingerprint.Template{}, gridTemplate(7, 1, 8, 500), gridTemplate(8, 2, 8, 500))
	for k, tm := range ts {
		for _, soft := range []bool{false, true} {
			if got, want := describe(tm, soft), refDescribe(tm, soft); *got != *want {
				t.Fatalf("template %d (%d minutiae, soft %v): descriptor differs from the reference", k, len(tm.Minutiae), soft)
			}
		}
	}
}

// TestIndex checks that an index entry gives back the descriptor and the
// prepared template it was made from and that entries of another version
// or length, or with a damaged prepared template, are not used.
func TestIndex(t *testing.T) {
	probe := fingerprint.NewProbe(master(77))
	for s := range uint64(20) {
		tm := impression(master(s), s+7)
		b := Index(tm)
		d, p, ok := indexEntry(b)
		if !ok || *d != *describe(tm, false) || probe.Score(p) != probe.Score(fingerprint.Prepare(tm)) {
			t.Fatalf("template %d: entry does not give back its descriptor and prepared form (ok %v)", s, ok)
		}
	}
	b := Index(master(1))
	for _, bad := range [][]byte{nil, {}, {indexVersion}, b[:indexHeaderLen], b[:len(b)-1], append(slices.Clone(b), 0), append([]byte{indexVersion - 1}, b[1:]...)} {
		if _, _, ok := indexEntry(bad); ok {
			t.Errorf("entry of %d bytes, version %v: decoded", len(bad), bad[:min(1, len(bad))])
		}
	}
	if !indexCurrent(b) || indexCurrent(b[:indexHeaderLen]) || indexCurrent(append([]byte{indexVersion - 1}, b[1:]...)) {
		t.Error("indexCurrent does not tell current entries from others")
	}
}

// TestIndexGolden pins what index entries stored at enrollment hold:
// describe's gallery-side output and fingerprint.Prepare's. When it fails
// because either changed on purpose, increase indexVersion (so that stored
// entries are computed again at load) and update the hash here.
//
// The hash is pinned on amd64: other architectures may fuse multiply-adds,
// which can move a feature across a bin edge (harmless to the pre-filter,
// but not bit-identical).
func TestIndexGolden(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skipf("index hash pinned on amd64, not %s", runtime.GOARCH)
	}
	h := sha256.New()
	for s := range uint64(40) {
		h.Write(Index(impression(master(s), s+11)))
		g := gridTemplate(s, 25+int(s)*5, []int{8, 12, 16, 24}[s%4], []int{500, 500, 1000, 250}[s%4])
		if s%2 == 1 {
			g.Field = goldenField(s, g.Width, g.Height)
		}
		h.Write(Index(g))
	}
	const want = "0dae40714b9dfbeb7d4fc4806555d61436fe43e707bc40fa83a2e2c5b0499f77"
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		t.Errorf("index entries hash %s, pinned %s: if describe or fingerprint.Prepare changed, increase indexVersion (now %d) and pin the new hash", got, want, indexVersion)
	}
}

func BenchmarkDescribe(b *testing.B) {
	m := master(1)
	for b.Loop() {
		describe(m, false)
	}
}

func BenchmarkPrefilterScan(b *testing.B) {
	ds := make([]descriptor, 10000)
	for i := range ds {
		ds[i] = *describe(master(uint64(i%100)), false)
	}
	p := describe(master(5), true)
	for b.Loop() {
		n := 0
		for i := range ds {
			n += common(p, &ds[i])
		}
		_ = n
	}
}

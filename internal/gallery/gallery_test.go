package gallery

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/bixproject/bix/fingerprint"
)

// master makes a random set of minutiae for one synthetic finger.
func master(seed uint64) *fingerprint.Template {
	r := rand.New(rand.NewPCG(seed, 1))
	t := &fingerprint.Template{Width: 300, Height: 400, Resolution: 500}
	n := 30 + r.IntN(15)
	for range n {
		t.Minutiae = append(t.Minutiae, fingerprint.Minutia{
			X: 30 + r.IntN(240), Y: 30 + r.IntN(340), Angle: r.Float64() * 2 * math.Pi,
			Kind: fingerprint.Kind(1 + r.IntN(2)), Quality: 60,
		})
	}
	return t
}

// impression is another capture of m: rotated, shifted, jittered, with some
// minutiae lost.
func impression(m *fingerprint.Template, seed uint64) *fingerprint.Template {
	r := rand.New(rand.NewPCG(seed, 2))
	rot := (r.Float64() - 0.5) * 0.3
	dx, dy := r.Float64()*20-10, r.Float64()*20-10
	c, s := math.Cos(rot), math.Sin(rot)
	t := &fingerprint.Template{Width: m.Width, Height: m.Height, Resolution: m.Resolution}
	for _, mi := range m.Minutiae {
		if r.Float64() < 0.15 {
			continue
		}
		x, y := float64(mi.X)-150, float64(mi.Y)-200
		nx, ny := c*x-s*y+150+dx+r.NormFloat64()*2, s*x+c*y+200+dy+r.NormFloat64()*2
		a := math.Mod(mi.Angle-rot+r.NormFloat64()*0.05+4*math.Pi, 2*math.Pi)
		t.Minutiae = append(t.Minutiae, fingerprint.Minutia{X: int(nx), Y: int(ny), Angle: a, Kind: mi.Kind, Quality: 60})
	}
	return t
}

func buildGallery(t *testing.T, persons, fingers int) *Gallery {
	t.Helper()
	g := New(2)
	for p := range persons {
		for f := 1; f <= fingers; f++ {
			m := master(uint64(p*10 + f))
			if err := g.Add(fmt.Sprintf("p%d", p), fmt.Sprintf("p%d-f%d", p, f), f, impression(m, 1000+uint64(p*10+f))); err != nil {
				t.Fatal(err)
			}
		}
	}
	return g
}

func TestIdentifyFindsMate(t *testing.T) {
	ctx := context.Background()
	g := buildGallery(t, 40, 2)
	if g.Len() != 80 || g.Persons() != 40 {
		t.Fatalf("Len %d Persons %d", g.Len(), g.Persons())
	}
	for _, p := range []int{0, 7, 39} {
		probe := []Sample{
			{Position: 1, Template: impression(master(uint64(p*10+1)), 5000+uint64(p))},
			{Position: 2, Template: impression(master(uint64(p*10+2)), 6000+uint64(p))},
		}
		cands, err := g.Identify(ctx, probe, Options{MaxCandidates: 5})
		if err != nil {
			t.Fatal(err)
		}
		if len(cands) != 5 || cands[0].PersonID != fmt.Sprintf("p%d", p) {
			t.Fatalf("probe of p%d: candidates %+v", p, cands)
		}
		c := cands[0]
		if len(c.Scores) != 2 || c.Scores[0].Rank != 1 || c.Scores[1].Rank != 1 {
			t.Errorf("per-finger scores %+v", c.Scores)
		}
		if want := (c.Scores[0].Score + c.Scores[1].Score) / 2; math.Abs(c.Score-want) > 1e-6 {
			t.Errorf("fused %v, want mean %v", c.Score, want)
		}
		for i := 1; i < len(cands); i++ {
			if cands[i].Score > cands[i-1].Score || cands[i].Rank != i+1 {
				t.Errorf("candidate list out of order: %+v", cands)
			}
		}
		// Excluding the mate, and a threshold above its score, remove it.
		ex, _ := g.Identify(ctx, probe, Options{Exclude: c.PersonID})
		if len(ex) > 0 && ex[0].PersonID == c.PersonID {
			t.Errorf("excluded identity returned")
		}
		th, _ := g.Identify(ctx, probe, Options{Threshold: c.Score + 1e-6})
		if len(th) != 0 {
			t.Errorf("threshold above best score returned %d candidates", len(th))
		}
		v, ok, err := g.Verify(c.PersonID, probe)
		if err != nil || !ok || math.Abs(v.Score-c.Score) > 1e-6 {
			t.Errorf("Verify = %+v, %v, %v; want score %v", v, ok, err, c.Score)
		}
	}
}

func TestUnknownPositionSearchesAll(t *testing.T) {
	g := buildGallery(t, 10, 3)
	probe := []Sample{{Position: 0, Template: impression(master(5*10+3), 77)}}
	cands, err := g.Identify(context.Background(), probe, Options{MaxCandidates: 1})
	if err != nil || len(cands) != 1 || cands[0].PersonID != "p5" {
		t.Fatalf("candidates %+v, %v", cands, err)
	}
}

func TestRemoveAndMerge(t *testing.T) {
	ctx := context.Background()
	g := buildGallery(t, 10, 2)
	probe := []Sample{{Position: 1, Template: impression(master(3*10+1), 99)}}
	if !g.Remove("p3") || g.Remove("p3") {
		t.Fatal("Remove p3 twice")
	}
	if g.Len() != 18 || g.Persons() != 9 || g.Has("p3") {
		t.Fatalf("after remove: Len %d Persons %d", g.Len(), g.Persons())
	}
	cands, _ := g.Identify(ctx, probe, Options{})
	for _, c := range cands {
		if c.PersonID == "p3" {
			t.Fatal("removed identity found")
		}
	}
	// Every remaining template is still findable after the swaps.
	for p := range 10 {
		if p == 3 {
			continue
		}
		c, _ := g.Identify(ctx, []Sample{{Position: 2, Template: impression(master(uint64(p*10+2)), 123)}}, Options{MaxCandidates: 1})
		if len(c) != 1 || c[0].PersonID != fmt.Sprintf("p%d", p) {
			t.Fatalf("p%d after removal: %+v", p, c)
		}
	}
	g.Merge("p4", "p5")
	if g.Has("p4") || g.Persons() != 8 || g.Len() != 18 {
		t.Fatalf("after merge: Persons %d Len %d", g.Persons(), g.Len())
	}
	c, _ := g.Identify(ctx, []Sample{{Position: 1, Template: impression(master(4*10+1), 321)}}, Options{MaxCandidates: 1})
	if len(c) != 1 || c[0].PersonID != "p5" {
		t.Fatalf("merged templates not under p5: %+v", c)
	}
}

func TestBadProbe(t *testing.T) {
	g := buildGallery(t, 2, 1)
	if _, err := g.Identify(context.Background(), nil, Options{}); err == nil {
		t.Error("empty probe accepted")
	}
	if _, err := g.Identify(context.Background(), []Sample{{Position: 11, Template: master(1)}}, Options{}); err == nil {
		t.Error("position 11 accepted")
	}
	if err := g.Add("x", "y", -1, master(1)); err == nil {
		t.Error("position -1 accepted")
	}
	if err := g.Add("p0", "p0-f1", 1, master(1)); err == nil {
		t.Error("duplicate template id accepted")
	}
}

func TestTopKMatchesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 100 {
		s := make([]float32, r.IntN(50))
		for i := range s {
			s[i] = float32(r.IntN(10))
		}
		k := 1 + r.IntN(8)
		got := topK(s, k, func(p int) bool { return p%7 == 3 })
		var ref []int
		for i := range s {
			if i%7 != 3 {
				ref = append(ref, i)
			}
		}
		sort.SliceStable(ref, func(a, b int) bool { return s[ref[a]] > s[ref[b]] })
		if len(ref) > k {
			ref = ref[:k]
		}
		if fmt.Sprint(got) != fmt.Sprint(ref) {
			t.Fatalf("topK(%v, %d) = %v, want %v", s, k, got, ref)
		}
	}
}

func TestComparisonFMR(t *testing.T) {
	for _, c := range []struct {
		fpir float64
		n    int
		want float64
	}{
		{0.01, 1, 0.01},
		{0.01, 100, 1.004983e-4},
		{0.001, 60, 1.667487e-5},
		{0.01, 1000000, 1.00503e-8},
	} {
		if got := ComparisonFMR(c.fpir, c.n); math.Abs(got-c.want) > 1e-5*c.want {
			t.Errorf("ComparisonFMR(%g, %d) = %g, want %g", c.fpir, c.n, got, c.want)
		}
		// Back to FPIR under independence.
		if got := -math.Expm1(float64(c.n) * math.Log1p(-ComparisonFMR(c.fpir, c.n))); math.Abs(got-c.fpir) > 1e-9 {
			t.Errorf("fpir %g n %d: round trip %g", c.fpir, c.n, got)
		}
	}
}

func TestImpostorScores(t *testing.T) {
	g := buildGallery(t, 20, 2)
	s := g.ImpostorScores(2, 200, 1)
	if len(s) != 200 {
		t.Fatalf("%d scores", len(s))
	}
	for _, v := range s {
		if v < 0 || v > 1 {
			t.Fatalf("score %v out of [0,1]", v)
		}
	}
	if New(1).ImpostorScores(1, 10, 1) != nil {
		t.Error("empty gallery gave scores")
	}
}

// bixf returns tm as the bix template format keeps it.
func bixf(t *testing.T, tm *fingerprint.Template) *fingerprint.Template {
	t.Helper()
	b, err := tm.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var out fingerprint.Template
	if err := out.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	return &out
}

// TestAddPendingMatchesAdd builds one gallery with Add and another from
// batches made ready concurrently and added under one lock, in both modes:
// the searches give the same candidates, and a batch adds its new templates
// while refusing, by id, those already present. The batched gallery gets a
// current index entry for a third of the templates, none for a third, and
// for the rest a stale one (another version, describing another template),
// which it must ignore.
func TestAddPendingMatchesAdd(t *testing.T) {
	ctx := context.Background()
	for _, shortlist := range []int{0, 10} {
		one := NewWith(Config{Workers: 2, Shortlist: shortlist})
		batched := NewWith(Config{Workers: 2, Shortlist: shortlist})
		const persons, fingers = 30, 2
		pend := make([]Pending, persons*fingers)
		var wg sync.WaitGroup
		for p := range persons {
			for f := 1; f <= fingers; f++ {
				pid, tid := fmt.Sprintf("p%d", p), fmt.Sprintf("p%d-f%d", p, f)
				// At the bix format's angle resolution, which the
				// pre-filter's compact form keeps, so that templates
				// prepared from it and from an entry score alike.
				tm := bixf(t, impression(master(uint64(p*10+f)), 1000+uint64(p*10+f)))
				if err := one.Add(pid, tid, f, tm); err != nil {
					t.Fatal(err)
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					var index []byte
					switch p % 3 {
					case 0:
						index = Index(tm)
					case 2:
						index = Index(master(uint64(p*10 + f + 500)))
						index[0] = indexVersion + 1
						if _, err := batched.ReadyFromIndex(pid, tid, f, index); !errors.Is(err, ErrNoIndex) {
							t.Errorf("ReadyFromIndex with a stale entry: %v, want ErrNoIndex", err)
						}
					}
					ready := func() (Pending, error) { return batched.Ready(pid, tid, f, tm, index) }
					if p%6 == 0 {
						ready = func() (Pending, error) { return batched.ReadyFromIndex(pid, tid, f, index) }
					}
					r, err := ready()
					if err != nil {
						t.Error(err)
					}
					pend[p*fingers+f-1] = r
				}()
			}
		}
		wg.Wait()
		for lo := 0; lo < len(pend); lo += 16 {
			if err := batched.AddPending(pend[lo:min(lo+16, len(pend))]); err != nil {
				t.Fatal(err)
			}
		}
		if one.Len() != batched.Len() || one.Persons() != batched.Persons() {
			t.Fatalf("shortlist %d: Len %d/%d Persons %d/%d", shortlist, one.Len(), batched.Len(), one.Persons(), batched.Persons())
		}
		for p := range persons {
			probe := []Sample{{Position: 1, Template: impression(master(uint64(p*10+1)), 5000+uint64(p))}}
			a, err := one.Identify(ctx, probe, Options{MaxCandidates: 5})
			if err != nil {
				t.Fatal(err)
			}
			b, err := batched.Identify(ctx, probe, Options{MaxCandidates: 5})
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(a) != fmt.Sprint(b) {
				t.Fatalf("shortlist %d, probe of p%d: Add gives %v, AddPending %v", shortlist, p, a, b)
			}
		}
		dup := pend[3]
		fresh, err := batched.Ready("p-new", "t-new", 1, master(999), nil)
		if err != nil {
			t.Fatal(err)
		}
		err = batched.AddPending([]Pending{dup, fresh, fresh})
		if err == nil || !strings.Contains(err.Error(), dup.templateID) || !strings.Contains(err.Error(), "t-new") {
			t.Errorf("batch with duplicates: %v", err)
		}
		if !batched.Has("p-new") || batched.Len() != persons*fingers+1 {
			t.Errorf("batch with duplicates: Has %v, Len %d", batched.Has("p-new"), batched.Len())
		}
		if _, err := batched.Ready("p", "t-bad", 11, master(1), nil); !errors.Is(err, ErrPosition) {
			t.Errorf("Ready at position 11: %v", err)
		}
	}
}

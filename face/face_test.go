package face

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestCosine(t *testing.T) {
	for _, tc := range []struct {
		a, b []float32
		want float32
	}{
		{[]float32{1, 0}, []float32{1, 0}, 1},
		{[]float32{1, 0}, []float32{0, 2}, 0},
		{[]float32{1, 1}, []float32{-2, -2}, -1},
		{[]float32{3, 4}, []float32{4, 3}, 24.0 / 25},
		{[]float32{0, 0}, []float32{1, 0}, 0},
		{[]float32{1}, []float32{1, 0}, 0},
	} {
		if got := Cosine(tc.a, tc.b); math.Abs(float64(got-tc.want)) > 1e-6 {
			t.Errorf("Cosine(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
	v := Normalize([]float32{3, 4})
	if v[0] != 0.6 || v[1] != 0.8 {
		t.Errorf("Normalize = %v", v)
	}
}

func TestThresholdForFMR(t *testing.T) {
	imp := []float32{0.1, 0.5, 0.2, 0.9, 0.3, 0.4, 0.6, 0.7, 0.8, 0.0}
	for _, tc := range []struct {
		fmr     float64
		matches int
	}{{0, 0}, {0.1, 1}, {0.25, 2}, {0.5, 5}, {1, 10}} {
		th := ThresholdForFMR(imp, tc.fmr)
		n := 0
		for _, s := range imp {
			if s >= th {
				n++
			}
		}
		if n != tc.matches {
			t.Errorf("fmr %v: threshold %v admits %d impostors, want %d", tc.fmr, th, n, tc.matches)
		}
	}
}

func TestGallerySearchMatchesRef(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	g := NewGallery(16)
	for i := 0; i < 5000; i++ {
		v := make([]float32, 16)
		for j := range v {
			v[j] = float32(r.NormFloat64())
		}
		if err := g.Add(fmt.Sprint("id", i), Normalize(v)); err != nil {
			t.Fatal(err)
		}
	}
	probe := make([]float32, 16)
	for j := range probe {
		probe[j] = float32(r.NormFloat64())
	}
	Normalize(probe)
	got, err := g.Search(probe, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := g.SearchRef(probe, 10)
	if len(got) != 10 {
		t.Fatalf("%d candidates", len(got))
	}
	for i := range want {
		if got[i].Index != want[i].Index || got[i].ID != want[i].ID || math.Abs(float64(got[i].Score-want[i].Score)) > 1e-5 {
			t.Fatalf("candidate %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	// An exact copy of an entry is found first.
	got, _ = g.Search(g.data[42*16:43*16], 1)
	if got[0].ID != "id42" {
		t.Errorf("self search found %+v", got[0])
	}
	if _, err := g.Search(probe[:3], 1); err == nil {
		t.Error("short probe accepted")
	}
	if err := g.Add("x", probe[:3]); err == nil {
		t.Error("short embedding accepted")
	}
	if c, _ := NewGallery(4).Search(make([]float32, 4), 3); len(c) != 0 {
		t.Errorf("empty gallery gave %v", c)
	}
}

// BenchmarkSearch1M scans one million 128-D embeddings (512 MB).
func BenchmarkSearch1M(b *testing.B) {
	const n = 1_000_000
	g := NewGallery(EmbeddingSize)
	g.data = make([]float32, n*EmbeddingSize)
	g.ids = make([]string, n)
	r := rand.New(rand.NewPCG(7, 8))
	for i := range g.data {
		g.data[i] = float32(r.NormFloat64()) / 11
	}
	probe := g.data[:EmbeddingSize]
	b.SetBytes(int64(len(g.data) * 4))
	b.ResetTimer()
	for b.Loop() {
		if _, err := g.Search(probe, 10); err != nil {
			b.Fatal(err)
		}
	}
}

func TestFitSimilarity(t *testing.T) {
	want := affine{A: 1.3 * math.Cos(0.4), B: 1.3 * math.Sin(0.4), TX: 12, TY: -7}
	from := []Point{{10, 20}, {50, 22}, {30, 60}, {31, 80}}
	to := make([]Point, len(from))
	for i, p := range from {
		to[i] = want.apply(p)
	}
	got, err := fitSimilarity(from, to)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []float64{got.A - want.A, got.B - want.B, got.TX - want.TX, got.TY - want.TY} {
		if math.Abs(d) > 1e-9 {
			t.Fatalf("fit %+v, want %+v", got, want)
		}
	}
	if _, err := fitSimilarity([]Point{{1, 1}, {1, 1}}, []Point{{0, 0}, {3, 3}}); !errors.Is(err, errDegenerate) {
		t.Errorf("coincident points: %v", err)
	}
	// The template's eyes land where dlib puts them: 150·(0.25+x)/1.5.
	p := chipPoint(meanFace[0].x, meanFace[0].y)
	if math.Abs(p.X-(0.25+0.2254918)*100) > 1e-9 {
		t.Errorf("chip point %v", p)
	}
}

func TestWarp(t *testing.T) {
	// A 4×2 image; warping with the identity reproduces it, with a scale of
	// 2 (output half size) averages 2×2 blocks at pixel centres.
	m := rgb{w: 4, h: 2, pix: make([]float32, 4*2*3)}
	for i := range m.pix {
		m.pix[i] = float32(i / 3 * 10)
	}
	id := m.warp(affine{A: 1}, 4, 2)
	for i := range m.pix {
		if id.pix[i] != m.pix[i] {
			t.Fatalf("identity warp: %v, want %v", id.pix, m.pix)
		}
	}
	h := m.warp(affine{A: 2}, 2, 1)
	// Output pixel 0 centre (0.5,0.5) -> image (1,1) in edge coordinates ->
	// index (0.5,0.5): mean of pixels 0,1,4,5 = (0+10+40+50)/4.
	if h.pix[0] != 25 || h.pix[3] != 45 {
		t.Errorf("half warp: %v", h.pix)
	}
	mm := m.mirror()
	if mm.pix[0] != 30 || mm.pix[3*3] != 0 || mm.pix[4*3] != 70 {
		t.Errorf("mirror: %v", mm.pix)
	}
	// Outside the image is black.
	o := m.warp(affine{A: 1, TX: 100}, 1, 1)
	if o.pix[0] != 0 {
		t.Errorf("outside: %v", o.pix)
	}
}

func TestDecode(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	img.Set(1, 1, color.NRGBA{200, 100, 50, 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	got, err := Decode(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	m := toRGB(got)
	if m.w != 3 || m.h != 2 || m.pix[(1*3+1)*3] != 200 || m.pix[(1*3+1)*3+2] != 50 {
		t.Errorf("decoded %+v", m)
	}
	if _, err := Decode(strings.NewReader("not an image")); err == nil {
		t.Error("garbage decoded")
	}
	// A PNG header declaring 100000×100000 pixels is refused before decoding.
	huge := append([]byte(nil), buf.Bytes()...)
	copy(huge[16:24], []byte{0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0})
	binary.BigEndian.PutUint32(huge[29:33], crc32.ChecksumIEEE(huge[12:29]))
	if _, err := Decode(bytes.NewReader(huge)); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("huge image: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	img := image.NewGray(image.Rect(0, 0, 2, 2))
	var buf bytes.Buffer
	png.Encode(&buf, img)
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		if img, err := Decode(bytes.NewReader(b)); err == nil {
			toRGB(img)
		}
	})
}

func TestReadPairs(t *testing.T) {
	in := "2\t1\nA\t1\t2\nB\t1\tC\t3\n\nD 2 4\nE 1 F 1\n"
	pairs, folds, err := ReadPairs(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if folds != 2 || len(pairs) != 4 {
		t.Fatalf("folds %d pairs %d", folds, len(pairs))
	}
	want := []Pair{
		{Name1: "A", N1: 1, Name2: "A", N2: 2, Same: true, Fold: 0, Line: 2},
		{Name1: "B", N1: 1, Name2: "C", N2: 3, Fold: 0, Line: 3},
		{Name1: "D", N1: 2, Name2: "D", N2: 4, Same: true, Fold: 1, Line: 5},
		{Name1: "E", N1: 1, Name2: "F", N2: 1, Fold: 1, Line: 6},
	}
	for i := range want {
		if pairs[i] != want[i] {
			t.Errorf("pair %d = %+v, want %+v", i, pairs[i], want[i])
		}
	}
	for name, bad := range map[string]string{
		"header":    "x 1\n",
		"short":     "1 2\nA 1 2\n",
		"fields":    "1 1\nA 1\nB 1 C 1\n",
		"number":    "1 1\nA 1 x\nB 1 C 1\n",
		"traversal": "1 1\n.. 1 2\nB 1 C 1\n",
		"empty":     "",
	} {
		if _, _, err := ReadPairs(strings.NewReader(bad)); !errors.Is(err, ErrPairs) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func FuzzReadPairs(f *testing.F) {
	f.Add("2\t1\nA\t1\t2\nB\t1\tC\t3\nD 2 4\nE 1 F 1\n")
	f.Add("1 300\n")
	f.Fuzz(func(t *testing.T, s string) {
		ReadPairs(strings.NewReader(s))
	})
}

func TestAccuracyAndThreshold(t *testing.T) {
	pairs := []Pair{{Same: true}, {Same: true}, {Same: false}, {Same: false}}
	scores := []float32{0.9, 0.6, 0.7, 0.1}
	all := func(int) bool { return true }
	th := bestThreshold(pairs, scores, all)
	if a := accuracyAt(pairs, scores, all, th); a != 0.75 {
		t.Errorf("best accuracy %v at %v", a, th)
	}
	if a := accuracyAt(pairs, scores, all, 0.65); a != 0.5 {
		t.Errorf("accuracy at 0.65 = %v", a)
	}
	if m := median([]float64{3, 1, 2, 10}); m != 2.5 {
		t.Errorf("median %v", m)
	}
}

func TestPrimary(t *testing.T) {
	if _, ok := Primary(nil); ok {
		t.Error("Primary of no faces")
	}
	faces := []Face{
		{Box: Box{0, 0, 10, 10}, Quality: Quality{Usable: true}},
		{Box: Box{0, 0, 50, 60}, Quality: Quality{Usable: false, Reason: "blurred"}},
		{Box: Box{0, 0, 20, 20}},
	}
	if f, ok := Primary(faces); !ok || f.Box.X1 != 50 {
		t.Errorf("Primary = %+v, want the largest face", f)
	}
}

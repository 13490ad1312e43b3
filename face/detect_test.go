package face

import (
	"encoding/json"
	"image"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/bixproject/bix/face/nn"
	"github.com/bixproject/bix/internal/shareddata"
)

func TestDetectorMatchesTFJSSynthetic(t *testing.T) {
	e := testEngine(t)
	var ref struct {
		Outputs map[string]struct {
			Shape  []int     `json:"shape"`
			Stride int       `json:"stride"`
			Values []float64 `json:"values"`
		} `json:"outputs"`
	}
	b, err := os.ReadFile("testdata/blazeface_synthetic_tfjs.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	x := nn.New(DetectorSize, DetectorSize, 3)
	for y := 0; y < DetectorSize; y++ {
		for xx := 0; xx < DetectorSize; xx++ {
			for c := 0; c < 3; c++ {
				x.Data[(y*DetectorSize+xx)*3+c] = synthPixel(y, xx, c)/127.5 - 1
			}
		}
	}
	raw, err := e.det.Raw(x)
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{outScores16, outScores8, outBoxes16, outBoxes8} {
		r := ref.Outputs[name]
		got := raw[i]
		var scale float64
		for _, v := range r.Values {
			scale = math.Max(scale, math.Abs(v))
		}
		for j, want := range r.Values {
			g := float64(got.Data[j*r.Stride])
			if math.Abs(g-want) > 1e-4*math.Max(math.Abs(want), 1) {
				t.Fatalf("%s[%d] = %g, want %g", name, j*r.Stride, g, want)
			}
		}
	}
}

// goldenStats is the summary of one tensor in golden_tfjs_cpu.json.
type goldenStats struct {
	Shape  []int     `json:"shape"`
	Mean   float64   `json:"mean"`
	L2     float64   `json:"l2"`
	Min    float64   `json:"min"`
	Max    float64   `json:"max"`
	First4 []float64 `json:"first4"`
}

type goldenFace struct {
	Source        string                 `json:"source"`
	BlazeFaceRaw  map[string]goldenStats `json:"blazeface_raw_outputs"`
	BlazeFaceBest struct {
		Anchor    int          `json:"anchor"`
		Score     float64      `json:"score"`
		Box       [4]float64   `json:"box_256"`
		Keypoints [][2]float64 `json:"keypoints_256"`
	} `json:"blazeface_best"`
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestDetectorMatchesGolden compares BlazeFace's raw outputs on the four
// golden 256×256 inputs with TF.js's (../shared/data/faces/golden).
func TestDetectorMatchesGolden(t *testing.T) {
	dir := shareddata.Require(t, "faces", "golden")
	e := testEngine(t)
	var g struct {
		Faces []goldenFace `json:"faces"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "golden_tfjs_cpu.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	for _, gf := range g.Faces {
		base := filepath.Base(gf.Source)
		base = base[:len(base)-len(filepath.Ext(base))]
		img := toRGB(readPNG(t, filepath.Join(dir, base+"_256.png")))
		x := nn.New(DetectorSize, DetectorSize, 3)
		for i, v := range img.pix {
			x.Data[i] = v/127.5 - 1
		}
		raw, err := e.det.Raw(x)
		if err != nil {
			t.Fatal(err)
		}
		for i, name := range []string{outScores16, outScores8, outBoxes16, outBoxes8} {
			want := gf.BlazeFaceRaw[name]
			var s, l2 float64
			mn, mx := math.Inf(1), math.Inf(-1)
			for _, v := range raw[i].Data {
				s += float64(v)
				l2 += float64(v) * float64(v)
				mn = math.Min(mn, float64(v))
				mx = math.Max(mx, float64(v))
			}
			got := []float64{s / float64(raw[i].Len()), math.Sqrt(l2), mn, mx}
			exp := []float64{want.Mean, want.L2, want.Min, want.Max}
			for j := range 4 {
				got = append(got, float64(raw[i].Data[j]))
				exp = append(exp, want.First4[j])
			}
			for j := range got {
				// The mean is a difference of large sums: compare it
				// relative to the L2 norm's per-element scale.
				scale := math.Max(math.Abs(exp[j]), 1)
				if j == 0 {
					scale = math.Max(scale, want.L2/math.Sqrt(float64(raw[i].Len())))
				}
				if math.Abs(got[j]-exp[j]) > 1e-4*scale {
					t.Errorf("%s %s stat %d = %g, want %g", base, name, j, got[j], exp[j])
				}
			}
		}
		dets := e.det.Decode(raw)
		if len(dets) == 0 {
			t.Fatalf("%s: no detection", base)
		}
		best := dets[0]
		w := gf.BlazeFaceBest
		if best.anchor != w.Anchor || math.Abs(best.Score-w.Score) > 1e-4 {
			t.Errorf("%s: best anchor %d score %g, want %d %g", base, best.anchor, best.Score, w.Anchor, w.Score)
		}
		box := [4]float64{best.Box.X0, best.Box.Y0, best.Box.X1, best.Box.Y1}
		for j := range box {
			if math.Abs(box[j]-w.Box[j]) > 1e-2 {
				t.Errorf("%s: box %v, want %v", base, box, w.Box)
				break
			}
		}
		for k, p := range w.Keypoints {
			if math.Abs(best.Keypoints[k].X-p[0]) > 1e-2 || math.Abs(best.Keypoints[k].Y-p[1]) > 1e-2 {
				t.Errorf("%s: keypoint %d = %v, want %v", base, k, best.Keypoints[k], p)
			}
		}
	}
}

// TestDetectorRunsIndependent checks that the buffers the graph reuses
// between and within runs leave earlier outputs alone and give the same
// outputs, bit for bit, for the same input.
func TestDetectorRunsIndependent(t *testing.T) {
	e := testEngine(t)
	x1, x2 := nn.New(DetectorSize, DetectorSize, 3), nn.New(DetectorSize, DetectorSize, 3)
	for i := range x1.Data {
		x1.Data[i] = synthPixel(i/(DetectorSize*3), i/3%DetectorSize, i%3)/127.5 - 1
		x2.Data[i] = synthPixel(i/3%DetectorSize, i/(DetectorSize*3), (i+1)%3)/127.5 - 1
	}
	first, err := e.det.Raw(x1)
	if err != nil {
		t.Fatal(err)
	}
	var saved [][]float32
	for _, o := range first {
		saved = append(saved, append([]float32(nil), o.Data...))
	}
	if _, err := e.det.Raw(x2); err != nil {
		t.Fatal(err)
	}
	again, err := e.det.Raw(x1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range saved {
		for j, v := range saved[i] {
			if math.Float32bits(first[i].Data[j]) != math.Float32bits(v) {
				t.Fatalf("output %d [%d] changed by a later run: %v, was %v", i, j, first[i].Data[j], v)
			}
			if math.Float32bits(again[i].Data[j]) != math.Float32bits(v) {
				t.Fatalf("output %d [%d] = %v on the second run, %v on the first", i, j, again[i].Data[j], v)
			}
		}
	}
}

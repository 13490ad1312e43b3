package face

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"sync"
	"testing"

	"github.com/bixproject/bix/face/models"
)

// modelDir returns the model cache directory, skipping the test when the
// models are absent — except under CI, where their absence fails it.
func modelDir(tb testing.TB) string {
	tb.Helper()
	d, err := models.Dir(nil)
	if err == nil {
		err = models.Check(d)
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("face models unavailable under CI: %v", err)
		}
		if errors.Is(err, models.ErrMissing) {
			tb.Skipf("face models not in %s; run: go run ./cmd/bix models pull", d)
		}
		tb.Fatal(err)
	}
	return d
}

var (
	engineOnce sync.Once
	engine     *Engine
	engineErr  error
)

func testEngine(tb testing.TB) *Engine {
	d := modelDir(tb)
	engineOnce.Do(func() { engine, engineErr = Load(d) })
	if engineErr != nil {
		tb.Fatal(engineErr)
	}
	return engine
}

// synthPixel is the synthetic input pattern of the reference runs in
// testdata/*_synthetic_tfjs.json.
func synthPixel(y, x, c int) float32 {
	return float32((y*7 + x*13 + c*101 + (x*y)%31) % 256)
}

func relErr(got, want float64) float64 {
	return math.Abs(got-want) / math.Max(math.Abs(want), 1e-3)
}

func TestEmbedderMatchesTFJS(t *testing.T) {
	e := testEngine(t)
	var ref struct {
		Output []float64 `json:"output"`
	}
	b, err := os.ReadFile("testdata/dlib_synthetic_tfjs.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	rgb := make([]float32, ChipSize*ChipSize*3)
	for y := 0; y < ChipSize; y++ {
		for x := 0; x < ChipSize; x++ {
			for c := 0; c < 3; c++ {
				rgb[(y*ChipSize+x)*3+c] = synthPixel(y, x, c)
			}
		}
	}
	in, err := ChipTensor(rgb)
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.emb.Forward(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ref.Output) {
		t.Fatalf("%d values, want %d", len(got), len(ref.Output))
	}
	var maxAbs, norm float64
	for i := range got {
		maxAbs = math.Max(maxAbs, math.Abs(float64(got[i])-ref.Output[i]))
		norm = math.Max(norm, math.Abs(ref.Output[i]))
	}
	// Relative to the largest component: the descriptor's components are
	// ~0.1 and a few are near zero.
	if maxAbs/norm > 1e-4 {
		t.Errorf("max |Go - TF.js| = %g (%.2g of the largest component)", maxAbs, maxAbs/norm)
	}
	t.Logf("max abs difference %g, largest component %g", maxAbs, norm)
}

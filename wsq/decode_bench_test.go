package wsq

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// BenchmarkDecode decodes a 500 ppi reference print (fp-1.wsq, 804×752)
// and reports, besides the mean, the median wall time per decode, which is
// steadier on a shared machine. Run with -cpu 1 for the one-core figure.
func BenchmarkDecode(b *testing.B) {
	benchDecode(b, false)
}

// BenchmarkDecodeScalar is the same decode with the plain per-line
// synthesis, the baseline for the fast path.
func BenchmarkDecodeScalar(b *testing.B) {
	benchDecode(b, true)
}

func benchDecode(b *testing.B, scalar bool) {
	dir, _ := readReference(b)
	data, err := os.ReadFile(filepath.Join(dir, "fp-1.wsq"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var ts []time.Duration
	for b.Loop() {
		t0 := time.Now()
		d := &decoder{r: reader{data: data}}
		if _, err := d.decode(scalar); err != nil {
			b.Fatal(err)
		}
		ts = append(ts, time.Since(t0))
	}
	slices.Sort(ts)
	b.ReportMetric(float64(ts[len(ts)/2])/1e6, "median-ms/decode")
}

// BenchmarkDecodeFixture decodes the committed synthetic fixture (256×320),
// so that a decode benchmark runs without the shared data too.
func BenchmarkDecodeFixture(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "ridge.wsq"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, _, err := DecodeBytes(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncode encodes the synthetic 256×320 ridge image at 0.75 bpp.
func BenchmarkEncode(b *testing.B) {
	img := ridgeImage(256, 320)
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := Encode(&buf, img, 0); err != nil {
			b.Fatal(err)
		}
	}
}

package wsq

import (
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

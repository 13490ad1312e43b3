package wsq

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkDecode decodes a 500 ppi reference print (fp-1.wsq, 804×752).
func BenchmarkDecode(b *testing.B) {
	dir, _ := readReference(b)
	data, err := os.ReadFile(filepath.Join(dir, "fp-1.wsq"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := DecodeBytes(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeScalar is the same decode with the plain per-line
// synthesis, the baseline for the fast path.
func BenchmarkDecodeScalar(b *testing.B) {
	dir, _ := readReference(b)
	data, err := os.ReadFile(filepath.Join(dir, "fp-1.wsq"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		d := &decoder{r: reader{data: data}}
		if _, err := d.decode(true); err != nil {
			b.Fatal(err)
		}
	}
}

package fvc

import (
	"path/filepath"
	"runtime"
	"testing"

	"github.com/bixproject/bix/fingerprint"
	"github.com/bixproject/bix/internal/shareddata"
)

// BenchmarkScanExtracted scans each FVC2002 DB?_B template extracted from
// the images (as bix bench fingerprint does) against the other 79 of its
// set, one sub-benchmark per set: the matcher's speed on the extractor's
// templates (DB2's 569 ppi images give more minutiae than the ISO files).
// Besides wall-clock ns/op it reports cpu-ns/cmp, the benchmark thread's
// CPU time per comparison (as bix bench fingerprint measures it), which
// other processes sharing the cores disturb less: compare that one.
func BenchmarkScanExtracted(b *testing.B) {
	base := shareddata.Require(b, "fingerprints", "fvc2002-b")
	for _, db := range []string{"DB1_B", "DB2_B", "DB3_B", "DB4_B"} {
		b.Run(db, func(b *testing.B) {
			items, err := Scan(filepath.Join(base, db), ".tif")
			if err != nil {
				b.Fatal(err)
			}
			preps := make([]*fingerprint.Prepared, len(items))
			for i, it := range items {
				img, err := fingerprint.LoadImage(it.Path)
				if err != nil {
					b.Fatal(err)
				}
				t, err := fingerprint.Extract(img, fingerprint.ExtractOptions{})
				if err != nil {
					b.Fatal(err)
				}
				preps[i] = fingerprint.Prepare(t)
			}
			probes := make([]*fingerprint.Probe, len(preps))
			for i, p := range preps {
				probes[i] = fingerprint.NewProbePrepared(p)
			}
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			b.ReportAllocs()
			b.ResetTimer()
			c0, cpu := threadCPU()
			for i, n := 0, 0; i < b.N; n++ {
				k := n % len(probes)
				for j, c := range preps {
					if j != k && i < b.N {
						probes[k].Score(c)
						i++
					}
				}
			}
			if c1, ok := threadCPU(); cpu && ok {
				b.ReportMetric(float64(c1-c0)/float64(b.N), "cpu-ns/cmp")
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cmp/s")
		})
	}
}

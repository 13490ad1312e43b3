//go:build linux

package wsq

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"
)

// threadCPU returns the CPU time consumed by the calling OS thread.
func threadCPU() time.Duration {
	var r syscall.Rusage
	const rusageThread = 1 // RUSAGE_THREAD
	if err := syscall.Getrusage(rusageThread, &r); err != nil {
		return 0
	}
	return time.Duration(r.Utime.Nano() + r.Stime.Nano())
}

// BenchmarkDecodeCPU decodes fp-1.wsq (804×752, 500 ppi) and reports the
// median CPU time of the decoding thread per decode, next to the scalar
// synthesis as a baseline. On a machine shared with other work, CPU time is
// a steadier measure of the one-core cost than wall time.
func BenchmarkDecodeCPU(b *testing.B) {
	dir, _ := readReference(b)
	data, err := os.ReadFile(filepath.Join(dir, "fp-1.wsq"))
	if err != nil {
		b.Fatal(err)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var fast, scalar []time.Duration
	for b.Loop() {
		for _, sc := range []bool{false, true} {
			t0 := threadCPU()
			d := &decoder{r: reader{data: data}}
			if _, err := d.decode(sc); err != nil {
				b.Fatal(err)
			}
			if sc {
				scalar = append(scalar, threadCPU()-t0)
			} else {
				fast = append(fast, threadCPU()-t0)
			}
		}
	}
	med := func(d []time.Duration) float64 {
		slices.Sort(d)
		return float64(d[len(d)/2]) / 1e6
	}
	b.ReportMetric(med(fast), "cpu-ms/decode")
	b.ReportMetric(med(scalar), "scalar-cpu-ms/decode")
}

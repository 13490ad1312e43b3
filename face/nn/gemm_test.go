package nn

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"syscall"
	"testing"
)

// TestGEMMMatchesRef checks the active kernel (blas32, or the archsimd one
// under GOEXPERIMENT=simd) against the scalar twin, including odd sizes.
func TestGEMMMatchesRef(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, sz := range [][3]int{{1, 1, 1}, {5, 3, 7}, {4, 16, 9}, {7, 24, 33}, {9, 40, 288}, {33, 96, 24}, {3, 2, 96}, {130, 256, 64}} {
		m, n, k := sz[0], sz[1], sz[2]
		a := randTensor(r, m*k).Data
		b := randTensor(r, k*n).Data
		c0 := randTensor(r, m*n).Data
		got := append([]float32(nil), c0...)
		want := append([]float32(nil), c0...)
		gemmAcc(m, n, k, a, b, got)
		gemmRef(m, n, k, a, b, want)
		checkNear(t, fmt.Sprintf("%s %v", GEMMKernel, sz), got, want, 1e-4)
		for name, f := range map[string]func(m, n, k int, a, b, c []float32){"blas32": gemmBLAS} {
			got := append([]float32(nil), c0...)
			f(m, n, k, a, b, got)
			checkNear(t, fmt.Sprintf("%s %v", name, sz), got, want, 1e-4)
		}
	}
}

// BenchmarkGEMM times the kernels on the dlib network's 35×35×32 3×3
// convolution as a matrix product; "MB/s" reads as MFLOP/s, and cpu-ms/op is
// the process CPU time (robust to other load on a shared machine).
func BenchmarkGEMM(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	m, n, k := 35*35, 32, 288
	a, w := randTensor(r, m*k).Data, randTensor(r, k*n).Data
	for _, kc := range []struct {
		name string
		f    func(m, n, k int, a, b, c []float32)
	}{{"active-" + GEMMKernel, gemmAcc}, {"blas32", gemmBLAS}, {"ref", gemmRef}} {
		b.Run(kc.name, func(b *testing.B) {
			c := make([]float32, m*n)
			b.SetBytes(int64(2 * m * n * k))
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			t0 := threadCPU()
			for b.Loop() {
				kc.f(m, n, k, a, w, c)
			}
			b.ReportMetric(float64(threadCPU()-t0)/1e6/float64(b.N), "cpu-ms/op")
		})
	}
}

// threadCPU returns the process CPU time in nanoseconds (run with
// GOMAXPROCS=1 for a one-core figure).
func threadCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

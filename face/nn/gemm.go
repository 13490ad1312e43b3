package nn

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// gemmAcc sets c += a·b for row-major a [m k], b [k n], c [m n]. It is
// gemmDefault (gemmSSE, the SSE2 4×8 kernel, on amd64; blas32.Gemm
// elsewhere) unless a faster kernel registered itself (see
// gemm_simd_amd64.go, built with GOEXPERIMENT=simd); gemmRef is the scalar
// twin all are tested against.
var gemmAcc = gemmDefault

// GEMMKernel names the matrix-multiply kernel in use ("sse2", "blas32" or
// "archsimd-avx2").
var GEMMKernel = defaultKernel

func gemmBLAS(m, n, k int, a, b, c []float32) {
	blas32.Gemm(blas.NoTrans, blas.NoTrans, 1,
		blas32.General{Rows: m, Cols: k, Stride: k, Data: a},
		blas32.General{Rows: k, Cols: n, Stride: n, Data: b},
		1,
		blas32.General{Rows: m, Cols: n, Stride: n, Data: c})
}

// gemmRef is the plain scalar c += a·b.
func gemmRef(m, n, k int, a, b, c []float32) {
	for i := 0; i < m; i++ {
		crow := c[i*n : i*n+n]
		for p := 0; p < k; p++ {
			av := a[i*k+p]
			brow := b[p*n : p*n+n]
			for j := range crow {
				crow[j] += av * brow[j]
			}
		}
	}
}

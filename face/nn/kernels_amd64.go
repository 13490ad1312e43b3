//go:build amd64 && !purego

package nn

// The SSE2 kernels of kernels_amd64.s; their Go twins are sgemm4x8Go and
// dw3x3Go. The wrappers check the slice bounds the kernels rely on.

//go:noescape
func sgemm4x8SSE(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func dw3x3SSE(dst, s0, s1, s2, f *float32, n, c, step int)

//go:noescape
func addReluSSE(a, b *float32, n int)

//go:noescape
func reluSSE(a *float32, n int)

func addReluAsm(a, b []float32) {
	b = b[:len(a)]
	n := len(a) &^ 7
	if n > 0 {
		addReluSSE(&a[0], &b[0], n)
	}
	addReluScalar(a[n:], b[n:])
}

func reluAsm(a []float32) {
	n := len(a) &^ 7
	if n > 0 {
		reluSSE(&a[0], n)
	}
	reluScalar(a[n:])
}

func sgemm4x8Asm(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if k <= 0 {
		return
	}
	_ = a[3*lda+k-1]
	_ = b[(k-1)*ldb+7]
	_ = c[3*ldc+7]
	sgemm4x8SSE(k, &a[0], lda, &b[0], ldb, &c[0], ldc)
}

func dw3x3Asm(dst, s0, s1, s2, f []float32, n, c, step int) {
	if n <= 0 || c <= 0 {
		return
	}
	if c%4 != 0 {
		dw3x3Go(dst, s0, s1, s2, f, n, c, step)
		return
	}
	_ = dst[n*c-1]
	_ = f[9*c-1]
	last := (n-1)*step + 3*c - 1
	_, _, _ = s0[last], s1[last], s2[last]
	dw3x3SSE(&dst[0], &s0[0], &s1[0], &s2[0], &f[0], n, c, step)
}

// gemmSSE is the default matrix product on amd64.
func gemmSSE(m, n, k int, a, b, c []float32) { gemmTiled(m, n, k, a, b, c, sgemm4x8Asm) }

var (
	gemmDefault    = gemmSSE
	dw3x3Default   = dw3x3Asm
	reluDefault    = reluAsm
	addReluDefault = addReluAsm
	defaultKernel  = "sse2"
)

package nn

// gemmKC is the depth of the slices of the inner dimension that gemmTiled
// multiplies at a time, so that a 4-row block of a and the slice of b stay
// in cache for the deep products of the embedder.
const gemmKC = 256

// gemmTiled sets c += a·b (row-major a [m k], b [k n], c [m n]) by 4×8
// blocks of c computed by kern (sgemm4x8Go or an assembly twin), over
// slices of gemmKC of the inner dimension; leftover rows and columns are
// done in Go. Every element is accumulated in the order of gemmRef (p
// ascending, one rounded product added at a time), so with kern =
// sgemm4x8Go the result is gemmRef's bit for bit.
func gemmTiled(m, n, k int, a, b, c []float32, kern func(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int)) {
	n8 := n &^ 7
	m4 := m &^ 3
	for p0 := 0; p0 < k; p0 += gemmKC {
		kb := min(gemmKC, k-p0)
		for i := 0; i < m4; i += 4 {
			for j := 0; j < n8; j += 8 {
				kern(kb, a[i*k+p0:], k, b[p0*n+j:], n, c[i*n+j:], n)
			}
			if n8 < n {
				gemmEdge(i, i+4, n8, n, p0, p0+kb, n, k, a, b, c)
			}
		}
		if m4 < m {
			gemmEdge(m4, m, 0, n, p0, p0+kb, n, k, a, b, c)
		}
	}
}

// gemmEdge does rows [i0,i1) and columns [j0,j1) of c += a·b over the
// inner indices [p0,p1) in gemmRef's order.
func gemmEdge(i0, i1, j0, j1, p0, p1, n, k int, a, b, c []float32) {
	for i := i0; i < i1; i++ {
		crow := c[i*n+j0 : i*n+j1]
		for p := p0; p < p1; p++ {
			av := a[i*k+p]
			brow := b[p*n+j0 : p*n+j1]
			for j := range crow {
				crow[j] += float32(av * brow[j])
			}
		}
	}
}

// sgemm4x8Go is the Go twin of sgemm4x8SSE: c[r*ldc+j] += a[r*lda+p]·b[p*ldb+j]
// for r < 4, j < 8, p ascending. The float32 conversion keeps the compiler
// from fusing the multiply and add.
func sgemm4x8Go(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	for r := 0; r < 4; r++ {
		ar := a[r*lda : r*lda+k]
		cr := c[r*ldc : r*ldc+8 : r*ldc+8]
		for p, av := range ar {
			br := b[p*ldb : p*ldb+8 : p*ldb+8]
			for j := range cr {
				cr[j] += float32(av * br[j])
			}
		}
	}
}

// dw3x3Go is the Go twin of dw3x3SSE: for o < n and i < c,
// dst[o*c+i] += Σ s_ky[o*step+kx*c+i]·f[(3ky+kx)*c+i], taps in the order
// ky, kx; s0, s1, s2 are the three input rows (a zero row stands for one in
// the padding) from the first tap's column.
func dw3x3Go(dst, s0, s1, s2, f []float32, n, c, step int) {
	rows := [3][]float32{s0, s1, s2}
	f = f[:9*c]
	for o := 0; o < n; o++ {
		d := dst[o*c : o*c+c]
		for i := range d {
			v := d[i]
			for ky, s := range rows {
				s := s[o*step+i:]
				fk := f[3*ky*c+i:]
				v += float32(s[0] * fk[0])
				v += float32(s[c] * fk[c])
				v += float32(s[2*c] * fk[2*c])
			}
			d[i] = v
		}
	}
}

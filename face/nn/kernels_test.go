package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// sameBits reports the first element where got and want differ in any bit.
func sameBits(t *testing.T, name string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: [%d] = %v, want %v (bit-exact)", name, i, got[i], want[i])
		}
	}
}

// TestGEMMTiledTwins checks that the default GEMM driver with its SSE2
// kernel, with the Go twin of the kernel, and gemmRef all agree to the bit
// (the kernel multiplies and adds in gemmRef's order, without fusing).
func TestGEMMTiledTwins(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, sz := range [][3]int{{1, 1, 1}, {4, 8, 1}, {5, 3, 7}, {4, 16, 9}, {7, 24, 33}, {9, 40, 288}, {33, 96, 24}, {3, 2, 96}, {130, 256, 64}, {64, 32, 600}, {12, 6, 96}} {
		m, n, k := sz[0], sz[1], sz[2]
		a := randTensor(r, m*k).Data
		b := randTensor(r, k*n).Data
		c0 := randTensor(r, m*n).Data
		want := append([]float32(nil), c0...)
		gemmRefNoFuse(m, n, k, a, b, want)
		twin := append([]float32(nil), c0...)
		gemmTiled(m, n, k, a, b, twin, sgemm4x8Go)
		sameBits(t, fmt.Sprintf("tiled Go %v", sz), twin, want)
		got := append([]float32(nil), c0...)
		gemmDefault(m, n, k, a, b, got)
		sameBits(t, fmt.Sprintf("%s %v", defaultKernel, sz), got, want)
	}
}

// gemmRefNoFuse is gemmRef with the product rounded before the add.
func gemmRefNoFuse(m, n, k int, a, b, c []float32) {
	for i := 0; i < m; i++ {
		for p := 0; p < k; p++ {
			for j := 0; j < n; j++ {
				c[i*n+j] += float32(a[i*k+p] * b[p*n+j])
			}
		}
	}
}

// TestDepthwise3x3Twins checks the 3×3 depthwise row kernel in use against
// its Go twin, bit for bit, including channel counts that are not a
// multiple of 4 and stride 2.
func TestDepthwise3x3Twins(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []struct{ n, c, stride int }{{1, 4, 1}, {7, 24, 1}, {16, 96, 2}, {5, 48, 1}, {3, 5, 1}, {9, 12, 2}} {
		rowLen := ((tc.n-1)*tc.stride + 3) * tc.c
		s0, s1, s2 := randTensor(r, rowLen).Data, randTensor(r, rowLen).Data, randTensor(r, rowLen).Data
		f := randTensor(r, 9*tc.c).Data
		d0 := randTensor(r, tc.n*tc.c).Data
		want := append([]float32(nil), d0...)
		dw3x3Go(want, s0, s1, s2, f, tc.n, tc.c, tc.stride*tc.c)
		got := append([]float32(nil), d0...)
		dw3x3Default(got, s0, s1, s2, f, tc.n, tc.c, tc.stride*tc.c)
		sameBits(t, fmt.Sprintf("%+v", tc), got, want)
		// The twin is the defining sum.
		for o := 0; o < tc.n; o++ {
			for i := 0; i < tc.c; i++ {
				v := d0[o*tc.c+i]
				for ky, s := range [][]float32{s0, s1, s2} {
					for kx := 0; kx < 3; kx++ {
						v += float32(s[o*tc.stride*tc.c+kx*tc.c+i] * f[(3*ky+kx)*tc.c+i])
					}
				}
				if math.Float32bits(v) != math.Float32bits(want[o*tc.c+i]) {
					t.Fatalf("%+v: twin [%d %d] = %v, want %v", tc, o, i, want[o*tc.c+i], v)
				}
			}
		}
	}
}

// BenchmarkDepthwise3x3 times BlazeFace's first-stage depthwise layer
// (128×128×24, SAME, stride 1).
func BenchmarkDepthwise3x3(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	x, w := randTensor(r, 128, 128, 24), randTensor(r, 3, 3, 24, 1)
	p := Conv{Stride: 1, Pad: Same(128, 128, 3, 3, 1)}
	for _, kc := range []struct {
		name string
		f    func(dst, s0, s1, s2, f []float32, n, c, step int)
	}{{"active", dw3x3Acc}, {"go", dw3x3Go}} {
		b.Run(kc.name, func(b *testing.B) {
			saved := dw3x3Acc
			dw3x3Acc = kc.f
			defer func() { dw3x3Acc = saved }()
			for b.Loop() {
				if _, err := DepthwiseConv2D(x, w, nil, p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestReluTwins checks the ReLU and fused add-ReLU kernels in use against
// their scalar twins bit for bit, with signed zeros, infinities and NaNs.
func TestReluTwins(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 5, 8, 37, 1000} {
		a, b := randTensor(r, n).Data, randTensor(r, n).Data
		specials := []float32{float32(math.Copysign(0, -1)), float32(math.Inf(-1)), float32(math.Inf(1)), float32(math.NaN()), -float32(math.NaN()), 0}
		for i := range a {
			if i%7 == 3 {
				a[i] = specials[i%len(specials)]
			}
			if i%11 == 5 {
				b[i] = specials[(i/3)%len(specials)]
			}
		}
		want, got := append([]float32(nil), a...), append([]float32(nil), a...)
		reluScalar(want)
		reluDefault(got)
		sameBits(t, fmt.Sprintf("relu n=%d", n), got, want)
		want, got = append([]float32(nil), a...), append([]float32(nil), a...)
		addReluScalar(want, b)
		addReluDefault(got, b)
		sameBits(t, fmt.Sprintf("add-relu n=%d", n), got, want)
		// The scalar fused kernel is add then relu.
		sep := append([]float32(nil), a...)
		addScalar(sep, b)
		reluScalar(sep)
		sameBits(t, fmt.Sprintf("add, relu n=%d", n), want, sep)
	}
}

// TestMaxPool2 checks the 2×2 stride-2 max pool fast path against the
// defining maximum.
func TestMaxPool2(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	x := randTensor(r, 8, 6, 5)
	got, err := MaxPool(x, 2, 2, Same(8, 6, 2, 2, 2))
	if err != nil {
		t.Fatal(err)
	}
	for oy := 0; oy < 4; oy++ {
		for ox := 0; ox < 3; ox++ {
			for j := 0; j < 5; j++ {
				m := float32(math.Inf(-1))
				for ky := 0; ky < 2; ky++ {
					for kx := 0; kx < 2; kx++ {
						m = max(m, x.Data[((2*oy+ky)*6+2*ox+kx)*5+j])
					}
				}
				if g := got.Data[(oy*3+ox)*5+j]; g != m {
					t.Fatalf("[%d %d %d] = %v, want %v", oy, ox, j, g, m)
				}
			}
		}
	}
}

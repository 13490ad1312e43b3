package nn

import (
	"fmt"
)

// Conv describes a 2-D convolution's geometry.
type Conv struct {
	Stride int
	Pad    Padding
	// Relu applies max(0, ·) to the result.
	Relu bool
}

// convShape checks x [H W C] against filters w [KH KW Cin Cout] and returns
// the dimensions of the output.
func convShape(x, w *Tensor, bias []float32, p Conv) (h, wd, c, kh, kw, co, oh, ow int, err error) {
	h, wd, c, err = x.HWC()
	if err != nil {
		return
	}
	if len(w.Shape) != 4 || w.Shape[2] != c {
		err = fmt.Errorf("%w: filters %v for input %v", ErrShape, w.Shape, x.Shape)
		return
	}
	kh, kw, co = w.Shape[0], w.Shape[1], w.Shape[3]
	if bias != nil && len(bias) != co {
		err = fmt.Errorf("%w: %d biases for %d output channels", ErrShape, len(bias), co)
		return
	}
	if oh, err = outSize(h, p.Pad.Top+p.Pad.Bottom, kh, p.Stride); err != nil {
		return
	}
	ow, err = outSize(wd, p.Pad.Left+p.Pad.Right, kw, p.Stride)
	return
}

// Conv2D returns the convolution (TensorFlow's conv2d, a cross-correlation)
// of x [H W Cin] with filters w [KH KW Cin Cout] plus bias (nil for none).
// It lowers the convolution to one matrix product: im2col rows of
// KH·KW·Cin input values times the filter matrix (gemmAcc: the SSE2 kernel
// on amd64, blas32.Gemm elsewhere, or the archsimd one);
// a 1×1 stride-1 unpadded convolution multiplies the input directly.
// Conv2DRef is its plain scalar twin.
func Conv2D(x, w *Tensor, bias []float32, p Conv) (*Tensor, error) {
	return conv2D(nil, x, w, bias, p)
}

// conv2D is Conv2D with buffers from ar (nil to allocate).
func conv2D(ar *arena, x, w *Tensor, bias []float32, p Conv) (*Tensor, error) {
	h, wd, c, kh, kw, co, oh, ow, err := convShape(x, w, bias, p)
	if err != nil {
		return nil, err
	}
	k := kh * kw * c
	m := oh * ow
	var a []float32
	if kh == 1 && kw == 1 && p.Stride == 1 && p.Pad == (Padding{}) {
		a = x.Data
	} else {
		a = ar.get(m * k)
		defer ar.put(a)
		im2col(a, x.Data, h, wd, c, kh, kw, oh, ow, p.Stride, p.Pad)
	}
	out := ar.tensor(oh, ow, co)
	if bias == nil {
		clear(out.Data)
	} else if m > 0 {
		// The bias in every row, by doubling copies.
		copy(out.Data, bias)
		for i := co; i < len(out.Data); i *= 2 {
			copy(out.Data[i:], out.Data[:i])
		}
	}
	gemmAcc(m, co, k, a, w.Data, out.Data)
	if p.Relu {
		Relu(out)
	}
	return out, nil
}

// im2col writes, for each output position, the KH×KW×C input window (zeros
// where it falls in the padding) as one row of dst.
func im2col(dst, src []float32, h, w, c, kh, kw, oh, ow, stride int, pad Padding) {
	rowLen := kh * kw * c
	for oy := 0; oy < oh; oy++ {
		for ox := 0; ox < ow; ox++ {
			row := dst[(oy*ow+ox)*rowLen : (oy*ow+ox+1)*rowLen]
			i := 0
			for ky := 0; ky < kh; ky++ {
				iy := oy*stride + ky - pad.Top
				if iy < 0 || iy >= h {
					clear(row[i : i+kw*c])
					i += kw * c
					continue
				}
				ix0 := ox*stride - pad.Left
				if ix0 >= 0 && ix0+kw <= w {
					copy(row[i:i+kw*c], src[(iy*w+ix0)*c:(iy*w+ix0+kw)*c])
					i += kw * c
					continue
				}
				for kx := 0; kx < kw; kx++ {
					ix := ix0 + kx
					if ix < 0 || ix >= w {
						clear(row[i : i+c])
					} else {
						copy(row[i:i+c], src[(iy*w+ix)*c:(iy*w+ix+1)*c])
					}
					i += c
				}
			}
		}
	}
}

// Conv2DRef is the scalar reference for Conv2D: the defining sum, accumulated
// in float64.
func Conv2DRef(x, w *Tensor, bias []float32, p Conv) (*Tensor, error) {
	h, wd, c, kh, kw, co, oh, ow, err := convShape(x, w, bias, p)
	if err != nil {
		return nil, err
	}
	out := New(oh, ow, co)
	for oy := 0; oy < oh; oy++ {
		for ox := 0; ox < ow; ox++ {
			for o := 0; o < co; o++ {
				var s float64
				if bias != nil {
					s = float64(bias[o])
				}
				for ky := 0; ky < kh; ky++ {
					iy := oy*p.Stride + ky - p.Pad.Top
					if iy < 0 || iy >= h {
						continue
					}
					for kx := 0; kx < kw; kx++ {
						ix := ox*p.Stride + kx - p.Pad.Left
						if ix < 0 || ix >= wd {
							continue
						}
						for i := 0; i < c; i++ {
							s += float64(x.Data[(iy*wd+ix)*c+i]) * float64(w.Data[((ky*kw+kx)*c+i)*co+o])
						}
					}
				}
				if p.Relu && s < 0 {
					s = 0
				}
				out.Data[(oy*ow+ox)*co+o] = float32(s)
			}
		}
	}
	return out, nil
}

// DepthwiseConv2D returns TensorFlow's depthwise_conv2d of x [H W C] with
// filters w [KH KW C M]: output channel c*M+m is input channel c filtered by
// w[:,:,c,m]. bias may be nil.
func DepthwiseConv2D(x, w *Tensor, bias []float32, p Conv) (*Tensor, error) {
	return depthwiseConv2D(nil, x, w, bias, p)
}

// depthwiseConv2D is DepthwiseConv2D with buffers from ar (nil to allocate).
func depthwiseConv2D(ar *arena, x, w *Tensor, bias []float32, p Conv) (*Tensor, error) {
	h, wd, c, err := x.HWC()
	if err != nil {
		return nil, err
	}
	if len(w.Shape) != 4 || w.Shape[2] != c {
		return nil, fmt.Errorf("%w: depthwise filters %v for input %v", ErrShape, w.Shape, x.Shape)
	}
	kh, kw, mult := w.Shape[0], w.Shape[1], w.Shape[3]
	co := c * mult
	if bias != nil && len(bias) != co {
		return nil, fmt.Errorf("%w: %d biases for %d depthwise outputs", ErrShape, len(bias), co)
	}
	oh, err := outSize(h, p.Pad.Top+p.Pad.Bottom, kh, p.Stride)
	if err != nil {
		return nil, err
	}
	ow, err := outSize(wd, p.Pad.Left+p.Pad.Right, kw, p.Stride)
	if err != nil {
		return nil, err
	}
	out := ar.zeros(oh, ow, co)
	if mult != 1 {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				dst := out.Data[(oy*ow+ox)*co : (oy*ow+ox+1)*co]
				for ky := 0; ky < kh; ky++ {
					iy := oy*p.Stride + ky - p.Pad.Top
					if iy < 0 || iy >= h {
						continue
					}
					for kx := 0; kx < kw; kx++ {
						ix := ox*p.Stride + kx - p.Pad.Left
						if ix < 0 || ix >= wd {
							continue
						}
						src := x.Data[(iy*wd+ix)*c : (iy*wd+ix+1)*c]
						f := w.Data[(ky*kw+kx)*co : (ky*kw+kx+1)*co]
						for i, v := range src {
							for m := 0; m < mult; m++ {
								dst[i*mult+m] += v * f[i*mult+m]
							}
						}
					}
				}
			}
		}
	} else if kh == 3 && kw == 3 {
		depthwise3x3(out.Data, x.Data, w.Data, h, wd, c, oh, ow, p)
	} else {
		for oy := 0; oy < oh; oy++ {
			dstRow := out.Data[oy*ow*c : (oy+1)*ow*c]
			for ky := 0; ky < kh; ky++ {
				iy := oy*p.Stride + ky - p.Pad.Top
				if iy < 0 || iy >= h {
					continue
				}
				for kx := 0; kx < kw; kx++ {
					// Output columns whose input column ix = ox*stride+kx-left
					// lies in the image.
					lo := 0
					if d := p.Pad.Left - kx; d > 0 {
						lo = (d + p.Stride - 1) / p.Stride
					}
					hi := (wd - 1 - kx + p.Pad.Left) / p.Stride // inclusive
					if hi >= ow {
						hi = ow - 1
					}
					if hi < lo {
						continue
					}
					ix := lo*p.Stride + kx - p.Pad.Left
					f := w.Data[(ky*kw+kx)*c : (ky*kw+kx+1)*c]
					dwRowAcc(dstRow[lo*c:(hi+1)*c], x.Data[(iy*wd+ix)*c:(iy*wd+ix)*c+((hi-lo)*p.Stride+1)*c], f, hi-lo+1, c, p.Stride*c)
				}
			}
		}
	}
	if bias != nil {
		if err := Affine(out, nil, bias); err != nil {
			return nil, err
		}
	}
	if p.Relu {
		Relu(out)
	}
	return out, nil
}

// MatMul returns x [N K] times w [K M] (a dense layer without bias); a 1-D x
// is treated as [1 K] and the result is then 1-D.
func MatMul(x, w *Tensor) (*Tensor, error) {
	if len(w.Shape) != 2 {
		return nil, fmt.Errorf("%w: matmul weights %v", ErrShape, w.Shape)
	}
	k, m := w.Shape[0], w.Shape[1]
	if len(x.Data)%k != 0 || len(x.Data) == 0 {
		return nil, fmt.Errorf("%w: matmul %v by %v", ErrShape, x.Shape, w.Shape)
	}
	n := len(x.Data) / k
	out := New(n, m)
	if len(x.Shape) == 1 {
		out.Shape = []int{m}
	}
	gemmAcc(n, m, k, x.Data, w.Data, out.Data)
	return out, nil
}

// dw3x3Acc is the 3×3 depthwise row kernel (see dw3x3Go, its scalar twin):
// dw3x3SSE on amd64.
var dw3x3Acc = dw3x3Default

// depthwise3x3 adds the 3×3 depthwise convolution (multiplier 1) of src
// [h w c] to dst [oh ow c]. The output columns whose three taps lie in the
// image go through dw3x3Acc a row at a time, with a zero row standing for
// input rows in the padding; the few others through dwRowScalar one tap at
// a time. Every output sums its taps in the order ky, kx, as the general
// path does.
func depthwise3x3(dst, src, f []float32, h, w, c, oh, ow int, p Conv) {
	rowLen := w * c
	var zero []float32
	// Output columns lo..hi have input columns ox*stride-left .. +2 inside.
	lo := (p.Pad.Left + p.Stride - 1) / p.Stride
	hi := -1
	if w-3+p.Pad.Left >= 0 {
		hi = min((w-3+p.Pad.Left)/p.Stride, ow-1)
	}
	for oy := 0; oy < oh; oy++ {
		dstRow := dst[oy*ow*c : (oy+1)*ow*c]
		var rows [3][]float32
		for ky := range rows {
			iy := oy*p.Stride + ky - p.Pad.Top
			if iy < 0 || iy >= h {
				if zero == nil {
					zero = make([]float32, rowLen)
				}
				rows[ky] = zero
			} else {
				rows[ky] = src[iy*rowLen : (iy+1)*rowLen]
			}
		}
		if hi >= lo {
			ix := (lo*p.Stride - p.Pad.Left) * c
			dw3x3Acc(dstRow[lo*c:(hi+1)*c], rows[0][ix:], rows[1][ix:], rows[2][ix:], f, hi-lo+1, c, p.Stride*c)
		}
		for ox := 0; ox < ow; ox++ {
			if ox == lo && hi >= lo {
				ox = hi
				continue
			}
			d := dstRow[ox*c : (ox+1)*c]
			for ky := 0; ky < 3; ky++ {
				iy := oy*p.Stride + ky - p.Pad.Top
				if iy < 0 || iy >= h {
					continue
				}
				for kx := 0; kx < 3; kx++ {
					ix := ox*p.Stride + kx - p.Pad.Left
					if ix < 0 || ix >= w {
						continue
					}
					dwRowScalar(d, src[(iy*w+ix)*c:(iy*w+ix+1)*c], f[(ky*3+kx)*c:(ky*3+kx+1)*c], 1, c, c)
				}
			}
		}
	}
}

// dwRowAcc adds src*f to dst for n positions of c channels: dst[o*c+i] +=
// src[o*step+i]*f[i]. dwRowScalar is the plain version; a SIMD build may
// replace it (see gemm_simd_amd64.go).
var dwRowAcc = dwRowScalar

func dwRowScalar(dst, src, f []float32, n, c, step int) {
	f = f[:c]
	for o := 0; o < n; o++ {
		d := dst[o*c : o*c+c]
		s := src[o*step : o*step+c]
		i := 0
		for ; i+4 <= c; i += 4 {
			d4, s4, f4 := d[i:i+4:i+4], s[i:i+4:i+4], f[i:i+4:i+4]
			d4[0] += s4[0] * f4[0]
			d4[1] += s4[1] * f4[1]
			d4[2] += s4[2] * f4[2]
			d4[3] += s4[3] * f4[3]
		}
		for ; i < c; i++ {
			d[i] += s[i] * f[i]
		}
	}
}

// DepthwiseConv2DRef is the scalar reference for DepthwiseConv2D.
func DepthwiseConv2DRef(x, w *Tensor, bias []float32, p Conv) (*Tensor, error) {
	h, wd, c, err := x.HWC()
	if err != nil {
		return nil, err
	}
	if len(w.Shape) != 4 || w.Shape[2] != c {
		return nil, fmt.Errorf("%w: depthwise filters %v for input %v", ErrShape, w.Shape, x.Shape)
	}
	kh, kw, mult := w.Shape[0], w.Shape[1], w.Shape[3]
	oh, err := outSize(h, p.Pad.Top+p.Pad.Bottom, kh, p.Stride)
	if err != nil {
		return nil, err
	}
	ow, err := outSize(wd, p.Pad.Left+p.Pad.Right, kw, p.Stride)
	if err != nil {
		return nil, err
	}
	co := c * mult
	out := New(oh, ow, co)
	for oy := 0; oy < oh; oy++ {
		for ox := 0; ox < ow; ox++ {
			for i := 0; i < c; i++ {
				for m := 0; m < mult; m++ {
					var s float64
					if bias != nil {
						s = float64(bias[i*mult+m])
					}
					for ky := 0; ky < kh; ky++ {
						for kx := 0; kx < kw; kx++ {
							iy, ix := oy*p.Stride+ky-p.Pad.Top, ox*p.Stride+kx-p.Pad.Left
							if iy < 0 || iy >= h || ix < 0 || ix >= wd {
								continue
							}
							s += float64(x.Data[(iy*wd+ix)*c+i]) * float64(w.Data[((ky*kw+kx)*c+i)*mult+m])
						}
					}
					if p.Relu && s < 0 {
						s = 0
					}
					out.Data[(oy*ow+ox)*co+i*mult+m] = float32(s)
				}
			}
		}
	}
	return out, nil
}

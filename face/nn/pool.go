package nn

import "fmt"

// MaxPool returns the maximum over k×k windows moved by stride over x [H W C]
// with padding p; padded positions never win (TensorFlow semantics).
func MaxPool(x *Tensor, k, stride int, p Padding) (*Tensor, error) {
	return pool(nil, x, k, stride, p, true)
}

// AvgPool returns the mean over k×k windows moved by stride over x [H W C]
// with padding p, dividing by the number of in-image positions in each window
// (TensorFlow semantics).
func AvgPool(x *Tensor, k, stride int, p Padding) (*Tensor, error) {
	return pool(nil, x, k, stride, p, false)
}

// pool is MaxPool or AvgPool with buffers from ar (nil to allocate).
func pool(ar *arena, x *Tensor, k, stride int, p Padding, isMax bool) (*Tensor, error) {
	h, w, c, err := x.HWC()
	if err != nil {
		return nil, err
	}
	oh, err := outSize(h, p.Top+p.Bottom, k, stride)
	if err != nil {
		return nil, fmt.Errorf("pool height: %w", err)
	}
	ow, err := outSize(w, p.Left+p.Right, k, stride)
	if err != nil {
		return nil, fmt.Errorf("pool width: %w", err)
	}
	if isMax && k == 2 && stride == 2 && p == (Padding{}) {
		out := ar.tensor(oh, ow, c)
		maxPool2(out.Data, x.Data, w, c, oh, ow)
		return out, nil
	}
	out := ar.zeros(oh, ow, c)
	acc := make([]float32, c)
	for oy := 0; oy < oh; oy++ {
		for ox := 0; ox < ow; ox++ {
			n := 0
			for ky := 0; ky < k; ky++ {
				iy := oy*stride + ky - p.Top
				if iy < 0 || iy >= h {
					continue
				}
				for kx := 0; kx < k; kx++ {
					ix := ox*stride + kx - p.Left
					if ix < 0 || ix >= w {
						continue
					}
					src := x.Data[(iy*w+ix)*c : (iy*w+ix)*c+c]
					if n == 0 {
						copy(acc, src)
					} else if isMax {
						for j, v := range src {
							if v > acc[j] {
								acc[j] = v
							}
						}
					} else {
						for j, v := range src {
							acc[j] += v
						}
					}
					n++
				}
			}
			dst := out.Data[(oy*ow+ox)*c : (oy*ow+ox)*c+c]
			if n == 0 {
				continue
			}
			if isMax {
				copy(dst, acc)
			} else {
				inv := 1 / float32(n)
				for j := range dst {
					dst[j] = acc[j] * inv
				}
			}
		}
	}
	return out, nil
}

// GlobalMean returns the per-channel mean of x [H W C] over all positions.
func GlobalMean(x *Tensor) (*Tensor, error) {
	h, w, c, err := x.HWC()
	if err != nil {
		return nil, err
	}
	if h*w == 0 {
		return nil, fmt.Errorf("%w: mean of empty %v", ErrShape, x.Shape)
	}
	sum := make([]float64, c)
	for i := 0; i < h*w; i++ {
		for j, v := range x.Data[i*c : i*c+c] {
			sum[j] += float64(v)
		}
	}
	out := New(c)
	for j := range sum {
		out.Data[j] = float32(sum[j] / float64(h*w))
	}
	return out, nil
}

// maxPool2 is the unpadded 2×2 stride-2 max pool of src (width w, c
// channels) into dst [oh ow c], comparing the window in pool's order.
func maxPool2(dst, src []float32, w, c, oh, ow int) {
	for oy := 0; oy < oh; oy++ {
		r0 := src[2*oy*w*c : (2*oy+1)*w*c]
		r1 := src[(2*oy+1)*w*c : (2*oy+2)*w*c]
		for ox := 0; ox < ow; ox++ {
			a, b := r0[2*ox*c:(2*ox+1)*c], r0[(2*ox+1)*c:(2*ox+2)*c]
			e, f := r1[2*ox*c:(2*ox+1)*c], r1[(2*ox+1)*c:(2*ox+2)*c]
			d := dst[(oy*ow+ox)*c : (oy*ow+ox+1)*c]
			for j := range d {
				m := a[j]
				if b[j] > m {
					m = b[j]
				}
				if e[j] > m {
					m = e[j]
				}
				if f[j] > m {
					m = f[j]
				}
				d[j] = m
			}
		}
	}
}

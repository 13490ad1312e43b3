package nn

import (
	"fmt"
	"math"
)

// Relu sets negative elements of t to zero in place and returns t.
func Relu(t *Tensor) *Tensor {
	reluAcc(t.Data)
	return t
}

// reluAcc is the ReLU kernel: reluScalar, or a SIMD twin (reluSSE on
// amd64).
var reluAcc = reluDefault

// addReluAcc sets a = relu(a+b): addReluScalar, or a SIMD twin
// (addReluSSE on amd64).
var addReluAcc = addReluDefault

// addReluScalar is addScalar followed by reluScalar, in one pass.
func addReluScalar(a, b []float32) {
	b = b[:len(a)]
	for i := range a {
		bits := math.Float32bits(a[i] + b[i])
		a[i] = math.Float32frombits(bits &^ uint32(int32(bits)>>31))
	}
}

// reluScalar clears negative values without a data-dependent branch
// (signs are random in activations, so a branch mispredicts half the time):
// the sign bit, spread to a mask, clears the whole value. -0 becomes +0.
func reluScalar(d []float32) {
	for i, v := range d {
		b := math.Float32bits(v)
		d[i] = math.Float32frombits(b &^ uint32(int32(b)>>31))
	}
}

// Add returns a+b for tensors with the same number of elements (the shape of
// a is kept).
func Add(a, b *Tensor) (*Tensor, error) {
	if len(a.Data) != len(b.Data) {
		return nil, fmt.Errorf("%w: add %v and %v", ErrShape, a.Shape, b.Shape)
	}
	out := New(a.Shape...)
	for i := range out.Data {
		out.Data[i] = a.Data[i] + b.Data[i]
	}
	return out, nil
}

// AddInPlace sets a = a+b for tensors with the same number of elements.
func AddInPlace(a, b *Tensor) error {
	if len(a.Data) != len(b.Data) {
		return fmt.Errorf("%w: add %v and %v", ErrShape, a.Shape, b.Shape)
	}
	addAcc(a.Data, b.Data[:len(a.Data)])
	return nil
}

// addAcc sets a += b: addScalar, or a SIMD twin.
var addAcc = addScalar

func addScalar(a, b []float32) {
	b = b[:len(a)]
	for i := range a {
		a[i] += b[i]
	}
}

// Affine applies y = x*scale[c] + bias[c] per channel (the innermost
// dimension) in place; a nil scale means 1, a nil bias means 0. This is
// batch normalisation at inference time and the dlib "affine" layer.
func Affine(t *Tensor, scale, bias []float32) error {
	c := t.Shape[len(t.Shape)-1]
	if (scale != nil && len(scale) != c) || (bias != nil && len(bias) != c) {
		return fmt.Errorf("%w: affine over %d channels with %d scales, %d biases", ErrShape, c, len(scale), len(bias))
	}
	for i := 0; i < len(t.Data); i += c {
		row := t.Data[i : i+c]
		for j := range row {
			v := row[j]
			if scale != nil {
				v *= scale[j]
			}
			if bias != nil {
				v += bias[j]
			}
			row[j] = v
		}
	}
	return nil
}

// Pad returns x [H W C] surrounded by zeros, and with extra zero channels
// added after the existing ones when extraC > 0.
func Pad(x *Tensor, p Padding, extraC int) (*Tensor, error) {
	return pad(nil, x, p, extraC)
}

// pad is Pad with buffers from ar (nil to allocate).
func pad(ar *arena, x *Tensor, p Padding, extraC int) (*Tensor, error) {
	h, w, c, err := x.HWC()
	if err != nil {
		return nil, err
	}
	if p.Top < 0 || p.Bottom < 0 || p.Left < 0 || p.Right < 0 || extraC < 0 {
		return nil, fmt.Errorf("%w: negative padding %+v, %d channels", ErrShape, p, extraC)
	}
	oh, ow, oc := h+p.Top+p.Bottom, w+p.Left+p.Right, c+extraC
	out := ar.zeros(oh, ow, oc)
	for y := 0; y < h; y++ {
		for xx := 0; xx < w; xx++ {
			src := x.Data[(y*w+xx)*c : (y*w+xx)*c+c]
			copy(out.Data[((y+p.Top)*ow+xx+p.Left)*oc:], src)
		}
	}
	return out, nil
}

// FoldAffine returns conv filters and bias with a following per-output-channel
// affine y = (conv(x)+bias)*scale + shift folded in: w'[...,o] = w[...,o]*scale[o],
// b'[o] = bias[o]*scale[o] + shift[o]. A nil bias means zeros. w is HWIO.
func FoldAffine(w *Tensor, bias, scale, shift []float32) (*Tensor, []float32, error) {
	co := w.Shape[len(w.Shape)-1]
	if len(scale) != co || len(shift) != co || (bias != nil && len(bias) != co) {
		return nil, nil, fmt.Errorf("%w: fold affine of %d channels into filters %v", ErrShape, len(scale), w.Shape)
	}
	nw := New(w.Shape...)
	for i := 0; i < len(w.Data); i += co {
		for o := 0; o < co; o++ {
			nw.Data[i+o] = w.Data[i+o] * scale[o]
		}
	}
	nb := make([]float32, co)
	for o := range nb {
		b := float32(0)
		if bias != nil {
			b = bias[o]
		}
		nb[o] = b*scale[o] + shift[o]
	}
	return nw, nb, nil
}

// Package nn is the small, pure-Go inference engine that package face needs:
// float32 tensors in NHWC layout with batch 1, the convolution, pooling and
// element-wise operators of the two face models, weight decoding for
// TensorFlow.js weight manifests (including uint8/uint16 affine and float16
// quantization) and an interpreter for TensorFlow.js graph models restricted
// to the operators those models use.
//
// Activations are 3-D tensors [H, W, C] (the batch dimension of 1 is
// implicit); weights keep their TensorFlow layouts: conv filters are
// [KH, KW, Cin, Cout] (HWIO) and depthwise filters [KH, KW, C, M].
package nn

import (
	"errors"
	"fmt"
)

// Tensor is a dense float32 array in row-major order. Shape lists the
// dimensions from outermost to innermost; len(Data) is their product.
type Tensor struct {
	Shape []int
	Data  []float32
}

// ErrShape reports operands whose shapes do not fit the operator.
var ErrShape = errors.New("nn: shape mismatch")

// New returns a zeroed tensor of the given shape.
func New(shape ...int) *Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: make([]float32, n)}
}

// FromData wraps data in a tensor of the given shape; it fails when the
// element count does not match.
func FromData(data []float32, shape ...int) (*Tensor, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("%w: negative dimension in %v", ErrShape, shape)
		}
		n *= d
	}
	if n != len(data) {
		return nil, fmt.Errorf("%w: %d values for shape %v", ErrShape, len(data), shape)
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: data}, nil
}

// Len returns the number of elements.
func (t *Tensor) Len() int { return len(t.Data) }

// HWC returns the three dimensions of an activation tensor, dropping a
// leading batch dimension of 1. It fails for other ranks.
func (t *Tensor) HWC() (h, w, c int, err error) {
	s := t.Shape
	if len(s) == 4 && s[0] == 1 {
		s = s[1:]
	}
	if len(s) != 3 {
		return 0, 0, 0, fmt.Errorf("%w: want [H W C] activation, have %v", ErrShape, t.Shape)
	}
	return s[0], s[1], s[2], nil
}

// Padding is the explicit zero padding around an image, in pixels.
type Padding struct{ Top, Bottom, Left, Right int }

// SamePadding returns TensorFlow's "SAME" padding for one spatial dimension:
// the output size is ceil(in/stride) and the extra pixels go after (the
// larger half at the bottom/right), as in tf.nn.convolution.
func SamePadding(in, k, stride int) (before, after, out int) {
	out = (in + stride - 1) / stride
	total := (out-1)*stride + k - in
	if total < 0 {
		total = 0
	}
	before = total / 2
	return before, total - before, out
}

// Same returns SAME padding for a KH×KW window with the given stride over an
// H×W input.
func Same(h, w, kh, kw, stride int) Padding {
	t, b, _ := SamePadding(h, kh, stride)
	l, r, _ := SamePadding(w, kw, stride)
	return Padding{Top: t, Bottom: b, Left: l, Right: r}
}

// outSize is the output length of a window of size k moved by stride over
// in+pad pixels, or an error when the window does not fit.
func outSize(in, pad, k, stride int) (int, error) {
	if stride < 1 || k < 1 {
		return 0, fmt.Errorf("%w: kernel %d stride %d", ErrShape, k, stride)
	}
	if in+pad < k {
		return 0, fmt.Errorf("%w: window %d larger than padded input %d", ErrShape, k, in+pad)
	}
	return (in+pad-k)/stride + 1, nil
}

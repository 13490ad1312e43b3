package nn

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func tensor(t *testing.T, data []float32, shape ...int) *Tensor {
	t.Helper()
	x, err := FromData(data, shape...)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func near(a, b []float32, tol float64) (int, bool) {
	if len(a) != len(b) {
		return -1, false
	}
	for i := range a {
		d := math.Abs(float64(a[i]) - float64(b[i]))
		if d > tol*math.Max(1, math.Abs(float64(b[i]))) {
			return i, false
		}
	}
	return 0, true
}

func checkNear(t *testing.T, name string, got, want []float32, tol float64) {
	t.Helper()
	if i, ok := near(got, want, tol); !ok {
		if i < 0 {
			t.Fatalf("%s: %d values, want %d", name, len(got), len(want))
		}
		t.Fatalf("%s: [%d] = %v, want %v\ngot  %v\nwant %v", name, i, got[i], want[i], got, want)
	}
}

func TestSamePadding(t *testing.T) {
	for _, tc := range []struct{ in, k, s, before, after, out int }{
		{256, 5, 2, 1, 2, 128},
		{128, 3, 2, 0, 1, 64},
		{5, 3, 1, 1, 1, 5},
		{4, 2, 2, 0, 0, 2},
		{5, 2, 2, 0, 1, 3},
		{1, 1, 1, 0, 0, 1},
	} {
		b, a, o := SamePadding(tc.in, tc.k, tc.s)
		if b != tc.before || a != tc.after || o != tc.out {
			t.Errorf("SamePadding(%d,%d,%d) = %d,%d,%d want %d,%d,%d", tc.in, tc.k, tc.s, b, a, o, tc.before, tc.after, tc.out)
		}
	}
}

func TestConv2DHand(t *testing.T) {
	// 3x3 single-channel input, 2x2 kernel, two output channels, VALID.
	x := tensor(t, []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}, 3, 3, 1)
	// HWIO: w[ky][kx][0][o]; channel 0 = [[1,0],[0,1]], channel 1 = [[0,1],[1,0]] scaled by -1
	w := tensor(t, []float32{1, 0, 0, -1, 0, -1, 1, 0}, 2, 2, 1, 2)
	want := []float32{
		1 + 5 + 10, -(2 + 4) + 10, 2 + 6 + 10, -(3 + 5) + 10,
		4 + 8 + 10, -(5 + 7) + 10, 5 + 9 + 10, -(6 + 8) + 10,
	}
	for _, f := range []func(*Tensor, *Tensor, []float32, Conv) (*Tensor, error){Conv2D, Conv2DRef} {
		got, err := f(x, w, []float32{10, 10}, Conv{Stride: 1})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got.Shape) != "[2 2 2]" {
			t.Fatalf("shape %v", got.Shape)
		}
		checkNear(t, "conv", got.Data, want, 0)
	}
	// SAME padding, stride 2, relu: input 3x3, kernel 3x3 of ones -> pad 1 each side, out 2x2.
	ones := New(3, 3, 1, 1)
	for i := range ones.Data {
		ones.Data[i] = 1
	}
	got, err := Conv2D(x, ones, []float32{-13}, Conv{Stride: 2, Pad: Same(3, 3, 3, 3, 2), Relu: true})
	if err != nil {
		t.Fatal(err)
	}
	// windows centred on (0,0),(0,2),(2,0),(2,2): 1+2+4+5=12, 2+3+5+6=16, 4+5+7+8=24, 5+6+8+9=28
	checkNear(t, "conv same", got.Data, []float32{0, 3, 11, 15}, 0)
}

func randTensor(r *rand.Rand, shape ...int) *Tensor {
	x := New(shape...)
	for i := range x.Data {
		x.Data[i] = float32(r.NormFloat64())
	}
	return x
}

func TestConv2DMatchesRef(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		h, w, c, k, co, stride int
		same                   bool
	}{
		{7, 9, 3, 3, 5, 1, true},
		{8, 8, 4, 1, 6, 1, false}, // 1x1 fast path
		{9, 7, 2, 5, 3, 2, true},
		{10, 10, 3, 7, 4, 2, false},
		{5, 5, 8, 3, 8, 2, false},
		{6, 6, 3, 1, 2, 2, false},
	} {
		x := randTensor(r, tc.h, tc.w, tc.c)
		w := randTensor(r, tc.k, tc.k, tc.c, tc.co)
		b := randTensor(r, tc.co).Data
		p := Conv{Stride: tc.stride, Relu: tc.co%2 == 0}
		if tc.same {
			p.Pad = Same(tc.h, tc.w, tc.k, tc.k, tc.stride)
		}
		got, err := Conv2D(x, w, b, p)
		if err != nil {
			t.Fatal(err)
		}
		want, err := Conv2DRef(x, w, b, p)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got.Shape) != fmt.Sprint(want.Shape) {
			t.Fatalf("%+v: shape %v want %v", tc, got.Shape, want.Shape)
		}
		checkNear(t, fmt.Sprintf("%+v", tc), got.Data, want.Data, 1e-5)
	}
}

func TestConv2DErrors(t *testing.T) {
	x := New(3, 3, 2)
	if _, err := Conv2D(x, New(3, 3, 1, 1), nil, Conv{Stride: 1}); !errors.Is(err, ErrShape) {
		t.Errorf("channel mismatch: %v", err)
	}
	if _, err := Conv2D(x, New(5, 5, 2, 1), nil, Conv{Stride: 1}); !errors.Is(err, ErrShape) {
		t.Errorf("kernel too large: %v", err)
	}
	if _, err := Conv2D(x, New(1, 1, 2, 1), nil, Conv{Stride: 0}); !errors.Is(err, ErrShape) {
		t.Errorf("stride 0: %v", err)
	}
	if _, err := Conv2D(x, New(1, 1, 2, 3), []float32{1}, Conv{Stride: 1}); !errors.Is(err, ErrShape) {
		t.Errorf("bias count: %v", err)
	}
}

func TestDepthwiseHand(t *testing.T) {
	// 2x2 input with 2 channels; 2x2 kernel per channel, VALID -> 1x1x2.
	x := tensor(t, []float32{1, 10, 2, 20, 3, 30, 4, 40}, 2, 2, 2)
	w := tensor(t, []float32{1, 0, 1, 1, 1, 0, 1, -1}, 2, 2, 2, 1)
	got, err := DepthwiseConv2D(x, w, []float32{0.5, 0}, Conv{Stride: 1})
	if err != nil {
		t.Fatal(err)
	}
	checkNear(t, "depthwise", got.Data, []float32{1 + 2 + 3 + 4 + 0.5, 0 + 20 + 0 - 40}, 0)
	// Multiplier 2: channel c*2+m.
	w2 := New(1, 1, 2, 2)
	copy(w2.Data, []float32{1, 2, 3, 4})
	got, err = DepthwiseConv2D(tensor(t, []float32{5, 7}, 1, 1, 2), w2, nil, Conv{Stride: 1})
	if err != nil {
		t.Fatal(err)
	}
	checkNear(t, "depthwise mult", got.Data, []float32{5, 10, 21, 28}, 0)
	// SAME stride 2 over 3x3 ones with 3x3 ones kernel: 4, 6, 6, 9 (corner windows).
	ones := New(3, 3, 1)
	k := New(3, 3, 1, 1)
	for i := range ones.Data {
		ones.Data[i] = 1
	}
	for i := range k.Data {
		k.Data[i] = 1
	}
	got, err = DepthwiseConv2D(ones, k, nil, Conv{Stride: 2, Pad: Same(3, 3, 3, 3, 2)})
	if err != nil {
		t.Fatal(err)
	}
	checkNear(t, "depthwise same", got.Data, []float32{4, 4, 4, 4}, 0)
}

func TestDepthwiseMatchesRef(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, tc := range []struct {
		h, w, c, k, mult, stride int
		same                     bool
	}{
		{9, 7, 24, 3, 1, 1, true},
		{8, 8, 16, 3, 1, 2, true},
		{7, 9, 5, 3, 1, 2, true},
		{6, 5, 8, 3, 1, 1, false},
		{5, 6, 3, 5, 1, 1, true},
		{6, 6, 4, 3, 2, 2, true},
		{1, 1, 8, 3, 1, 1, true},
		{2, 2, 4, 3, 1, 2, true},
		{3, 2, 12, 3, 1, 1, true},
		{5, 4, 4, 3, 1, 2, false},
		{16, 16, 96, 3, 1, 2, true},
		{12, 10, 48, 3, 1, 1, true},
	} {
		x := randTensor(r, tc.h, tc.w, tc.c)
		w := randTensor(r, tc.k, tc.k, tc.c, tc.mult)
		b := randTensor(r, tc.c*tc.mult).Data
		p := Conv{Stride: tc.stride, Relu: tc.c%2 == 0}
		if tc.same {
			p.Pad = Same(tc.h, tc.w, tc.k, tc.k, tc.stride)
		}
		got, err := DepthwiseConv2D(x, w, b, p)
		if err != nil {
			t.Fatal(err)
		}
		want, err := DepthwiseConv2DRef(x, w, b, p)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got.Shape) != fmt.Sprint(want.Shape) {
			t.Fatalf("%+v: shape %v want %v", tc, got.Shape, want.Shape)
		}
		checkNear(t, fmt.Sprintf("%+v", tc), got.Data, want.Data, 1e-5)
	}
}

func TestReluKernel(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	d := randTensor(r, 1, 3, 13).Data
	d[0], d[1] = float32(math.Copysign(0, -1)), float32(math.Inf(-1))
	want := make([]float32, len(d))
	for i, v := range d {
		if v > 0 {
			want[i] = v
		}
	}
	got := append([]float32(nil), d...)
	reluAcc(got)
	for i := range got {
		if got[i] != want[i] || math.Signbit(float64(got[i])) {
			t.Fatalf("relu[%d] of %v = %v, want %v", i, d[i], got[i], want[i])
		}
	}
	got = append([]float32(nil), d...)
	reluScalar(got)
	checkNear(t, "reluScalar", got, want, 0)
	a, b := randTensor(r, 21).Data, randTensor(r, 21).Data
	sum := make([]float32, 21)
	for i := range sum {
		sum[i] = a[i] + b[i]
	}
	addAcc(a, b)
	checkNear(t, "add", a, sum, 0)
}

func TestPool(t *testing.T) {
	x := tensor(t, []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}, 3, 3, 1)
	got, err := MaxPool(x, 2, 2, Same(3, 3, 2, 2, 2))
	if err != nil {
		t.Fatal(err)
	}
	checkNear(t, "maxpool same", got.Data, []float32{5, 6, 8, 9}, 0)
	got, err = AvgPool(x, 2, 2, Same(3, 3, 2, 2, 2))
	if err != nil {
		t.Fatal(err)
	}
	checkNear(t, "avgpool same", got.Data, []float32{3, 4.5, 7.5, 9}, 0)
	got, err = MaxPool(x, 3, 2, Padding{})
	if err != nil {
		t.Fatal(err)
	}
	checkNear(t, "maxpool valid", got.Data, []float32{9}, 0)
	got, err = AvgPool(tensor(t, []float32{1, -1, 3, -3, 5, -5, 7, -7}, 2, 2, 2), 2, 2, Padding{})
	if err != nil {
		t.Fatal(err)
	}
	checkNear(t, "avgpool channels", got.Data, []float32{4, -4}, 0)
	m, err := GlobalMean(tensor(t, []float32{1, 2, 3, 4}, 2, 1, 2))
	if err != nil {
		t.Fatal(err)
	}
	checkNear(t, "mean", m.Data, []float32{2, 3}, 0)
}

func TestElementwise(t *testing.T) {
	a := tensor(t, []float32{-1, 2, -3, 4}, 2, 1, 2)
	b := tensor(t, []float32{1, 1, 1, 1}, 2, 1, 2)
	s, err := Add(a, b)
	if err != nil {
		t.Fatal(err)
	}
	checkNear(t, "add", s.Data, []float32{0, 3, -2, 5}, 0)
	checkNear(t, "relu", Relu(s).Data, []float32{0, 3, 0, 5}, 0)
	if err := Affine(a, []float32{2, 3}, []float32{1, 0}); err != nil {
		t.Fatal(err)
	}
	checkNear(t, "affine", a.Data, []float32{-1, 6, -5, 12}, 0)
	p, err := Pad(tensor(t, []float32{1, 2}, 1, 1, 2), Padding{Top: 1, Left: 0, Right: 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(p.Shape) != "[2 2 3]" {
		t.Fatalf("pad shape %v", p.Shape)
	}
	checkNear(t, "pad", p.Data, []float32{0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0}, 0)
	mm, err := MatMul(tensor(t, []float32{1, 2}, 2), tensor(t, []float32{1, 2, 3, 4, 5, 6}, 2, 3))
	if err != nil {
		t.Fatal(err)
	}
	checkNear(t, "matmul", mm.Data, []float32{9, 12, 15}, 0)
}

func TestFoldAffine(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	x := randTensor(r, 6, 5, 3)
	w := randTensor(r, 3, 3, 3, 4)
	bias := []float32{0.1, -0.2, 0.3, 0}
	scale := []float32{2, 0.5, -1, 3}
	shift := []float32{1, 2, 3, 4}
	want, _ := Conv2DRef(x, w, bias, Conv{Stride: 1})
	if err := Affine(want, scale, shift); err != nil {
		t.Fatal(err)
	}
	fw, fb, err := FoldAffine(w, bias, scale, shift)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Conv2D(x, fw, fb, Conv{Stride: 1})
	if err != nil {
		t.Fatal(err)
	}
	checkNear(t, "folded", got.Data, want.Data, 1e-5)
}

func TestFloat16(t *testing.T) {
	for _, tc := range []struct {
		h    uint16
		want float32
	}{
		{0x0000, 0}, {0x3c00, 1}, {0xc000, -2}, {0x3555, 0.333251953125},
		{0x7bff, 65504}, {0x0001, 5.9604645e-8}, {0x0400, 6.1035156e-5}, {0x8001, -5.9604645e-8},
		{0x7c00, float32(math.Inf(1))}, {0xfc00, float32(math.Inf(-1))},
	} {
		if got := Float16(tc.h); got != tc.want {
			t.Errorf("Float16(%#04x) = %v, want %v", tc.h, got, tc.want)
		}
	}
	if v := Float16(0x7e00); v == v {
		t.Errorf("Float16(NaN) = %v", v)
	}
}

func TestDecodeWeights(t *testing.T) {
	specs := []WeightSpec{
		{Name: "f", Shape: []int{2}, Dtype: "float32"},
		{Name: "u8", Shape: []int{3}, Dtype: "float32", Quantization: &Quantization{Dtype: "uint8", Scale: 0.5, Min: -1}},
		{Name: "u16", Shape: []int{1}, Dtype: "float32", Quantization: &Quantization{Dtype: "uint16", Scale: 0.25, Min: 10}},
		{Name: "h", Shape: []int{1, 1}, Dtype: "float32", Quantization: &Quantization{Dtype: "float16"}},
		{Name: "i", Shape: []int{2}, Dtype: "int32"},
	}
	var data []byte
	data = binary.LittleEndian.AppendUint32(data, math.Float32bits(1.5))
	data = binary.LittleEndian.AppendUint32(data, math.Float32bits(-2))
	data = append(data, 0, 2, 255)
	data = binary.LittleEndian.AppendUint16(data, 1000)
	data = binary.LittleEndian.AppendUint16(data, 0x3c00)
	data = binary.LittleEndian.AppendUint32(data, 7)
	data = binary.LittleEndian.AppendUint32(data, 0xffffffff)
	w, err := DecodeWeights(specs, data)
	if err != nil {
		t.Fatal(err)
	}
	checkNear(t, "f", w["f"].Data, []float32{1.5, -2}, 0)
	checkNear(t, "u8", w["u8"].Data, []float32{-1, 0, 126.5}, 0)
	checkNear(t, "u16", w["u16"].Data, []float32{260}, 0)
	checkNear(t, "h", w["h"].Data, []float32{1}, 0)
	checkNear(t, "i", w["i"].Data, []float32{7, -1}, 0)
	if _, err := DecodeWeights(specs, data[:len(data)-1]); !errors.Is(err, ErrWeights) {
		t.Errorf("short data: %v", err)
	}
	if _, err := DecodeWeights(specs, append(data, 0)); !errors.Is(err, ErrWeights) {
		t.Errorf("long data: %v", err)
	}
	if _, err := DecodeWeights([]WeightSpec{{Name: "x", Shape: []int{1 << 20, 1 << 20}, Dtype: "float32"}}, nil); !errors.Is(err, ErrWeights) {
		t.Errorf("huge shape: %v", err)
	}
	if _, err := DecodeWeights([]WeightSpec{{Name: "x", Shape: []int{1}, Dtype: "string"}}, nil); !errors.Is(err, ErrWeights) {
		t.Errorf("bad dtype: %v", err)
	}
}

// tinyGraph is a graph model: conv 1x1 (BiasAdd, Relu) -> maxpool 2x2 SAME
// -> pad one channel -> add input pooled -> reshape [1,-1,1].
func tinyGraph(t testing.TB) ([]byte, []byte) {
	s := func(v string) map[string]string {
		return map[string]string{"s": base64.StdEncoding.EncodeToString([]byte(v))}
	}
	list := func(v ...string) map[string]any { return map[string]any{"list": map[string]any{"i": v}} }
	fused := map[string]any{"list": map[string]any{"s": []string{base64.StdEncoding.EncodeToString([]byte("BiasAdd")), base64.StdEncoding.EncodeToString([]byte("Relu"))}}}
	nodes := []map[string]any{
		{"name": "w", "op": "Const"}, {"name": "b", "op": "Const"}, {"name": "pads", "op": "Const"}, {"name": "shape", "op": "Const"},
		{"name": "x", "op": "Placeholder"},
		{"name": "conv", "op": "_FusedConv2D", "input": []string{"x", "w", "b"}, "attr": map[string]any{"strides": list("1", "1", "1", "1"), "padding": s("VALID"), "data_format": s("NHWC"), "fused_ops": fused, "dilations": list("1", "1", "1", "1")}},
		{"name": "pool", "op": "MaxPool", "input": []string{"conv"}, "attr": map[string]any{"strides": list("1", "2", "2", "1"), "ksize": list("1", "2", "2", "1"), "padding": s("SAME")}},
		{"name": "xpool", "op": "MaxPool", "input": []string{"x"}, "attr": map[string]any{"strides": list("1", "2", "2", "1"), "ksize": list("1", "2", "2", "1"), "padding": s("SAME")}},
		{"name": "padded", "op": "Pad", "input": []string{"xpool", "pads"}},
		{"name": "sum", "op": "AddV2", "input": []string{"pool", "padded"}},
		{"name": "r", "op": "Reshape", "input": []string{"sum", "shape"}},
		{"name": "Identity", "op": "Identity", "input": []string{"r"}},
	}
	model := map[string]any{
		"format":        "graph-model",
		"modelTopology": map[string]any{"node": nodes},
		"weightsManifest": []map[string]any{{"paths": []string{"g.bin"}, "weights": []map[string]any{
			{"name": "w", "shape": []int{1, 1, 1, 2}, "dtype": "float32"},
			{"name": "b", "shape": []int{2}, "dtype": "float32"},
			{"name": "pads", "shape": []int{4, 2}, "dtype": "int32"},
			{"name": "shape", "shape": []int{3}, "dtype": "int32"},
		}}},
	}
	js, err := json.Marshal(model)
	if err != nil {
		t.Fatal(err)
	}
	var data []byte
	for _, f := range []float32{1, -1, 0, 0} { // w, b
		data = binary.LittleEndian.AppendUint32(data, math.Float32bits(f))
	}
	for _, v := range []int32{0, 0, 0, 0, 0, 0, 0, 1, 1, -1, 1} { // pads, shape
		data = binary.LittleEndian.AppendUint32(data, uint32(v))
	}
	return js, data
}

func TestGraph(t *testing.T) {
	js, data := tinyGraph(t)
	g, err := ParseGraph(js, data)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(g.Inputs) != "[x]" {
		t.Fatalf("inputs %v", g.Inputs)
	}
	x := tensor(t, []float32{1, -2, 3, 4, -5, 6, -7, 8, 9}, 1, 3, 3, 1)
	out, err := g.Run(map[string]*Tensor{"x:0": x}, "Identity:0")
	if err != nil {
		t.Fatal(err)
	}
	// conv: c0 = relu(x), c1 = relu(-x); pool 2x2 SAME over 3x3 -> 2x2.
	// c0 pooled: max(1,0,4,0)=4, max(3,6)=6, max(0,8)=8, 9 ; c1: max(0,2,0,5)=5, max(0,0)=0, 7, 0
	// x pooled: 4, 6, 8, 9 added to channel 0 only.
	want := []float32{8, 5, 12, 0, 16, 7, 18, 0}
	if fmt.Sprint(out[0].Shape) != "[1 8 1]" {
		t.Fatalf("shape %v", out[0].Shape)
	}
	checkNear(t, "graph", out[0].Data, want, 0)
	if _, err := g.Run(nil, "Identity"); !errors.Is(err, ErrGraph) {
		t.Errorf("missing input: %v", err)
	}
	if _, err := g.Run(map[string]*Tensor{"x": x}, "nope"); !errors.Is(err, ErrGraph) {
		t.Errorf("missing node: %v", err)
	}
}

func TestGraphRejects(t *testing.T) {
	for name, js := range map[string]string{
		"op":       `{"modelTopology":{"node":[{"name":"a","op":"Softmax","input":["b"]}]}}`,
		"format":   `{"format":"layers-model","modelTopology":{"node":[]}}`,
		"stride":   `{"modelTopology":{"node":[{"name":"a","op":"MaxPool","input":["b"],"attr":{"strides":{"list":{"i":["1","2","3","1"]}}}}]}}`,
		"inputs":   `{"modelTopology":{"node":[{"name":"a","op":"AddV2","input":["b"]}]}}`,
		"dilation": `{"modelTopology":{"node":[{"name":"a","op":"DepthwiseConv2dNative","input":["b","c"],"attr":{"dilations":{"list":{"i":["1","2","2","1"]}}}}]}}`,
		"json":     `{`,
	} {
		if _, err := ParseGraph([]byte(js), nil); !errors.Is(err, ErrGraph) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A cycle is reported, not followed forever.
	js := `{"modelTopology":{"node":[{"name":"a","op":"Relu","input":["b"]},{"name":"b","op":"Relu","input":["a"]}]}}`
	g, err := ParseGraph([]byte(js), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Run(nil, "a"); !errors.Is(err, ErrGraph) {
		t.Errorf("cycle: %v", err)
	}
}

func FuzzParseGraph(f *testing.F) {
	js, data := tinyGraph(f)
	f.Add(js, data)
	f.Add([]byte(`{"modelTopology":{"node":[{"name":"a","op":"Relu","input":["b"]}]}}`), []byte{})
	f.Fuzz(func(t *testing.T, js, data []byte) {
		g, err := ParseGraph(js, data)
		if err != nil {
			return
		}
		x := New(3, 3, 1)
		for _, in := range g.Inputs {
			g.Run(map[string]*Tensor{in: x}, "Identity")
		}
	})
}

func FuzzDecodeWeights(f *testing.F) {
	f.Add([]byte(`[{"paths":["a"],"weights":[{"name":"u","shape":[3],"dtype":"float32","quantization":{"dtype":"uint8","scale":0.5,"min":-1}}]}]`), []byte{1, 2, 3})
	f.Add([]byte(`[{"weights":[{"name":"h","shape":[2],"dtype":"float32","quantization":{"dtype":"float16"}}]}]`), []byte{0, 0x3c, 0, 0xc0})
	f.Fuzz(func(t *testing.T, manifest, data []byte) {
		var groups []WeightGroup
		if json.Unmarshal(manifest, &groups) != nil {
			return
		}
		var specs []WeightSpec
		for _, g := range groups {
			specs = append(specs, g.Weights...)
		}
		DecodeWeights(specs, data)
	})
}

package nn

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// ErrGraph reports a graph model that is malformed or uses an operator or
// attribute this interpreter does not implement.
var ErrGraph = errors.New("nn: unsupported or malformed graph")

// Graph is a TensorFlow.js graph model (format "graph-model", the
// GraphDef-as-JSON written by tensorflowjs_converter) restricted to the
// operators the BlazeFace detector uses: Placeholder, Const, _FusedConv2D
// (BiasAdd, optional Relu), DepthwiseConv2dNative, AddV2, Relu, Reshape,
// MaxPool, Pad and Identity, all NHWC with batch 1.
type Graph struct {
	nodes map[string]*gnode
	// uses counts the data inputs naming each node: a computed tensor used
	// once may be overwritten by its consumer.
	uses    map[string]int
	weights map[string]*Tensor
	// arenas holds buffers for reuse between and within runs.
	arenas sync.Pool
	// Inputs names the Placeholder nodes.
	Inputs []string
}

type gnode struct {
	name, op string
	inputs   []string
	stride   int
	ksize    int
	padding  string // SAME, VALID or EXPLICIT
	explicit Padding
	relu     bool
}

type graphJSON struct {
	Format          string        `json:"format"`
	ModelTopology   topology      `json:"modelTopology"`
	WeightsManifest []WeightGroup `json:"weightsManifest"`
}

type topology struct {
	Node []struct {
		Name  string                     `json:"name"`
		Op    string                     `json:"op"`
		Input []string                   `json:"input"`
		Attr  map[string]json.RawMessage `json:"attr"`
	} `json:"node"`
}

// attrValue is the JSON form of a TensorFlow AttrValue as far as needed here.
type attrValue struct {
	S    string `json:"s"`
	I    string `json:"i"`
	List struct {
		I []string `json:"i"`
		S []string `json:"s"`
	} `json:"list"`
}

// LoadGraph reads a graph model file (model.json) and its weight shards from
// dir.
func LoadGraph(dir, file string) (*Graph, error) {
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		return nil, err
	}
	var gj graphJSON
	if err := json.Unmarshal(b, &gj); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrGraph, file, err)
	}
	var data []byte
	for _, g := range gj.WeightsManifest {
		for _, p := range g.Paths {
			if !filepath.IsLocal(p) {
				return nil, fmt.Errorf("%w: shard path %q leaves the model directory", ErrWeights, p)
			}
			s, err := os.ReadFile(filepath.Join(dir, p))
			if err != nil {
				return nil, fmt.Errorf("%s: weight shard: %w", file, err)
			}
			data = append(data, s...)
		}
	}
	g, err := ParseGraph(b, data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return g, nil
}

// ParseGraph builds a Graph from model.json bytes and the concatenated
// weight shards it names.
func ParseGraph(modelJSON, weightData []byte) (*Graph, error) {
	var gj graphJSON
	if err := json.Unmarshal(modelJSON, &gj); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrGraph, err)
	}
	if gj.Format != "" && gj.Format != "graph-model" {
		return nil, fmt.Errorf("%w: format %q, want graph-model", ErrGraph, gj.Format)
	}
	var specs []WeightSpec
	for _, wg := range gj.WeightsManifest {
		specs = append(specs, wg.Weights...)
	}
	w, err := DecodeWeights(specs, weightData)
	if err != nil {
		return nil, err
	}
	g := &Graph{nodes: map[string]*gnode{}, uses: map[string]int{}, weights: w}
	for i, n := range gj.ModelTopology.Node {
		nd := &gnode{name: n.Name, op: n.Op}
		for _, in := range n.Input {
			if strings.HasPrefix(in, "^") {
				continue // control dependency: no data
			}
			nd.inputs = append(nd.inputs, trimPort(in))
			g.uses[trimPort(in)]++
		}
		if err := nd.parseAttrs(n.Attr); err != nil {
			return nil, fmt.Errorf("node %d %q (%s): %w", i, n.Name, n.Op, err)
		}
		if _, dup := g.nodes[n.Name]; dup {
			return nil, fmt.Errorf("%w: node %q defined twice", ErrGraph, n.Name)
		}
		g.nodes[n.Name] = nd
		if n.Op == "Placeholder" {
			g.Inputs = append(g.Inputs, n.Name)
		}
	}
	return g, nil
}

// trimPort removes an output port suffix ":0" from a tensor name.
func trimPort(s string) string {
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		if _, err := strconv.Atoi(s[i+1:]); err == nil {
			return s[:i]
		}
	}
	return s
}

func decodeS(s string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	return string(b), err
}

// parseAttrs checks and records the attributes the interpreter honours.
func (n *gnode) parseAttrs(attr map[string]json.RawMessage) error {
	get := func(k string) (*attrValue, error) {
		raw, ok := attr[k]
		if !ok {
			return nil, nil
		}
		var v attrValue
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("%w: attr %s: %v", ErrGraph, k, err)
		}
		return &v, nil
	}
	want := map[string][]string{
		"_FusedConv2D":          {"in", "w", "b"},
		"DepthwiseConv2dNative": {"in", "w"},
		"AddV2":                 {"a", "b"},
		"Relu":                  {"in"},
		"Identity":              {"in"},
		"Reshape":               {"in", "shape"},
		"MaxPool":               {"in"},
		"Pad":                   {"in", "paddings"},
		"Const":                 {},
		"Placeholder":           {},
	}
	ins, ok := want[n.op]
	if !ok {
		return fmt.Errorf("%w: operator %s", ErrGraph, n.op)
	}
	if len(n.inputs) != len(ins) {
		return fmt.Errorf("%w: %d inputs, want %d", ErrGraph, len(n.inputs), len(ins))
	}
	if df, err := get("data_format"); err != nil {
		return err
	} else if df != nil {
		if s, err := decodeS(df.S); err != nil || s != "NHWC" {
			return fmt.Errorf("%w: data_format %q", ErrGraph, df.S)
		}
	}
	if d, err := get("dilations"); err != nil {
		return err
	} else if d != nil {
		for _, v := range d.List.I {
			if v != "1" {
				return fmt.Errorf("%w: dilation %s", ErrGraph, v)
			}
		}
	}
	switch n.op {
	case "_FusedConv2D", "DepthwiseConv2dNative", "MaxPool":
		st, err := get("strides")
		if err != nil {
			return err
		}
		if st == nil || len(st.List.I) != 4 || st.List.I[1] != st.List.I[2] || st.List.I[0] != "1" || st.List.I[3] != "1" {
			return fmt.Errorf("%w: strides must be [1 s s 1]", ErrGraph)
		}
		n.stride, err = strconv.Atoi(st.List.I[1])
		if err != nil || n.stride < 1 || n.stride > 16 {
			return fmt.Errorf("%w: stride %q", ErrGraph, st.List.I[1])
		}
		pd, err := get("padding")
		if err != nil {
			return err
		}
		if pd == nil {
			return fmt.Errorf("%w: no padding attribute", ErrGraph)
		}
		if n.padding, err = decodeS(pd.S); err != nil {
			return fmt.Errorf("%w: padding: %v", ErrGraph, err)
		}
		switch n.padding {
		case "SAME", "VALID":
		case "EXPLICIT":
			ep, err := get("explicit_paddings")
			if err != nil {
				return err
			}
			if ep == nil || len(ep.List.I) != 8 {
				return fmt.Errorf("%w: explicit_paddings", ErrGraph)
			}
			var v [8]int
			for i, s := range ep.List.I {
				if v[i], err = strconv.Atoi(s); err != nil || v[i] < 0 || v[i] > 64 {
					return fmt.Errorf("%w: explicit padding %q", ErrGraph, s)
				}
			}
			if v[0]+v[1]+v[6]+v[7] != 0 {
				return fmt.Errorf("%w: explicit padding of batch or channels", ErrGraph)
			}
			n.explicit = Padding{Top: v[2], Bottom: v[3], Left: v[4], Right: v[5]}
		default:
			return fmt.Errorf("%w: padding %q", ErrGraph, n.padding)
		}
	}
	switch n.op {
	case "MaxPool":
		k, err := get("ksize")
		if err != nil {
			return err
		}
		if k == nil || len(k.List.I) != 4 || k.List.I[1] != k.List.I[2] || k.List.I[0] != "1" || k.List.I[3] != "1" {
			return fmt.Errorf("%w: ksize must be [1 k k 1]", ErrGraph)
		}
		n.ksize, err = strconv.Atoi(k.List.I[1])
		if err != nil || n.ksize < 1 || n.ksize > 64 {
			return fmt.Errorf("%w: ksize %q", ErrGraph, k.List.I[1])
		}
	case "_FusedConv2D":
		f, err := get("fused_ops")
		if err != nil {
			return err
		}
		if f == nil || len(f.List.S) == 0 {
			return fmt.Errorf("%w: _FusedConv2D without fused_ops", ErrGraph)
		}
		var ops []string
		for _, s := range f.List.S {
			o, err := decodeS(s)
			if err != nil {
				return fmt.Errorf("%w: fused_ops: %v", ErrGraph, err)
			}
			ops = append(ops, o)
		}
		switch strings.Join(ops, ",") {
		case "BiasAdd":
		case "BiasAdd,Relu":
			n.relu = true
		default:
			return fmt.Errorf("%w: fused_ops %v", ErrGraph, ops)
		}
	}
	return nil
}

// padding returns the concrete padding of a windowed node over an h×w input.
func (n *gnode) pad(h, w, kh, kw int) Padding {
	switch n.padding {
	case "SAME":
		t, b, _ := SamePadding(h, kh, n.stride)
		l, r, _ := SamePadding(w, kw, n.stride)
		return Padding{Top: t, Bottom: b, Left: l, Right: r}
	case "EXPLICIT":
		return n.explicit
	}
	return Padding{}
}

// Run evaluates the graph for the given placeholder values and returns the
// named outputs (a ":0" port suffix is accepted) in order. Activation
// tensors may be given as [H W C] or [1 H W C].
func (g *Graph) Run(inputs map[string]*Tensor, outputs ...string) ([]*Tensor, error) {
	ar, _ := g.arenas.Get().(*arena)
	if ar == nil {
		ar = &arena{}
	}
	defer g.arenas.Put(ar)
	r := &run{g: g, vals: map[string]*Tensor{}, busy: map[string]bool{}, keep: map[string]bool{}, left: make(map[string]int, len(g.uses)), ar: ar}
	for k, v := range inputs {
		r.vals[trimPort(k)] = v
	}
	for k, n := range g.uses {
		r.left[k] = n
	}
	res := make([]*Tensor, len(outputs))
	for k := range r.vals {
		r.keep[k] = true
	}
	for _, o := range outputs {
		r.keep[trimPort(o)] = true
	}
	for i, o := range outputs {
		t, err := r.eval(trimPort(o))
		if err != nil {
			return nil, err
		}
		res[i] = t
	}
	return res, nil
}

// run is the state of one evaluation: computed values, nodes being
// evaluated (to find cycles), names not to overwrite or recycle (inputs and
// outputs), the consumers each value has left, and the buffers to reuse.
type run struct {
	g    *Graph
	vals map[string]*Tensor
	busy map[string]bool
	keep map[string]bool
	left map[string]int
	ar   *arena
}

// computed reports whether name is an operator that computes a tensor of
// its own (not a constant, an input, or a view of another tensor).
func (g *Graph) computed(name string) bool {
	p := g.nodes[name]
	return p != nil && p.op != "Const" && p.op != "Placeholder" && p.op != "Identity" && p.op != "Reshape"
}

func (r *run) eval(name string) (*Tensor, error) {
	g := r.g
	if t, ok := r.vals[name]; ok {
		return t, nil
	}
	n, ok := g.nodes[name]
	if !ok {
		return nil, fmt.Errorf("%w: no node %q", ErrGraph, name)
	}
	if r.busy[name] {
		return nil, fmt.Errorf("%w: cycle through %q", ErrGraph, name)
	}
	r.busy[name] = true
	defer delete(r.busy, name)
	if n.op == "Placeholder" {
		return nil, fmt.Errorf("%w: no value for input %q", ErrGraph, name)
	}
	if n.op == "Const" {
		w, ok := g.weights[name]
		if !ok {
			return nil, fmt.Errorf("%w: constant %q has no weight", ErrGraph, name)
		}
		return w, nil
	}
	// The ReLU of a sum that nothing else uses (BlazeFace's residual joins)
	// is computed in one pass, relu(a+b), and the sum is never stored.
	node, fuseRelu := n, false
	if n.op == "Relu" {
		if p := g.nodes[n.inputs[0]]; p != nil && p.op == "AddV2" && g.uses[p.name] == 1 && !r.keep[p.name] && !r.busy[p.name] {
			if _, done := r.vals[p.name]; !done {
				node, fuseRelu = p, true
				r.busy[p.name] = true
				defer delete(r.busy, p.name)
			}
		}
	}
	in := make([]*Tensor, len(node.inputs))
	for i, src := range node.inputs {
		t, err := r.eval(src)
		if err != nil {
			return nil, err
		}
		in[i] = t
	}
	// A tensor computed here, used by this node only and not asked for, may
	// be overwritten in place.
	scratch := make([]bool, len(in))
	for i, src := range node.inputs {
		if g.computed(src) && g.uses[src] == 1 && !r.keep[src] {
			scratch[i] = true
		}
	}
	t, err := node.apply(in, scratch, fuseRelu, r.ar)
	if err != nil {
		return nil, fmt.Errorf("node %q (%s): %w", node.name, node.op, err)
	}
	// A computed input whose last consumer this was, not asked for and not
	// living on in t, gives its buffer back for reuse.
	for i, src := range node.inputs {
		r.left[src]--
		if r.left[src] == 0 && g.computed(src) && !r.keep[src] && !sharesData(t, in[i]) {
			r.ar.put(in[i].Data)
		}
	}
	r.vals[name] = t
	return t, nil
}

// sharesData reports whether a and b have the same backing array start.
func sharesData(a, b *Tensor) bool {
	return len(a.Data) > 0 && len(b.Data) > 0 && &a.Data[0] == &b.Data[0]
}

// arena keeps the buffers of tensors a run no longer needs, by length, for
// later tensors (of this run or the next: Graph keeps arenas in a
// sync.Pool). Buffers from get hold stale values.
type arena struct{ free map[int][][]float32 }

// get returns a buffer of n values, not cleared; a nil arena allocates.
func (a *arena) get(n int) []float32 {
	if a != nil {
		if l := a.free[n]; len(l) > 0 {
			b := l[len(l)-1]
			a.free[n] = l[:len(l)-1]
			return b
		}
	}
	return make([]float32, n)
}

// tensor returns a tensor of the given shape with stale contents.
func (a *arena) tensor(shape ...int) *Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: a.get(n)}
}

// zeros returns a zeroed tensor of the given shape.
func (a *arena) zeros(shape ...int) *Tensor {
	t := a.tensor(shape...)
	clear(t.Data)
	return t
}

// put gives a buffer back for reuse.
func (a *arena) put(b []float32) {
	if a == nil || len(b) == 0 {
		return
	}
	if a.free == nil {
		a.free = map[int][][]float32{}
	}
	a.free[len(b)] = append(a.free[len(b)], b)
}

// apply computes the node from its inputs; scratch marks inputs it may
// overwrite, and fuseRelu (for AddV2) applies a ReLU to the sum.
func (n *gnode) apply(in []*Tensor, scratch []bool, fuseRelu bool, ar *arena) (*Tensor, error) {
	switch n.op {
	case "Identity":
		return in[0], nil
	case "Relu":
		if scratch[0] {
			return Relu(in[0]), nil
		}
		out := ar.tensor(in[0].Shape...)
		copy(out.Data, in[0].Data)
		return Relu(out), nil
	case "AddV2":
		if !sameShape(in[0], in[1]) {
			return nil, fmt.Errorf("%w: add %v and %v (no broadcasting)", ErrShape, in[0].Shape, in[1].Shape)
		}
		var out, other *Tensor
		for i := range 2 {
			if scratch[i] && len(in[i].Shape) == len(in[1-i].Shape) {
				out, other = in[i], in[1-i]
				break
			}
		}
		if out == nil {
			out, other = ar.tensor(in[0].Shape...), in[1]
			copy(out.Data, in[0].Data)
		}
		if fuseRelu {
			addReluAcc(out.Data, other.Data)
		} else {
			addAcc(out.Data, other.Data)
		}
		return out, nil
	case "_FusedConv2D", "DepthwiseConv2dNative":
		h, w, _, err := in[0].HWC()
		if err != nil {
			return nil, err
		}
		if len(in[1].Shape) != 4 {
			return nil, fmt.Errorf("%w: filters %v", ErrShape, in[1].Shape)
		}
		p := Conv{Stride: n.stride, Pad: n.pad(h, w, in[1].Shape[0], in[1].Shape[1]), Relu: n.relu}
		if n.op == "DepthwiseConv2dNative" {
			return depthwiseConv2D(ar, in[0], in[1], nil, p)
		}
		return conv2D(ar, in[0], in[1], in[2].Data, p)
	case "MaxPool":
		h, w, _, err := in[0].HWC()
		if err != nil {
			return nil, err
		}
		return pool(ar, in[0], n.ksize, n.stride, n.pad(h, w, n.ksize, n.ksize), true)
	case "Pad":
		p := in[1].Data
		if len(p) != 8 {
			return nil, fmt.Errorf("%w: paddings %v", ErrShape, in[1].Shape)
		}
		var v [8]int
		for i, f := range p {
			if f < 0 || f > 4096 || f != float32(int(f)) {
				return nil, fmt.Errorf("%w: padding %v", ErrShape, f)
			}
			v[i] = int(f)
		}
		if v[0]+v[1]+v[6] != 0 {
			return nil, fmt.Errorf("%w: padding of batch or leading channels %v", ErrGraph, v)
		}
		return pad(ar, in[0], Padding{Top: v[2], Bottom: v[3], Left: v[4], Right: v[5]}, v[7])
	case "Reshape":
		return reshape(in[0], in[1].Data)
	}
	return nil, fmt.Errorf("%w: operator %s", ErrGraph, n.op)
}

func sameShape(a, b *Tensor) bool {
	if len(a.Data) != len(b.Data) {
		return false
	}
	sa, sb := a.Shape, b.Shape
	for len(sa) > 0 && sa[0] == 1 && len(sa) > len(sb) {
		sa = sa[1:]
	}
	for len(sb) > 0 && sb[0] == 1 && len(sb) > len(sa) {
		sb = sb[1:]
	}
	if len(sa) != len(sb) {
		return false
	}
	for i := range sa {
		if sa[i] != sb[i] {
			return false
		}
	}
	return true
}

// reshape returns x's data under a new shape; one dimension may be -1.
func reshape(x *Tensor, shape []float32) (*Tensor, error) {
	dims := make([]int, len(shape))
	known, free := 1, -1
	for i, f := range shape {
		d := int(f)
		if float32(d) != f || d < -1 {
			return nil, fmt.Errorf("%w: reshape dimension %v", ErrShape, f)
		}
		if d == -1 {
			if free >= 0 {
				return nil, fmt.Errorf("%w: two -1 dimensions", ErrShape)
			}
			free = i
			continue
		}
		if d > 0 && known > len(x.Data)/d+1 {
			return nil, fmt.Errorf("%w: reshape %v to %v", ErrShape, x.Shape, shape)
		}
		dims[i] = d
		known *= d
	}
	if free >= 0 {
		if known == 0 || len(x.Data)%known != 0 {
			return nil, fmt.Errorf("%w: reshape %v to %v", ErrShape, x.Shape, shape)
		}
		dims[free] = len(x.Data) / known
		known *= dims[free]
	}
	if known != len(x.Data) {
		return nil, fmt.Errorf("%w: reshape %v to %v", ErrShape, x.Shape, shape)
	}
	return &Tensor{Shape: dims, Data: x.Data}, nil
}

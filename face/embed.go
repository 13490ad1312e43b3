package face

import (
	"fmt"
	"math"
	"path/filepath"

	"github.com/bixproject/bix/face/models"
	"github.com/bixproject/bix/face/nn"
)

// ChipSize is the side of the aligned face chip the embedder reads.
const ChipSize = 150

// EmbeddingSize is the length of a face embedding.
const EmbeddingSize = 128

// dlibMeanRGB is the per-channel mean the dlib face descriptor subtracts from
// 0..255 RGB input (dlib's input_rgb_image_sized layer) before dividing by 255.
var dlibMeanRGB = [3]float32{122.782, 117.001, 104.298}

// convLayer is a convolution whose following bias and affine scale layers
// (dlib's con + affine) have been folded into the filters.
type convLayer struct {
	w      *nn.Tensor
	b      []float32
	stride int
	same   bool // 3×3 stride 1 with one pixel of zero padding; else VALID
}

func (c *convLayer) apply(x *nn.Tensor, relu bool) (*nn.Tensor, error) {
	p := nn.Conv{Stride: c.stride, Relu: relu}
	if c.same {
		h, w, _, err := x.HWC()
		if err != nil {
			return nil, err
		}
		p.Pad = nn.Same(h, w, c.w.Shape[0], c.w.Shape[1], 1)
	}
	return nn.Conv2D(x, c.w, c.b, p)
}

// residual is one basic block: two 3×3 convolutions and a shortcut.
type residual struct {
	conv1, conv2 convLayer
	down         bool
}

// Embedder computes 128-D face descriptors with the dlib ResNet
// ("dlib_face_recognition_resnet_model_v1": a 29-convolution ResNet on
// 150×150 RGB chips, trained by Davis King, public domain) using the
// uint8-quantized weights shipped in @vladmandic/face-api.
type Embedder struct {
	stem   convLayer
	blocks []residual
	fc     *nn.Tensor // [256 128]
}

// blockNames lists the residual blocks in order; "_down" blocks halve the
// resolution (stride-2 VALID first convolution, 2×2 average-pooled shortcut).
var blockNames = []string{
	"conv32_1", "conv32_2", "conv32_3",
	"conv64_down", "conv64_1", "conv64_2", "conv64_3",
	"conv128_down", "conv128_1", "conv128_2",
	"conv256_down", "conv256_1", "conv256_2", "conv256_down_out",
}

// LoadEmbedder reads the descriptor weights from the model directory.
func LoadEmbedder(dir string) (*Embedder, error) {
	f, err := openModel(dir, models.DlibManifest)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	groups, err := nn.ReadManifest(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, models.DlibManifest), err)
	}
	w, err := nn.LoadGroups(dir, groups)
	if err != nil {
		return nil, fmt.Errorf("face descriptor weights: %w", err)
	}
	return newEmbedder(w)
}

func newEmbedder(w map[string]*nn.Tensor) (*Embedder, error) {
	get := func(name string, rank int) (*nn.Tensor, error) {
		t, ok := w[name]
		if !ok {
			return nil, fmt.Errorf("face descriptor weights: no %q", name)
		}
		if len(t.Shape) != rank {
			return nil, fmt.Errorf("face descriptor weights: %q has shape %v", name, t.Shape)
		}
		return t, nil
	}
	conv := func(prefix string, stride int, same bool) (convLayer, error) {
		f, err := get(prefix+"/conv/filters", 4)
		if err != nil {
			return convLayer{}, err
		}
		var vec [3]*nn.Tensor
		for i, n := range []string{"/conv/bias", "/scale/weights", "/scale/biases"} {
			if vec[i], err = get(prefix+n, 1); err != nil {
				return convLayer{}, err
			}
		}
		fw, fb, err := nn.FoldAffine(f, vec[0].Data, vec[1].Data, vec[2].Data)
		if err != nil {
			return convLayer{}, fmt.Errorf("%s: %w", prefix, err)
		}
		return convLayer{w: fw, b: fb, stride: stride, same: same}, nil
	}
	e := &Embedder{}
	var err error
	if e.stem, err = conv("conv32_down", 2, false); err != nil {
		return nil, err
	}
	for _, name := range blockNames {
		down := len(name) > 5 && (name[len(name)-5:] == "_down" || name == "conv256_down_out")
		var r residual
		r.down = down
		stride := 1
		if down {
			stride = 2
		}
		if r.conv1, err = conv(name+"/conv1", stride, !down); err != nil {
			return nil, err
		}
		if r.conv2, err = conv(name+"/conv2", 1, true); err != nil {
			return nil, err
		}
		e.blocks = append(e.blocks, r)
	}
	if e.fc, err = get("fc", 2); err != nil {
		return nil, err
	}
	if e.fc.Shape[1] != EmbeddingSize {
		return nil, fmt.Errorf("face descriptor weights: fc has shape %v", e.fc.Shape)
	}
	return e, nil
}

// ChipTensor converts a ChipSize×ChipSize RGB chip (0..255 per channel,
// row-major, 3 values per pixel) to the network input.
func ChipTensor(rgb []float32) (*nn.Tensor, error) {
	if len(rgb) != ChipSize*ChipSize*3 {
		return nil, fmt.Errorf("face chip has %d values, want %d", len(rgb), ChipSize*ChipSize*3)
	}
	x := nn.New(ChipSize, ChipSize, 3)
	for i := 0; i < len(rgb); i += 3 {
		for c := 0; c < 3; c++ {
			x.Data[i+c] = (rgb[i+c] - dlibMeanRGB[c]) / 255
		}
	}
	return x, nil
}

// Forward runs the network on a ChipTensor and returns the raw (not
// normalised) 128-D descriptor.
func (e *Embedder) Forward(x *nn.Tensor) ([]float32, error) {
	out, err := e.stem.apply(x, true)
	if err != nil {
		return nil, err
	}
	if out, err = nn.MaxPool(out, 3, 2, nn.Padding{}); err != nil {
		return nil, err
	}
	for i := range e.blocks {
		if out, err = e.blocks[i].apply(out); err != nil {
			return nil, fmt.Errorf("block %s: %w", blockNames[i], err)
		}
	}
	mean, err := nn.GlobalMean(out)
	if err != nil {
		return nil, err
	}
	d, err := nn.MatMul(mean, e.fc)
	if err != nil {
		return nil, err
	}
	return d.Data, nil
}

// apply runs a residual block. In a down block the shortcut is the 2×2
// average pool of the input, zero-extended to the new channel count, and the
// main path is zero-padded at the bottom/right when its size is one less than
// the shortcut's (as in face-api's port of the dlib network).
func (r *residual) apply(x *nn.Tensor) (*nn.Tensor, error) {
	out, err := r.conv1.apply(x, true)
	if err != nil {
		return nil, err
	}
	if out, err = r.conv2.apply(out, false); err != nil {
		return nil, err
	}
	short := x
	if r.down {
		if short, err = nn.AvgPool(x, 2, 2, nn.Padding{}); err != nil {
			return nil, err
		}
		sh, sw, sc, _ := short.HWC()
		oh, ow, oc, _ := out.HWC()
		if sc != oc {
			if short, err = nn.Pad(short, nn.Padding{}, oc-sc); err != nil {
				return nil, err
			}
		}
		if sh != oh || sw != ow {
			if out, err = nn.Pad(out, nn.Padding{Bottom: sh - oh, Right: sw - ow}, 0); err != nil {
				return nil, err
			}
		}
	}
	if err := nn.AddInPlace(out, short); err != nil {
		return nil, err
	}
	return nn.Relu(out), nil
}

// Normalize scales v to unit L2 norm in place (a zero vector stays zero)
// and returns it.
func Normalize(v []float32) []float32 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return v
	}
	inv := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= inv
	}
	return v
}

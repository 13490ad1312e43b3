package nn

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
)

// WeightGroup is one entry of a TensorFlow.js weights manifest: the shard
// files holding a run of weights, and the specs of those weights in order.
// See https://www.tensorflow.org/js/guide/save_load (the "weightsManifest"
// of model.json).
type WeightGroup struct {
	Paths   []string     `json:"paths"`
	Weights []WeightSpec `json:"weights"`
}

// WeightSpec describes one weight in a manifest.
type WeightSpec struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
	// Dtype is the weight's type after decoding: "float32" or "int32".
	Dtype string `json:"dtype"`
	// Quantization, when present, says how the stored bytes encode it.
	Quantization *Quantization `json:"quantization,omitempty"`
}

// Quantization is TensorFlow.js weight quantization: "uint8" and "uint16"
// store q with value = q*Scale + Min; "float16" stores IEEE 754 half floats.
type Quantization struct {
	Dtype string  `json:"dtype"`
	Scale float64 `json:"scale"`
	Min   float64 `json:"min"`
}

// ErrWeights reports a malformed weights manifest or weight data.
var ErrWeights = errors.New("nn: bad weights")

// maxElements bounds one weight's element count (1<<28 floats = 1 GiB).
const maxElements = 1 << 28

// elements returns the element count of shape, failing for negative
// dimensions or counts above maxElements.
func elements(shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 || (d > 0 && n > maxElements/d) {
			return 0, fmt.Errorf("%w: shape %v too large or negative", ErrWeights, shape)
		}
		n *= d
	}
	return n, nil
}

// storedSize returns the bytes per element of a spec in the weight data.
func (s *WeightSpec) storedSize() (int, error) {
	if q := s.Quantization; q != nil {
		switch q.Dtype {
		case "uint8":
			return 1, nil
		case "uint16", "float16":
			return 2, nil
		}
		return 0, fmt.Errorf("%w: weight %q: unsupported quantization %q", ErrWeights, s.Name, q.Dtype)
	}
	switch s.Dtype {
	case "float32", "int32":
		return 4, nil
	}
	return 0, fmt.Errorf("%w: weight %q: unsupported dtype %q", ErrWeights, s.Name, s.Dtype)
}

// DecodeWeights decodes the concatenated weight data of a manifest's specs
// (in order, as TensorFlow.js's io.decodeWeights does) into float32 tensors.
// int32 weights are converted to float32 (exact below 2^24). It fails when
// data is shorter or longer than the specs declare.
func DecodeWeights(specs []WeightSpec, data []byte) (map[string]*Tensor, error) {
	out := make(map[string]*Tensor, len(specs))
	off := 0
	for i := range specs {
		s := &specs[i]
		n, err := elements(s.Shape)
		if err != nil {
			return nil, fmt.Errorf("weight %d %q: %w", i, s.Name, err)
		}
		size, err := s.storedSize()
		if err != nil {
			return nil, err
		}
		if n > (len(data)-off)/size {
			return nil, fmt.Errorf("%w: weight %d %q at byte %d needs %d bytes, %d remain", ErrWeights, i, s.Name, off, n*size, len(data)-off)
		}
		b := data[off : off+n*size]
		off += n * size
		t := New(s.Shape...)
		switch {
		case s.Quantization != nil && s.Quantization.Dtype == "uint8":
			for j, q := range b {
				t.Data[j] = float32(float64(q)*s.Quantization.Scale + s.Quantization.Min)
			}
		case s.Quantization != nil && s.Quantization.Dtype == "uint16":
			for j := range t.Data {
				q := binary.LittleEndian.Uint16(b[2*j:])
				t.Data[j] = float32(float64(q)*s.Quantization.Scale + s.Quantization.Min)
			}
		case s.Quantization != nil: // float16
			for j := range t.Data {
				t.Data[j] = Float16(binary.LittleEndian.Uint16(b[2*j:]))
			}
		case s.Dtype == "int32":
			for j := range t.Data {
				t.Data[j] = float32(int32(binary.LittleEndian.Uint32(b[4*j:])))
			}
		default:
			for j := range t.Data {
				t.Data[j] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*j:]))
			}
		}
		if _, dup := out[s.Name]; dup {
			return nil, fmt.Errorf("%w: weight %q listed twice", ErrWeights, s.Name)
		}
		out[s.Name] = t
	}
	if off != len(data) {
		return nil, fmt.Errorf("%w: %d bytes of weight data left after %d weights", ErrWeights, len(data)-off, len(specs))
	}
	return out, nil
}

// Float16 converts an IEEE 754 binary16 value to float32, including
// subnormals, infinities and NaN.
func Float16(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp != 0:
		return math.Float32frombits(sign | (exp+112)<<23 | frac<<13)
	case frac == 0:
		return math.Float32frombits(sign)
	}
	// Subnormal: value = frac * 2^-24.
	v := float32(frac) * (1.0 / (1 << 24))
	if sign != 0 {
		v = -v
	}
	return v
}

// ReadManifest parses a weights manifest (a JSON array of WeightGroup).
func ReadManifest(r io.Reader) ([]WeightGroup, error) {
	var groups []WeightGroup
	if err := json.NewDecoder(r).Decode(&groups); err != nil {
		return nil, fmt.Errorf("%w: manifest: %v", ErrWeights, err)
	}
	return groups, nil
}

// LoadGroups reads the shard files of groups from dir (file names only; a
// path that leaves dir is refused) and decodes their weights.
func LoadGroups(dir string, groups []WeightGroup) (map[string]*Tensor, error) {
	var specs []WeightSpec
	var data []byte
	for _, g := range groups {
		specs = append(specs, g.Weights...)
		for _, p := range g.Paths {
			if !filepath.IsLocal(p) {
				return nil, fmt.Errorf("%w: shard path %q leaves the model directory", ErrWeights, p)
			}
			b, err := os.ReadFile(filepath.Join(dir, p))
			if err != nil {
				return nil, fmt.Errorf("weight shard: %w", err)
			}
			data = append(data, b...)
		}
	}
	return DecodeWeights(specs, data)
}

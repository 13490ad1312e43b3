package node

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"math"
	"strings"

	"github.com/bixproject/bix/face"
	"github.com/bixproject/bix/face/models"
	"github.com/bixproject/bix/fingerprint"
	"github.com/bixproject/bix/internal/gallery"
	"github.com/bixproject/bix/internal/store"
)

// FaceConfig is the face: block of a node's configuration.
type FaceConfig struct {
	// Enabled is "auto" (default: load the face engine when the models
	// are installed, run without faces otherwise), "true" (fail at start
	// without them) or "false" (never load it). Stored face templates are
	// searched whichever it is; the engine is needed to read face images.
	Enabled string `yaml:"enabled"`
	// ModelsDir holds the models "bix models pull" fetched (default:
	// face/models.Dir, $BIX_MODELS or the user cache directory).
	ModelsDir string `yaml:"models_dir"`
	// MinEvidence is the floor under the fused threshold of searches with
	// a face, in decades of false match rate (default 4: FMR 1e-4, the
	// operating point of fingerprint.DefaultThreshold).
	MinEvidence float64 `yaml:"min_evidence"`
	// VerifyFMR is the false match rate 1:1 comparisons with a face are
	// decided at (default 0.001; the face score it gives alone is about
	// face.StrictThreshold).
	VerifyFMR float64 `yaml:"verify_fmr"`
	// MaxFaces caps the face images of one enrollment (default 4).
	MaxFaces int `yaml:"max_faces"`
}

func (f *FaceConfig) withDefaults() error {
	switch strings.ToLower(f.Enabled) {
	case "", "auto":
		f.Enabled = "auto"
	case "true", "yes", "on":
		f.Enabled = "true"
	case "false", "no", "off":
		f.Enabled = "false"
	default:
		return fmt.Errorf("config: face.enabled %q is not auto, true or false", f.Enabled)
	}
	if f.MinEvidence == 0 {
		f.MinEvidence = 4
	}
	if f.MinEvidence < 0 || f.MinEvidence > gallery.MaxEvidence {
		return fmt.Errorf("config: face.min_evidence %v out of 0..%d", f.MinEvidence, gallery.MaxEvidence)
	}
	if f.VerifyFMR == 0 {
		f.VerifyFMR = 0.001
	}
	if f.VerifyFMR <= 0 || f.VerifyFMR >= 1 {
		return fmt.Errorf("config: face.verify_fmr %v out of (0, 1)", f.VerifyFMR)
	}
	if f.MaxFaces == 0 {
		f.MaxFaces = 4
	}
	if f.MaxFaces < 1 || f.MaxFaces > 16 {
		return fmt.Errorf("config: face.max_faces %d out of 1..16", f.MaxFaces)
	}
	return nil
}

// ErrNoFaceEngine is returned for a request carrying a face image to a
// node without the face models (it wraps ErrInvalid: a client error, 400).
var ErrNoFaceEngine = fmt.Errorf("%w: face models not installed: run bix models pull", ErrInvalid)

// loadFace loads the face engine as the configuration says.
func (n *Node) loadFace() error {
	c := n.cfg.Face
	if c.Enabled == "false" {
		n.log.Info("face engine disabled by configuration")
		return nil
	}
	dir := c.ModelsDir
	if dir == "" {
		d, err := models.Dir(n.cfg.Getenv)
		if err != nil {
			if c.Enabled == "true" {
				return fmt.Errorf("face models: %w", err)
			}
			n.log.Info("face engine not loaded", "err", err)
			return nil
		}
		dir = d
	}
	if err := models.Check(dir); err != nil {
		if c.Enabled == "true" || !errors.Is(err, models.ErrMissing) {
			return fmt.Errorf("face models in %s: %w", dir, err)
		}
		n.log.Info("face engine not loaded: models not installed (run bix models pull)", "dir", dir)
		return nil
	}
	e, err := face.Load(dir)
	if err != nil {
		return fmt.Errorf("face engine: %w", err)
	}
	n.face = e
	n.log.Info("face engine loaded", "dir", dir)
	return nil
}

// FaceEnabled reports whether the node reads face images.
func (n *Node) FaceEnabled() bool { return n.face != nil }

// FaceEngine returns the node's face engine, nil when it is not loaded
// (see FaceEnabled). The console uses it to show kept face images aligned
// as the embedder sees them.
func (n *Node) FaceEngine() *face.Engine { return n.face }

// MaxFacePixels bounds a face image.
const MaxFacePixels = 4096 * 4096

// FaceImage is one face image of a request: JPEG or PNG bytes (base64 in
// JSON), or a Type-10 record's image on the transaction path.
type FaceImage struct {
	Image []byte `json:"image"`

	decoded image.Image
	// embedding, when set, is a face already embedded (Go callers and
	// tests); no face engine is needed for it.
	embedding []float32
	// fta, when set, makes the sample a failure to acquire with this
	// reason (an undecodable Type-10 image).
	fta string
}

// faceTemplateFormat is how face templates are stored: the 128 float32
// values of the L2-normalised dlib ResNet descriptor, little-endian.
const faceTemplateFormat = "dlib-resnet-128:f32le"

func encodeFace(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// DecodeFaceTemplate returns the embedding a stored face template holds,
// or an error naming what is wrong with the format or length.
func DecodeFaceTemplate(format string, b []byte) ([]float32, error) {
	return decodeFace(format, b)
}

func decodeFace(format string, b []byte) ([]float32, error) {
	if format != faceTemplateFormat {
		return nil, fmt.Errorf("unknown face template format %q", format)
	}
	if len(b) != 4*gallery.FaceDim {
		return nil, fmt.Errorf("face template of %d bytes, want %d", len(b), 4*gallery.FaceDim)
	}
	v := make([]float32, gallery.FaceDim)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, nil
}

// faceExtracted is one face sample after detection and quality check.
type faceExtracted struct {
	res SampleResult
	emb []float32 // nil for a failure to acquire
	img FaceImage
}

// extractFaces decodes, detects, rates and embeds each face image; an
// image without a usable face becomes a failure to acquire with the
// reason. A face image that needs the engine on a node without it is
// ErrNoFaceEngine.
func (n *Node) extractFaces(fs []FaceImage) ([]faceExtracted, error) {
	if len(fs) > n.cfg.Face.MaxFaces {
		return nil, invalid("%d face images, at most %d", len(fs), n.cfg.Face.MaxFaces)
	}
	out := make([]faceExtracted, len(fs))
	for i := range fs {
		f := &fs[i]
		e := faceExtracted{img: *f, res: SampleResult{Modality: string(gallery.Face)}}
		if f.embedding != nil {
			if len(f.embedding) != gallery.FaceDim {
				return nil, invalid("faces[%d]: embedding of %d values, want %d", i, len(f.embedding), gallery.FaceDim)
			}
			e.emb = face.Normalize(append([]float32(nil), f.embedding...))
			e.res.Status, e.res.Quality = store.SampleOK, 100
			out[i] = e
			continue
		}
		if f.fta != "" {
			e.res.Status, e.res.Reason = store.SampleFTA, f.fta
			out[i] = e
			continue
		}
		if n.face == nil {
			return nil, ErrNoFaceEngine
		}
		if f.decoded == nil {
			if len(f.Image) == 0 {
				return nil, invalid("faces[%d].image is empty", i)
			}
			img, err := face.Decode(bytes.NewReader(f.Image))
			if err != nil {
				return nil, invalid("faces[%d].image: %v", i, err)
			}
			f.decoded = img
		}
		if b := f.decoded.Bounds(); b.Dx()*b.Dy() > MaxFacePixels {
			return nil, invalid("faces[%d].image: %d×%d pixels, at most %d", i, b.Dx(), b.Dy(), MaxFacePixels)
		}
		faces, err := n.face.Process(f.decoded)
		if err != nil {
			return nil, fmt.Errorf("faces[%d]: %w", i, err)
		}
		p, ok := face.Primary(faces)
		switch {
		case !ok:
			e.res.Status, e.res.Reason = store.SampleFTA, "no face found"
		case !p.Quality.Usable:
			e.res.Status, e.res.Reason = store.SampleFTA, p.Quality.Reason
			e.res.Quality = int(math.Round(100 * p.Quality.Score))
		default:
			e.emb = p.Embedding
			e.res.Status, e.res.Quality = store.SampleOK, int(math.Round(100*p.Quality.Score))
		}
		out[i] = e
	}
	return out, nil
}

// faceProbe returns the embedding of the best-quality usable face, nil
// when none is usable.
func faceProbe(fx []faceExtracted) []float32 {
	var best []float32
	q := -1
	for _, f := range fx {
		if f.emb != nil && f.res.Quality > q {
			best, q = f.emb, f.res.Quality
		}
	}
	return best
}

// The prior impostor tails, used while the gallery is too small to sample
// its own impostor scores (fewer than minCalibration identities with the
// modality).
var (
	// fingerPrior: one finger's MCC score at FMR 1e-2, 1e-3, 1e-4 as
	// measured on FVC2002 set B (fingerprint.DefaultThreshold's comment).
	fingerPrior = mustTail([]gallery.TailPoint{{Score: 0, Evidence: 0}, {Score: 0.0063, Evidence: 2}, {Score: 0.0109, Evidence: 3}, {Score: fingerprint.DefaultThreshold, Evidence: 4}})
	// facePrior: cosine scores of the dlib ResNet descriptor (this
	// pipeline) reached by impostors with probability 10^-e, measured on
	// the 1,240,300 impostor pairs of the LFW 158-identity × 10-image
	// gallery (../shared/data/faces/lfw-deepfunneled, gallery_ids.txt;
	// every image embedded, all cross-identity pairs scored). At FMR 1e-3
	// it gives 0.9288, beside face.StrictThreshold's 0.926 from 600 View-2
	// pairs; face.DefaultThreshold (0.91) is FMR 1e-2 here.
	facePrior = mustTail([]gallery.TailPoint{
		{Score: 0.6772, Evidence: 0}, {Score: 0.8391, Evidence: 0.301}, {Score: 0.8815, Evidence: 1}, {Score: 0.8984, Evidence: 1.523},
		{Score: 0.9099, Evidence: 2}, {Score: 0.9203, Evidence: 2.523}, {Score: 0.9288, Evidence: 3}, {Score: 0.9453, Evidence: 4},
		{Score: 0.9563, Evidence: 5},
	})
)

// minCalibration is the number of identities with a modality from which
// the node samples that modality's impostor scores from its own gallery.
const minCalibration = 20

func mustTail(p []gallery.TailPoint) *gallery.Tail {
	t, err := gallery.NewTail(p)
	if err != nil {
		panic(err)
	}
	return t
}

// fusion returns the tails fused searches normalise with: each sampled
// from the gallery's own non-mated comparisons once enough identities hold
// the modality (re-sampled when their number doubles), the prior before.
func (n *Node) fusion() gallery.Fusion {
	f := gallery.Fusion{Finger: n.fingerTail(), Face: facePrior}
	fp := n.gal.FacePersons()
	if fp < minCalibration {
		return f
	}
	n.thMu.Lock()
	defer n.thMu.Unlock()
	if n.faceTail == nil || fp >= 2*n.faceCalibrated {
		n.faceTail = gallery.TailFromImpostors(n.gal.FaceImpostorScores(4000, uint64(fp)))
		n.faceCalibrated = fp
	}
	if n.faceTail != nil {
		f.Face = n.faceTail
	}
	return f
}

// FusedThreshold returns the threshold of 1:N searches with a face: the
// evidence (−log10 FMR) at which the configured target FPIR holds against
// the gallery's identities, never below face.min_evidence.
func (n *Node) FusedThreshold() float64 {
	return gallery.EvidenceThreshold(n.cfg.Thresholds.TargetFPIR, n.gal.Persons(), n.cfg.Face.MinEvidence)
}

// verifyEvidence is the threshold of 1:1 comparisons with a face.
func (n *Node) verifyEvidence() float64 { return -math.Log10(n.cfg.Face.VerifyFMR) }

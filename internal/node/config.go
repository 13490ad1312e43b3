package node

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/bixproject/bix/fingerprint"
	"github.com/bixproject/bix/internal/store"
)

// KEKEnv is the environment variable holding the key-encryption key (hex or
// base64) when the configuration names no key file.
const KEKEnv = "BIX_KEK"

// Config is a node's configuration, read from YAML by LoadConfig.
type Config struct {
	// DataDir holds the database (bix.db) and generated keys.
	DataDir string `yaml:"data_dir"`
	// Listen is the HTTP listen address, such as "127.0.0.1:8440".
	Listen string `yaml:"listen"`
	// NodeID names the node (the audit log origin, partner references).
	NodeID string `yaml:"node_id"`
	// Country is the operating agency's ISO 3166-1 alpha-3 code.
	Country string `yaml:"country"`
	// KeyFile holds the key-encryption key; when empty the key comes from
	// the BIX_KEK environment variable.
	KeyFile string `yaml:"key_file"`
	// KeepImages keeps sample images (sealed) besides the templates;
	// templates alone suffice to match.
	KeepImages bool `yaml:"keep_images"`
	// Thresholds set the decision thresholds.
	Thresholds Thresholds `yaml:"thresholds"`
	// MinQuality is the lowest image quality (0..100) accepted for
	// enrollment; lower samples are stored as failure to acquire.
	MinQuality int `yaml:"min_quality"`
	// MaxRequestBytes caps an HTTP request body (default 32 MiB).
	MaxRequestBytes int64 `yaml:"max_request_bytes"`
	// Workers is the number of goroutines a gallery search uses (default:
	// all cores).
	Workers int `yaml:"workers"`
	// Shortlist, when positive, turns on the gallery pre-filter: a search
	// compares with the matcher only about this many templates, of the
	// identities the pre-filter ranks best (see gallery.Config). Its
	// recall is measured by bix bench identify. 0 searches exhaustively.
	Shortlist int `yaml:"shortlist"`
	// Retention is how long records are kept per category of person, as
	// text such as "10y" or "90d" (applied by the retention job).
	Retention map[string]string `yaml:"retention"`

	// KEK, when set, is used instead of KeyFile and the environment (for
	// nodes started from Go).
	KEK *store.KEK `yaml:"-"`
	// Getenv reads the environment (os.Getenv when nil).
	Getenv func(string) string `yaml:"-"`
}

// Thresholds configure identification decisions.
type Thresholds struct {
	// TargetFPIR is the false positive identification rate the 1:N
	// threshold is set for (default 0.01): the node samples non-mated
	// scores from its gallery and sets the threshold with
	// gallery.ThresholdForFPIR.
	TargetFPIR float64 `yaml:"target_fpir"`
	// MinScore is a floor under the calibrated threshold, and the
	// threshold while the gallery is too small to calibrate (default
	// fingerprint.DefaultThreshold, the matcher's score at a false match
	// rate of about 1e-4).
	MinScore float64 `yaml:"min_score"`
	// Verify is the 1:1 acceptance threshold on the fused score (default:
	// MinScore).
	Verify float64 `yaml:"verify"`
	// MaxCandidates caps candidate lists (default 10).
	MaxCandidates int `yaml:"max_candidates"`
}

// LoadConfig reads a YAML configuration file; unknown keys are errors. A
// relative data_dir or key_file is taken relative to the file's directory.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	base := filepath.Dir(path)
	if c.DataDir != "" && !filepath.IsAbs(c.DataDir) {
		c.DataDir = filepath.Join(base, c.DataDir)
	}
	if c.KeyFile != "" && !filepath.IsAbs(c.KeyFile) {
		c.KeyFile = filepath.Join(base, c.KeyFile)
	}
	return &c, nil
}

// withDefaults returns c with defaults filled in, or an error naming what is
// wrong.
func (c Config) withDefaults() (Config, error) {
	if c.DataDir == "" {
		return c, errors.New("config: data_dir is required")
	}
	if c.NodeID == "" {
		c.NodeID = "bix-node"
	}
	if c.Thresholds.TargetFPIR == 0 {
		c.Thresholds.TargetFPIR = 0.01
	}
	if c.Thresholds.TargetFPIR < 0 || c.Thresholds.TargetFPIR >= 1 {
		return c, fmt.Errorf("config: thresholds.target_fpir %v out of (0, 1)", c.Thresholds.TargetFPIR)
	}
	if c.Thresholds.MinScore == 0 {
		c.Thresholds.MinScore = fingerprint.DefaultThreshold
	}
	if c.Thresholds.Verify == 0 {
		c.Thresholds.Verify = c.Thresholds.MinScore
	}
	if c.Thresholds.MaxCandidates == 0 {
		c.Thresholds.MaxCandidates = 10
	}
	if c.MaxRequestBytes == 0 {
		c.MaxRequestBytes = 32 << 20
	}
	if c.MinQuality < 0 || c.MinQuality > 100 {
		return c, fmt.Errorf("config: min_quality %d out of 0..100", c.MinQuality)
	}
	if c.Getenv == nil {
		c.Getenv = os.Getenv
	}
	return c, nil
}

// kek returns the configured key-encryption key.
func (c *Config) kek() (*store.KEK, error) {
	switch {
	case c.KEK != nil:
		return c.KEK, nil
	case c.KeyFile != "":
		return store.LoadKEK(c.KeyFile)
	case c.Getenv(KEKEnv) != "":
		k, err := store.ParseKEK(c.Getenv(KEKEnv))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", KEKEnv, err)
		}
		return k, nil
	}
	return nil, fmt.Errorf("config: no key-encryption key: set key_file or %s", KEKEnv)
}

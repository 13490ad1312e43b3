package node

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

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
	// Face configures the face modality (see FaceConfig).
	Face FaceConfig `yaml:"face"`
	// MinorAge is the age under which a person is a minor for the
	// second-examiner rule: a dedup task whose person (or candidate) is
	// younger at the encounter takes effect only after decisions by two
	// different examiners (default 14).
	MinorAge int `yaml:"minor_age"`
	// Exchange, when present, turns on the partner exchange (package
	// internal/exchange reads it; see ExchangeConfig).
	Exchange *ExchangeConfig `yaml:"exchange"`

	// KEK, when set, is used instead of KeyFile and the environment (for
	// nodes started from Go).
	KEK *store.KEK `yaml:"-"`
	// Getenv reads the environment (os.Getenv when nil).
	Getenv func(string) string `yaml:"-"`
}

// Thresholds configure identification decisions.
type Thresholds struct {
	// TargetFPIR is the false positive identification rate the 1:N
	// threshold is set for (default 0.01), from the impostor score tail
	// the node samples from its gallery (see Node.Threshold).
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
	if c.Face.ModelsDir != "" && !filepath.IsAbs(c.Face.ModelsDir) {
		c.Face.ModelsDir = filepath.Join(base, c.Face.ModelsDir)
	}
	if x := c.Exchange; x != nil {
		if x.IdentityDir != "" && !filepath.IsAbs(x.IdentityDir) {
			x.IdentityDir = filepath.Join(base, x.IdentityDir)
		}
		for i, a := range x.Agreements {
			if !filepath.IsAbs(a) {
				x.Agreements[i] = filepath.Join(base, a)
			}
		}
	}
	return &c, nil
}

// ExchangeConfig is the exchange: block of a node's configuration, plain
// data that package internal/exchange turns into a running partner
// exchange. A node without the block has no partner exchange.
type ExchangeConfig struct {
	// Listen is the partner endpoint's listen address (mutual TLS 1.3),
	// such as "0.0.0.0:8443". Required.
	Listen string `yaml:"listen"`
	// IdentityDir holds the exchange identity (TLS certificate and keys,
	// generated on first start; default: data_dir). Relative to the
	// configuration file.
	IdentityDir string `yaml:"identity_dir"`
	// Hosts are the names and addresses the generated TLS certificate is
	// issued for (default: the listen host and localhost). Partners pin
	// the key, so these matter only to tools that check names.
	Hosts []string `yaml:"hosts"`
	// Agreements are signed agreement files (both parties' signatures
	// required), relative to the configuration file. A node may start
	// with none, to generate its identity for the agreement to name.
	Agreements []string `yaml:"agreements"`
	// Endpoints override partner endpoints named in the agreements
	// (party id → base URL such as "https://10.0.0.7:8443").
	Endpoints map[string]string `yaml:"endpoints"`
	// RetryInterval is how often the outbox looks for requests due for
	// another delivery attempt (default 1s); each request waits its own
	// exponential backoff besides.
	RetryInterval time.Duration `yaml:"retry_interval"`
	// WitnessInterval is how often each partner's audit log is witnessed
	// (default 10m; a negative value turns witnessing off).
	WitnessInterval time.Duration `yaml:"witness_interval"`
}

// validate fills in the exchange block's defaults and checks it.
func (x *ExchangeConfig) validate(dataDir string) error {
	if strings.TrimSpace(x.Listen) == "" {
		return errors.New("config: exchange.listen is required (the partner endpoint's address, such as 0.0.0.0:8443)")
	}
	if x.IdentityDir == "" {
		x.IdentityDir = dataDir
	}
	if x.RetryInterval == 0 {
		x.RetryInterval = time.Second
	}
	if x.RetryInterval < 0 {
		return fmt.Errorf("config: exchange.retry_interval %v is negative", x.RetryInterval)
	}
	if x.WitnessInterval == 0 {
		x.WitnessInterval = 10 * time.Minute
	}
	for i, a := range x.Agreements {
		if strings.TrimSpace(a) == "" {
			return fmt.Errorf("config: exchange.agreements[%d] is empty", i)
		}
	}
	for id, u := range x.Endpoints {
		if !strings.HasPrefix(u, "https://") {
			return fmt.Errorf("config: exchange.endpoints[%s] %q is not an https:// URL", id, u)
		}
	}
	return nil
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
	if c.Exchange != nil {
		x := *c.Exchange
		if err := x.validate(c.DataDir); err != nil {
			return c, err
		}
		c.Exchange = &x
	}
	if c.Getenv == nil {
		c.Getenv = os.Getenv
	}
	if c.MinorAge == 0 {
		c.MinorAge = 14
	}
	if c.MinorAge < 0 || c.MinorAge > 25 {
		return c, fmt.Errorf("config: minor_age %d out of 1..25", c.MinorAge)
	}
	if err := c.Face.withDefaults(); err != nil {
		return c, err
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

package node

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestConfigExchangeBlock reads the exchange: block: paths relative to the
// file, durations, defaults, and errors for unknown keys and missing or
// malformed values.
func TestConfigExchangeBlock(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "node.yaml")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	c, err := LoadConfig(write(`data_dir: data
node_id: us-node
exchange:
  listen: 127.0.0.1:8443
  identity_dir: keys
  agreements: [agreements/us-col.yaml, /etc/bix/us-mex.yaml]
  endpoints: {co-migracion: "https://10.0.0.7:8443"}
  retry_interval: 2s
  witness_interval: 1h
`))
	if err != nil {
		t.Fatal(err)
	}
	x := c.Exchange
	if x == nil {
		t.Fatal("exchange block not read")
	}
	if want := filepath.Join(dir, "keys"); x.IdentityDir != want {
		t.Errorf("identity_dir %q, want %q", x.IdentityDir, want)
	}
	if want := []string{filepath.Join(dir, "agreements/us-col.yaml"), "/etc/bix/us-mex.yaml"}; strings.Join(x.Agreements, ",") != strings.Join(want, ",") {
		t.Errorf("agreements %q, want %q", x.Agreements, want)
	}
	if x.RetryInterval != 2*time.Second || x.WitnessInterval != time.Hour || x.Endpoints["co-migracion"] != "https://10.0.0.7:8443" {
		t.Errorf("exchange block read as %+v", x)
	}

	// Defaults: identity in the data directory, 1 s retries, 10 min witnessing.
	d, err := Config{DataDir: dir, Exchange: &ExchangeConfig{Listen: ":8443"}}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if d.Exchange.IdentityDir != dir || d.Exchange.RetryInterval != time.Second || d.Exchange.WitnessInterval != 10*time.Minute {
		t.Errorf("defaults %+v", d.Exchange)
	}
	// A node without the block has no exchange.
	if d, _ := (Config{DataDir: dir}).withDefaults(); d.Exchange != nil {
		t.Error("exchange block made up")
	}

	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown key", "data_dir: d\nexchange:\n  listen: :1\n  lisen: :2\n", "field lisen not found"},
		{"bad duration", "data_dir: d\nexchange:\n  listen: :1\n  retry_interval: soon\n", "into time.Duration"},
	} {
		if _, err := LoadConfig(write(tc.yaml)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	for _, tc := range []struct {
		name string
		x    ExchangeConfig
		want string
	}{
		{"no listen", ExchangeConfig{}, "exchange.listen is required"},
		{"negative retry", ExchangeConfig{Listen: ":1", RetryInterval: -time.Second}, "negative"},
		{"plain http endpoint", ExchangeConfig{Listen: ":1", Endpoints: map[string]string{"p": "http://x"}}, "not an https:// URL"},
		{"empty agreement path", ExchangeConfig{Listen: ":1", Agreements: []string{" "}}, "agreements[0] is empty"},
	} {
		if _, err := (Config{DataDir: dir, Exchange: &tc.x}).withDefaults(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

// Package shareddata locates the project's optional external data sets
// (FVC2002, NIST reference transactions, LFW, ...), which live beside the
// repository in ../shared/data and are absent on a fresh clone. Tests use it
// to skip with a clear message; benchmarks use it to say what they read.
package shareddata

import (
	"os"
	"path/filepath"
	"testing"
)

// EnvVar names the environment variable that overrides the data directory.
const EnvVar = "BIX_SHARED_DATA"

// Dir returns the shared data directory and whether it exists: $BIX_SHARED_DATA
// if set, else ../shared/data beside the module root found by walking up from
// the working directory to the directory holding go.mod.
func Dir() (string, bool) {
	if d := os.Getenv(EnvVar); d != "" {
		return d, isDir(d)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for d := wd; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			p := filepath.Join(filepath.Dir(d), "shared", "data")
			return p, isDir(p)
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", false
		}
		d = parent
	}
}

// Path returns Dir joined with elem and whether that path exists.
func Path(elem ...string) (string, bool) {
	d, ok := Dir()
	if !ok {
		return "", false
	}
	p := filepath.Join(append([]string{d}, elem...)...)
	_, err := os.Stat(p)
	return p, err == nil
}

// Require returns the path of elem under the shared data directory, or skips
// the test with a message naming what is missing.
func Require(tb testing.TB, elem ...string) string {
	tb.Helper()
	p, ok := Path(elem...)
	if !ok {
		tb.Skipf("shared data %s not present (set %s or place it in ../shared/data beside the repository); skipping", filepath.Join(elem...), EnvVar)
	}
	return p
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

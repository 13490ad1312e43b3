package shareddata

import (
	"os"
	"path/filepath"
	"testing"
)

func TestEnvOverride(t *testing.T) {
	d := t.TempDir()
	if err := os.MkdirAll(filepath.Join(d, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvVar, d)
	if got, ok := Dir(); got != d || !ok {
		t.Fatalf("Dir() = %q, %v; want %q, true", got, ok, d)
	}
	if p, ok := Path("x"); !ok || p != filepath.Join(d, "x") {
		t.Fatalf("Path(x) = %q, %v", p, ok)
	}
	if _, ok := Path("missing"); ok {
		t.Fatal("Path(missing) reported present")
	}
	t.Setenv(EnvVar, filepath.Join(d, "nope"))
	if _, ok := Dir(); ok {
		t.Fatal("Dir() reported a missing directory present")
	}
}

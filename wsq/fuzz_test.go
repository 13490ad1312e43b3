package wsq

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/bixproject/bix/internal/shareddata"
)

// FuzzDecode checks that arbitrary input never panics, hangs or allocates
// beyond MaxPixels, and that what decodes agrees with DecodeConfig.
func FuzzDecode(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.wsq"))
	if dir, ok := shareddata.Path("ansi-nist", "wsq"); ok {
		more, _ := filepath.Glob(filepath.Join(dir, "*.wsq"))
		seeds = append(seeds, more...)
	}
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, cerr := DecodeConfig(bytes.NewReader(data))
		if cerr == nil && cfg.Width*cfg.Height > 1<<20 {
			// Keep the fuzzer's memory use small; the cap itself is
			// tested separately.
			return
		}
		img, _, err := DecodeBytes(data)
		if err != nil {
			return
		}
		if cerr != nil {
			t.Fatalf("Decode succeeded but DecodeConfig failed: %v", cerr)
		}
		if b := img.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
			t.Fatalf("decoded %v, config %d×%d", b, cfg.Width, cfg.Height)
		}
	})
}

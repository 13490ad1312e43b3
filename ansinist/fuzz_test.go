package ansinist

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/bixproject/bix/internal/shareddata"
)

// addSeeds adds the committed fixtures and, when present, the shared
// reference files (those under 100 KiB: the fuzzer minimises new inputs byte by byte, which stalls on megabyte seeds).
func addSeeds(f *testing.F, globs ...string) {
	for _, g := range globs {
		ps, _ := filepath.Glob(g)
		for _, p := range ps {
			if fi, err := os.Stat(p); err == nil && fi.Size() < 100<<10 {
				if b, err := os.ReadFile(p); err == nil {
					f.Add(b)
				}
			}
		}
	}
}

// FuzzParse: Parse never panics; what it accepts re-encodes to the same
// bytes, and validation and the typed view do not panic on it.
func FuzzParse(f *testing.F) {
	addSeeds(f, "testdata/*.an2")
	if dir, ok := shareddata.Path("ansi-nist"); ok {
		addSeeds(f, filepath.Join(dir, "nist-reference-files", "*.an2"), filepath.Join(dir, "libbiomeval-test-data", "*.an2k"))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		tx, err := Parse(in)
		if err != nil {
			return
		}
		out, err := tx.Bytes()
		if err != nil {
			t.Fatalf("Encode of parsed input: %v", err)
		}
		if !bytes.Equal(in, out) {
			t.Fatalf("round trip differs")
		}
		tx.Validate()
		tx.Biographics()
		tx.Minutiae()
		tx.Fingers()
		tx.Faces()
		for _, r := range tx.Records {
			r.BinaryFields()
		}
	})
}

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

// FuzzDecodeXML: DecodeXML never panics; what it accepts encodes
// traditionally, and its traditional encoding goes through XML and back
// keeping every field.
func FuzzDecodeXML(f *testing.F) {
	addSeeds(f, "testdata/*.xml")
	if p, ok := shareddata.Path("ansi-nist", "xml", "All-Supported-Records-test-comp.xml"); ok {
		addSeeds(f, p)
	}
	for _, p := range []string{"testdata/legacy-type4-type8.an2"} {
		if b, err := os.ReadFile(p); err == nil {
			if tx, err := Parse(b); err == nil {
				var x bytes.Buffer
				if tx.EncodeXML(&x) == nil {
					f.Add(x.Bytes())
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		tx, err := DecodeXML(in)
		if tx == nil {
			return
		}
		_ = err
		b, err := tx.Bytes()
		if err != nil {
			return // e.g. a tagged record with no fields
		}
		tx2, err := Parse(b)
		if err != nil {
			return // XML can describe what the traditional encoding cannot delimit
		}
		var x bytes.Buffer
		if err := tx2.EncodeXML(&x); err != nil {
			t.Fatalf("EncodeXML of a parsed transaction: %v", err)
		}
		back, err := DecodeXML(x.Bytes())
		if err != nil {
			t.Fatalf("DecodeXML of own output: %v", err)
		}
		if err := sameFields(tx2, back); err != nil {
			t.Fatalf("XML round trip: %v", err)
		}
	})
}

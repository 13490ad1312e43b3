package ansinist

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bixproject/bix/internal/shareddata"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// referenceFiles returns the shared reference transactions, or skips.
func referenceFiles(t testing.TB) []string {
	dir := shareddata.Require(t, "ansi-nist")
	a, _ := filepath.Glob(filepath.Join(dir, "nist-reference-files", "*.an2"))
	b, _ := filepath.Glob(filepath.Join(dir, "libbiomeval-test-data", "*.an2k"))
	return append(a, b...)
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (run go test -update after checking):\n--- got\n%s\n--- want\n%s", p, got, want)
	}
}

// TestReferenceRoundTrip parses every shared reference transaction, checks
// that Encode reproduces it byte for byte and that Validate reports exactly
// the departures recorded in testdata/reference-violations.golden (the NIST
// files include deliberately odd ones).
func TestReferenceRoundTrip(t *testing.T) {
	var report strings.Builder
	for _, p := range referenceFiles(t) {
		in, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		tx, err := Parse(in)
		if err != nil {
			t.Errorf("%s: Parse: %v", filepath.Base(p), err)
			continue
		}
		out, err := tx.Bytes()
		if err != nil {
			t.Errorf("%s: Encode: %v", filepath.Base(p), err)
			continue
		}
		if !bytes.Equal(in, out) {
			t.Errorf("%s: round trip differs: %d bytes in, %d out", filepath.Base(p), len(in), len(out))
		}
		fmt.Fprintf(&report, "%s: %d records\n", filepath.Base(p), len(tx.Records))
		for _, v := range tx.Validate() {
			fmt.Fprintf(&report, "\t%v\n", v)
		}
	}
	golden(t, "reference-violations.golden", []byte(report.String()))
}

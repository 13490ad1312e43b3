package ansinist

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/bixproject/bix/internal/shareddata"
)

// benchInput returns a reference transaction (or the built fixture when the
// shared data is absent) for the benchmarks.
func benchInput(b *testing.B) (string, []byte) {
	name := filepath.Join("testdata", "built-enrolment.an2")
	if dir, ok := shareddata.Path("ansi-nist", "nist-reference-files"); ok {
		name = filepath.Join(dir, "type-14-tpcard-nqm.an2")
	} else {
		b.Log("shared data absent: benchmarking the small built fixture")
	}
	in, err := os.ReadFile(name)
	if err != nil {
		b.Fatal(err)
	}
	return filepath.Base(name), in
}

// BenchmarkParse measures the traditional decoder (throughput in MB/s).
func BenchmarkParse(b *testing.B) {
	_, in := benchInput(b)
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := Parse(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	_, in := benchInput(b)
	tx, _ := Parse(in)
	b.SetBytes(int64(len(in)))
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := tx.Encode(&buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidate(b *testing.B) {
	_, in := benchInput(b)
	tx, _ := Parse(in)
	for b.Loop() {
		tx.Validate()
	}
}

// BenchmarkEncodeXML includes EncodeXML's self-check (it reads its output
// back).
func BenchmarkEncodeXML(b *testing.B) {
	_, in := benchInput(b)
	tx, _ := Parse(in)
	b.SetBytes(int64(len(in)))
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := tx.EncodeXML(&buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFingers decodes the ten-print card's 14 WSQ fingers.
func BenchmarkFingers(b *testing.B) {
	_, in := benchInput(b)
	tx, _ := Parse(in)
	for b.Loop() {
		if _, err := tx.Fingers(); err != nil {
			b.Fatal(err)
		}
	}
}

package wsq

import (
	"bytes"
	"errors"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// segOffset returns the offset of the nth segment with marker m in a
// well-formed file.
func segOffset(t *testing.T, data []byte, m uint16, nth int) int {
	t.Helper()
	for i := 2; i+1 < len(data); i++ {
		if uint16(data[i])<<8|uint16(data[i+1]) == m {
			if nth == 0 {
				return i
			}
			nth--
		}
	}
	t.Fatalf("marker %04X not found", m)
	return 0
}

func fixture(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "ridge.wsq"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestDecodeErrors(t *testing.T) {
	good := fixture(t)
	sof := segOffset(t, good, markerSOF, 0)
	dtt := segOffset(t, good, markerDTT, 0)
	sob2 := segOffset(t, good, markerSOB, 1)
	sob3 := segOffset(t, good, markerSOB, 2)
	edit := func(f func(d []byte) []byte) []byte {
		return f(append([]byte(nil), good...))
	}
	setSize := func(w, h int) []byte {
		return edit(func(d []byte) []byte {
			d[sof+6], d[sof+7], d[sof+8], d[sof+9] = byte(h>>8), byte(h), byte(w>>8), byte(w)
			return d
		})
	}
	for _, tc := range []struct {
		name string
		data []byte
		is   error
		msg  string
	}{
		{"empty", nil, ErrFormat, "offset 0"},
		{"not a marker", []byte("hello"), ErrFormat, "not a marker"},
		{"no SOI", []byte{0xFF, 0xA1}, ErrFormat, "no SOI marker at offset 0"},
		{"only SOI", []byte{0xFF, 0xA0}, ErrFormat, "unexpected end of data at offset 2"},
		{"segment too long", []byte{0xFF, 0xA0, 0xFF, 0xA8, 0x10, 0x00, 'x'}, ErrFormat, "COM segment at offset 2: declared length 4096"},
		{"zero width", setSize(0, 320), ErrFormat, "SOF segment at offset"},
		{"too large", setSize(5000, 5000), ErrTooLarge, "5000×5000"},
		{"too small", setSize(40, 40), ErrTooSmall, "too short"},
		{"even filter", edit(func(d []byte) []byte { d[dtt+4] = 8; return d }), ErrUnsupported, "DTT segment at offset"},
		{"long filter", edit(func(d []byte) []byte { d[dtt+4] = 33; return d }), ErrUnsupported, "at most 31"},
		{"restart interval", append(append([]byte{}, good[:2]...), append([]byte{0xFF, 0xA7, 0, 4, 0, 1}, good[2:]...)...), ErrUnsupported, "DRT segment at offset 2"},
		{"undefined table", edit(func(d []byte) []byte { d[sob2+4] = 5; return d }), ErrFormat, "undefined Huffman table 5"},
		{"cut in block", good[:sob3-5], ErrFormat, "block 2, data byte"},
		{"missing block", append(append([]byte{}, good[:sob3]...), 0xFF, 0xA1), ErrFormat, "subband samples"},
		{"no EOI", good[:len(good)-2], ErrFormat, "block 3, data byte"},
		{"DQT changed between blocks", func() []byte {
			// Insert, before block 2, a DQT that drops subband 20.
			dqt := segOffset(t, good, markerDQT, 0)
			seg := append([]byte(nil), good[dqt:dqt+2+389]...)
			at := 2 + 2 + 3 + 6*20
			copy(seg[at:at+6], []byte{0, 0, 0, 0, 0, 0})
			d := append([]byte(nil), good[:sob2]...)
			d = append(d, seg...)
			return append(d, good[sob2:]...)
		}(), ErrFormat, "DQT redefined between blocks"},
		{"bad marker in tables", edit(func(d []byte) []byte { d[dtt+1] = 0xB3; return d }), ErrFormat, "unexpected RST3 marker at offset"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := DecodeBytes(tc.data)
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("got %v, want %v containing %q", err, tc.is, tc.msg)
			}
		})
	}
}

// TestCorruptionNeverPanics flips bytes of the fixture at random; every
// result must be an image or an error.
func TestCorruptionNeverPanics(t *testing.T) {
	good := fixture(t)
	rng := rand.New(rand.NewSource(7))
	for i := 0; i < 300; i++ {
		d := append([]byte(nil), good...)
		for k := 0; k <= rng.Intn(4); k++ {
			d[rng.Intn(len(d))] = byte(rng.Intn(256))
		}
		if rng.Intn(4) == 0 {
			d = d[:rng.Intn(len(d))]
		}
		img, _, err := DecodeBytes(d)
		if err == nil && img == nil {
			t.Fatal("nil image without error")
		}
	}
}

// TestRowKernelsAgree checks the regular-run row kernel and the column
// kernels against the plain per-line reference on random data.
func TestRowKernelsAgree(t *testing.T) {
	lo := expandModulated([]float32{0.788485616, 0.418092273, -0.040689418, -0.064538883})
	hi := expandModulated([]float32{0.852698679, -0.377402856, -0.110624404, 0.023849465, 0.037828455})
	rng := rand.New(rand.NewSource(1))
	for n := 5; n < 90; n++ {
		for _, inv := range []bool{false, true} {
			p, err := newSynthPlan(n, inv, lo, hi)
			if err != nil {
				continue
			}
			const w = 3
			src := make([]float32, n*w)
			for i := range src {
				src[i] = float32(rng.NormFloat64() * 100)
			}
			want := make([]float32, n*w)
			for c := 0; c < w; c++ {
				p.applyLine(want[c:], w, src[c:], w)
			}
			got := make([]float32, n*w)
			columns(p, got, src, w, w)
			if !bytes.Equal(f32bytes(got), f32bytes(want)) {
				t.Errorf("n=%d inv=%v: columns differ from the reference", n, inv)
			}
			line := src[:n]
			want1 := make([]float32, n)
			p.applyLine(want1, 1, line, 1)
			got1 := make([]float32, n)
			p.rowFast(got1, line)
			if !bytes.Equal(f32bytes(got1), f32bytes(want1)) {
				t.Errorf("n=%d inv=%v: rowFast differs from the reference", n, inv)
			}
		}
	}
}

func f32bytes(f []float32) []byte {
	var b bytes.Buffer
	for _, v := range f {
		u := math.Float32bits(v)
		b.Write([]byte{byte(u), byte(u >> 8), byte(u >> 16), byte(u >> 24)})
	}
	return b.Bytes()
}

func TestNISTCOM(t *testing.T) {
	text := FormatNISTCOM(map[string]string{"PPI": "500", "PIX_WIDTH": "10", "ZZZ": "last"}, "PIX_WIDTH", "PPI")
	want := "NIST_COM 4\nPIX_WIDTH 10\nPPI 500\nZZZ last\n"
	if text != want {
		t.Errorf("FormatNISTCOM = %q, want %q", text, want)
	}
	m, ok := ParseNISTCOM(text)
	if !ok || m["NIST_COM"] != "4" || m["PPI"] != "500" || m["ZZZ"] != "last" || len(m) != 4 {
		t.Errorf("ParseNISTCOM = %v, %v", m, ok)
	}
	if _, ok := ParseNISTCOM("Cognaxon"); ok {
		t.Error("a plain comment parsed as NISTCOM")
	}
}

package wsq

import (
	"bytes"
	"image"
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

// FuzzEncode encodes images made from the fuzz input and checks that they
// decode to the same size with a sensible quality.
func FuzzEncode(f *testing.F) {
	f.Add(uint8(0), uint8(0), 0.75, []byte("ridges"))
	f.Add(uint8(30), uint8(200), 2.0, []byte{0, 255, 0, 255, 128})
	f.Add(uint8(1), uint8(1), 0.1, []byte{})
	f.Fuzz(func(t *testing.T, w8, h8 uint8, rate float64, pattern []byte) {
		w, h := MinDimension+int(w8), MinDimension+int(h8)
		img := image.NewGray(image.Rect(0, 0, w, h))
		for i := range img.Pix {
			if len(pattern) > 0 {
				img.Pix[i] = pattern[i%len(pattern)] ^ uint8(i/w)
			}
		}
		var buf bytes.Buffer
		err := Encode(&buf, img, rate)
		if !(rate > 0 && rate < 8) && rate != 0 {
			if err == nil {
				t.Fatalf("bitrate %v accepted", rate)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		out, _, err := DecodeBytes(buf.Bytes())
		if err != nil {
			t.Fatalf("%d×%d at %v: %v", w, h, rate, err)
		}
		if out.Rect.Dx() != w || out.Rect.Dy() != h {
			t.Fatalf("decoded %v, want %d×%d", out.Rect, w, h)
		}
	})
}

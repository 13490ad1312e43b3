package fingerprint

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"

	"github.com/bixproject/bix/internal/shareddata"
	"github.com/bixproject/bix/wsq"
)

func encodeAll(t testing.TB, img image.Image) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	out["png"] = bytes.Clone(b.Bytes())
	b.Reset()
	if err := bmp.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	out["bmp"] = bytes.Clone(b.Bytes())
	b.Reset()
	if err := tiff.Encode(&b, img, &tiff.Options{Compression: tiff.Deflate}); err != nil {
		t.Fatal(err)
	}
	out["tif"] = bytes.Clone(b.Bytes())
	b.Reset()
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	out["jpg"] = bytes.Clone(b.Bytes())
	b.Reset()
	if err := wsq.Encode(&b, img, 2.25); err == nil { // WSQ needs images of about 128×128 or more
		out["wsq"] = bytes.Clone(b.Bytes())
	}
	return out
}

func TestLoadImageFormats(t *testing.T) {
	g := grating(160, 128, 0.5, 9, 10, 1)
	dir := t.TempDir()
	all := encodeAll(t, g)
	if len(all) != 5 {
		t.Fatalf("encoded %d formats, want 5", len(all))
	}
	for ext, data := range all {
		p := filepath.Join(dir, "f."+ext)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := LoadImage(p)
		if err != nil {
			t.Fatalf("%s: %v", ext, err)
		}
		if got.Rect != g.Rect {
			t.Fatalf("%s: bounds %v", ext, got.Rect)
		}
		lossy := ext == "jpg" || ext == "wsq"
		sum := 0
		for i := range g.Pix {
			d := int(got.Pix[i]) - int(g.Pix[i])
			if !lossy && d != 0 {
				t.Fatalf("%s: pixel %d is %d, want %d", ext, i, got.Pix[i], g.Pix[i])
			}
			sum += max(d, -d)
		}
		if mae := float64(sum) / float64(len(g.Pix)); mae > 8 {
			t.Errorf("%s: mean absolute error %.1f", ext, mae)
		}
	}
	if _, err := LoadImage(filepath.Join(dir, "missing.png")); err == nil {
		t.Error("missing file: no error")
	}
	if err := os.WriteFile(filepath.Join(dir, "junk.png"), []byte("not an image"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadImage(filepath.Join(dir, "junk.png")); err == nil {
		t.Error("junk file: no error")
	}
}

func TestToGrayConversions(t *testing.T) {
	rgba := image.NewRGBA(image.Rect(2, 3, 6, 7))
	rgba.Set(2, 3, color.RGBA{200, 200, 200, 255})
	g := toGray(rgba)
	if g.Rect != image.Rect(0, 0, 4, 4) || g.Pix[0] != 200 {
		t.Errorf("RGBA: bounds %v first pixel %d", g.Rect, g.Pix[0])
	}
	sub := grating(40, 40, 0, 9, 0, 1).SubImage(image.Rect(10, 10, 20, 30)).(*image.Gray)
	g = toGray(sub)
	if g.Rect != image.Rect(0, 0, 10, 20) || g.Pix[0] != sub.Pix[0] {
		t.Errorf("sub-image: bounds %v", g.Rect)
	}
	g16 := image.NewGray16(image.Rect(0, 0, 2, 2))
	g16.SetGray16(1, 1, color.Gray16{Y: 0xAB00})
	if g = toGray(g16); g.Pix[3] != 0xAB {
		t.Errorf("Gray16: %d", g.Pix[3])
	}
}

func TestDecodeRefusesHugeImage(t *testing.T) {
	// A PNG header declaring 5000×5000 pixels.
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 5000, 5000))); err != nil {
		t.Fatal(err)
	}
	if _, err := decodeGray(bytes.NewReader(b.Bytes())); err == nil {
		t.Error("5000×5000 image accepted")
	}
}

// FuzzDecodeImage feeds arbitrary bytes to the image decoder front end.
func FuzzDecodeImage(f *testing.F) {
	for _, data := range encodeAll(f, grating(24, 20, 1, 7, 5, 1)) {
		f.Add(data)
	}
	if data, err := os.ReadFile(filepath.Join("testdata", "extract", "synth-a1.png")); err == nil {
		f.Add(data)
	}
	if dir, ok := shareddata.Path("fingerprints", "nist-samples-fingernet", "NIST4"); ok {
		if files, _ := filepath.Glob(filepath.Join(dir, "*.bmp")); len(files) > 0 {
			if data, err := os.ReadFile(files[0]); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := decodeGray(bytes.NewReader(b))
		if err == nil && g.Rect.Dx()*g.Rect.Dy() > maxImagePixels {
			t.Fatalf("accepted %v", g.Rect)
		}
	})
}

package wsq

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"image"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/ridge.wsq and its pixel hash")

// ridgeImage returns a deterministic synthetic fingerprint-like image:
// curved ridges of period about 9 pixels (500 ppi) inside an elliptical
// finger outline, with pseudo-random sensor noise.
func ridgeImage(w, h int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	seed := uint32(12345)
	cx, cy := float64(w)*0.5, float64(h)*0.55
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := (float64(x)-cx)/(0.45*float64(w)), (float64(y)-cy)/(0.5*float64(h))
			seed = seed*1664525 + 1013904223
			noise := float64(seed>>24)/255 - 0.5
			v := 235.0
			if e := dx*dx + dy*dy; e < 1 {
				r := math.Hypot(float64(x)-cx, 1.3*(float64(y)-cy))
				phase := 2*math.Pi*r/9 + 0.8*math.Sin(float64(x)/23)
				v = 128 + 95*math.Cos(phase)*(1-e*e) + 20*noise
			}
			img.Pix[y*img.Stride+x] = uint8(max(0, min(255, math.Round(v))))
		}
	}
	return img
}

func pixelHash(pix []uint8) string {
	s := sha256.Sum256(pix)
	return hex.EncodeToString(s[:])
}

func psnr(a, b []uint8) float64 {
	var mse float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		mse += d * d
	}
	mse /= float64(len(a))
	return 10 * math.Log10(255*255/mse)
}

// TestRidgeFixture decodes the committed fixture made by this encoder and
// compares the pixels with the golden hash (go test -update rewrites both).
func TestRidgeFixture(t *testing.T) {
	wsqPath := filepath.Join("testdata", "ridge.wsq")
	hashPath := filepath.Join("testdata", "ridge.sha256")
	if *update {
		var buf bytes.Buffer
		if err := EncodeOptions(&buf, ridgeImage(256, 320), &Options{Comments: []string{"bix wsq test fixture"}}); err != nil {
			t.Fatal(err)
		}
		img, _, err := DecodeBytes(buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(wsqPath, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(hashPath, []byte(pixelHash(img.Pix)+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(wsqPath)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(hashPath)
	if err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := EncodeOptions(&again, ridgeImage(256, 320), &Options{Comments: []string{"bix wsq test fixture"}}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Bytes(), data) {
		t.Errorf("encoding the synthetic image again gives %d bytes differing from testdata/ridge.wsq (%d bytes); run go test -update if the encoder changed on purpose", again.Len(), len(data))
	}
	for _, scalar := range []bool{false, true} {
		d := &decoder{r: reader{data: data}}
		img, err := d.decode(scalar)
		if err != nil {
			t.Fatal(err)
		}
		if got := pixelHash(img.Pix); got != strings.TrimSpace(string(want)) {
			t.Errorf("scalar=%v: decoded pixels hash %s, golden %s", scalar, got, want)
		}
		if p := psnr(ridgeImage(256, 320).Pix, img.Pix); p < 28 {
			t.Errorf("fixture PSNR %.2f dB against the synthetic original, want ≥ 28", p)
		}
	}
}

// TestRoundTrip encodes synthetic ridges at several rates and checks the
// size, the quality and that more bits give better quality.
func TestRoundTrip(t *testing.T) {
	orig := ridgeImage(300, 340)
	prev := 0.0
	for _, tc := range []struct {
		rate            float64
		minRatio, minDB float64
		maxRatio        float64
	}{
		{0.75, 9, 27, 30},
		{1.5, 4.5, 31, 16},
		{3, 2.2, 36, 8},
	} {
		var buf bytes.Buffer
		if err := Encode(&buf, orig, tc.rate); err != nil {
			t.Fatal(err)
		}
		img, info, err := DecodeBytes(buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		ratio := float64(len(orig.Pix)) / float64(buf.Len())
		p := psnr(orig.Pix, img.Pix)
		t.Logf("rate %.2f: %d bytes, %.1f:1, PSNR %.2f dB", tc.rate, buf.Len(), ratio, p)
		if ratio < tc.minRatio || ratio > tc.maxRatio {
			t.Errorf("rate %.2f: compression %.1f:1 outside [%v, %v]", tc.rate, ratio, tc.minRatio, tc.maxRatio)
		}
		if p < tc.minDB || p <= prev {
			t.Errorf("rate %.2f: PSNR %.2f dB (previous rate %.2f)", tc.rate, p, prev)
		}
		prev = p
		if info.PPI != 500 || info.NISTCOM["COMPRESSION"] != "WSQ" || info.Width != 300 || info.Height != 340 {
			t.Errorf("info %+v", info)
		}
	}
}

func TestEncodeOptions(t *testing.T) {
	var buf bytes.Buffer
	o := &Options{Bitrate: 1, PPI: 1000, Comments: []string{"first", "second"}}
	if err := EncodeOptions(&buf, ridgeImage(128, 128), o); err != nil {
		t.Fatal(err)
	}
	in, err := ReadInfo(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Comments) != 3 || in.Comments[1] != "first" || in.Comments[2] != "second" {
		t.Errorf("comments %q", in.Comments)
	}
	if in.PPI != 1000 || in.NISTCOM["WSQ_BITRATE"] != "1.000000" || in.NISTCOM["NIST_COM"] != "9" {
		t.Errorf("NISTCOM %v", in.NISTCOM)
	}
	if in.AnalysisLowTaps != 9 || in.AnalysisHighTaps != 7 || len(in.HuffmanTables) != 2 || in.Blocks != 3 {
		t.Errorf("tables: %d/%d taps, Huffman %v", in.AnalysisLowTaps, in.AnalysisHighTaps, in.HuffmanTables)
	}
	// Through the image package.
	img, format, err := image.Decode(bytes.NewReader(buf.Bytes()))
	if err != nil || format != "wsq" || img.Bounds().Dx() != 128 {
		t.Errorf("image.Decode: %v %q %v", img.Bounds(), format, err)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(buf.Bytes()))
	if err != nil || format != "wsq" || cfg.Width != 128 || cfg.Height != 128 {
		t.Errorf("image.DecodeConfig: %+v %q %v", cfg, format, err)
	}
}

func TestEncodeSizes(t *testing.T) {
	for _, sz := range [][2]int{{MinDimension, MinDimension}, {65, 97}, {1000, 70}, {333, 65}} {
		img := ridgeImage(sz[0], sz[1])
		var buf bytes.Buffer
		if err := Encode(&buf, img, 0); err != nil {
			t.Errorf("%v: %v", sz, err)
			continue
		}
		out, _, err := DecodeBytes(buf.Bytes())
		if err != nil {
			t.Errorf("%v: decode: %v", sz, err)
			continue
		}
		if b := out.Bounds(); b.Dx() != sz[0] || b.Dy() != sz[1] {
			t.Errorf("%v: decoded %v", sz, b)
		}
	}
	for _, sz := range [][2]int{{1, 1}, {8, 300}, {300, 8}, {64, 64}, {1000, 64}} {
		err := Encode(&bytes.Buffer{}, ridgeImage(sz[0], sz[1]), 0)
		if !errors.Is(err, ErrTooSmall) {
			t.Errorf("%v: got %v, want ErrTooSmall", sz, err)
		}
	}
}

// TestEncodeSubImage checks that a sub-image is encoded from its own pixels,
// like the same pixels in an image of their own (also through a non-Gray
// image type).
func TestEncodeSubImage(t *testing.T) {
	big := ridgeImage(200, 220)
	sub := big.SubImage(image.Rect(30, 40, 130, 160)).(*image.Gray)
	own := image.NewGray(image.Rect(0, 0, 100, 120))
	rgba := image.NewRGBA(image.Rect(0, 0, 100, 120))
	for y := 0; y < 120; y++ {
		for x := 0; x < 100; x++ {
			own.Pix[y*100+x] = sub.GrayAt(30+x, 40+y).Y
			rgba.Set(x, y, sub.At(30+x, 40+y))
		}
	}
	var a, b, c bytes.Buffer
	for _, e := range []struct {
		buf *bytes.Buffer
		img image.Image
	}{{&a, sub}, {&b, own}, {&c, rgba}} {
		if err := Encode(e.buf, e.img, 0); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) || !bytes.Equal(b.Bytes(), c.Bytes()) {
		t.Error("sub-image, copy and RGBA copy encode differently")
	}
}

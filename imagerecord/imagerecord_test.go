package imagerecord

import (
	"bytes"
	"errors"
	"flag"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the fixtures in testdata/")

func ridges(w, h int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			g.Pix[y*w+x] = uint8(128 + 100*math.Sin(math.Hypot(float64(x-w/2), float64(y-h/2))/1.5))
		}
	}
	return g
}

func fingerFixture(t *testing.T, std Standard) *FingerRecord {
	r, err := NewFingerRecord(std, 500, []FingerView{
		{Position: 2, Quality: 80, Impression: 0},
		{Position: 7, Quality: 254, Impression: 1},
	}, []*image.Gray{ridges(20, 24), ridges(16, 16)})
	if err != nil {
		t.Fatal(err)
	}
	r.ScannerID, r.Compliance = 0x123, 8
	return r
}

func faceFixture(t *testing.T) *FaceRecord {
	m := image.NewRGBA(image.Rect(0, 0, 24, 32))
	for y := range 32 {
		for x := range 24 {
			m.Set(x, y, color.RGBA{uint8(8 * x), uint8(6 * y), 120, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return &FaceRecord{Faces: []Face{{
		Gender: 2, EyeColor: 3, HairColor: 4, FeatureMask: 0x000003, Expression: 1,
		Pose: [3]uint8{0, 1, 2}, PoseUncertainty: [3]uint8{5, 5, 5},
		FeaturePoints: []FeaturePoint{{Type: 1, Code: 0x31, X: 8, Y: 12}, {Type: 1, Code: 0x32, X: 16, Y: 12}},
		ImageType:     1, DataType: FaceJPEG, Width: 24, Height: 32, ColorSpace: 1, SourceType: 2, Quality: 0,
		Data: b.Bytes(),
	}}}
}

// fixture compares b with testdata/name (rewritten with -update) and returns
// the committed bytes.
func fixture(t *testing.T, name string, b []byte) []byte {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if !bytes.Equal(b, want) {
		t.Errorf("%s differs from Marshal's output", p)
	}
	return want
}

func TestFingerRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		std  Standard
		file string
	}{{ISO, "finger-iso19794-4.fir"}, {INCITS, "finger-incits381.fir"}} {
		t.Run(tc.std.String(), func(t *testing.T) {
			rec := fingerFixture(t, tc.std)
			b, err := rec.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			b = fixture(t, tc.file, b)
			got, err := ParseFinger(b)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(rec, got); diff != "" {
				t.Errorf("(-made +parsed):\n%s", diff)
			}
			again, _ := got.Marshal()
			if !bytes.Equal(again, b) {
				t.Error("Marshal(Parse(b)) != b")
			}
			img, err := got.Image(0)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(img.(*image.Gray).Pix, ridges(20, 24).Pix) {
				t.Error("view 1 pixels differ")
			}
			if got.PPI() != 500 {
				t.Errorf("PPI %d", got.PPI())
			}
		})
	}
}

func TestFaceRoundTrip(t *testing.T) {
	rec := faceFixture(t)
	b, err := rec.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	b = fixture(t, "face-iso19794-5.fac", b)
	got, err := ParseFace(b, ISO)
	if err != nil {
		t.Fatal(err)
	}
	copy(rec.Version[:], "010\x00")
	if diff := cmp.Diff(rec, got); diff != "" {
		t.Errorf("(-made +parsed):\n%s", diff)
	}
	again, _ := got.Marshal()
	if !bytes.Equal(again, b) {
		t.Error("Marshal(Parse(b)) != b")
	}
	img, err := got.Image(0)
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() != 24 || img.Bounds().Dy() != 32 {
		t.Errorf("image %v", img.Bounds())
	}
}

func TestParseErrors(t *testing.T) {
	fir, _ := fingerFixture(t, ISO).Marshal()
	fac, _ := faceFixture(t).Marshal()
	set := func(b []byte, off int, v ...byte) []byte {
		c := bytes.Clone(b)
		copy(c[off:], v)
		return c
	}
	for _, tc := range []struct {
		name  string
		face  bool
		in    []byte
		is    error
		where string
	}{
		{"finger not FIR", false, []byte("FAC\x00...."), ErrFormat, ""},
		{"finger 2011", false, set(fir, 4, '0', '2', '0'), ErrVersion, "byte 4"},
		{"face 2011", true, set(fac, 4, '0', '3', '0'), ErrVersion, "byte 4"},
		{"finger short", false, fir[:20], ErrTruncated, "header"},
		{"finger length", false, fir[:len(fir)-1], ErrLength, "byte 8"},
		{"finger view count", false, set(fir, 18, 200), ErrTruncated, "byte 18"},
		{"finger view length", false, set(fir, 32, 0xFF, 0, 0, 0), ErrLength, "view 1 at byte 32"},
		{"face not FAC", true, fir, ErrFormat, ""},
		{"face length", true, append(bytes.Clone(fac), 0), ErrLength, "byte 8"},
		{"face count", true, set(fac, 12, 0xFF, 0xFF), ErrTruncated, "byte 12"},
		{"face second", true, set(fac, 12, 0, 2), ErrTruncated, "face 2 at byte"},
		{"face block", true, set(fac, 14, 0, 0, 0, 5), ErrLength, "face 1 at byte 14"},
		{"face points", true, set(fac, 18, 0x7F, 0xFF), ErrLength, "feature points"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.face {
				_, err = ParseFace(tc.in, ISO)
			} else {
				_, err = ParseFinger(tc.in)
			}
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.where) {
				t.Errorf("err = %v, want %v mentioning %q", err, tc.is, tc.where)
			}
		})
	}
}

func addFixtures(f *testing.F, glob string) {
	ps, _ := filepath.Glob(glob)
	for _, p := range ps {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
}

// FuzzParseFinger: no panic; accepted input re-marshals to itself.
func FuzzParseFinger(f *testing.F) {
	addFixtures(f, "testdata/*.fir")
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseFinger(b)
		if err != nil {
			return
		}
		out, err := r.Marshal()
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("re-marshal: %v", err)
		}
		for i := range r.Views {
			r.Image(i)
		}
	})
}

// FuzzParseFace: no panic; accepted input re-marshals to itself.
func FuzzParseFace(f *testing.F) {
	addFixtures(f, "testdata/*.fac")
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseFace(b, ISO)
		if err != nil {
			return
		}
		out, err := r.Marshal()
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("re-marshal: %v", err)
		}
		for i := range r.Faces {
			r.Image(i)
		}
	})
}

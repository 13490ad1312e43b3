package ansinist

import (
	"bytes"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// ridges returns a synthetic w×h fingerprint-like gray image: concentric
// sinusoidal ridges around (cx, cy) with period 9 pixels.
func ridges(w, h int, cx, cy float64) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			d := math.Hypot(float64(x)-cx, (float64(y)-cy)*1.3)
			g.Pix[y*w+x] = uint8(128 + 100*math.Sin(2*math.Pi*d/9))
		}
	}
	return g
}

// faceLike returns a small synthetic RGB image (an ellipse on a background).
func faceLike(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			dx, dy := float64(x-w/2)/float64(w/3), float64(y-h/2)/(float64(h)/2.5)
			c := color.RGBA{40, 60, 90, 255}
			if dx*dx+dy*dy < 1 {
				c = color.RGBA{200, 160, 130, 255}
			}
			m.Set(x, y, c)
		}
	}
	return m
}

var testBio = Biographics{
	Surname: "ÖZTÜRK", GivenNames: "AYŞE NUR", Aliases: []string{"OZTURK,AYSE"},
	BirthDate: "1990-02-28", Sex: "F", PlaceOfBirth: "TUR", Citizenship: []string{"TUR", "DEU"},
	Height: "165", EyeColor: "BRO",
}

func testRequest() BuildRequest {
	return BuildRequest{
		TransactionType: "ENR",
		Date:            time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC),
		Originator:      "XXBIX0001",
		ControlNumber:   "TCN-0001",
		Biographics:     testBio,
		Fingers: []FingerImage{
			{Position: 2, Impression: 0, Image: ridges(64, 80, 30, 40)},
			{Position: 7, Impression: 1, PPI: 1000, Image: ridges(48, 48, 20, 25), Compression: CompressionNone},
		},
		Faces: []FaceImage{{Image: faceLike(40, 50)}},
	}
}

// TestBuildFixture builds a transaction, checks it against the committed
// fixture testdata/built-enrolment.an2 (rewritten with -update) and reads it
// back through the typed view.
func TestBuildFixture(t *testing.T) {
	tx, err := Build(testRequest())
	if err != nil {
		t.Fatal(err)
	}
	enc, err := tx.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "built-enrolment.an2", enc)
	fixture, err := os.ReadFile(filepath.Join("testdata", "built-enrolment.an2"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(fixture)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := got.Bytes()
	if !bytes.Equal(again, fixture) {
		t.Fatal("fixture does not round-trip")
	}
	if v := got.Validate(); len(v) != 0 {
		t.Errorf("violations in a built transaction: %v", v)
	}
	if diff := cmp.Diff(testBio, got.Biographics()); diff != "" {
		t.Errorf("biographics (-want +got):\n%s", diff)
	}
	fingers, err := got.Fingers()
	if err != nil {
		t.Fatal(err)
	}
	if len(fingers) != 2 {
		t.Fatalf("%d fingers, want 2", len(fingers))
	}
	for i, want := range []*image.Gray{ridges(64, 80, 30, 40), ridges(48, 48, 20, 25)} {
		g := fingers[i].Image.(*image.Gray)
		if !bytes.Equal(g.Pix, want.Pix) || g.Rect != want.Rect {
			t.Errorf("finger %d pixels differ", i)
		}
	}
	if fingers[0].Position != 2 || fingers[1].Position != 7 || fingers[1].Impression != 1 || fingers[1].PPI != 1000 || fingers[0].PPI != 500 {
		t.Errorf("finger metadata: %+v %+v", fingers[0], fingers[1])
	}
	faces, err := got.Faces()
	if err != nil {
		t.Fatal(err)
	}
	if len(faces) != 1 || faces[0].Image.Bounds().Dx() != 40 || faces[0].Pose != "F" {
		t.Fatalf("faces: %+v", faces)
	}
	if cnt := got.Records[0].Value(3); cnt != "1\x1f4\x1e2\x1f00\x1e14\x1f01\x1e14\x1f02\x1e10\x1f03" {
		t.Errorf("CNT %q", cnt)
	}
	if got.Records[0].Value(15) != "3\x1fUTF-8\x1f" {
		t.Errorf("DCS %q, want UTF-8 for non-ASCII names", got.Records[0].Value(15))
	}
}

// TestBiographicsJSONExample checks that the documented example parses and
// builds.
func TestBiographicsJSONExample(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "biographics.json"))
	if err != nil {
		t.Fatal(err)
	}
	var bio Biographics
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&bio); err != nil {
		t.Fatal(err)
	}
	tx, err := Build(BuildRequest{Biographics: bio, Date: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(bio, tx.Biographics()); diff != "" {
		t.Errorf("(-json +transaction):\n%s", diff)
	}
}

func TestBuildErrors(t *testing.T) {
	for name, mut := range map[string]func(*BuildRequest){
		"bad date":       func(r *BuildRequest) { r.Biographics.BirthDate = "28.02.1990" },
		"bad sex":        func(r *BuildRequest) { r.Biographics.Sex = "female" },
		"comma surname":  func(r *BuildRequest) { r.Biographics.Surname = "A,B" },
		"separator":      func(r *BuildRequest) { r.Biographics.PlaceOfBirth = "A\x1eB" },
		"bad position":   func(r *BuildRequest) { r.Fingers[0].Position = 16 },
		"no image":       func(r *BuildRequest) { r.Fingers[0].Image = nil },
		"undecodable":    func(r *BuildRequest) { r.Fingers[0].Data, r.Fingers[0].Compression = []byte{1, 2, 3}, "WSQ20" },
		"bad priority":   func(r *BuildRequest) { r.Priority = 12 },
		"raw needs comp": func(r *BuildRequest) { r.Faces[0].Data = []byte{1, 2, 3} },
	} {
		t.Run(name, func(t *testing.T) {
			req := testRequest()
			mut(&req)
			if _, err := Build(req); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

// TestLegacyBinaryFixture covers the binary Types 4 and 8 without the shared
// data: it builds a transaction with a raw Type-4 and a Type-8 record,
// compares it with testdata/legacy-type4-type8.an2 and reads the finger back.
func TestLegacyBinaryFixture(t *testing.T) {
	tx, err := Build(BuildRequest{Date: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Originator: "XXBIX0001"})
	if err != nil {
		t.Fatal(err)
	}
	g := ridges(32, 24, 16, 12)
	r4, err := NewBinaryRecord(4, []Field{
		NewField(4, 2, []byte("1")), NewField(4, 3, []byte("1")), NewField(4, 4, []byte("3")),
		NewField(4, 5, []byte("0")), NewField(4, 6, []byte("32")), NewField(4, 7, []byte("24")),
		NewField(4, 8, []byte("0")), NewField(4, 9, g.Pix),
	})
	if err != nil {
		t.Fatal(err)
	}
	r8, err := NewBinaryRecord(8, []Field{
		NewField(8, 2, []byte("2")), NewField(8, 3, []byte("0")), NewField(8, 4, []byte("0")),
		NewField(8, 5, []byte("0")), NewField(8, 6, []byte("16")), NewField(8, 7, []byte("2")),
		NewField(8, 8, []byte{0xF0, 0x0F, 0xAA, 0x55}),
	})
	if err != nil {
		t.Fatal(err)
	}
	tx.Records = append(tx.Records, r4, r8)
	tx.Records[0].Set(12, []byte("19.69"))
	if err := tx.Fix(); err != nil {
		t.Fatal(err)
	}
	enc, _ := tx.Bytes()
	golden(t, "legacy-type4-type8.an2", enc)
	fixture, err := os.ReadFile(filepath.Join("testdata", "legacy-type4-type8.an2"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(fixture)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := got.Bytes(); !bytes.Equal(again, fixture) {
		t.Fatal("fixture does not round-trip")
	}
	if v := got.Validate(); len(v) != 0 {
		t.Errorf("violations: %v", v)
	}
	fs, err := got.Fingers()
	if err != nil || len(fs) != 1 {
		t.Fatalf("fingers %v, %v", fs, err)
	}
	if f := fs[0]; f.Position != 3 || f.Impression != 1 || f.PPI != 500 || !bytes.Equal(f.Image.(*image.Gray).Pix, g.Pix) {
		t.Errorf("finger %+v", f)
	}
	if bf := got.Records[2].BinaryFields(); string(bf[3].Value) != "3\x1e255\x1e255\x1e255\x1e255\x1e255" {
		t.Errorf("4.004 FGP %q", bf[3].Value)
	}
	ims := got.Images()
	if len(ims) != 2 || ims[1].BitsPerPixel != 1 {
		t.Fatalf("images %+v", ims)
	}
	sig, err := ims[1].Decode()
	if err != nil {
		t.Fatal(err)
	}
	if c := sig.(*image.Gray).GrayAt(0, 0).Y; c != 0 { // first bit 1 = black
		t.Errorf("signature pixel (0,0) = %d, want 0 (black)", c)
	}
}

func TestWSQUnavailableOrDecoded(t *testing.T) {
	// A WSQ header with no decoder registered must give ErrWSQUnavailable,
	// not a generic error.
	_, err := DecodeImage([]byte{0xFF, 0xA0, 0xFF, 0xA8, 0, 2}, CompressionWSQ, 0, 0, 8)
	if err == nil {
		t.Fatal("decoded a WSQ stub")
	}
	if _, _, ferr := image.DecodeConfig(bytes.NewReader([]byte{0xFF, 0xA0})); errors.Is(ferr, image.ErrFormat) && !errors.Is(err, ErrWSQUnavailable) {
		t.Errorf("err = %v, want ErrWSQUnavailable", err)
	}
}

// TestReferenceFingersDecode decodes every finger of the shared reference
// transactions (WSQ through package wsq) and checks the sizes against HLL
// and VLL.
func TestReferenceFingersDecode(t *testing.T) {
	n := 0
	for _, p := range referenceFiles(t) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		tx, err := Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		fs, err := tx.Fingers()
		if errors.Is(err, ErrUnsupportedCompression) {
			t.Logf("%s: %v", filepath.Base(p), err)
		} else if err != nil {
			t.Errorf("%s: %v", filepath.Base(p), err)
		}
		ims := map[int]Image{}
		for _, im := range tx.Images() {
			ims[im.Record] = im
		}
		for _, f := range fs {
			if f.Image == nil {
				continue
			}
			im := ims[f.Record]
			if got := f.Image.Bounds(); got.Dx() != im.Width || got.Dy() != im.Height {
				t.Errorf("%s record %d: decoded %v, HLL×VLL %d×%d", filepath.Base(p), f.Record, got, im.Width, im.Height)
			}
			n++
		}
	}
	t.Logf("%d finger images decoded", n)
}

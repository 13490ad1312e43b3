package fingerprint

import (
	"bytes"
	"errors"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/bixproject/bix/internal/shareddata"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// handISO is an ISO/IEC 19794-2:2005 record written by hand from clause 7:
// 300×400 px at 197 px/cm, two views, the second with extended data.
var handISO = []byte{
	'F', 'M', 'R', 0, ' ', '2', '0', 0, // format identifier, version
	0, 0, 0, 58, // record length
	0x10, 0x2a, // compliance 1, equipment 0x02a
	0x01, 0x2c, 0x01, 0x90, // 300 × 400
	0x00, 0xc5, 0x00, 0xc5, // 197 px/cm
	2, 0, // two views, reserved
	// view 1: right index, view 0, impression 0, quality 60, 2 minutiae
	2, 0x00, 60, 2,
	0x40, 100, 0x00, 200, 64, 80, // ending at (100, 200), 90°, q80
	0x81, 0x00, 0x01, 0x02, 128, 0, // bifurcation at (256, 258), 180°, q0
	0, 0, // no extended data
	// view 2: right index, view 1, impression 1 (rolled), quality 0, 1 minutia
	2, 0x11, 0, 1,
	0x00, 0x05, 0x00, 0x06, 0, 1, // other at (5, 6), 0°, q1
	0, 4, 0x01, 0x02, 0x03, 0x04, // 4 bytes extended data
}

func TestDecodeISOHandBuilt(t *testing.T) {
	r, err := DecodeISO(handISO)
	if err != nil {
		t.Fatal(err)
	}
	if r.Standard != ISO2005 || r.Compliance != 1 || r.EquipmentID != 0x2a || r.Width != 300 || r.Height != 400 || r.XRes != 197 || r.YRes != 197 || len(r.Views) != 2 {
		t.Fatalf("header %+v", r)
	}
	v := r.Views[0]
	if v.Position != 2 || v.Number != 0 || v.Impression != 0 || v.Quality != 60 || len(v.Minutiae) != 2 || v.Extended != nil {
		t.Fatalf("view 0 %+v", v)
	}
	want := []Minutia{{X: 100, Y: 200, Angle: math.Pi / 2, Kind: KindEnding, Quality: 80}, {X: 256, Y: 258, Angle: math.Pi, Kind: KindBifurcation}}
	for i, m := range want {
		if g := v.Minutiae[i]; g.X != m.X || g.Y != m.Y || g.Kind != m.Kind || g.Quality != m.Quality || math.Abs(g.Angle-m.Angle) > 1e-12 {
			t.Errorf("minutia %d = %+v, want %+v", i, g, m)
		}
	}
	v = r.Views[1]
	if v.Number != 1 || v.Impression != 1 || !bytes.Equal(v.Extended, []byte{1, 2, 3, 4}) || v.Minutiae[0].Kind != KindOther {
		t.Errorf("view 1 %+v", v)
	}
	tm, err := r.Template(0)
	if err != nil || tm.Resolution != 500 || tm.Position != 2 || tm.Quality != 60 || len(tm.Minutiae) != 2 {
		t.Errorf("Template(0) = %+v, %v", tm, err)
	}
	if _, err := r.Template(2); err == nil {
		t.Error("Template(2) of a 2-view record succeeded")
	}
	b, err := r.EncodeISO()
	if err != nil || !bytes.Equal(b, handISO) {
		t.Errorf("EncodeISO = %x, %v\nwant %x", b, err, handISO)
	}
}

// TestINCITSGolden encodes the hand-built record as INCITS 378-2004 and
// compares it with testdata/incits/hand.ansi (rewrite with -update), then
// decodes it back.
func TestINCITSGolden(t *testing.T) {
	r, err := DecodeISO(handISO)
	if err != nil {
		t.Fatal(err)
	}
	r.ProductOwner, r.ProductType = 0x1234, 0x0001
	b, err := r.EncodeINCITS()
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "incits", "hand.ansi")
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, want) {
		t.Errorf("EncodeINCITS = %x\nwant %x", b, want)
	}
	// Header: 2-byte length 60, CBEFF product id, then as ISO.
	if b[8] != 0 || b[9] != byte(len(b)) || b[10] != 0x12 || b[11] != 0x34 || b[14] != 0x10 || b[15] != 0x2a {
		t.Errorf("INCITS header % x", b[:26])
	}
	// 90° is 45 units of 2°.
	if b[26+4+4] != 45 {
		t.Errorf("first minutia angle byte %d, want 45", b[26+4+4])
	}
	d, err := DecodeINCITS(b)
	if err != nil {
		t.Fatal(err)
	}
	if d.ProductOwner != 0x1234 || d.ProductType != 1 || len(d.Views) != 2 || d.Views[0].Minutiae[0].Angle != math.Pi/2 {
		t.Errorf("decoded %+v", d)
	}
}

func TestINCITSLongLength(t *testing.T) {
	r := &Record{Width: 500, Height: 500, XRes: 197, YRes: 197}
	for v := 0; v < 50; v++ {
		w := View{Position: 1}
		for i := 0; i < 250; i++ {
			w.Minutiae = append(w.Minutiae, Minutia{X: i, Y: v, Kind: KindEnding})
		}
		r.Views = append(r.Views, w)
	}
	b, err := r.EncodeINCITS()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) <= 0xffff || b[8] != 0 || b[9] != 0 {
		t.Fatalf("record of %d bytes does not use the 6-byte length", len(b))
	}
	d, err := DecodeINCITS(b)
	if err != nil || len(d.Views) != 50 {
		t.Fatalf("DecodeINCITS: %v", err)
	}
}

func TestDecodeErrors(t *testing.T) {
	mod := func(i int, v byte) []byte { b := append([]byte(nil), handISO...); b[i] = v; return b }
	for _, c := range []struct {
		name string
		b    []byte
		want error
	}{
		{"magic", mod(0, 'X'), ErrMalformed},
		{"version", mod(5, '3'), ErrUnsupported},
		{"length too long", mod(11, 59), ErrTruncated},
		{"length too short", mod(11, 57), ErrMalformed},
		{"no views", mod(22, 0), ErrMalformed},
		{"more views than data", mod(22, 3), ErrTruncated},
		{"fewer views than data", mod(22, 1), ErrMalformed},
		{"position", mod(24, 11), ErrMalformed},
		{"view quality", mod(26, 101), ErrMalformed},
		{"minutiae count", mod(27, 9), ErrTruncated},
		{"minutia type 11", mod(28, 0xc0), ErrMalformed},
		{"minutia quality", mod(33, 101), ErrMalformed},
		{"extended length", mod(53, 40), ErrTruncated},
	} {
		if _, err := DecodeISO(c.b); !errors.Is(err, c.want) {
			t.Errorf("%s: error %v, want %v", c.name, err, c.want)
		}
	}
	for n := 0; n < len(handISO); n++ {
		b := append([]byte(nil), handISO[:n]...)
		if n >= 12 {
			b[11] = byte(n) // consistent length: the views must then be short
		}
		if _, err := DecodeISO(b); err == nil {
			t.Errorf("record truncated to %d bytes decoded", n)
		}
	}
	if _, err := DecodeISO(handISO[:30]); !errors.Is(err, ErrTruncated) {
		t.Errorf("truncated: %v", err)
	}
}

func TestEncodeRejects(t *testing.T) {
	for _, r := range []*Record{
		{},
		{Views: []View{{Position: 11}}},
		{Views: []View{{Minutiae: []Minutia{{X: 1 << 14}}}}},
		{Views: []View{{Minutiae: []Minutia{{Quality: 101}}}}},
		{Width: 1 << 16, Views: []View{{}}},
		{EquipmentID: 0x1000, Views: []View{{}}},
	} {
		if _, err := r.EncodeISO(); err == nil {
			t.Errorf("EncodeISO(%+v) succeeded", r)
		}
		if _, err := r.EncodeINCITS(); err == nil {
			t.Errorf("EncodeINCITS(%+v) succeeded", r)
		}
	}
}

func TestNewRecord(t *testing.T) {
	a := &Template{Width: 300, Height: 400, Resolution: 500, Position: 2, Quality: 50, Minutiae: []Minutia{{X: 1, Y: 2, Angle: 1, Kind: KindEnding, Quality: 9}}}
	r := NewRecord(ISO2005, a, a)
	if r.XRes != 197 || len(r.Views) != 2 || r.Views[1].Number != 1 {
		t.Fatalf("NewRecord = %+v", r)
	}
	b, err := r.EncodeISO()
	if err != nil {
		t.Fatal(err)
	}
	d, err := DecodeISO(b)
	if err != nil {
		t.Fatal(err)
	}
	tm, _ := d.Template(1)
	if tm.Resolution != 500 || tm.Minutiae[0].X != 1 || math.Abs(tm.Minutiae[0].Angle-1) > math.Pi/256 {
		t.Errorf("round trip %+v", tm)
	}
}

// TestSharedRecords decodes the libbiomeval and FVC2002 records and checks
// that re-encoding reproduces them byte for byte.
func TestSharedRecords(t *testing.T) {
	dir := shareddata.Require(t, "ansi-nist", "libbiomeval-test-data")
	for _, c := range []struct {
		file   string
		decode func([]byte) (*Record, error)
		views  int
	}{} {
		b, err := os.ReadFile(filepath.Join(dir, c.file))
		if err != nil {
			t.Fatal(err)
		}
		r, err := c.decode(b)
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if len(r.Views) != c.views || r.Width != 512 || r.XRes != 197 || r.Views[0].Position != 7 || len(r.Views[0].Minutiae) != 27 {
			t.Errorf("%s: %d views, header %+v", c.file, len(r.Views), r)
		}
		enc := r.EncodeISO
		if r.Standard == INCITS2004 {
			enc = r.EncodeINCITS
		}
		if again, err := enc(); err != nil || !bytes.Equal(again, b) {
			t.Errorf("%s: re-encoding differs (%v)", c.file, err)
		}
	}
	// libbiomeval's fmr.ansi2004 has 3 consistent views, then 2 bytes
	// the record length covers but no view claims.
	b, err := os.ReadFile(filepath.Join(dir, "fmr.ansi2004"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeINCITS(b); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "byte 1236") {
		t.Errorf("fmr.ansi2004: %v, want ErrMalformed at byte 1236", err)
	}
	fixed := append([]byte(nil), b[:1236]...)
	fixed[9] = byte(1236 & 0xff)
	fixed[8] = byte(1236 >> 8)
	r, err := DecodeINCITS(fixed)
	if err != nil {
		t.Fatalf("fmr.ansi2004 without its 2 stray bytes: %v", err)
	}
	if len(r.Views) != 3 || r.Width != 512 || r.XRes != 197 || r.Views[0].Position != 7 || len(r.Views[0].Minutiae) != 27 || len(r.Views[2].Extended) != 719 {
		t.Errorf("fmr.ansi2004: %d views, header %+v", len(r.Views), r)
	}
	if again, err := r.EncodeINCITS(); err != nil || !bytes.Equal(again, fixed) {
		t.Errorf("fmr.ansi2004: re-encoding differs (%v)", err)
	}
	// libbiomeval's fmr.iso2005 is inconsistent: its second view declares
	// 42 bytes of extended data at byte 328 but the record (whose length
	// field says 371, its size) ends 41 bytes later.
	b, err = os.ReadFile(filepath.Join(dir, "fmr.iso2005"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeISO(b); !errors.Is(err, ErrTruncated) || !strings.Contains(err.Error(), "byte 328") {
		t.Errorf("fmr.iso2005: %v, want ErrTruncated at byte 328", err)
	}
	// Its first view is whole: the same minutiae as the INCITS record's.
	if _, err := DecodeISO(b[:190+2]); err == nil {
		t.Errorf("fmr.iso2005 cut after view 0 decoded although the header says 2 views")
	}
	b, err = os.ReadFile(filepath.Join(dir, "fmr.ansi2007"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeINCITS(b); !errors.Is(err, ErrUnsupported) {
		t.Errorf("fmr.ansi2007: %v, want ErrUnsupported", err)
	}
}

func TestSharedFVCAndInvalid(t *testing.T) {
	dir := shareddata.Require(t, "fingerprints", "fvc2002-b")
	files, _ := filepath.Glob(filepath.Join(dir, "DB*_B", "*.iso"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r, err := DecodeISO(b)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if again, err := r.EncodeISO(); err != nil || !bytes.Equal(again, b) {
			t.Errorf("%s: re-encoding differs (%v)", f, err)
		}
	}
	inv := shareddata.Require(t, "fingerprints", "invalid-iso")
	bad, _ := filepath.Glob(filepath.Join(inv, "*.iso"))
	for _, f := range bad {
		b, _ := os.ReadFile(f)
		if _, err := DecodeISO(b); !errors.Is(err, ErrTruncated) {
			t.Errorf("%s: %v, want ErrTruncated", f, err)
		} else {
			t.Logf("%s: %v", filepath.Base(f), err)
		}
	}
}

func fuzzSeeds(f *testing.F) {
	f.Add(handISO)
	// A view with a (small) orientation field area, in each standard.
	rng := rand.New(rand.NewPCG(75, 76))
	for _, encode := range [...]func(*Record) ([]byte, error){(*Record).EncodeISO, (*Record).EncodeINCITS} {
		r := NewRecord(ISO2005, synthTemplate(rng, 6))
		r.Views[0].Extended, _ = fieldArea(synthField(rng, 64, 64))
		if b, err := encode(r); err == nil {
			f.Add(b)
		}
	}
	if r, err := DecodeISO(handISO); err == nil {
		if b, err := r.EncodeINCITS(); err == nil {
			f.Add(b)
		}
	}
	if dir, ok := shareddata.Path("ansi-nist", "libbiomeval-test-data"); ok {
		for _, n := range []string{"fmr.iso2005", "fmr.ansi2004", "fmr.ansi2007"} {
			if b, err := os.ReadFile(filepath.Join(dir, n)); err == nil {
				f.Add(b)
			}
		}
	}
	if dir, ok := shareddata.Path("fingerprints"); ok {
		fs, _ := filepath.Glob(filepath.Join(dir, "fvc2002-b", "DB1_B", "10[12]_*.iso"))
		fs2, _ := filepath.Glob(filepath.Join(dir, "invalid-iso", "*.iso"))
		for _, p := range append(fs, fs2...) {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
}

func FuzzDecodeISO(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeISO(b)
		if err != nil {
			return
		}
		again, err := r.EncodeISO()
		if err != nil {
			t.Fatalf("decoded record does not encode: %v", err)
		}
		// Reserved bits are not kept, so compare decoded records.
		r2, err := DecodeISO(again)
		if err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		if !reflect.DeepEqual(r, r2) {
			t.Fatalf("re-encoding changes the record:\n%+v\n%+v", r, r2)
		}
		tm, _ := r.Template(0)
		Compare(tm, tm)
	})
}

func FuzzDecodeINCITS(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeINCITS(b)
		if err != nil {
			return
		}
		again, err := r.EncodeINCITS()
		if err != nil {
			t.Fatalf("decoded record does not encode: %v", err)
		}
		r2, err := DecodeINCITS(again)
		if err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		if !reflect.DeepEqual(r, r2) {
			t.Fatalf("re-encoding changes the record:\n%+v\n%+v", r, r2)
		}
	})
}

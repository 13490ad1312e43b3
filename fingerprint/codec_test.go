package fingerprint

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

func TestMarshalBinaryRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, tm := range []*Template{
		{},
		{Width: 65535, Height: 1, Resolution: 1000, Position: 10, Quality: 100, Minutiae: []Minutia{{X: 65535, Y: 0, Angle: 2*math.Pi - 1e-9, Kind: KindBifurcation, Quality: 100}}},
		synthTemplate(rng, 50),
		withSynthField(rng, synthTemplate(rng, 30)),
	} {
		b, err := tm.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var got Template
		if err := got.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		if got.Width != tm.Width || got.Height != tm.Height || got.Resolution != tm.Resolution || got.Position != tm.Position || got.Quality != tm.Quality || len(got.Minutiae) != len(tm.Minutiae) {
			t.Fatalf("header round trip: got %+v, want %+v", got, tm)
		}
		for i, m := range tm.Minutiae {
			g := got.Minutiae[i]
			if g.X != m.X || g.Y != m.Y || g.Kind != m.Kind || g.Quality != m.Quality || math.Abs(angleDiff(g.Angle, m.Angle)) > math.Pi/65536+1e-12 {
				t.Errorf("minutia %d: got %+v, want %+v", i, g, m)
			}
		}
		if !reflect.DeepEqual(got.Field, tm.Field) {
			t.Errorf("orientation field: got %+v, want %+v", got.Field, tm.Field)
		}
		again, _ := got.MarshalBinary()
		if !bytes.Equal(again, b) {
			t.Errorf("re-encoding differs")
		}
	}
}

// withSynthField gives t a synthetic orientation field and returns it.
func withSynthField(rng *rand.Rand, t *Template) *Template {
	t.Field = synthField(rng, t.Width, t.Height)
	return t
}

func TestMarshalBinaryRejects(t *testing.T) {
	for _, tm := range []*Template{
		{Width: -1},
		{Resolution: 70000},
		{Quality: 101},
		{Minutiae: []Minutia{{X: -1}}},
		{Minutiae: []Minutia{{Kind: 3}}},
		{Minutiae: []Minutia{{Angle: math.NaN()}}},
		{Field: &OrientationField{Width: 1, Height: 1, Dir: []uint8{0}, Coherence: nil}},
		{Field: &OrientationField{Width: 1, Height: 1, Dir: []uint8{180}, Coherence: []uint8{9}}},
		{Field: &OrientationField{Width: 1, Height: 1, Dir: []uint8{7}, Coherence: []uint8{0}}},
		{Field: &OrientationField{Width: 1, Height: 0}},
	} {
		if _, err := tm.MarshalBinary(); err == nil {
			t.Errorf("MarshalBinary(%+v) succeeded", tm)
		}
	}
}

func TestUnmarshalBinaryErrors(t *testing.T) {
	good, err := (&Template{Width: 300, Height: 400, Resolution: 500, Minutiae: []Minutia{{X: 1, Y: 2, Kind: KindEnding}, {X: 3, Y: 4}}}).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	mod := func(i int, v byte) []byte { b := append([]byte(nil), good...); b[i] = v; return b }
	for _, c := range []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"magic", mod(0, 'X'), ErrMalformed},
		{"version", mod(4, 3), ErrUnsupported},
		{"version 2 without a field", mod(4, 2), ErrTruncated},
		{"flags", mod(5, 1), ErrMalformed},
		{"quality", mod(13, 101), ErrMalformed},
		{"short", good[:len(good)-1], ErrTruncated},
		{"long", append(append([]byte(nil), good...), 0), ErrMalformed},
		{"kind", mod(16+6, 3), ErrMalformed},
		{"minutia quality", mod(16+8+7, 200), ErrMalformed},
	} {
		var tm Template
		if err := tm.UnmarshalBinary(c.b); !errors.Is(err, c.want) {
			t.Errorf("%s: error %v, want %v", c.name, err, c.want)
		}
	}
	for n := 0; n < len(good); n++ {
		var tm Template
		if err := tm.UnmarshalBinary(good[:n]); !errors.Is(err, ErrTruncated) {
			t.Errorf("truncated to %d bytes: error %v, want ErrTruncated", n, err)
		}
	}
}

// TestUnmarshalBinaryFieldErrors checks that a damaged orientation field
// is refused with the byte offset of what is wrong.
func TestUnmarshalBinaryFieldErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	tm := withSynthField(rng, synthTemplate(rng, 3))
	good, err := tm.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	off := codecHeaderLen + codecMinutia*len(tm.Minutiae)
	nb := tm.Field.Width * tm.Field.Height
	bg, fg := -1, -1 // a block outside and one inside the print
	for k, c := range tm.Field.Coherence {
		if c == 0 && bg < 0 {
			bg = k
		}
		if c != 0 && fg < 0 {
			fg = k
		}
	}
	for n := 0; n < len(good); n++ {
		var got Template
		if err := got.UnmarshalBinary(good[:n]); !errors.Is(err, ErrTruncated) {
			t.Errorf("truncated to %d bytes: error %v, want ErrTruncated", n, err)
		}
	}
	dirAt, cohAt := off+codecFieldHeader, off+codecFieldHeader+nb
	for _, c := range []struct {
		name   string
		damage func(b []byte) []byte
		want   error
		where  int
	}{
		{"extra byte", func(b []byte) []byte { return append(b, 0) }, ErrMalformed, off},
		{"short", func(b []byte) []byte { return b[:len(b)-1] }, ErrTruncated, off},
		{"no blocks across but some down", func(b []byte) []byte {
			b[off], b[off+1] = 0, 0
			return b[:off+codecFieldHeader]
		}, ErrMalformed, off},
		{"direction 180", func(b []byte) []byte { b[dirAt+fg] = 180; return b }, ErrMalformed, dirAt + fg},
		{"direction outside the print", func(b []byte) []byte { b[dirAt+bg] = 5; return b }, ErrMalformed, dirAt + bg},
		{"coherence 0 under a direction", func(b []byte) []byte {
			b[dirAt+fg] = 5
			b[cohAt+fg] = 0
			return b
		}, ErrMalformed, dirAt + fg},
	} {
		var got Template
		err := got.UnmarshalBinary(c.damage(bytes.Clone(good)))
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), fmt.Sprintf("byte %d:", c.where)) {
			t.Errorf("%s: %v, want %v at byte %d", c.name, err, c.want, c.where)
		}
	}
}

func FuzzUnmarshalBinary(f *testing.F) {
	rng := rand.New(rand.NewPCG(23, 24))
	for _, n := range []int{0, 1, 5, 40} {
		b, _ := synthTemplate(rng, n).MarshalBinary()
		f.Add(b)
		b, _ = withSynthField(rng, synthTemplate(rng, n)).MarshalBinary()
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var tm Template
		if err := tm.UnmarshalBinary(b); err != nil {
			return
		}
		again, err := tm.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded template does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs:\n%x\n%x", b, again)
		}
		Compare(&tm, &tm)
	})
}

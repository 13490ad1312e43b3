package fingerprint

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func TestMarshalBinaryRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, tm := range []*Template{
		{},
		{Width: 65535, Height: 1, Resolution: 1000, Position: 10, Quality: 100, Minutiae: []Minutia{{X: 65535, Y: 0, Angle: 2*math.Pi - 1e-9, Kind: KindBifurcation, Quality: 100}}},
		synthTemplate(rng, 50),
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
		again, _ := got.MarshalBinary()
		if !bytes.Equal(again, b) {
			t.Errorf("re-encoding differs")
		}
	}
}

func TestMarshalBinaryRejects(t *testing.T) {
	for _, tm := range []*Template{
		{Width: -1},
		{Resolution: 70000},
		{Quality: 101},
		{Minutiae: []Minutia{{X: -1}}},
		{Minutiae: []Minutia{{Kind: 3}}},
		{Minutiae: []Minutia{{Angle: math.NaN()}}},
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
		{"version", mod(4, 2), ErrUnsupported},
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

func FuzzUnmarshalBinary(f *testing.F) {
	rng := rand.New(rand.NewPCG(23, 24))
	for _, n := range []int{0, 1, 5, 40} {
		b, _ := synthTemplate(rng, n).MarshalBinary()
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

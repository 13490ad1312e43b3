package fingerprint

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// samePrepared reports whether a and b hold the same cylinders, box and grid.
func samePrepared(a, b *Prepared) bool {
	if len(a.cyl) == 0 || len(b.cyl) == 0 {
		return len(a.cyl) == len(b.cyl) && a.gw == b.gw && a.gh == b.gh
	}
	return reflect.DeepEqual(a, b)
}

// TestPreparedRoundTrip checks that a decoded prepared template is the one
// Prepare made (cylinders with their counts, box and grid) and scores
// exactly like it, for templates of 0 to 90 minutiae (more than the
// matcher's 64), other resolutions, and impressions of each other.
func TestPreparedRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	var ts []*Template
	for _, n := range []int{0, 1, 2, 5, 12, 30, 45, 64, 90} {
		m := synthTemplate(rng, n)
		ts = append(ts, m, impress(rng, m, 0.3, 12, -7), withSynthField(rng, impress(rng, m, -0.2, 3, 9)))
	}
	hi := withSynthField(rng, synthTemplate(rng, 40))
	hi.Resolution = 1000
	ts = append(ts, hi)
	probe := NewProbe(ts[len(ts)/2])
	for i, tm := range ts {
		p := Prepare(tm)
		b, err := p.MarshalBinary()
		if err != nil {
			t.Fatalf("template %d: %v", i, err)
		}
		if want := preparedHeaderLen + preparedCylinder*p.Len() + preparedFieldLen + int(p.field.w*p.field.h); len(b) != want {
			t.Fatalf("template %d: %d bytes, want %d", i, len(b), want)
		}
		var q Prepared
		if err := q.UnmarshalBinary(b); err != nil {
			t.Fatalf("template %d: %v", i, err)
		}
		if !samePrepared(p, &q) {
			t.Fatalf("template %d (%d minutiae): decoded prepared template differs", i, len(tm.Minutiae))
		}
		for _, other := range ts {
			pr := NewProbe(other)
			if a, b := pr.Score(p), pr.Score(&q); a != b {
				t.Fatalf("template %d: score %v prepared, %v decoded", i, a, b)
			}
		}
		if a, b := probe.Score(p), probe.Score(&q); a != b {
			t.Fatalf("template %d: score %v prepared, %v decoded", i, a, b)
		}
	}
}

// TestPreparedUnmarshalErrors checks that every damaged encoding is refused
// with the sentinel and the byte offset of what is wrong.
func TestPreparedUnmarshalErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	tm := withSynthField(rng, synthTemplate(rng, 30))
	good, err := Prepare(tm).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	n := int(good[5])
	// Offsets in the field: its header and its first block (in the margin).
	fo := preparedHeaderLen + preparedCylinder*n
	bg := 0 // a block of the field's empty margin
	bgAt := fo + preparedFieldLen + bg
	if n < 3 {
		t.Fatalf("fixture has %d cylinders", n)
	}
	for k := range len(good) {
		var p Prepared
		if err := p.UnmarshalBinary(good[:k]); !errors.Is(err, ErrTruncated) {
			t.Fatalf("truncated to %d bytes: %v, want ErrTruncated", k, err)
		}
	}
	// Offsets in cylinder 1.
	c1 := preparedHeaderLen + preparedCylinder
	geo := c1 + 8*mccWords + 8*mccVWords
	f32 := func(b []byte, off int, v float32) { binary.LittleEndian.PutUint32(b[off:], math.Float32bits(v)) }
	for _, c := range []struct {
		name   string
		damage func(b []byte) []byte
		want   error
		where  string
	}{
		{"extra byte", func(b []byte) []byte { return append(b, 0) }, ErrMalformed, "byte " + strconv.Itoa(fo)},
		{"field without blocks down", func(b []byte) []byte {
			binary.LittleEndian.PutUint16(b[fo+2:], 0)
			return b[:fo+preparedFieldLen]
		}, ErrMalformed, "byte " + strconv.Itoa(fo)},
		{"field block side", func(b []byte) []byte { f32(b, fo+4, float32(math.Inf(1))); return b }, ErrMalformed, "byte " + strconv.Itoa(fo+4)},
		{"field block beyond the largest", func(b []byte) []byte { b[bgAt] = maxFieldCell + 1; return b }, ErrMalformed, "byte " + strconv.Itoa(bgAt)},
		{"magic", func(b []byte) []byte { b[0] = 'X'; return b }, ErrMalformed, "byte 0"},
		{"version", func(b []byte) []byte { b[4] = preparedVersion + 1; return b }, ErrUnsupported, "byte 4"},
		{"too many cylinders", func(b []byte) []byte {
			b[5] = maxMatchM + 1
			return append(b, make([]byte, preparedCylinder*(maxMatchM+1-n))...)
		}, ErrMalformed, "byte 5"},
		{"valid cell outside the radius", func(b []byte) []byte {
			binary.LittleEndian.PutUint64(b[geo-8:], ^uint64(0))
			return b
		}, ErrMalformed, "cylinder 1 byte " + strconv.Itoa(geo-8)},
		{"too few valid cells", func(b []byte) []byte { binary.LittleEndian.PutUint64(b[geo-8:], 1); return b }, ErrMalformed, "cylinder 1 byte " + strconv.Itoa(geo-8)},
		{"NaN position", func(b []byte) []byte { f32(b, geo, float32(math.NaN())); return b }, ErrMalformed, "cylinder 1 byte " + strconv.Itoa(geo)},
		{"far position", func(b []byte) []byte { f32(b, geo+4, 3e6); return b }, ErrMalformed, "cylinder 1 byte " + strconv.Itoa(geo)},
		{"direction out of range", func(b []byte) []byte { f32(b, geo+8, 7); return b }, ErrMalformed, "cylinder 1 byte " + strconv.Itoa(geo+8)},
		{"directions out of order", func(b []byte) []byte { f32(b, geo+8+preparedCylinder, 0); return b }, ErrMalformed, "cylinder 2 byte " + strconv.Itoa(geo+8+preparedCylinder)},
		{"cosine out of range", func(b []byte) []byte { f32(b, geo+12, 1.5); return b }, ErrMalformed, "cylinder 1 byte " + strconv.Itoa(geo+12)},
	} {
		b := c.damage(bytes.Clone(good))
		var p Prepared
		err := p.UnmarshalBinary(b)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.where+":") {
			t.Errorf("%s: %v, want %v at %q", c.name, err, c.want, c.where)
		}
	}
}

// FuzzUnmarshalPrepared checks that the decoder never panics, that what it
// accepts encodes back to the same bytes, and that it can be compared.
func FuzzUnmarshalPrepared(f *testing.F) {
	rng := rand.New(rand.NewPCG(45, 46))
	for _, n := range []int{0, 1, 8, 40} {
		b, _ := Prepare(synthTemplate(rng, n)).MarshalBinary()
		f.Add(b)
		b, _ = Prepare(withSynthField(rng, synthTemplate(rng, n))).MarshalBinary()
		f.Add(b)
	}
	probe := NewProbe(withSynthField(rng, synthTemplate(rng, 35)))
	other := Prepare(withSynthField(rng, synthTemplate(rng, 20)))
	f.Fuzz(func(t *testing.T, b []byte) {
		var p Prepared
		if err := p.UnmarshalBinary(b); err != nil {
			return
		}
		again, err := p.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded prepared template does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs:\n%x\n%x", b, again)
		}
		if s := probe.Score(&p); !(s >= 0 && s <= 1) {
			t.Fatalf("score %v", s)
		}
		if s := NewProbePrepared(&p).Score(other); !(s >= 0 && s <= 1) {
			t.Fatalf("score as a probe %v", s)
		}
	})
}

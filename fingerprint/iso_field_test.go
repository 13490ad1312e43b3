package fingerprint

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// quantized is f as a record's field area keeps it: each block at the
// middle of its direction step and coherence level (fieldCell).
func quantized(f *OrientationField) *OrientationField {
	q := &OrientationField{Width: f.Width, Height: f.Height, Dir: make([]uint8, len(f.Dir)), Coherence: make([]uint8, len(f.Dir))}
	for k, d := range f.Dir {
		c := fieldCell(d, f.Coherence[k])
		q.Dir[k], q.Coherence[k] = uint8(cellDir[c]), uint8(cellWeight[c])
	}
	return q
}

// TestRecordFieldRoundTrip checks that a template's orientation field
// travels in its view's extended data through both standards, behind an
// area of another type, as the matcher keeps it (so that it prepares to
// the same field), and that a record without one gives no field.
func TestRecordFieldRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(71, 72))
	tm := withSynthField(rng, synthTemplate(rng, 25))
	tm.Position = 3
	for _, std := range []Standard{ISO2005, INCITS2004} {
		r := NewRecord(std, tm, synthTemplate(rng, 10))
		// a ridge count area (type 1, method 0, one count) before the field
		r.Views[0].Extended = append([]byte{0, 1, 0, 8, 0, 1, 2, 5}, r.Views[0].Extended...)
		var b []byte
		var err error
		if std == ISO2005 {
			b, err = r.EncodeISO()
		} else {
			b, err = r.EncodeINCITS()
		}
		if err != nil {
			t.Fatal(err)
		}
		dec := DecodeISO
		if std == INCITS2004 {
			dec = DecodeINCITS
		}
		back, err := dec(b)
		if err != nil {
			t.Fatal(err)
		}
		got, err := back.Template(0)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Field, quantized(tm.Field)) {
			t.Errorf("%v: field %+v, want %+v", std, got.Field, quantized(tm.Field))
		}
		if a, b := prepareField(got.Field, 1), prepareField(tm.Field, 1); !reflect.DeepEqual(a, b) {
			t.Errorf("%v: the decoded field prepares differently", std)
		}
		other, err := back.Template(1)
		if err != nil || other.Field != nil {
			t.Errorf("%v: view without a field gives %+v, %v", std, other.Field, err)
		}
	}
}

// fieldAreaV1 is f's field area in version 1 (directions, then
// coherences), with block k's direction set to dir when k ≥ 0.
func fieldAreaV1(f *OrientationField, k int, dir uint8) []byte {
	n := len(f.Dir)
	b := binary.BigEndian.AppendUint16(nil, fieldAreaType)
	b = binary.BigEndian.AppendUint16(b, uint16(fieldAreaHeader+2*n))
	b = append(b, 1)
	b = binary.BigEndian.AppendUint16(b, uint16(f.Width))
	b = binary.BigEndian.AppendUint16(b, uint16(f.Height))
	b = append(append(b, f.Dir...), f.Coherence...)
	if k >= 0 {
		b[fieldAreaHeader+k] = dir
	}
	return b
}

// TestRecordFieldVersion1 checks that a version 1 field area, two bytes
// per block at full precision, is still read.
func TestRecordFieldVersion1(t *testing.T) {
	rng := rand.New(rand.NewPCG(77, 78))
	f := synthField(rng, 120, 80)
	r := NewRecord(ISO2005, synthTemplate(rng, 5))
	r.Views[0].Extended = fieldAreaV1(f, -1, 0)
	got, err := r.Template(0)
	if err != nil || !reflect.DeepEqual(got.Field, f) {
		t.Errorf("version 1 area: %+v, %v; want %+v", got.Field, err, f)
	}
}

// TestRecordFieldErrors checks that damaged extended data is refused by
// Template with the offset within the extended data.
func TestRecordFieldErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(73, 74))
	field := synthField(rng, 96, 96)
	area, ok := fieldArea(field)
	if !ok {
		t.Fatal("no field area")
	}
	fg := slices.IndexFunc(field.Coherence, func(c uint8) bool { return c != 0 }) // a block in the print
	for _, c := range []struct {
		name string
		ext  func() []byte
		want error
		at   int
	}{
		{"short area header", func() []byte { return []byte{0, 1, 0} }, ErrTruncated, 0},
		{"area longer than the block", func() []byte { return []byte{0, 1, 0, 9, 0} }, ErrMalformed, 2},
		{"area shorter than its header", func() []byte { return []byte{0, 1, 0, 3, 0} }, ErrMalformed, 2},
		{"field version", func() []byte { b := bytes.Clone(area); b[4] = 9; return b }, ErrUnsupported, 4},
		{"field size", func() []byte { b := bytes.Clone(area); binary.BigEndian.PutUint16(b[5:], 5); return b }, ErrMalformed, 5},
		{"field block beyond the largest", func() []byte { b := bytes.Clone(area); b[fieldAreaHeader+fg] = maxFieldCell + 1; return b }, ErrMalformed, fieldAreaHeader + fg},
		{"version 1 direction 180", func() []byte { return fieldAreaV1(field, fg, 180) }, ErrMalformed, fieldAreaHeader + fg},
		{"two fields", func() []byte { return append(bytes.Clone(area), area...) }, ErrMalformed, len(area)},
	} {
		r := NewRecord(ISO2005, synthTemplate(rng, 5))
		r.Views[0].Extended = c.ext()
		_, err := r.Template(0)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), fmt.Sprintf("finger view 0 extended data byte %d:", c.at)) {
			t.Errorf("%s: %v, want %v at extended data byte %d", c.name, err, c.want, c.at)
		}
	}
}

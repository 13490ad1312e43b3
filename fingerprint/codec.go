package fingerprint

import (
	"encoding/binary"
	"fmt"
	"math"
)

// The bix template format, versions 1 and 2, big-endian:
//
//	offset size field
//	0      4    magic "BIXF"
//	4      1    version (1: minutiae; 2: minutiae and orientation field)
//	5      1    flags (0; readers reject other values)
//	6      2    width, pixels
//	8      2    height, pixels
//	10     2    resolution, pixels per inch
//	12     1    finger position (ANSI/NIST-ITL Table 8)
//	13     1    impression quality 0..100
//	14     2    number of minutiae n
//	16     8n   minutiae: x (2), y (2), angle (2, units of 2π/65536),
//	            kind (1: 0 other, 1 ending, 2 bifurcation), quality (1, 0..100)
//
// Version 2 goes on with the orientation field (OrientationField):
//
//	16+8n  2    blocks across fw
//	18+8n  2    blocks down fh
//	20+8n  fw·fh directions, degrees 0..179, row by row (0 outside the print)
//	..     fw·fh coherences, 1..255 in the print, 0 outside
//
// The length must be exactly 16+8n (version 1) or 20+8n+2·fw·fh (version 2).
// Angles keep 0.0055° precision, finer than either ISO (1.4°) or INCITS
// (2°).
const (
	codecMagic        = "BIXF"
	codecVersion      = 1
	codecVersionField = 2
	codecHeaderLen    = 16
	codecMinutia      = 8
	codecFieldHeader  = 4
)

// MarshalBinary encodes t in the bix template format (magic "BIXF"; see
// the format above): version 2 when t has an orientation field, else
// version 1. It fails when a field does not fit.
func (t *Template) MarshalBinary() ([]byte, error) {
	for _, f := range []int{t.Width, t.Height, t.Resolution} {
		if f < 0 || f > math.MaxUint16 {
			return nil, fmt.Errorf("bix template: size or resolution %d outside 0..65535", f)
		}
	}
	if t.Position < 0 || t.Position > math.MaxUint8 || t.Quality < 0 || t.Quality > 100 {
		return nil, fmt.Errorf("bix template: position %d or quality %d out of range", t.Position, t.Quality)
	}
	if len(t.Minutiae) > math.MaxUint16 {
		return nil, fmt.Errorf("bix template: %d minutiae, at most 65535", len(t.Minutiae))
	}
	version := byte(codecVersion)
	if f := t.Field; f != nil {
		if err := f.validate(); err != nil {
			return nil, fmt.Errorf("bix template: %w", err)
		}
		if f.Width > math.MaxUint16 || f.Height > math.MaxUint16 {
			return nil, fmt.Errorf("bix template: orientation field %d×%d blocks, at most 65535 each way", f.Width, f.Height)
		}
		version = codecVersionField
	}
	b := make([]byte, 0, codecHeaderLen+codecMinutia*len(t.Minutiae))
	b = append(b, codecMagic...)
	b = append(b, version, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(t.Width))
	b = binary.BigEndian.AppendUint16(b, uint16(t.Height))
	b = binary.BigEndian.AppendUint16(b, uint16(t.Resolution))
	b = append(b, byte(t.Position), byte(t.Quality))
	b = binary.BigEndian.AppendUint16(b, uint16(len(t.Minutiae)))
	for i, m := range t.Minutiae {
		if m.X < 0 || m.X > math.MaxUint16 || m.Y < 0 || m.Y > math.MaxUint16 || m.Kind > KindBifurcation || m.Quality > 100 || math.IsNaN(m.Angle) || math.IsInf(m.Angle, 0) {
			return nil, fmt.Errorf("bix template: minutia %d: (%d, %d) angle %v kind %d quality %d out of range", i, m.X, m.Y, m.Angle, m.Kind, m.Quality)
		}
		a := math.Mod(m.Angle, 2*math.Pi)
		if a < 0 {
			a += 2 * math.Pi
		}
		q := uint16(int(math.Round(a*65536/(2*math.Pi))) & 0xffff)
		b = binary.BigEndian.AppendUint16(b, uint16(m.X))
		b = binary.BigEndian.AppendUint16(b, uint16(m.Y))
		b = binary.BigEndian.AppendUint16(b, q)
		b = append(b, byte(m.Kind), m.Quality)
	}
	if f := t.Field; f != nil {
		b = binary.BigEndian.AppendUint16(b, uint16(f.Width))
		b = binary.BigEndian.AppendUint16(b, uint16(f.Height))
		b = append(b, f.Dir...)
		b = append(b, f.Coherence...)
	}
	return b, nil
}

// UnmarshalBinary decodes the bix template format into t, replacing its
// contents. Errors name the byte offset and wrap ErrTruncated, ErrMalformed
// or ErrUnsupported.
func (t *Template) UnmarshalBinary(b []byte) error {
	if len(b) < codecHeaderLen {
		return fmt.Errorf("bix template header: %d bytes, need %d: %w", len(b), codecHeaderLen, ErrTruncated)
	}
	if string(b[:4]) != codecMagic {
		return fmt.Errorf("bix template byte 0: magic %q, want %q: %w", b[:4], codecMagic, ErrMalformed)
	}
	version := b[4]
	if version != codecVersion && version != codecVersionField {
		return fmt.Errorf("bix template byte 4: version %d, want %d or %d: %w", version, codecVersion, codecVersionField, ErrUnsupported)
	}
	if b[5] != 0 {
		return fmt.Errorf("bix template byte 5: flags %#x, want 0: %w", b[5], ErrMalformed)
	}
	if b[13] > 100 {
		return fmt.Errorf("bix template byte 13: quality %d > 100: %w", b[13], ErrMalformed)
	}
	n := int(binary.BigEndian.Uint16(b[14:16]))
	end := codecHeaderLen + codecMinutia*n
	need := end // version 2: at least, with the field's header
	if version == codecVersionField {
		need += codecFieldHeader
	}
	if len(b) < need || version == codecVersion && len(b) > need {
		err := ErrTruncated
		if len(b) > need {
			err = ErrMalformed
		}
		return fmt.Errorf("bix template byte 14: %d minutiae need %d bytes, have %d: %w", n, need, len(b), err)
	}
	nt := Template{
		Width:      int(binary.BigEndian.Uint16(b[6:8])),
		Height:     int(binary.BigEndian.Uint16(b[8:10])),
		Resolution: int(binary.BigEndian.Uint16(b[10:12])),
		Position:   int(b[12]),
		Quality:    int(b[13]),
		Minutiae:   make([]Minutia, n),
	}
	for i := range nt.Minutiae {
		off := codecHeaderLen + codecMinutia*i
		m := b[off : off+codecMinutia]
		if m[6] > byte(KindBifurcation) {
			return fmt.Errorf("bix template minutia %d byte %d: kind %d: %w", i, off+6, m[6], ErrMalformed)
		}
		if m[7] > 100 {
			return fmt.Errorf("bix template minutia %d byte %d: quality %d > 100: %w", i, off+7, m[7], ErrMalformed)
		}
		nt.Minutiae[i] = Minutia{
			X:       int(binary.BigEndian.Uint16(m[0:2])),
			Y:       int(binary.BigEndian.Uint16(m[2:4])),
			Angle:   float64(binary.BigEndian.Uint16(m[4:6])) * 2 * math.Pi / 65536,
			Kind:    Kind(m[6]),
			Quality: m[7],
		}
	}
	if version == codecVersionField {
		f, err := decodeField(b, end)
		if err != nil {
			return err
		}
		nt.Field = f
	}
	*t = nt
	return nil
}

// decodeField decodes the orientation field of a version 2 template,
// which starts at byte off of b and must end b.
func decodeField(b []byte, off int) (*OrientationField, error) {
	fw, fh := int(binary.BigEndian.Uint16(b[off:])), int(binary.BigEndian.Uint16(b[off+2:]))
	nb := fw * fh
	if want := off + codecFieldHeader + 2*nb; len(b) != want {
		err := ErrTruncated
		if len(b) > want {
			err = ErrMalformed
		}
		return nil, fmt.Errorf("bix template byte %d: a %d×%d-block orientation field needs %d bytes in all, have %d: %w", off, fw, fh, want, len(b), err)
	}
	if (fw == 0) != (fh == 0) {
		return nil, fmt.Errorf("bix template byte %d: orientation field %d×%d blocks: %w", off, fw, fh, ErrMalformed)
	}
	planes := b[off+codecFieldHeader:]
	f, k := fieldFromPlanes(fw, fh, planes)
	if k >= 0 {
		return nil, fmt.Errorf("bix template byte %d: orientation field block (%d, %d): direction %d with coherence %d: %w", off+codecFieldHeader+k, k%fw, k/fw, planes[k], planes[nb+k], ErrMalformed)
	}
	return f, nil
}

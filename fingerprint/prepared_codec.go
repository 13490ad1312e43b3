package fingerprint

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
)

// The prepared template format, version 2, little-endian: what Prepare
// computes, so that a gallery can be loaded without computing the
// cylinders again (Prepare costs about a millisecond per template; decoding
// a few microseconds).
//
//	offset size field
//	0      4    magic "BIXP"
//	4      1    version (2)
//	5      1    number of cylinders n, at most 64
//	6      76n  cylinders, in the matcher's order (direction ascending):
//	            cell bits (6 × 8: one word per direction slice),
//	            valid cells (8), then float32 x, y (pixels at 500 ppi,
//	            y up), direction θ in [0, 2π), cos θ, sin θ
//	6+76n  2    orientation field blocks across w (0: no field)
//	8+76n  2    blocks down h (0 when w is)
//	10+76n 4    float32 block side, pixels at 500 ppi
//	14+76n wh   blocks, row by row, one byte each: 0 outside the print,
//	            else 1 + 4·(direction in 3° steps) + coherence level 0..3
//	            (at most 240)
//
// The length must be exactly 14+76n+wh. The per-cell counts, bounding box,
// position grid and the field's border are derived again when decoding.
// The format belongs to the matcher's parameters (cylinder size, radius, σ,
// thresholds): a matcher that changes them must change preparedVersion,
// and readers then refuse older encodings with ErrUnsupported, to be
// prepared again from the template.
const (
	preparedMagic     = "BIXP"
	preparedVersion   = 2
	preparedHeaderLen = 6
	preparedCylinder  = 8*mccWords + 8*mccVWords + 5*4
	preparedFieldLen  = 8
	// preparedMaxCoord bounds decoded coordinates: 16-bit template
	// coordinates scaled from resolutions down to 250 ppi, with room.
	preparedMaxCoord = 1 << 20
)

// MarshalBinary encodes p in the prepared template format (magic "BIXP",
// version 2; see the format above).
func (p *Prepared) MarshalBinary() ([]byte, error) {
	if len(p.cyl) > maxMatchM {
		return nil, fmt.Errorf("prepared template: %d cylinders, at most %d", len(p.cyl), maxMatchM)
	}
	b := make([]byte, 0, preparedHeaderLen+preparedCylinder*len(p.cyl))
	b = append(b, preparedMagic...)
	b = append(b, preparedVersion, byte(len(p.cyl)))
	for _, c := range p.cyl {
		for _, w := range c.bits {
			b = binary.LittleEndian.AppendUint64(b, w)
		}
		b = binary.LittleEndian.AppendUint64(b, c.valid)
		for _, f := range [...]float32{c.x, c.y, c.theta, c.cos, c.sin} {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
		}
	}
	f := &p.field
	b = binary.LittleEndian.AppendUint16(b, uint16(f.w))
	b = binary.LittleEndian.AppendUint16(b, uint16(f.h))
	b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f.side))
	for j := int32(0); j < f.h; j++ {
		b = append(b, f.cells[(j+1)*(f.w+2)+1:(j+1)*(f.w+2)+1+f.w]...)
	}
	return b, nil
}

// UnmarshalBinary decodes the prepared template format into p, replacing
// its contents; the result compares exactly as the Prepared that was
// encoded. Errors name the byte offset and wrap ErrTruncated, ErrMalformed
// or ErrUnsupported (another version: prepare the template again).
func (p *Prepared) UnmarshalBinary(b []byte) error {
	if len(b) < preparedHeaderLen {
		return fmt.Errorf("prepared template header: %d bytes, need %d: %w", len(b), preparedHeaderLen, ErrTruncated)
	}
	if string(b[:4]) != preparedMagic {
		return fmt.Errorf("prepared template byte 0: magic %q, want %q: %w", b[:4], preparedMagic, ErrMalformed)
	}
	if b[4] != preparedVersion {
		return fmt.Errorf("prepared template byte 4: version %d, want %d: %w", b[4], preparedVersion, ErrUnsupported)
	}
	n := int(b[5])
	if n > maxMatchM {
		return fmt.Errorf("prepared template byte 5: %d cylinders, at most %d: %w", n, maxMatchM, ErrMalformed)
	}
	end := preparedHeaderLen + preparedCylinder*n
	if want := end + preparedFieldLen; len(b) < want {
		return fmt.Errorf("prepared template byte 5: %d cylinders need %d bytes with the field's header, have %d: %w", n, want, len(b), ErrTruncated)
	}
	np := Prepared{cyl: make([]cylinder, n)}
	for i := range np.cyl {
		off := preparedHeaderLen + preparedCylinder*i
		c := &np.cyl[i]
		r := b[off:]
		for k := range c.bits {
			c.bits[k] = binary.LittleEndian.Uint64(r[8*k:])
		}
		r = r[8*mccWords:]
		c.valid = binary.LittleEndian.Uint64(r)
		r = r[8:]
		f := func(k int) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(r[4*k:])) }
		c.x, c.y, c.theta, c.cos, c.sin = f(0), f(1), f(2), f(3), f(4)
		geo := off + 8*mccWords + 8*mccVWords
		switch {
		case c.valid&^mccInMask != 0 || bits.OnesCount64(c.valid) < mccMinValid:
			return fmt.Errorf("prepared template cylinder %d byte %d: valid cells %#x outside the radius or fewer than %d: %w", i, geo-8, c.valid, mccMinValid, ErrMalformed)
		case !(math.Abs(float64(c.x)) <= preparedMaxCoord && math.Abs(float64(c.y)) <= preparedMaxCoord):
			return fmt.Errorf("prepared template cylinder %d byte %d: position (%v, %v) out of range: %w", i, geo, c.x, c.y, ErrMalformed)
		case !(c.theta >= 0 && c.theta < 2*math.Pi):
			return fmt.Errorf("prepared template cylinder %d byte %d: direction %v outside [0, 2π): %w", i, geo+8, c.theta, ErrMalformed)
		case i > 0 && c.theta < np.cyl[i-1].theta:
			return fmt.Errorf("prepared template cylinder %d byte %d: direction %v below the previous cylinder's %v: %w", i, geo+8, c.theta, np.cyl[i-1].theta, ErrMalformed)
		case !(math.Abs(float64(c.cos)) <= 1 && math.Abs(float64(c.sin)) <= 1):
			return fmt.Errorf("prepared template cylinder %d byte %d: cosine %v or sine %v outside [-1, 1]: %w", i, geo+12, c.cos, c.sin, ErrMalformed)
		}
		c.count()
	}
	f, err := decodePreparedField(b, end)
	if err != nil {
		return err
	}
	np.field = f
	np.index()
	*p = np
	return nil
}

// decodePreparedField decodes the orientation field that starts at byte
// off of b and must end b.
func decodePreparedField(b []byte, off int) (preparedField, error) {
	w, h := int(binary.LittleEndian.Uint16(b[off:])), int(binary.LittleEndian.Uint16(b[off+2:]))
	side := math.Float32frombits(binary.LittleEndian.Uint32(b[off+4:]))
	if want := off + preparedFieldLen + w*h; len(b) != want {
		err := ErrTruncated
		if len(b) > want {
			err = ErrMalformed
		}
		return preparedField{}, fmt.Errorf("prepared template byte %d: a %d×%d-block field needs %d bytes in all, have %d: %w", off, w, h, want, len(b), err)
	}
	if w == 0 || h == 0 {
		if w != 0 || h != 0 || side != 0 {
			return preparedField{}, fmt.Errorf("prepared template byte %d: empty field %d×%d with block side %v: %w", off, w, h, side, ErrMalformed)
		}
		return preparedField{}, nil
	}
	if !(side > 0 && side <= preparedMaxCoord) {
		return preparedField{}, fmt.Errorf("prepared template byte %d: field block side %v out of range: %w", off+4, side, ErrMalformed)
	}
	f := preparedField{w: int32(w), h: int32(h), side: side, cells: make([]uint8, (w+2)*(h+2))}
	for k, c := range b[off+preparedFieldLen:] {
		if c > maxFieldCell {
			return preparedField{}, fmt.Errorf("prepared template byte %d: field block (%d, %d): %d, at most %d: %w", off+preparedFieldLen+k, k%w, k/w, c, maxFieldCell, ErrMalformed)
		}
		f.cells[(k/w+1)*(w+2)+k%w+1] = c
	}
	return f, nil
}

package fingerprint

import (
	"encoding/binary"
	"fmt"
)

// fieldAreaType is the extended data area type under which this package
// keeps a template's orientation field in a finger view of an ISO/IEC
// 19794-2:2005 (clause 7.5) or ANSI INCITS 378-2004 (clause 6.6) record.
// Both standards leave types 0x0100–0xFFFF to vendors, and readers skip the
// areas whose type they do not know, so the record stays standard for
// everyone else.
//
// An extended data area is its type (2 bytes), its length including these
// four bytes (2 bytes) and its data. The field's data is:
//
//	offset size field
//	0      1    version (2)
//	1      2    blocks across fw
//	3      2    blocks down fh
//	5      fw·fh blocks, one byte each as the matcher keeps them (0 outside
//	            the print, else 1 + 4·⌊direction/3⌋ + ⌊coherence/64⌋, at
//	            most 240), decoded to the middle of their step and level
//
// Version 1, still read, held fw·fh directions then fw·fh coherences.
const (
	fieldAreaType    = 0xB1F0
	fieldAreaVersion = 2
	fieldAreaHeader  = 4 + 5
)

// fieldArea returns the extended data area holding f; false when f does
// not fit an area's 16-bit length (more than 65,526 blocks) or is invalid.
func fieldArea(f *OrientationField) ([]byte, bool) {
	n := f.Width * f.Height
	if f.validate() != nil || f.Width > 0xffff || f.Height > 0xffff || fieldAreaHeader+n > 0xffff {
		return nil, false
	}
	b := make([]byte, 0, fieldAreaHeader+n)
	b = binary.BigEndian.AppendUint16(b, fieldAreaType)
	b = binary.BigEndian.AppendUint16(b, uint16(fieldAreaHeader+n))
	b = append(b, fieldAreaVersion)
	b = binary.BigEndian.AppendUint16(b, uint16(f.Width))
	b = binary.BigEndian.AppendUint16(b, uint16(f.Height))
	for k, d := range f.Dir {
		b = append(b, fieldCell(d, f.Coherence[k]))
	}
	return b, true
}

// fieldFromExtended returns the orientation field kept in a finger view's
// extended data (without the block's own 2-byte length), nil when there is
// none. Areas of other types are skipped. Areas that do not add up to the
// block, or a field area that does not decode, are errors naming the byte
// offset within the extended data.
func fieldFromExtended(ext []byte) (*OrientationField, error) {
	var field *OrientationField
	for off := 0; off < len(ext); {
		if len(ext)-off < 4 {
			return nil, fmt.Errorf("extended data byte %d: area header needs 4 bytes, %d left: %w", off, len(ext)-off, ErrTruncated)
		}
		typ, n := binary.BigEndian.Uint16(ext[off:]), int(binary.BigEndian.Uint16(ext[off+2:]))
		if n < 4 || n > len(ext)-off {
			return nil, fmt.Errorf("extended data byte %d: area of type %#04x and length %d, %d bytes left: %w", off+2, typ, n, len(ext)-off, ErrMalformed)
		}
		if typ == fieldAreaType {
			if field != nil {
				return nil, fmt.Errorf("extended data byte %d: a second orientation field: %w", off, ErrMalformed)
			}
			f, err := decodeFieldArea(ext[off+4:off+n], off+4)
			if err != nil {
				return nil, err
			}
			field = f
		}
		off += n
	}
	return field, nil
}

// decodeFieldArea decodes the data of a field area, which starts at byte
// base of the extended data.
func decodeFieldArea(d []byte, base int) (*OrientationField, error) {
	if len(d) < fieldAreaHeader-4 {
		return nil, fmt.Errorf("extended data byte %d: orientation field header needs %d bytes, have %d: %w", base, fieldAreaHeader-4, len(d), ErrTruncated)
	}
	version := d[0]
	if version != 1 && version != fieldAreaVersion {
		return nil, fmt.Errorf("extended data byte %d: orientation field version %d, want 1 or %d: %w", base, version, fieldAreaVersion, ErrUnsupported)
	}
	fw, fh := int(binary.BigEndian.Uint16(d[1:])), int(binary.BigEndian.Uint16(d[3:]))
	nb := fw * fh
	per := 1 // bytes per block
	if version == 1 {
		per = 2
	}
	if want := fieldAreaHeader - 4 + per*nb; len(d) != want {
		return nil, fmt.Errorf("extended data byte %d: a %d×%d-block orientation field needs %d bytes, the area has %d: %w", base+1, fw, fh, want, len(d), ErrMalformed)
	}
	if (fw == 0) != (fh == 0) {
		return nil, fmt.Errorf("extended data byte %d: orientation field %d×%d blocks: %w", base+1, fw, fh, ErrMalformed)
	}
	blocks := d[5:]
	if version == 1 {
		f, k := fieldFromPlanes(fw, fh, blocks)
		if k >= 0 {
			return nil, fmt.Errorf("extended data byte %d: orientation field block (%d, %d): direction %d with coherence %d: %w", base+5+k, k%fw, k/fw, blocks[k], blocks[nb+k], ErrMalformed)
		}
		return f, nil
	}
	// Every cell up to maxFieldCell decodes to a consistent block.
	f := &OrientationField{Width: fw, Height: fh, Dir: make([]uint8, nb), Coherence: make([]uint8, nb)}
	for k, c := range blocks {
		if c > maxFieldCell {
			return nil, fmt.Errorf("extended data byte %d: orientation field block (%d, %d): %d, at most %d: %w", base+5+k, k%fw, k/fw, c, maxFieldCell, ErrMalformed)
		}
		f.Dir[k], f.Coherence[k] = uint8(cellDir[c]), uint8(cellWeight[c])
	}
	return f, nil
}

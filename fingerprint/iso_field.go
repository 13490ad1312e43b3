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
//	0      1    version (1)
//	1      2    blocks across fw
//	3      2    blocks down fh
//	5      fw·fh directions (OrientationField.Dir)
//	..     fw·fh coherences (OrientationField.Coherence)
const (
	fieldAreaType    = 0xB1F0
	fieldAreaVersion = 1
	fieldAreaHeader  = 4 + 5
)

// fieldArea returns the extended data area holding f; false when f does
// not fit an area's 16-bit length (more than 32,763 blocks) or is invalid.
func fieldArea(f *OrientationField) ([]byte, bool) {
	n := f.Width * f.Height
	if f.validate() != nil || f.Width > 0xffff || f.Height > 0xffff || fieldAreaHeader+2*n > 0xffff {
		return nil, false
	}
	b := make([]byte, 0, fieldAreaHeader+2*n)
	b = binary.BigEndian.AppendUint16(b, fieldAreaType)
	b = binary.BigEndian.AppendUint16(b, uint16(fieldAreaHeader+2*n))
	b = append(b, fieldAreaVersion)
	b = binary.BigEndian.AppendUint16(b, uint16(f.Width))
	b = binary.BigEndian.AppendUint16(b, uint16(f.Height))
	b = append(b, f.Dir...)
	b = append(b, f.Coherence...)
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
	if d[0] != fieldAreaVersion {
		return nil, fmt.Errorf("extended data byte %d: orientation field version %d, want %d: %w", base, d[0], fieldAreaVersion, ErrUnsupported)
	}
	fw, fh := int(binary.BigEndian.Uint16(d[1:])), int(binary.BigEndian.Uint16(d[3:]))
	nb := fw * fh
	if want := fieldAreaHeader - 4 + 2*nb; len(d) != want {
		return nil, fmt.Errorf("extended data byte %d: a %d×%d-block orientation field needs %d bytes, the area has %d: %w", base+1, fw, fh, want, len(d), ErrMalformed)
	}
	if (fw == 0) != (fh == 0) {
		return nil, fmt.Errorf("extended data byte %d: orientation field %d×%d blocks: %w", base+1, fw, fh, ErrMalformed)
	}
	dir, coh := d[5:5+nb], d[5+nb:]
	if k := badFieldBlock(dir, coh); k >= 0 {
		return nil, fmt.Errorf("extended data byte %d: orientation field block (%d, %d): direction %d with coherence %d: %w", base+5+k, k%fw, k/fw, dir[k], coh[k], ErrMalformed)
	}
	return &OrientationField{Width: fw, Height: fh, Dir: append([]uint8(nil), dir...), Coherence: append([]uint8(nil), coh...)}, nil
}

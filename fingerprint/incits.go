package fingerprint

import (
	"encoding/binary"
	"fmt"
)

// DecodeINCITS decodes an ANSI INCITS 378-2004 finger minutiae record
// (format identifier "FMR\0", version " 20\0"; clause 6). Its record length
// is 2 bytes, or 0x0000 followed by a 4-byte length for records over 65535
// bytes; it must equal len(b). Version "030" records (INCITS 378-2009)
// give ErrUnsupported.
func DecodeINCITS(b []byte) (*Record, error) {
	const minHeader = 26
	if err := checkMagic(b); err != nil {
		return nil, err
	}
	if len(b) < 10 {
		return nil, fmt.Errorf("INCITS 378 header: %d bytes, need %d: %w", len(b), minHeader, ErrTruncated)
	}
	if string(b[4:8]) != " 20\x00" {
		return nil, fmt.Errorf("INCITS 378 byte 4: version %q, want \" 20\\0\": %w", b[4:8], ErrUnsupported)
	}
	off := 8
	n := int64(binary.BigEndian.Uint16(b[8:10]))
	off += 2
	if n == 0 {
		if len(b) < 14 {
			return nil, fmt.Errorf("INCITS 378 byte 10: 4-byte record length needs 4 bytes, %d left: %w", len(b)-10, ErrTruncated)
		}
		n = int64(binary.BigEndian.Uint32(b[10:14]))
		off += 4
	}
	if err := checkLength(n, len(b), 8); err != nil {
		return nil, err
	}
	if len(b)-off < 18 {
		return nil, fmt.Errorf("INCITS 378 byte %d: header needs 18 more bytes, %d left: %w", off, len(b)-off, ErrTruncated)
	}
	r := &Record{Standard: INCITS2004}
	r.ProductOwner = binary.BigEndian.Uint16(b[off:])
	r.ProductType = binary.BigEndian.Uint16(b[off+2:])
	off += 4
	r.readEquipment(b[off : off+10])
	off += 10
	views := int(b[off])
	off += 2
	var err error
	r.Views, err = decodeViews(b, off, views, INCITS2004)
	if err != nil {
		return nil, fmt.Errorf("INCITS 378: %w", err)
	}
	return r, nil
}

// EncodeINCITS encodes r as an ANSI INCITS 378-2004 record (whatever
// r.Standard says; angles are quantised to 2 degrees), using the 6-byte
// length form only when the record exceeds 65535 bytes.
func (r *Record) EncodeINCITS() ([]byte, error) {
	if len(r.Views) == 0 || len(r.Views) > 255 {
		return nil, fmt.Errorf("INCITS 378: %d finger views, want 1..255", len(r.Views))
	}
	c := *r
	c.Standard = INCITS2004
	body := binary.BigEndian.AppendUint16(nil, r.ProductOwner)
	body = binary.BigEndian.AppendUint16(body, r.ProductType)
	body, err := c.appendEquipment(body)
	if err != nil {
		return nil, fmt.Errorf("INCITS 378: %v", err)
	}
	body = append(body, byte(len(r.Views)), 0)
	if body, err = c.appendViews(body); err != nil {
		return nil, fmt.Errorf("INCITS 378: %v", err)
	}
	b := append([]byte(nil), fmrMagic...)
	b = append(b, " 20\x00"...)
	if total := 8 + 2 + len(body); total <= 0xffff {
		b = binary.BigEndian.AppendUint16(b, uint16(total))
	} else {
		b = append(b, 0, 0)
		b = binary.BigEndian.AppendUint32(b, uint32(total+4))
	}
	return append(b, body...), nil
}

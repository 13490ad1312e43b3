package fingerprint

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Record is a finger minutiae record of ISO/IEC 19794-2:2005 (clause 7) or
// ANSI INCITS 378-2004 (clause 6): a general header and one or more finger
// views, each with its minutiae. Both standards code a minutia in 6 bytes
// (type, x, y, angle, quality) and differ in the header (INCITS adds a CBEFF
// product identifier and a 2- or 6-byte record length) and in the angle unit
// (ISO: 360/256 degrees; INCITS: 2 degrees).
type Record struct {
	// Standard is the encoding the record was decoded from or will be
	// written with by Encode.
	Standard Standard
	// ProductOwner and ProductType are the CBEFF product identifier
	// (INCITS only; ignored for ISO).
	ProductOwner, ProductType uint16
	// Compliance is the 4-bit capture equipment compliance and
	// EquipmentID the 12-bit capture equipment identifier.
	Compliance  uint8
	EquipmentID uint16
	// Width and Height are the image size in pixels.
	Width, Height int
	// XRes and YRes are the resolution in pixels per centimetre
	// (197 for 500 ppi).
	XRes, YRes int
	// Views are the finger views.
	Views []View
}

// View is one finger view of a Record.
type View struct {
	// Position is the finger position code (0 unknown, 1..10 fingers).
	Position int
	// Number is the view number (0..15) and Impression the impression
	// type (0 live-scan plain, 1 live-scan rolled, ...; 0..15).
	Number, Impression int
	// Quality is the finger quality 0..100.
	Quality int
	// Minutiae hold positions in pixels, angles in radians (the Minutia
	// conventions); angles are quantised to the standard's unit on encoding.
	Minutiae []Minutia
	// Extended is the extended data area after the minutiae, without its
	// 2-byte length (ridge counts, cores and deltas, vendor data), kept
	// verbatim; empty when none.
	Extended []byte
}

// Standard names a minutiae record encoding.
type Standard int

const (
	// ISO2005 is ISO/IEC 19794-2:2005.
	ISO2005 Standard = iota
	// INCITS2004 is ANSI INCITS 378-2004.
	INCITS2004
)

func (s Standard) String() string {
	if s == INCITS2004 {
		return "ANSI INCITS 378-2004"
	}
	return "ISO/IEC 19794-2:2005"
}

// Errors of DecodeISO and DecodeINCITS, wrapped with the byte offset and
// field; test them with errors.Is.
var (
	// ErrTruncated: the record ends before what its header declares.
	ErrTruncated = errors.New("truncated record")
	// ErrMalformed: a field has a value the standard does not allow or
	// that contradicts another field.
	ErrMalformed = errors.New("malformed record")
	// ErrUnsupported: the record is a version this package does not
	// decode (e.g. INCITS 378-2009, version "030").
	ErrUnsupported = errors.New("unsupported record version")
)

var fmrMagic = []byte("FMR\x00")

const (
	isoHeaderLen  = 24 // ISO/IEC 19794-2:2005 general header
	viewHeaderLen = 4  // finger view header
	minutiaLen    = 6  // one minutia
)

// DecodeISO decodes an ISO/IEC 19794-2:2005 finger minutiae record
// (format identifier "FMR\0", version " 20\0"). The record length field
// must equal len(b).
func DecodeISO(b []byte) (*Record, error) {
	if err := checkMagic(b); err != nil {
		return nil, err
	}
	if len(b) < isoHeaderLen {
		return nil, fmt.Errorf("ISO 19794-2 header: %d bytes, need %d: %w", len(b), isoHeaderLen, ErrTruncated)
	}
	if string(b[4:8]) != " 20\x00" {
		return nil, fmt.Errorf("ISO 19794-2 byte 4: version %q, want \" 20\\0\": %w", b[4:8], ErrUnsupported)
	}
	n := binary.BigEndian.Uint32(b[8:12])
	if err := checkLength(int64(n), len(b), 8); err != nil {
		return nil, err
	}
	r := &Record{Standard: ISO2005}
	r.readEquipment(b[12:24])
	views := int(b[22])
	var err error
	r.Views, err = decodeViews(b, isoHeaderLen, views, ISO2005)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// readEquipment reads capture equipment, size, resolution (10 bytes).
func (r *Record) readEquipment(h []byte) {
	eq := binary.BigEndian.Uint16(h[0:2])
	r.Compliance = uint8(eq >> 12)
	r.EquipmentID = eq & 0x0fff
	r.Width = int(binary.BigEndian.Uint16(h[2:4]))
	r.Height = int(binary.BigEndian.Uint16(h[4:6]))
	r.XRes = int(binary.BigEndian.Uint16(h[6:8]))
	r.YRes = int(binary.BigEndian.Uint16(h[8:10]))
}

// checkMagic checks the format identifier "FMR\0" as far as b goes.
func checkMagic(b []byte) error {
	n := min(len(b), 4)
	if string(b[:n]) != string(fmrMagic[:n]) {
		return fmt.Errorf("byte 0: format identifier %q, want \"FMR\\0\": %w", b[:n], ErrMalformed)
	}
	return nil
}

func checkLength(declared int64, have int, off int) error {
	switch {
	case declared > int64(have):
		return fmt.Errorf("byte %d: record length %d but only %d bytes: %w", off, declared, have, ErrTruncated)
	case declared < int64(have):
		return fmt.Errorf("byte %d: record length %d but %d bytes: %w", off, declared, have, ErrMalformed)
	}
	return nil
}

// decodeViews decodes count finger views starting at off; they must end
// exactly at len(b).
func decodeViews(b []byte, off, count int, std Standard) ([]View, error) {
	if count == 0 {
		return nil, fmt.Errorf("byte %d: number of finger views is 0: %w", off-2, ErrMalformed)
	}
	views := make([]View, 0, min(count, (len(b)-off)/viewHeaderLen+1))
	for v := 0; v < count; v++ {
		if len(b)-off < viewHeaderLen {
			return nil, fmt.Errorf("finger view %d at byte %d: header needs %d bytes, %d left: %w", v, off, viewHeaderLen, len(b)-off, ErrTruncated)
		}
		var w View
		w.Position = int(b[off])
		w.Number = int(b[off+1] >> 4)
		w.Impression = int(b[off+1] & 0x0f)
		w.Quality = int(b[off+2])
		nm := int(b[off+3])
		if w.Position > 10 {
			return nil, fmt.Errorf("finger view %d byte %d: finger position %d: %w", v, off, w.Position, ErrMalformed)
		}
		if w.Quality > 100 {
			return nil, fmt.Errorf("finger view %d byte %d: finger quality %d > 100: %w", v, off+2, w.Quality, ErrMalformed)
		}
		off += viewHeaderLen
		if len(b)-off < nm*minutiaLen {
			return nil, fmt.Errorf("finger view %d byte %d: %d minutiae need %d bytes, %d left: %w", v, off, nm, nm*minutiaLen, len(b)-off, ErrTruncated)
		}
		w.Minutiae = make([]Minutia, nm)
		for i := range w.Minutiae {
			m, err := decodeMinutia(b[off:off+minutiaLen], std)
			if err != nil {
				return nil, fmt.Errorf("finger view %d minutia %d byte %d: %w", v, i, off, err)
			}
			w.Minutiae[i] = m
			off += minutiaLen
		}
		if len(b)-off < 2 {
			return nil, fmt.Errorf("finger view %d byte %d: extended data length needs 2 bytes, %d left: %w", v, off, len(b)-off, ErrTruncated)
		}
		ext := int(binary.BigEndian.Uint16(b[off:]))
		off += 2
		if len(b)-off < ext {
			return nil, fmt.Errorf("finger view %d byte %d: extended data length %d, %d bytes left: %w", v, off-2, ext, len(b)-off, ErrTruncated)
		}
		if ext > 0 {
			w.Extended = append([]byte(nil), b[off:off+ext]...)
			off += ext
		}
		views = append(views, w)
	}
	if off != len(b) {
		return nil, fmt.Errorf("byte %d: %d bytes after the last finger view: %w", off, len(b)-off, ErrMalformed)
	}
	return views, nil
}

// decodeMinutia decodes one 6-byte minutia (ISO/IEC 19794-2:2005 7.4.1,
// INCITS 378-2004 6.5.1).
func decodeMinutia(m []byte, std Standard) (Minutia, error) {
	t := m[0] >> 6
	if t == 3 {
		return Minutia{}, fmt.Errorf("minutia type 11: %w", ErrMalformed)
	}
	x := int(binary.BigEndian.Uint16(m[0:2]) & 0x3fff)
	y := int(binary.BigEndian.Uint16(m[2:4]) & 0x3fff)
	var angle float64
	if std == INCITS2004 {
		if m[4] > 179 {
			return Minutia{}, fmt.Errorf("angle %d > 179: %w", m[4], ErrMalformed)
		}
		angle = float64(m[4]) * 2 * math.Pi / 180
	} else {
		angle = float64(m[4]) * 2 * math.Pi / 256
	}
	if m[5] > 100 {
		return Minutia{}, fmt.Errorf("quality %d > 100: %w", m[5], ErrMalformed)
	}
	return Minutia{X: x, Y: y, Angle: angle, Kind: Kind(t), Quality: m[5]}, nil
}

// encodeMinutia appends one 6-byte minutia.
func encodeMinutia(dst []byte, m Minutia, std Standard) ([]byte, error) {
	if m.X < 0 || m.X > 0x3fff || m.Y < 0 || m.Y > 0x3fff {
		return nil, fmt.Errorf("position (%d, %d) outside 0..16383", m.X, m.Y)
	}
	if m.Kind > KindBifurcation {
		return nil, fmt.Errorf("kind %d", m.Kind)
	}
	if m.Quality > 100 {
		return nil, fmt.Errorf("quality %d > 100", m.Quality)
	}
	a := math.Mod(m.Angle, 2*math.Pi)
	if a < 0 {
		a += 2 * math.Pi
	}
	var q int
	if std == INCITS2004 {
		q = int(math.Round(a*180/(2*math.Pi))) % 180
	} else {
		q = int(math.Round(a*256/(2*math.Pi))) % 256
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(m.Kind)<<14|uint16(m.X))
	dst = binary.BigEndian.AppendUint16(dst, uint16(m.Y))
	return append(dst, byte(q), m.Quality), nil
}

// appendViews appends the finger views of r.
func (r *Record) appendViews(dst []byte) ([]byte, error) {
	for v, w := range r.Views {
		if w.Position < 0 || w.Position > 10 || w.Number < 0 || w.Number > 15 || w.Impression < 0 || w.Impression > 15 || w.Quality < 0 || w.Quality > 100 {
			return nil, fmt.Errorf("finger view %d: position %d, view %d, impression %d or quality %d out of range", v, w.Position, w.Number, w.Impression, w.Quality)
		}
		if len(w.Minutiae) > 255 {
			return nil, fmt.Errorf("finger view %d: %d minutiae, at most 255", v, len(w.Minutiae))
		}
		if len(w.Extended) > 0xffff {
			return nil, fmt.Errorf("finger view %d: %d bytes of extended data, at most 65535", v, len(w.Extended))
		}
		dst = append(dst, byte(w.Position), byte(w.Number<<4|w.Impression), byte(w.Quality), byte(len(w.Minutiae)))
		for i, m := range w.Minutiae {
			var err error
			dst, err = encodeMinutia(dst, m, r.Standard)
			if err != nil {
				return nil, fmt.Errorf("finger view %d minutia %d: %v", v, i, err)
			}
		}
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(w.Extended)))
		dst = append(dst, w.Extended...)
	}
	return dst, nil
}

// appendEquipment appends capture equipment, size and resolution.
func (r *Record) appendEquipment(dst []byte) ([]byte, error) {
	if r.Compliance > 15 || r.EquipmentID > 0x0fff {
		return nil, fmt.Errorf("capture equipment compliance %d or id %d out of range", r.Compliance, r.EquipmentID)
	}
	for _, f := range []int{r.Width, r.Height, r.XRes, r.YRes} {
		if f < 0 || f > 0xffff {
			return nil, fmt.Errorf("image size or resolution %d outside 0..65535", f)
		}
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(r.Compliance)<<12|r.EquipmentID)
	dst = binary.BigEndian.AppendUint16(dst, uint16(r.Width))
	dst = binary.BigEndian.AppendUint16(dst, uint16(r.Height))
	dst = binary.BigEndian.AppendUint16(dst, uint16(r.XRes))
	return binary.BigEndian.AppendUint16(dst, uint16(r.YRes)), nil
}

// EncodeISO encodes r as an ISO/IEC 19794-2:2005 record (whatever
// r.Standard says; angles are quantised to 360/256 degrees).
func (r *Record) EncodeISO() ([]byte, error) {
	if len(r.Views) == 0 || len(r.Views) > 255 {
		return nil, fmt.Errorf("ISO 19794-2: %d finger views, want 1..255", len(r.Views))
	}
	c := *r
	c.Standard = ISO2005
	b := append([]byte(nil), fmrMagic...)
	b = append(b, " 20\x00"...)
	b = append(b, 0, 0, 0, 0) // length, filled below
	b, err := c.appendEquipment(b)
	if err != nil {
		return nil, fmt.Errorf("ISO 19794-2: %v", err)
	}
	b = append(b, byte(len(r.Views)), 0)
	if b, err = c.appendViews(b); err != nil {
		return nil, fmt.Errorf("ISO 19794-2: %v", err)
	}
	binary.BigEndian.PutUint32(b[8:12], uint32(len(b)))
	return b, nil
}

// Template returns finger view v of r as a Template, with the resolution
// converted from pixels per centimetre to pixels per inch and the
// orientation field the view's extended data holds (see fieldAreaType),
// if any. Extended data whose areas do not add up, or a field area that
// does not decode, is an error.
func (r *Record) Template(v int) (*Template, error) {
	if v < 0 || v >= len(r.Views) {
		return nil, fmt.Errorf("finger view %d: record has %d", v, len(r.Views))
	}
	w := r.Views[v]
	field, err := fieldFromExtended(w.Extended)
	if err != nil {
		return nil, fmt.Errorf("finger view %d %w", v, err)
	}
	return &Template{
		Width:      r.Width,
		Height:     r.Height,
		Resolution: int(math.Round(float64(r.XRes) * 2.54)),
		Position:   w.Position,
		Quality:    w.Quality,
		Minutiae:   append([]Minutia(nil), w.Minutiae...),
		Field:      field,
	}, nil
}

// NewRecord returns a record of the given standard with one finger view per
// template, view numbers counting per finger position, and each template's
// orientation field in its view's extended data (see fieldAreaType; a field
// of more than 65,526 blocks is left out). The header size and resolution
// come from the first template (500 ppi when it has none).
func NewRecord(std Standard, ts ...*Template) *Record {
	r := &Record{Standard: std}
	if len(ts) > 0 {
		res := ts[0].Resolution
		if res <= 0 {
			res = 500
		}
		r.Width, r.Height = ts[0].Width, ts[0].Height
		r.XRes = int(math.Round(float64(res) / 2.54))
		r.YRes = r.XRes
	}
	seen := map[int]int{}
	for _, t := range ts {
		var ext []byte
		if t.Field != nil {
			ext, _ = fieldArea(t.Field)
		}
		r.Views = append(r.Views, View{
			Position: t.Position,
			Number:   seen[t.Position],
			Quality:  t.Quality,
			Minutiae: append([]Minutia(nil), t.Minutiae...),
			Extended: ext,
		})
		seen[t.Position]++
	}
	return r
}

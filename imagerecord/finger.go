package imagerecord

import (
	"encoding/binary"
	"fmt"
	"image"

	"github.com/bixproject/bix/ansinist"
)

// Finger image compression codes (ISO/IEC 19794-4:2005 Table 3, INCITS 381
// Table 3).
const (
	FingerUncompressed       = 0 // one pixel per byte (or two for depth > 8)
	FingerUncompressedPacked = 1 // bit-packed
	FingerWSQ                = 2
	FingerJPEG               = 3
	FingerJPEG2000           = 4
	FingerPNG                = 5
)

const (
	fingerISOHeaderLen    = 32
	fingerINCITSHeaderLen = 36
	fingerViewHeaderLen   = 14
)

// FingerRecord is a finger image record (ISO/IEC 19794-4:2005 §8,
// INCITS 381-2004 §6): a general header and one view per finger or palm
// image.
type FingerRecord struct {
	Standard Standard
	Version  [4]byte // "010\0"

	ProductOwner, ProductType uint16 // CBEFF product identifier (INCITS only)
	Compliance                uint8  // equipment compliance, 4 bits
	ScannerID                 uint16 // capture device ID, 12 bits
	AcquisitionLevel          uint16 // image acquisition level: 10, 20, 30, 31, 40, 41
	ScaleUnits                uint8  // 1 pixels per inch, 2 pixels per cm
	ScanResX, ScanResY        uint16
	ImageResX, ImageResY      uint16
	PixelDepth                uint8 // bits per pixel, 1–16
	Compression               uint8 // Finger* constants
	Reserved                  uint16

	Views []FingerView
}

// FingerView is one finger image view (the 14-byte finger image header and
// its image data).
type FingerView struct {
	Position   uint8 // finger position (ANSI/NIST-ITL Table 8 codes; palms 20–36)
	ViewCount  uint8
	ViewNumber uint8
	Quality    uint8 // 0–100, 254 not computed, 255 failed
	Impression uint8 // 0 live-scan plain, 1 live-scan rolled, 2 nonlive plain, 3 nonlive rolled, 8 swipe, ...
	Width      uint16
	Height     uint16
	Reserved   uint8
	Data       []byte
}

// ParseFinger parses a finger image record. The standard is found from the
// lengths: the ISO and INCITS header sizes are tried and the one whose view
// blocks add up to the record length is taken (ISO first).
func ParseFinger(b []byte) (*FingerRecord, error) {
	iso, errISO := ParseFingerAs(b, ISO)
	if errISO == nil {
		return iso, nil
	}
	inc, errINC := ParseFingerAs(b, INCITS)
	if errINC == nil {
		return inc, nil
	}
	return nil, fmt.Errorf("%w (as INCITS 381: %v)", errISO, errINC)
}

// ParseFingerAs parses b as a finger image record of standard std.
func ParseFingerAs(b []byte, std Standard) (*FingerRecord, error) {
	name := "ISO/IEC 19794-4"
	hl := fingerISOHeaderLen
	if std == INCITS {
		name, hl = "INCITS 381", fingerINCITSHeaderLen
	}
	if len(b) < 4 || string(b[:4]) != "FIR\x00" {
		return nil, fmt.Errorf("%s: %w: format identifier is not \"FIR\\0\"", name, ErrFormat)
	}
	if len(b) < hl {
		return nil, fmt.Errorf("%s header: %d bytes, need %d: %w", name, len(b), hl, ErrTruncated)
	}
	r := &FingerRecord{Standard: std}
	copy(r.Version[:], b[4:8])
	if string(b[4:8]) != "010\x00" {
		return nil, fmt.Errorf("%s header byte 4: version %q: %w (bix reads the 2004/2005 editions, \"010\")", name, b[4:8], ErrVersion)
	}
	total := uint64(b[8])<<40 | uint64(b[9])<<32 | uint64(binary.BigEndian.Uint32(b[10:]))
	if total != uint64(len(b)) {
		return nil, fmt.Errorf("%s header byte 8: record length %d but %d bytes given: %w", name, total, len(b), ErrLength)
	}
	p := 14
	if std == INCITS {
		r.ProductOwner = binary.BigEndian.Uint16(b[14:])
		r.ProductType = binary.BigEndian.Uint16(b[16:])
		p = 18
	}
	dev := binary.BigEndian.Uint16(b[p:])
	r.Compliance, r.ScannerID = uint8(dev>>12), dev&0x0FFF
	r.AcquisitionLevel = binary.BigEndian.Uint16(b[p+2:])
	n := int(b[p+4])
	r.ScaleUnits = b[p+5]
	r.ScanResX = binary.BigEndian.Uint16(b[p+6:])
	r.ScanResY = binary.BigEndian.Uint16(b[p+8:])
	r.ImageResX = binary.BigEndian.Uint16(b[p+10:])
	r.ImageResY = binary.BigEndian.Uint16(b[p+12:])
	r.PixelDepth = b[p+14]
	r.Compression = b[p+15]
	r.Reserved = binary.BigEndian.Uint16(b[p+16:])
	if n*fingerViewHeaderLen > len(b)-hl {
		return nil, fmt.Errorf("%s header byte %d: %d views need at least %d bytes, %d remain: %w", name, p+4, n, n*fingerViewHeaderLen, len(b)-hl, ErrTruncated)
	}
	r.Views = make([]FingerView, 0, n)
	off := hl
	for i := range n {
		if len(b)-off < fingerViewHeaderLen {
			return nil, fmt.Errorf("%s view %d at byte %d: header needs %d bytes, %d remain: %w", name, i+1, off, fingerViewHeaderLen, len(b)-off, ErrTruncated)
		}
		h := b[off:]
		l := int64(binary.BigEndian.Uint32(h))
		if l < fingerViewHeaderLen || l > int64(len(b)-off) {
			return nil, fmt.Errorf("%s view %d at byte %d: block length %d, %d bytes remain: %w", name, i+1, off, l, len(b)-off, ErrLength)
		}
		v := FingerView{
			Position: h[4], ViewCount: h[5], ViewNumber: h[6], Quality: h[7], Impression: h[8],
			Width: binary.BigEndian.Uint16(h[9:]), Height: binary.BigEndian.Uint16(h[11:]), Reserved: h[13],
		}
		end := off + int(l)
		v.Data = b[off+fingerViewHeaderLen : end : end]
		r.Views = append(r.Views, v)
		off = end
	}
	if off != len(b) {
		return nil, fmt.Errorf("%s: %d bytes after the last view at byte %d: %w", name, len(b)-off, off, ErrLength)
	}
	return r, nil
}

// Marshal encodes the record, computing the record and view lengths.
func (r *FingerRecord) Marshal() ([]byte, error) {
	hl := fingerISOHeaderLen
	if r.Standard == INCITS {
		hl = fingerINCITSHeaderLen
	}
	if len(r.Views) > 255 {
		return nil, fmt.Errorf("finger record: %d views, at most 255", len(r.Views))
	}
	if r.Compliance > 15 || r.ScannerID > 0x0FFF {
		return nil, fmt.Errorf("finger record: compliance %d / scanner ID %d out of range", r.Compliance, r.ScannerID)
	}
	total := hl
	for i, v := range r.Views {
		if uint64(len(v.Data))+fingerViewHeaderLen > 0xFFFFFFFF {
			return nil, fmt.Errorf("finger record view %d: %d bytes of data exceed the 4-byte length", i+1, len(v.Data))
		}
		total += fingerViewHeaderLen + len(v.Data)
	}
	b := make([]byte, hl, total)
	copy(b, "FIR\x00")
	copy(b[4:], r.Version[:])
	if r.Version == [4]byte{} {
		copy(b[4:], "010\x00")
	}
	t := uint64(total)
	b[8], b[9] = byte(t>>40), byte(t>>32)
	binary.BigEndian.PutUint32(b[10:], uint32(t))
	p := 14
	if r.Standard == INCITS {
		binary.BigEndian.PutUint16(b[14:], r.ProductOwner)
		binary.BigEndian.PutUint16(b[16:], r.ProductType)
		p = 18
	}
	binary.BigEndian.PutUint16(b[p:], uint16(r.Compliance)<<12|r.ScannerID)
	binary.BigEndian.PutUint16(b[p+2:], r.AcquisitionLevel)
	b[p+4] = byte(len(r.Views))
	b[p+5] = r.ScaleUnits
	binary.BigEndian.PutUint16(b[p+6:], r.ScanResX)
	binary.BigEndian.PutUint16(b[p+8:], r.ScanResY)
	binary.BigEndian.PutUint16(b[p+10:], r.ImageResX)
	binary.BigEndian.PutUint16(b[p+12:], r.ImageResY)
	b[p+14] = r.PixelDepth
	b[p+15] = r.Compression
	binary.BigEndian.PutUint16(b[p+16:], r.Reserved)
	for _, v := range r.Views {
		var h [fingerViewHeaderLen]byte
		binary.BigEndian.PutUint32(h[:], uint32(fingerViewHeaderLen+len(v.Data)))
		h[4], h[5], h[6], h[7], h[8] = v.Position, v.ViewCount, v.ViewNumber, v.Quality, v.Impression
		binary.BigEndian.PutUint16(h[9:], v.Width)
		binary.BigEndian.PutUint16(h[11:], v.Height)
		h[13] = v.Reserved
		b = append(b, h[:]...)
		b = append(b, v.Data...)
	}
	return b, nil
}

// PPI returns the image resolution in pixels per inch (horizontal).
func (r *FingerRecord) PPI() int {
	if r.ScaleUnits == 2 {
		return int(float64(r.ImageResX)*2.54 + 0.5)
	}
	return int(r.ImageResX)
}

// Image decodes view i's image by the record's compression code.
func (r *FingerRecord) Image(i int) (image.Image, error) {
	if i < 0 || i >= len(r.Views) {
		return nil, fmt.Errorf("finger record: no view %d", i+1)
	}
	v := r.Views[i]
	var c string
	bpp := int(r.PixelDepth)
	switch r.Compression {
	case FingerUncompressed:
		c = ansinist.CompressionNone
		if bpp < 8 {
			bpp = 8
		} else if bpp > 8 {
			bpp = 16
		}
	case FingerUncompressedPacked:
		if bpp != 1 && bpp != 8 {
			return nil, fmt.Errorf("finger record view %d: bit-packed depth %d: %w", i+1, bpp, ansinist.ErrUnsupportedCompression)
		}
		c = ansinist.CompressionNone
	case FingerWSQ:
		c = ansinist.CompressionWSQ
	case FingerJPEG:
		c = ansinist.CompressionJPEGB
	case FingerJPEG2000:
		c = ansinist.CompressionJP2
	case FingerPNG:
		c = ansinist.CompressionPNG
	default:
		return nil, fmt.Errorf("finger record: compression code %d: %w", r.Compression, ansinist.ErrUnsupportedCompression)
	}
	img, err := ansinist.DecodeImage(v.Data, c, int(v.Width), int(v.Height), bpp)
	if err != nil {
		return nil, fmt.Errorf("finger record view %d: %w", i+1, err)
	}
	return img, nil
}

// NewFingerRecord makes a record of standard std holding gray images stored
// uncompressed at 8 bits per pixel, at ppi pixels per inch.
func NewFingerRecord(std Standard, ppi int, views []FingerView, images []*image.Gray) (*FingerRecord, error) {
	if len(views) != len(images) {
		return nil, fmt.Errorf("finger record: %d views but %d images", len(views), len(images))
	}
	if ppi <= 0 || ppi > 0xFFFF {
		return nil, fmt.Errorf("finger record: resolution %d ppi", ppi)
	}
	r := &FingerRecord{Standard: std, AcquisitionLevel: 31, ScaleUnits: 1,
		ScanResX: uint16(ppi), ScanResY: uint16(ppi), ImageResX: uint16(ppi), ImageResY: uint16(ppi),
		PixelDepth: 8, Compression: FingerUncompressed}
	copy(r.Version[:], "010\x00")
	if std == INCITS {
		r.ProductOwner = 0x0101 // nonzero, as INCITS 381 requires; bix has no registered owner ID
	}
	for i, g := range images {
		w, h := g.Rect.Dx(), g.Rect.Dy()
		if w > 0xFFFF || h > 0xFFFF {
			return nil, fmt.Errorf("finger record view %d: %d×%d too large", i+1, w, h)
		}
		v := views[i]
		v.Width, v.Height = uint16(w), uint16(h)
		v.Data = make([]byte, 0, w*h)
		for y := range h {
			v.Data = append(v.Data, g.Pix[y*g.Stride:y*g.Stride+w]...)
		}
		if v.ViewCount == 0 {
			v.ViewCount, v.ViewNumber = 1, 1
		}
		r.Views = append(r.Views, v)
	}
	return r, nil
}

package imagerecord

import (
	"encoding/binary"
	"fmt"
	"image"

	"github.com/bixproject/bix/ansinist"
)

// Face image data types (ISO/IEC 19794-5:2005 §5.7.2).
const (
	FaceJPEG     = 0
	FaceJPEG2000 = 1
)

const (
	faceHeaderLen    = 14
	faceInfoLen      = 20
	featurePointLen  = 8
	faceImageInfoLen = 12
)

// FaceRecord is a face image record (ISO/IEC 19794-5:2005 §5, INCITS
// 385-2004 §6): a 14-byte header and one facial record per image.
type FaceRecord struct {
	Standard Standard // not visible in the bytes; kept for the caller
	Version  [4]byte  // "010\0"
	Faces    []Face
}

// Face is one facial record data block: facial information, feature points,
// image information and image data.
type Face struct {
	Gender          uint8    // 0 unspecified, 1 male, 2 female, 255 unknown
	EyeColor        uint8    // §5.5.4
	HairColor       uint8    // §5.5.5
	FeatureMask     uint32   // 24 bits, §5.5.6
	Expression      uint16   // §5.5.7
	Pose            [3]uint8 // yaw, pitch, roll (§5.5.8)
	PoseUncertainty [3]uint8

	FeaturePoints []FeaturePoint

	ImageType  uint8 // 0 basic, 1 full frontal, 2 token frontal
	DataType   uint8 // FaceJPEG or FaceJPEG2000
	Width      uint16
	Height     uint16
	ColorSpace uint8 // 0 unspecified, 1 RGB24, 2 YUV422, 3 gray8, 4 other
	SourceType uint8
	DeviceType uint16
	Quality    uint16
	Data       []byte
}

// FeaturePoint is an 8-byte feature point (§5.6): Code is the MPEG-4 point
// major<<4 | minor.
type FeaturePoint struct {
	Type     uint8
	Code     uint8
	X, Y     uint16
	Reserved uint16
}

// ParseFace parses a face image record. ISO/IEC 19794-5:2005 and INCITS
// 385-2004 records have the same layout; std is recorded in the result.
func ParseFace(b []byte, std Standard) (*FaceRecord, error) {
	if len(b) < 4 || string(b[:4]) != "FAC\x00" {
		return nil, fmt.Errorf("face record: %w: format identifier is not \"FAC\\0\"", ErrFormat)
	}
	if len(b) < faceHeaderLen {
		return nil, fmt.Errorf("face record header: %d bytes, need %d: %w", len(b), faceHeaderLen, ErrTruncated)
	}
	r := &FaceRecord{Standard: std}
	copy(r.Version[:], b[4:8])
	if string(b[4:8]) != "010\x00" {
		return nil, fmt.Errorf("face record header byte 4: version %q: %w (bix reads the 2004/2005 editions, \"010\")", b[4:8], ErrVersion)
	}
	if total := binary.BigEndian.Uint32(b[8:]); int64(total) != int64(len(b)) {
		return nil, fmt.Errorf("face record header byte 8: record length %d but %d bytes given: %w", total, len(b), ErrLength)
	}
	n := int(binary.BigEndian.Uint16(b[12:]))
	if n*(faceInfoLen+faceImageInfoLen) > len(b)-faceHeaderLen {
		return nil, fmt.Errorf("face record header byte 12: %d faces need at least %d bytes, %d remain: %w", n, n*(faceInfoLen+faceImageInfoLen), len(b)-faceHeaderLen, ErrTruncated)
	}
	r.Faces = make([]Face, 0, n)
	off := faceHeaderLen
	for i := range n {
		if len(b)-off < faceInfoLen {
			return nil, fmt.Errorf("face %d at byte %d: facial information needs %d bytes, %d remain: %w", i+1, off, faceInfoLen, len(b)-off, ErrTruncated)
		}
		h := b[off:]
		l := int64(binary.BigEndian.Uint32(h))
		np := int(binary.BigEndian.Uint16(h[4:]))
		min := int64(faceInfoLen + np*featurePointLen + faceImageInfoLen)
		if l < min || l > int64(len(b)-off) {
			return nil, fmt.Errorf("face %d at byte %d: block length %d (at least %d for %d feature points), %d bytes remain: %w", i+1, off, l, min, np, len(b)-off, ErrLength)
		}
		f := Face{
			Gender: h[6], EyeColor: h[7], HairColor: h[8],
			FeatureMask: uint32(h[9])<<16 | uint32(h[10])<<8 | uint32(h[11]),
			Expression:  binary.BigEndian.Uint16(h[12:]),
			Pose:        [3]uint8{h[14], h[15], h[16]}, PoseUncertainty: [3]uint8{h[17], h[18], h[19]},
		}
		p := off + faceInfoLen
		if np > 0 {
			f.FeaturePoints = make([]FeaturePoint, np)
		}
		for k := range np {
			q := b[p:]
			f.FeaturePoints[k] = FeaturePoint{Type: q[0], Code: q[1], X: binary.BigEndian.Uint16(q[2:]),
				Y: binary.BigEndian.Uint16(q[4:]), Reserved: binary.BigEndian.Uint16(q[6:])}
			p += featurePointLen
		}
		q := b[p:]
		f.ImageType, f.DataType = q[0], q[1]
		f.Width, f.Height = binary.BigEndian.Uint16(q[2:]), binary.BigEndian.Uint16(q[4:])
		f.ColorSpace, f.SourceType = q[6], q[7]
		f.DeviceType, f.Quality = binary.BigEndian.Uint16(q[8:]), binary.BigEndian.Uint16(q[10:])
		end := off + int(l)
		f.Data = b[p+faceImageInfoLen : end : end]
		r.Faces = append(r.Faces, f)
		off = end
	}
	if off != len(b) {
		return nil, fmt.Errorf("face record: %d bytes after the last face at byte %d: %w", len(b)-off, off, ErrLength)
	}
	return r, nil
}

// Marshal encodes the record, computing the lengths.
func (r *FaceRecord) Marshal() ([]byte, error) {
	if len(r.Faces) > 0xFFFF {
		return nil, fmt.Errorf("face record: %d faces, at most 65535", len(r.Faces))
	}
	total := int64(faceHeaderLen)
	for i, f := range r.Faces {
		if len(f.FeaturePoints) > 0xFFFF || f.FeatureMask > 0xFFFFFF {
			return nil, fmt.Errorf("face %d: %d feature points / mask %#x out of range", i+1, len(f.FeaturePoints), f.FeatureMask)
		}
		total += int64(faceInfoLen + len(f.FeaturePoints)*featurePointLen + faceImageInfoLen + len(f.Data))
	}
	if total > 0xFFFFFFFF {
		return nil, fmt.Errorf("face record: %d bytes exceed the 4-byte length", total)
	}
	b := make([]byte, faceHeaderLen, total)
	copy(b, "FAC\x00")
	copy(b[4:], r.Version[:])
	if r.Version == [4]byte{} {
		copy(b[4:], "010\x00")
	}
	binary.BigEndian.PutUint32(b[8:], uint32(total))
	binary.BigEndian.PutUint16(b[12:], uint16(len(r.Faces)))
	for _, f := range r.Faces {
		var h [faceInfoLen]byte
		binary.BigEndian.PutUint32(h[:], uint32(faceInfoLen+len(f.FeaturePoints)*featurePointLen+faceImageInfoLen+len(f.Data)))
		binary.BigEndian.PutUint16(h[4:], uint16(len(f.FeaturePoints)))
		h[6], h[7], h[8] = f.Gender, f.EyeColor, f.HairColor
		h[9], h[10], h[11] = byte(f.FeatureMask>>16), byte(f.FeatureMask>>8), byte(f.FeatureMask)
		binary.BigEndian.PutUint16(h[12:], f.Expression)
		copy(h[14:17], f.Pose[:])
		copy(h[17:20], f.PoseUncertainty[:])
		b = append(b, h[:]...)
		for _, p := range f.FeaturePoints {
			var q [featurePointLen]byte
			q[0], q[1] = p.Type, p.Code
			binary.BigEndian.PutUint16(q[2:], p.X)
			binary.BigEndian.PutUint16(q[4:], p.Y)
			binary.BigEndian.PutUint16(q[6:], p.Reserved)
			b = append(b, q[:]...)
		}
		var q [faceImageInfoLen]byte
		q[0], q[1] = f.ImageType, f.DataType
		binary.BigEndian.PutUint16(q[2:], f.Width)
		binary.BigEndian.PutUint16(q[4:], f.Height)
		q[6], q[7] = f.ColorSpace, f.SourceType
		binary.BigEndian.PutUint16(q[8:], f.DeviceType)
		binary.BigEndian.PutUint16(q[10:], f.Quality)
		b = append(b, q[:]...)
		b = append(b, f.Data...)
	}
	return b, nil
}

// Image decodes face i's image (JPEG through image/jpeg; JPEG 2000 has no
// decoder in bix and returns ansinist.ErrUnsupportedCompression).
func (r *FaceRecord) Image(i int) (image.Image, error) {
	if i < 0 || i >= len(r.Faces) {
		return nil, fmt.Errorf("face record: no face %d", i+1)
	}
	f := r.Faces[i]
	c := ansinist.CompressionJPEGB
	if f.DataType == FaceJPEG2000 {
		c = ansinist.CompressionJP2
	} else if f.DataType != FaceJPEG {
		return nil, fmt.Errorf("face %d: image data type %d: %w", i+1, f.DataType, ansinist.ErrUnsupportedCompression)
	}
	img, err := ansinist.DecodeImage(f.Data, c, int(f.Width), int(f.Height), 0)
	if err != nil {
		return nil, fmt.Errorf("face %d: %w", i+1, err)
	}
	return img, nil
}

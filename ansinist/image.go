package ansinist

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	_ "image/jpeg" // JPEGB
	_ "image/png"  // PNG

	_ "github.com/bixproject/bix/wsq" // WSQ20 (registers "wsq" with package image)
	"strings"
)

// Compression names as used by the tagged image records' CGA field (SP 500-290
// Rev1 Table 15, "Compression codes"). The binary records (Types 3–6) use the
// numeric codes 0–6 in the same order.
const (
	CompressionNone  = "NONE"
	CompressionWSQ   = "WSQ20"
	CompressionJPEGB = "JPEGB"
	CompressionJPEGL = "JPEGL"
	CompressionJP2   = "JP2"
	CompressionJP2L  = "JP2L"
	CompressionPNG   = "PNG"
)

var compressionCodes = []string{CompressionNone, CompressionWSQ, CompressionJPEGB, CompressionJPEGL, CompressionJP2, CompressionJP2L, CompressionPNG}

// Errors of image decoding.
var (
	// ErrWSQUnavailable: the image is WSQ and no decoder registered the "wsq"
	// format with package image.
	ErrWSQUnavailable = errors.New("WSQ decoder not available")
	// ErrUnsupportedCompression: no decoder for this compression (JP2, JP2L).
	ErrUnsupportedCompression = errors.New("unsupported image compression")
)

// NormalizeCompression maps a CGA value (text label, old spelling or numeric
// code) to one of the Compression constants, or returns the input upper-cased
// when it is none of them.
func NormalizeCompression(v string) string {
	u := strings.ToUpper(strings.TrimSpace(v))
	switch u {
	case "WSQ", "WSQ20":
		return CompressionWSQ
	case "JPEG":
		return CompressionJPEGB
	}
	if len(u) == 1 && u[0] >= '0' && int(u[0]-'0') < len(compressionCodes) {
		return compressionCodes[u[0]-'0']
	}
	return u
}

// compressionCode returns the binary-record code of a compression name.
func compressionCode(c string) (byte, bool) {
	c = NormalizeCompression(c)
	for i, n := range compressionCodes {
		if n == c {
			return byte(i), true
		}
	}
	return 0, false
}

// sniffCompression guesses the compression of data from its first bytes.
func sniffCompression(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xA0}):
		return CompressionWSQ
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8}):
		if w, _, ok := jpegSize(data); ok && w < 0 {
			return CompressionJPEGL
		}
		return CompressionJPEGB
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return CompressionPNG
	case bytes.HasPrefix(data, []byte{0, 0, 0, 0x0C, 'j', 'P', ' ', ' '}), bytes.HasPrefix(data, []byte{0xFF, 0x4F, 0xFF, 0x51}):
		return CompressionJP2
	}
	return ""
}

// MaxImagePixels bounds the images DecodeImage decodes (64 Mpixel: a
// 1000 ppi full palm is about 25 Mpixel).
const MaxImagePixels = 1 << 26

// DecodeImage decodes image data by its compression. For CompressionNone,
// width, height and bits per pixel (1, 8, 16 or 24) describe the raw pixels,
// row by row with no padding except that 1-bit rows are padded to a byte (1 is
// black). JPEGL (lossless JPEG, SOF3) is decoded by bix itself. Compressed data is decoded through image.Decode: JPEGB and PNG by
// the standard library, WSQ by package github.com/bixproject/bix/wsq (should
// no decoder be registered, ErrWSQUnavailable).
func DecodeImage(data []byte, compression string, width, height, bpp int) (image.Image, error) {
	c := NormalizeCompression(compression)
	if c == CompressionNone {
		return decodeRaw(data, width, height, bpp)
	}
	if s := sniffCompression(data); s != "" {
		c = s // trust the data over a mislabelled field
	}
	if w, h, ok := ImageSize(data); ok && int64(w)*int64(h) > MaxImagePixels {
		return nil, fmt.Errorf("%s image: %d×%d exceeds %d pixels", c, w, h, MaxImagePixels)
	}
	switch c {
	case CompressionJPEGL:
		img, err := decodeJPEGL(data)
		if err != nil {
			return nil, fmt.Errorf("%s image: %w", c, err)
		}
		return img, nil
	case CompressionWSQ, CompressionJPEGB, CompressionPNG:
		img, _, err := image.Decode(bytes.NewReader(data))
		if errors.Is(err, image.ErrFormat) && c == CompressionWSQ {
			return nil, ErrWSQUnavailable
		}
		if err != nil {
			return nil, fmt.Errorf("%s image: %w", c, err)
		}
		return img, nil
	}
	return nil, fmt.Errorf("%w: %s", ErrUnsupportedCompression, c)
}

// decodeRaw interprets uncompressed pixels.
func decodeRaw(data []byte, w, h, bpp int) (image.Image, error) {
	if w <= 0 || h <= 0 || w > 1<<16 || h > 1<<16 || int64(w)*int64(h) > MaxImagePixels {
		return nil, fmt.Errorf("raw image: bad dimensions %d×%d", w, h)
	}
	var need int
	switch bpp {
	case 1:
		need = (w + 7) / 8 * h
	case 8, 16, 24:
		need = w * h * bpp / 8
	default:
		return nil, fmt.Errorf("raw image: %d bits per pixel not supported", bpp)
	}
	if len(data) < need {
		return nil, fmt.Errorf("raw image %d×%d at %d bpp needs %d bytes, has %d: %w", w, h, bpp, need, len(data), ErrTruncated)
	}
	r := image.Rect(0, 0, w, h)
	switch bpp {
	case 1:
		g := image.NewGray(r)
		stride := (w + 7) / 8
		for y := range h {
			for x := range w {
				if data[y*stride+x/8]&(0x80>>(x%8)) == 0 {
					g.Pix[y*w+x] = 255
				}
			}
		}
		return g, nil
	case 8:
		g := image.NewGray(r)
		copy(g.Pix, data[:need])
		return g, nil
	case 16:
		g := image.NewGray16(r)
		copy(g.Pix, data[:need])
		return g, nil
	default:
		m := image.NewRGBA(r)
		for i := range w * h {
			m.Pix[4*i], m.Pix[4*i+1], m.Pix[4*i+2], m.Pix[4*i+3] = data[3*i], data[3*i+1], data[3*i+2], 255
		}
		return m, nil
	}
}

// ToGray converts img to 8-bit gray (returns it as is when it already is).
func ToGray(img image.Image) *image.Gray {
	if g, ok := img.(*image.Gray); ok {
		return g
	}
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(g, g.Bounds(), img, b.Min, draw.Src)
	return g
}

var _ color.Model = color.GrayModel

// ImageSize returns the pixel dimensions written in compressed image data
// (WSQ frame header, JPEG SOF, PNG IHDR, JPEG 2000 SIZ) without decoding it.
func ImageSize(data []byte) (w, h int, ok bool) {
	switch sniffCompression(data) {
	case CompressionWSQ:
		return wsqSize(data)
	case CompressionJPEGB, CompressionJPEGL:
		w, h, ok = jpegSize(data)
		if w < 0 {
			w = -w
		}
		return w, h, ok
	case CompressionPNG:
		if len(data) < 24 {
			return 0, 0, false
		}
		return int(binary.BigEndian.Uint32(data[16:])), int(binary.BigEndian.Uint32(data[20:])), true
	case CompressionJP2:
		i := bytes.Index(data, []byte{0xFF, 0x4F, 0xFF, 0x51})
		if i < 0 || len(data) < i+4+2+2+16 {
			return 0, 0, false
		}
		s := data[i+8:]
		xs, ys := binary.BigEndian.Uint32(s), binary.BigEndian.Uint32(s[4:])
		xo, yo := binary.BigEndian.Uint32(s[8:]), binary.BigEndian.Uint32(s[12:])
		if xo > xs || yo > ys {
			return 0, 0, false
		}
		return int(xs - xo), int(ys - yo), true
	}
	return 0, 0, false
}

// wsqSize walks WSQ markers (FBI IAFIS-IC-0110 v3, §3.3) to the frame header
// SOF (0xFFA2): length(2) A(1) B(1) Y(2)=height X(2)=width.
func wsqSize(d []byte) (int, int, bool) {
	p := 2
	for p+4 <= len(d) {
		if d[p] != 0xFF {
			return 0, 0, false
		}
		m := d[p+1]
		l := int(binary.BigEndian.Uint16(d[p+2:]))
		if m == 0xA2 {
			if p+10 > len(d) {
				return 0, 0, false
			}
			return int(binary.BigEndian.Uint16(d[p+8:])), int(binary.BigEndian.Uint16(d[p+6:])), true
		}
		if l < 2 {
			return 0, 0, false
		}
		p += 2 + l
	}
	return 0, 0, false
}

// jpegSize walks JPEG markers (ITU-T T.81 Annex B) to the first SOFn. The
// width is negated for the lossless process (SOF3, SOF7, SOF11, SOF15).
func jpegSize(d []byte) (int, int, bool) {
	p := 2
	for p+4 <= len(d) {
		if d[p] != 0xFF {
			return 0, 0, false
		}
		m := d[p+1]
		if m == 0xFF {
			p++
			continue
		}
		if m == 0x01 || (m >= 0xD0 && m <= 0xD7) {
			p += 2
			continue
		}
		l := int(binary.BigEndian.Uint16(d[p+2:]))
		if m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC {
			if p+9 > len(d) {
				return 0, 0, false
			}
			h := int(binary.BigEndian.Uint16(d[p+5:]))
			w := int(binary.BigEndian.Uint16(d[p+7:]))
			if m&3 == 3 {
				w = -w
			}
			return w, h, true
		}
		if l < 2 {
			return 0, 0, false
		}
		p += 2 + l
	}
	return 0, 0, false
}

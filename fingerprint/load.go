package fingerprint

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	_ "image/jpeg" // JPEG decoder for LoadImage
	_ "image/png"  // PNG decoder for LoadImage
	"io"
	"os"

	_ "golang.org/x/image/bmp"  // BMP decoder for LoadImage
	_ "golang.org/x/image/tiff" // TIFF decoder for LoadImage

	_ "github.com/bixproject/bix/wsq" // WSQ decoder for LoadImage
)

// maxImagePixels bounds the size of an image LoadImage accepts, checked from
// the header before the pixels are decoded: 4096×4096 is a 8 inch square at
// 500 ppi, far more than any finger.
const maxImagePixels = 4096 * 4096

// LoadImage reads a fingerprint image file (PNG, BMP, TIFF, JPEG or WSQ, and
// any other format whose decoder is registered with package image)
// and returns it as 8-bit grayscale. Colour images are converted with the
// luminance weights of image/color.GrayModel. The image's resolution is not
// read: pass it to Extract in ExtractOptions if it is known.
func LoadImage(path string) (*image.Gray, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	g, err := decodeGray(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return g, nil
}

// maxFileBytes bounds the size of an image file LoadImage reads.
const maxFileBytes = 64 << 20

// decodeGray decodes one image from r, refusing images over maxImagePixels
// before decoding their pixels, and converts it to *image.Gray. The whole
// input is read first: TIFF may keep its header after the pixels.
func decodeGray(r io.Reader) (*image.Gray, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileBytes {
		return nil, fmt.Errorf("image file larger than %d bytes", maxFileBytes)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decoding image header: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > maxImagePixels {
		return nil, fmt.Errorf("%s image is %d×%d pixels; want 1 to %d pixels", format, cfg.Width, cfg.Height, maxImagePixels)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decoding %s image: %w", format, err)
	}
	return toGray(img), nil
}

// toGray returns img as *image.Gray with its bounds moved to the origin,
// without copying when it already is one there.
func toGray(img image.Image) *image.Gray {
	b := img.Bounds()
	if g, ok := img.(*image.Gray); ok && b.Min == (image.Point{}) {
		return g
	}
	out := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	switch src := img.(type) {
	case *image.Gray:
		for y := 0; y < b.Dy(); y++ {
			copy(out.Pix[y*out.Stride:y*out.Stride+b.Dx()], src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):])
		}
	case *image.YCbCr:
		for y := 0; y < b.Dy(); y++ {
			copy(out.Pix[y*out.Stride:y*out.Stride+b.Dx()], src.Y[src.YOffset(b.Min.X, b.Min.Y+y):])
		}
	case *image.Gray16:
		for y := 0; y < b.Dy(); y++ {
			row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < b.Dx(); x++ {
				out.Pix[y*out.Stride+x] = row[2*x]
			}
		}
	default:
		draw.Draw(out, out.Rect, img, b.Min, draw.Src)
	}
	return out
}

package face

import (
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // JPEG decoding for Decode
	_ "image/png"  // PNG decoding for Decode
	"io"
	"math"
)

// maxPixels bounds decoded images (about 50 megapixels).
const maxPixels = 50 << 20

// Decode reads a JPEG or PNG image, refusing images whose declared size is
// zero or above 50 megapixels before decoding the pixels.
func Decode(r io.ReadSeeker) (image.Image, error) {
	cfg, format, err := image.DecodeConfig(r)
	if err != nil {
		return nil, fmt.Errorf("face image: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxPixels/cfg.Height {
		return nil, fmt.Errorf("face image: %s of %d×%d pixels refused", format, cfg.Width, cfg.Height)
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	img, _, err := image.Decode(r)
	if err != nil {
		return nil, fmt.Errorf("face image: %s: %w", format, err)
	}
	return img, nil
}

// rgb is an image as float32 R, G, B triples in 0..255, row-major.
type rgb struct {
	w, h int
	pix  []float32
}

// toRGB converts any image.Image, with fast paths for the decoders' types.
func toRGB(img image.Image) rgb {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	out := rgb{w: w, h: h, pix: make([]float32, w*h*3)}
	switch m := img.(type) {
	case *image.YCbCr:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				yi := m.YOffset(b.Min.X+x, b.Min.Y+y)
				ci := m.COffset(b.Min.X+x, b.Min.Y+y)
				r, g, bb := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
				i := (y*w + x) * 3
				out.pix[i], out.pix[i+1], out.pix[i+2] = float32(r), float32(g), float32(bb)
			}
		}
	case *image.RGBA:
		for y := 0; y < h; y++ {
			row := m.Pix[(y)*m.Stride:]
			for x := 0; x < w; x++ {
				i := (y*w + x) * 3
				out.pix[i], out.pix[i+1], out.pix[i+2] = float32(row[4*x]), float32(row[4*x+1]), float32(row[4*x+2])
			}
		}
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			row := m.Pix[(y)*m.Stride:]
			for x := 0; x < w; x++ {
				i := (y*w + x) * 3
				a := float32(row[4*x+3]) / 255
				out.pix[i], out.pix[i+1], out.pix[i+2] = float32(row[4*x])*a, float32(row[4*x+1])*a, float32(row[4*x+2])*a
			}
		}
	case *image.Gray:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				v := float32(m.Pix[y*m.Stride+x])
				i := (y*w + x) * 3
				out.pix[i], out.pix[i+1], out.pix[i+2] = v, v, v
			}
		}
	default:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				r, g, bb, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
				i := (y*w + x) * 3
				out.pix[i], out.pix[i+1], out.pix[i+2] = float32(r>>8), float32(g>>8), float32(bb>>8)
			}
		}
	}
	return out
}

// half returns the image downsampled by two with 2×2 box averaging (odd
// last rows/columns are dropped).
func (m rgb) half() rgb {
	w, h := m.w/2, m.h/2
	out := rgb{w: w, h: h, pix: make([]float32, w*h*3)}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			for c := 0; c < 3; c++ {
				i := ((2*y)*m.w+2*x)*3 + c
				j := i + m.w*3
				out.pix[(y*w+x)*3+c] = (m.pix[i] + m.pix[i+3] + m.pix[j] + m.pix[j+3]) / 4
			}
		}
	}
	return out
}

// affine maps output (chip) coordinates to image coordinates:
// X = A*x - B*y + TX, Y = B*x + A*y + TY (a similarity transform), with
// pixel centres at half-integers in both spaces.
type affine struct{ A, B, TX, TY float64 }

func (t affine) apply(p Point) Point {
	return Point{t.A*p.X - t.B*p.Y + t.TX, t.B*p.X + t.A*p.Y + t.TY}
}

func (t affine) scale() float64 { return math.Hypot(t.A, t.B) }

// warp samples a w×h output through t with bilinear interpolation (zero
// outside the image). When t shrinks the image by more than 2 it first
// halves the image (a box-filter pyramid, as dlib's extract_image_chip does)
// to avoid aliasing.
func (m rgb) warp(t affine, w, h int) rgb {
	for t.scale() > 2 && m.w >= 4 && m.h >= 4 {
		m = m.half()
		t = affine{t.A / 2, t.B / 2, t.TX / 2, t.TY / 2}
	}
	out := rgb{w: w, h: h, pix: make([]float32, w*h*3)}
	for v := 0; v < h; v++ {
		for u := 0; u < w; u++ {
			p := t.apply(Point{float64(u) + 0.5, float64(v) + 0.5})
			m.bilinear(p.X-0.5, p.Y-0.5, out.pix[(v*w+u)*3:(v*w+u)*3+3])
		}
	}
	return out
}

// bilinear writes the colour at (x, y), in pixel-index coordinates, to dst.
func (m rgb) bilinear(x, y float64, dst []float32) {
	x0, y0 := math.Floor(x), math.Floor(y)
	fx, fy := float32(x-x0), float32(y-y0)
	ix, iy := int(x0), int(y0)
	var acc [3]float32
	for dy := 0; dy < 2; dy++ {
		yy := iy + dy
		wy := fy
		if dy == 0 {
			wy = 1 - fy
		}
		if yy < 0 || yy >= m.h || wy == 0 {
			continue
		}
		for dx := 0; dx < 2; dx++ {
			xx := ix + dx
			wx := fx
			if dx == 0 {
				wx = 1 - fx
			}
			if xx < 0 || xx >= m.w || wx == 0 {
				continue
			}
			p := m.pix[(yy*m.w+xx)*3:]
			wgt := wx * wy
			acc[0] += wgt * p[0]
			acc[1] += wgt * p[1]
			acc[2] += wgt * p[2]
		}
	}
	copy(dst, acc[:])
}

// toImage converts to an 8-bit image (for inspection and the CLI).
func (m rgb) toImage() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, m.w, m.h))
	for i := 0; i < m.w*m.h; i++ {
		for c := 0; c < 3; c++ {
			v := math.Round(float64(m.pix[i*3+c]))
			img.Pix[i*4+c] = uint8(math.Max(0, math.Min(255, v)))
		}
		img.Pix[i*4+3] = 255
	}
	return img
}

// mirror returns the image flipped left to right.
func (m rgb) mirror() rgb {
	out := rgb{w: m.w, h: m.h, pix: make([]float32, len(m.pix))}
	for y := 0; y < m.h; y++ {
		for x := 0; x < m.w; x++ {
			copy(out.pix[(y*m.w+x)*3:(y*m.w+x)*3+3], m.pix[(y*m.w+m.w-1-x)*3:(y*m.w+m.w-x)*3])
		}
	}
	return out
}

package ansinist

import (
	"bytes"
	"errors"
	"image"
	"testing"
)

// encodeJPEGL is a small lossless JPEG encoder for tests (T.81 Annex H): one
// gray component, predictor psv, optional restart interval of whole lines,
// one Huffman table in which every difference category 0–16 has a 5-bit
// code.
func encodeJPEGL(g *image.Gray, prec, psv, restartLines int) []byte {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	var out bytes.Buffer
	seg := func(m byte, b ...byte) {
		out.Write([]byte{0xFF, m, byte((len(b) + 2) >> 8), byte(len(b) + 2)})
		out.Write(b)
	}
	out.Write([]byte{0xFF, 0xD8})
	seg(0xC3, byte(prec), byte(h>>8), byte(h), byte(w>>8), byte(w), 1, 1, 0x11, 0)
	dht := []byte{0x00, 0, 0, 0, 0, 17, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	for s := range 17 {
		dht = append(dht, byte(s))
	}
	seg(0xC4, dht...)
	if restartLines > 0 {
		ri := restartLines * w
		seg(0xDD, byte(ri>>8), byte(ri))
	}
	seg(0xDA, 1, 1, 0x00, byte(psv), 0, 0)
	var acc uint64
	var nb uint
	flush := func(pad bool) {
		for nb >= 8 || pad && nb > 0 {
			if nb < 8 {
				acc = acc<<(8-nb) | (1<<(8-nb) - 1)
				nb = 8
			}
			c := byte(acc >> (nb - 8))
			nb -= 8
			out.WriteByte(c)
			if c == 0xFF {
				out.WriteByte(0)
			}
		}
	}
	put := func(v uint64, n uint) {
		acc = acc<<n | v&(1<<n-1)
		nb += n
		flush(false)
	}
	px := func(x, y int) int32 { return int32(g.Pix[y*g.Stride+x]) }
	first, rst := 0, 0
	for y := range h {
		if restartLines > 0 && y > 0 && y%restartLines == 0 {
			flush(true)
			out.Write([]byte{0xFF, 0xD0 + byte(rst%8)})
			rst++
			first = y
		}
		for x := range w {
			var pred int32
			switch {
			case y == first && x == 0:
				pred = 1 << (prec - 1)
			case y == first:
				pred = px(x-1, y)
			case x == 0:
				pred = px(x, y-1)
			default:
				ra, rb, rc := px(x-1, y), px(x, y-1), px(x-1, y-1)
				pred = [8]int32{0, ra, rb, rc, ra + rb - rc, ra + (rb-rc)>>1, rb + (ra-rc)>>1, (ra + rb) >> 1}[psv]
			}
			diff := (px(x, y) - pred) & 0xFFFF
			if diff >= 0x8000 {
				diff -= 0x10000
			}
			// category: number of bits of |diff|
			s := 0
			for m := abs32(diff); m > 0; m >>= 1 {
				s++
			}
			put(uint64(s), 5)
			if s > 0 && s < 16 {
				v := diff
				if v < 0 {
					v += 1<<s - 1
				}
				put(uint64(v), uint(s))
			}
		}
	}
	flush(true)
	out.Write([]byte{0xFF, 0xD9})
	return out.Bytes()
}

func abs32(x int32) int32 {
	if x < 0 {
		return -x
	}
	return x
}

func TestJPEGLRoundTrip(t *testing.T) {
	g := ridges(37, 29, 15, 12)
	for psv := 1; psv <= 7; psv++ {
		for _, rl := range []int{0, 5} {
			enc := encodeJPEGL(g, 8, psv, rl)
			img, err := DecodeImage(enc, CompressionJPEGL, 37, 29, 8)
			if err != nil {
				t.Fatalf("predictor %d restart %d: %v", psv, rl, err)
			}
			if !bytes.Equal(img.(*image.Gray).Pix, g.Pix) {
				t.Errorf("predictor %d restart %d: pixels differ", psv, rl)
			}
		}
	}
	if w, h, ok := ImageSize(encodeJPEGL(g, 8, 1, 0)); !ok || w != 37 || h != 29 {
		t.Errorf("ImageSize %d×%d %v", w, h, ok)
	}
	if sniffCompression(encodeJPEGL(g, 8, 1, 0)) != CompressionJPEGL {
		t.Error("SOF3 not sniffed as JPEGL")
	}
}

func TestJPEGLErrors(t *testing.T) {
	enc := encodeJPEGL(ridges(16, 16, 8, 8), 8, 1, 0)
	for name, in := range map[string][]byte{
		"truncated": enc[:len(enc)-20],
		"no SOI":    enc[2:],
		"huge":      append(append([]byte{}, enc[:7]...), append([]byte{0x7F, 0xFF, 0x7F, 0xFF}, enc[11:]...)...),
	} {
		if _, err := decodeJPEGL(in); !errors.Is(err, errJPEGL) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// FuzzJPEGL: the lossless JPEG decoder never panics.
func FuzzJPEGL(f *testing.F) {
	f.Add(encodeJPEGL(ridges(16, 16, 8, 8), 8, 1, 0))
	f.Add(encodeJPEGL(ridges(9, 12, 4, 4), 8, 7, 3))
	f.Fuzz(func(t *testing.T, b []byte) {
		decodeJPEGL(b)
	})
}

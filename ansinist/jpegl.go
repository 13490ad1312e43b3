package ansinist

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
)

// Lossless JPEG (JPEGL): ITU-T T.81 Annex H, process 14 (SOF3), Huffman
// coded, one scan with 1–4 components sampled 1×1. The standard library's
// image/jpeg does not decode it; ANSI/NIST-ITL records use it for finger
// images (CGA "JPEGL").

var errJPEGL = errors.New("JPEGL")

type huffTable struct {
	maxcode [17]int32 // largest code of each length, -1 if none
	valptr  [17]int32 // index in vals of the first code of each length
	mincode [17]int32
	vals    []byte
	defined bool
}

// build derives the decoding tables from BITS (counts per code length) and
// HUFFVAL (T.81 Annex C and F.2.2.3).
func (h *huffTable) build(counts [16]byte, vals []byte) error {
	code, k := int32(0), int32(0)
	for l := 1; l <= 16; l++ {
		n := int32(counts[l-1])
		if n == 0 {
			h.maxcode[l] = -1
		} else {
			h.valptr[l] = k
			h.mincode[l] = code
			code += n
			k += n
			h.maxcode[l] = code - 1
			if code > 1<<l {
				return fmt.Errorf("%w: Huffman table overfull at length %d", errJPEGL, l)
			}
		}
		code <<= 1
	}
	h.vals = vals
	h.defined = true
	return nil
}

// bitReader reads entropy-coded bits, removing stuffed zero bytes and
// stopping at markers.
type bitReader struct {
	d      []byte
	p      int
	acc    uint32
	n      uint
	marker byte // marker met (0 if none)
}

func (b *bitReader) bit() (int32, error) {
	if b.n == 0 {
		if b.marker != 0 || b.p >= len(b.d) {
			return 0, fmt.Errorf("%w: entropy-coded data ends early at byte %d", errJPEGL, b.p)
		}
		c := b.d[b.p]
		b.p++
		if c == 0xFF {
			if b.p >= len(b.d) {
				return 0, fmt.Errorf("%w: data ends after 0xFF", errJPEGL)
			}
			if m := b.d[b.p]; m != 0 {
				b.marker = m
				b.p++
				return 0, fmt.Errorf("%w: marker FF%02X inside the entropy-coded data at byte %d", errJPEGL, m, b.p-2)
			}
			b.p++
		}
		b.acc, b.n = uint32(c), 8
	}
	b.n--
	return int32(b.acc>>b.n) & 1, nil
}

func (b *bitReader) bits(n int) (int32, error) {
	var v int32
	for range n {
		x, err := b.bit()
		if err != nil {
			return 0, err
		}
		v = v<<1 | x
	}
	return v, nil
}

func (b *bitReader) decode(h *huffTable) (int, error) {
	var code int32
	for l := 1; l <= 16; l++ {
		x, err := b.bit()
		if err != nil {
			return 0, err
		}
		code = code<<1 | x
		if h.maxcode[l] >= 0 && code <= h.maxcode[l] && code >= h.mincode[l] {
			i := h.valptr[l] + code - h.mincode[l]
			if int(i) >= len(h.vals) {
				return 0, fmt.Errorf("%w: Huffman code beyond the table's values", errJPEGL)
			}
			return int(h.vals[i]), nil
		}
	}
	return 0, fmt.Errorf("%w: invalid Huffman code at byte %d", errJPEGL, b.p)
}

// restart aligns to a byte and consumes an RSTn marker.
func (b *bitReader) restart() error {
	b.n = 0
	if b.marker == 0 {
		if b.p+1 >= len(b.d) || b.d[b.p] != 0xFF {
			return fmt.Errorf("%w: restart marker missing at byte %d", errJPEGL, b.p)
		}
		b.marker = b.d[b.p+1]
		b.p += 2
	}
	if b.marker < 0xD0 || b.marker > 0xD7 {
		return fmt.Errorf("%w: marker FF%02X where a restart marker belongs", errJPEGL, b.marker)
	}
	b.marker = 0
	return nil
}

// decodeJPEGL decodes a lossless JPEG image to *image.Gray (one component,
// precision ≤ 8), *image.Gray16 (one component, precision > 8, scaled to 16
// bits) or *image.RGBA (three components, precision ≤ 8).
func decodeJPEGL(d []byte) (image.Image, error) {
	if len(d) < 4 || d[0] != 0xFF || d[1] != 0xD8 {
		return nil, fmt.Errorf("%w: no SOI", errJPEGL)
	}
	var (
		tables              [2][4]huffTable
		prec, width, height int
		nf                  int
		compIDs             [4]byte
		restartInterval     int
		sawSOF              bool
	)
	p := 2
	for {
		if p+4 > len(d) {
			return nil, fmt.Errorf("%w: data ends before a scan at byte %d", errJPEGL, p)
		}
		if d[p] != 0xFF {
			return nil, fmt.Errorf("%w: expected a marker at byte %d", errJPEGL, p)
		}
		m := d[p+1]
		if m == 0xFF {
			p++
			continue
		}
		l := int(binary.BigEndian.Uint16(d[p+2:]))
		if l < 2 || p+2+l > len(d) {
			return nil, fmt.Errorf("%w: segment FF%02X at byte %d has length %d, %d bytes remain", errJPEGL, m, p, l, len(d)-p-2)
		}
		seg := d[p+4 : p+2+l]
		switch {
		case m == 0xC3:
			if len(seg) < 6 {
				return nil, fmt.Errorf("%w: short SOF3", errJPEGL)
			}
			prec, height, width, nf = int(seg[0]), int(binary.BigEndian.Uint16(seg[1:])), int(binary.BigEndian.Uint16(seg[3:])), int(seg[5])
			if prec < 2 || prec > 16 || width == 0 || height == 0 || nf < 1 || nf > 4 || nf == 2 || len(seg) < 6+3*nf {
				return nil, fmt.Errorf("%w: SOF3 precision %d, %d×%d, %d components not supported", errJPEGL, prec, width, height, nf)
			}
			if int64(width)*int64(height) > MaxImagePixels || int64(width)*int64(height)*int64(nf) > 8*int64(len(d)) {
				return nil, fmt.Errorf("%w: %d×%d×%d samples exceed %d pixels or the %d bits of data (one bit per sample at least)", errJPEGL, width, height, nf, MaxImagePixels, 8*len(d))
			}
			for i := range nf {
				compIDs[i] = seg[6+3*i]
				if seg[7+3*i] != 0x11 {
					return nil, fmt.Errorf("%w: component %d sampled %#x; only 1×1 is supported", errJPEGL, i, seg[7+3*i])
				}
			}
			sawSOF = true
		case m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC:
			return nil, fmt.Errorf("%w: frame type FF%02X is not lossless Huffman (SOF3)", errJPEGL, m)
		case m == 0xC4:
			for q := 0; q < len(seg); {
				if len(seg)-q < 17 {
					return nil, fmt.Errorf("%w: short DHT", errJPEGL)
				}
				tc, th := seg[q]>>4, seg[q]&15
				var counts [16]byte
				copy(counts[:], seg[q+1:q+17])
				n := 0
				for _, c := range counts {
					n += int(c)
				}
				if tc > 1 || th > 3 || n > 256 || len(seg)-q-17 < n {
					return nil, fmt.Errorf("%w: bad DHT table %d/%d with %d values", errJPEGL, tc, th, n)
				}
				if err := tables[tc][th].build(counts, seg[q+17:q+17+n]); err != nil {
					return nil, err
				}
				q += 17 + n
			}
		case m == 0xDD:
			if len(seg) < 2 {
				return nil, fmt.Errorf("%w: short DRI", errJPEGL)
			}
			restartInterval = int(binary.BigEndian.Uint16(seg))
		case m == 0xDA:
			if !sawSOF {
				return nil, fmt.Errorf("%w: scan before SOF3", errJPEGL)
			}
			return decodeJPEGLScan(d, p+2+l, seg, tables, prec, width, height, nf, compIDs, restartInterval)
		case m == 0xD9:
			return nil, fmt.Errorf("%w: EOI before a scan", errJPEGL)
		}
		p += 2 + l
	}
}

func decodeJPEGLScan(d []byte, start int, sos []byte, tables [2][4]huffTable, prec, w, h, nf int, ids [4]byte, ri int) (image.Image, error) {
	if len(sos) < 1 || int(sos[0]) != nf || len(sos) < 1+2*nf+3 {
		return nil, fmt.Errorf("%w: the scan must hold all %d components", errJPEGL, nf)
	}
	var hts [4]*huffTable
	for i := range nf {
		if sos[1+2*i] != ids[i] {
			return nil, fmt.Errorf("%w: scan component order differs from the frame", errJPEGL)
		}
		td := sos[2+2*i] >> 4
		if td > 3 {
			return nil, fmt.Errorf("%w: table %d", errJPEGL, td)
		}
		// Lossless tables are DC-class; accept an AC-class table of the
		// same number, as some encoders write.
		hts[i] = &tables[0][td]
		if !hts[i].defined {
			hts[i] = &tables[1][td]
		}
		if !hts[i].defined {
			return nil, fmt.Errorf("%w: Huffman table %d not defined", errJPEGL, td)
		}
	}
	psv := int(sos[1+2*nf])
	pt := int(sos[3+2*nf] & 15)
	if psv < 1 || psv > 7 || pt >= prec {
		return nil, fmt.Errorf("%w: predictor %d, point transform %d", errJPEGL, psv, pt)
	}
	// Samples, one plane per component, as decoded (before the point
	// transform's shift).
	n := w * h
	planes := make([][]uint16, nf)
	for i := range planes {
		planes[i] = make([]uint16, n)
	}
	br := &bitReader{d: d, p: start}
	mask := int32(1)<<16 - 1
	initial := int32(1) << (prec - pt - 1)
	mcus := 0
	firstRow := 0 // first row of the current restart interval
	for y := range h {
		for x := range w {
			if ri > 0 && mcus > 0 && mcus%ri == 0 {
				if err := br.restart(); err != nil {
					return nil, err
				}
				firstRow = y
				if x != 0 {
					return nil, fmt.Errorf("%w: restart interval %d is not a multiple of the line width %d", errJPEGL, ri, w)
				}
			}
			mcus++
			for c := range nf {
				s, err := br.decode(hts[c])
				if err != nil {
					return nil, err
				}
				var diff int32
				switch {
				case s == 0:
				case s == 16:
					diff = 32768
				case s > 16:
					return nil, fmt.Errorf("%w: difference category %d", errJPEGL, s)
				default:
					v, err := br.bits(s)
					if err != nil {
						return nil, err
					}
					if v < 1<<(s-1) {
						v -= 1<<s - 1
					}
					diff = v
				}
				pl := planes[c]
				i := y*w + x
				var pred int32
				switch {
				case y == firstRow && x == 0:
					pred = initial
				case y == firstRow:
					pred = int32(pl[i-1])
				case x == 0:
					pred = int32(pl[i-w])
				default:
					ra, rb, rc := int32(pl[i-1]), int32(pl[i-w]), int32(pl[i-w-1])
					switch psv {
					case 1:
						pred = ra
					case 2:
						pred = rb
					case 3:
						pred = rc
					case 4:
						pred = ra + rb - rc
					case 5:
						pred = ra + (rb-rc)>>1
					case 6:
						pred = rb + (ra-rc)>>1
					case 7:
						pred = (ra + rb) >> 1
					}
				}
				pl[i] = uint16((pred + diff) & mask)
			}
		}
	}
	// The scan must end (after padding bits) at a marker, normally EOI.
	if br.marker == 0 {
		q := br.p
		if q+1 >= len(d) || d[q] != 0xFF || d[q+1] == 0 {
			return nil, fmt.Errorf("%w: %d bytes of entropy-coded data left after the last sample", errJPEGL, len(d)-q)
		}
	}
	r := image.Rect(0, 0, w, h)
	shift := uint(pt)
	switch {
	case nf == 1 && prec <= 8:
		g := image.NewGray(r)
		for i, v := range planes[0] {
			g.Pix[i] = uint8(v << shift)
		}
		return g, nil
	case nf == 1:
		g := image.NewGray16(r)
		up := uint(16 - prec)
		for i, v := range planes[0] {
			s := (v << shift) << up
			g.Pix[2*i], g.Pix[2*i+1] = uint8(s>>8), uint8(s)
		}
		return g, nil
	case prec <= 8 && nf >= 3:
		m := image.NewRGBA(r)
		for i := range n {
			m.Pix[4*i] = uint8(planes[0][i] << shift)
			m.Pix[4*i+1] = uint8(planes[1][i] << shift)
			m.Pix[4*i+2] = uint8(planes[2][i] << shift)
			m.Pix[4*i+3] = 255
		}
		return m, nil
	}
	return nil, fmt.Errorf("%w: %d components at precision %d not supported", errJPEGL, nf, prec)
}

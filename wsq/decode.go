package wsq

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"io"
	"slices"
)

func init() {
	image.RegisterFormat("wsq", "\xff\xa0", Decode, DecodeConfig)
}

// Info is what a WSQ file says about itself besides the pixels.
type Info struct {
	Width, Height int
	// PPI is the resolution from the NISTCOM comment, or -1 if absent.
	PPI int
	// Black and White are the frame header's pixel range, Shift and Scale
	// its M and R (pixel = coefficient·R + M).
	Black, White uint8
	Shift, Scale float32
	// Encoder and Software identify the encoder (frame header).
	Encoder  uint8
	Software uint16
	// Comments holds the text of every COM segment, in file order.
	Comments []string
	// NISTCOM is the first NISTCOM comment parsed into fields, or nil.
	NISTCOM map[string]string
	// AnalysisLowTaps and AnalysisHighTaps are the DTT filter lengths.
	AnalysisLowTaps, AnalysisHighTaps int
	// BinCenter, Q and Z are the DQT table: Q[k] and Z[k] are the bin and
	// zero-bin widths of subband k (0 for subbands not transmitted).
	BinCenter float32
	Q, Z      [numSubbands]float32
	// HuffmanTables lists the identifiers of the Huffman tables defined.
	HuffmanTables []int
	// Blocks is the number of coded blocks read (3 in a complete file).
	Blocks int
}

// Decode reads a WSQ image and returns it as an *image.Gray.
func Decode(r io.Reader) (image.Image, error) {
	img, _, err := DecodeInfo(r)
	if err != nil {
		return nil, err
	}
	return img, nil
}

// DecodeConfig returns the size and color model of a WSQ image without
// decoding it. It reads up to the frame header.
func DecodeConfig(r io.Reader) (image.Config, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return image.Config{}, err
	}
	d := &decoder{r: reader{data: data}}
	if err := d.header(); err != nil {
		return image.Config{}, err
	}
	return image.Config{ColorModel: color.GrayModel, Width: d.frame.width, Height: d.frame.height}, nil
}

// DecodeInfo reads a WSQ image and also returns its comments and tables.
func DecodeInfo(r io.Reader) (*image.Gray, *Info, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, err
	}
	return DecodeBytes(data)
}

// DecodeBytes is DecodeInfo for a WSQ file held in memory.
func DecodeBytes(data []byte) (*image.Gray, *Info, error) {
	d := &decoder{r: reader{data: data}}
	img, err := d.decode(false)
	if err != nil {
		return nil, nil, err
	}
	return img, d.info(), nil
}

// ReadInfo returns a WSQ file's header, tables and comments without decoding
// the pixels: it reads every segment and skips over the coded data.
func ReadInfo(data []byte) (*Info, error) {
	d := &decoder{r: reader{data: data}}
	if err := d.header(); err != nil {
		return nil, err
	}
	for {
		m, off, err := d.marker()
		if err != nil {
			return nil, err
		}
		switch m {
		case markerEOI:
			return d.info(), nil
		case markerSOB:
			body, err := d.r.segment(m, off)
			if err != nil {
				return nil, err
			}
			if len(body) != 1 {
				return nil, segmentError("SOB", off, ErrFormat, "length %d, want 3", len(body)+2)
			}
			d.blocks++
			// Skip the coded data up to the next marker.
			p := d.r.pos
			for p+1 < len(data) && (data[p] != 0xFF || data[p+1] == 0) {
				p++
			}
			if p+1 >= len(data) {
				return nil, segmentError("SOB", off, ErrFormat, "block %d: data ends without a marker", d.blocks)
			}
			d.r.pos = p
		default:
			if err := d.table(m, off); err != nil {
				return nil, err
			}
		}
	}
}

type decoder struct {
	r        reader
	frame    frameHeader
	dtt      *transformTable
	dqt      *quantTable
	huff     [maxHuffTables]*huffTable
	comments []string
	blocks   int
}

func (d *decoder) info() *Info {
	in := &Info{
		Width: d.frame.width, Height: d.frame.height, PPI: -1,
		Black: d.frame.black, White: d.frame.white,
		Shift: d.frame.shift, Scale: d.frame.scale,
		Encoder: d.frame.encoder, Software: d.frame.software,
		Comments: d.comments, Blocks: d.blocks,
	}
	for _, c := range d.comments {
		if m, ok := ParseNISTCOM(c); ok {
			in.NISTCOM = m
			if v, ok := m["PPI"]; ok {
				var ppi int
				if _, err := fmt.Sscan(v, &ppi); err == nil {
					in.PPI = ppi
				}
			}
			break
		}
	}
	if d.dtt != nil {
		in.AnalysisLowTaps, in.AnalysisHighTaps = d.dtt.anaLoLen, d.dtt.anaHiLen
	}
	if d.dqt != nil {
		in.BinCenter, in.Q, in.Z = d.dqt.center, d.dqt.q, d.dqt.z
	}
	for i, h := range d.huff {
		if h != nil {
			in.HuffmanTables = append(in.HuffmanTables, i)
		}
	}
	return in
}

// marker reads the next marker; off is its offset.
func (d *decoder) marker() (m uint16, off int, err error) {
	off = d.r.pos
	m, ok := d.r.u16()
	if !ok {
		return 0, off, fmt.Errorf("%w: unexpected end of data at offset %d, expecting a marker", ErrFormat, off)
	}
	if m>>8 != 0xFF {
		return 0, off, fmt.Errorf("%w: bytes %02X %02X at offset %d are not a marker", ErrFormat, m>>8, m&0xFF, off)
	}
	return m, off, nil
}

// header reads SOI and the segments up to and including SOF.
func (d *decoder) header() error {
	m, off, err := d.marker()
	if err != nil {
		return err
	}
	if m != markerSOI {
		return fmt.Errorf("%w: no SOI marker at offset %d (found %s)", ErrFormat, off, markerName(m))
	}
	if err := d.tablesUntil(markerSOF); err != nil {
		return err
	}
	body, err := d.r.segment(markerSOF, d.r.pos-2)
	if err != nil {
		return err
	}
	if d.frame, err = parseFrame(body, d.r.pos-len(body)-4); err != nil {
		return err
	}
	if d.frame.width*d.frame.height > MaxPixels {
		return fmt.Errorf("%w: %d×%d exceeds MaxPixels", ErrTooLarge, d.frame.width, d.frame.height)
	}
	return nil
}

// tablesUntil reads table and comment segments until the marker stop, which
// it consumes (or EOI, which it returns as an error unless stop is EOI).
func (d *decoder) tablesUntil(stop uint16) error {
	for {
		m, off, err := d.marker()
		if err != nil {
			return err
		}
		if m == stop {
			return nil
		}
		if err := d.table(m, off); err != nil {
			return err
		}
	}
}

// table reads one table or comment segment whose marker m is at off.
func (d *decoder) table(m uint16, off int) error {
	switch m {
	case markerDTT, markerDQT, markerDHT, markerCOM:
	case markerDRT:
		return fmt.Errorf("%w: DRT segment at offset %d: restart intervals", ErrUnsupported, off)
	default:
		return fmt.Errorf("%w: unexpected %s marker at offset %d", ErrFormat, markerName(m), off)
	}
	body, err := d.r.segment(m, off)
	if err != nil {
		return err
	}
	switch m {
	case markerDTT:
		d.dtt, err = parseTransform(body, off)
	case markerDQT:
		d.dqt, err = parseQuant(body, off)
	case markerDHT:
		err = parseHuffman(body, off, &d.huff)
	case markerCOM:
		d.comments = append(d.comments, string(bytes.TrimRight(body, "\x00")))
	}
	return err
}

// decode reads the whole file and reconstructs the image.
func (d *decoder) decode(scalar bool) (*image.Gray, error) {
	if err := d.header(); err != nil {
		return nil, err
	}
	w, h := d.frame.width, d.frame.height
	t := buildTrees(w, h)

	// Entropy-coded blocks, each preceded by optional tables. The
	// coefficient buffer grows with the data actually decoded, so that a
	// short file declaring a large image fails before allocating for it.
	var coef []int16
	total := -1
	m, off, err := d.marker()
	if err != nil {
		return nil, err
	}
	for m != markerEOI {
		for m != markerSOB {
			if err := d.table(m, off); err != nil {
				return nil, err
			}
			if m, off, err = d.marker(); err != nil {
				return nil, err
			}
		}
		body, err := d.r.segment(m, off)
		if err != nil {
			return nil, err
		}
		if len(body) != 1 {
			return nil, segmentError("SOB", off, ErrFormat, "length %d, want 3", len(body)+2)
		}
		d.blocks++
		if d.dqt == nil {
			return nil, segmentError("SOB", off, ErrFormat, "block %d before any DQT table", d.blocks)
		}
		if total < 0 {
			total = 0
			for k := 0; k < codedBands; k++ {
				if d.dqt.q[k] != 0 {
					total += t.q[k].w * t.q[k].h
				}
			}
			// Typical files hold about 15 samples per byte.
			coef = make([]int16, 0, min(total, 32*d.r.remaining()+1<<16))
			if d.dtt != nil {
				// Fail early if the image is too small for the filters.
				s := &synthesizer{lo: d.dtt.synLo, hi: d.dtt.synHi, plans: map[[2]int]*linePlan{}}
				if err := s.prepare(t); err != nil {
					return nil, fmt.Errorf("%w (image %d×%d)", err, w, h)
				}
			}
		}
		id := body[0]
		if id >= maxHuffTables || d.huff[id] == nil {
			return nil, segmentError("SOB", off, ErrFormat, "block %d uses undefined Huffman table %d", d.blocks, id)
		}
		if coef, err = d.block(coef, total, d.huff[id], off); err != nil {
			return nil, err
		}
		if m, off, err = d.marker(); err != nil {
			return nil, err
		}
	}
	if d.blocks == 0 {
		return nil, fmt.Errorf("%w: EOI at offset %d before any block", ErrFormat, off)
	}
	if len(coef) != total {
		return nil, fmt.Errorf("%w: EOI at offset %d after %d of the %d subband samples", ErrFormat, off, len(coef), total)
	}
	// A DQT table redefined between blocks must still describe the same
	// subbands.
	need := 0
	for k := 0; k < codedBands; k++ {
		if d.dqt.q[k] != 0 {
			need += t.q[k].w * t.q[k].h
		}
	}
	if need != total {
		return nil, fmt.Errorf("%w: DQT redefined between blocks: %d subband samples coded, the final table has %d", ErrFormat, total, need)
	}
	if d.dtt == nil {
		return nil, fmt.Errorf("%w: no DTT table", ErrFormat)
	}

	s := &synthesizer{lo: d.dtt.synLo, hi: d.dtt.synHi, plans: map[[2]int]*linePlan{}}
	if err := s.prepare(t); err != nil {
		return nil, fmt.Errorf("%w (image %d×%d)", err, w, h)
	}
	f := make([]float32, w*h)
	unquantize(f, w, coef, d.dqt, t)
	s.reconstruct(f, w, h, t, scalar)
	img := image.NewGray(image.Rect(0, 0, w, h))
	toPixels(img.Pix, f, d.frame.shift, d.frame.scale)
	return img, nil
}

// block decodes one block's entropy-coded data (spec §B.3 and Table B.5),
// appending to coef, which may not exceed total samples. The coefficient
// stream runs on from block to block in subband order.
func (d *decoder) block(coef []int16, total int, h *huffTable, off int) ([]int16, error) {
	br := bitReader{data: d.r.data, pos: d.r.pos}
	fail := func(format string, args ...any) ([]int16, error) {
		return coef, segmentError("SOB", off, ErrFormat, "block %d, data byte %d: %s", d.blocks, br.pos, fmt.Sprintf(format, args...))
	}
	for {
		sym := br.decode(h)
		var run int
		switch {
		case sym == symMarker:
			d.r.pos = br.pos
			return coef, nil
		case sym == symEOF:
			return fail("data ends without a marker")
		case sym == symBad:
			return fail("invalid Huffman code")
		case sym >= 1 && sym <= 100:
			run = sym
		case sym >= 107 && sym <= 254:
			if len(coef) >= total {
				return fail("more coefficients than the %d subband samples", total)
			}
			coef = append(coef, int16(sym-180))
			continue
		case sym >= 101 && sym <= 106:
			k := uint(8)
			if sym == 103 || sym == 104 || sym == 106 {
				k = 16
			}
			v, ok := br.bits(k)
			if !ok {
				return fail("escape %d: %d-bit value cut short", sym, k)
			}
			if sym >= 105 {
				run = int(v)
				break
			}
			if len(coef) >= total {
				return fail("more coefficients than the %d subband samples", total)
			}
			if sym == 102 || sym == 104 {
				coef = append(coef, int16(-int32(v)))
			} else {
				coef = append(coef, int16(v))
			}
			continue
		default:
			return fail("invalid symbol %d", sym)
		}
		if run > total-len(coef) {
			return fail("zero run of %d past the %d subband samples", run, total)
		}
		n := len(coef)
		coef = slices.Grow(coef, run)[:n+run]
		clear(coef[n:])
	}
}

// unquantize places the dequantized coefficients of every transmitted
// subband in f (spec §A.2), in single precision as the reference does:
// Q·(p − C) + Z/2 for p > 0, Q·(p + C) − Z/2 for p < 0, 0 for p = 0. f must
// be zeroed. Small indices, which are nearly all of them, come from a table
// computed with the same arithmetic.
func unquantize(f []float32, width int, coef []int16, q *quantTable, t *trees) {
	const small = 64
	var table [2*small + 1]float32
	c := q.center
	i := 0
	for k := 0; k < codedBands; k++ {
		qb := q.q[k]
		if qb == 0 {
			continue
		}
		hz := float64(q.z[k]) / 2
		value := func(p int16) float32 {
			switch {
			case p > 0:
				return float32(float64(float32(qb*(float32(p)-c))) + hz)
			case p < 0:
				return float32(float64(float32(qb*(float32(p)+c))) - hz)
			}
			return 0
		}
		for p := -small; p <= small; p++ {
			table[p+small] = value(int16(p))
		}
		r := t.q[k]
		for y := r.y; y < r.y+r.h; y++ {
			row := f[y*width+r.x : y*width+r.x+r.w]
			src := coef[i : i+len(row)]
			i += len(row)
			for x, p := range src {
				switch {
				case p == 0:
				case p >= -small && p <= small:
					row[x] = table[int(p)+small]
				default:
					row[x] = value(p)
				}
			}
		}
	}
}

// toPixels converts reconstructed values to 8-bit pixels: v·R + M + 0.5,
// clamped to 0..255 and truncated, in single precision.
func toPixels(pix []uint8, f []float32, shift, scale float32) {
	for i, v := range f {
		t := float32(v*scale) + shift
		t += 0.5
		switch {
		case t > 255:
			pix[i] = 255
		case t >= 0:
			pix[i] = uint8(t)
		default: // negative or NaN
			pix[i] = 0
		}
	}
}

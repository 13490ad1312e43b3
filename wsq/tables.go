package wsq

// frameHeader is the SOF segment (spec §B.2.2): the image size and the
// shift M and scale R that map reconstructed values back to pixels.
type frameHeader struct {
	black, white  uint8
	height, width int
	shift, scale  float32
	encoder       uint8
	software      uint16
}

func parseFrame(body []byte, off int) (frameHeader, error) {
	var f frameHeader
	if len(body) != 15 {
		return f, segmentError("SOF", off, ErrFormat, "length %d, want 17", len(body)+2)
	}
	r := reader{data: body}
	f.black, _ = r.u8()
	f.white, _ = r.u8()
	h, _ := r.u16()
	w, _ := r.u16()
	f.height, f.width = int(h), int(w)
	es, _ := r.u8()
	ev, _ := r.u16()
	f.shift = scaled(uint32(ev), es)
	rs, _ := r.u8()
	rv, _ := r.u16()
	f.scale = scaled(uint32(rv), rs)
	f.encoder, _ = r.u8()
	f.software, _ = r.u16()
	if f.width == 0 || f.height == 0 {
		return f, segmentError("SOF", off, ErrFormat, "image size %d×%d", f.width, f.height)
	}
	return f, nil
}

// transformTable is the DTT segment (spec §B.2.3), expanded into the
// synthesis filters used by the decoder. The segment carries the right half
// of the symmetric analysis lowpass and highpass filters; the synthesis
// highpass is the analysis lowpass modulated by (-1)^n and the synthesis
// lowpass is the analysis highpass modulated likewise.
type transformTable struct {
	anaLoLen, anaHiLen int       // analysis filter lengths as declared
	anaLo, anaHi       []float32 // right halves as transmitted (centre first)
	synLo, synHi       []float32 // full synthesis filters
}

// maxTaps bounds the filter lengths accepted (the standard filters have 9
// and 7 taps), which bounds the memory of the synthesis plans.
const maxTaps = 31

func parseTransform(body []byte, off int) (*transformTable, error) {
	if len(body) < 2 {
		return nil, segmentError("DTT", off, ErrFormat, "truncated")
	}
	t := &transformTable{anaLoLen: int(body[0]), anaHiLen: int(body[1])}
	if t.anaLoLen > maxTaps || t.anaHiLen > maxTaps {
		return nil, segmentError("DTT", off, ErrUnsupported, "filters of %d and %d taps (at most %d supported)", t.anaLoLen, t.anaHiLen, maxTaps)
	}
	if t.anaLoLen%2 == 0 || t.anaHiLen%2 == 0 {
		return nil, segmentError("DTT", off, ErrUnsupported, "even-length filters (%d, %d)", t.anaLoLen, t.anaHiLen)
	}
	nLo, nHi := (t.anaLoLen+1)/2, (t.anaHiLen+1)/2
	if want := 2 + 6*(nLo+nHi); len(body) != want {
		return nil, segmentError("DTT", off, ErrFormat, "length %d, want %d for filters of %d and %d taps", len(body)+2, want+2, t.anaLoLen, t.anaHiLen)
	}
	r := reader{data: body, pos: 2}
	read := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			sign, _ := r.u8()
			scale, _ := r.u8()
			val, _ := r.u32()
			v[i] = scaled(val, scale)
			if sign != 0 {
				v[i] = -v[i]
			}
		}
		return v
	}
	t.anaLo = read(nLo)
	t.anaHi = read(nHi)
	t.synHi = expandModulated(t.anaLo)
	t.synLo = expandModulated(t.anaHi)
	return t, nil
}

// expandModulated returns the symmetric odd-length filter whose right half,
// from the centre outwards, is half[k]·(-1)^k.
func expandModulated(half []float32) []float32 {
	c := len(half) - 1
	f := make([]float32, 2*c+1)
	for k, v := range half {
		if k%2 == 1 {
			v = -v
		}
		f[c+k] = v
		f[c-k] = v
	}
	return f
}

// quantTable is the DQT segment (spec §B.2.4): the bin centre C and, per
// subband, the quantizer bin width Q and zero-bin width Z.
type quantTable struct {
	center float32
	q, z   [numSubbands]float32
}

func parseQuant(body []byte, off int) (*quantTable, error) {
	if len(body) != 3+6*numSubbands {
		return nil, segmentError("DQT", off, ErrFormat, "length %d, want %d", len(body)+2, 3+6*numSubbands+2)
	}
	r := reader{data: body}
	q := &quantTable{}
	s, _ := r.u8()
	v, _ := r.u16()
	q.center = scaled(uint32(v), s)
	for k := 0; k < numSubbands; k++ {
		s, _ = r.u8()
		v, _ = r.u16()
		q.q[k] = scaled(uint32(v), s)
		s, _ = r.u8()
		v, _ = r.u16()
		q.z[k] = scaled(uint32(v), s)
	}
	return q, nil
}

// maxHuffTables is the number of Huffman table slots (identifiers 0..7).
const maxHuffTables = 8

// huffSpec is one Huffman table as transmitted: the number of codes of each
// length 1..16 and the symbols in code order (spec §B.2.5, as in ISO/IEC
// 10918-1 Annex C).
type huffSpec struct {
	counts [16]uint8
	values []uint8
}

// parseHuffman reads a DHT segment, which may define several tables.
func parseHuffman(body []byte, off int, tables *[maxHuffTables]*huffTable) error {
	r := reader{data: body}
	for r.remaining() > 0 {
		id, _ := r.u8()
		if id >= maxHuffTables {
			return segmentError("DHT", off, ErrFormat, "table identifier %d at byte %d (want 0..%d)", id, off+4+r.pos-1, maxHuffTables-1)
		}
		if r.remaining() < 16 {
			return segmentError("DHT", off, ErrFormat, "table %d: truncated code counts", id)
		}
		var s huffSpec
		total := 0
		for i := range s.counts {
			s.counts[i], _ = r.u8()
			total += int(s.counts[i])
		}
		if total == 0 || total > 256 {
			return segmentError("DHT", off, ErrFormat, "table %d: %d codes", id, total)
		}
		if r.remaining() < total {
			return segmentError("DHT", off, ErrFormat, "table %d: %d symbols declared, %d bytes left", id, total, r.remaining())
		}
		s.values = append([]uint8(nil), r.data[r.pos:r.pos+total]...)
		r.pos += total
		h, err := newHuffTable(s)
		if err != nil {
			return segmentError("DHT", off, ErrFormat, "table %d: %v", id, err)
		}
		tables[id] = h
	}
	return nil
}

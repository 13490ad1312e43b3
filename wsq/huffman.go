package wsq

import "errors"

// lutBits is the number of leading bits resolved by one table lookup.
const lutBits = 9

// huffTable is a canonical Huffman code prepared for decoding.
type huffTable struct {
	spec huffSpec
	// lut maps the next lutBits bits to length<<8 | symbol, or 0 when the
	// code is longer than lutBits.
	lut [1 << lutBits]uint16
	// maxcode[l] is the largest code of length l, or -1 if none;
	// valptr[l] the index in spec.values of the first code of length l,
	// mincode[l] that code.
	maxcode [17]int32
	mincode [17]int32
	valptr  [17]int32
}

var errHuffCodes = errors.New("code lengths overflow (not a prefix code)")

// newHuffTable generates the canonical codes (ISO/IEC 10918-1 C.2) and the
// decoding tables.
func newHuffTable(s huffSpec) (*huffTable, error) {
	h := &huffTable{spec: s}
	code, k := int32(0), int32(0)
	for l := 1; l <= 16; l++ {
		n := int32(s.counts[l-1])
		if code+n > 1<<l {
			return nil, errHuffCodes
		}
		if n == 0 {
			h.maxcode[l] = -1
		} else {
			h.valptr[l] = k
			h.mincode[l] = code
			for i := int32(0); i < n; i++ {
				if l <= lutBits {
					shift := lutBits - l
					for j := int32(0); j < 1<<shift; j++ {
						h.lut[(code+i)<<shift|j] = uint16(l)<<8 | uint16(s.values[k+i])
					}
				}
			}
			code += n
			k += n
			h.maxcode[l] = code - 1
		}
		code <<= 1
	}
	return h, nil
}

// bitReader reads the entropy-coded data of a block: bytes with 0xFF
// followed by a stuffed 0x00, ending at the next marker (spec §B.3).
type bitReader struct {
	data   []byte
	pos    int    // next byte to load
	acc    uint64 // right-aligned bit buffer
	n      uint   // valid bits in acc
	marker bool   // pos is at a marker: no more data bits in this block
}

func (b *bitReader) fill() {
	for b.n <= 56 && !b.marker {
		if b.pos >= len(b.data) {
			return
		}
		c := b.data[b.pos]
		if c == 0xFF {
			if b.pos+1 >= len(b.data) {
				return
			}
			if b.data[b.pos+1] != 0 {
				b.marker = true
				return
			}
			b.pos += 2
		} else {
			b.pos++
		}
		b.acc = b.acc<<8 | uint64(c)
		b.n += 8
	}
}

// peek returns the next k bits (k ≤ 32), zero-padded past the end of data.
func (b *bitReader) peek(k uint) uint32 {
	if b.n >= k {
		return uint32(b.acc>>(b.n-k)) & (1<<k - 1)
	}
	return uint32(b.acc<<(k-b.n)) & (1<<k - 1)
}

func (b *bitReader) skip(k uint) {
	b.n -= k
	b.acc &= 1<<b.n - 1
}

// symbol results besides 0..255.
const (
	symMarker = -1 // the block ended (a marker follows); remaining bits are padding
	symEOF    = -2 // the data ended without a marker
	symBad    = -3 // the bits match no code
)

// decode returns the next symbol.
func (b *bitReader) decode(h *huffTable) int {
	if b.n < 16 {
		b.fill()
	}
	if e := h.lut[b.peek(lutBits)]; e != 0 {
		if l := uint(e >> 8); l <= b.n {
			b.skip(l)
			return int(e & 0xFF)
		}
		return b.end()
	}
	code := int32(b.peek(16))
	for l := uint(1); l <= 16; l++ {
		c := code >> (16 - l)
		if h.maxcode[l] >= 0 && c <= h.maxcode[l] {
			if l > b.n {
				return b.end()
			}
			i := h.valptr[l] + c - h.mincode[l]
			if c < h.mincode[l] || int(i) >= len(h.spec.values) {
				return symBad
			}
			b.skip(l)
			return int(h.spec.values[i])
		}
	}
	if b.n < 16 {
		// The unmatched bits include zero padding past the data.
		return b.end()
	}
	return symBad
}

func (b *bitReader) end() int {
	if b.marker {
		return symMarker
	}
	return symEOF
}

// bits returns the next k ≤ 16 raw bits, or false if the block's data ends
// first.
func (b *bitReader) bits(k uint) (uint32, bool) {
	if b.n < k {
		b.fill()
		if b.n < k {
			return 0, false
		}
	}
	v := b.peek(k)
	b.skip(k)
	return v, true
}

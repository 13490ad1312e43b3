package wsq

import "fmt"

// Marker codes (spec §B.1, Table B.1).
const (
	markerSOI = 0xFFA0 // start of image
	markerEOI = 0xFFA1 // end of image
	markerSOF = 0xFFA2 // start of frame
	markerSOB = 0xFFA3 // start of block
	markerDTT = 0xFFA4 // define transform table
	markerDQT = 0xFFA5 // define quantization table
	markerDHT = 0xFFA6 // define Huffman table(s)
	markerDRT = 0xFFA7 // define restart interval
	markerCOM = 0xFFA8 // comment
)

// markerName returns the mnemonic of a marker for error messages.
func markerName(m uint16) string {
	switch m {
	case markerSOI:
		return "SOI"
	case markerEOI:
		return "EOI"
	case markerSOF:
		return "SOF"
	case markerSOB:
		return "SOB"
	case markerDTT:
		return "DTT"
	case markerDQT:
		return "DQT"
	case markerDHT:
		return "DHT"
	case markerDRT:
		return "DRT"
	case markerCOM:
		return "COM"
	}
	if m >= 0xFFB0 && m <= 0xFFB7 {
		return fmt.Sprintf("RST%d", m-0xFFB0)
	}
	return fmt.Sprintf("0x%04X", m)
}

// reader walks the byte stream of a WSQ file.
type reader struct {
	data []byte
	pos  int
}

func (r *reader) remaining() int { return len(r.data) - r.pos }

func (r *reader) u8() (uint8, bool) {
	if r.pos >= len(r.data) {
		return 0, false
	}
	b := r.data[r.pos]
	r.pos++
	return b, true
}

func (r *reader) u16() (uint16, bool) {
	if r.remaining() < 2 {
		return 0, false
	}
	v := uint16(r.data[r.pos])<<8 | uint16(r.data[r.pos+1])
	r.pos += 2
	return v, true
}

func (r *reader) u32() (uint32, bool) {
	if r.remaining() < 4 {
		return 0, false
	}
	d := r.data[r.pos:]
	r.pos += 4
	return uint32(d[0])<<24 | uint32(d[1])<<16 | uint32(d[2])<<8 | uint32(d[3]), true
}

// segment reads the length field of the segment whose marker was just read
// (at offset off) and returns the segment body (without the length field).
func (r *reader) segment(marker uint16, off int) (body []byte, err error) {
	n, ok := r.u16()
	if !ok {
		return nil, segmentError(markerName(marker), off, ErrFormat, "truncated length field")
	}
	if n < 2 || int(n)-2 > r.remaining() {
		return nil, segmentError(markerName(marker), off, ErrFormat, "declared length %d exceeds the %d bytes left", n, r.remaining()+2)
	}
	body = r.data[r.pos : r.pos+int(n)-2]
	r.pos += int(n) - 2
	return body, nil
}

// scaled returns value / 10^scale computed as the reference implementation
// does: in single precision, dividing by ten once per unit of scale with the
// quotient rounded to single precision each time. The spec (§B.2.x) encodes
// every real parameter as such a (scale, value) pair.
func scaled(value uint32, scale uint8) float32 {
	f := float32(value)
	for ; scale > 0; scale-- {
		f = float32(float64(f) / 10)
	}
	return f
}

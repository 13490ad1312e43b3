package wsq

import (
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"slices"
	"strconv"
)

// DefaultBitrate is the usual WSQ target rate for 500 ppi prints, in bits
// per pixel (about 15:1).
const DefaultBitrate = 0.75

// Options control EncodeOptions.
type Options struct {
	// Bitrate is the target in bits per pixel; 0 means DefaultBitrate.
	Bitrate float64
	// PPI is the scanning resolution recorded in the NISTCOM comment;
	// 0 means 500, a negative value records -1 (unknown).
	PPI int
	// Comments are written as additional COM segments after the NISTCOM
	// comment.
	Comments []string
}

// Encode writes img as WSQ at bitrate bits per pixel (DefaultBitrate if 0),
// recording 500 ppi.
func Encode(w io.Writer, img image.Image, bitrate float64) error {
	return EncodeOptions(w, img, &Options{Bitrate: bitrate})
}

// EncodeOptions writes img as WSQ. Colour images are converted to gray.
// Width and height must be at most 65535 and large enough for the
// five-level decomposition (ErrTooSmall otherwise).
func EncodeOptions(w io.Writer, img image.Image, o *Options) error {
	if o == nil {
		o = &Options{}
	}
	rate := o.Bitrate
	if rate == 0 {
		rate = DefaultBitrate
	}
	if !(rate > 0 && rate < 8) {
		return fmt.Errorf("wsq: bitrate %v out of range (0, 8)", o.Bitrate)
	}
	ppi := o.PPI
	if ppi == 0 {
		ppi = 500
	} else if ppi < 0 {
		ppi = -1
	}
	for _, c := range o.Comments {
		if len(c) > 0xFFFF-2 {
			return fmt.Errorf("wsq: comment of %d bytes exceeds a COM segment", len(c))
		}
	}
	pix, width, height := grayPixels(img)
	if width > 0xFFFF || height > 0xFFFF {
		return fmt.Errorf("%w: %d×%d exceeds 65535", ErrTooLarge, width, height)
	}
	if width == 0 || height == 0 {
		return fmt.Errorf("%w: empty image", ErrTooSmall)
	}
	data, err := encode(pix, width, height, rate, ppi, o.Comments)
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// grayPixels returns img's 8-bit gray pixels row by row.
func grayPixels(img image.Image) ([]uint8, int, int) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	pix := make([]uint8, w*h)
	if g, ok := img.(*image.Gray); ok {
		for y := 0; y < h; y++ {
			copy(pix[y*w:(y+1)*w], g.Pix[g.PixOffset(b.Min.X, b.Min.Y+y):])
		}
		return pix, w, h
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			pix[y*w+x] = color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y
		}
	}
	return pix, w, h
}

// scaledParam is a real parameter as transmitted: value / 10^scale.
type scaledParam struct {
	scale uint8
	value uint32
}

// toScaled returns the (scale, value) pair with the most decimal digits
// that fit in limit, for v ≥ 0.
func toScaled(v float64, limit uint32) scaledParam {
	if v <= 0 || math.IsNaN(v) {
		return scaledParam{}
	}
	var p scaledParam
	for s := 0; s < 40; s++ {
		r := math.Round(v * math.Pow(10, float64(s)))
		if r > float64(limit) {
			break
		}
		p = scaledParam{uint8(s), uint32(r)}
	}
	return p
}

func (p scaledParam) float() float32 { return scaled(p.value, p.scale) }

// encoder output helpers.
type segmentWriter struct{ b []byte }

func (s *segmentWriter) u8(v uint8)   { s.b = append(s.b, v) }
func (s *segmentWriter) u16(v uint16) { s.b = append(s.b, byte(v>>8), byte(v)) }
func (s *segmentWriter) u32(v uint32) {
	s.b = append(s.b, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

// segment appends marker m, the length field and body.
func (s *segmentWriter) segment(m uint16, body []byte) {
	s.u16(m)
	s.u16(uint16(len(body) + 2))
	s.b = append(s.b, body...)
}

func encode(pix []uint8, width, height int, rate float64, ppi int, comments []string) ([]byte, error) {
	t := buildTrees(width, height)

	// The filters as transmitted, which the decoder will use.
	var dtt segmentWriter
	dtt.u8(uint8(len(stdAnalysisLow)))
	dtt.u8(uint8(len(stdAnalysisHigh)))
	var anaLoHalf, anaHiHalf []float32
	for _, f := range []struct {
		taps []float64
		half *[]float32
	}{{stdAnalysisLow, &anaLoHalf}, {stdAnalysisHigh, &anaHiHalf}} {
		for _, c := range f.taps[len(f.taps)/2:] {
			p := toScaled(math.Abs(c), math.MaxUint32)
			sign := uint8(0)
			v := p.float()
			if c < 0 {
				sign, v = 1, -v
			}
			dtt.u8(sign)
			dtt.u8(p.scale)
			dtt.u32(p.value)
			*f.half = append(*f.half, v)
		}
	}
	lo, hi := mirrorHalf(anaLoHalf), mirrorHalf(anaHiHalf)

	// Shift and scale the pixels to about ±128 (spec §A.1).
	lowest, highest, sum := 255, 0, 0
	for _, p := range pix {
		lowest, highest = min(lowest, int(p)), max(highest, int(p))
		sum += int(p)
	}
	mean := float64(sum) / float64(len(pix))
	shiftP := toScaled(mean, 0xFFFF)
	scaleP := toScaled(max(mean-float64(lowest), float64(highest)-mean)/128, 0xFFFF)
	if scaleP.value == 0 {
		scaleP = toScaled(1, 0xFFFF) // a flat image
	}
	shift, scale := shiftP.float(), scaleP.float()
	f := make([]float32, len(pix))
	for i, p := range pix {
		f[i] = (float32(p) - shift) / scale
	}

	an := &analyzer{lo: lo, hi: hi, plans: map[[2]int]*linePlan{}}
	if err := an.decompose(f, width, height, t); err != nil {
		return nil, fmt.Errorf("%w (image %d×%d)", err, width, height)
	}
	// The decoder must also be able to rebuild it.
	syn := &synthesizer{lo: expandModulated(anaHiHalf), hi: expandModulated(anaLoHalf), plans: map[[2]int]*linePlan{}}
	if err := syn.prepare(t); err != nil {
		return nil, fmt.Errorf("%w (image %d×%d)", err, width, height)
	}

	// Bit allocation and the quantization table as transmitted.
	Q := binWidths(variances(f, width, t), rate)
	// A very smooth image can leave so few subbands that the allocation
	// asks for bins too fine for 16-bit indices; widen them to fit.
	for k := range Q {
		if Q[k] > 0 {
			Q[k] = max(Q[k], maxAbs(f, width, t.q[k])/32000)
		}
	}
	var dqt segmentWriter
	cp := toScaled(binCenter, 0xFFFF)
	dqt.u8(cp.scale)
	dqt.u16(uint16(cp.value))
	var qs, zs [numSubbands]float32
	for k := 0; k < numSubbands; k++ {
		var qp, zp scaledParam
		if k < codedBands && Q[k] > 0 {
			qp = toScaled(Q[k], 0xFFFF)
			zp = toScaled(zeroBinRatio*Q[k], 0xFFFF)
		}
		qs[k], zs[k] = qp.float(), zp.float()
		if qs[k] == 0 {
			zs[k] = 0
			qp, zp = scaledParam{}, scaledParam{}
		}
		dqt.u8(qp.scale)
		dqt.u16(uint16(qp.value))
		dqt.u8(zp.scale)
		dqt.u16(uint16(zp.value))
	}
	coef := quantize(nil, f, width, t, &qs, &zs)

	// Split the coefficient stream into the three blocks.
	var bounds [4]int
	n := 0
	for k := 0; k < codedBands; k++ {
		if k == block2Start {
			bounds[1] = n
		}
		if k == block3Start {
			bounds[2] = n
		}
		if qs[k] != 0 {
			n += t.q[k].w * t.q[k].h
		}
	}
	bounds[3] = n
	var blocks [3][]symbol
	for i := range blocks {
		blocks[i] = symbols(coef[bounds[i]:bounds[i+1]])
	}

	// Output: SOI, comments, DTT, DQT, SOF, then the blocks; the first
	// block has its own Huffman table, the other two share one.
	var out segmentWriter
	out.u16(markerSOI)
	fields := map[string]string{
		"PIX_WIDTH": strconv.Itoa(width), "PIX_HEIGHT": strconv.Itoa(height), "PIX_DEPTH": "8",
		"PPI": strconv.Itoa(ppi), "LOSSY": "1", "COLORSPACE": "GRAY", "COMPRESSION": "WSQ",
		"WSQ_BITRATE": strconv.FormatFloat(rate, 'f', 6, 64),
	}
	out.segment(markerCOM, []byte(FormatNISTCOM(fields, "PIX_WIDTH", "PIX_HEIGHT", "PIX_DEPTH", "PPI", "LOSSY", "COLORSPACE", "COMPRESSION", "WSQ_BITRATE")))
	for _, c := range comments {
		out.segment(markerCOM, []byte(c))
	}
	out.segment(markerDTT, dtt.b)
	out.segment(markerDQT, dqt.b)
	var sof segmentWriter
	sof.u8(0)
	sof.u8(255)
	sof.u16(uint16(height))
	sof.u16(uint16(width))
	sof.u8(shiftP.scale)
	sof.u16(uint16(shiftP.value))
	sof.u8(scaleP.scale)
	sof.u16(uint16(scaleP.value))
	sof.u8(2) // encoder algorithm number as written by NBIS cwsq
	sof.u16(0)
	out.segment(markerSOF, sof.b)

	// Huffman tables from the symbol frequencies: table 0 for block 1,
	// table 1 shared by blocks 2 and 3, each defined before its first use.
	var freq [2][256]int
	for i, blk := range blocks {
		for _, s := range blk {
			freq[min(i, 1)][s.sym]++
		}
	}
	var enc [2]*huffEncoder
	for i, blk := range blocks {
		tb := min(i, 1)
		if enc[tb] == nil {
			if !slices.ContainsFunc(freq[tb][:], func(n int) bool { return n > 0 }) {
				freq[tb][1] = 1 // an empty table is invalid; define one code
			}
			spec := buildHuffSpec(&freq[tb])
			var dht segmentWriter
			dht.u8(uint8(tb))
			dht.b = append(dht.b, spec.counts[:]...)
			dht.b = append(dht.b, spec.values...)
			out.segment(markerDHT, dht.b)
			enc[tb] = newHuffEncoder(spec)
		}
		out.segment(markerSOB, []byte{uint8(tb)})
		bw := bitWriter{out: out.b}
		e := enc[tb]
		for _, s := range blk {
			bw.write(uint32(e.code[s.sym]), uint(e.size[s.sym]))
			if s.nbits > 0 {
				bw.write(uint32(s.extra), uint(s.nbits))
			}
		}
		bw.flush()
		out.b = bw.out
	}
	out.u16(markerEOI)
	return out.b, nil
}

// mirrorHalf returns the symmetric filter whose right half (centre first)
// is half.
func mirrorHalf(half []float32) []float32 {
	c := len(half) - 1
	f := make([]float32, 2*c+1)
	for k, v := range half {
		f[c+k], f[c-k] = v, v
	}
	return f
}

// maxAbs returns the largest magnitude in rectangle r of f.
func maxAbs(f []float32, width int, r rect) float64 {
	m := float32(0)
	for y := r.y; y < r.y+r.h; y++ {
		for _, v := range f[y*width+r.x : y*width+r.x+r.w] {
			m = max(m, v, -v)
		}
	}
	return float64(m)
}

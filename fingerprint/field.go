package fingerprint

import (
	"fmt"
	"math"
)

// FieldBlock is the side, in pixels of the template's coordinates, of the
// blocks of an OrientationField: 16 pixels at 500 ppi, about 1.8 ridge
// periods, coarse enough that a comparison reads a few hundred blocks
// and fine enough to follow the field around a core or delta.
const FieldBlock = 16

// OrientationField is the coarse ridge-orientation field of an impression,
// kept in the engine's own template next to the minutiae. The matcher
// compares the fields of two impressions in the alignment the minutiae
// give (Gu, Zhou and Yang, "Fingerprint recognition by combining global
// structure and local cues", IEEE TIP 15(7), 2006; Qi, Yang and Wang,
// "Fingerprint matching combining the global orientation field with
// minutia", Pattern Recognition Letters 26, 2005): two impressions of one
// finger agree on the ridge flow wherever they overlap, two fingers of a
// class only roughly.
//
// Block (i, j) covers template pixels [FieldBlock·i, FieldBlock·(i+1)) ×
// [FieldBlock·j, FieldBlock·(j+1)); Width and Height count the blocks
// across and down, and Dir and Coherence hold one byte per block, row by
// row.
type OrientationField struct {
	Width, Height int
	// Dir is the ridge direction in degrees 0..179, counter-clockwise from
	// the x axis with y pointing up (as Minutia.Angle), where Coherence is
	// not 0; 0 elsewhere.
	Dir []uint8
	// Coherence is how consistently the gradients agree in the block,
	// 1..255 for 0..1, and 0 outside the print.
	Coherence []uint8
}

// maxFieldBlocks bounds a field's block count: a 65535-pixel square.
const maxFieldBlocks = (65535/FieldBlock + 1) * (65535/FieldBlock + 1)

// validate reports the first inconsistency of f, naming the block.
func (f *OrientationField) validate() error {
	if f.Width < 0 || f.Height < 0 || f.Width*f.Height > maxFieldBlocks || (f.Width == 0) != (f.Height == 0) {
		return fmt.Errorf("orientation field %d×%d blocks out of range", f.Width, f.Height)
	}
	n := f.Width * f.Height
	if len(f.Dir) != n || len(f.Coherence) != n {
		return fmt.Errorf("orientation field %d×%d blocks has %d directions and %d coherences", f.Width, f.Height, len(f.Dir), len(f.Coherence))
	}
	if k := badFieldBlock(f.Dir, f.Coherence); k >= 0 {
		return fmt.Errorf("orientation field block (%d, %d): direction %d with coherence %d", k%f.Width, k/f.Width, f.Dir[k], f.Coherence[k])
	}
	return nil
}

// FieldDegrees returns the undirected direction a (radians, counter-clockwise
// with y up) in whole degrees 0..179, as OrientationField.Dir holds it.
func FieldDegrees(a float64) uint8 {
	d := int(math.Round(a*180/math.Pi)) % 180
	if d < 0 {
		d += 180
	}
	return uint8(d)
}

// fieldFromPlanes returns the field of fw×fh blocks laid out as two planes,
// the directions then the coherences (copied), or the index of its first
// inconsistent block (badFieldBlock).
func fieldFromPlanes(fw, fh int, planes []byte) (*OrientationField, int) {
	nb := fw * fh
	dir, coh := planes[:nb], planes[nb:2*nb]
	if k := badFieldBlock(dir, coh); k >= 0 {
		return nil, k
	}
	return &OrientationField{Width: fw, Height: fh, Dir: append([]uint8(nil), dir...), Coherence: append([]uint8(nil), coh...)}, -1
}

// badFieldBlock returns the index of the first block whose direction is
// not 0..179, or not 0 outside the print (coherence 0); −1 when none.
// coh is at least as long as dir.
func badFieldBlock(dir, coh []uint8) int {
	for k, d := range dir {
		if d >= 180 || coh[k] == 0 && d != 0 {
			return k
		}
	}
	return -1
}

// fieldMinForeground is the share of a field block's analysis blocks that
// must be foreground for the field block to count as foreground.
const fieldMinForeground = 0.75

// field returns the orientation field of the analysed image in template
// coordinates (working pixels divided by scale): per field block, the
// coherence-weighted mean of the doubled-angle vectors of the analysis
// blocks whose centres fall in it, its direction and its length (the
// coherence of the block as a whole).
func (a *analysis) field(scale float64) *OrientationField {
	tw := int(math.Round(float64(a.w) / scale))
	th := int(math.Round(float64(a.h) / scale))
	fw, fh := (tw+FieldBlock-1)/FieldBlock, (th+FieldBlock-1)/FieldBlock
	if fw == 0 || fh == 0 {
		return nil
	}
	n := fw * fh
	type acc struct {
		c, s    float64
		all, fg int
	}
	sums := make([]acc, n)
	for by := 0; by < a.bh; by++ {
		j := min(int((float64(by)+0.5)*blockSize/scale)/FieldBlock, fh-1)
		for bx := 0; bx < a.bw; bx++ {
			i := min(int((float64(bx)+0.5)*blockSize/scale)/FieldBlock, fw-1)
			s := &sums[j*fw+i]
			s.all++
			b := by*a.bw + bx
			if !a.mask[b] {
				continue
			}
			s.fg++
			w := max(float64(a.coh[b]), 1e-3)
			t := 2 * float64(a.theta[b])
			s.c += w * math.Cos(t)
			s.s += w * math.Sin(t)
		}
	}
	f := &OrientationField{Width: fw, Height: fh, Dir: make([]uint8, n), Coherence: make([]uint8, n)}
	for k, s := range sums {
		if s.fg == 0 || float64(s.fg) < fieldMinForeground*float64(s.all) {
			continue
		}
		// theta is in image axes (y down); with y up the direction is −θ.
		f.Dir[k] = FieldDegrees(-math.Atan2(s.s, s.c) / 2)
		f.Coherence[k] = uint8(min(max(math.Round(255*math.Hypot(s.c, s.s)/float64(s.fg)), 1), 255))
	}
	return f
}

// fieldWeight is k in the fused score s_minutiae · exp(k·(s_field − 1)),
// where s_field is the coherence-weighted mean of cos 2Δ over the blocks
// the two fields share (1 when every block agrees). The score falls by e
// when s_field is 1 − 1/k = 0.75, a root-mean-square disagreement of about
// 20°, twice the error of block orientation estimates on ordinary
// impressions (Bazen and Gerez, IEEE PAMI 24(7), 2002), while genuine pairs
// (typically 0.95–0.99) lose 4–20 %. k = 2..8 all lowered the mean
// all-pairs EER on FVC2002 set B; 4 is the middle.
const fieldWeight = 4

// fieldFactor is exp(fieldWeight·(s−1)).
func fieldFactor(s float32) float64 {
	return math.Exp(fieldWeight * (float64(s) - 1))
}

// preparedField is a template's orientation field in the matcher's
// coordinates: blocks of side pixels at 500 ppi, block (i, j) covering x in
// [side·i, side·(i+1)) and y in (−side·(j+1), −side·j] (y up). cells holds
// the blocks with a border of one empty block all round, (w+2)×(h+2), one
// byte each (fieldCell), so that a lookup needs no bounds test: a position
// outside the field is clamped into the border.
type preparedField struct {
	w, h  int32 // blocks across and down, without the border
	side  float32
	cells []uint8
}

// fieldCell is a block of a prepared field in one byte: 0 outside the
// print, else 1 + 4·⌊direction/3⌋ + ⌊coherence/64⌋. Directions keep 3°
// steps (an error within ±1.5°, far below the estimates' own) and
// coherence four levels, so that a gallery's templates spend a byte per
// block; cellDir and cellWeight decode it.
func fieldCell(dir, coh uint8) uint8 {
	if coh == 0 {
		return 0
	}
	return 1 + 4*(dir/3) + coh>>6
}

// maxFieldCell is the largest fieldCell.
const maxFieldCell = 1 + 4*(179/3) + 3

// cellDir[c] is the direction in degrees of cell c (the middle of its 3°
// step; 0 for an empty cell) and cellWeight[c] its coherence (the middle
// of its level; 0 for an empty cell).
var cellDir, cellWeight = func() (d, w [256]int32) {
	for c := 1; c <= maxFieldCell; c++ {
		d[c] = 3*int32((c-1)/4) + 1
		w[c] = 64*int32((c-1)%4) + 32
	}
	return
}()

// prepareField scales f by scale (matcher pixels per template pixel).
func prepareField(f *OrientationField, scale float64) preparedField {
	if f == nil || f.validate() != nil || f.Width == 0 {
		return preparedField{}
	}
	p := preparedField{w: int32(f.Width), h: int32(f.Height), side: float32(FieldBlock * scale)}
	p.cells = make([]uint8, (f.Width+2)*(f.Height+2))
	for k, c := range f.Coherence {
		p.cells[(k/f.Width+1)*(f.Width+2)+k%f.Width+1] = fieldCell(f.Dir[k], c)
	}
	return p
}

// fieldPoint is one foreground block of a probe's field: its centre in
// the matcher's coordinates, direction (degrees) and coherence weight.
type fieldPoint struct {
	x, y     float32
	dir, coh int32
}

// fieldPoints lists the foreground blocks of f in a checkerboard, every
// other block: neighbouring blocks' directions are strongly correlated (the
// analysis smooths them over 3×3 blocks of 8 pixels), and on FVC2002 set B
// the checkerboard changed the all-pairs EER by at most a pair per set
// while halving the field's share of a comparison's time.
func fieldPoints(f *preparedField) []fieldPoint {
	var ps []fieldPoint
	for j := int32(0); j < f.h; j++ {
		for i := int32(0); i < f.w; i++ {
			c := f.cells[(j+1)*(f.w+2)+i+1]
			if (i+j)%2 == 1 || c == 0 {
				continue
			}
			ps = append(ps, fieldPoint{x: (float32(i) + 0.5) * f.side, y: -(float32(j) + 0.5) * f.side, dir: cellDir[c], coh: cellWeight[c]})
		}
	}
	return ps
}

// cos2Span[d+180] is cos(2d°)·2¹⁴, rounded, for d in −180..359: the
// agreement of two undirected orientations d degrees apart, over the range
// of differences of two directions and a rotation, each 0..179, in fixed
// point so that fieldSimilarity sums integers (exactly, in any order).
var cos2Span = func() (t [540]int64) {
	for i := range t {
		t[i] = int64(math.Round(math.Cos(2*float64(i-180)*math.Pi/180) * cos2One))
	}
	return
}()

// cos2One is 1 in cos2Span's fixed point.
const cos2One = 1 << 14

// fieldSimilarity is the coherence-weighted mean of cos 2Δ between the
// probe's field blocks, moved by the rigid motion that takes minutia pa of
// the probe onto minutia pb of c, and the blocks of c's field they land
// on (Δ: the difference of their directions after the rotation). Blocks
// that land outside c's print do not count; with none in common it is 0.
// fieldSimilarityReference in the tests is the same with bounds tests.
func (pr *Probe) fieldSimilarity(c *Prepared, pa, pb *cylinder) float32 {
	f := &c.field
	rot := pb.theta - pa.theta
	sn, cs := pb.sin*pa.cos-pb.cos*pa.sin, pb.cos*pa.cos+pb.sin*pa.sin
	// The rotation in whole degrees, to shift the probe's directions.
	rdeg := int32(math.Round(float64(rot)*180/math.Pi)) % 180
	if rdeg < 0 {
		rdeg += 180
	}
	// (x, y) ↦ block coordinates of c plus the border: u = (R·(p−pa) +
	// pb).x/side + 1, v = −(R·(p−pa) + pb).y/side + 1.
	inv := 1 / f.side
	ux, uy := cs*inv, -sn*inv
	vx, vy := -sn*inv, -cs*inv
	u0 := (pb.x-cs*pa.x+sn*pa.y)*inv + 1
	v0 := -(pb.y-sn*pa.x-cs*pa.y)*inv + 1
	// Clamping u to [0, w+1] and v to [0, h+1] lands every outside
	// position on the empty border (a float beyond int32 converts to the
	// minimum int32 on amd64 and is clamped alike).
	wmax, hmax, stride := f.w+1, f.h+1, f.w+2
	cells := f.cells
	cos := &cos2Span
	var sw, sa int64
	for _, q := range pr.fpts {
		u := ux*q.x + uy*q.y + u0
		v := vx*q.x + vy*q.y + v0
		// u in (−1, 0) truncates to 0: the border, so no floor is needed.
		i := min(max(int32(u), 0), wmax)
		j := min(max(int32(v), 0), hmax)
		cell := cells[j*stride+i]
		wt := int64(q.coh * cellWeight[cell])
		sw += wt
		sa += wt * cos[q.dir+rdeg-cellDir[cell]+180]
	}
	if sw == 0 {
		return 0
	}
	return float32(float64(sa) / float64(sw*cos2One))
}

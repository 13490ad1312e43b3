package wsq

// The wavelet decomposition tree (spec §A, Figure 1 and Tables A.1/A.2).
//
// The image is split by 20 two-dimensional analysis steps ("w-tree" nodes);
// the resulting 64 rectangles ("q-tree" nodes) are the subbands that are
// quantized and coded, of which the last four (60..63) are always discarded.
// Where a split has odd length the low band gets the extra sample, except
// where the branch is spectrally inverted (the high band comes first), in
// which case the placement follows the inversion.

const (
	numWNodes   = 20
	numSubbands = 64 // entries in the DQT table
	codedBands  = 60 // subbands 60..63 are never transmitted
	block2Start = 19 // first subband of the second coded block
	block3Start = 52 // first subband of the third coded block
)

// rect is one node of the decomposition: a rectangle of the coefficient plane.
type rect struct {
	x, y, w, h int
}

// wnode is one two-dimensional split of the w-tree. invRows and invCols mark
// spectral inversion of the horizontal (row) and vertical (column) filtering.
type wnode struct {
	rect
	invRows, invCols bool
}

// trees holds both decomposition trees for an image size.
type trees struct {
	w [numWNodes]wnode
	q [numSubbands]rect
}

// halves splits n samples into a first and a second part. When n is odd the
// first part is the longer one unless secondLonger is set.
func halves(n int, secondLonger bool) (first, second int) {
	if n%2 == 0 {
		return n / 2, n / 2
	}
	if secondLonger {
		return (n - 1) / 2, (n + 1) / 2
	}
	return (n + 1) / 2, (n - 1) / 2
}

// buildTrees computes the w-tree and q-tree for a width × height image.
func buildTrees(width, height int) *trees {
	t := &trees{}
	for _, n := range []int{2, 4, 7, 9, 11, 13, 16, 18} {
		t.w[n].invRows = true
	}
	for _, n := range []int{3, 5, 8, 9, 12, 13, 17, 18} {
		t.w[n].invCols = true
	}
	// Node 0 is the whole image; its quadrant 3 (nodes 1..3 are its
	// quadrants 1..3) is discarded, so only three children are placed.
	t.split4(0, 1, rect{0, 0, width, height}, false)
	lw, lw2 := halves(t.w[1].w, false)
	lh, lh2 := halves(t.w[1].h, false)
	t.split4(4, 6, rect{lw, 0, lw2, lh}, true)
	t.split4(5, 10, rect{0, lh, lw, lh2}, true)
	t.split4(14, 15, rect{0, 0, lw, lh}, true)
	w19, _ := halves(t.w[15].w, false)
	h19, _ := halves(t.w[15].h, false)
	t.w[19].rect = rect{0, 0, w19, h19}

	t.split16(3, t.w[14].rect, false, false)
	t.split16(19, t.w[4].rect, false, true)
	t.split16(48, t.w[0].rect, false, false)
	t.split16(35, t.w[5].rect, true, false)
	t.split4q(0, t.w[19].rect)
	return t
}

// split4 places node p1 at r and its quadrants at p2..p2+3 (only p2..p2+2
// when all is false). Nodes 4 and 5 are inverted in x and y respectively, so
// their odd splits give the extra sample to the second part.
func (t *trees) split4(p1, p2 int, r rect, all bool) {
	t.w[p1].rect = r
	w0, w1 := halves(r.w, p1 == 4)
	h0, h1 := halves(r.h, p1 == 5)
	t.w[p2].rect = rect{r.x, r.y, w0, h0}
	t.w[p2+1].rect = rect{r.x + w0, r.y, w1, h0}
	t.w[p2+2].rect = rect{r.x, r.y + h0, w0, h1}
	if all {
		t.w[p2+3].rect = rect{r.x + w0, r.y + h0, w1, h1}
	}
}

// split4q places the four subbands start..start+3 as the quadrants of r.
func (t *trees) split4q(start int, r rect) {
	w0, w1 := halves(r.w, false)
	h0, h1 := halves(r.h, false)
	t.q[start] = rect{r.x, r.y, w0, h0}
	t.q[start+1] = rect{r.x + w0, r.y, w1, h0}
	t.q[start+2] = rect{r.x, r.y + h0, w0, h1}
	t.q[start+3] = rect{r.x + w0, r.y + h0, w1, h1}
}

// split16 places the sixteen subbands start..start+15 of r. r is split in
// four quadrants (the first split gives the extra sample of an odd length to
// the second part when inverted: in y when invRows, in x when invCols), and
// each quadrant in four again; in the right and lower quadrants the second
// part gets the extra sample. Subbands are numbered quadrant by quadrant in
// raster order (top-left, top-right, bottom-left, bottom-right), and in
// raster order within each quadrant.
func (t *trees) split16(start int, r rect, invRows, invCols bool) {
	w0, w1 := halves(r.w, invCols)
	h0, h1 := halves(r.h, invRows)
	var xs, ys [2][2]int
	xs[0][0], xs[0][1] = halves(w0, false)
	xs[1][0], xs[1][1] = halves(w1, true)
	ys[0][0], ys[0][1] = halves(h0, false)
	ys[1][0], ys[1][1] = halves(h1, true)
	for qy := 0; qy < 2; qy++ {
		for qx := 0; qx < 2; qx++ {
			base := start + 8*qy + 4*qx
			ox, oy := r.x+qx*w0, r.y+qy*h0
			a, b := xs[qx][0], xs[qx][1]
			c, d := ys[qy][0], ys[qy][1]
			t.q[base] = rect{ox, oy, a, c}
			t.q[base+1] = rect{ox + a, oy, b, c}
			t.q[base+2] = rect{ox, oy + c, a, d}
			t.q[base+3] = rect{ox + a, oy + c, b, d}
		}
	}
}

package fingerprint

import "math/bits"

// Neighbourhood codes: bit i is the i-th neighbour of a pixel in clockwise
// order from north: N, NE, E, SE, S, SW, W, NW.
const (
	nbN = 1 << iota
	nbNE
	nbE
	nbSE
	nbS
	nbSW
	nbW
	nbNW
)

// neighbourTables are lookup tables indexed by a neighbourhood code.
type neighbourTables struct {
	// zs[i] says whether Zhang–Suen sub-iteration i deletes the pixel.
	zs [2][256]bool
	// crossing is the crossing number: the number of 0→1 transitions
	// around the ring (1 ending, 2 ridge, 3 bifurcation).
	crossing [256]uint8
	// count is the number of set neighbours.
	count [256]uint8
	// stair says whether the pixel is a redundant corner of a two-pixel
	// staircase: an L of two 4-neighbours, not all four set, whose removal
	// keeps the neighbours 8-connected.
	stair [256]bool
}

var nbTables = func() *neighbourTables {
	t := new(neighbourTables)
	for c := 0; c < 256; c++ {
		p := func(b int) int { return (c >> b) & 1 }
		cn := 0
		for i := 0; i < 8; i++ {
			if p(i) == 0 && p((i+1)%8) == 1 {
				cn++
			}
		}
		n := bits.OnesCount8(uint8(c))
		t.crossing[c] = uint8(cn)
		t.count[c] = uint8(n)
		// P2..P9 of Zhang & Suen (CACM 27(3), 1984) are N, NE, E, SE, S, SW, W, NW.
		p2, p4, p6, p8 := p(0), p(2), p(4), p(6)
		if n >= 2 && n <= 6 && cn == 1 {
			t.zs[0][c] = p2*p4*p6 == 0 && p4*p6*p8 == 0
			t.zs[1][c] = p2*p4*p8 == 0 && p2*p6*p8 == 0
		}
		corner := c&(nbN|nbE) == nbN|nbE || c&(nbE|nbS) == nbE|nbS || c&(nbS|nbW) == nbS|nbW || c&(nbW|nbN) == nbW|nbN
		border := c&(nbN|nbE|nbS|nbW) != nbN|nbE|nbS|nbW // removal opens no hole
		t.stair[c] = corner && border && n >= 2 && ringComponents(c) == 1
	}
	return t
}()

// ringComponents counts the 8-connected components formed by the set
// neighbours of code c (two neighbours touch when they are 8-adjacent).
func ringComponents(c int) int {
	pos := [8][2]int{{0, -1}, {1, -1}, {1, 0}, {1, 1}, {0, 1}, {-1, 1}, {-1, 0}, {-1, -1}}
	seen := 0
	comps := 0
	for i := 0; i < 8; i++ {
		if c>>i&1 == 0 || seen>>i&1 == 1 {
			continue
		}
		comps++
		stack := []int{i}
		seen |= 1 << i
		for len(stack) > 0 {
			j := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for k := 0; k < 8; k++ {
				if c>>k&1 == 0 || seen>>k&1 == 1 {
					continue
				}
				dx, dy := pos[j][0]-pos[k][0], pos[j][1]-pos[k][1]
				if dx >= -1 && dx <= 1 && dy >= -1 && dy <= 1 {
					seen |= 1 << k
					stack = append(stack, k)
				}
			}
		}
	}
	return comps
}

// code returns the neighbourhood code of pixel p in a binary image with
// row stride s (values 0 or 1; p must not be on the outermost pixel ring).
func code(img []uint8, p, s int) int {
	return int(img[p-s]) | int(img[p-s+1])<<1 | int(img[p+1])<<2 | int(img[p+s+1])<<3 |
		int(img[p+s])<<4 | int(img[p+s-1])<<5 | int(img[p-1])<<6 | int(img[p-s-1])<<7
}

// thin binarises the enhanced image (ridge where the filter output is
// negative, inside the foreground) and thins the ridges to one-pixel-wide
// 8-connected lines: Zhang–Suen parallel thinning, then removal of the
// redundant corner pixels it leaves on diagonal staircases so that every
// line pixel has exactly two neighbours. The skeleton is in a.skel, laid out
// like a.img.
func (a *analysis) thin() {
	w, h, pw, bw := a.w, a.h, a.pw, a.bw
	n := pw * a.ph
	a.skel = grow(a.skel, n)
	clear(a.skel)
	sk, enh := a.skel, a.enh
	list := a.list[:0]
	for y := 0; y < h; y++ {
		brow := (y / blockSize) * bw
		row := (y+pad)*pw + pad
		for x := 0; x < w; x++ {
			if a.mask[brow+x/blockSize] && enh[row+x] < 0 {
				sk[row+x] = 1
				list = append(list, int32(row+x))
			}
		}
	}
	t := nbTables
	del := a.del[:0]
	for {
		changed := false
		for sub := 0; sub < 2; sub++ {
			del = del[:0]
			zs := &t.zs[sub]
			for _, p := range list {
				if zs[code(sk, int(p), pw)] {
					del = append(del, p)
				}
			}
			for _, p := range del {
				sk[p] = 0
			}
			if len(del) > 0 {
				changed = true
				k := 0
				for _, p := range list {
					if sk[p] != 0 {
						list[k] = p
						k++
					}
				}
				list = list[:k]
			}
		}
		if !changed {
			break
		}
	}
	for _, p := range list {
		if t.stair[code(sk, int(p), pw)] {
			sk[p] = 0
		}
	}
	a.list, a.del = list, del
}

package wsq

import "testing"

// TestTreesTile checks that the 64 subbands tile the image exactly and that
// every w-tree node's four quadrants lie inside it, for many sizes.
func TestTreesTile(t *testing.T) {
	for _, sz := range [][2]int{{65, 65}, {66, 67}, {256, 256}, {545, 622}, {804, 752}, {777, 1001}, {1608, 1000}, {391, 999}} {
		w, h := sz[0], sz[1]
		tr := buildTrees(w, h)
		cover := make([]uint8, w*h)
		for k, r := range tr.q {
			if r.w <= 0 || r.h <= 0 || r.x < 0 || r.y < 0 || r.x+r.w > w || r.y+r.h > h {
				t.Fatalf("%d×%d: subband %d %+v outside the image", w, h, k, r)
			}
			for y := r.y; y < r.y+r.h; y++ {
				for x := r.x; x < r.x+r.w; x++ {
					cover[y*w+x]++
				}
			}
		}
		for i, c := range cover {
			if c != 1 {
				t.Fatalf("%d×%d: pixel (%d,%d) covered %d times", w, h, i%w, i/w, c)
			}
		}
		// Node 0 is the image; node 19 the deepest lowpass band, which
		// holds subbands 0..3.
		if n := tr.w[0]; n.rect != (rect{0, 0, w, h}) {
			t.Errorf("%d×%d: node 0 %+v", w, h, n.rect)
		}
		r19 := tr.w[19].rect
		if a := tr.q[0].w*tr.q[0].h + tr.q[1].w*tr.q[1].h + tr.q[2].w*tr.q[2].h + tr.q[3].w*tr.q[3].h; a != r19.w*r19.h {
			t.Errorf("%d×%d: subbands 0..3 cover %d samples, node 19 has %d", w, h, a, r19.w*r19.h)
		}
	}
}

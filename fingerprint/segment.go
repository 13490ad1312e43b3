package fingerprint

// Segmentation parameters.
const (
	// energyFloor is the least mean squared Sobel gradient of a foreground
	// block: a ridge pattern of ±2.5 gray levels (Sobel gain 8 on the
	// derivative, ridge period 9.5 px) has about this.
	energyFloor = 100
	// energyFraction of the 90th percentile block energy is the relative
	// threshold (ridge amplitude about a third of the strong areas');
	// ridges under a dry or light part of the finger are weaker than the
	// best area but far stronger than the sensor's background.
	energyFraction = 0.12
)

// segment separates the fingerprint area from the background on the block
// grid: a block is foreground when the mean squared gradient around it
// clears both an absolute floor and a fraction of the image's strong ridge
// areas (the variance criterion of Mehtre, and of Bazen & Gerez's pixel
// features, on gradients). The mask is then cleaned morphologically: an
// opening removes isolated specks, only the largest connected region is kept
// and its holes are filled.
func (a *analysis) segment() {
	nb := a.bw * a.bh
	vals := a.tmpB[:0]
	for _, e := range a.energy {
		vals = append(vals, e)
	}
	p90 := percentile(vals, 0.9)
	thr := float32(energyFloor)
	if t := float32(energyFraction * p90); t > thr {
		thr = t
	}
	m := a.mask
	for i := 0; i < nb; i++ {
		m[i] = a.energy[i] >= thr
	}
	a.cleanMask()
}

// cleanMask opens and closes the block mask, keeps the largest region, fills
// its holes and counts the foreground blocks.
func (a *analysis) cleanMask() {
	a.morph(false) // erode
	a.morph(true)  // dilate: opening
	a.morph(true)  // dilate
	a.morph(false) // erode: closing
	a.keepLargest()
	a.fillHoles()
	a.fgBlocks = 0
	for _, f := range a.mask {
		if f {
			a.fgBlocks++
		}
	}
}

// percentile returns the q-quantile of v (0..1), reordering v.
func percentile(v []float32, q float64) float64 {
	if len(v) == 0 {
		return 0
	}
	// Selection by sorting is fine: a few thousand blocks.
	sortFloat32(v)
	i := int(q * float64(len(v)-1))
	return float64(v[i])
}

func sortFloat32(v []float32) {
	// Insertion sort on small inputs, heap sort otherwise; avoids the
	// interface allocation of sort.Slice.
	if len(v) < 32 {
		for i := 1; i < len(v); i++ {
			for j := i; j > 0 && v[j] < v[j-1]; j-- {
				v[j], v[j-1] = v[j-1], v[j]
			}
		}
		return
	}
	n := len(v)
	for i := n/2 - 1; i >= 0; i-- {
		siftDown(v, i, n)
	}
	for end := n - 1; end > 0; end-- {
		v[0], v[end] = v[end], v[0]
		siftDown(v, 0, end)
	}
}

func siftDown(v []float32, i, n int) {
	for {
		c := 2*i + 1
		if c >= n {
			return
		}
		if c+1 < n && v[c+1] > v[c] {
			c++
		}
		if v[i] >= v[c] {
			return
		}
		v[i], v[c] = v[c], v[i]
		i = c
	}
}

// morph dilates (or erodes) the block mask with a 3×3 square. Blocks outside
// the grid count as background.
func (a *analysis) morph(dilate bool) {
	bw, bh := a.bw, a.bh
	src := a.tmpMask
	copy(src, a.mask)
	for by := 0; by < bh; by++ {
		for bx := 0; bx < bw; bx++ {
			v := !dilate
			for dy := -1; dy <= 1 && v != dilate; dy++ {
				for dx := -1; dx <= 1; dx++ {
					x, y := bx+dx, by+dy
					in := x >= 0 && y >= 0 && x < bw && y < bh && src[y*bw+x]
					if dilate && in {
						v = true
						break
					}
					if !dilate && !in {
						if x < 0 || y < 0 || x >= bw || y >= bh {
							continue // the image edge does not erode
						}
						v = false
						break
					}
				}
			}
			a.mask[by*bw+bx] = v
		}
	}
}

// keepLargest keeps only the largest 8-connected foreground region.
func (a *analysis) keepLargest() {
	bw, bh := a.bw, a.bh
	nb := bw * bh
	label := a.list[:0]
	label = grow(label, nb)
	for i := range label {
		label[i] = -1
	}
	stack := a.del[:0]
	best, bestN := int32(-1), 0
	for i := 0; i < nb; i++ {
		if !a.mask[i] || label[i] >= 0 {
			continue
		}
		id := int32(i)
		n := 0
		stack = append(stack[:0], int32(i))
		label[i] = id
		for len(stack) > 0 {
			j := int(stack[len(stack)-1])
			stack = stack[:len(stack)-1]
			n++
			jx, jy := j%bw, j/bw
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					x, y := jx+dx, jy+dy
					if x < 0 || y < 0 || x >= bw || y >= bh {
						continue
					}
					k := y*bw + x
					if a.mask[k] && label[k] < 0 {
						label[k] = id
						stack = append(stack, int32(k))
					}
				}
			}
		}
		if n > bestN {
			best, bestN = id, n
		}
	}
	for i := 0; i < nb; i++ {
		a.mask[i] = a.mask[i] && label[i] == best
	}
	a.list, a.del = label, stack
}

// fillHoles marks as foreground every background region that does not touch
// the grid's edge (4-connectivity for background).
func (a *analysis) fillHoles() {
	bw, bh := a.bw, a.bh
	nb := bw * bh
	outside := a.tmpMask
	clear(outside)
	stack := a.del[:0]
	push := func(i int) {
		if !a.mask[i] && !outside[i] {
			outside[i] = true
			stack = append(stack, int32(i))
		}
	}
	for x := 0; x < bw; x++ {
		push(x)
		push((bh-1)*bw + x)
	}
	for y := 0; y < bh; y++ {
		push(y * bw)
		push(y*bw + bw - 1)
	}
	for len(stack) > 0 {
		j := int(stack[len(stack)-1])
		stack = stack[:len(stack)-1]
		jx, jy := j%bw, j/bw
		if jx > 0 {
			push(j - 1)
		}
		if jx < bw-1 {
			push(j + 1)
		}
		if jy > 0 {
			push(j - bw)
		}
		if jy < bh-1 {
			push(j + bw)
		}
	}
	for i := 0; i < nb; i++ {
		if !outside[i] {
			a.mask[i] = true
		}
	}
	a.del = stack
}

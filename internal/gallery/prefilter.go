package gallery

import (
	"encoding/binary"
	"math"
	"math/bits"

	"github.com/bixproject/bix/fingerprint"
)

// The pre-filter ranks gallery templates by a cheap, rotation- and
// translation-invariant descriptor so that only a shortlist is compared with
// the MCC matcher. The descriptor is a set of quantised minutia-pair
// features in a fixed-size bit set (a geometric-hashing index in the spirit
// of Germain, Califano and Colville, "Fingerprint matching using
// transformation parameter clustering", IEEE CSE 4(4), 1997, reduced to pairs
// and a bit set): for each minutia and each of its descNeighbours nearest
// neighbours within the length range, the pair's length and the directions
// of both minutiae relative to the segment joining them select one bit
// (16 × 16 × 16 features, 512 bytes). A probe's descriptor also sets the
// neighbouring bins of features near a bin boundary, so that small
// distortions do not lose the pair. The pre-filter score is the number
// of common bits divided by the square root of the gallery descriptor's bit
// count. Its recall (how often the exhaustive rank-1 identity survives the
// shortlist) is measured by bix bench identify, not assumed. The parameters
// were chosen on bench galleries of 10,000 templates (mate within the 100
// best for 59 of 60 probes with 10 neighbours and 16 bins, against 36 of 60
// with every neighbour up to 104 px).
const (
	descNeighbours = 10  // nearest neighbours per minutia
	descDistMin    = 8.0 // pixels at 500 ppi
	descDistBin    = 8.0 // pixels per length bin
	descDistBins   = 16  // lengths up to descDistMin + 16·8 = 136 px
	descAngleBins  = 16  // 22.5° per direction bin
	descBits       = descDistBins * descAngleBins * descAngleBins
	descWords      = (descBits + 63) / 64
	// probe-side soft boundaries
	softDist  = 2.0               // pixels
	softAngle = math.Pi / 180 * 6 // radians
)

// descriptor is a template's pre-filter bit set (descWords·8 bytes).
type descriptor [descWords]uint64

// indexVersion identifies what an index entry holds: describe's
// gallery-side output and fingerprint.Prepare's (through its own versioned
// encoding). Change it whenever either changes (TestIndexGolden pins both),
// so that entries stored by another version are computed again at load
// instead of being trusted. Version 1 held the descriptor alone; version 2
// a prepared form without the orientation field; version 3 one with two
// bytes per field block.
const indexVersion = 4

// indexHeaderLen is the length of an index entry before the prepared
// template: the version byte and the descriptor's words, little-endian.
const indexHeaderLen = 1 + descWords*8

// Index returns t's gallery index entry: what the gallery derives from a
// template, versioned, for the node to store sealed beside it and give back
// to Gallery.Ready when it loads the gallery — the gallery-side pre-filter
// descriptor and the matcher's prepared form (fingerprint.Prepared's
// encoding). Describing and preparing are nearly all of the cost of a load
// (about 60 µs and 800 µs per template), and the entry depends only on t,
// so it is computed once, at enrollment. The entry is derived from the
// biometric template and must be protected like it.
func Index(t *fingerprint.Template) []byte {
	p, err := fingerprint.Prepare(t).MarshalBinary()
	if err != nil {
		return nil // cannot happen: Prepare keeps at most 64 cylinders
	}
	b := make([]byte, 1, indexHeaderLen+len(p))
	b[0] = indexVersion
	for _, w := range describe(t, false) {
		b = binary.LittleEndian.AppendUint64(b, w)
	}
	return append(b, p...)
}

// indexCurrent reports whether b is an index entry of the current version,
// one that Gallery.Ready uses instead of describing and preparing the
// template again.
func indexCurrent(b []byte) bool {
	return len(b) > indexHeaderLen && b[0] == indexVersion
}

// indexEntry decodes a current index entry.
func indexEntry(b []byte) (*descriptor, *fingerprint.Prepared, bool) {
	if !indexCurrent(b) {
		return nil, nil, false
	}
	p := new(fingerprint.Prepared)
	if err := p.UnmarshalBinary(b[indexHeaderLen:]); err != nil {
		return nil, nil, false
	}
	d := new(descriptor)
	for i := range d {
		d[i] = binary.LittleEndian.Uint64(b[1+8*i:])
	}
	return d, p, true
}

// descPoint is a minutia at 500 ppi with its direction in the matcher's
// convention (counter-clockwise with y pointing up).
type descPoint struct{ x, y, a float64 }

func descPoints(t *fingerprint.Template, buf []descPoint) []descPoint {
	res := float64(t.Resolution)
	if res <= 0 {
		res = 500
	}
	s := 500 / res
	ps := buf[:0]
	for _, m := range t.Minutiae {
		// y up, so that segment directions share the minutiae's
		// counter-clockwise convention.
		ps = append(ps, descPoint{float64(m.X) * s, -float64(m.Y) * s, m.Angle})
	}
	return ps
}

// describe computes t's descriptor; soft sets the neighbouring bins of
// features within softDist/softAngle of a boundary (for probes).
//
// Each minutia's neighbours are the descNeighbours points nearest to it
// within the length range, ties to the lower index (refDescribe in the tests
// is the plain form: a stable sort of every in-range pair, which the tests
// check describe against). Squared distances are compared as the bits of the
// non-negative float64s, whose order is the same, so that the range test is
// one unsigned compare, and a point out of range or farther than the
// farthest kept costs one more; the kept list starts full of sentinels
// instead of growing. Angles already in range are not wrapped again.
func describe(t *fingerprint.Template, soft bool) *descriptor {
	var d descriptor
	var pbuf [128]descPoint
	ps := descPoints(t, pbuf[:])
	const (
		minD2 = descDistMin * descDistMin
		maxD2 = (descDistMin + descDistBins*descDistBin) * (descDistMin + descDistBins*descDistBin)
	)
	minU, maxU := math.Float64bits(minD2), math.Float64bits(maxD2)
	const none = math.MaxUint64 // sentinel: no neighbour
	type nb struct {
		u uint64 // bits of the squared distance
		j int
	}
	var near [descNeighbours]nb
	for _, p := range ps {
		for k := range near {
			near[k] = nb{none, 0}
		}
		last := uint64(none)
		for j, q := range ps {
			dx, dy := q.x-p.x, q.y-p.y
			u := math.Float64bits(dx*dx + dy*dy)
			if u-minU >= maxU-minU { // out of range; the point itself is at 0
				u = none
			}
			if u >= last {
				continue
			}
			k := descNeighbours - 1
			for k > 0 && near[k-1].u > u {
				near[k] = near[k-1]
				k--
			}
			near[k] = nb{u, j}
			last = near[descNeighbours-1].u
		}
		for _, n := range near {
			if n.u == none {
				break
			}
			q := ps[n.j]
			dist := math.Sqrt(math.Float64frombits(n.u))
			seg := math.Atan2(q.y-p.y, q.x-p.x)
			ai := wrapAngleFast(p.a - seg)
			aj := wrapAngleFast(q.a - seg)
			if !soft {
				// setFeature on angles already wrapped.
				db := int((dist - descDistMin) / descDistBin)
				if db < 0 || db >= descDistBins {
					continue
				}
				bi := int(ai/(2*math.Pi)*descAngleBins) % descAngleBins
				bj := int(aj/(2*math.Pi)*descAngleBins) % descAngleBins
				if bi < 0 || bj < 0 {
					continue
				}
				k := (db*descAngleBins+bi)*descAngleBins + bj
				d[k>>6] |= 1 << (k & 63)
				continue
			}
			for _, dd := range softSteps(dist-descDistMin, descDistBin, softDist) {
				for _, da := range softSteps(ai, 2*math.Pi/descAngleBins, softAngle) {
					for _, db := range softSteps(aj, 2*math.Pi/descAngleBins, softAngle) {
						setFeature(&d, dist+dd, ai+da, aj+db)
					}
				}
			}
		}
	}
	return &d
}

// softSteps returns the offsets {0} or {0, ±eps} that move v across the
// nearest bin boundary when it is within eps of one.
func softSteps(v, bin, eps float64) []float64 {
	f := math.Mod(v, bin)
	if f < 0 {
		f += bin
	}
	switch {
	case f < eps:
		return []float64{0, -eps}
	case bin-f < eps:
		return []float64{0, eps}
	}
	return []float64{0}
}

func setFeature(d *descriptor, dist, ai, aj float64) {
	db := int((dist - descDistMin) / descDistBin)
	if db < 0 || db >= descDistBins {
		return
	}
	bi := int(wrapAngle(ai)/(2*math.Pi)*descAngleBins) % descAngleBins
	bj := int(wrapAngle(aj)/(2*math.Pi)*descAngleBins) % descAngleBins
	if bi < 0 || bj < 0 { // NaN directions
		return
	}
	k := (db*descAngleBins+bi)*descAngleBins + bj
	d[k>>6] |= 1 << (k & 63)
}

// wrapAngle returns a in [0, 2π). Differences of angles in [0, 2π) need
// at most one turn added or taken away, which is much cheaper than math.Mod.
func wrapAngle(a float64) float64 {
	if a < -4*math.Pi || a > 4*math.Pi || a != a {
		a = math.Mod(a, 2*math.Pi)
	}
	for a < 0 {
		a += 2 * math.Pi
	}
	for a >= 2*math.Pi {
		a -= 2 * math.Pi
	}
	return a
}

// wrapAngleFast is wrapAngle with the test for an angle already in range
// inlined.
func wrapAngleFast(a float64) float64 {
	if a >= 0 && a < 2*math.Pi {
		return a
	}
	return wrapAngle(a)
}

// common returns the number of bits set in both descriptors.
func common(a, b *descriptor) int {
	n := 0
	for i := range a {
		n += bits.OnesCount64(a[i] & b[i])
	}
	return n
}

// weight returns 1/√(bits set in d), the gallery-side normalisation.
func (d *descriptor) weight() float32 {
	n := 0
	for _, w := range d {
		n += bits.OnesCount64(w)
	}
	if n == 0 {
		return 0
	}
	return float32(1 / math.Sqrt(float64(n)))
}

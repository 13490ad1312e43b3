package fingerprint

import (
	"errors"
	"fmt"
	"image"
	"math"
)

// QualityReport is a fingerprint image's quality, in the spirit of NIST
// Fingerprint Image Quality 2 (NISTIR 8382): a 0..100 score built from
// local measurements over the foreground.
type QualityReport struct {
	// Score is 0 (unusable) to 100 (excellent).
	Score int
	// Clarity is the mean share of each block's gray-level variance that
	// a clean ridge profile explains, 0..1 (NFIQ 2's local clarity).
	Clarity float64
	// OrientationCertainty is the mean coherence of the gradients, 0..1
	// (NFIQ 2's orientation certainty level).
	OrientationCertainty float64
	// FrequencyConsistency is the share of foreground blocks whose ridge
	// period was measured and agrees within 15 % with the median of its
	// measured neighbours', 0..1.
	FrequencyConsistency float64
	// Area is the foreground area relative to a typical plain impression
	// (fullArea mm²), capped at 1.
	Area float64
	// Reason says why the image is unusable; empty when it is usable.
	Reason string
}

// Quality thresholds and references.
const (
	// blankStd is the gray-level standard deviation below which an image is
	// blank.
	blankStd = 2.0
	// fullArea is the foreground area (mm²) of a good plain impression
	// (about 11×14 mm); Area is measured against it.
	fullArea = 150.0
	// minArea is the smallest foreground (mm²) worth extracting: about a
	// 5.5 mm square, a dozen ridges across.
	minArea = 30.0
	// minCertainty and minConsistency are the least orientation certainty
	// and frequency consistency of a ridge pattern; noise and text have
	// far less.
	minCertainty   = 0.2
	minConsistency = 0.25
	// consistentPeriod is the largest relative difference between a block's
	// period and its neighbours' median that counts as consistent.
	consistentPeriod = 0.15
)

// AssessQuality measures the quality of a fingerprint image at about 500
// ppi (450–600 ppi are handled; the resolution is estimated from the ridge
// period). An unusable image has Score 0 and a Reason.
func AssessQuality(img image.Image) QualityReport {
	if img == nil {
		return QualityReport{Reason: "no image"}
	}
	a := getWorkspace()
	defer putWorkspace(a)
	if err := a.run(toGray(img), false); err != nil {
		var ue *UnusableError
		if errors.As(err, &ue) {
			return QualityReport{Reason: ue.Reason}
		}
		return QualityReport{Reason: err.Error()}
	}
	return a.quality()
}

// quality computes the report from the fields of a run.
func (a *analysis) quality() QualityReport {
	var r QualityReport
	if a.grayStd < blankStd {
		r.Reason = fmt.Sprintf("blank image (gray-level standard deviation %.1f)", a.grayStd)
		return r
	}
	if a.fgBlocks == 0 {
		r.Reason = "no ridge structure found (blank or featureless image)"
		return r
	}
	scale := a.estimatedScale()
	ppmm := 500 * scale / 25.4
	var fgPixels int
	var clar float64
	consistent := 0
	bw, bh := a.bw, a.bh
	var nb [9]float32
	for by := 0; by < bh; by++ {
		for bx := 0; bx < bw; bx++ {
			i := by*bw + bx
			if !a.mask[i] {
				continue
			}
			fgPixels += blockPixels(bx, by, a.w, a.h)
			clar += float64(a.clarity[i])
			if !a.freqOK[i] {
				continue
			}
			n := 0
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					x, y := bx+dx, by+dy
					if (dx != 0 || dy != 0) && x >= 0 && y >= 0 && x < bw && y < bh && a.freqOK[y*bw+x] {
						nb[n] = a.rawPeriod[y*bw+x]
						n++
					}
				}
			}
			if n < 2 {
				continue
			}
			m := median(nb[:n])
			if math.Abs(float64(a.rawPeriod[i])-m) <= consistentPeriod*m {
				consistent++
			}
		}
	}
	nf := float64(a.fgBlocks)
	r.OrientationCertainty = a.meanCoherence()
	r.Clarity = clar / nf
	r.FrequencyConsistency = float64(consistent) / nf
	area := float64(fgPixels) / (ppmm * ppmm)
	r.Area = math.Min(1, area/fullArea)
	switch {
	case area < minArea:
		r.Reason = fmt.Sprintf("too little foreground (%.0f mm², need %.0f mm²)", area, minArea)
	case r.OrientationCertainty < minCertainty || r.FrequencyConsistency < minConsistency:
		r.Reason = fmt.Sprintf("not a fingerprint: no consistent ridge pattern (orientation certainty %.2f, frequency consistency %.2f)", r.OrientationCertainty, r.FrequencyConsistency)
	}
	if r.Reason != "" {
		return r
	}
	r.Score = qualityScore(r)
	return r
}

// qualityScore combines the measures into 0..100. Each measure is mapped
// linearly from the value it takes on white noise (0: clarity and
// orientation certainty about 0.08, frequency consistency about 0.6, since
// filtered noise has a typical scale) to that of clean ridges (1).
func qualityScore(r QualityReport) int {
	lin := func(v, lo, hi float64) float64 { return math.Max(0, math.Min(1, (v-lo)/(hi-lo))) }
	s := 0.3*lin(r.Clarity, 0.1, 0.8) +
		0.3*lin(r.OrientationCertainty, 0.1, 0.8) +
		0.2*lin(r.FrequencyConsistency, 0.6, 0.95) +
		0.2*r.Area
	return max(1, min(100, int(math.Round(100*s))))
}

package fingerprint

// Compare returns the similarity of two fingerprint templates, a score in
// [0, 1]: higher is more similar, 0 when either template has too few
// minutiae to compare. It is Minutia Cylinder-Code matching with local
// similarity sort and relaxation (LSS-R, Cappelli, Ferrara and Maltoni 2010):
// invariant to rotation and translation, tolerant of partial overlap (only
// cells valid in both cylinders are compared) and of elastic distortion (the
// cylinders are local and relaxation checks only pairwise consistency).
// When both templates have an orientation field, the minutiae score is
// multiplied by exp(4(s−1)), s the agreement of the fields in the alignment
// of the consolidation (see OrientationField). Compare(a, b) and Compare(b,
// a) agree up to the tie-breaking of pairs and the fields' sampling.
//
// Scores are not probabilities; ThresholdForFMR turns a set of impostor
// scores into a decision threshold, and DefaultThreshold is one measured on
// public data. For many comparisons against one probe use NewProbe and
// Prepare, which Compare is built on.
func Compare(a, b *Template) float64 {
	return NewProbe(a).Score(Prepare(b))
}

package fingerprint

// SetKnobs sets the experiment switches for the external evaluation test.
func SetKnobs(refine bool, k [4]float64) {
	knobs.refine = refine
	knobs.k = k
}

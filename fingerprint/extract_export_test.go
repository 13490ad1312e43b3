package fingerprint

// SetKnob overrides a named parameter for the external evaluation test.
func SetKnob(name string, v float64) { knobs[name] = v }

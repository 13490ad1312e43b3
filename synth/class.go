package synth

import (
	"fmt"
	"math/rand/v2"
)

// Class is a fingerprint pattern class of the Henry system as used by
// automatic classifiers (the five classes of NIST Special Database 4).
type Class uint8

const (
	Arch Class = iota
	TentedArch
	LeftLoop
	RightLoop
	Whorl
)

var classNames = [...]string{"arch", "tented_arch", "left_loop", "right_loop", "whorl"}

func (c Class) String() string {
	if int(c) < len(classNames) {
		return classNames[c]
	}
	return fmt.Sprintf("Class(%d)", uint8(c))
}

// ClassFrequency is the share of each class in real populations, the figures
// SFinGe uses (Wilson, Candela, Watson 1993: arch 3.7 %, tented arch 2.9 %,
// left loop 33.8 %, right loop 31.7 %, whorl 27.9 %).
var ClassFrequency = [5]float64{Arch: 0.037, TentedArch: 0.029, LeftLoop: 0.338, RightLoop: 0.317, Whorl: 0.279}

// drawClass draws a class with the frequencies of ClassFrequency.
func drawClass(r *rand.Rand) Class {
	u := r.Float64()
	for c, p := range ClassFrequency {
		if u < p {
			return Class(c)
		}
		u -= p
	}
	return Whorl
}

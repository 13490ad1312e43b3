package node

import (
	"github.com/bixproject/bix/fingerprint"
	"github.com/bixproject/bix/synth"
)

// SynthTemplates makes many distinct synthetic finger identities cheaply,
// as bix bench identify does (see benchWarp): a few synth master fingers,
// each deformed into many identities, and impressions of each with
// placement noise and missed and spurious minutiae. Finger i belongs to
// person i/10 at position i%10+1. It is for benchmarks of galleries too
// large to grow every finger with synth.
type SynthTemplates struct{ b *benchSet }

// NewSynthTemplates grows masters master fingers (about 0.1 s each, on
// all cores) from seed.
func NewSynthTemplates(seed int64, masters int) *SynthTemplates {
	masters = max(masters, 1)
	b := &benchSet{cfg: BenchConfig{Seed: seed, Masters: masters}, masters: make([]benchMaster, masters)}
	parallel(masters, func(f int) {
		b.masters[f] = masterPoints(synth.NewFinger(synth.FingerSeed(seed, f)))
	})
	return &SynthTemplates{b: b}
}

// Enrolled is finger i as enrolled.
func (s *SynthTemplates) Enrolled(i int) *fingerprint.Template { return s.b.galleryTemplate(i) }

// Probe is another impression of finger i.
func (s *SynthTemplates) Probe(i int) *fingerprint.Template { return s.b.probeTemplate(i) }

// Package synth generates synthetic fingerprints and synthetic populations so
// that bix can be developed, tested, demonstrated and benchmarked at scale
// without anyone's real biometric data.
//
// Fingerprints follow the SFinGe method of Cappelli, Maio and Maltoni
// ("Synthetic fingerprint-image generation", ICPR 2000; Maltoni, Maio, Jain,
// Prabhakar, Handbook of Fingerprint Recognition, 2nd ed., ch. 6 "Synthetic
// fingerprint generation"):
//
//   - a master fingerprint (the finger itself) is made from a fingerprint
//     area, a pattern class with its singular points, an orientation field
//     from the Sherlock–Monro zero-pole model with the Vizcaya–Gerhardt
//     correction, a ridge-frequency map, and a ridge pattern grown from
//     dense random seeds by a few iterations of spatially varying Gabor
//     filtering, stopped soon after the fronts meet. Minutiae are not
//     placed: they appear where growing ridge fronts meet out of phase and
//     where the orientation and frequency force ridges to start or end (see
//     NewFinger and Finger.Minutiae);
//   - an impression of a master (one touch on a 500 ppi sensor) applies a
//     partial contact area, displacement, rotation, the non-linear plastic
//     distortion model of Cappelli, Maio and Maltoni ("Modelling plastic
//     distortion in fingerprint images", ICAPR 2001), skin pressure and
//     dryness (ridge thickness and breaks), noise and a background (see
//     Finger.Impression).
//
// Populations (NewPopulation, TwoAgencies) are persons with ten fingers,
// biographic data, a category of person and encounters over time, generated
// deterministically from a seed; Templates makes large numbers of minutiae
// templates quickly for gallery benchmarks.
//
// Realism is measured, not asserted: "bix bench synth" generates 100
// fingers × 8 impressions, extracts them with package fingerprint, and
// compares minutiae counts, fingerprint.AssessQuality scores and the
// matcher's EER with the same pipeline on FVC2002 DB1–4 set B when the
// shared data is present (see Measure and MeasureDir).
//
// Everything is deterministic for a seed on every platform that implements
// IEEE 754 float64 arithmetic the same way (all Go targets).
package synth

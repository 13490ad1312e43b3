// Package fingerprint is bix's fingerprint engine: minutiae and orientation
// field extraction from 8-bit grayscale images, image quality, ISO/IEC
// 19794-2:2005 and ANSI INCITS 378-2004 finger minutiae records, and a
// minutiae matcher, checked by the orientation fields, with a prepared-probe
// API for fast 1:N scans.
//
// Coordinates are pixels with the origin at the top-left corner of the image,
// x to the right and y down. Angles are radians in [0, 2π), measured
// counter-clockwise from the positive x axis (so a ridge ending pointing "up"
// in the image has angle π/2), the convention of ISO/IEC 19794-2 clause 5.4.
//
// # Templates
//
// A Template holds one impression's minutiae and, when Extract made it, its
// coarse orientation field (OrientationField). DecodeISO and DecodeINCITS
// read standard records (a Record with one View per finger view;
// Record.Template turns a view into a Template), EncodeISO and EncodeINCITS
// write them, keeping the field in a vendor-defined extended data area that
// other readers skip, and Template.MarshalBinary/UnmarshalBinary use bix's
// own versioned format ("BIXF", version 2 with a field, 1 without), which
// keeps angles at 16-bit precision.
//
// # Matching
//
// Compare(a, b) returns a similarity in [0, 1] (0: nothing comparable) from
// Minutia Cylinder-Code local structures, relaxation and a global
// consolidation, weighed by how well the two orientation fields agree in
// the alignment found (when both templates have one). On FVC2002 set B, 99 %
// of impostor scores are below 0.01 and genuine scores have medians of
// 0.05 to 0.2;
// DefaultThreshold (FMR 1e-4, measured on FVC2002 set B) is the
// decision threshold, and ThresholdForFMR computes one for any target false
// match rate from one's own impostor scores.
//
// For 1:N, Prepare each gallery template once (a Prepared is immutable and
// shareable) and make one Probe per worker goroutine with NewProbe;
// Probe.Score then compares without allocating.
package fingerprint

// Package wsq implements the FBI Wavelet Scalar Quantization (WSQ) gray-scale
// fingerprint image codec, as specified in "WSQ Gray-scale Fingerprint Image
// Compression Specification", IAFIS-IC-0110 (V3.1).
//
// Decode reconstructs exactly the pixels of the NIST NBIS reference decoder
// (dwsq): the inverse quantization, the wavelet synthesis and the final
// rounding are carried out in IEEE single precision in the same order.
//
// Importing the package registers the "wsq" format (magic FF A0) with the
// image package, so image.Decode reads WSQ files:
//
//	import _ "github.com/bixproject/bix/wsq"
//
// The package depends on the standard library only.
package wsq

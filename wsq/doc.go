// Package wsq implements the FBI Wavelet Scalar Quantization (WSQ) gray-scale
// fingerprint image codec, as specified in "WSQ Gray-scale Fingerprint Image
// Compression Specification", IAFIS-IC-0110 (V3.1).
//
// Decoding: Decode and DecodeConfig follow the image package's conventions
// and are registered for the "wsq" format (magic FF A0), so a blank import
// lets image.Decode read WSQ files:
//
//	import _ "github.com/bixproject/bix/wsq"
//
// DecodeInfo and DecodeBytes also return an Info with the frame header, the
// transform and quantization tables, every comment (COM segment) and the
// first NISTCOM comment parsed into fields; ReadInfo returns the Info
// without decoding the pixels.
//
// The decoder reproduces exactly the pixels of the NIST NBIS reference
// decoder (dwsq): the inverse quantization, the wavelet synthesis and the
// final rounding are carried out in IEEE single precision with every sum
// taken in the reference order.
//
// Encoding: Encode and EncodeOptions write a WSQ file at a target bit rate
// (DefaultBitrate, 0.75 bits per pixel, is the usual setting for 500 ppi
// prints), with the standard 9/7-tap filters, the spec's bit allocation,
// Huffman tables built from the image's statistics, and a NISTCOM comment
// recording size, resolution and bit rate. Images must be at least
// MinDimension pixels in each direction.
//
// Malformed input gives an error wrapping ErrFormat (or ErrUnsupported,
// ErrTooLarge, ErrTooSmall) that names the marker segment and byte offset;
// images larger than MaxPixels are refused before any large allocation.
//
// The package depends on the standard library only.
package wsq

// Package fingerprint is bix's fingerprint engine: minutiae extraction from
// 8-bit grayscale images, image quality, ISO/IEC 19794-2:2005 and ANSI INCITS
// 378-2004 finger minutiae records, and a minutiae matcher with a
// prepared-probe API for fast 1:N scans.
//
// Coordinates are pixels with the origin at the top-left corner of the image,
// x to the right and y down. Angles are radians in [0, 2π), measured
// counter-clockwise from the positive x axis (so a ridge ending pointing "up"
// in the image has angle π/2), the convention of ISO/IEC 19794-2 clause 5.4.
package fingerprint

package wsq

import (
	"errors"
	"fmt"
)

// Errors that callers may test with errors.Is. Every error returned by the
// decoder wraps one of them and names the marker segment and byte offset.
var (
	// ErrFormat reports data that is not valid WSQ.
	ErrFormat = errors.New("wsq: invalid format")
	// ErrUnsupported reports valid WSQ that uses a feature this package
	// does not implement (even-length filters, restart intervals).
	ErrUnsupported = errors.New("wsq: unsupported feature")
	// ErrTooLarge reports an image whose declared size exceeds MaxPixels.
	ErrTooLarge = errors.New("wsq: image too large")
	// ErrTooSmall reports an image too small for the 5-level decomposition.
	ErrTooSmall = errors.New("wsq: image too small")
)

// MinDimension is the smallest width and height the standard 9/7-tap
// filters can decompose into five levels; smaller images give ErrTooSmall.
const MinDimension = 65

// MaxPixels caps width × height of images the decoder accepts, so that a
// short malicious file cannot make it allocate without bound. 2^24 pixels
// (4096 × 4096) covers a 1000 ppi four-finger slap (about 3200 × 3000).
const MaxPixels = 1 << 24

// segmentError builds an error naming the segment and offset.
func segmentError(seg string, off int, base error, format string, args ...any) error {
	return fmt.Errorf("%w: %s segment at offset %d: %s", base, seg, off, fmt.Sprintf(format, args...))
}

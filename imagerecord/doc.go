// Package imagerecord reads and writes the binary biometric image records
// that CBEFF containers (and MOSIP-style systems) carry:
//
//   - finger images: ISO/IEC 19794-4:2005 and ANSI INCITS 381-2004
//     ("FIR\0", version "010\0"), see FingerRecord;
//   - face images: ISO/IEC 19794-5:2005 and ANSI INCITS 385-2004
//     ("FAC\0", version "010\0"), see FaceRecord.
//
// The two finger standards differ only in the general header: INCITS 381
// adds a 4-byte CBEFF product identifier (36 bytes instead of ISO's 32).
// INCITS 385-2004 and ISO/IEC 19794-5:2005 share one layout. All integers
// are big-endian.
//
// Parsing is lossless: Marshal of a parsed record reproduces its bytes.
// Declared lengths are checked against the input before anything is
// allocated, and every error names the block and byte offset.
package imagerecord

import "errors"

// Standard says which standard a record follows.
type Standard int

const (
	ISO    Standard = iota // ISO/IEC 19794-4:2005 or 19794-5:2005
	INCITS                 // ANSI INCITS 381-2004 or 385-2004
)

func (s Standard) String() string {
	if s == INCITS {
		return "INCITS"
	}
	return "ISO"
}

// Errors callers may test with errors.Is.
var (
	ErrFormat    = errors.New("not a finger or face image record")
	ErrTruncated = errors.New("truncated")
	ErrLength    = errors.New("inconsistent length")
	ErrVersion   = errors.New("unsupported version") // e.g. the 2011 editions ("020", "030")
)

package fingerprint

// Kind is a minutia's type as ISO/IEC 19794-2:2005 clause 5.4 codes it.
type Kind uint8

const (
	// KindOther is a minutia of another or unknown type (ISO code 00).
	KindOther Kind = 0
	// KindEnding is a ridge ending (ISO code 01).
	KindEnding Kind = 1
	// KindBifurcation is a ridge bifurcation (ISO code 10).
	KindBifurcation Kind = 2
)

func (k Kind) String() string {
	switch k {
	case KindEnding:
		return "ending"
	case KindBifurcation:
		return "bifurcation"
	default:
		return "other"
	}
}

// Minutia is one ridge ending or bifurcation.
type Minutia struct {
	// X and Y are the position in pixels (origin top-left, y down).
	X, Y int
	// Angle is the direction in radians in [0, 2π), counter-clockwise from
	// the positive x axis; for an ending it points along the ridge away from
	// the ending, into the ridge (ISO/IEC 19794-2 clause 5.4.3).
	Angle float64
	// Kind is ending, bifurcation or other.
	Kind Kind
	// Quality is 0..100 (0: not reported), as in ISO/IEC 19794-2.
	Quality uint8
}

// Template is the minutiae of one finger impression with what is needed to
// interpret them.
type Template struct {
	// Width and Height are the image size in pixels.
	Width, Height int
	// Resolution is the horizontal and vertical resolution in pixels per
	// inch the coordinates are expressed at (500 for the usual sensors).
	Resolution int
	// Position is the finger position code (ANSI/NIST-ITL Table 8,
	// 0 unknown, 1 right thumb … 10 left little).
	Position int
	// Quality is the impression quality 0..100 (0: not computed).
	Quality int
	// Minutiae are the minutiae in no particular order.
	Minutiae []Minutia
	// Field is the impression's coarse orientation field, which Extract
	// computes and the matcher uses when both templates have one; nil for
	// records from other extractors (ISO/IEC 19794-2 and INCITS 378 records
	// carry it only in this package's vendor extended data area).
	Field *OrientationField `json:",omitempty"`
}

package ansinist

import (
	"errors"
	"fmt"
	"image"
	"math"
	"strconv"
	"strings"
)

// Image describes the image held by a record (Types 3–8 and the tagged image
// types 10, 13, 14, 15, 16, 17).
type Image struct {
	Record       int // 1-based index in Transaction.Records
	Type         int
	Compression  string // a Compression constant, or the field's text
	Width        int    // HLL
	Height       int    // VLL
	BitsPerPixel int    // 0 when unknown
	PPI          int    // pixels per inch, 0 when unknown
	Data         []byte

	dataField  int   // field number holding Data
	dataOffset int64 // offset of Data within the encoded record
}

// Decode decodes the image (see DecodeImage).
func (im Image) Decode() (image.Image, error) {
	return DecodeImage(im.Data, im.Compression, im.Width, im.Height, im.BitsPerPixel)
}

// ppmmToPPI converts pixels per millimetre text ("19.69") to pixels per inch.
func ppmmToPPI(s string) int {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || f <= 0 || f > 1e5 {
		return 0
	}
	return int(math.Round(f * 25.4))
}

// imageOf returns the image of record r, the idx-th (from 1).
func (t *Transaction) imageOf(r *Record, idx int) (Image, bool) {
	im := Image{Record: idx, Type: r.Type}
	if r.Binary() {
		h := r.Header
		if len(h) != binaryHeaderLen(r.Type) {
			return im, false
		}
		im.Data = r.Data
		im.dataField = binaryDataField(r.Type)
		im.dataOffset = int64(len(h))
		var isr byte
		switch r.Type {
		case 3, 4, 5, 6:
			isr = h[12]
			im.Width, im.Height = int(h[13])<<8|int(h[14]), int(h[15])<<8|int(h[16])
			im.BitsPerPixel = 8
			if r.Type == 5 || r.Type == 6 {
				im.BitsPerPixel = 1
			}
			im.Compression = CompressionNone
			if h[17] != 0 {
				im.Compression = "code " + strconv.Itoa(int(h[17]))
				if r.Type == 3 || r.Type == 4 {
					if int(h[17]) < len(compressionCodes) {
						im.Compression = compressionCodes[h[17]]
					}
				}
			}
		case 8:
			isr = h[7]
			im.Width, im.Height = int(h[8])<<8|int(h[9]), int(h[10])<<8|int(h[11])
			switch h[6] {
			case 0:
				im.Compression, im.BitsPerPixel = CompressionNone, 1
			case 1:
				im.Compression = "fax"
			default:
				im.Compression = "vector"
			}
		default:
			return im, false
		}
		if t1 := t.Type1(); t1 != nil {
			if isr == 1 {
				im.PPI = ppmmToPPI(t1.Value(11))
			} else {
				im.PPI = ppmmToPPI(t1.Value(12))
			}
		}
		if im.PPI == 0 {
			im.PPI = 500
			if r.Type == 3 || r.Type == 5 {
				im.PPI = 250
			}
		}
		return im, true
	}
	switch r.Type {
	case 10, 13, 14, 15, 16, 17:
	default:
		return im, false
	}
	var off int64
	found := false
	for _, f := range r.Fields {
		if f.Num() == 999 {
			im.Data = f.Value
			im.dataField = 999
			im.dataOffset = off + int64(len(f.Tag)+1)
			found = true
		}
		off += int64(len(f.Tag) + len(f.Value) + 2)
	}
	if !found {
		return im, false
	}
	im.Width, _ = r.Int(6)
	im.Height, _ = r.Int(7)
	im.Compression = NormalizeCompression(r.Value(11))
	if r.Type == 10 {
		switch strings.ToUpper(r.Value(12)) {
		case "GRAY":
			im.BitsPerPixel = 8
		case "RGB", "SRGB", "YCC", "SYCC":
			im.BitsPerPixel = 24
		}
	} else {
		im.BitsPerPixel, _ = r.Int(12)
	}
	slc, _ := r.Int(8)
	thps, _ := r.Int(9)
	switch slc {
	case 1:
		im.PPI = thps
	case 2:
		im.PPI = int(math.Round(float64(thps) * 2.54))
	}
	return im, true
}

// Images returns every image-bearing record's image description.
func (t *Transaction) Images() []Image {
	var out []Image
	for i, r := range t.Records {
		if im, ok := t.imageOf(r, i+1); ok {
			out = append(out, im)
		}
	}
	return out
}

// Biographics holds the person data of a Type-2 record. Type-2 content is
// defined by the transaction's domain (1.013 DOM); bix reads and writes the
// FBI EBTS field numbers (EBTS v10/v11 Table A.2.x), which most domains reuse:
//
//	2.018 NAM  "SURNAME,GIVEN NAMES"      → Surname, GivenNames
//	2.019 AKA  aliases, one per subfield  → Aliases
//	2.020 POB  place of birth (country)   → PlaceOfBirth
//	2.021 CTZ  citizenship, one per subfield → Citizenship
//	2.022 DOB  YYYYMMDD                   → BirthDate as YYYY-MM-DD
//	2.024 SEX  M, F, X or U               → Sex
//	2.025 RAC, 2.027 HGT, 2.029 WGT, 2.031 EYE, 2.032 HAI → as written
//
// The JSON form is what `bix nist build -bio FILE` reads (every member
// optional; unknown members are refused; testdata/biographics.json):
//
//	{
//	  "surname": "DOE",                  // 2.018, no comma
//	  "given_names": "JANE MARIE",       // 2.018
//	  "aliases": ["SMITH,JANE"],         // 2.019
//	  "birth_date": "1985-07-14",        // 2.022, YYYY-MM-DD
//	  "sex": "F",                        // 2.024: M, F, X or U
//	  "place_of_birth": "CAN",           // 2.020
//	  "citizenship": ["CAN", "FRA"],     // 2.021
//	  "race": "U", "height": "170", "weight": "60",       // 2.025, 2.027, 2.029
//	  "eye_color": "BLU", "hair_color": "BRO"             // 2.031, 2.032
//	}
//
// Text is UTF-8 (Build then declares 1.015 DCS UTF-8) without the
// separators FS, GS, RS and US.
type Biographics struct {
	Surname      string   `json:"surname,omitempty"`
	GivenNames   string   `json:"given_names,omitempty"`
	Aliases      []string `json:"aliases,omitempty"`
	BirthDate    string   `json:"birth_date,omitempty"` // YYYY-MM-DD
	Sex          string   `json:"sex,omitempty"`        // M, F, X, U
	PlaceOfBirth string   `json:"place_of_birth,omitempty"`
	Citizenship  []string `json:"citizenship,omitempty"` // ISO 3166-1 alpha-3
	Race         string   `json:"race,omitempty"`
	Height       string   `json:"height,omitempty"`
	Weight       string   `json:"weight,omitempty"`
	EyeColor     string   `json:"eye_color,omitempty"`
	HairColor    string   `json:"hair_color,omitempty"`
}

// Biographics returns the person data of the first Type-2 record (zero if
// none).
func (t *Transaction) Biographics() Biographics {
	var b Biographics
	recs := t.RecordsOfType(2)
	if len(recs) == 0 {
		return b
	}
	r := recs[0]
	if nam := r.Value(18); nam != "" {
		sur, given, _ := strings.Cut(nam, ",")
		b.Surname, b.GivenNames = strings.TrimSpace(sur), strings.TrimSpace(given)
	}
	list := func(num int) []string {
		f := r.Field(num)
		if f == nil || len(f.Value) == 0 {
			return nil
		}
		var out []string
		for _, s := range f.Subfields() {
			out = append(out, s[0])
		}
		return out
	}
	b.Aliases = list(19)
	b.PlaceOfBirth = r.Value(20)
	b.Citizenship = list(21)
	if dob := r.Value(22); len(dob) == 8 {
		b.BirthDate = dob[:4] + "-" + dob[4:6] + "-" + dob[6:]
	} else {
		b.BirthDate = dob
	}
	b.Sex = r.Value(24)
	b.Race = r.Value(25)
	b.Height = r.Value(27)
	b.Weight = r.Value(29)
	b.EyeColor = r.Value(31)
	b.HairColor = r.Value(32)
	return b
}

// Finger is a fingerprint image from a Type-3, Type-4 or Type-14 record.
type Finger struct {
	Record      int         // 1-based record index
	Position    int         // finger position code (SP 500-290 Rev1 Table 8): 1–10 fingers, 11–15 plain thumbs/slaps, 0 unknown
	Impression  int         // impression type (Table 7): 0 live-scan plain, 1 live-scan rolled, 2 nonlive plain, 3 nonlive rolled, ...
	Compression string      // as in Image.Compression
	PPI         int         // pixels per inch
	Image       image.Image // *image.Gray; nil when it could not be decoded
}

// Fingers returns the fingers of Types 3, 4 and 14 with decoded gray images.
// Images that cannot be decoded (for example WSQ without a registered
// decoder) are returned with a nil Image and reported in the error, which
// wraps the cause (errors.Is(err, ErrWSQUnavailable)).
func (t *Transaction) Fingers() ([]Finger, error) {
	var out []Finger
	var errs []error
	for i, r := range t.Records {
		if r.Type != 3 && r.Type != 4 && r.Type != 14 {
			continue
		}
		im, ok := t.imageOf(r, i+1)
		if !ok {
			continue
		}
		f := Finger{Record: im.Record, Compression: im.Compression, PPI: im.PPI}
		if r.Binary() {
			f.Impression = int(r.Header[5])
			f.Position = int(r.Header[6])
		} else {
			f.Impression, _ = r.Int(3)
			f.Position, _ = r.Int(13)
		}
		img, err := im.Decode()
		if err != nil {
			errs = append(errs, fmt.Errorf("record %d (type-%d, finger %d): %w", im.Record, r.Type, f.Position, err))
		} else {
			f.Image = ToGray(img)
		}
		out = append(out, f)
	}
	return out, errors.Join(errs...)
}

// Face is a facial image from a Type-10 record whose IMT (10.003) is FACE.
type Face struct {
	Record      int
	Compression string
	PPI         int
	Pose        string      // 10.020 POS: F frontal, R right profile, L left profile, A angled, D determined by 3D
	Image       image.Image // nil when it could not be decoded
}

// Faces returns the Type-10 face images, decoded; failures are handled as in
// Fingers.
func (t *Transaction) Faces() ([]Face, error) {
	var out []Face
	var errs []error
	for i, r := range t.Records {
		if r.Type != 10 || !strings.EqualFold(r.Value(3), "FACE") {
			continue
		}
		im, ok := t.imageOf(r, i+1)
		if !ok {
			continue
		}
		f := Face{Record: im.Record, Compression: im.Compression, PPI: im.PPI, Pose: r.Value(20)}
		img, err := im.Decode()
		if err != nil {
			errs = append(errs, fmt.Errorf("record %d (type-10 face): %w", im.Record, err))
		} else {
			f.Image = img
		}
		out = append(out, f)
	}
	return out, errors.Join(errs...)
}

// Minutia is one minutia point of a Type-9 record.
type Minutia struct {
	X, Y    int    // in the set's Unit
	Angle   int    // degrees, counter-clockwise from the x axis
	Kind    string // A ridge ending, B bifurcation, C compound, D other (NIST standard); E/B/O (INCITS 378 0 other, 1 ending, 2 bifurcation)
	Quality int
}

// Minutiae is the minutiae set of one Type-9 record.
type Minutiae struct {
	Record   int
	Format   string // "nist-standard" (9.012), "incits-378" (9.137) or "efs" (9.331)
	Unit     string // "0.01mm" for nist-standard, "pixel" for incits-378, "10um" for efs
	Position int    // finger position if stated (9.014 in IAFIS, 9.134 in M1, 9.014 otherwise 0)
	Points   []Minutia
}

// Minutiae returns the minutiae of each Type-9 record that uses a format bix
// reads: the NIST standard fields (9.012 MRC, "XXXXYYYYTTT"), the INCITS 378
// block (9.137 FMD) or EFS (9.331 MIN). Other formats are skipped.
func (t *Transaction) Minutiae() ([]Minutiae, error) {
	var out []Minutiae
	for i, r := range t.Records {
		if r.Type != 9 {
			continue
		}
		m := Minutiae{Record: i + 1}
		switch {
		case r.Field(12) != nil:
			m.Format, m.Unit = "nist-standard", "0.01mm"
			for k, s := range r.Field(12).Subfields() {
				if len(s) < 2 || len(s[1]) != 11 {
					return nil, fmt.Errorf("record %d field 9.012 subfield %d: location %q is not XXXXYYYYTTT", i+1, k+1, strings.Join(s, "/"))
				}
				x, e1 := strconv.Atoi(s[1][:4])
				y, e2 := strconv.Atoi(s[1][4:8])
				th, e3 := strconv.Atoi(s[1][8:])
				if e1 != nil || e2 != nil || e3 != nil {
					return nil, fmt.Errorf("record %d field 9.012 subfield %d: location %q is not numeric", i+1, k+1, s[1])
				}
				p := Minutia{X: x, Y: y, Angle: th}
				if len(s) > 2 {
					p.Quality, _ = strconv.Atoi(s[2])
				}
				if len(s) > 3 {
					p.Kind = s[3]
				}
				m.Points = append(m.Points, p)
			}
			m.Position, _ = r.Int(14)
		case r.Field(137) != nil:
			m.Format, m.Unit = "incits-378", "pixel"
			for k, s := range r.Field(137).Subfields() {
				if len(s) < 6 {
					return nil, fmt.Errorf("record %d field 9.137 subfield %d: %d items, want 6", i+1, k+1, len(s))
				}
				var n [5]int
				for j := range 5 {
					v, err := strconv.Atoi(s[j+1])
					if err != nil {
						return nil, fmt.Errorf("record %d field 9.137 subfield %d item %d: %q is not a number", i+1, k+1, j+2, s[j+1])
					}
					n[j] = v
				}
				kinds := map[int]string{0: "O", 1: "E", 2: "B"}
				m.Points = append(m.Points, Minutia{X: n[0], Y: n[1], Angle: n[2] * 2, Kind: kinds[n[3]], Quality: n[4]})
			}
			m.Position, _ = r.Int(134)
		case r.Field(331) != nil:
			m.Format, m.Unit = "efs", "10um"
			for k, s := range r.Field(331).Subfields() {
				if len(s) < 4 {
					return nil, fmt.Errorf("record %d field 9.331 subfield %d: %d items, want at least 4", i+1, k+1, len(s))
				}
				x, e1 := strconv.Atoi(s[0])
				y, e2 := strconv.Atoi(s[1])
				th, e3 := strconv.Atoi(s[2])
				if e1 != nil || e2 != nil || e3 != nil {
					return nil, fmt.Errorf("record %d field 9.331 subfield %d: non-numeric position", i+1, k+1)
				}
				m.Points = append(m.Points, Minutia{X: x, Y: y, Angle: th, Kind: s[3]})
			}
		default:
			continue
		}
		out = append(out, m)
	}
	return out, nil
}

package ansinist

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Version is the ANSI/NIST-ITL version Build writes in 1.002 VER: "0502" is
// ANSI/NIST-ITL 1-2011 Update 2015.
const Version = "0502"

// BuildRequest describes a transaction as an enrolling station makes it.
type BuildRequest struct {
	TransactionType string    // 1.004 TOT; default "BIX"
	Date            time.Time // 1.005 DAT, 1.014 GMT and capture dates; default now (UTC)
	Originator      string    // 1.008 ORI and image SRC; default "BIX"
	Destination     string    // 1.007 DAI; default Originator
	ControlNumber   string    // 1.009 TCN; default derived from Date
	Domain          string    // 1.013 DOM name; default "NORAM" (EBTS Type-2 fields)
	Priority        int       // 1.006 PRY, 1–9; 0 omits it

	Biographics Biographics
	Fingers     []FingerImage
	Faces       []FaceImage
}

// FingerImage is one finger image for Build: either an Image (stored
// losslessly as PNG, or raw with Compression "NONE") or already encoded Data
// with its Compression (WSQ20, JPEGB, JPEGL, JP2, JP2L, PNG), whose
// dimensions are read from its header.
type FingerImage struct {
	Position    int // finger position code, 0–10 or 11–15 for plain thumbs/slaps (Table 8)
	Impression  int // impression type (Table 7); 0 live-scan plain
	PPI         int // default 500
	Image       image.Image
	Data        []byte
	Compression string
}

// FaceImage is one face image for Build; Image is stored as JPEGB (quality
// 90) unless Data is given. Pose is 10.020 POS (default "F").
type FaceImage struct {
	Image       image.Image
	Data        []byte
	Compression string
	Pose        string
}

// Build makes a transaction: a Type-1 record, a Type-2 record with the
// biographics (see Biographics for the EBTS field numbers), a Type-14 record
// per finger and a Type-10 record per face, with LEN and CNT computed.
func Build(req BuildRequest) (*Transaction, error) {
	now := req.Date
	if now.IsZero() {
		now = time.Now()
	}
	now = now.UTC()
	def := func(s, d string) string {
		if s == "" {
			return d
		}
		return s
	}
	ori := def(req.Originator, "BIX")
	tcn := def(req.ControlNumber, now.Format("20060102150405"))
	dat := now.Format("20060102")

	r1 := &Record{Type: 1}
	r1.Set(2, []byte(Version))
	r1.Set(3, nil) // CNT, filled by Fix
	r1.Set(4, []byte(def(req.TransactionType, "BIX")))
	r1.Set(5, []byte(dat))
	if req.Priority != 0 {
		if req.Priority < 1 || req.Priority > 9 {
			return nil, fmt.Errorf("ansinist: build: priority %d not in 1–9", req.Priority)
		}
		r1.Set(6, []byte(strconv.Itoa(req.Priority)))
	}
	r1.Set(7, []byte(def(req.Destination, ori)))
	r1.Set(8, []byte(ori))
	r1.Set(9, []byte(tcn))
	r1.Set(11, []byte("00.00")) // NSR: no Type-4 records
	r1.Set(12, []byte("00.00")) // NTR
	r1.Set(13, JoinValue([][]string{{def(req.Domain, "NORAM"), ""}}))
	r1.Set(14, []byte(now.Format("20060102150405Z")))

	r2, err := biographicsRecord(req.Biographics)
	if err != nil {
		return nil, err
	}
	if !isASCII(r2) {
		r1.Set(15, JoinValue([][]string{{"3", "UTF-8", ""}})) // DCS: character set 3 = UTF-8 (Table 6)
	}
	t := &Transaction{Records: []*Record{r1, r2}}
	idc := 1
	for i, f := range req.Fingers {
		r, err := fingerRecord(f, idc, ori, dat)
		if err != nil {
			return nil, fmt.Errorf("ansinist: build: finger %d (position %d): %w", i+1, f.Position, err)
		}
		t.Records = append(t.Records, r)
		idc++
	}
	for i, f := range req.Faces {
		r, err := faceRecord(f, idc, ori, dat)
		if err != nil {
			return nil, fmt.Errorf("ansinist: build: face %d: %w", i+1, err)
		}
		t.Records = append(t.Records, r)
		idc++
	}
	if err := t.Fix(); err != nil {
		return nil, err
	}
	return t, nil
}

func isASCII(r *Record) bool {
	for _, f := range r.Fields {
		for _, c := range f.Value {
			if c >= 0x80 {
				return false
			}
		}
	}
	return true
}

// biographicsRecord makes the Type-2 record (EBTS field numbers).
func biographicsRecord(b Biographics) (*Record, error) {
	r := &Record{Type: 2}
	r.Set(2, []byte("00"))
	set := func(num int, v string) error {
		if v == "" {
			return nil
		}
		if !utf8.ValidString(v) || strings.ContainsAny(v, "\x1c\x1d\x1e\x1f") {
			return fmt.Errorf("ansinist: build: field 2.%03d: value %q is not valid UTF-8 text without separators", num, v)
		}
		r.Set(num, []byte(v))
		return nil
	}
	list := func(num int, vs []string) error {
		if len(vs) == 0 {
			return nil
		}
		for _, v := range vs {
			if v == "" || strings.ContainsAny(v, "\x1c\x1d\x1e\x1f") || !utf8.ValidString(v) {
				return fmt.Errorf("ansinist: build: field 2.%03d: bad list value %q", num, v)
			}
		}
		r.Set(num, []byte(strings.Join(vs, "\x1e")))
		return nil
	}
	if strings.Contains(b.Surname, ",") {
		return nil, errors.New("ansinist: build: surname must not contain a comma (2.018 NAM is \"SURNAME,GIVEN NAMES\")")
	}
	var nam string
	if b.Surname != "" || b.GivenNames != "" {
		nam = b.Surname + "," + b.GivenNames
	}
	dob := ""
	if b.BirthDate != "" {
		d, err := time.Parse("2006-01-02", b.BirthDate)
		if err != nil {
			return nil, fmt.Errorf("ansinist: build: birth_date %q is not YYYY-MM-DD", b.BirthDate)
		}
		dob = d.Format("20060102")
	}
	switch b.Sex {
	case "", "M", "F", "X", "U":
	default:
		return nil, fmt.Errorf("ansinist: build: sex %q is not M, F, X or U", b.Sex)
	}
	for _, e := range []error{
		set(18, nam), list(19, b.Aliases), set(20, b.PlaceOfBirth), list(21, b.Citizenship),
		set(22, dob), set(24, b.Sex), set(25, b.Race), set(27, b.Height), set(29, b.Weight),
		set(31, b.EyeColor), set(32, b.HairColor),
	} {
		if e != nil {
			return nil, e
		}
	}
	return r, nil
}

// encodedImage returns the data, compression and dimensions of an image to
// store; img is encoded with enc when data is nil.
func encodedImage(img image.Image, data []byte, compression string, enc func(image.Image) ([]byte, string, error)) ([]byte, string, int, int, error) {
	if data != nil {
		c := NormalizeCompression(compression)
		if c == "" {
			c = sniffCompression(data)
		}
		if c == CompressionNone || c == "" {
			return nil, "", 0, 0, errors.New("encoded data needs its compression (WSQ20, JPEGB, JPEGL, JP2, JP2L or PNG)")
		}
		w, h, ok := ImageSize(data)
		if !ok {
			return nil, "", 0, 0, fmt.Errorf("cannot read the dimensions of the %s data", c)
		}
		return data, c, w, h, nil
	}
	if img == nil {
		return nil, "", 0, 0, errors.New("neither Image nor Data given")
	}
	if NormalizeCompression(compression) == CompressionNone {
		g := ToGray(img)
		return g.Pix, CompressionNone, g.Rect.Dx(), g.Rect.Dy(), nil
	}
	d, c, err := enc(img)
	if err != nil {
		return nil, "", 0, 0, err
	}
	b := img.Bounds()
	return d, c, b.Dx(), b.Dy(), nil
}

func fingerRecord(f FingerImage, idc int, src, date string) (*Record, error) {
	if f.Position < 0 || f.Position > 15 {
		return nil, fmt.Errorf("finger position %d not in 0–15", f.Position)
	}
	if f.Impression < 0 || f.Impression > 29 {
		return nil, fmt.Errorf("impression type %d not in 0–29", f.Impression)
	}
	data, c, w, h, err := encodedImage(f.Image, f.Data, f.Compression, func(img image.Image) ([]byte, string, error) {
		var b bytes.Buffer
		err := png.Encode(&b, ToGray(img))
		return b.Bytes(), CompressionPNG, err
	})
	if err != nil {
		return nil, err
	}
	ppi := f.PPI
	if ppi == 0 {
		ppi = 500
	}
	r := &Record{Type: 14}
	for _, kv := range []struct {
		n int
		v string
	}{
		{2, fmt.Sprintf("%02d", idc)}, {3, strconv.Itoa(f.Impression)}, {4, src}, {5, date},
		{6, strconv.Itoa(w)}, {7, strconv.Itoa(h)}, {8, "1"}, {9, strconv.Itoa(ppi)}, {10, strconv.Itoa(ppi)},
		{11, c}, {12, "8"}, {13, strconv.Itoa(f.Position)},
	} {
		r.Set(kv.n, []byte(kv.v))
	}
	r.Set(999, data)
	return r, nil
}

func faceRecord(f FaceImage, idc int, src, date string) (*Record, error) {
	data, c, w, h, err := encodedImage(f.Image, f.Data, f.Compression, func(img image.Image) ([]byte, string, error) {
		var b bytes.Buffer
		err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90})
		return b.Bytes(), CompressionJPEGB, err
	})
	if err != nil {
		return nil, err
	}
	csp := "SRGB"
	if c == CompressionNone {
		csp = "GRAY"
	} else if f.Data == nil {
		if _, gray := f.Image.(*image.Gray); gray {
			csp = "GRAY"
		}
	}
	pose := f.Pose
	if pose == "" {
		pose = "F"
	}
	r := &Record{Type: 10}
	for _, kv := range []struct {
		n int
		v string
	}{
		{2, fmt.Sprintf("%02d", idc)}, {3, "FACE"}, {4, src}, {5, date},
		{6, strconv.Itoa(w)}, {7, strconv.Itoa(h)}, {8, "0"}, {9, "1"}, {10, "1"},
		{11, c}, {12, csp}, {20, pose},
	} {
		r.Set(kv.n, []byte(kv.v))
	}
	r.Set(999, data)
	return r, nil
}

package ansinist

import (
	"bytes"
	"fmt"
	"strconv"
	"time"
)

// Violation is one departure from ANSI/NIST-ITL 1-2011 found by Validate.
// Record is "record N (type-T)" with N counted from 1 in file order; Field is
// the field tag ("14.013") or "" for the record as a whole; Offset is the byte
// offset in the traditional encoding of the record or field concerned.
type Violation struct {
	Record string
	Field  string
	Offset int64
	Msg    string
}

func (v Violation) String() string {
	where := v.Record
	if v.Field != "" {
		where += " field " + v.Field
	}
	return fmt.Sprintf("%s at byte %d: %s", where, v.Offset, v.Msg)
}

// mandatoryFields lists, per record type, the fields that SP 500-290 Rev1
// marks mandatory in every version from 0300 on (Tables 11, 13, 33–40).
var mandatoryFields = map[int][]int{
	1:  {1, 2, 3, 4, 5, 7, 8, 9, 11, 12}, // LEN VER CNT TOT DAT DAI ORI TCN NSR NTR
	2:  {1, 2},                           // LEN IDC
	9:  {1, 2, 3, 4},                     // LEN IDC IMP FMT
	10: {1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 999},
	13: {1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 999},
	14: {1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 999},
	15: {1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 999},
	16: {1, 2, 3, 6, 7, 8, 9, 10, 11, 12, 999},
	17: {1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 999},
}

// Validate checks t against the structural rules of SP 500-290 Rev1 and
// returns every violation found (nil when none): Type-1 first; LEN equal to
// the encoded length; CNT (1.003) consistent with the records that follow
// (count, type and IDC of each); field tags naming the record's type, LEN
// first, IDC second, no field repeated; separators (no FS or
// GS inside a value, no empty trailing subfield; field order after LEN and IDC is
// not checked, as the reference files do not keep it); mandatory fields present;
// image data consistent with the declared dimensions (HLL, VLL and bits per
// pixel for uncompressed data; the frame header of WSQ, JPEG, PNG and JPEG
// 2000 data); and the formats of the Type-1 values (VER, DAT, PRY, NSR, NTR,
// GMT).
func (t *Transaction) Validate() []Violation {
	var vs []Violation
	var off int64
	if len(t.Records) == 0 {
		return []Violation{{Record: "transaction", Msg: "no records"}}
	}
	for i, r := range t.Records {
		name := fmt.Sprintf("record %d (type-%d)", i+1, r.Type)
		add := func(field string, at int64, format string, args ...any) {
			vs = append(vs, Violation{Record: name, Field: field, Offset: at, Msg: fmt.Sprintf(format, args...)})
		}
		if i == 0 && r.Type != 1 {
			add("", off, "first record is not Type-1")
		}
		if i > 0 && r.Type == 1 {
			add("", off, "Type-1 record after the first")
		}
		enc := r.EncodedLen()
		if declared, ok := r.DeclaredLen(); !ok {
			add(fmt.Sprintf("%d.001", r.Type), off, "LEN missing or not a number")
		} else if declared != enc {
			add(fmt.Sprintf("%d.001", r.Type), off, "LEN is %d but the record is %d bytes", declared, enc)
		}
		if r.Unterminated {
			add("", off+enc, "input ends inside the record (no FS): truncated")
		}
		if r.Binary() {
			vs = append(vs, t.validateBinary(r, name, off)...)
		} else {
			vs = append(vs, validateTagged(r, name, off)...)
		}
		vs = append(vs, t.validateImage(r, i+1, name, off)...)
		off += enc
	}
	vs = append(vs, t.validateCNT()...)
	vs = append(vs, t.validateType1Values()...)
	return vs
}

// validateType1Values checks the formats of Type-1 fields (SP 500-290 Rev1
// Table 11): VER four digits, DAT a calendar date YYYYMMDD, PRY 1–9, NSR and
// NTR "dd.dd", GMT YYYYMMDDhhmmssZ.
func (t *Transaction) validateType1Values() []Violation {
	r1 := t.Type1()
	if r1 == nil {
		return nil
	}
	var vs []Violation
	var off int64
	for _, f := range r1.Fields {
		v := string(f.Value)
		var msg string
		switch f.Num() {
		case 2:
			if len(v) != 4 || !digits(v) {
				msg = fmt.Sprintf("VER %q is not four digits", v)
			}
		case 5:
			if !validDate(v) {
				msg = fmt.Sprintf("DAT %q is not a date YYYYMMDD", v)
			}
		case 6:
			if len(v) != 1 || v[0] < '1' || v[0] > '9' {
				msg = fmt.Sprintf("PRY %q is not 1–9", v)
			}
		case 11, 12:
			if len(v) != 5 || v[2] != '.' || !digits(v[:2]) || !digits(v[3:]) {
				msg = fmt.Sprintf("resolution %q is not dd.dd pixels per mm", v)
			}
		case 14:
			if len(v) != 15 || v[14] != 'Z' || !digits(v[:14]) || !validDate(v[:8]) {
				msg = fmt.Sprintf("GMT %q is not YYYYMMDDhhmmssZ", v)
			}
		}
		if msg != "" {
			vs = append(vs, Violation{Record: "record 1 (type-1)", Field: f.Tag, Offset: off, Msg: msg})
		}
		off += int64(len(f.Tag) + len(f.Value) + 2)
	}
	return vs
}

func validDate(v string) bool {
	if len(v) != 8 || !digits(v) {
		return false
	}
	_, err := time.Parse("20060102", v)
	return err == nil
}

func validateTagged(r *Record, name string, off int64) []Violation {
	var vs []Violation
	add := func(field string, at int64, format string, args ...any) {
		vs = append(vs, Violation{Record: name, Field: field, Offset: at, Msg: fmt.Sprintf(format, args...)})
	}
	seen := map[int]bool{}
	p := off
	for j, f := range r.Fields {
		rt, num, err := parseTag(f.Tag)
		switch {
		case err != nil:
			add(f.Tag, p, "malformed tag")
		case rt != r.Type:
			add(f.Tag, p, "tag names type %d in a type-%d record", rt, r.Type)
		case j == 0 && num != 1:
			add(f.Tag, p, "first field is not LEN (%d.001)", r.Type)
		case j == 1 && r.Type != 1 && num != 2:
			add(f.Tag, p, "second field is not IDC (%d.002)", r.Type)
		case seen[num]:
			add(f.Tag, p, "field repeated")
		}
		seen[num] = true
		if num != 999 {
			if k := bytes.IndexAny(f.Value, "\x1c\x1d"); k >= 0 {
				add(f.Tag, p+int64(len(f.Tag)+1+k), "FS or GS separator inside a value")
			}
			if len(f.Value) > 0 && f.Value[len(f.Value)-1] == RS {
				add(f.Tag, p+int64(len(f.Tag)+len(f.Value)), "value ends with an RS (empty trailing subfield)")
			}
			if j := bytes.Index(f.Value, []byte{RS, RS}); j >= 0 {
				add(f.Tag, p+int64(len(f.Tag)+1+j), "empty subfield (RS RS)")
			}
		} else if j != len(r.Fields)-1 {
			add(f.Tag, p, "binary field 999 is not the last field")
		}
		if num == 2 && r.Type != 1 {
			if _, ok := atoiStrict(f.Value); !ok {
				add(f.Tag, p, "IDC %q is not a number", f.Value)
			}
		}
		p += int64(len(f.Tag) + 1 + len(f.Value) + 1)
	}
	for _, m := range mandatoryFields[r.Type] {
		if !seen[m] {
			add(fmt.Sprintf("%d.%03d", r.Type, m), off, "mandatory field missing")
		}
	}
	return vs
}

func (t *Transaction) validateBinary(r *Record, name string, off int64) []Violation {
	var vs []Violation
	add := func(field int, at int64, format string, args ...any) {
		vs = append(vs, Violation{Record: name, Field: fmt.Sprintf("%d.%03d", r.Type, field), Offset: at, Msg: fmt.Sprintf(format, args...)})
	}
	if len(r.Header) != binaryHeaderLen(r.Type) {
		add(1, off, "binary header is %d bytes, want %d", len(r.Header), binaryHeaderLen(r.Type))
		return vs
	}
	if r.Type >= 3 && r.Type <= 6 {
		h := r.Header
		if h[5] > 29 {
			add(3, off+5, "impression type %d out of range 0–29", h[5])
		}
		for k := range 6 {
			if p := h[6+k]; p > 15 && p != 255 {
				add(4, off+6+int64(k), "finger position %d is not 0–15 or 255", p)
			}
		}
		if h[6] == 255 {
			add(4, off+6, "first finger position is unused (255)")
		}
		if h[12] > 1 {
			add(5, off+12, "ISR %d is not 0 or 1", h[12])
		}
	}
	return vs
}

// validateCNT checks Type-1 field 1.003 against the records.
func (t *Transaction) validateCNT() []Violation {
	r1 := t.Type1()
	if r1 == nil {
		return nil
	}
	var vs []Violation
	f := r1.Field(3)
	if f == nil {
		return nil // reported as a missing mandatory field
	}
	at := int64(0)
	for _, g := range r1.Fields {
		if g.Num() == 3 {
			break
		}
		at += int64(len(g.Tag) + len(g.Value) + 2)
	}
	add := func(format string, args ...any) {
		vs = append(vs, Violation{Record: "record 1 (type-1)", Field: f.Tag, Offset: at, Msg: fmt.Sprintf(format, args...)})
	}
	subs := f.Subfields()
	if len(subs[0]) != 2 || subs[0][0] != "1" {
		add("first subfield is %q, want \"1\" US record count", bytes.Split(f.Value, []byte{RS})[0])
	} else if n, err := strconv.Atoi(subs[0][1]); err != nil || n != len(subs)-1 {
		add("first subfield declares %q records but %d subfields follow", subs[0][1], len(subs)-1)
	}
	if len(subs)-1 != len(t.Records)-1 {
		add("lists %d records but the transaction has %d after Type-1", len(subs)-1, len(t.Records)-1)
	}
	for k, s := range subs[1:] {
		if k+1 >= len(t.Records) {
			break
		}
		r := t.Records[k+1]
		if len(s) != 2 {
			add("subfield %d has %d items, want 2 (type, IDC)", k+2, len(s))
			continue
		}
		if typ, err := strconv.Atoi(s[0]); err != nil || typ != r.Type {
			add("subfield %d gives type %q but record %d is type-%d", k+2, s[0], k+2, r.Type)
		}
		if idc, err := strconv.Atoi(s[1]); err != nil || idc != r.IDC() {
			add("subfield %d gives IDC %q but record %d has IDC %d", k+2, s[1], k+2, r.IDC())
		}
	}
	return vs
}

// validateImage checks image data against the declared dimensions.
func (t *Transaction) validateImage(r *Record, idx int, name string, off int64) []Violation {
	im, ok := t.imageOf(r, idx)
	if !ok || len(im.Data) == 0 {
		return nil
	}
	field := fmt.Sprintf("%d.%03d", r.Type, im.dataField)
	at := off + im.dataOffset
	v := func(format string, args ...any) []Violation {
		return []Violation{{Record: name, Field: field, Offset: at, Msg: fmt.Sprintf(format, args...)}}
	}
	if im.Compression == CompressionNone {
		if im.BitsPerPixel == 0 {
			return nil
		}
		need := int64(im.Width) * int64(im.Height) * int64(im.BitsPerPixel) / 8
		if im.BitsPerPixel == 1 {
			need = int64((im.Width+7)/8) * int64(im.Height)
		}
		if int64(len(im.Data)) != need {
			return v("uncompressed %d×%d image at %d bpp needs %d bytes, has %d", im.Width, im.Height, im.BitsPerPixel, need, len(im.Data))
		}
		return nil
	}
	if w, h, ok := ImageSize(im.Data); ok && (w != im.Width || h != im.Height) {
		return v("%s data is %d×%d but HLL×VLL is %d×%d", im.Compression, w, h, im.Width, im.Height)
	}
	return nil
}

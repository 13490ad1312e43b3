package ansinist

import (
	"encoding/binary"
	"fmt"
	"strconv"
)

// Record is one logical record of a transaction.
//
// A tagged record (every type except 3–8) holds its fields in Fields, in the
// order written, LEN (field 001) included. A binary record (Types 3–8) holds
// its fixed header in Header, LEN included, and its image data in Data.
type Record struct {
	Type   int
	Fields []Field // tagged records

	Header []byte // binary records: fixed header (SP 500-290 Rev1 Tables 22–29)
	Data   []byte // binary records: data after the header

	// Unterminated marks a tagged record whose input ended inside its binary
	// field 999, before the FS that LEN points to (a truncated file). Encode
	// then writes no FS, so the truncated input round-trips; Validate reports
	// it. Fix clears it.
	Unterminated bool
}

// IsBinaryType reports whether records of type t use the fixed binary layout
// of the legacy Types 3–8 rather than tagged fields.
func IsBinaryType(t int) bool { return t >= 3 && t <= 8 }

// Binary reports whether r is a binary (Types 3–8) record.
func (r *Record) Binary() bool { return IsBinaryType(r.Type) }

// binaryHeaderLen is the fixed header length of binary record type t:
// Types 3–6 have LEN(4) IDC(1) IMP(1) FGP(6) ISR(1) HLL(2) VLL(2) CGA(1) = 18
// bytes; Type-8 has LEN(4) IDC(1) SIG(1) SRT(1) ISR(1) HLL(2) VLL(2) = 12
// bytes; Type-7 is user-defined after LEN(4) IDC(1).
func binaryHeaderLen(t int) int {
	switch t {
	case 3, 4, 5, 6:
		return 18
	case 7:
		return 5
	case 8:
		return 12
	}
	return 0
}

// Field returns the first field of a tagged record with field number num, or
// nil. For binary records it returns nil; use BinaryFields.
func (r *Record) Field(num int) *Field {
	for i := range r.Fields {
		if r.Fields[i].Num() == num {
			return &r.Fields[i]
		}
	}
	return nil
}

// Value returns field num's value as text, or "" when absent.
func (r *Record) Value(num int) string {
	if r.Binary() {
		for _, f := range r.BinaryFields() {
			if f.Num() == num {
				return string(f.Value)
			}
		}
		return ""
	}
	if f := r.Field(num); f != nil {
		return string(f.Value)
	}
	return ""
}

// Int returns field num's value (its first item) as an integer and whether it
// was present and numeric.
func (r *Record) Int(num int) (int, bool) {
	v := r.Value(num)
	for i := 0; i < len(v); i++ {
		if v[i] == RS || v[i] == US {
			v = v[:i]
			break
		}
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, false
	}
	return n, true
}

// Set sets field num of a tagged record to v, replacing the existing field or
// inserting a new one in field-number order (field 999 stays last). It does
// not update LEN; call Transaction.Fix.
func (r *Record) Set(num int, v []byte) {
	if f := r.Field(num); f != nil {
		f.Value = v
		return
	}
	nf := NewField(r.Type, num, v)
	i := len(r.Fields)
	for j, f := range r.Fields {
		if f.Num() > num {
			i = j
			break
		}
	}
	r.Fields = append(r.Fields, Field{})
	copy(r.Fields[i+1:], r.Fields[i:])
	r.Fields[i] = nf
}

// IDC returns the record's information designation character (field 002, or
// the header byte of a binary record), or -1 if absent, not numeric or the
// record is Type-1 (which has none).
func (r *Record) IDC() int {
	if r.Type == 1 {
		return -1
	}
	if r.Binary() {
		if len(r.Header) < 5 {
			return -1
		}
		return int(r.Header[4])
	}
	if n, ok := r.Int(2); ok {
		return n
	}
	return -1
}

// DeclaredLen returns the record's LEN value and whether it was present and
// numeric.
func (r *Record) DeclaredLen() (int64, bool) {
	if r.Binary() {
		if len(r.Header) < 4 {
			return 0, false
		}
		return int64(binary.BigEndian.Uint32(r.Header)), true
	}
	if len(r.Fields) == 0 || r.Fields[0].Num() != 1 {
		return 0, false
	}
	return atoiStrict(r.Fields[0].Value)
}

// EncodedLen returns the number of bytes Encode writes for r.
func (r *Record) EncodedLen() int64 {
	if r.Binary() {
		return int64(len(r.Header) + len(r.Data))
	}
	var n int64
	for _, f := range r.Fields {
		n += int64(len(f.Tag) + 1 + len(f.Value) + 1) // tag, ':', value, GS or FS
	}
	if r.Unterminated && n > 0 {
		n--
	}
	return n
}

// fixLen sets LEN to the encoded length. For tagged records the LEN value's
// own digit count is part of the length, so it iterates until stable.
func (r *Record) fixLen() error {
	if r.Binary() {
		if len(r.Header) < 4 {
			return fmt.Errorf("type-%d record: header of %d bytes", r.Type, len(r.Header))
		}
		n := r.EncodedLen()
		if n > 0xFFFFFFFF {
			return fmt.Errorf("type-%d record: %d bytes exceed the 4-byte LEN", r.Type, n)
		}
		binary.BigEndian.PutUint32(r.Header, uint32(n))
		return nil
	}
	r.Unterminated = false
	if len(r.Fields) == 0 || r.Fields[0].Num() != 1 {
		r.Fields = append([]Field{NewField(r.Type, 1, nil)}, r.Fields...)
	}
	for range 4 {
		n := r.EncodedLen()
		v := strconv.FormatInt(n, 10)
		if v == string(r.Fields[0].Value) {
			return nil
		}
		r.Fields[0].Value = []byte(v)
	}
	return nil
}

// BinaryFields returns the header of a binary record as fields numbered as in
// the standard (Type-4: 4.001 LEN, 4.002 IDC, 4.003 IMP, 4.004 FGP as six
// subfields, 4.005 ISR, 4.006 HLL, 4.007 VLL, 4.008 CGA, 4.009 DATA; Type-8:
// 8.001 LEN … 8.007 VLL, 8.008 DATA; Type-7: 7.001 LEN, 7.002 IDC, 7.003
// user-defined data), values in decimal. It returns nil for tagged records or
// a short header.
func (r *Record) BinaryFields() []Field {
	h := r.Header
	if !r.Binary() || len(h) != binaryHeaderLen(r.Type) {
		return nil
	}
	d := func(n int) []byte { return []byte(strconv.Itoa(n)) }
	u16 := func(b []byte) int { return int(binary.BigEndian.Uint16(b)) }
	fs := []Field{
		NewField(r.Type, 1, d(int(binary.BigEndian.Uint32(h)))),
		NewField(r.Type, 2, d(int(h[4]))),
	}
	switch r.Type {
	case 3, 4, 5, 6:
		fgp := make([][]string, 6)
		for i := range fgp {
			fgp[i] = []string{strconv.Itoa(int(h[6+i]))}
		}
		fs = append(fs,
			NewField(r.Type, 3, d(int(h[5]))),
			NewField(r.Type, 4, JoinValue(fgp)),
			NewField(r.Type, 5, d(int(h[12]))),
			NewField(r.Type, 6, d(u16(h[13:]))),
			NewField(r.Type, 7, d(u16(h[15:]))),
			NewField(r.Type, 8, d(int(h[17]))),
			NewField(r.Type, 9, r.Data))
	case 7:
		fs = append(fs, NewField(r.Type, 3, r.Data))
	case 8:
		fs = append(fs,
			NewField(r.Type, 3, d(int(h[5]))),
			NewField(r.Type, 4, d(int(h[6]))),
			NewField(r.Type, 5, d(int(h[7]))),
			NewField(r.Type, 6, d(u16(h[8:]))),
			NewField(r.Type, 7, d(u16(h[10:]))),
			NewField(r.Type, 8, r.Data))
	}
	return fs
}

// binaryDataField is the field number BinaryFields gives the data of binary
// record type t.
func binaryDataField(t int) int {
	switch t {
	case 7:
		return 3
	case 8:
		return 8
	}
	return 9
}

// NewBinaryRecord builds a binary record of type t (3–8) from fields numbered
// as BinaryFields returns them. LEN is computed; a missing field is zero.
func NewBinaryRecord(t int, fields []Field) (*Record, error) {
	if !IsBinaryType(t) {
		return nil, fmt.Errorf("type-%d is not a binary record type", t)
	}
	h := make([]byte, binaryHeaderLen(t))
	r := &Record{Type: t, Header: h}
	num := func(f Field, max int) (int, error) {
		n, ok := atoiStrict(f.Value)
		if !ok || n > int64(max) {
			return 0, fmt.Errorf("type-%d record field %s: %q is not a number in 0..%d", t, f.Tag, f.Value, max)
		}
		return int(n), nil
	}
	for _, f := range fields {
		fn := f.Num()
		if fn == binaryDataField(t) {
			r.Data = f.Value
			continue
		}
		var off, size int
		switch {
		case fn == 1:
			continue // computed
		case fn == 2:
			off, size = 4, 1
		case t != 7 && t != 8 && fn == 3:
			off, size = 5, 1
		case t != 7 && t != 8 && fn == 4:
			subs := f.Subfields()
			if len(subs) > 6 {
				return nil, fmt.Errorf("type-%d record field %s: %d finger positions, at most 6", t, f.Tag, len(subs))
			}
			for i := range 6 {
				h[6+i] = 255
				if i < len(subs) {
					n, err := num(Field{Tag: f.Tag, Value: []byte(subs[i][0])}, 255)
					if err != nil {
						return nil, err
					}
					h[6+i] = byte(n)
				}
			}
			continue
		case t != 7 && t != 8 && fn == 5:
			off, size = 12, 1
		case t != 7 && t != 8 && fn == 6:
			off, size = 13, 2
		case t != 7 && t != 8 && fn == 7:
			off, size = 15, 2
		case t != 7 && t != 8 && fn == 8:
			off, size = 17, 1
		case t == 8 && fn >= 3 && fn <= 5:
			off, size = 2+fn, 1
		case t == 8 && fn == 6:
			off, size = 8, 2
		case t == 8 && fn == 7:
			off, size = 10, 2
		default:
			return nil, fmt.Errorf("type-%d record field %s: no such field in the binary header", t, f.Tag)
		}
		n, err := num(f, 1<<(8*size)-1)
		if err != nil {
			return nil, err
		}
		if size == 1 {
			h[off] = byte(n)
		} else {
			binary.BigEndian.PutUint16(h[off:], uint16(n))
		}
	}
	if err := r.fixLen(); err != nil {
		return nil, err
	}
	return r, nil
}

package ansinist

import (
	"bytes"
	"fmt"
	"strconv"
)

// Separators of the traditional encoding (SP 500-290 Rev1 §7.1, Table 3).
const (
	FS = 0x1C // file separator: ends a tagged record
	GS = 0x1D // group separator: separates fields
	RS = 0x1E // record separator: separates subfields
	US = 0x1F // unit separator: separates information items
)

// Field is one field of a tagged record: "T.NNN:value".
//
// Tag is the field's tag as written ("1.001", "2.01", "10.999"); Encode writes
// it verbatim, so a decoded field keeps its digit counts. Value holds the bytes
// between the colon and the next GS or FS, separators RS and US included; for
// field 999 (and other binary data) it is the raw data.
type Field struct {
	Tag   string
	Value []byte
}

// NewField returns the field recType.num with the usual three-digit field
// number ("14.013") and value v.
func NewField(recType, num int, v []byte) Field {
	return Field{Tag: fmt.Sprintf("%d.%03d", recType, num), Value: v}
}

// Num returns the field number of the tag ("14.013" → 13), or -1 if the tag is
// malformed.
func (f Field) Num() int {
	_, n, err := parseTag(f.Tag)
	if err != nil {
		return -1
	}
	return n
}

// String returns the value as text.
func (f Field) String() string { return string(f.Value) }

// Subfields splits the value into subfields (RS) and those into information
// items (US). A value without separators is one subfield of one item.
func (f Field) Subfields() [][]string {
	return splitValue(f.Value)
}

func splitValue(v []byte) [][]string {
	subs := bytes.Split(v, []byte{RS})
	out := make([][]string, len(subs))
	for i, s := range subs {
		items := bytes.Split(s, []byte{US})
		out[i] = make([]string, len(items))
		for j, it := range items {
			out[i][j] = string(it)
		}
	}
	return out
}

// JoinValue is the inverse of Subfields: it joins items with US and subfields
// with RS.
func JoinValue(subs [][]string) []byte {
	var b []byte
	for i, s := range subs {
		if i > 0 {
			b = append(b, RS)
		}
		for j, it := range s {
			if j > 0 {
				b = append(b, US)
			}
			b = append(b, it...)
		}
	}
	return b
}

// parseTag parses "T.NNN" into record type and field number. Both parts must be
// non-empty runs of ASCII digits (at most 9).
func parseTag(tag string) (recType, num int, err error) {
	dot := -1
	for i := 0; i < len(tag); i++ {
		c := tag[i]
		switch {
		case c == '.':
			if dot >= 0 {
				return 0, 0, fmt.Errorf("field tag %q: %w", tag, ErrBadTag)
			}
			dot = i
		case c < '0' || c > '9':
			return 0, 0, fmt.Errorf("field tag %q: %w", tag, ErrBadTag)
		}
	}
	if dot <= 0 || dot == len(tag)-1 || dot > 9 || len(tag)-dot-1 > 9 {
		return 0, 0, fmt.Errorf("field tag %q: %w", tag, ErrBadTag)
	}
	recType, _ = strconv.Atoi(tag[:dot])
	num, _ = strconv.Atoi(tag[dot+1:])
	return recType, num, nil
}

// atoiStrict parses a non-empty decimal ASCII number of at most 18 digits.
func atoiStrict(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

package ansinist

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Dump writes a human-readable listing of t: one line per record, then one
// line per field ("  14.013 FGP  1"), subfields separated by " | " and
// information items by " / ". Binary data is summarised (size, compression,
// dimensions) and long text is cut at 200 characters.
func (t *Transaction) Dump(w io.Writer) error {
	bw := bufio.NewWriter(w)
	var off int64
	for i, r := range t.Records {
		idc := ""
		if r.Type != 1 {
			idc = fmt.Sprintf(" IDC %d", r.IDC())
		}
		fmt.Fprintf(bw, "record %d: type-%d%s, %d bytes at offset %d\n", i+1, r.Type, idc, r.EncodedLen(), off)
		fields := r.Fields
		dataField := 999
		if r.Binary() {
			fields = r.BinaryFields()
			dataField = binaryDataField(r.Type)
		}
		for _, f := range fields {
			num := f.Num()
			name := FieldName(r.Type, num)
			var v string
			if num == dataField || !utf8.Valid(f.Value) && len(f.Value) > 16 {
				v = summariseData(f.Value)
			} else {
				v = showValue(f.Value)
			}
			fmt.Fprintf(bw, "  %-8s %-4s %s\n", f.Tag, name, v)
		}
		off += r.EncodedLen()
	}
	return bw.Flush()
}

func summariseData(b []byte) string {
	s := fmt.Sprintf("<%d bytes", len(b))
	if c := sniffCompression(b); c != "" {
		s += " " + c
		if w, h, ok := ImageSize(b); ok {
			s += fmt.Sprintf(" %d×%d", w, h)
		}
	}
	return s + ">"
}

func showValue(b []byte) string {
	var sb strings.Builder
	n := 0
	for _, r := range string(b) {
		if n == 200 {
			sb.WriteString("…")
			break
		}
		n++
		switch {
		case r == RS:
			sb.WriteString(" | ")
		case r == US:
			sb.WriteString(" / ")
		case r < 0x20 || r == 0x7F || r == utf8.RuneError:
			fmt.Fprintf(&sb, "\\x%02x", r)
		default:
			sb.WriteRune(r)
		}
	}
	return sb.String()
}

package ansinist

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Errors that callers may test with errors.Is.
var (
	// ErrFormat: the input is not an ANSI/NIST-ITL transaction in either encoding.
	ErrFormat = errors.New("not an ANSI/NIST-ITL transaction")
	// ErrTruncated: a declared length runs past the end of the input.
	ErrTruncated = errors.New("truncated")
	// ErrBadTag: a field tag is not "T.NNN".
	ErrBadTag = errors.New("malformed field tag")
	// ErrTooLarge: the input exceeds MaxTransactionSize.
	ErrTooLarge = errors.New("transaction too large")
)

// MaxTransactionSize bounds the bytes Decode reads (1 GiB).
const MaxTransactionSize = 1 << 30

// Transaction is an ANSI/NIST-ITL transaction: Records[0] is the Type-1
// record, the others follow in file order.
type Transaction struct {
	Records []*Record
}

// Decode reads a whole transaction from r. It accepts the traditional
// encoding and, when the input starts (after optional white space and a BOM)
// with '<', the XML encoding (see DecodeXML; as there, a
// *UnmappedElementsError comes with a usable transaction).
func Decode(r io.Reader) (*Transaction, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxTransactionSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxTransactionSize {
		return nil, fmt.Errorf("ansinist: %w (over %d bytes)", ErrTooLarge, MaxTransactionSize)
	}
	if IsXML(data) {
		return DecodeXML(data)
	}
	return Parse(data)
}

// IsXML reports whether data looks like the XML encoding.
func IsXML(data []byte) bool {
	d := bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	d = bytes.TrimLeft(d, " \t\r\n")
	return len(d) > 0 && d[0] == '<'
}

// Parse decodes a transaction in the traditional encoding (SP 500-290 Rev1
// §7.1 and Annex B). Field values and binary data alias data.
//
// Parse finds each record's end from its LEN. A tagged record whose LEN does
// not end at an FS is still read up to its first FS when it holds no binary
// field 999, so that Validate can report the mismatch; record types come from
// the Type-1 CNT field for binary records (Types 3–8) and from the field tags
// otherwise. Records beyond those CNT declares are read as tagged records. A
// last record cut short inside its field 999 is kept (Record.Unterminated). A
// field whose tag names another record type is kept as written.
func Parse(data []byte) (*Transaction, error) {
	if len(data) < 2 || !bytes.HasPrefix(data, []byte("1.")) {
		return nil, fmt.Errorf("ansinist: %w: input does not start with a Type-1 field tag", ErrFormat)
	}
	t := &Transaction{}
	r1, off, err := parseTagged(data, 0)
	if err != nil {
		return nil, fmt.Errorf("ansinist: record 1: %w", err)
	}
	if r1.Type != 1 {
		return nil, fmt.Errorf("ansinist: %w: first record is type %d", ErrFormat, r1.Type)
	}
	t.Records = append(t.Records, r1)
	types := cntTypes(r1)
	for i := 0; off < len(data); i++ {
		var rec *Record
		recType := -1
		if i < len(types) {
			recType = types[i]
		}
		if IsBinaryType(recType) {
			rec, off, err = parseBinary(data, off, recType, len(t.Records)+1)
		} else {
			rec, off, err = parseTagged(data, off)
			if err != nil {
				err = fmt.Errorf("record %d: %w", len(t.Records)+1, err)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("ansinist: %w", err)
		}
		t.Records = append(t.Records, rec)
	}
	return t, nil
}

// cntTypes returns the record types that Type-1 field 1.003 (CNT) lists after
// its first subfield, or nil when CNT is absent. Unparseable entries are -1.
func cntTypes(r1 *Record) []int {
	f := r1.Field(3)
	if f == nil {
		return nil
	}
	subs := f.Subfields()
	var out []int
	for _, s := range subs[1:] {
		n, err := strconv.Atoi(s[0])
		if err != nil {
			n = -1
		}
		out = append(out, n)
	}
	return out
}

// parseBinary reads a binary record of type t at off.
func parseBinary(data []byte, off, t, index int) (*Record, int, error) {
	hl := binaryHeaderLen(t)
	if len(data)-off < 4 {
		return nil, 0, fmt.Errorf("type-%d record %d at byte %d: LEN needs 4 bytes, %d remain: %w", t, index, off, len(data)-off, ErrTruncated)
	}
	n := int64(data[off])<<24 | int64(data[off+1])<<16 | int64(data[off+2])<<8 | int64(data[off+3])
	if n < int64(hl) {
		return nil, 0, fmt.Errorf("type-%d record %d at byte %d: LEN %d is shorter than the %d-byte header", t, index, off, n, hl)
	}
	if n > int64(len(data)-off) {
		return nil, 0, fmt.Errorf("type-%d record %d at byte %d: LEN %d but %d bytes remain: %w", t, index, off, n, len(data)-off, ErrTruncated)
	}
	end := off + int(n)
	return &Record{Type: t, Header: data[off : off+hl : off+hl], Data: data[off+hl : end : end]}, end, nil
}

// parseTagged reads a tagged record starting at off and returns it and the
// offset after its FS.
func parseTagged(data []byte, off int) (*Record, int, error) {
	tag, vstart, err := readTag(data, off)
	if err != nil {
		return nil, 0, err
	}
	recType, num, _ := parseTag(tag)
	if num != 1 {
		return nil, 0, fmt.Errorf("tagged record at byte %d: first field is %s, want LEN (%d.001)", off, tag, recType)
	}
	if IsBinaryType(recType) {
		return nil, 0, fmt.Errorf("tagged record at byte %d: type %d is binary but CNT does not list it there", off, recType)
	}
	vend := vstart
	for vend < len(data) && data[vend] != GS && data[vend] != FS {
		vend++
	}
	declared, ok := atoiStrict(data[vstart:vend])
	if ok && declared > int64(vend-off) && declared <= int64(len(data)-off) && data[off+int(declared)-1] == FS {
		if rec, err := parseFields(data, off, off+int(declared)-1, recType, true); err == nil {
			return rec, off + int(declared), nil
		}
	}
	// LEN does not delimit the record: read fields up to the first FS.
	end := bytes.IndexByte(data[off:], FS)
	if ok && declared > int64(len(data)-off) {
		// The input ends before LEN: keep what there is of a record whose
		// binary field 999 was cut off, so that a truncated file round-trips.
		if rec, err := parseFields(data, off, len(data), recType, true); err == nil && rec.Fields[len(rec.Fields)-1].Num() == 999 {
			rec.Unterminated = true
			return rec, len(data), nil
		}
	}
	if end < 0 {
		return nil, 0, fmt.Errorf("type-%d record at byte %d: LEN %q does not end the record and no FS follows: %w", recType, off, data[vstart:vend], ErrTruncated)
	}
	rec, err := parseFields(data, off, off+end, recType, false)
	if err != nil {
		return nil, 0, err
	}
	return rec, off + end + 1, nil
}

// parseFields splits data[off:end] (end is the FS) into fields. With binary999,
// field 999 runs to end; otherwise a field 999 is an error (its end is
// unknown without a trustworthy LEN).
func parseFields(data []byte, off, end, recType int, binary999 bool) (*Record, error) {
	rec := &Record{Type: recType}
	p := off
	for {
		tag, vstart, err := readTag(data[:end], p)
		if err != nil {
			return nil, err
		}
		_, num, _ := parseTag(tag) // a tag naming another type is kept; Validate reports it
		if num == 999 {
			if !binary999 {
				return nil, fmt.Errorf("type-%d record at byte %d: LEN does not end the record at an FS, so binary field %s at byte %d has no known end", recType, off, tag, p)
			}
			rec.Fields = append(rec.Fields, Field{Tag: tag, Value: data[vstart:end:end]})
			return rec, nil
		}
		vend := vstart
		for vend < end && data[vend] != GS {
			if data[vend] == FS {
				return nil, fmt.Errorf("type-%d record at byte %d: field %s holds an FS at byte %d", recType, off, tag, vend)
			}
			vend++
		}
		rec.Fields = append(rec.Fields, Field{Tag: tag, Value: data[vstart:vend:vend]})
		if vend == end {
			return rec, nil
		}
		p = vend + 1
	}
}

// readTag reads "T.NNN:" at p and returns the tag and the offset of the value.
func readTag(data []byte, p int) (string, int, error) {
	const maxTag = 20
	lim := min(len(data), p+maxTag)
	c := bytes.IndexByte(data[p:lim], ':')
	if c < 0 {
		if lim == len(data) && lim-p < maxTag {
			return "", 0, fmt.Errorf("field at byte %d: no ':' before the end of the record: %w", p, ErrTruncated)
		}
		return "", 0, fmt.Errorf("field at byte %d: no ':' within %d bytes: %w", p, maxTag, ErrBadTag)
	}
	tag := string(data[p : p+c])
	if _, _, err := parseTag(tag); err != nil {
		return "", 0, fmt.Errorf("field at byte %d: %w", p, err)
	}
	return tag, p + c + 1, nil
}

// Encode writes the transaction in the traditional encoding. Records and
// fields are written as they are held, so a decoded transaction is reproduced
// byte for byte; call Fix first after changing it.
func (t *Transaction) Encode(w io.Writer) error {
	bw := bufio.NewWriter(w)
	for i, r := range t.Records {
		if err := r.encode(bw); err != nil {
			return fmt.Errorf("ansinist: record %d (type %d): %w", i+1, r.Type, err)
		}
	}
	return bw.Flush()
}

// Bytes returns the traditional encoding of t.
func (t *Transaction) Bytes() ([]byte, error) {
	var b bytes.Buffer
	if err := t.Encode(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (r *Record) encode(w *bufio.Writer) error {
	if r.Binary() {
		if len(r.Header) != binaryHeaderLen(r.Type) {
			return fmt.Errorf("binary header of %d bytes, want %d", len(r.Header), binaryHeaderLen(r.Type))
		}
		w.Write(r.Header)
		w.Write(r.Data)
		return nil
	}
	if len(r.Fields) == 0 {
		return errors.New("tagged record without fields")
	}
	for i, f := range r.Fields {
		w.WriteString(f.Tag)
		w.WriteByte(':')
		w.Write(f.Value)
		if i == len(r.Fields)-1 {
			if !r.Unterminated {
				w.WriteByte(FS)
			}
		} else {
			w.WriteByte(GS)
		}
	}
	return nil
}

// Fix recomputes the Type-1 CNT field (1.003) from the records, keeping the
// IDC text of tagged records, and then every record's LEN.
func (t *Transaction) Fix() error {
	if len(t.Records) == 0 || t.Records[0].Type != 1 {
		return fmt.Errorf("ansinist: %w: no Type-1 record first", ErrFormat)
	}
	subs := [][]string{{"1", strconv.Itoa(len(t.Records) - 1)}}
	for _, r := range t.Records[1:] {
		idc := fmt.Sprintf("%02d", max(r.IDC(), 0))
		if !r.Binary() {
			if f := r.Field(2); f != nil {
				idc = string(f.Value)
			}
		}
		subs = append(subs, []string{strconv.Itoa(r.Type), idc})
	}
	t.Records[0].Set(3, JoinValue(subs))
	for i, r := range t.Records {
		if err := r.fixLen(); err != nil {
			return fmt.Errorf("ansinist: record %d: %w", i+1, err)
		}
	}
	return nil
}

// Type1 returns the Type-1 record, or nil.
func (t *Transaction) Type1() *Record {
	if len(t.Records) == 0 || t.Records[0].Type != 1 {
		return nil
	}
	return t.Records[0]
}

// RecordsOfType returns the records of type typ in file order.
func (t *Transaction) RecordsOfType(typ int) []*Record {
	var out []*Record
	for _, r := range t.Records {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

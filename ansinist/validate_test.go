package ansinist

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func builtFixture(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "built-enrolment.an2"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestValidateViolations edits a valid transaction and checks that Validate
// names the record, field and byte offset of each departure.
func TestValidateViolations(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(tx *Transaction)
		want Violation // Msg is matched as a substring
	}{
		{"LEN mismatch", func(tx *Transaction) { tx.Records[1].Fields[0].Value = []byte("999") },
			Violation{Record: "record 2 (type-2)", Field: "2.001", Msg: "LEN is 999 but the record is"}},
		{"CNT count", func(tx *Transaction) { tx.Records = tx.Records[:len(tx.Records)-1] },
			Violation{Record: "record 1 (type-1)", Field: "1.003", Msg: "lists 4 records but the transaction has 3"}},
		{"CNT type", func(tx *Transaction) { tx.Records[2].Type, tx.Records[2].Fields[0].Tag = 13, "13.001" },
			Violation{Record: "record 1 (type-1)", Field: "1.003", Msg: "subfield 3 gives type \"14\" but record 3 is type-13"}},
		{"CNT IDC", func(tx *Transaction) { tx.Records[3].Set(2, []byte("07")) },
			Violation{Record: "record 1 (type-1)", Field: "1.003", Msg: "gives IDC \"02\" but record 4 has IDC 7"}},
		{"missing mandatory", func(tx *Transaction) {
			r := tx.Records[2]
			r.Fields = append(r.Fields[:12], r.Fields[13:]...) // drop 14.013 FGP
		}, Violation{Record: "record 3 (type-14)", Field: "14.013", Msg: "mandatory field missing"}},
		{"GS in value", func(tx *Transaction) { tx.Records[1].Set(20, []byte("A\x1dB")) },
			Violation{Record: "record 2 (type-2)", Field: "2.020", Msg: "FS or GS separator inside a value"}},
		{"trailing RS", func(tx *Transaction) { tx.Records[1].Set(21, []byte("TUR\x1e")) },
			Violation{Record: "record 2 (type-2)", Field: "2.021", Msg: "ends with an RS"}},
		{"image size", func(tx *Transaction) { tx.Records[2].Set(6, []byte("65")) },
			Violation{Record: "record 3 (type-14)", Field: "14.999", Msg: "PNG data is 64×80 but HLL×VLL is 65×80"}},
		{"raw size", func(tx *Transaction) { tx.Records[3].Set(7, []byte("47")) },
			Violation{Record: "record 4 (type-14)", Field: "14.999", Msg: "needs 2256 bytes, has 2304"}},
		{"foreign tag", func(tx *Transaction) { tx.Records[1].Fields[2].Tag = "9.018" },
			Violation{Record: "record 2 (type-2)", Field: "9.018", Msg: "tag names type 9"}},
		{"DAT", func(tx *Transaction) { tx.Records[0].Set(5, []byte("20260230")) },
			Violation{Record: "record 1 (type-1)", Field: "1.005", Msg: "DAT \"20260230\" is not a date"}},
		{"NTR", func(tx *Transaction) { tx.Records[0].Set(12, []byte("19.7")) },
			Violation{Record: "record 1 (type-1)", Field: "1.012", Msg: "not dd.dd"}},
		{"repeated", func(tx *Transaction) { tx.Records[1].Fields = append(tx.Records[1].Fields, tx.Records[1].Fields[2]) },
			Violation{Record: "record 2 (type-2)", Field: "2.018", Msg: "field repeated"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tx, err := Parse(bytes.Clone(builtFixture(t)))
			if err != nil {
				t.Fatal(err)
			}
			tc.edit(tx)
			// Offsets are those of the edited transaction's encoding.
			enc, _ := tx.Bytes()
			vs := tx.Validate()
			found := false
			for _, v := range vs {
				if v.Record == tc.want.Record && v.Field == tc.want.Field && strings.Contains(v.Msg, tc.want.Msg) {
					found = true
					if v.Field != "" && tc.name != "foreign tag" && v.Offset > 0 && !strings.Contains(tc.name, "CNT") && !strings.Contains(tc.name, "missing") {
						// The offset points at the field's tag or into its value.
						tag := []byte(v.Field + ":")
						start := bytes.LastIndex(enc[:min(int(v.Offset)+len(tag), len(enc))], tag)
						if start < 0 || int(v.Offset)-start > len(enc) {
							t.Errorf("offset %d does not point into field %s", v.Offset, v.Field)
						}
					}
				}
			}
			if !found {
				t.Errorf("no violation like %+v among %v", tc.want, vs)
			}
		})
	}
}

// TestValidateOffsets checks offsets against the encoding: a LEN violation
// points at the record's first byte.
func TestValidateOffsets(t *testing.T) {
	b := builtFixture(t)
	tx, _ := Parse(bytes.Clone(b))
	tx.Records[2].Fields[0].Value = []byte("1")
	vs := tx.Validate()
	if len(vs) == 0 {
		t.Fatal("no violation")
	}
	enc, _ := tx.Bytes()
	if !bytes.HasPrefix(enc[vs[0].Offset:], []byte("14.001:1\x1d14.002")) {
		t.Errorf("offset %d points at %q", vs[0].Offset, enc[vs[0].Offset:vs[0].Offset+10])
	}
}

func TestParseErrors(t *testing.T) {
	b := builtFixture(t)
	for _, tc := range []struct {
		name string
		in   []byte
		want error
		msg  string
	}{
		{"empty", nil, ErrFormat, ""},
		{"not ansi/nist", []byte("hello"), ErrFormat, ""},
		{"truncated type-1", b[:40], ErrTruncated, ""},
		{"bad tag", append([]byte("1.001:20\x1d1.x02:0502\x1c"), 0), ErrBadTag, "byte 9"},
		{"tag too long", []byte("1.001:8\x1d" + strings.Repeat("1", 40) + "\x1c"), ErrBadTag, "byte 8"},
		{"first not LEN", []byte("1.002:0502\x1c"), nil, "want LEN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.in)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err = %v, want it to mention %q", err, tc.msg)
			}
		})
	}
}

// TestParseBinaryTruncated: a binary record whose LEN runs past the input.
func TestParseBinaryTruncated(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "legacy-type4-type8.an2"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Parse(b[:len(b)-5])
	if !errors.Is(err, ErrTruncated) || !strings.Contains(err.Error(), "type-8 record 4") {
		t.Fatalf("err = %v", err)
	}
}

// TestFixRepairs: Fix makes an edited transaction valid again.
func TestFixRepairs(t *testing.T) {
	tx, _ := Parse(bytes.Clone(builtFixture(t)))
	tx.Records[1].Set(20, []byte("SOME LONGER PLACE NAME"))
	tx.Records = tx.Records[:3]
	if len(tx.Validate()) == 0 {
		t.Fatal("edit not detected")
	}
	if err := tx.Fix(); err != nil {
		t.Fatal(err)
	}
	if vs := tx.Validate(); len(vs) != 0 {
		t.Fatalf("after Fix: %v", vs)
	}
	enc, _ := tx.Bytes()
	back, err := Parse(enc)
	if err != nil || len(back.Records) != 3 {
		t.Fatalf("reparse: %v", err)
	}
}

// TestLENFallback: a tagged record with a wrong LEN and no field 999 is read
// to its FS and reported, and the input still round-trips.
func TestLENFallback(t *testing.T) {
	in := []byte("1.001:60\x1d1.002:0502\x1d1.003:1\x1f1\x1e2\x1f00\x1d1.004:X\x1c2.001:99\x1d2.002:00\x1c")
	tx, err := Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := tx.Bytes()
	if !bytes.Equal(in, out) {
		t.Fatalf("round trip: %q", out)
	}
	var lens int
	for _, v := range tx.Validate() {
		if strings.Contains(v.Msg, "LEN is") {
			lens++
		}
	}
	if lens != 2 {
		t.Errorf("%d LEN violations, want 2: %v", lens, tx.Validate())
	}
}

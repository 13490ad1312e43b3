package ansinist

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bixproject/bix/internal/shareddata"
)

// sameFields reports how b differs from a: records, types and every field
// but LEN, in any order.
func sameFields(a, b *Transaction) error {
	if len(a.Records) != len(b.Records) {
		return fmt.Errorf("%d records, want %d", len(b.Records), len(a.Records))
	}
	for i := range a.Records {
		ra, rb := a.Records[i], b.Records[i]
		if ra.Type != rb.Type {
			return fmt.Errorf("record %d: type %d, want %d", i+1, rb.Type, ra.Type)
		}
		fa, fb := xmlFields(ra), xmlFields(rb)
		if len(fa) != len(fb) {
			return fmt.Errorf("record %d: %d fields, want %d", i+1, len(fb), len(fa))
		}
		m := map[string]int{}
		for _, f := range fa {
			m[f.Tag+"\x00"+string(f.Value)]++
		}
		for _, f := range fb {
			k := f.Tag + "\x00" + string(f.Value)
			if m[k] == 0 {
				return fmt.Errorf("record %d: field %s = %.40q not in the original", i+1, f.Tag, f.Value)
			}
			m[k]--
		}
	}
	return nil
}

func xmlRoundTrip(t *testing.T, in []byte) (*Transaction, []byte) {
	t.Helper()
	tx, err := Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	var x bytes.Buffer
	if err := tx.EncodeXML(&x); err != nil {
		t.Fatalf("EncodeXML: %v", err)
	}
	back, err := Decode(bytes.NewReader(x.Bytes()))
	if err != nil {
		t.Fatalf("Decode of XML: %v", err)
	}
	if err := sameFields(tx, back); err != nil {
		t.Fatal(err)
	}
	return back, x.Bytes()
}

// TestXMLRoundTripFixture: traditional → XML → traditional keeps every
// field, and, the fixture's fields being in order, every byte.
func TestXMLRoundTripFixture(t *testing.T) {
	for _, name := range []string{"built-enrolment.an2", "legacy-type4-type8.an2"} {
		t.Run(name, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			back, x := xmlRoundTrip(t, in)
			out, _ := back.Bytes()
			if !bytes.Equal(in, out) {
				t.Errorf("traditional → XML → traditional is not byte-exact")
			}
			if bytes.Contains(x, []byte("bix:Field")) && name == "legacy-type4-type8.an2" {
				t.Errorf("legacy fixture needed generic fields:\n%s", x)
			}
			if !bytes.Contains(x, []byte("<itl:PackageFingerprintImageRecord>")) && name == "built-enrolment.an2" {
				t.Errorf("no Type-14 element")
			}
		})
	}
}

func TestXMLReferenceRoundTrip(t *testing.T) {
	for _, p := range referenceFiles(t) {
		t.Run(filepath.Base(p), func(t *testing.T) {
			in, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			xmlRoundTrip(t, in)
		})
	}
}

// TestXMLSample reads NIST's XML sample, checks what it holds, writes it
// traditionally and back to XML.
func TestXMLSample(t *testing.T) {
	p := shareddata.Require(t, "ansi-nist", "xml", "All-Supported-Records-test-comp.xml")
	in, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := Decode(bytes.NewReader(in))
	var um *UnmappedElementsError
	if errors.As(err, &um) {
		t.Errorf("unmapped elements: %s", strings.Join(um.Paths, "\n"))
	} else if err != nil {
		t.Fatal(err)
	}
	if tx == nil {
		t.Fatal("no transaction")
	}
	if len(tx.Records) != 23 {
		t.Errorf("%d records, want 23", len(tx.Records))
	}
	trad, err := tx.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	xmlRoundTrip(t, trad)
	var d strings.Builder
	tx.Dump(&d)
	golden(t, "xml-sample-dump.golden", []byte(d.String()))
}

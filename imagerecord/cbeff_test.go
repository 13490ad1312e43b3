package imagerecord

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestParseBIR reads a BIR wrapping the committed finger and face fixtures
// as base64 BDBs.
func TestParseBIR(t *testing.T) {
	fir, _ := os.ReadFile(filepath.Join("testdata", "finger-iso19794-4.fir"))
	fac, _ := os.ReadFile(filepath.Join("testdata", "face-iso19794-5.fac"))
	xmlText := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<BIR xmlns="http://standards.iso.org/iso-iec/19785/-3/ed-2/">
  <Version><Major>1</Major><Minor>1</Minor></Version>
  <CBEFFVersion><Major>1</Major><Minor>1</Minor></CBEFFVersion>
  <BIRInfo><Integrity>false</Integrity></BIRInfo>
  <BIR>
    <BDBInfo><Format><Organization>257</Organization><Type>7</Type></Format>
      <Type>Finger</Type><Subtype>Left IndexFinger</Subtype><Quality><Score>80</Score></Quality></BDBInfo>
    <BDB>%s</BDB>
  </BIR>
  <BIR>
    <BDBInfo><Format><Organization>257</Organization><Type>8</Type></Format><Type>Face</Type></BDBInfo>
    <BDB>%s</BDB>
  </BIR>
</BIR>`, base64.StdEncoding.EncodeToString(fir), base64.StdEncoding.EncodeToString(fac))
	b, err := ParseBIR([]byte(xmlText))
	if err != nil {
		t.Fatal(err)
	}
	ls := b.Leaves()
	if len(ls) != 2 {
		t.Fatalf("%d leaves", len(ls))
	}
	if ls[0].Type[0] != "Finger" || ls[0].Subtype[1] != "IndexFinger" || ls[0].Quality != "80" || ls[0].FormatType != "7" {
		t.Errorf("leaf 1: %+v", ls[0])
	}
	r, err := ls[0].Record()
	if fr, ok := r.(*FingerRecord); err != nil || !ok || len(fr.Views) != 2 {
		t.Errorf("finger BDB: %v %T", err, r)
	}
	r, err = ls[1].Record()
	if fr, ok := r.(*FaceRecord); err != nil || !ok || len(fr.Faces) != 1 {
		t.Errorf("face BDB: %v %T", err, r)
	}
	if _, err := ParseBIR([]byte("<Other/>")); !errors.Is(err, ErrFormat) {
		t.Errorf("non-BIR: %v", err)
	}
}

// FuzzParseBIR: no panic on any input.
func FuzzParseBIR(f *testing.F) {
	f.Add([]byte(`<BIR><BIR><BDBInfo><Type>Finger</Type></BDBInfo><BDB>RklSAA==</BDB></BIR></BIR>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if bir, err := ParseBIR(b); err == nil {
			for _, l := range bir.Leaves() {
				l.Record()
			}
		}
	})
}

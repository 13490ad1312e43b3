package imagerecord

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// BIR is a CBEFF biometric information record in the XML patron format
// (ISO/IEC 19785-3; OASIS BIAS "biaspatronformat-1.0" schema): a BIR holds
// either nested BIRs or a biometric data block (BDB, base64) described by its
// BDBInfo. This is the wrapper MOSIP-style systems send ISO records in.
// Elements are matched by local name, so any namespace is accepted.
type BIR struct {
	FormatOwner string   // BDBInfo/Format/Organization
	FormatType  string   // BDBInfo/Format/Type
	Type        []string // BDBInfo/Type, one entry per space-separated word ("Finger", "Face", ...)
	Subtype     []string // BDBInfo/Subtype words ("Left", "IndexFinger", ...)
	Quality     string   // BDBInfo/Quality/Score, if any
	BDB         []byte
	Children    []*BIR
}

// maxBIRDepth bounds BIR nesting.
const maxBIRDepth = 16

// ParseBIR reads a CBEFF XML BIR.
func ParseBIR(data []byte) (*BIR, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil, fmt.Errorf("CBEFF: %w: no BIR element", ErrFormat)
		}
		if err != nil {
			return nil, fmt.Errorf("CBEFF XML at byte %d: %w", d.InputOffset(), err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if se.Name.Local != "BIR" {
				return nil, fmt.Errorf("CBEFF: %w: root element is %s, want BIR", ErrFormat, se.Name.Local)
			}
			return readBIR(d, 1)
		}
	}
}

func readBIR(d *xml.Decoder, depth int) (*BIR, error) {
	if depth > maxBIRDepth {
		return nil, fmt.Errorf("CBEFF: BIRs nested deeper than %d", maxBIRDepth)
	}
	b := &BIR{}
	var path []string
	var text strings.Builder
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, fmt.Errorf("CBEFF XML at byte %d: %w", d.InputOffset(), err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(path) == 0 && t.Name.Local == "BIR" {
				c, err := readBIR(d, depth+1)
				if err != nil {
					return nil, err
				}
				b.Children = append(b.Children, c)
				continue
			}
			path = append(path, t.Name.Local)
			text.Reset()
		case xml.CharData:
			if text.Len() < 64<<20 {
				text.Write(t)
			}
		case xml.EndElement:
			if len(path) == 0 {
				return b, nil // end of this BIR
			}
			v := strings.TrimSpace(text.String())
			switch strings.Join(path, "/") {
			case "BDBInfo/Format/Organization":
				b.FormatOwner = v
			case "BDBInfo/Format/Type":
				b.FormatType = v
			case "BDBInfo/Type":
				b.Type = append(b.Type, strings.Fields(v)...)
			case "BDBInfo/Subtype":
				b.Subtype = append(b.Subtype, strings.Fields(v)...)
			case "BDBInfo/Quality/Score":
				b.Quality = v
			case "BDB":
				bdb, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(v), ""))
				if err != nil {
					return nil, fmt.Errorf("CBEFF BDB: %w", err)
				}
				b.BDB = bdb
			}
			path = path[:len(path)-1]
			text.Reset()
		}
	}
}

// Leaves returns the BIRs that hold a BDB, depth first.
func (b *BIR) Leaves() []*BIR {
	var out []*BIR
	if b.BDB != nil {
		out = append(out, b)
	}
	for _, c := range b.Children {
		out = append(out, c.Leaves()...)
	}
	return out
}

// Record parses the BDB as a finger or face image record by its format
// identifier ("FIR\0" or "FAC\0"); it returns a *FingerRecord or a
// *FaceRecord.
func (b *BIR) Record() (any, error) {
	switch {
	case bytes.HasPrefix(b.BDB, []byte("FIR\x00")):
		return ParseFinger(b.BDB)
	case bytes.HasPrefix(b.BDB, []byte("FAC\x00")):
		return ParseFace(b.BDB, ISO)
	}
	return nil, errors.New("CBEFF BDB: not a finger (FIR) or face (FAC) image record")
}

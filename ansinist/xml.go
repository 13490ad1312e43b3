package ansinist

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The XML encoding (SP 500-290 Rev1 §7.2 and Annex C): the transaction is an
// itl:NISTBiometricInformationExchangePackage holding one itl:Package...Record
// element per record, each with ansi-nist:RecordCategoryCode and, except
// Type-1, ansi-nist:ImageReferenceIdentification (the IDC). bix writes the
// 2008 schema namespaces of the NIST sample. Fields are mapped to NIEM
// elements by the table in xmlmap.go. A field with no mapping there, or whose
// value the mapping cannot carry exactly (a date that is not YYYYMMDD, a
// non-canonical tag, text that XML cannot hold), is written as
//
//	<bix:Field tag="14.024">text</bix:Field>
//	<bix:Field tag="2.021"><bix:Subfield><bix:Item>…</bix:Item></bix:Subfield>…</bix:Field>
//	<bix:Field tag="2.003" encoding="base64">…</bix:Field>
//
// in bix's namespace (inside itl:UserDefinedDescriptiveText for Type-2,
// whose content the domain defines), so that traditional → XML →
// traditional keeps every record, field and value. LEN is not written; it is
// recomputed on reading. EncodeXML checks this by reading its own output back.

const rootElement = "itl:NISTBiometricInformationExchangePackage"

// UnmappedElementsError lists elements of an XML transaction that bix could
// not map to a field; DecodeXML returns it together with the transaction
// made of everything else.
type UnmappedElementsError struct {
	Paths []string
}

func (e *UnmappedElementsError) Error() string {
	const show = 8
	p := e.Paths
	more := ""
	if len(p) > show {
		p, more = p[:show], fmt.Sprintf(" and %d more", len(e.Paths)-show)
	}
	return fmt.Sprintf("ansinist: XML elements with no ANSI/NIST-ITL field: %s%s", strings.Join(p, ", "), more)
}

// fieldRef names a field of a record in a transaction.
type fieldRef struct {
	rec int
	tag string
}

// EncodeXML writes t in the XML encoding.
func (t *Transaction) EncodeXML(w io.Writer) error {
	generic := map[fieldRef]bool{}
	for attempt := 0; attempt < 3; attempt++ {
		root, err := t.xmlTree(generic)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := writeXMLTree(&buf, root); err != nil {
			return err
		}
		back, err := DecodeXML(buf.Bytes())
		if err != nil {
			return fmt.Errorf("ansinist: XML self-check: %w", err)
		}
		diff, err := t.xmlDiff(back)
		if err != nil {
			return err
		}
		if len(diff) == 0 {
			_, err := w.Write(buf.Bytes())
			return err
		}
		for _, d := range diff {
			generic[d] = true
		}
	}
	return errors.New("ansinist: XML encoding does not reproduce the transaction")
}

// xmlFields returns the fields of r that the XML carries: all but LEN, with
// binary records as BinaryFields.
func xmlFields(r *Record) []Field {
	fs := r.Fields
	if r.Binary() {
		fs = r.BinaryFields()
	}
	var out []Field
	for _, f := range fs {
		if f.Num() != 1 || f.Tag != fmt.Sprintf("%d.001", r.Type) {
			out = append(out, f)
		}
	}
	return out
}

// xmlDiff lists the fields of t that back does not reproduce. A record that
// gained fields is marked whole.
func (t *Transaction) xmlDiff(back *Transaction) ([]fieldRef, error) {
	if len(back.Records) != len(t.Records) {
		return nil, fmt.Errorf("ansinist: XML self-check: %d records read back, want %d", len(back.Records), len(t.Records))
	}
	var out []fieldRef
	for i, r := range t.Records {
		b := back.Records[i]
		if b.Type != r.Type {
			return nil, fmt.Errorf("ansinist: XML self-check: record %d read back as type %d, want %d", i+1, b.Type, r.Type)
		}
		want, got := xmlFields(r), xmlFields(b)
		have := map[string][][]byte{}
		for _, f := range got {
			have[f.Tag] = append(have[f.Tag], f.Value)
		}
		extra := len(got) != len(want)
		for _, f := range want {
			vs := have[f.Tag]
			k := slices.IndexFunc(vs, func(v []byte) bool { return bytes.Equal(v, f.Value) })
			if k < 0 {
				out = append(out, fieldRef{i, f.Tag})
				continue
			}
			have[f.Tag] = slices.Delete(vs, k, k+1)
		}
		if extra {
			for _, f := range want {
				out = append(out, fieldRef{i, f.Tag})
			}
		}
	}
	return out, nil
}

// imageElement returns the record's image element name and whether it holds
// a palm.
func imageElement(r *Record) (string, bool) {
	switch r.Type {
	case 3, 4, 5, 6:
		return "an:FingerprintImage", false
	case 8:
		return "an:SignatureImage", false
	case 10:
		if strings.EqualFold(r.Value(3), "FACE") {
			return "itl:FaceImage", false
		}
		return "an:PhysicalFeatureImage", false
	case 13:
		if n, ok := r.Int(13); ok && n >= 20 && n <= 38 {
			return "itl:PalmprintImage", true
		}
		return "itl:FingerprintImage", false
	case 14:
		return "itl:FingerprintImage", false
	case 15:
		return "itl:PalmprintImage", true
	case 16:
		return "itl:TestImage", false
	case 17:
		return "itl:IrisImage", false
	case 99:
		return "an:CBEFFImage", false
	}
	return "", false
}

func expand(p, img string, palm bool) string {
	pos, q := "an:FingerPositionCode", "itl:FingerprintImageQuality"
	if palm {
		pos, q = "an:PalmPositionCode", "itl:PalmprintImageQuality"
	}
	p = strings.ReplaceAll(p, "$img", img)
	p = strings.ReplaceAll(p, "$pos", pos)
	return strings.ReplaceAll(p, "$q", q)
}

// xmlTree builds the XML tree of t; fields in generic are written as bix:Field.
func (t *Transaction) xmlTree(generic map[fieldRef]bool) (*node, error) {
	root := &node{name: qname(rootElement)}
	for i, r := range t.Records {
		elName, ok := xmlRecordElements[r.Type]
		if !ok {
			elName = "itl:PackageUserDefinedRecord" // not in the schema; bix:Fields carry the content
		}
		re := root.add(qname(elName))
		re.add(qname("an:RecordCategoryCode")).text = fmt.Sprintf("%02d", r.Type)
		img, palm := imageElement(r)
		done := map[string]bool{}
		fields := xmlFields(r)
		for _, m := range xmlMappings {
			if !m.applies(r.Type) {
				continue
			}
			tag := fmt.Sprintf("%d.%03d", r.Type, m.num)
			if done[tag] || generic[fieldRef{i, tag}] {
				continue
			}
			k := slices.IndexFunc(fields, func(f Field) bool { return f.Tag == tag })
			if k < 0 {
				continue
			}
			if writeMapped(re, m, r, fields[k].Value, img, palm) {
				done[tag] = true
			}
		}
		var gparent *node
		for _, f := range fields {
			if done[f.Tag] && !generic[fieldRef{i, f.Tag}] {
				continue
			}
			if gparent == nil {
				gparent = re
				if r.Type == 2 {
					gparent = re.add(qname("itl:UserDefinedDescriptiveText"))
				}
			}
			writeGeneric(gparent, f)
		}
		if r.Type == 2 && gparent == nil {
			re.add(qname("itl:UserDefinedDescriptiveText"))
		}
	}
	return root, nil
}

// xmlText reports whether s can be XML character data unchanged.
func xmlText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF || r == utf8.RuneError {
			return false
		}
	}
	return true
}

func writeGeneric(parent *node, f Field) {
	el := parent.add(qname("bix:Field"))
	el.attr = []xml.Attr{{Name: xml.Name{Local: "tag"}, Value: f.Tag}}
	v := f.Value
	plain := bytes.Map(func(r rune) rune {
		if r == RS || r == US {
			return 'x'
		}
		return r
	}, v)
	switch {
	case !xmlText(string(plain)):
		el.attr = append(el.attr, xml.Attr{Name: xml.Name{Local: "encoding"}, Value: "base64"})
		el.text = base64.StdEncoding.EncodeToString(v)
	case bytes.ContainsAny(v, "\x1e\x1f"):
		for _, sub := range splitValue(v) {
			se := el.add(qname("bix:Subfield"))
			for _, it := range sub {
				se.add(qname("bix:Item")).text = it
			}
		}
	default:
		el.text = string(v)
	}
}

func readGeneric(el *node) (Field, error) {
	var tag, enc string
	for _, a := range el.attr {
		switch a.Name.Local {
		case "tag":
			tag = a.Value
		case "encoding":
			enc = a.Value
		}
	}
	if _, _, err := parseTag(tag); err != nil {
		return Field{}, fmt.Errorf("bix:Field: %w", err)
	}
	markUsed(el)
	switch {
	case enc == "base64":
		b, err := base64.StdEncoding.DecodeString(stripSpace(el.text))
		if err != nil {
			return Field{}, fmt.Errorf("bix:Field %s: %w", tag, err)
		}
		return Field{Tag: tag, Value: b}, nil
	case enc != "":
		return Field{}, fmt.Errorf("bix:Field %s: unknown encoding %q", tag, enc)
	case len(el.children) > 0:
		var subs [][]string
		for _, s := range el.all(qname("bix:Subfield")) {
			var items []string
			for _, it := range s.all(qname("bix:Item")) {
				items = append(items, it.text)
			}
			subs = append(subs, items)
		}
		return Field{Tag: tag, Value: JoinValue(subs)}, nil
	}
	return Field{Tag: tag, Value: []byte(el.text)}, nil
}

func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, s)
}

func markUsed(n *node) {
	n.used = true
	for _, c := range n.children {
		markUsed(c)
	}
}

// Item conversions: traditional → XML and back.
func convItem(conv, s string, r *Record) (string, bool) {
	switch conv {
	case "-":
		return s, true
	case "date":
		if len(s) != 8 || !digits(s) {
			return "", false
		}
		return s[:4] + "-" + s[4:6] + "-" + s[6:], true
	case "gmt":
		if len(s) != 15 || !digits(s[:14]) || s[14] != 'Z' {
			return "", false
		}
		return s[:4] + "-" + s[4:6] + "-" + s[6:8] + "T" + s[8:10] + ":" + s[10:12] + ":" + s[12:14] + "Z", true
	case "fgp", "plp":
		n, err := strconv.Atoi(s)
		if err != nil || (n >= 20 && n <= 38) != (conv == "plp") {
			return "", false
		}
		return s, true
	case "bool":
		switch s {
		case "0":
			return "false", true
		case "1":
			return "true", true
		}
	case "fmt":
		switch s {
		case "S":
			return "true", true
		case "U":
			return "false", true
		}
	case "sig":
		if r.Value(4) == "2" {
			return "", false // vector data: see vec
		}
		fallthrough
	case "b64":
		return base64.StdEncoding.EncodeToString([]byte(s)), true
	}
	return "", false
}

func unconvItem(conv, s string) (string, bool) {
	switch conv {
	case "-", "fgp", "plp":
		return s, true
	case "date":
		if len(s) != 10 || s[4] != '-' || s[7] != '-' {
			return "", false
		}
		return s[:4] + s[5:7] + s[8:], true
	case "gmt":
		if len(s) != 20 || s[4] != '-' || s[10] != 'T' || s[19] != 'Z' {
			return "", false
		}
		return s[:4] + s[5:7] + s[8:10] + s[11:13] + s[14:16] + s[17:19] + "Z", true
	case "bool":
		switch s {
		case "false":
			return "0", true
		case "true":
			return "1", true
		}
	case "fmt":
		switch s {
		case "true":
			return "S", true
		case "false":
			return "U", true
		}
	case "b64", "sig":
		b, err := base64.StdEncoding.DecodeString(stripSpace(s))
		return string(b), err == nil
	}
	return "", false
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// convSub converts one subfield's items to the XML items.
func convSub(m xmlMapping, items []string, r *Record) ([]string, bool) {
	switch m.conv {
	case "ver":
		if len(items) != 1 || len(items[0]) != 4 {
			return nil, false
		}
		return []string{items[0][:2], items[0][2:]}, true
	case "xy":
		if len(items) != 1 || len(items[0])%2 != 0 || len(items[0]) == 0 {
			return nil, false
		}
		h := len(items[0]) / 2
		return []string{items[0][:h], items[0][h:]}, true
	}
	out := make([]string, len(items))
	for i, it := range items {
		v, ok := convItem(m.conv, it, r)
		if !ok {
			return nil, false
		}
		out[i] = v
	}
	return out, true
}

func unconvSub(m xmlMapping, items []string) ([]string, bool) {
	switch m.conv {
	case "ver":
		if len(items) != 2 {
			return nil, false
		}
		return []string{items[0] + items[1]}, true
	case "xy":
		if len(items) != 2 || len(items[0]) != len(items[1]) {
			return nil, false
		}
		return []string{items[0] + items[1]}, true
	}
	out := make([]string, len(items))
	for i, it := range items {
		v, ok := unconvItem(m.conv, it)
		if !ok {
			return nil, false
		}
		out[i] = v
	}
	return out, true
}

// writeMapped writes field value v of record r under the record element re
// following m; it reports false (having written nothing) when m cannot carry
// the value.
func writeMapped(re *node, m xmlMapping, r *Record, v []byte, img string, palm bool) bool {
	p := expand(m.path, img, palm)
	switch m.conv {
	case "vec":
		return writeVectors(re, p, r, v)
	case "mrc", "aseg":
		subs := splitValue(v)
		for _, s := range subs {
			if m.conv == "mrc" && !minutiaOK(s) || m.conv == "aseg" && (len(s) < 2 || len(s)%2 != 0) {
				return false
			}
		}
		parent := re.ensure(path.Dir(p))
		for _, s := range subs {
			el := parent.add(qname(path.Base(p)))
			if m.conv == "mrc" {
				if !writeMinutia(el, s) {
					return false
				}
			} else if !writePolygon(el, s) {
				return false
			}
		}
		return true
	}
	var subs [][]string
	if m.conv == "b64" || m.conv == "sig" {
		subs = [][]string{{string(v)}}
	} else {
		subs = splitValue(v)
	}
	if !m.repeat && (len(subs) > 1 && m.restPath == "") {
		return false
	}
	conv := make([][]string, len(subs))
	for k, s := range subs {
		items := m.items
		if k > 0 && m.restPath != "" {
			items = m.rest
		}
		c, ok := convSub(m, s, r)
		if !ok || !fits(items, len(c)) {
			return false
		}
		conv[k] = c
	}
	var existing []*node
	var parent *node
	if m.repeat {
		parent = re.ensure(expand(path.Dir(p), img, palm))
		existing = parent.all(qname(path.Base(p)))
	}
	for k, c := range conv {
		var el *node
		items := m.items
		switch {
		case k > 0 && m.restPath != "":
			rp := expand(m.restPath, img, palm)
			el = re.ensure(path.Dir(rp)).add(qname(path.Base(rp)))
			items = m.rest
		case !m.repeat:
			el = re.ensure(p)
		case m.reuse && k < len(existing):
			el = existing[k]
		default:
			el = parent.add(qname(path.Base(p)))
		}
		writeItems(el, items, c, img, palm)
	}
	return true
}

// fits reports whether n items can be written with specs.
func fits(specs []xmlItem, n int) bool {
	for _, s := range specs {
		if s.more {
			return true
		}
	}
	return n <= len(specs)
}

func writeItems(el *node, specs []xmlItem, items []string, img string, palm bool) {
	for _, s := range specs {
		sp := expand(s.path, img, palm)
		if s.more {
			for i := s.index; i < len(items); i++ {
				el.ensure(path.Dir(sp)).add(qname(path.Base(sp))).text = items[i]
			}
			continue
		}
		if s.index < len(items) {
			el.ensure(sp).text = items[s.index]
		}
	}
}

// readMapped reads the field of m from the record element re.
func readMapped(re *node, m xmlMapping, img string, palm bool) ([]byte, bool) {
	p := expand(m.path, img, palm)
	switch m.conv {
	case "vec":
		return readVectors(re, p)
	case "mrc", "aseg":
		parent := re.find(path.Dir(p))
		if parent == nil {
			return nil, false
		}
		els := parent.all(qname(path.Base(p)))
		if len(els) == 0 {
			return nil, false
		}
		var subs [][]string
		for _, el := range els {
			if m.conv == "mrc" {
				subs = append(subs, readMinutia(el))
			} else {
				subs = append(subs, readPolygon(el))
			}
		}
		return JoinValue(subs), true
	}
	var els []*node
	if m.repeat {
		if parent := re.find(path.Dir(p)); parent != nil {
			els = parent.all(qname(path.Base(p)))
		}
	} else if el := re.find(p); el != nil {
		els = []*node{el}
	}
	if len(els) == 0 {
		return nil, false
	}
	var subs [][]string
	if m.restPath != "" {
		rp := expand(m.restPath, img, palm)
		if parent := re.find(path.Dir(rp)); parent != nil {
			els = append(els, parent.all(qname(path.Base(rp)))...)
		}
	}
	for k, el := range els {
		specs := m.items
		if k > 0 && m.restPath != "" {
			specs = m.rest
		}
		items := readItems(el, specs, img, palm)
		if items == nil {
			continue
		}
		u, ok := unconvSub(m, items)
		if !ok {
			return nil, false
		}
		subs = append(subs, u)
	}
	if len(subs) == 0 {
		return nil, false
	}
	return JoinValue(subs), true
}

// readItems returns the items under el, up to the last present one; nil if
// none is present.
func readItems(el *node, specs []xmlItem, img string, palm bool) []string {
	var items []string
	set := func(i int, v string) {
		for len(items) <= i {
			items = append(items, "")
		}
		items[i] = v
	}
	for _, s := range specs {
		sp := expand(s.path, img, palm)
		if s.more {
			parent := el.find(path.Dir(sp))
			if parent == nil {
				continue
			}
			for k, c := range parent.all(qname(path.Base(sp))) {
				c.used = true
				set(s.index+k, c.text)
			}
			continue
		}
		if c := el.find(sp); c != nil && len(c.children) == 0 {
			c.used = true
			set(s.index, c.text)
		}
	}
	if items == nil && len(el.children) == 0 && len(specs) == 1 && specs[0].path == "." {
		el.used = true
		return []string{el.text}
	}
	if items == nil && len(el.children) == 0 {
		// An empty element: an empty subfield.
		el.used = true
		return []string{""}
	}
	return items
}

// writeMinutia writes one 9.012 MRC subfield: index US XXXXYYYYTTT US quality
// US type US ridge counts "neighbour,count".
func minutiaOK(s []string) bool {
	if len(s) < 2 || len(s) == 3 || (len(s[1]) != 11 && len(s[1]) != 13) || !digits(s[1]) {
		return false
	}
	for _, rc := range s[min(4, len(s)):] {
		if strings.Count(rc, ",") != 1 {
			return false
		}
	}
	return true
}

func writeMinutia(el *node, s []string) bool {
	if !minutiaOK(s) {
		return false
	}
	w := (len(s[1]) - 3) / 2
	el.add(qname("an:PositionHorizontalCoordinateValue")).text = s[1][:w]
	el.add(qname("an:PositionVerticalCoordinateValue")).text = s[1][w : 2*w]
	el.add(qname("an:MinutiaIdentification")).add(qname("nc:IdentificationID")).text = s[0]
	el.add(qname("an:PositionThetaAngleMeasure")).text = s[1][2*w:]
	if len(s) > 2 {
		el.add(qname("an:MinutiaQualityValue")).text = s[2]
	}
	if len(s) > 3 {
		el.add(qname("an:MinutiaCategoryCode")).text = s[3]
	}
	for _, rc := range s[min(4, len(s)):] {
		n, c, _ := strings.Cut(rc, ",")
		e := el.add(qname("an:MinutiaRidgeCount"))
		e.add(qname("an:RidgeCountReferenceIdentification")).add(qname("nc:IdentificationID")).text = n
		e.add(qname("an:RidgeCountValue")).text = c
	}
	return true
}

func readMinutia(el *node) []string {
	text := func(p string) string {
		if c := el.find(p); c != nil {
			markUsed(c)
			return c.text
		}
		return ""
	}
	s := []string{text("an:MinutiaIdentification/nc:IdentificationID"),
		text("an:PositionHorizontalCoordinateValue") + text("an:PositionVerticalCoordinateValue") + text("an:PositionThetaAngleMeasure")}
	if el.find("an:MinutiaQualityValue") != nil || el.find("an:MinutiaCategoryCode") != nil {
		s = append(s, text("an:MinutiaQualityValue"), text("an:MinutiaCategoryCode"))
	}
	for _, rc := range el.all(qname("an:MinutiaRidgeCount")) {
		markUsed(rc)
		n, c := rc.find("an:RidgeCountReferenceIdentification/nc:IdentificationID"), rc.find("an:RidgeCountValue")
		if n == nil || c == nil {
			s = append(s, "")
			continue
		}
		s = append(s, n.text+","+c.text)
	}
	return s
}

// writeVectors writes Type-8 vector data (8.004 SRT = 2): 5-byte vectors of
// X (2 bytes), Y (2 bytes) and pen pressure (1 byte), SP 500-290 Rev1 §8.8.
func writeVectors(re *node, p string, r *Record, v []byte) bool {
	if r.Value(4) != "2" || len(v)%5 != 0 {
		return false
	}
	el := re.ensure(p)
	for i := 0; i < len(v); i += 5 {
		e := el.add(qname("an:SignatureImageVector"))
		e.add(qname("an:VectorPenPressureValue")).text = strconv.Itoa(int(v[i+4]))
		e.add(qname("an:VectorPositionVerticalCoordinateValue")).text = strconv.Itoa(int(v[i+2])<<8 | int(v[i+3]))
		e.add(qname("an:VectorPositionHorizontalCoordinateValue")).text = strconv.Itoa(int(v[i])<<8 | int(v[i+1]))
	}
	return true
}

func readVectors(re *node, p string) ([]byte, bool) {
	el := re.find(p)
	if el == nil {
		return nil, false
	}
	markUsed(el)
	var out []byte
	for _, e := range el.all(qname("an:SignatureImageVector")) {
		num := func(name string, max int) (int, bool) {
			c := e.child(qname(name))
			if c == nil {
				return 0, false
			}
			n, err := strconv.Atoi(strings.TrimSpace(c.text))
			return n, err == nil && n >= 0 && n <= max
		}
		pr, ok1 := num("an:VectorPenPressureValue", 255)
		y, ok2 := num("an:VectorPositionVerticalCoordinateValue", 0xFFFF)
		x, ok3 := num("an:VectorPositionHorizontalCoordinateValue", 0xFFFF)
		if !ok1 || !ok2 || !ok3 {
			return nil, false
		}
		out = append(out, byte(x>>8), byte(x), byte(y>>8), byte(y), byte(pr))
	}
	return out, true
}

// writePolygon writes one 14.025 ASEG subfield: FGP US NOP US then NOP pairs
// of HPO US VPO.
func writePolygon(el *node, s []string) bool {
	if len(s) < 2 || len(s)%2 != 0 {
		return false
	}
	el.add(qname("an:FingerPositionCode")).text = s[0]
	el.add(qname("itl:PositionPolygonVertexQuantity")).text = s[1]
	for i := 2; i < len(s); i += 2 {
		v := el.add(qname("itl:PositionPolygonVertex"))
		v.add(qname("an:PositionHorizontalCoordinateValue")).text = s[i]
		v.add(qname("an:PositionVerticalCoordinateValue")).text = s[i+1]
	}
	return true
}

func readPolygon(el *node) []string {
	markUsed(el)
	var s []string
	for _, p := range []string{"an:FingerPositionCode", "itl:PositionPolygonVertexQuantity"} {
		if c := el.find(p); c != nil {
			s = append(s, c.text)
		} else {
			s = append(s, "")
		}
	}
	for _, v := range el.all(qname("itl:PositionPolygonVertex")) {
		h, vv := v.find("an:PositionHorizontalCoordinateValue"), v.find("an:PositionVerticalCoordinateValue")
		if h == nil || vv == nil {
			s = append(s, "", "")
			continue
		}
		s = append(s, h.text, vv.text)
	}
	return s
}

// DecodeXML reads a transaction in the XML encoding. Elements that map to no
// field are skipped and listed in a *UnmappedElementsError, returned with the
// transaction made of the rest; any other error returns no transaction.
func DecodeXML(data []byte) (*Transaction, error) {
	root, err := parseXMLTree(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("ansinist: %w", err)
	}
	if root.name != qname(rootElement) {
		return nil, fmt.Errorf("ansinist: %w: XML root is {%s}%s, want %s", ErrFormat, root.name.Space, root.name.Local, rootElement)
	}
	t := &Transaction{}
	var unmapped []string
	for i, re := range root.children {
		r, err := readXMLRecord(re)
		if err != nil {
			return nil, fmt.Errorf("ansinist: XML record %d (%s): %w", i+1, re.name.Local, err)
		}
		t.Records = append(t.Records, r)
		collectUnused(re, fmt.Sprintf("record %d %s", i+1, re.name.Local), &unmapped)
	}
	if len(t.Records) == 0 || t.Records[0].Type != 1 {
		return nil, fmt.Errorf("ansinist: %w: XML has no Type-1 record first", ErrFormat)
	}
	if len(unmapped) > 0 {
		return t, &UnmappedElementsError{Paths: unmapped}
	}
	return t, nil
}

func collectUnused(n *node, at string, out *[]string) {
	for _, c := range n.children {
		p := at + "/" + writePrefix[c.name.Space] + ":" + c.name.Local
		if len(c.children) == 0 {
			if !c.used {
				*out = append(*out, p)
			}
			continue
		}
		collectUnused(c, p, out)
	}
}

func readXMLRecord(re *node) (*Record, error) {
	typ := -1
	if c := re.child(qname("an:RecordCategoryCode")); c != nil {
		c.used = true
		n, err := strconv.Atoi(strings.TrimSpace(c.text))
		if err != nil || n < 1 || n > 999 {
			return nil, fmt.Errorf("RecordCategoryCode %q", c.text)
		}
		typ = n
	} else {
		for t, name := range xmlRecordElements {
			if qname(name) == re.name {
				typ = t
			}
		}
	}
	if typ < 0 {
		return nil, errors.New("no RecordCategoryCode")
	}
	r := &Record{Type: typ}
	var fields []Field
	seen := map[string]bool{}
	addField := func(f Field) {
		if !seen[f.Tag] {
			seen[f.Tag] = true
			fields = append(fields, f)
		}
	}
	// Generic fields first: they override a mapping (they are only written
	// when the mapping could not carry the value).
	gens := re.all(qname("bix:Field"))
	if u := re.child(qname("itl:UserDefinedDescriptiveText")); u != nil {
		u.used = true
		gens = append(gens, u.all(qname("bix:Field"))...)
	}
	for _, g := range gens {
		f, err := readGeneric(g)
		if err != nil {
			return nil, err
		}
		fields = append(fields, f) // generic fields may repeat a tag
		seen[f.Tag] = true
	}
	// The image element decides finger or palm (Type-13) and face or SMT
	// (Type-10).
	img, palm := "", false
	for _, cand := range []struct {
		name string
		palm bool
	}{{"an:FingerprintImage", false}, {"itl:FingerprintImage", false}, {"itl:PalmprintImage", true}, {"an:SignatureImage", false},
		{"itl:FaceImage", false}, {"an:PhysicalFeatureImage", false}, {"itl:TestImage", false}, {"itl:IrisImage", false}, {"an:CBEFFImage", false}} {
		if re.child(qname(cand.name)) != nil {
			img, palm = cand.name, cand.palm
			break
		}
	}
	if img == "" {
		probe := &Record{Type: typ}
		img, palm = imageElement(probe)
		if img == "" {
			img = "an:FingerprintImage"
		}
	}
	for _, m := range xmlMappings {
		if !m.applies(typ) {
			continue
		}
		tag := fmt.Sprintf("%d.%03d", typ, m.num)
		if seen[tag] {
			continue
		}
		if v, ok := readMapped(re, m, img, palm); ok {
			addField(Field{Tag: tag, Value: v})
		}
	}
	slices.SortStableFunc(fields, func(a, b Field) int { return a.Num() - b.Num() })
	if IsBinaryType(typ) {
		return NewBinaryRecord(typ, fields)
	}
	r.Fields = fields
	if err := r.fixLen(); err != nil {
		return nil, err
	}
	return r, nil
}

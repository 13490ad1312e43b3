package ansinist

import (
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// XML namespaces of the ANSI/NIST-ITL 1-2011 NIEM encoding as written by the
// 2008 schema (the NBIS/NIST sample's namespace set), and bix's own namespace
// for fields that have no NIEM element.
const (
	NamespaceITL       = "http://biometrics.nist.gov/standard/2-2008"
	NamespaceANSINIST  = "http://niem.gov/niem/ansi-nist/2.0"
	NamespaceNC        = "http://niem.gov/niem/niem-core/2.0"
	NamespaceStructure = "http://niem.gov/niem/structures/2.0"
	NamespaceBix       = "https://github.com/bixproject/bix/ansinist/fields"
)

var prefixes = map[string]string{
	"itl": NamespaceITL, "an": NamespaceANSINIST, "ansi-nist": NamespaceANSINIST,
	"nc": NamespaceNC, "s": NamespaceStructure, "bix": NamespaceBix,
}

var writePrefix = map[string]string{
	NamespaceITL: "itl", NamespaceANSINIST: "ansi-nist", NamespaceNC: "nc", NamespaceStructure: "s", NamespaceBix: "bix",
}

// node is an element of the in-memory XML tree.
type node struct {
	name     xml.Name
	attr     []xml.Attr
	text     string
	children []*node
	used     bool   // consumed by the reader
	buf      []byte // text being read (appended to, then moved to text)
}

// qname turns "an:Local" into an xml.Name.
func qname(s string) xml.Name {
	p, l, ok := strings.Cut(s, ":")
	if !ok {
		panic("ansinist: unqualified XML name " + s)
	}
	ns, ok := prefixes[p]
	if !ok {
		panic("ansinist: unknown XML prefix " + p)
	}
	return xml.Name{Space: ns, Local: l}
}

func (n *node) child(name xml.Name) *node {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

func (n *node) all(name xml.Name) []*node {
	var out []*node
	for _, c := range n.children {
		if c.name == name {
			out = append(out, c)
		}
	}
	return out
}

func (n *node) add(name xml.Name) *node {
	c := &node{name: name}
	n.children = append(n.children, c)
	return c
}

// ensure returns the child path (slash-separated qualified names) under n,
// creating missing elements.
func (n *node) ensure(path string) *node {
	if path == "" || path == "." {
		return n
	}
	for _, seg := range strings.Split(path, "/") {
		name := qname(seg)
		c := n.child(name)
		if c == nil {
			c = n.add(name)
		}
		n = c
	}
	return n
}

// find returns the element at path under n, or nil.
func (n *node) find(path string) *node {
	if path == "" || path == "." {
		return n
	}
	for _, seg := range strings.Split(path, "/") {
		n = n.child(qname(seg))
		if n == nil {
			return nil
		}
	}
	return n
}

// maxXMLDepth bounds element nesting when reading.
const maxXMLDepth = 64

// parseXMLTree reads a document into a tree.
func parseXMLTree(r io.Reader) (*node, error) {
	d := xml.NewDecoder(r)
	var stack []*node
	var root *node
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("XML at byte %d: %w", d.InputOffset(), err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &node{name: t.Name, attr: t.Attr}
			if len(stack) == 0 {
				if root != nil {
					return nil, fmt.Errorf("XML at byte %d: second root element", d.InputOffset())
				}
				root = n
			} else {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			}
			stack = append(stack, n)
			if len(stack) > maxXMLDepth {
				return nil, fmt.Errorf("XML at byte %d: elements nested deeper than %d", d.InputOffset(), maxXMLDepth)
			}
		case xml.EndElement:
			n := stack[len(stack)-1]
			n.text, n.buf = string(n.buf), nil
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				n := stack[len(stack)-1]
				n.buf = append(n.buf, t...)
			}
		}
	}
	if root == nil {
		return nil, errors.New("XML: no root element")
	}
	return root, nil
}

// writeXMLTree writes n indented, declaring the namespaces on the root.
func writeXMLTree(w io.Writer, root *node) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n")
	var write func(n *node, depth int, isRoot bool)
	write = func(n *node, depth int, isRoot bool) {
		ind := strings.Repeat("    ", depth)
		name := writePrefix[n.name.Space] + ":" + n.name.Local
		bw.WriteString(ind + "<" + name)
		if isRoot {
			for _, p := range []string{"s", "ansi-nist", "nc", "itl", "bix"} {
				fmt.Fprintf(bw, ` xmlns:%s="%s"`, p, prefixes[p])
			}
		}
		for _, a := range n.attr {
			bw.WriteString(" " + a.Name.Local + `="`)
			xml.EscapeText(bw, []byte(a.Value))
			bw.WriteString(`"`)
		}
		if len(n.children) == 0 {
			bw.WriteString(">")
			xml.EscapeText(bw, []byte(n.text))
			bw.WriteString("</" + name + ">\n")
			return
		}
		bw.WriteString(">\n")
		for _, c := range n.children {
			write(c, depth+1, false)
		}
		bw.WriteString(ind + "</" + name + ">\n")
	}
	write(root, 0, true)
	return bw.Flush()
}

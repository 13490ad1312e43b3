package wsq

import (
	"slices"
	"strconv"
	"strings"
)

// nistcomHeader starts a NISTCOM comment: "NIST_COM <number of fields>".
const nistcomHeader = "NIST_COM"

// ParseNISTCOM parses a NISTCOM comment (NBIS's attribute list: one
// "NAME value" field per line, the first being "NIST_COM <count>") into a
// map. It reports false when text is not a NISTCOM comment.
func ParseNISTCOM(text string) (map[string]string, bool) {
	if !strings.HasPrefix(text, nistcomHeader) {
		return nil, false
	}
	m := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r\x00")
		if line == "" {
			continue
		}
		name, value, _ := strings.Cut(line, " ")
		m[name] = strings.TrimSpace(value)
	}
	return m, true
}

// FormatNISTCOM formats fields as a NISTCOM comment. NIST_COM itself is
// written first with the field count; the other fields follow in the order
// given by names (fields not in names are appended in sorted order).
func FormatNISTCOM(fields map[string]string, names ...string) string {
	seen := map[string]bool{nistcomHeader: true}
	var order []string
	for _, n := range names {
		if _, ok := fields[n]; ok && !seen[n] {
			order = append(order, n)
			seen[n] = true
		}
	}
	var rest []string
	for n := range fields {
		if !seen[n] {
			rest = append(rest, n)
		}
	}
	slices.Sort(rest)
	order = append(order, rest...)
	var b strings.Builder
	b.WriteString(nistcomHeader + " " + strconv.Itoa(len(order)+1) + "\n")
	for _, n := range order {
		b.WriteString(n + " " + fields[n] + "\n")
	}
	return b.String()
}

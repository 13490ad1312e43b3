package accountability

import (
	"fmt"
	"html/template"
	"io"
	"strings"
)

// histogram draws the genuine and impostor score distributions of groups as
// shares of each distribution per bin, with the threshold marked.
func histogram(title string, edges []float64, threshold float64, gen, imp []int) template.HTML {
	const (
		width, height = 900, 260
		left, bottom  = 50, 40
		top           = 40
	)
	share := func(h []int) []float64 {
		t := 0
		for _, c := range h {
			t += c
		}
		out := make([]float64, len(h))
		for i, c := range h {
			if t > 0 {
				out[i] = float64(c) / float64(t)
			}
		}
		return out
	}
	gs, is := share(gen), share(imp)
	n := len(gs)
	plotW, plotH := float64(width-left-20), float64(height-top-bottom)
	bw := plotW / float64(n)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s" font-family="system-ui,sans-serif" font-size="11">`, width, height, width, height, template.HTMLEscapeString(title))
	fmt.Fprintf(&b, `<text x="0" y="16" font-size="15" font-weight="600">%s</text>`, template.HTMLEscapeString(title))
	fmt.Fprintf(&b, `<rect x="%d" y="24" width="12" height="12" fill="%s"/><text x="%d" y="34">genuine (same person)</text>`, left, palette[2], left+16)
	fmt.Fprintf(&b, `<rect x="%d" y="24" width="12" height="12" fill="%s"/><text x="%d" y="34">impostor (different persons, same group)</text>`, left+180, palette[3], left+196)
	base := float64(height - bottom)
	for i := 0; i < n; i++ {
		x := float64(left) + float64(i)*bw
		for k, v := range []float64{gs[i], is[i]} {
			h := v * plotH
			col := palette[2]
			if k == 1 {
				col = palette[3]
			}
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" opacity="0.85"><title>%.0f %%</title></rect>`, x+2+float64(k)*(bw-4)/2, base-h, (bw-4)/2, h, col, v*100)
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%g</text>`, x, base+14, edges[i])
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%g</text>`, float64(left)+float64(n)*bw, base+14, edges[n])
	fmt.Fprintf(&b, `<text x="%d" y="%d">score (bins not to scale)</text>`, left, height-6)
	// The threshold, placed within its bin.
	ti := binOf(threshold)
	frac := (threshold - edges[ti]) / (edges[ti+1] - edges[ti])
	tx := float64(left) + (float64(ti)+frac)*bw
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%.1f" stroke="#000" stroke-dasharray="4 3"/><text x="%.1f" y="%d">threshold %g</text>`, tx, top, tx, base, tx+4, top+10, threshold)
	fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#999"/>`, left, base, width-20, base)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

var demographicsPage = template.Must(template.New("demo").Funcs(template.FuncMap{
	"pct": func(r Rate) string {
		if r.Trials == 0 {
			return "–"
		}
		return fmt.Sprintf("%.2f %% [%.2f, %.2f]", 100*r.Value, 100*r.Low, 100*r.High)
	},
	"f4": func(f float64) string { return fmt.Sprintf("%.4f", f) },
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Demographic differentials</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:62rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}
h2{margin-top:2rem;border-bottom:1px solid #ccd}table{border-collapse:collapse;width:100%;font-size:13px}
td,th{padding:.25rem .45rem;border-bottom:1px solid #e4e6ea;text-align:right}td:first-child,th:first-child,td:nth-child(2),th:nth-child(2){text-align:left}
.kpi{display:flex;gap:1rem;flex-wrap:wrap}.kpi div{background:#f3f5f8;border-radius:6px;padding:.6rem 1rem}.kpi b{display:block;font-size:1.5rem}
</style></head><body>
<h1>Demographic differentials</h1>
<p>Source: {{.D.Source}}. In the spirit of ISO/IEC 19795-10: per group of each demographic dimension, failure to enrol, false non-match and false match rates at the operating threshold ({{.D.Threshold}}), with 95 % Wilson intervals; impostor pairs are within a group. A wide interval means the group is too small to conclude.</p>
<div class="kpi"><div><b>{{.D.Subjects}}</b>subjects</div><div><b>{{pct .D.Overall.FTE}}</b>failure to enrol</div><div><b>{{pct .D.Overall.FNMR}}</b>false non-match</div><div><b>{{pct .D.Overall.FMR}}</b>false match</div></div>
<h2>Score distributions, everyone</h2>
{{.Hist}}
{{range .Dims}}
<h2>By {{.Name}}</h2>
{{.Chart}}
{{.Hists}}
{{end}}
<h2>All figures</h2>
<table><tr><th>Dimension</th><th>Group</th><th>Subjects</th><th>FTE</th><th>FNMR</th><th>FMR</th><th>Genuine median</th><th>Impostor median</th></tr>
{{range .D.Groups}}<tr><td>{{.Dimension}}</td><td>{{.Group}}</td><td>{{.Subjects}}</td><td>{{pct .FTE}}</td><td>{{pct .FNMR}}</td><td>{{pct .FMR}}</td><td>{{f4 .GenuineMedian}}</td><td>{{f4 .ImpostorMedian}}</td></tr>{{end}}
</table>
<p><small>Computed in {{.D.Elapsed}}.</small></p>
</body></html>
`))

// WriteHTML writes the report as a page with SVG charts.
func (d *Demographics) WriteHTML(w io.Writer) error {
	type dim struct {
		Name  string
		Chart template.HTML
		Hists template.HTML
	}
	var dims []dim
	for _, name := range []string{"sex", "age", "nationality"} {
		var groups []string
		ss := []series{{Name: "FNMR %", Color: palette[0]}, {Name: "FMR %", Color: palette[3]}, {Name: "FTE %", Color: palette[1]}}
		var hs strings.Builder
		for _, g := range d.Groups {
			if g.Dimension != name {
				continue
			}
			groups = append(groups, fmt.Sprintf("%s (n=%d)", g.Group, g.Subjects))
			for i, r := range []Rate{g.FNMR, g.FMR, g.FTE} {
				ss[i].Bars = append(ss[i].Bars, bar{Value: 100 * r.Value, Text: fmt.Sprintf("%.2f %% (%d/%d)", 100*r.Value, r.Errors, r.Trials)})
			}
			if name == "sex" || name == "age" {
				hs.WriteString(string(histogram(fmt.Sprintf("Scores, %s %s", name, g.Group), d.Bins, d.Threshold, g.Genuine, g.Impostor)))
			}
		}
		dims = append(dims, dim{Name: name, Chart: barChart("Error rates by "+name, groups, ss), Hists: template.HTML(hs.String())})
	}
	return demographicsPage.Execute(w, map[string]any{
		"D": d, "Dims": dims,
		"Hist": histogram("Genuine and impostor scores", d.Bins, d.Threshold, d.Overall.Genuine, d.Overall.Impostor),
	})
}

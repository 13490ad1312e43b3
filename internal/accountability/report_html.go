package accountability

import (
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
)

// bar is one bar of a chart.
type bar struct {
	Label string
	Value float64
	Text  string // shown at the bar's end
}

// series is one colour of a grouped bar chart.
type series struct {
	Name  string
	Color string
	Bars  []bar
}

// barChart draws grouped horizontal bars as SVG: one group per label, one
// bar per series. It is plain SVG, no script, so it prints and archives.
func barChart(title string, groups []string, ss []series) template.HTML {
	const (
		width   = 900
		labelW  = 220
		barH    = 16
		gap     = 4
		groupGp = 14
		top     = 34
	)
	max := 0.0
	for _, s := range ss {
		for _, b := range s.Bars {
			if b.Value > max {
				max = b.Value
			}
		}
	}
	if max == 0 {
		max = 1
	}
	groupH := len(ss)*(barH+gap) + groupGp
	height := top + len(groups)*groupH + 30
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s" font-family="system-ui,sans-serif" font-size="12">`,
		width, height, width, height, template.HTMLEscapeString(title))
	fmt.Fprintf(&b, `<text x="0" y="16" font-size="15" font-weight="600">%s</text>`, template.HTMLEscapeString(title))
	for i, s := range ss {
		x := labelW + i*140
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d">%s</text>`, x, top-12, s.Color, x+16, top-2, template.HTMLEscapeString(s.Name))
	}
	plotW := float64(width - labelW - 150)
	for gi, g := range groups {
		y0 := top + 8 + gi*groupH
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`, labelW-8, y0+len(ss)*(barH+gap)/2+4, template.HTMLEscapeString(g))
		for si, s := range ss {
			if gi >= len(s.Bars) {
				continue
			}
			v := s.Bars[gi]
			w := v.Value / max * plotW
			y := y0 + si*(barH+gap)
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"><title>%s: %s</title></rect>`, labelW, y, w, barH, s.Color,
				template.HTMLEscapeString(s.Name), template.HTMLEscapeString(v.Text))
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" fill="#333">%s</text>`, float64(labelW)+w+4, y+barH-4, template.HTMLEscapeString(v.Text))
		}
	}
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#999"/>`, labelW, top, labelW, height-24)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

var palette = []string{"#2f6db5", "#e08a1e", "#3a9d5d", "#c0392b", "#8e5db5", "#7f8c8d"}

var oversightPage = template.Must(template.New("oversight").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Oversight report {{.From}} to {{.To}}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}
h2{margin-top:2rem;border-bottom:1px solid #ccd}.kpi{display:flex;gap:1rem;flex-wrap:wrap}
.kpi div{background:#f3f5f8;border-radius:6px;padding:.6rem 1rem;min-width:9rem}.kpi b{display:block;font-size:1.6rem}
table{border-collapse:collapse;width:100%}td,th{padding:.25rem .5rem;border-bottom:1px solid #e4e6ea;text-align:right}td:first-child,th:first-child,td:nth-child(2),th:nth-child(2){text-align:left}
</style></head><body>
<h1>Oversight report</h1>
<p>Period {{.From}} to {{.To}} (UTC). Counted from the node's verifiable audit log: every figure below adds up to the log entries of the period.</p>
<div class="kpi">
<div><b>{{.O.Entries}}</b>log entries</div>
<div><b>{{.Sent}}</b>searches sent</div>
<div><b>{{.Received}}</b>searches received</div>
<div><b>{{.Disclosed}}</b>disclosures given</div>
<div><b>{{.Refused}}</b>refusals given</div>
<div><b>{{.Erased}}</b>erasures</div>
</div>
<h2>Partner exchange</h2>
{{.Exchange}}
<table><tr><th>Partner</th><th>Purpose</th><th>Sent</th><th>Hits got</th><th>Received</th><th>Hits given</th><th>Disclosed</th><th>Got data</th><th>Notices</th><th>Peak/day</th><th>Refusals given</th><th>Refusals got</th></tr>
{{range .O.Exchanges}}<tr><td>{{.Partner}}</td><td>{{.Purpose}}</td><td>{{.SearchesSent}}</td><td>{{.HitsReceived}}</td><td>{{.SearchesReceived}}</td><td>{{.HitsGiven}}</td><td>{{.DisclosuresGiven}}</td><td>{{.DisclosuresReceived}}</td><td>{{.Notifications}}</td><td>{{.QuotaPeak}}{{if .QuotaDay}} ({{.QuotaDay}}){{end}}</td><td>{{range $k, $v := .RefusalsGiven}}{{$k}}: {{$v}} {{end}}</td><td>{{range $k, $v := .RefusalsReceived}}{{$k}}: {{$v}} {{end}}</td></tr>{{end}}
</table>
<h2>Refusals by rule</h2>
{{if .Refusals}}{{.Refusals}}{{else}}<p>None in this period.</p>{{end}}
<h2>Everything logged, by action</h2>
{{.Actions}}
<h2>Rights of the person and erasure</h2>
<table><tr><th>What</th><th></th><th>Count</th></tr>
{{range $k, $v := .O.Rights}}<tr><td>{{$k}}</td><td></td><td>{{$v}}</td></tr>{{end}}
{{range $k, $v := .O.Erasures}}<tr><td>erasure</td><td>{{$k}}</td><td>{{$v}}</td></tr>{{end}}
</table>
</body></html>
`))

// WriteHTML writes the oversight report as a page with SVG charts.
func (o *Oversight) WriteHTML(w io.Writer) error {
	var groups []string
	s := []series{{Name: "searches sent", Color: palette[0]}, {Name: "searches received", Color: palette[1]}, {Name: "hits given", Color: palette[2]}, {Name: "disclosures given", Color: palette[4]}, {Name: "notifications", Color: palette[5]}}
	sent, received, disclosed, refused := 0, 0, 0, 0
	refusals := map[string]int{}
	for _, t := range o.Exchanges {
		groups = append(groups, t.Partner+" · "+nonEmpty(t.Purpose, "(none)"))
		for i, v := range []int{t.SearchesSent, t.SearchesReceived, t.HitsGiven, t.DisclosuresGiven, t.Notifications} {
			s[i].Bars = append(s[i].Bars, bar{Value: float64(v), Text: fmt.Sprint(v)})
		}
		sent += t.SearchesSent
		received += t.SearchesReceived
		disclosed += t.DisclosuresGiven
		for k, v := range t.RefusalsGiven {
			refused += v
			refusals[k] += v
		}
	}
	var rk []string
	for k := range refusals {
		rk = append(rk, k)
	}
	sort.Slice(rk, func(i, j int) bool {
		return refusals[rk[i]] > refusals[rk[j]] || refusals[rk[i]] == refusals[rk[j]] && rk[i] < rk[j]
	})
	rs := series{Name: "refusals", Color: palette[3]}
	for _, k := range rk {
		rs.Bars = append(rs.Bars, bar{Value: float64(refusals[k]), Text: fmt.Sprint(refusals[k])})
	}
	var ak []string
	for k := range o.Actions {
		ak = append(ak, k)
	}
	sort.Slice(ak, func(i, j int) bool {
		return o.Actions[ak[i]] > o.Actions[ak[j]] || o.Actions[ak[i]] == o.Actions[ak[j]] && ak[i] < ak[j]
	})
	as := series{Name: "entries", Color: palette[5]}
	for _, k := range ak {
		as.Bars = append(as.Bars, bar{Value: float64(o.Actions[k]), Text: fmt.Sprint(o.Actions[k])})
	}
	erased := 0
	for _, v := range o.Erasures {
		erased += v
	}
	data := map[string]any{
		"O": o, "From": o.From.Format("2006-01-02 15:04"), "To": o.To.Format("2006-01-02 15:04"),
		"Sent": sent, "Received": received, "Disclosed": disclosed, "Refused": refused, "Erased": erased,
		"Exchange": barChart("Searches and disclosures per partner and purpose", groups, s),
		"Actions":  barChart("Log entries by action", ak, []series{as}),
	}
	if len(rk) > 0 {
		data["Refusals"] = barChart("Refusals given, by agreement rule or protocol code", rk, []series{rs})
	}
	return oversightPage.Execute(w, data)
}

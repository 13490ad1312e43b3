package accountability

import (
	"html/template"
	"io"
	"sort"
	"time"
)

// messages are the access report's texts per language.
var messages = map[string]map[string]string{
	"en": {
		"title":      "What we hold about you",
		"intro":      "This report lists the record this agency holds about you, every recorded action that used it, and which partner agencies received which of your data.",
		"record":     "Your record",
		"id":         "Record number",
		"name":       "Name",
		"sex":        "Sex",
		"birth":      "Date of birth",
		"nat":        "Nationality",
		"cat":        "Category",
		"protection": "Protection granted",
		"contested":  "Contested (not shared until reviewed)",
		"yes":        "yes",
		"no":         "no",
		"encounters": "When and where your biometrics were taken",
		"date":       "Date",
		"place":      "Place",
		"samples":    "Biometric samples held (images are not part of this report)",
		"modality":   "Kind",
		"position":   "Finger",
		"quality":    "Quality",
		"status":     "Status",
		"watchlist":  "Watchlists",
		"list":       "List",
		"actions":    "Every recorded use of your record",
		"action":     "Action",
		"by":         "By (role)",
		"purpose":    "Purpose",
		"partner":    "Partner agency",
		"disclosed":  "Data given to partner agencies",
		"fields":     "Data",
		"none":       "None.",
		"withheld":   "Some recent exchanges are withheld for now, as the law allows; they will be shown from",
		"generated":  "Report produced",
		"rights":     "You may ask for your data to be corrected or erased, or contest its use; a supervisor must then review it before it is shared again.",
	},
	"es": {
		"title":      "Qué datos tenemos sobre usted",
		"intro":      "Este informe enumera el registro que esta autoridad conserva sobre usted, cada acción registrada que lo utilizó y qué autoridades asociadas recibieron cuáles de sus datos.",
		"record":     "Su registro",
		"id":         "Número de registro",
		"name":       "Nombre",
		"sex":        "Sexo",
		"birth":      "Fecha de nacimiento",
		"nat":        "Nacionalidad",
		"cat":        "Categoría",
		"protection": "Protección concedida",
		"contested":  "Impugnado (no se comparte hasta su revisión)",
		"yes":        "sí",
		"no":         "no",
		"encounters": "Cuándo y dónde se tomaron sus datos biométricos",
		"date":       "Fecha",
		"place":      "Lugar",
		"samples":    "Muestras biométricas conservadas (las imágenes no forman parte de este informe)",
		"modality":   "Tipo",
		"position":   "Dedo",
		"quality":    "Calidad",
		"status":     "Estado",
		"watchlist":  "Listas de vigilancia",
		"list":       "Lista",
		"actions":    "Cada uso registrado de su registro",
		"action":     "Acción",
		"by":         "Por (función)",
		"purpose":    "Finalidad",
		"partner":    "Autoridad asociada",
		"disclosed":  "Datos entregados a autoridades asociadas",
		"fields":     "Datos",
		"none":       "Ninguno.",
		"withheld":   "Algunos intercambios recientes se reservan por ahora, como permite la ley; se mostrarán a partir del",
		"generated":  "Informe generado",
		"rights":     "Puede pedir que sus datos se corrijan o se supriman, o impugnar su uso; en ese caso un supervisor debe revisarlo antes de volver a compartirlo.",
	},
}

// actionNames translate logged actions for the person.
var actionNames = map[string]map[string]string{
	"en": {"enroll": "biometrics taken", "identify": "identity search", "verify": "identity check", "adjudicate": "examiner decision",
		"watchlist.change": "watchlist change", "search.received": "search by a partner agency", "search.sent": "search sent to a partner agency",
		"disclosure": "data disclosed", "notification": "partner notified", "erasure": "erasure",
		ActionContest: "contested", ActionReview: "supervisor review", ActionRectify: "corrected", ActionProtection: "protection recorded", ActionAccess: "access report"},
	"es": {"enroll": "toma de datos biométricos", "identify": "búsqueda de identidad", "verify": "comprobación de identidad", "adjudicate": "decisión de un examinador",
		"watchlist.change": "cambio en lista de vigilancia", "search.received": "búsqueda de una autoridad asociada", "search.sent": "búsqueda enviada a una autoridad asociada",
		"disclosure": "datos comunicados", "notification": "aviso a una autoridad asociada", "erasure": "supresión",
		ActionContest: "impugnado", ActionReview: "revisión por un supervisor", ActionRectify: "rectificado", ActionProtection: "protección registrada", ActionAccess: "informe de acceso"},
}

// Languages lists the languages access reports are written in.
func Languages() []string {
	out := make([]string, 0, len(messages))
	for l := range messages {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

var accessPage = template.Must(template.New("access").Funcs(template.FuncMap{
	"date": func(t time.Time) string { return t.UTC().Format("2006-01-02") },
	"yn": func(m map[string]string, b bool) string {
		if b {
			return m["yes"]
		}
		return m["no"]
	},
}).Parse(`<!DOCTYPE html>
<html lang="{{.R.Language}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{{.M.title}}</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}
h1{font-size:1.7rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccd}
table{border-collapse:collapse;width:100%}td,th{padding:.3rem .5rem;text-align:left;border-bottom:1px solid #e4e6ea}
th{background:#f3f5f8}.note{background:#fff7e0;padding:.6rem;border-left:4px solid #e0a800}
dl{display:grid;grid-template-columns:14rem 1fr;gap:.2rem 1rem}dt{color:#556}
</style></head><body>
<h1>{{.M.title}}</h1><p>{{.M.intro}}</p>
<h2>{{.M.record}}</h2>
<dl>
<dt>{{.M.id}}</dt><dd><code>{{.R.Person.ID}}</code></dd>
<dt>{{.M.name}}</dt><dd>{{.R.Person.GivenName}} {{.R.Person.FamilyName}}</dd>
<dt>{{.M.sex}}</dt><dd>{{.R.Person.Sex}}</dd>
<dt>{{.M.birth}}</dt><dd>{{.R.Person.BirthDate}}</dd>
<dt>{{.M.nat}}</dt><dd>{{.R.Person.Nationality}}</dd>
<dt>{{.M.cat}}</dt><dd>{{.R.Person.Category}}</dd>
<dt>{{.M.protection}}</dt><dd>{{yn .M .R.Person.ProtectionStatus}}</dd>
<dt>{{.M.contested}}</dt><dd>{{yn .M .R.Person.Contested}}</dd>
</dl>
<h2>{{.M.encounters}}</h2>
{{if .R.Encounters}}<table><tr><th>{{.M.date}}</th><th>{{.M.place}}</th><th>{{.M.cat}}</th></tr>
{{range .R.Encounters}}<tr><td>{{date .CapturedAt}}</td><td>{{.Location}}</td><td>{{.Category}}</td></tr>{{end}}</table>{{else}}<p>{{.M.none}}</p>{{end}}
<h2>{{.M.samples}}</h2>
{{if .R.Samples}}<table><tr><th>{{.M.modality}}</th><th>{{.M.position}}</th><th>{{.M.quality}}</th><th>{{.M.status}}</th></tr>
{{range .R.Samples}}<tr><td>{{.Modality}}</td><td>{{.Position}}</td><td>{{.Quality}}</td><td>{{.Status}}</td></tr>{{end}}</table>{{else}}<p>{{.M.none}}</p>{{end}}
<h2>{{.M.watchlist}}</h2>
{{if .R.Watchlist}}<table><tr><th>{{.M.list}}</th><th>{{.M.date}}</th></tr>
{{range .R.Watchlist}}<tr><td>{{.List}}</td><td>{{date .AddedAt}}</td></tr>{{end}}</table>{{else}}<p>{{.M.none}}</p>{{end}}
<h2>{{.M.actions}}</h2>
{{if .R.Actions}}<table><tr><th>{{.M.date}}</th><th>{{.M.action}}</th><th>{{.M.by}}</th><th>{{.M.purpose}}</th><th>{{.M.partner}}</th></tr>
{{range .Actions}}<tr><td>{{date .Time}}</td><td>{{.Name}}</td><td>{{.Role}}</td><td>{{.Purpose}}</td><td>{{.Partner}}</td></tr>{{end}}</table>{{else}}<p>{{.M.none}}</p>{{end}}
<h2>{{.M.disclosed}}</h2>
{{if .R.Disclosed}}<table><tr><th>{{.M.date}}</th><th>{{.M.partner}}</th><th>{{.M.fields}}</th></tr>
{{range .R.Disclosed}}<tr><td>{{date .At}}</td><td>{{.Partner}}</td><td>{{range $i, $f := .Fields}}{{if $i}}, {{end}}{{$f}}{{end}}</td></tr>{{end}}</table>{{else}}<p>{{.M.none}}</p>{{end}}
{{if .R.Withheld}}<p class="note">{{.M.withheld}} {{date .R.WithheldUntil}}.</p>{{end}}
<p>{{.M.rights}}</p>
<p><small>{{.M.generated}}: {{date .R.Generated}}</small></p>
</body></html>
`))

// WriteHTML writes the report as a page in its language.
func (r *AccessReport) WriteHTML(w io.Writer) error {
	m := messages[r.Language]
	if m == nil {
		m = messages["en"]
	}
	type act struct {
		ActionInfo
		Name string
	}
	acts := make([]act, len(r.Actions))
	for i, a := range r.Actions {
		n := actionNames[r.Language][a.Action]
		if n == "" {
			n = a.Action
		}
		acts[i] = act{a, n}
	}
	return accessPage.Execute(w, map[string]any{"R": r, "M": m, "Actions": acts})
}

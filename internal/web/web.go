// Package web is the bix console: a single-page web application for
// officers, examiners and auditors, served by the node itself from assets
// embedded in the binary (no external fonts or scripts, no build step).
//
// The page at / loads /console/app.js, which signs a user in with their
// bearer token (kept in the tab's sessionStorage, sent as an Authorization
// header, so there is no cookie for a cross-site request to ride on) and
// calls the node's /v1 API with it: the console has no other path to the
// data, and every page shows only what the API lets the user's role read.
package web

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed static
var static embed.FS

// Assets returns the console's files (index.html, app.js, app.css).
func Assets() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded tree always has static/
	}
	return sub
}

// ContentSecurityPolicy is sent with every console response: scripts,
// styles and connections only from the node itself, images also from data:
// URLs, no framing.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

// Handler serves the console: index.html at / and the assets under
// /console/ (for example /console/app.js). Other paths are not found.
func Handler() http.Handler {
	files := http.FileServerFS(Assets())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-cache")
		name := ""
		switch {
		case r.URL.Path == "/":
			name = "index.html"
		case strings.HasPrefix(r.URL.Path, "/console/"):
			name = path.Clean(strings.TrimPrefix(r.URL.Path, "/console/"))
		}
		if name == "" || name == "." || strings.HasPrefix(name, "..") || name == "index.html" && r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		if _, err := fs.Stat(Assets(), name); err != nil {
			http.NotFound(w, r)
			return
		}
		if name == "index.html" {
			// FileServer would redirect /index.html to /: write it here.
			b, err := fs.ReadFile(Assets(), name)
			if err != nil {
				http.Error(w, "console missing", http.StatusInternalServerError)
				return
			}
			h.Set("Content-Type", "text/html; charset=utf-8")
			w.Write(b)
			return
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + name
		files.ServeHTTP(w, r2)
	})
}

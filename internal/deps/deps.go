//go:build tools

// Package deps pins the modules that bix's packages are being built on, so that
// parallel work on separate packages shares one go.mod. It is never compiled
// into the binary (build tag "tools"); remove an import once a real package uses it.
package deps

import (
	_ "cel.dev/cel-go/cel"
	_ "github.com/chromedp/chromedp"
	_ "github.com/go-jose/go-jose/v4"
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/google/uuid"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/rogpeppe/go-internal/testscript"
	_ "github.com/transparency-dev/formats/log"
	_ "github.com/transparency-dev/merkle/proof"
	_ "golang.org/x/image/bmp"
	_ "golang.org/x/mod/sumdb/note"
	_ "gonum.org/v1/gonum/blas/blas32"
	_ "gopkg.in/yaml.v3"
	_ "modernc.org/sqlite"
)

// Package api is a node's HTTP API for officers and integrators: JSON over
// HTTP on net/http's ServeMux, bearer tokens per user with roles, request
// size limits, /healthz, Prometheus /metrics and structured request logs.
// The routes are described in openapi.yaml in this directory, which a test
// keeps true; Client is the Go client the bix CLI uses.
package api

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/bixproject/bix/internal/exchange"
	"github.com/bixproject/bix/internal/node"
)

// OpenAPI is the API description (openapi.yaml), served at /openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte

// PurposeHeader carries the purpose of a request, logged with the action.
const PurposeHeader = "X-Bix-Purpose"

// Server serves a node's API. It is an http.Handler.
type Server struct {
	n       *node.Node
	log     *slog.Logger
	mux     *http.ServeMux
	routes  []Route
	maxBody int64
	x       atomic.Pointer[exchange.Exchange] // the partner exchange; nil: none (SetExchange)
	failed  signInFailures                    // failed authentications, logged in aggregate (login.go)
}

// Route is one API route: a method and a ServeMux path pattern.
type Route struct {
	Method, Path string
	Auth         bool
}

// NewServer returns the API server of n, logging requests to logger (nil
// discards).
func NewServer(n *node.Node, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{n: n, log: logger, mux: http.NewServeMux(), maxBody: n.Config().MaxRequestBytes}
	s.handle("GET /healthz", false, s.healthz)
	s.handle("GET /openapi.yaml", false, func(w http.ResponseWriter, r *http.Request, _ node.Actor) error {
		w.Header().Set("Content-Type", "application/yaml")
		_, err := w.Write(OpenAPI)
		return err
	})
	metrics := promhttp.HandlerFor(n.Metrics().Registry, promhttp.HandlerOpts{})
	s.handle("GET /metrics", false, func(w http.ResponseWriter, r *http.Request, _ node.Actor) error {
		metrics.ServeHTTP(w, r)
		return nil
	})
	s.handle("GET /v1/whoami", true, s.whoami)
	s.handle("POST /v1/enrollments", true, s.enroll)
	s.handle("POST /v1/enrollments/ansi-nist", true, s.enrollTransaction)
	s.handle("POST /v1/identify", true, s.identify)
	s.handle("GET /v1/persons/{id}", true, s.person)
	s.handle("POST /v1/persons/{id}/verify", true, s.verify)
	s.handle("GET /v1/watchlist", true, s.watchlist)
	s.handle("POST /v1/watchlist", true, s.watchlistAdd)
	s.handle("DELETE /v1/watchlist/{id}", true, s.watchlistRemove)
	s.handle("GET /v1/alerts", true, s.alerts)
	s.handle("GET /v1/tasks", true, s.tasks)
	s.handle("GET /v1/tasks/{id}", true, s.task)
	s.handle("POST /v1/tasks/{id}/claim", true, s.claim)
	s.handle("POST /v1/tasks/{id}/decision", true, s.decide)
	s.handle("GET /v1/users", true, s.users)
	s.handle("POST /v1/users", true, s.addUser)
	s.exchangeRoutes() // exchange.go: the partner exchange
	s.console()        // console.go: the web console and its routes
	return s
}

// Routes returns the server's routes.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Serve serves the API on ln until ctx is done, then shuts down gracefully.
// When it returns, the failed sign-ins counted in the current window are in
// the audit log.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	defer s.flushSignInFailures(context.Background(), true)
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := hs.Shutdown(sctx); err != nil {
			return err
		}
		<-done
		return nil
	}
}

// statusWriter records the status for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, a node.Actor) error

// handle registers pattern with authentication (when auth), a body size
// limit, error mapping and a request log line.
func (s *Server) handle(pattern string, auth bool, h handlerFunc) {
	method, path, _ := strings.Cut(pattern, " ")
	s.routes = append(s.routes, Route{Method: method, Path: path, Auth: auth})
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		var a node.Actor
		err := func() error {
			if auth {
				tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
				if !ok {
					s.signInFailed(r, failNoToken)
					return fmt.Errorf("%w: missing Authorization: Bearer header", node.ErrUnauthenticated)
				}
				var err error
				if a, err = s.n.Authenticate(r.Context(), strings.TrimSpace(tok)); err != nil {
					if errors.Is(err, node.ErrUnauthenticated) {
						s.signInFailed(r, failUnknownToken)
					}
					return err
				}
				a.Purpose = r.Header.Get(PurposeHeader)
			}
			r.Body = http.MaxBytesReader(sw, r.Body, s.maxBody)
			return h(sw, r, a)
		}()
		if err != nil {
			s.writeError(sw, err)
		}
		level := slog.LevelInfo
		if sw.status >= 500 {
			level = slog.LevelError
		}
		attrs := []any{"method", r.Method, "path", r.URL.Path, "status", sw.status, "duration_ms", float64(time.Since(start).Microseconds()) / 1000}
		if a.User != "" {
			attrs = append(attrs, "user", a.User, "role", string(a.Role))
		}
		if err != nil {
			attrs = append(attrs, "error", err.Error())
		}
		s.log.Log(r.Context(), level, "request", attrs...)
	})
}

// ErrorBody is the JSON body of every error response.
type ErrorBody struct {
	Error string `json:"error"`
}

func (s *Server) writeError(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		status = http.StatusRequestEntityTooLarge
		err = fmt.Errorf("request body larger than %d bytes", mbe.Limit)
	case errors.Is(err, node.ErrInvalid), errors.Is(err, errBadRequest):
		status = http.StatusBadRequest
	case errors.Is(err, node.ErrUnauthenticated):
		status = http.StatusUnauthorized
		w.Header().Set("WWW-Authenticate", `Bearer realm="bix"`)
	case errors.Is(err, node.ErrForbidden):
		status = http.StatusForbidden
	case errors.Is(err, node.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, node.ErrConflict):
		status = http.StatusConflict
	}
	msg := err.Error()
	if status == http.StatusInternalServerError {
		msg = "internal error"
	}
	writeJSON(w, status, ErrorBody{Error: msg})
}

var errBadRequest = errors.New("bad request")

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// decode reads a JSON body into v: unknown fields, trailing data and a
// wrong content type are errors naming the problem.
func decode(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return fmt.Errorf("%w: Content-Type %q, want application/json", errBadRequest, ct)
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%w: empty body", errBadRequest)
		}
		return fmt.Errorf("%w: JSON body: %v", errBadRequest, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: JSON body: trailing data after the object", errBadRequest)
	}
	return nil
}

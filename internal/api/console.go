package api

import "github.com/bixproject/bix/internal/web"

// console registers the console's routes (console_routes.go) and serves the
// web console (internal/web) at / and /console/ on the same listener: the
// single-page app calls the /v1 routes with the signed-in user's bearer
// token, so it has no other path to the data than the API itself.
func (s *Server) console() {
	s.handle("GET /v1/console/tasks/{id}", true, s.consoleTask)
	s.handle("POST /v1/console/quality", true, s.consoleQuality)
	s.handle("GET /v1/audit/entries", true, s.auditEntries)
	s.handle("GET /v1/audit/checkpoint", true, s.auditCheckpoint)
	s.handle("GET /v1/audit/proofs/{index}", true, s.auditProof)
	s.handle("GET /v1/audit/oversight", true, s.auditOversight)
	s.handle("GET /v1/audit/demographics", true, s.auditDemographics)
	h := web.Handler()
	s.mux.Handle("GET /{$}", h)
	s.mux.Handle("GET /console/", h)
}

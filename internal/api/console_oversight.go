package api

import (
	"net/http"
	"time"

	"github.com/bixproject/bix/internal/accountability"
	"github.com/bixproject/bix/internal/node"
)

// auditOversight serves the oversight report (accountability.Report, the
// same counts `bix report` prints) for [from, to): every logged action by
// kind, the partner exchange per partner and purpose with refusals by rule,
// erasures and rights requests. from defaults to the beginning of the log,
// to to now; both are RFC 3339 times or YYYY-MM-DD dates (UTC).
func (s *Server) auditOversight(w http.ResponseWriter, r *http.Request, a node.Actor) error {
	if err := auditRead(a); err != nil {
		return err
	}
	q := r.URL.Query()
	from, to := time.Time{}, time.Now().UTC().Add(time.Second)
	for name, dst := range map[string]*time.Time{"from": &from, "to": &to} {
		v := q.Get(name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			if t, err = time.Parse(time.DateOnly, v); err != nil {
				return badParam(name, v, "an RFC 3339 time or a YYYY-MM-DD date")
			}
		}
		*dst = t.UTC()
	}
	if !from.Before(to) {
		return badParam("to", q.Get("to"), "a time after from")
	}
	o, err := accountability.Report(r.Context(), s.n.Store().DB(), from, to)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, o)
}

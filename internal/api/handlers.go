package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/bixproject/bix/internal/node"
)

// Health is the /healthz body.
type Health struct {
	Status    string `json:"status"`
	Node      string `json:"node"`
	Templates int    `json:"templates"`
	Persons   int    `json:"persons"`
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request, _ node.Actor) error {
	if err := s.n.Store().DB().PingContext(r.Context()); err != nil {
		return writeJSON(w, http.StatusServiceUnavailable, Health{Status: "unavailable", Node: s.n.Config().NodeID})
	}
	g := s.n.Gallery()
	return writeJSON(w, http.StatusOK, Health{Status: "ok", Node: s.n.Config().NodeID, Templates: g.Len(), Persons: g.Persons()})
}

// WhoAmI is the /v1/whoami body.
type WhoAmI struct {
	User string `json:"user"`
	Role string `json:"role"`
}

// whoami tells the token's user and role. It is the console's sign-in, so
// it is logged as a login (see [LoginSignIn]).
func (s *Server) whoami(w http.ResponseWriter, r *http.Request, a node.Actor) error {
	if err := s.logLogin(r.Context(), a, LoginSignIn, nil); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, WhoAmI{User: a.User, Role: string(a.Role)})
}

func (s *Server) enroll(w http.ResponseWriter, r *http.Request, a node.Actor) error {
	var req node.EnrollRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	res, err := s.n.Enroll(r.Context(), a, &req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, res)
}

// enrollTransaction takes an ANSI/NIST-ITL transaction as the body; the
// encounter context comes from query parameters location, category,
// captured_at (RFC 3339), consent and notice (true/false).
func (s *Server) enrollTransaction(w http.ResponseWriter, r *http.Request, a node.Actor) error {
	q := r.URL.Query()
	enc := node.EncounterInfo{Location: q.Get("location"), Category: q.Get("category")}
	var err error
	if v := q.Get("captured_at"); v != "" {
		if enc.CapturedAt, err = time.Parse(time.RFC3339, v); err != nil {
			return badParam("captured_at", v, "an RFC 3339 time")
		}
	}
	for name, dst := range map[string]*bool{"consent": &enc.Consent, "notice": &enc.Notice} {
		if v := q.Get(name); v != "" {
			if *dst, err = strconv.ParseBool(v); err != nil {
				return badParam(name, v, "true or false")
			}
		}
	}
	res, err := s.n.EnrollTransaction(r.Context(), a, r.Body, enc, q.Get("category"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, res)
}

func badParam(name, v, want string) error {
	return &paramError{name, v, want}
}

type paramError struct{ name, v, want string }

func (e *paramError) Error() string {
	return "query parameter " + e.name + "=" + strconv.Quote(e.v) + ": want " + e.want
}
func (e *paramError) Unwrap() error { return errBadRequest }

// IdentifyRequest is the /v1/identify body: finger images, a face image or
// both (a face makes the search fused; see node.IdentifyResult).
type IdentifyRequest struct {
	Fingers []node.FingerImage `json:"fingers"`
	Face    *node.FaceImage    `json:"face,omitempty"`
	node.IdentifyOptions
}

func (s *Server) identify(w http.ResponseWriter, r *http.Request, a node.Actor) error {
	var req IdentifyRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	res, err := s.n.IdentifyImages(r.Context(), a, req.Fingers, req.Face, req.IdentifyOptions)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

// VerifyRequest is the /v1/persons/{id}/verify body: finger images, a
// face image or both.
type VerifyRequest struct {
	Fingers []node.FingerImage `json:"fingers"`
	Face    *node.FaceImage    `json:"face,omitempty"`
}

func (s *Server) verify(w http.ResponseWriter, r *http.Request, a node.Actor) error {
	var req VerifyRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	res, err := s.n.Verify(r.Context(), a, r.PathValue("id"), req.Fingers, req.Face)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

func (s *Server) person(w http.ResponseWriter, r *http.Request, a node.Actor) error {
	p, err := s.n.Person(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

// WatchlistRequest is the POST /v1/watchlist body.
type WatchlistRequest struct {
	PersonID string `json:"person_id"`
	List     string `json:"list"`
	Reason   string `json:"reason,omitempty"`
}

func (s *Server) watchlist(w http.ResponseWriter, r *http.Request, a node.Actor) error {
	l, err := s.n.Watchlist(r.Context(), a)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, l)
}

func (s *Server) watchlistAdd(w http.ResponseWriter, r *http.Request, a node.Actor) error {
	var req WatchlistRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	e, err := s.n.WatchlistAdd(r.Context(), a, req.PersonID, req.List, req.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, e)
}

func (s *Server) watchlistRemove(w http.ResponseWriter, r *http.Request, a node.Actor) error {
	if err := s.n.WatchlistRemove(r.Context(), a, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) alerts(w http.ResponseWriter, r *http.Request, a node.Actor) error {
	l, err := s.n.Alerts(r.Context(), a)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, l)
}

func (s *Server) tasks(w http.ResponseWriter, r *http.Request, a node.Actor) error {
	l, err := s.n.Tasks(r.Context(), a, r.URL.Query().Get("state"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, l)
}

func (s *Server) task(w http.ResponseWriter, r *http.Request, a node.Actor) error {
	t, err := s.n.Task(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, t)
}

func (s *Server) claim(w http.ResponseWriter, r *http.Request, a node.Actor) error {
	t, err := s.n.ClaimTask(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, t)
}

func (s *Server) decide(w http.ResponseWriter, r *http.Request, a node.Actor) error {
	var d node.Decision
	if err := decode(r, &d); err != nil {
		return err
	}
	t, err := s.n.DecideTask(r.Context(), a, r.PathValue("id"), d)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, t)
}

// UserRequest is the POST /v1/users body.
type UserRequest struct {
	Name string `json:"name"`
	Role string `json:"role"`
}

// UserToken is the POST /v1/users response: the token is shown only once.
type UserToken struct {
	Name  string `json:"name"`
	Role  string `json:"role"`
	Token string `json:"token"`
}

func (s *Server) users(w http.ResponseWriter, r *http.Request, a node.Actor) error {
	l, err := s.n.Users(r.Context(), a)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, l)
}

func (s *Server) addUser(w http.ResponseWriter, r *http.Request, a node.Actor) error {
	var req UserRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	tok, err := s.n.AddUser(r.Context(), a, req.Name, node.Role(req.Role))
	if err != nil {
		return err
	}
	if err := s.logLogin(r.Context(), a, LoginTokenIssued, map[string]string{"role": req.Role}, "user:"+req.Name); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, UserToken{Name: req.Name, Role: req.Role, Token: tok})
}

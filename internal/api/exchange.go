package api

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/bixproject/bix/fingerprint"
	"github.com/bixproject/bix/internal/exchange"
	"github.com/bixproject/bix/internal/gallery"
	"github.com/bixproject/bix/internal/node"
)

// The partner exchange's routes: an officer's search of a partner (step 1),
// the examiner's confirmation of a partner's candidate, the disclosure
// request (step 2) and the data received, and the exchange's messages for
// officers, supervisors and auditors. They answer 501 on a node without a
// partner exchange (no exchange: block in its configuration).

// errNoExchange is the message of a node without a partner exchange.
const errNoExchange = "no partner exchange configured: this node's configuration has no exchange: block"

// SetExchange gives the server the node's partner exchange (nil: the
// exchange routes answer 501 "no partner exchange configured"). It may be
// called while serving.
func (s *Server) SetExchange(x *exchange.Exchange) { s.x.Store(x) }

func (s *Server) exchangeRoutes() {
	s.handle("GET /v1/exchange/partners", true, s.withExchange(s.exchangePartners))
	s.handle("POST /v1/exchange/searches", true, s.withExchange(s.exchangeSearch))
	s.handle("POST /v1/exchange/searches/{id}/confirmations", true, s.withExchange(s.exchangeConfirm))
	s.handle("POST /v1/exchange/searches/{id}/disclosures", true, s.withExchange(s.exchangeDisclose))
	s.handle("GET /v1/exchange/messages", true, s.withExchange(s.exchangeList))
	s.handle("GET /v1/exchange/messages/{id}", true, s.withExchange(s.exchangeShow))
	s.handle("GET /v1/exchange/received", true, s.withExchange(s.exchangeReceived))
}

type exchangeHandler func(w http.ResponseWriter, r *http.Request, a node.Actor, x *exchange.Exchange) error

// withExchange answers 501 when the node has no partner exchange, and maps
// the exchange's errors to API errors.
func (s *Server) withExchange(h exchangeHandler) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, a node.Actor) error {
		x := s.x.Load()
		if x == nil {
			return writeJSON(w, http.StatusNotImplemented, ErrorBody{Error: errNoExchange})
		}
		err := h(w, r, a, x)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, exchange.ErrNoAgreement):
			return fmt.Errorf("%w: %v", node.ErrInvalid, err)
		case errors.Is(err, exchange.ErrRefused):
			return fmt.Errorf("%w: %v", node.ErrConflict, err)
		}
		return err
	}
}

// allowRoles returns node.ErrForbidden unless a has one of roles.
func allowRoles(a node.Actor, what string, roles ...node.Role) error {
	if slices.Contains(roles, a.Role) {
		return nil
	}
	return fmt.Errorf("%w: role %q may not %s", node.ErrForbidden, a.Role, what)
}

func (s *Server) exchangePartners(w http.ResponseWriter, r *http.Request, a node.Actor, x *exchange.Exchange) error {
	ps := x.Partners()
	if ps == nil {
		ps = []exchange.PartnerInfo{}
	}
	return writeJSON(w, http.StatusOK, ps)
}

// ExchangeSearchRequest is the POST /v1/exchange/searches body: a step-1
// search of a partner with finger images (templates are extracted here;
// only templates leave the node) or ready ISO/IEC 19794-2 templates.
type ExchangeSearchRequest struct {
	// Partner is the partner's party id in the agreement.
	Partner string `json:"partner"`
	// Purpose is one of the agreement's purposes (default: the
	// X-Bix-Purpose header).
	Purpose string `json:"purpose"`
	// SearchType is the agreement's search type (default fingerprint_1n).
	SearchType    string `json:"search_type,omitempty"`
	MaxCandidates int    `json:"max_candidates,omitempty"`
	// Fingers are finger images, or
	Fingers []node.FingerImage `json:"fingers,omitempty"`
	// Templates are one-view ISO/IEC 19794-2:2005 records.
	Templates []exchange.FingerTemplate `json:"templates,omitempty"`
}

// ExchangeSearchResult is the POST /v1/exchange/searches response: the
// request's outcome (queued when the partner could not be reached; the
// outbox retries it) and what became of each finger image.
type ExchangeSearchResult struct {
	exchange.Outcome
	Samples []node.SampleResult `json:"samples,omitempty"`
}

func (s *Server) exchangeSearch(w http.ResponseWriter, r *http.Request, a node.Actor, x *exchange.Exchange) error {
	var req ExchangeSearchRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Purpose == "" {
		req.Purpose = a.Purpose
	}
	switch {
	case req.Partner == "":
		return fmt.Errorf("%w: partner is required", node.ErrInvalid)
	case req.Purpose == "":
		return fmt.Errorf("%w: purpose is required (in the body or the %s header)", node.ErrInvalid, PurposeHeader)
	case (len(req.Fingers) == 0) == (len(req.Templates) == 0):
		return fmt.Errorf("%w: give either fingers (images) or templates", node.ErrInvalid)
	case len(req.Templates) > node.MaxFingers:
		return fmt.Errorf("%w: %d templates, at most %d", node.ErrInvalid, len(req.Templates), node.MaxFingers)
	}
	var probe []gallery.Sample
	var samples []node.SampleResult
	if len(req.Fingers) > 0 {
		var err error
		if probe, samples, err = s.n.ProbeTemplates(req.Fingers); err != nil {
			return err
		}
	}
	for i, f := range req.Templates {
		if f.Position < 0 || f.Position > 10 {
			return fmt.Errorf("%w: templates[%d].position %d is not a finger position 0..10", node.ErrInvalid, i, f.Position)
		}
		rec, err := fingerprint.DecodeISO(f.ISO)
		if err != nil {
			return fmt.Errorf("%w: templates[%d]: %v", node.ErrInvalid, i, err)
		}
		t, err := rec.Template(0)
		if err != nil {
			return fmt.Errorf("%w: templates[%d]: %v", node.ErrInvalid, i, err)
		}
		t.Position = f.Position
		probe = append(probe, gallery.Sample{Position: f.Position, Template: t})
	}
	o, err := x.Search(r.Context(), a, exchange.Request{Partner: req.Partner, Purpose: req.Purpose, SearchType: req.SearchType, MaxCandidates: req.MaxCandidates}, probe)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if o.Status == exchange.StatusQueued {
		status = http.StatusAccepted
	}
	return writeJSON(w, status, ExchangeSearchResult{Outcome: *o, Samples: samples})
}

// ExchangeConfirmRequest is the POST /v1/exchange/searches/{id}/confirmations
// body: the examiner's decision on one of the partner's candidates.
type ExchangeConfirmRequest struct {
	Reference string `json:"reference"`
	// Outcome is same, different or inconclusive; only same allows a
	// disclosure request.
	Outcome    string `json:"outcome"`
	ReasonCode string `json:"reason_code"`
}

func (s *Server) exchangeConfirm(w http.ResponseWriter, r *http.Request, a node.Actor, x *exchange.Exchange) error {
	var req ExchangeConfirmRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Reference == "" {
		return fmt.Errorf("%w: reference is required", node.ErrInvalid)
	}
	c, err := x.Confirm(r.Context(), a, r.PathValue("id"), req.Reference, req.Outcome, req.ReasonCode)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, c)
}

// ExchangeDiscloseRequest is the POST /v1/exchange/searches/{id}/disclosures
// body: the candidate whose data is asked for, which an examiner must have
// confirmed as the same person.
type ExchangeDiscloseRequest struct {
	Reference string `json:"reference"`
}

func (s *Server) exchangeDisclose(w http.ResponseWriter, r *http.Request, a node.Actor, x *exchange.Exchange) error {
	var req ExchangeDiscloseRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Reference == "" {
		return fmt.Errorf("%w: reference is required", node.ErrInvalid)
	}
	o, err := x.Disclose(r.Context(), a, r.PathValue("id"), req.Reference)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if o.Status == exchange.StatusQueued {
		status = http.StatusAccepted
	}
	return writeJSON(w, status, o)
}

// readers of the exchange's messages.
var exchangeReaders = []node.Role{node.RoleOfficer, node.RoleExaminer, node.RoleSupervisor, node.RoleAuditor}

func (s *Server) exchangeList(w http.ResponseWriter, r *http.Request, a node.Actor, x *exchange.Exchange) error {
	if err := allowRoles(a, "read exchange messages", exchangeReaders...); err != nil {
		return err
	}
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return badParam("limit", v, "an integer 1..1000")
		}
		limit = n
	}
	l, err := x.List(r.Context(), limit)
	if err != nil {
		return err
	}
	if l == nil {
		l = []*exchange.MessageRecord{}
	}
	return writeJSON(w, http.StatusOK, l)
}

// ExchangeMessage is the GET /v1/exchange/messages/{id} response: the
// messages with that request id (one per direction at most) and, for a
// request this node sent, its outcome. Reading a disclosure with its fields
// is logged (exchange.ActionDisclosedRead), as is reading
// GET /v1/exchange/received; the list (GET /v1/exchange/messages) leaves
// disclosed fields out.
type ExchangeMessage struct {
	Messages []*exchange.MessageRecord `json:"messages"`
	Outcome  *exchange.Outcome         `json:"outcome,omitempty"`
}

func (s *Server) exchangeShow(w http.ResponseWriter, r *http.Request, a node.Actor, x *exchange.Exchange) error {
	if err := allowRoles(a, "read exchange messages", exchangeReaders...); err != nil {
		return err
	}
	ms, o, err := x.ShowAs(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ExchangeMessage{Messages: ms, Outcome: o})
}

// ExchangeReceived is the GET /v1/exchange/received response: the fields
// a partner disclosed under a reference, while this node may keep them.
type ExchangeReceived struct {
	Partner   string            `json:"partner"`
	Reference string            `json:"reference"`
	Fields    map[string]string `json:"fields"`
}

func (s *Server) exchangeReceived(w http.ResponseWriter, r *http.Request, a node.Actor, x *exchange.Exchange) error {
	if err := allowRoles(a, "read data received from partners", node.RoleOfficer, node.RoleExaminer, node.RoleSupervisor); err != nil {
		return err
	}
	q := r.URL.Query()
	partner, ref := q.Get("partner"), q.Get("reference")
	if partner == "" || ref == "" {
		return fmt.Errorf("%w: query parameters partner and reference are required", errBadRequest)
	}
	fields, ok, err := x.ReadReceived(r.Context(), a, partner, ref)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: nothing held from %s under reference %s (never disclosed, erased, or past its retention)", node.ErrNotFound, partner, ref)
	}
	return writeJSON(w, http.StatusOK, ExchangeReceived{Partner: partner, Reference: ref, Fields: fields})
}

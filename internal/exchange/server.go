package exchange

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bixproject/bix/fingerprint"
	"github.com/bixproject/bix/internal/agreement"
	"github.com/bixproject/bix/internal/audit"
	"github.com/bixproject/bix/internal/gallery"
	"github.com/bixproject/bix/internal/store"
)

// MessagePath is where a node receives partner messages (POST, body: one
// compact JWS).
const MessagePath = "/exchange/v1/messages"

// Handler returns the partner-facing HTTP handler. It must be served over
// TLS with ServerTLSConfig (see Serve), which pins partner certificates.
func (x *Exchange) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+MessagePath, x.handleMessage)
	return mux
}

// Serve answers partners on ln with mutual TLS 1.3 until ctx ends.
func (x *Exchange) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           x.Handler(),
		TLSConfig:         x.TLSConfig(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		ErrorLog:          slog.NewLogLogger(x.log.Handler(), slog.LevelDebug),
	}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	err := srv.Serve(tls.NewListener(ln, srv.TLSConfig))
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// refusal is a protocol-level refusal: an HTTP status and a code.
type refusal struct {
	status int
	code   string
	msg    string
}

func (r *refusal) Error() string { return r.code + ": " + r.msg }

func refuse(status int, code, format string, args ...any) *refusal {
	return &refusal{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

// handleMessage authenticates a partner message and dispatches it.
func (x *Exchange) handleMessage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	now := x.cfg.Now()
	// The TLS layer already checked that the client certificate is pinned;
	// find whose it is.
	tlsParty := ""
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		tlsParty, _ = x.partnerByPin(SPKIPin(r.TLS.PeerCertificates[0]))
	}
	if tlsParty == "" {
		x.writeRefusal(ctx, w, nil, "", refuse(http.StatusUnauthorized, CodeNotAuthenticated, "no pinned client certificate"))
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, x.cfg.MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			x.writeRefusal(ctx, w, nil, tlsParty, refuse(http.StatusRequestEntityTooLarge, CodeTooLarge, "request body over %d bytes", x.cfg.MaxBody))
			return
		}
		x.writeRefusal(ctx, w, nil, tlsParty, refuse(http.StatusBadRequest, CodeMalformed, "reading body: %v", err))
		return
	}
	m, _, err := Verify(raw, x.partnerKeys(tlsParty), now, x.cfg.MaxSkew)
	if err != nil {
		code := CodeMalformed
		status := http.StatusBadRequest
		switch {
		case errors.Is(err, ErrBadSignature):
			code, status = CodeBadSignature, http.StatusUnauthorized
		case errors.Is(err, ErrUnknownKey):
			code, status = CodeUnknownKey, http.StatusUnauthorized
		case errors.Is(err, ErrStale):
			code = CodeStale
		}
		x.writeRefusal(ctx, w, nil, tlsParty, refuse(status, code, "%v", err))
		return
	}
	if m.From != tlsParty {
		x.writeRefusal(ctx, w, m, tlsParty, refuse(http.StatusUnauthorized, CodeNotAuthenticated, "message from %q over %q's connection", m.From, tlsParty))
		return
	}
	if m.To != x.self {
		x.writeRefusal(ctx, w, m, tlsParty, refuse(http.StatusBadRequest, CodeWrongAddress, "addressed to %q, this node is %q", m.To, x.self))
		return
	}
	ag, _, err := x.agreementWith(m.From)
	if err != nil || m.AgreementHash != ag.HashHex() {
		x.writeRefusal(ctx, w, m, tlsParty, refuse(http.StatusConflict, CodeWrongAgreement, "agreement hash %q is not the agreement in force", m.AgreementHash))
		return
	}
	// Checkpoints are signed and cosignatures stored in transactions of
	// their own, before the message is recorded.
	var pre *prepared
	if m.Type == TypeCheckpoint || m.Type == TypeCosignature {
		f := x.answerCheckpoint
		if m.Type == TypeCosignature {
			f = x.answerCosignature
		}
		body, detail, err := f(ctx, m)
		if err != nil {
			var rf *refusal
			if !errors.As(err, &rf) {
				x.log.Error("exchange: witnessing", "request_id", m.RequestID, "from", m.From, "err", err)
				rf = refuse(http.StatusInternalServerError, CodeInternal, "the request could not be processed")
			}
			x.writeRefusal(ctx, w, m, tlsParty, rf)
			return
		}
		pre = &prepared{body: body, detail: detail}
	}
	if m.Type == TypeSearch {
		pre = &prepared{search: x.prepareSearch(ctx, ag, m, raw, now)}
	}
	resp, err := x.process(ctx, ag, m, raw, now, pre)
	if err != nil {
		var rf *refusal
		if errors.As(err, &rf) {
			x.writeRefusal(ctx, w, m, tlsParty, rf)
			return
		}
		x.log.Error("exchange: processing", "request_id", m.RequestID, "from", m.From, "err", err)
		x.writeRefusal(ctx, w, m, tlsParty, refuse(http.StatusInternalServerError, CodeInternal, "the request could not be processed"))
		return
	}
	w.Header().Set("Content-Type", "application/jose")
	w.Write(resp)
}

// writeRefusal answers a refused message and logs the refusal. The answer
// is signed when the sender is known.
func (x *Exchange) writeRefusal(ctx context.Context, w http.ResponseWriter, m *Message, party string, rf *refusal) {
	actor := "partner:" + party
	if party == "" {
		actor = "partner:unauthenticated"
	}
	e := audit.Entry{Time: x.cfg.Now().UTC(), Actor: actor, Role: "partner", Action: audit.ActionSearchReceived}
	detail := map[string]any{"refused": rf.code, "reason": rf.msg}
	var body []byte
	if m != nil {
		e.Purpose, e.LegalBasis, e.RequestHash, e.AgreementHash = m.Purpose, m.LegalBasis, requestHash(m), m.AgreementHash
		e.Action = receivedAction(m.Type)
		detail["request_id"] = m.RequestID
		eb, _ := json.Marshal(ErrorBody{Code: rf.code, Message: rf.msg})
		body, _ = x.sign(&Message{Header: Header{RequestID: newID(), InReplyTo: m.RequestID, Type: TypeError, From: x.self, To: m.From, Time: x.cfg.Now().UTC(), AgreementHash: m.AgreementHash}, Body: eb})
	}
	e.Detail, _ = json.Marshal(detail)
	if body != nil {
		e.ResponseHash = Hash(body)
	}
	if err := x.cfg.Node.Store().Update(ctx, func(tx *store.Tx) error {
		_, err := audit.Append(ctx, tx.SQL(), e)
		return err
	}); err != nil {
		x.log.Error("exchange: logging refusal", "err", err)
	}
	if body != nil {
		w.Header().Set("Content-Type", "application/jose")
		w.WriteHeader(rf.status)
		w.Write(body)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rf.status)
	json.NewEncoder(w).Encode(ErrorBody{Code: rf.code, Message: rf.msg})
}

func receivedAction(typ string) string {
	switch typ {
	case TypeDisclose:
		return audit.ActionDisclosure
	case TypeNotify:
		return audit.ActionNotification
	case TypeCheckpoint, TypeCosignature:
		return ActionWitness
	}
	return audit.ActionSearchReceived
}

// sign signs a message with this node's key.
func (x *Exchange) sign(m *Message) ([]byte, error) { return Sign(m, x.cfg.Identity.SigningKey) }

// process handles an authenticated message exactly once: a replay of the
// same signed bytes is refused; a new signature over the same request id
// and request returns the answer already given (an idempotent retry); the
// same request id with a different request is refused.
// prepared is an answer computed before process records it.
type prepared struct {
	body   any
	detail json.RawMessage
	search *searchRun // a search's gallery candidates (nil: search in the transaction)
}

// searchRun is a gallery search run before the transaction that answers it.
type searchRun struct {
	probe []gallery.Sample
	th    float64
	cands []gallery.Candidate
}

// prepareSearch runs the gallery search of a partner's step-1 search
// before process opens its write transaction, so that the store's write
// lock is held for the few milliseconds of the answer's records, not for
// the search (which serialised concurrent searches and made a retry of a
// request wait for the lock). It returns nil, and process searches inside
// its transaction as before, when the search will not run there: a replay
// or a retry answered from the record, a quota or agreement refusal, a
// malformed probe. Every check stays in the transaction and is decided
// there; a person erased meanwhile is left out of the answer there.
func (x *Exchange) prepareSearch(ctx context.Context, ag *agreement.Agreement, m *Message, raw []byte, now time.Time) *searchRun {
	var sb SearchBody
	if json.Unmarshal(m.Body, &sb) != nil {
		return nil
	}
	var n int
	if err := x.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM exchange_seen WHERE signature_hash = ?) + (SELECT count(*) FROM exchange_messages WHERE direction = 'in' AND partner = ? AND request_id = ?)`,
		Hash(raw), m.From, m.RequestID).Scan(&n); err != nil || n > 0 {
		return nil
	}
	d, _, err := x.checkSearch(ctx, x.db, ag, m, &sb, now)
	if err != nil || !d.Allowed {
		return nil
	}
	probe, err := searchProbe(&sb)
	if err != nil {
		return nil
	}
	th := x.cfg.Node.Threshold(len(probe))
	cands, err := x.cfg.Node.Gallery().Identify(ctx, probe, gallery.Options{MaxCandidates: 4 * d.MaxCandidates, Threshold: th})
	if err != nil {
		return nil
	}
	return &searchRun{probe: probe, th: th, cands: cands}
}

// checkSearch applies the agreement's search rules and the daily quota
// (searches answered today) to a search.
func (x *Exchange) checkSearch(ctx context.Context, q querier, ag *agreement.Agreement, m *Message, sb *SearchBody, now time.Time) (agreement.Decision, int, error) {
	req := agreement.SearchRequest{From: m.From, To: x.self, Purpose: m.Purpose, LegalBasis: m.LegalBasis, Officer: m.Officer, SearchType: sb.SearchType, Time: now}
	var used int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM exchange_messages WHERE direction = 'in' AND partner = ? AND type = 'search' AND search_type = ? AND day = ? AND status = 'answered'`,
		m.From, sb.SearchType, day(now)).Scan(&used); err != nil {
		return agreement.Decision{}, 0, err
	}
	return ag.CheckSearch(req, used), used, nil
}

// searchProbe decodes a search's finger templates, refusing a malformed
// probe.
func searchProbe(sb *SearchBody) ([]gallery.Sample, error) {
	if len(sb.Fingers) == 0 || len(sb.Fingers) > 10 {
		return nil, refuse(http.StatusBadRequest, CodeMalformed, "search has %d finger templates, want 1..10", len(sb.Fingers))
	}
	probe := make([]gallery.Sample, 0, len(sb.Fingers))
	for i, f := range sb.Fingers {
		if f.Position < 0 || f.Position > 10 {
			return nil, refuse(http.StatusBadRequest, CodeMalformed, "finger %d: position %d out of range 0..10", i, f.Position)
		}
		rec, err := fingerprint.DecodeISO(f.ISO)
		if err != nil {
			return nil, refuse(http.StatusBadRequest, CodeMalformed, "finger %d: %v", i, err)
		}
		t, err := rec.Template(0)
		if err != nil {
			return nil, refuse(http.StatusBadRequest, CodeMalformed, "finger %d: %v", i, err)
		}
		probe = append(probe, gallery.Sample{Position: f.Position, Template: t})
	}
	return probe, nil
}

func (x *Exchange) process(ctx context.Context, ag *agreement.Agreement, m *Message, raw []byte, now time.Time, pre *prepared) ([]byte, error) {
	var resp []byte
	sigHash := Hash(raw)
	rh := requestHash(m)
	err := x.cfg.Node.Store().Update(ctx, func(tx *store.Tx) error {
		t := tx.SQL()
		var seen int
		if err := t.QueryRowContext(ctx, `SELECT count(*) FROM exchange_seen WHERE signature_hash = ?`, sigHash).Scan(&seen); err != nil {
			return err
		}
		if seen > 0 {
			return refuse(http.StatusConflict, CodeReplay, "request %s was already received with this very signature", m.RequestID)
		}
		var prevHash string
		var prevResp []byte
		err := t.QueryRowContext(ctx, `SELECT request_hash, response FROM exchange_messages WHERE direction = 'in' AND partner = ? AND request_id = ?`, m.From, m.RequestID).Scan(&prevHash, &prevResp)
		switch {
		case err == nil:
			if prevHash != rh {
				return refuse(http.StatusConflict, CodeRequestIDReused, "request id %s was used for a different request", m.RequestID)
			}
			if _, err := t.ExecContext(ctx, `INSERT INTO exchange_seen(signature_hash, partner, at) VALUES (?,?,?)`, sigHash, m.From, ts(now)); err != nil {
				return err
			}
			resp = prevResp
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if _, err := t.ExecContext(ctx, `INSERT INTO exchange_seen(signature_hash, partner, at) VALUES (?,?,?)`, sigHash, m.From, ts(now)); err != nil {
			return err
		}
		var (
			body         any
			result, code string
			searchType   string
			entry        audit.Entry
		)
		entry = audit.Entry{Time: now.UTC(), Actor: "partner:" + m.From + "/" + m.Officer, Role: "partner", Purpose: m.Purpose,
			LegalBasis: m.LegalBasis, RequestHash: rh, AgreementHash: m.AgreementHash}
		switch m.Type {
		case TypeSearch:
			var sb SearchBody
			if err := json.Unmarshal(m.Body, &sb); err != nil {
				return refuse(http.StatusBadRequest, CodeMalformed, "search body: %v", err)
			}
			searchType = sb.SearchType
			var run *searchRun
			if pre != nil {
				run = pre.search
			}
			res, objs, detail, err := x.answerSearch(ctx, tx, ag, m, &sb, now, run)
			if err != nil {
				return err
			}
			body, result, code = res, res.Result, res.Code
			entry.Action, entry.Objects, entry.Detail = audit.ActionSearchReceived, objs, detail
		case TypeDisclose:
			var db DiscloseBody
			if err := json.Unmarshal(m.Body, &db); err != nil {
				return refuse(http.StatusBadRequest, CodeMalformed, "disclose body: %v", err)
			}
			res, objs, detail, err := x.answerDisclose(ctx, tx, ag, m, &db, now)
			if err != nil {
				return err
			}
			body, result, code = res, res.Result, res.Code
			entry.Action, entry.Objects, entry.Detail = audit.ActionDisclosure, objs, detail
		case TypeNotify:
			var nb NotifyBody
			if err := json.Unmarshal(m.Body, &nb); err != nil {
				return refuse(http.StatusBadRequest, CodeMalformed, "notify body: %v", err)
			}
			res, objs, detail, err := x.applyNotification(ctx, tx, m, &nb)
			if err != nil {
				return err
			}
			body, result = res, "receipt"
			entry.Action, entry.Objects, entry.Detail = audit.ActionNotification, objs, detail
		case TypeCheckpoint, TypeCosignature:
			body, result = pre.body, m.Type
			entry.Action, entry.Detail = ActionWitness, pre.detail
		default:
			return refuse(http.StatusBadRequest, CodeUnsupportedType, "message type %q", m.Type)
		}
		bb, err := json.Marshal(body)
		if err != nil {
			return err
		}
		respType := map[string]string{TypeSearch: TypeSearchResult, TypeDisclose: TypeDisclosure, TypeNotify: TypeReceipt,
			TypeCheckpoint: TypeCheckpointResp, TypeCosignature: TypeReceipt}[m.Type]
		resp, err = x.sign(&Message{Header: Header{RequestID: newID(), InReplyTo: m.RequestID, Type: respType, From: x.self, To: m.From,
			Purpose: m.Purpose, Time: now.UTC(), AgreementHash: m.AgreementHash}, Body: bb})
		if err != nil {
			return err
		}
		entry.ResponseHash = Hash(resp)
		status := StatusAnswered
		if result == ResultRefused {
			status = StatusRefused
		}
		if _, err := t.ExecContext(ctx, `INSERT INTO exchange_messages(direction, partner, request_id, type, purpose, search_type, officer, status, code, result, attempts, message, request_hash, response, day, created_at, updated_at)
			VALUES ('in',?,?,?,?,?,?,?,?,?,1,?,?,?,?,?,?)`,
			m.From, m.RequestID, m.Type, m.Purpose, searchType, m.Officer, status, code, result, raw, rh, resp, day(now), ts(now), ts(now)); err != nil {
			return err
		}
		_, err = audit.Append(ctx, t, entry)
		return err
	})
	return resp, err
}

// answerSearch runs a step-1 search for a partner: the agreement's checks,
// the daily quota, the gallery search (or run, the one prepareSearch made
// before the transaction), and the per-candidate filter with the
// protection-status guard. Refusals by the agreement are answers (result
// "refused" with the code), not protocol errors.
func (x *Exchange) answerSearch(ctx context.Context, tx *store.Tx, ag *agreement.Agreement, m *Message, sb *SearchBody, now time.Time, run *searchRun) (*SearchResultBody, []string, json.RawMessage, error) {
	req := agreement.SearchRequest{From: m.From, To: x.self, Purpose: m.Purpose, LegalBasis: m.LegalBasis, Officer: m.Officer, SearchType: sb.SearchType, Time: now}
	d, used, err := x.checkSearch(ctx, tx.SQL(), ag, m, sb, now)
	if err != nil {
		return nil, nil, nil, err
	}
	if !d.Allowed {
		detail, _ := json.Marshal(map[string]any{"request_id": m.RequestID, "search_type": sb.SearchType, "refused": d.Code, "rule": d.Rule, "reason": d.Reason, "quota_used": used})
		return &SearchResultBody{Result: ResultRefused, Code: d.Code}, nil, detail, nil
	}
	n := x.cfg.Node
	if run == nil {
		probe, err := searchProbe(sb)
		if err != nil {
			return nil, nil, nil, err
		}
		th := n.Threshold(len(probe))
		// Search for more than the cap so that candidates the guard or
		// the rules leave out do not shorten the answer.
		cands, err := n.Gallery().Identify(ctx, probe, gallery.Options{MaxCandidates: 4 * d.MaxCandidates, Threshold: th})
		if err != nil {
			return nil, nil, nil, err
		}
		run = &searchRun{probe: probe, th: th, cands: cands}
	}
	probe, th, cands := run.probe, run.th, run.cands
	res := &SearchResultBody{Result: ResultNoHit}
	var objs []string
	withheld := map[string]int{}
	for _, c := range cands {
		if len(res.Candidates) >= d.MaxCandidates {
			break
		}
		p, err := tx.Person(ctx, c.PersonID)
		if errors.Is(err, store.ErrNotFound) {
			continue // erased since the search
		}
		if err != nil {
			return nil, nil, nil, err
		}
		cd := ag.CandidateDecision(req, facts(p, now))
		if !cd.Allowed {
			withheld[cd.Rule]++
			continue
		}
		ref, err := x.reference(ctx, tx, m.From, p.ID, now)
		if err != nil {
			return nil, nil, nil, err
		}
		rc := RemoteCandidate{Reference: ref, Band: BandProbable}
		if c.Score >= 2*th {
			rc.Band = BandStrong
		}
		tpls, err := n.Store().PersonTemplates(ctx, p.ID)
		if err != nil {
			return nil, nil, nil, err
		}
		for _, f := range probe {
			for _, tp := range tpls {
				if tp.Position == f.Position && tp.Format == "iso-19794-2:2005" {
					rc.Fingers = append(rc.Fingers, FingerTemplate{Position: tp.Position, ISO: tp.Data})
					break
				}
			}
		}
		res.Candidates = append(res.Candidates, rc)
		objs = append(objs, p.ID, ref)
	}
	if len(res.Candidates) > 0 {
		res.Result = ResultHit
	}
	detail, _ := json.Marshal(map[string]any{"request_id": m.RequestID, "search_type": sb.SearchType, "result": res.Result,
		"candidates": len(res.Candidates), "withheld_by_rule": withheld, "threshold": th, "quota_used": used + 1})
	return res, objs, detail, nil
}

// facts returns what the agreement needs to know of p at t.
func facts(p *store.Person, t time.Time) agreement.PersonFacts {
	f := agreement.PersonFacts{Category: p.Category, Nationality: p.Nationality, Age: -1, Contested: p.Contested,
		Protection: p.ProtectionStatus || isProtectionCategory(p.Category)}
	if b, err := time.Parse("2006-01-02", p.BirthDate); err == nil {
		age := t.Year() - b.Year()
		if t.YearDay() < b.YearDay() {
			age--
		}
		f.Age = age
	}
	return f
}

// isProtectionCategory reports categories that themselves record an asylum
// claim or international protection, whatever vocabulary the node uses.
func isProtectionCategory(c string) bool {
	switch c {
	case "asylum_applicant", "asylum_seeker", "refugee", "protection_need", "subsidiary_protection", "stateless_applicant":
		return true
	}
	return false
}

// reference returns the pseudonymous reference for person given to
// partner, making one on first use. References differ per partner so that
// partners cannot link their answers.
func (x *Exchange) reference(ctx context.Context, tx *store.Tx, partner, personID string, now time.Time) (string, error) {
	var ref string
	err := tx.SQL().QueryRowContext(ctx, `SELECT reference FROM exchange_refs WHERE partner = ? AND person_id = ?`, partner, personID).Scan(&ref)
	if err == nil {
		return ref, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	ref = x.self + ":" + newID()
	_, err = tx.SQL().ExecContext(ctx, `INSERT INTO exchange_refs(reference, partner, person_id, created_at) VALUES (?,?,?,?)`, ref, partner, personID, ts(now))
	return ref, err
}

// answerDisclose runs a step-2 disclosure: the reference must have been
// given to this partner, the requester's examiner must have confirmed the
// match, the record must not be contested, and only the fields the agreement
// allows for the purpose and the person's category are returned. A person
// the protection-status guard hides is answered exactly as an unknown
// reference.
func (x *Exchange) answerDisclose(ctx context.Context, tx *store.Tx, ag *agreement.Agreement, m *Message, db *DiscloseBody, now time.Time) (*DisclosureBody, []string, json.RawMessage, error) {
	detailOf := func(kv ...any) json.RawMessage {
		d := map[string]any{"request_id": m.RequestID, "reference": db.Reference, "direction": "received"}
		for i := 0; i+1 < len(kv); i += 2 {
			d[kv[i].(string)] = kv[i+1]
		}
		b, _ := json.Marshal(d)
		return b
	}
	c := db.Confirmation
	if c.Outcome != "same" || c.Examiner == "" || c.Reference != db.Reference || c.SearchRequestID == "" {
		return &DisclosureBody{Result: ResultRefused, Code: CodeNoConfirmation}, []string{db.Reference},
			detailOf("refused", CodeNoConfirmation), nil
	}
	var personID string
	err := tx.SQL().QueryRowContext(ctx, `SELECT person_id FROM exchange_refs WHERE reference = ? AND partner = ?`, db.Reference, m.From).Scan(&personID)
	if errors.Is(err, sql.ErrNoRows) {
		return &DisclosureBody{Result: ResultUnknown}, []string{db.Reference}, detailOf("refused", ResultUnknown), nil
	}
	if err != nil {
		return nil, nil, nil, err
	}
	p, err := tx.Person(ctx, personID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && p.Status != store.PersonActive) {
		return &DisclosureBody{Result: ResultUnknown}, []string{db.Reference}, detailOf("refused", ResultUnknown, "reason", "person erased or merged"), nil
	}
	if err != nil {
		return nil, nil, nil, err
	}
	req := agreement.SearchRequest{From: m.From, To: x.self, Purpose: m.Purpose, LegalBasis: m.LegalBasis, Officer: m.Officer, SearchType: searchTypeOf(ctx, tx, m.From, c.SearchRequestID), Time: now}
	f := facts(p, now)
	fields, d := ag.DisclosableFields(req, f)
	if !d.Allowed {
		if d.Code == agreement.CodeNoHit {
			// The guard: indistinguishable from an unknown reference.
			return &DisclosureBody{Result: ResultUnknown}, []string{db.Reference, p.ID}, detailOf("refused", d.Code, "rule", d.Rule), nil
		}
		return &DisclosureBody{Result: ResultRefused, Code: d.Code}, []string{db.Reference, p.ID}, detailOf("refused", d.Code, "rule", d.Rule, "reason", d.Reason), nil
	}
	if p.Contested {
		return &DisclosureBody{Result: ResultRefused, Code: CodeContested}, []string{db.Reference, p.ID}, detailOf("refused", CodeContested), nil
	}
	values, err := x.fieldValues(ctx, p, db.Reference, fields)
	if err != nil {
		return nil, nil, nil, err
	}
	names := make([]string, 0, len(values))
	for k := range values {
		names = append(names, k)
	}
	sort.Strings(names)
	fb, _ := json.Marshal(names)
	if _, err := tx.SQL().ExecContext(ctx, `INSERT INTO exchange_disclosed(partner, person_id, reference, request_id, fields, at) VALUES (?,?,?,?,?,?)`,
		m.From, p.ID, db.Reference, m.RequestID, string(fb), ts(now)); err != nil {
		return nil, nil, nil, err
	}
	days := ag.RetentionDays(m.Purpose)
	return &DisclosureBody{Result: ResultDisclosed, Fields: values, RetainUntil: now.AddDate(0, 0, days).UTC().Format("2006-01-02")},
		[]string{db.Reference, p.ID}, detailOf("fields", names, "examiner", c.Examiner, "retain_days", days), nil
}

// searchTypeOf returns the search type of the partner's earlier search.
func searchTypeOf(ctx context.Context, tx *store.Tx, partner, requestID string) string {
	var st string
	tx.SQL().QueryRowContext(ctx, `SELECT search_type FROM exchange_messages WHERE direction = 'in' AND partner = ? AND request_id = ?`, partner, requestID).Scan(&st)
	return st
}

// fieldValues returns the values this node holds for the allowed fields.
// Fields the node has no data for are left out.
func (x *Exchange) fieldValues(ctx context.Context, p *store.Person, ref string, fields []string) (map[string]string, error) {
	encs, err := x.cfg.Node.Store().Encounters(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	var last *store.Encounter
	if len(encs) > 0 {
		last = encs[len(encs)-1]
	}
	out := map[string]string{}
	for _, f := range fields {
		var v string
		switch f {
		case "reference_id":
			v = ref
		case "name":
			v = strings.TrimSpace(p.GivenName + " " + p.FamilyName)
		case "given_name":
			v = p.GivenName
		case "family_name":
			v = p.FamilyName
		case "date_of_birth", "birth_date":
			v = p.BirthDate
		case "sex":
			v = p.Sex
		case "nationality":
			v = p.Nationality
		case "category":
			v = p.Category
		case "last_entry_date", "last_encounter_date":
			if last != nil {
				v = last.CapturedAt.UTC().Format("2006-01-02")
			}
		case "last_seen_place", "last_encounter_place":
			if last != nil {
				v = last.Location
			}
		case "encounters":
			v = strconv.Itoa(len(encs))
		case "asylum_claim":
			if p.Category == "asylum_applicant" || p.Category == "asylum_seeker" {
				v = "pending"
			}
		case "refugee_status", "protection_status":
			if p.Category == "refugee" || p.ProtectionStatus {
				v = "granted"
			}
		}
		if v != "" {
			out[f] = v
		}
	}
	return out, nil
}

// applyNotification applies a partner's erasure, correction or marking to
// what this node received from it under reference.
func (x *Exchange) applyNotification(ctx context.Context, tx *store.Tx, m *Message, nb *NotifyBody) (*ReceiptBody, []string, json.RawMessage, error) {
	switch nb.Kind {
	case NotifyErasure, NotifyCorrection, NotifyMarking:
	default:
		return nil, nil, nil, refuse(http.StatusBadRequest, CodeMalformed, "notification kind %q", nb.Kind)
	}
	var n int64
	switch nb.Kind {
	case NotifyErasure, NotifyMarking:
		// Erasure deletes what was received; a marking such as protection
		// granted makes the received data unusable here too.
		r, err := tx.SQL().ExecContext(ctx, `UPDATE exchange_received SET fields = '{}', erased = 1 WHERE partner = ? AND reference = ? AND erased = 0`, m.From, nb.Reference)
		if err != nil {
			return nil, nil, nil, err
		}
		n, _ = r.RowsAffected()
	case NotifyCorrection:
		fb, _ := json.Marshal(nb.Fields)
		r, err := tx.SQL().ExecContext(ctx, `UPDATE exchange_received SET fields = ? WHERE partner = ? AND reference = ? AND erased = 0`, string(fb), m.From, nb.Reference)
		if err != nil {
			return nil, nil, nil, err
		}
		n, _ = r.RowsAffected()
	}
	detail, _ := json.Marshal(map[string]any{"request_id": m.RequestID, "kind": nb.Kind, "direction": "received", "rows": n})
	return &ReceiptBody{Kind: nb.Kind, Reference: nb.Reference, Applied: true}, []string{nb.Reference}, detail, nil
}

// newID returns a random UUID (version 4) string.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

package exchange

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/bixproject/bix/fingerprint"
	"github.com/bixproject/bix/internal/audit"
	"github.com/bixproject/bix/internal/gallery"
	"github.com/bixproject/bix/internal/node"
	"github.com/bixproject/bix/internal/store"
)

// Request is what an officer asks of a partner.
type Request struct {
	// Partner is the party id of the partner asked.
	Partner string
	// Purpose names the agreement's purpose; its legal basis is taken from
	// the agreement.
	Purpose string
	// SearchType names the agreement's search type (default
	// "fingerprint_1n").
	SearchType string
	// MaxCandidates asks for at most this many candidates.
	MaxCandidates int
}

// Outcome is the state of a request sent to a partner.
type Outcome struct {
	RequestID string `json:"request_id"`
	Partner   string `json:"partner"`
	Status    string `json:"status"` // queued | answered | refused
	// Search is the answer to a search (when answered).
	Search *SearchResultBody `json:"search,omitempty"`
	// Disclosure is the answer to a disclosure request (when answered).
	Disclosure *DisclosureBody `json:"disclosure,omitempty"`
	// Receipt is the answer to a notification or a cosignature.
	Receipt *ReceiptBody `json:"receipt,omitempty"`
	// Checkpoint is the answer to a checkpoint request.
	Checkpoint *CheckpointResultBody `json:"checkpoint,omitempty"`
	// Refusal is a protocol-level refusal (bad signature, replay, ...).
	Refusal *ErrorBody `json:"refusal,omitempty"`
	// LastError is the last delivery error of a queued request.
	LastError string `json:"last_error,omitempty"`
}

// officerID returns the pseudonymous id of a local user for partners: the
// node's party id and a keyed hash of the user name, never the name.
func (x *Exchange) officerID(user string) string {
	h := Hash(append(x.cfg.Identity.SigningKey.Seed(), []byte("officer:"+user)...))
	prefix := strings.ToLower(x.self)
	if len(prefix) > 2 {
		prefix = prefix[:2]
	}
	return prefix + "-" + h[:16]
}

func allowRole(a node.Actor, roles ...node.Role) error {
	for _, r := range roles {
		if a.Role == r {
			return nil
		}
	}
	return fmt.Errorf("%w: role %q may not do this", node.ErrForbidden, a.Role)
}

// Search sends a step-1 search with probe templates (never images) to a
// partner and returns its answer. The request is first written to the
// outbox (with its audit entry), so that it survives a restart; if the
// partner cannot be reached it stays queued and the outbox (Run) retries
// it, and Search returns the queued outcome.
func (x *Exchange) Search(ctx context.Context, a node.Actor, r Request, probe []gallery.Sample) (*Outcome, error) {
	if err := allowRole(a, node.RoleOfficer, node.RoleExaminer, node.RoleSupervisor, node.RoleSystem); err != nil {
		return nil, err
	}
	if r.SearchType == "" {
		r.SearchType = "fingerprint_1n"
	}
	if len(probe) == 0 {
		return nil, fmt.Errorf("%w: no probe templates", node.ErrInvalid)
	}
	body := SearchBody{SearchType: r.SearchType, MaxCandidates: r.MaxCandidates}
	for _, s := range probe {
		iso, err := fingerprint.NewRecord(fingerprint.ISO2005, s.Template).EncodeISO()
		if err != nil {
			return nil, fmt.Errorf("exchange: encoding probe: %w", err)
		}
		body.Fingers = append(body.Fingers, FingerTemplate{Position: s.Position, ISO: iso})
	}
	return x.send(ctx, a, r.Partner, TypeSearch, r.Purpose, r.SearchType, body)
}

// send queues a request and tries to deliver it once.
func (x *Exchange) send(ctx context.Context, a node.Actor, partner, typ, purpose, searchType string, body any) (*Outcome, error) {
	ag, _, err := x.agreementWith(partner)
	if err != nil {
		return nil, err
	}
	p, ok := ag.Purpose(purpose)
	if !ok && (typ == TypeSearch || typ == TypeDisclose) {
		return nil, fmt.Errorf("%w: purpose %q is not in agreement %s", node.ErrInvalid, purpose, ag.ID)
	}
	bb, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	now := x.cfg.Now().UTC()
	m := &Message{Header: Header{RequestID: newID(), Type: typ, From: x.self, To: partner, Purpose: purpose, LegalBasis: p.LegalBasis,
		Officer: x.officerID(a.User), Time: now, AgreementHash: ag.HashHex()}, Body: bb}
	mb, _ := json.Marshal(m)
	rh := requestHash(m)
	err = x.cfg.Node.Store().Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.SQL().ExecContext(ctx, `INSERT INTO exchange_messages(direction, partner, request_id, type, purpose, search_type, officer, status, message, request_hash, day, created_at, updated_at, next_attempt)
			VALUES ('out',?,?,?,?,?,?,?,?,?,?,?,?,?)`, partner, m.RequestID, typ, purpose, searchType, a.User, StatusQueued, mb, rh, day(now), ts(now), ts(now), ts(now)); err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]any{"request_id": m.RequestID, "partner": partner, "type": typ, "search_type": searchType, "phase": "queued"})
		_, err := audit.Append(ctx, tx.SQL(), audit.Entry{Time: now, Actor: a.User, Role: string(a.Role), Action: sentAction(typ),
			Purpose: purpose, LegalBasis: p.LegalBasis, Objects: []string{m.RequestID}, RequestHash: rh, AgreementHash: m.AgreementHash, Detail: detail})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("exchange: queueing %s: %w", typ, err)
	}
	x.deliver(ctx, m.RequestID, partner, true)
	return x.Outcome(ctx, m.RequestID)
}

func sentAction(typ string) string {
	switch typ {
	case TypeCheckpoint, TypeCosignature:
		return ActionWitness
	case TypeDisclose:
		return audit.ActionDisclosure
	case TypeNotify:
		return audit.ActionNotification
	}
	return audit.ActionSearchSent
}

// client returns the HTTP client that talks to partner (pinned mutual TLS).
func (x *Exchange) client(partner, pin string) *http.Client {
	x.mu.Lock()
	defer x.mu.Unlock()
	if c, ok := x.clients[partner]; ok {
		return c
	}
	c := &http.Client{
		Transport: &http.Transport{TLSClientConfig: ClientTLSConfig(x.cfg.Identity, pin), MaxIdleConnsPerHost: 8, IdleConnTimeout: 90 * time.Second, ForceAttemptHTTP2: true},
		Timeout:   x.cfg.HTTPClientTimeout,
	}
	x.clients[partner] = c
	return c
}

func (x *Exchange) endpoint(partner, fromAgreement string) string {
	x.mu.Lock()
	defer x.mu.Unlock()
	if e, ok := x.cfg.Endpoints[partner]; ok {
		return e
	}
	return fromAgreement
}

// backoff is the wait before attempt n+1 after n failed attempts.
func backoff(n int) time.Duration {
	d := time.Second << min(n, 10)
	return min(d, 10*time.Minute)
}

// deliver makes one delivery attempt of an outbox request: it signs the
// stored message afresh (a retry is a new signature over the same request
// id, which the partner answers from its record instead of processing it
// twice), posts it and records the verified answer with its audit entry.
// Delivery errors leave the request queued with a later next attempt.
//
// One process makes one attempt of a request at a time: a request already
// being delivered (the outbox loop finding the request that Search has just
// queued and is sending) is not posted again; with wait, deliver returns
// when that attempt ends, otherwise at once. Without this, every tick of Run
// posted the search in flight a second time, which the partner answered from
// its record only after waiting for the first one's write lock.
func (x *Exchange) deliver(ctx context.Context, requestID, partner string, wait bool) {
	key := partner + "\x00" + requestID
	x.mu.Lock()
	if done, ok := x.inflight[key]; ok {
		x.mu.Unlock()
		if wait {
			select {
			case <-done:
			case <-ctx.Done():
			}
		}
		return
	}
	done := make(chan struct{})
	x.inflight[key] = done
	x.mu.Unlock()
	defer func() {
		x.mu.Lock()
		delete(x.inflight, key)
		x.mu.Unlock()
		close(done)
	}()
	x.attempt(ctx, requestID, partner)
}

// attempt is one delivery attempt of deliver.
func (x *Exchange) attempt(ctx context.Context, requestID, partner string) {
	var mb []byte
	var attempts int
	var status, officer string
	if err := x.db.QueryRowContext(ctx, `SELECT message, attempts, status, officer FROM exchange_messages WHERE direction = 'out' AND partner = ? AND request_id = ?`, partner, requestID).Scan(&mb, &attempts, &status, &officer); err != nil || status != StatusQueued {
		return
	}
	var m Message
	if err := json.Unmarshal(mb, &m); err != nil {
		x.fail(ctx, requestID, partner, nil, attempts, fmt.Errorf("stored message: %w", err), true)
		return
	}
	if m.From == "" {
		// Queued without the Exchange (ErasePerson): this node and the
		// officer's pseudonym, the same at every attempt.
		m.From, m.Officer = x.self, x.officerID(officer)
	}
	ag, _, err := x.agreementWith(partner)
	if err != nil {
		x.fail(ctx, requestID, partner, nil, attempts, err, true)
		return
	}
	m.Time = x.cfg.Now().UTC()
	m.AgreementHash = ag.HashHex()
	signed, err := x.sign(&m)
	if err != nil {
		x.fail(ctx, requestID, partner, nil, attempts, err, false)
		return
	}
	statusCode, raw, err := x.post(ctx, partner, signed)
	if err != nil {
		x.fail(ctx, requestID, partner, signed, attempts, err, false)
		return
	}
	if statusCode >= 500 {
		x.fail(ctx, requestID, partner, signed, attempts, fmt.Errorf("partner answered HTTP %d", statusCode), false)
		return
	}
	resp, _, verr := Verify(raw, x.partnerKeys(partner), x.cfg.Now(), x.cfg.MaxSkew)
	if verr != nil {
		// An unsigned refusal (the partner could not authenticate us) or a
		// forged answer: record it as a final refusal with what we know.
		var eb ErrorBody
		if statusCode >= 400 && json.Unmarshal(raw, &eb) == nil && eb.Code != "" {
			x.record(ctx, &m, partner, StatusRefused, eb.Code, "", nil, signed, raw, attempts+1)
			return
		}
		x.fail(ctx, requestID, partner, signed, attempts, fmt.Errorf("answer does not verify: %w", verr), false)
		return
	}
	if resp.InReplyTo != requestID || resp.From != partner || resp.To != x.self {
		x.fail(ctx, requestID, partner, signed, attempts, fmt.Errorf("answer is not for request %s", requestID), false)
		return
	}
	status, code, result := StatusAnswered, "", ""
	switch resp.Type {
	case TypeError:
		var eb ErrorBody
		json.Unmarshal(resp.Body, &eb)
		status, code = StatusRefused, eb.Code
	case TypeSearchResult:
		var sb SearchResultBody
		if err := json.Unmarshal(resp.Body, &sb); err != nil {
			x.fail(ctx, requestID, partner, signed, attempts, fmt.Errorf("search answer: %w", err), false)
			return
		}
		result, code = sb.Result, sb.Code
		if sb.Result == ResultRefused {
			status = StatusRefused
		}
	case TypeDisclosure:
		var db DisclosureBody
		if err := json.Unmarshal(resp.Body, &db); err != nil {
			x.fail(ctx, requestID, partner, signed, attempts, fmt.Errorf("disclosure answer: %w", err), false)
			return
		}
		result, code = db.Result, db.Code
		if db.Result == ResultRefused {
			status = StatusRefused
		}
	case TypeReceipt, TypeCheckpointResp:
		result = resp.Type
	}
	x.record(ctx, &m, partner, status, code, result, resp, signed, raw, attempts+1)
}

// record stores a final answer and logs it.
func (x *Exchange) record(ctx context.Context, m *Message, partner, status, code, result string, resp *Message, signed, raw []byte, attempts int) {
	now := x.cfg.Now().UTC()
	err := x.cfg.Node.Store().Update(ctx, func(tx *store.Tx) error {
		r, err := tx.SQL().ExecContext(ctx, `UPDATE exchange_messages SET status = ?, code = ?, result = ?, response = ?, attempts = ?, updated_at = ?, last_error = '', last_signed = ?, request_hash = ? WHERE direction = 'out' AND partner = ? AND request_id = ? AND status = 'queued'`,
			status, code, result, raw, attempts, ts(now), signed, requestHash(m), partner, m.RequestID)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return nil // answered by a concurrent attempt
		}
		objs := []string{m.RequestID}
		if resp != nil && resp.Type == TypeDisclosure {
			var db DisclosureBody
			json.Unmarshal(resp.Body, &db)
			var dbody DiscloseBody
			json.Unmarshal(m.Body, &dbody)
			objs = append(objs, dbody.Reference)
			if db.Result == ResultDisclosed {
				fb, _ := json.Marshal(db.Fields)
				if _, err := tx.SQL().ExecContext(ctx, `INSERT INTO exchange_received(partner, reference, request_id, fields, received_at, retain_until) VALUES (?,?,?,?,?,?)`,
					partner, dbody.Reference, m.RequestID, string(fb), ts(now), db.RetainUntil); err != nil {
					return err
				}
			}
		}
		detail, _ := json.Marshal(map[string]any{"request_id": m.RequestID, "partner": partner, "phase": "answered", "status": status, "code": code, "result": result})
		_, err = audit.Append(ctx, tx.SQL(), audit.Entry{Time: now, Actor: "node:" + x.self, Role: string(node.RoleSystem), Action: sentAction(m.Type),
			Purpose: m.Purpose, LegalBasis: m.LegalBasis, Objects: objs, RequestHash: requestHash(m), ResponseHash: Hash(raw), AgreementHash: m.AgreementHash, Detail: detail})
		return err
	})
	if err != nil {
		x.log.Error("exchange: recording answer", "request_id", m.RequestID, "err", err)
	}
}

// fail records a failed delivery attempt (with the signed bytes sent, when
// it got that far); final failures are not retried.
func (x *Exchange) fail(ctx context.Context, requestID, partner string, signed []byte, attempts int, cause error, final bool) {
	now := x.cfg.Now().UTC()
	status := StatusQueued
	if final {
		status = StatusFailed
	}
	x.log.Warn("exchange: delivery failed", "request_id", requestID, "partner", partner, "attempt", attempts+1, "final", final, "err", cause)
	var sv any // NULL keeps the bytes of an earlier attempt
	if signed != nil {
		sv = signed
	}
	if _, err := x.db.ExecContext(ctx, `UPDATE exchange_messages SET attempts = ?, status = ?, last_error = ?, next_attempt = ?, updated_at = ?, last_signed = coalesce(?, last_signed) WHERE direction = 'out' AND partner = ? AND request_id = ? AND status = 'queued'`,
		attempts+1, status, cause.Error(), ts(now.Add(backoff(attempts))), ts(now), sv, partner, requestID); err != nil {
		x.log.Error("exchange: recording failure", "err", err)
	}
	select {
	case x.wake <- struct{}{}:
	default:
	}
}

// Run retries queued requests whose next attempt is due until ctx ends.
// Requests survive restarts in the store; each is answered exactly once by
// the partner, however often it is retried.
func (x *Exchange) Run(ctx context.Context) error {
	tick := time.NewTicker(x.cfg.RetryInterval)
	defer tick.Stop()
	for {
		if err := x.RetryDue(ctx); err != nil && ctx.Err() == nil {
			x.log.Error("exchange: outbox", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-x.wake:
		}
	}
}

// RetryDue makes one delivery attempt of every queued request that is due.
func (x *Exchange) RetryDue(ctx context.Context) error {
	rows, err := x.db.QueryContext(ctx, `SELECT request_id, partner FROM exchange_messages WHERE direction = 'out' AND status = 'queued' AND next_attempt <= ? ORDER BY id LIMIT 100`, ts(x.cfg.Now()))
	if err != nil {
		return err
	}
	type due struct{ id, partner string }
	var list []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.id, &d.partner); err != nil {
			rows.Close()
			return err
		}
		list = append(list, d)
	}
	rows.Close()
	for _, d := range list {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		x.deliver(ctx, d.id, d.partner, false)
	}
	return nil
}

// Outcome returns the state of a request this node sent.
func (x *Exchange) Outcome(ctx context.Context, requestID string) (*Outcome, error) {
	return x.outcome(ctx, x.db, requestID)
}

func (x *Exchange) outcome(ctx context.Context, q querier, requestID string) (*Outcome, error) {
	var partner, typ, status, lastErr string
	var resp []byte
	err := q.QueryRowContext(ctx, `SELECT partner, type, status, response, last_error FROM exchange_messages WHERE direction = 'out' AND request_id = ?`, requestID).Scan(&partner, &typ, &status, &resp, &lastErr)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("exchange: request %s: %w", requestID, node.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	o := &Outcome{RequestID: requestID, Partner: partner, Status: status, LastError: lastErr}
	if len(resp) == 0 {
		return o, nil
	}
	body, ok := responseBody(resp)
	if !ok {
		// an unsigned refusal
		var eb ErrorBody
		if json.Unmarshal(resp, &eb) == nil {
			o.Refusal = &eb
		}
		return o, nil
	}
	var hdr Message
	if parts := strings.Split(string(resp), "."); len(parts) == 3 {
		json.Unmarshal(mustB64(parts[1]), &hdr)
	}
	switch hdr.Type {
	case TypeError:
		o.Refusal = new(ErrorBody)
		json.Unmarshal(body, o.Refusal)
	case TypeSearchResult:
		o.Search = new(SearchResultBody)
		json.Unmarshal(body, o.Search)
	case TypeDisclosure:
		o.Disclosure = new(DisclosureBody)
		json.Unmarshal(body, o.Disclosure)
	case TypeReceipt:
		o.Receipt = new(ReceiptBody)
		json.Unmarshal(body, o.Receipt)
	case TypeCheckpointResp:
		o.Checkpoint = new(CheckpointResultBody)
		json.Unmarshal(body, o.Checkpoint)
	}
	return o, nil
}

// Confirm records the acting examiner's decision on a partner's candidate
// (reference) returned by an earlier search. Score is computed here: the
// 1:1 score of the probe against the candidate's reference data, for the
// examiner's record.
func (x *Exchange) Confirm(ctx context.Context, a node.Actor, searchRequestID, reference, outcome, reasonCode string) (*Confirmation, error) {
	if err := allowRole(a, node.RoleExaminer, node.RoleSupervisor); err != nil {
		return nil, err
	}
	switch outcome {
	case "same", "different", "inconclusive":
	default:
		return nil, fmt.Errorf("%w: outcome %q (want same, different or inconclusive)", node.ErrInvalid, outcome)
	}
	if reasonCode == "" {
		return nil, fmt.Errorf("%w: a reason code is required", node.ErrInvalid)
	}
	o, err := x.Outcome(ctx, searchRequestID)
	if err != nil {
		return nil, err
	}
	if o.Search == nil || o.Search.Result != ResultHit {
		return nil, fmt.Errorf("%w: request %s is not an answered search with a hit", node.ErrConflict, searchRequestID)
	}
	var cand *RemoteCandidate
	for i := range o.Search.Candidates {
		if o.Search.Candidates[i].Reference == reference {
			cand = &o.Search.Candidates[i]
		}
	}
	if cand == nil {
		return nil, fmt.Errorf("%w: reference %s is not a candidate of request %s", node.ErrInvalid, reference, searchRequestID)
	}
	score, err := x.probeScore(ctx, searchRequestID, cand)
	if err != nil {
		return nil, err
	}
	now := x.cfg.Now().UTC()
	c := &Confirmation{SearchRequestID: searchRequestID, Reference: reference, Examiner: x.officerID(a.User), Outcome: outcome, ReasonCode: reasonCode, DecidedAt: now, Score: score}
	err = x.cfg.Node.Store().Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.SQL().ExecContext(ctx, `INSERT INTO exchange_confirmations(search_request_id, reference, partner, examiner, outcome, reason_code, score, decided_at) VALUES (?,?,?,?,?,?,?,?)
			ON CONFLICT (search_request_id, reference) DO UPDATE SET examiner = excluded.examiner, outcome = excluded.outcome, reason_code = excluded.reason_code, score = excluded.score, decided_at = excluded.decided_at`,
			searchRequestID, reference, o.Partner, a.User, outcome, reasonCode, score, ts(now)); err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]any{"partner_hit": true, "request_id": searchRequestID, "outcome": outcome, "reason_code": reasonCode, "score": score})
		_, err := audit.Append(ctx, tx.SQL(), audit.Entry{Time: now, Actor: a.User, Role: string(a.Role), Action: audit.ActionAdjudicate, Objects: []string{searchRequestID, reference}, Detail: detail})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("exchange: recording confirmation: %w", err)
	}
	return c, nil
}

// probeScore is the fused 1:1 score of a search's probe against a
// candidate's returned reference data.
func (x *Exchange) probeScore(ctx context.Context, requestID string, c *RemoteCandidate) (float64, error) {
	var mb []byte
	if err := x.db.QueryRowContext(ctx, `SELECT message FROM exchange_messages WHERE direction = 'out' AND request_id = ?`, requestID).Scan(&mb); err != nil {
		return 0, err
	}
	var m Message
	var sb SearchBody
	if json.Unmarshal(mb, &m) != nil || json.Unmarshal(m.Body, &sb) != nil {
		return 0, fmt.Errorf("exchange: stored request %s unreadable", requestID)
	}
	var sum float64
	var n int
	for _, pf := range sb.Fingers {
		for _, cf := range c.Fingers {
			if cf.Position != pf.Position {
				continue
			}
			a, err1 := decodeOne(pf.ISO)
			b, err2 := decodeOne(cf.ISO)
			if err1 != nil || err2 != nil {
				continue
			}
			sum += fingerprint.Compare(a, b)
			n++
		}
	}
	if n == 0 {
		return 0, nil
	}
	return sum / float64(n), nil
}

func decodeOne(iso []byte) (*fingerprint.Template, error) {
	r, err := fingerprint.DecodeISO(iso)
	if err != nil {
		return nil, err
	}
	return r.Template(0)
}

// Disclose sends a step-2 disclosure request for reference, carrying the
// examiner's confirmation recorded by Confirm. Without a recorded "same"
// confirmation nothing is sent.
func (x *Exchange) Disclose(ctx context.Context, a node.Actor, searchRequestID, reference string) (*Outcome, error) {
	if err := allowRole(a, node.RoleOfficer, node.RoleExaminer, node.RoleSupervisor); err != nil {
		return nil, err
	}
	var c Confirmation
	var partner, decided, examiner string
	err := x.db.QueryRowContext(ctx, `SELECT partner, examiner, outcome, reason_code, score, decided_at FROM exchange_confirmations WHERE search_request_id = ? AND reference = ?`,
		searchRequestID, reference).Scan(&partner, &examiner, &c.Outcome, &c.ReasonCode, &c.Score, &decided)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && c.Outcome != "same") {
		return nil, fmt.Errorf("%w: no examiner confirmed reference %s of request %s as the same person", ErrRefused, reference, searchRequestID)
	}
	if err != nil {
		return nil, err
	}
	c.SearchRequestID, c.Reference, c.Examiner = searchRequestID, reference, x.officerID(examiner)
	c.DecidedAt, _ = time.Parse(time.RFC3339Nano, decided)
	var purpose string
	x.db.QueryRowContext(ctx, `SELECT purpose FROM exchange_messages WHERE direction = 'out' AND request_id = ?`, searchRequestID).Scan(&purpose)
	return x.send(ctx, a, partner, TypeDisclose, purpose, "", DiscloseBody{Reference: reference, Confirmation: c})
}

// DiscloseUnconfirmed sends a disclosure request with the given
// confirmation as is, bypassing the local check Disclose makes. It exists so
// that tests and the demo can show that the partner refuses a request that
// lacks a valid confirmation; a node's API never calls it.
func (x *Exchange) DiscloseUnconfirmed(ctx context.Context, a node.Actor, partner, purpose, reference string, c Confirmation) (*Outcome, error) {
	return x.send(ctx, a, partner, TypeDisclose, purpose, "", DiscloseBody{Reference: reference, Confirmation: c})
}

// Received returns the fields received from partner under reference that
// are still held (not erased and not past their retention date). It logs
// nothing: it is for the node's own checks; users read received data with
// ReadReceived.
func (x *Exchange) Received(ctx context.Context, partner, reference string) (map[string]string, bool, error) {
	out, _, ok, err := x.received(ctx, x.db, partner, reference)
	return out, ok, err
}

// NotifyPartners sends a notification (erasure, correction or marking) about
// a local person to every partner that received a reference or data about
// them, and returns the outcomes (receipts when answered).
func (x *Exchange) NotifyPartners(ctx context.Context, a node.Actor, personID, kind string, fields map[string]string) ([]*Outcome, error) {
	if err := allowRole(a, node.RoleSupervisor, node.RoleSystem); err != nil {
		return nil, err
	}
	rows, err := x.db.QueryContext(ctx, `SELECT partner, reference FROM exchange_refs WHERE person_id = ? ORDER BY partner`, personID)
	if err != nil {
		return nil, err
	}
	type target struct{ partner, ref string }
	var ts []target
	for rows.Next() {
		var t target
		if err := rows.Scan(&t.partner, &t.ref); err != nil {
			rows.Close()
			return nil, err
		}
		ts = append(ts, t)
	}
	rows.Close()
	var out []*Outcome
	for _, t := range ts {
		o, err := x.send(ctx, a, t.partner, TypeNotify, "", "", NotifyBody{Kind: kind, Reference: t.ref, Fields: fields})
		if err != nil {
			return out, err
		}
		out = append(out, o)
	}
	return out, nil
}

// Replay posts again the exact signed bytes last sent for a request, as an
// attacker who captured them would, and returns the partner's refusal code
// ("" if the partner accepted them, which it must not). It exists so that
// the demo and tests can show replays are refused; it changes nothing here.
func (x *Exchange) Replay(ctx context.Context, requestID string) (string, error) {
	var partner string
	var signed []byte
	if err := x.db.QueryRowContext(ctx, `SELECT partner, last_signed FROM exchange_messages WHERE direction = 'out' AND request_id = ?`, requestID).Scan(&partner, &signed); err != nil {
		return "", fmt.Errorf("exchange: request %s: %w", requestID, err)
	}
	if len(signed) == 0 {
		return "", fmt.Errorf("exchange: request %s was never sent", requestID)
	}
	status, body, err := x.post(ctx, partner, signed)
	if err != nil {
		return "", err
	}
	if status == http.StatusOK {
		return "", nil
	}
	if b, ok := responseBody(body); ok {
		var eb ErrorBody
		json.Unmarshal(b, &eb)
		return eb.Code, nil
	}
	var eb ErrorBody
	json.Unmarshal(body, &eb)
	return eb.Code, nil
}

// post sends signed bytes to partner and returns the HTTP status and body.
func (x *Exchange) post(ctx context.Context, partner string, signed []byte) (int, []byte, error) {
	_, party, err := x.agreementWith(partner)
	if err != nil {
		return 0, nil, err
	}
	url := strings.TrimSuffix(x.endpoint(partner, party.Endpoint), "/") + MessagePath
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(signed))
	if err != nil {
		return 0, nil, err
	}
	hreq.Header.Set("Content-Type", "application/jose")
	hresp, err := x.client(partner, party.TLSPin).Do(hreq)
	if err != nil {
		return 0, nil, err
	}
	defer hresp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(hresp.Body, x.cfg.MaxBody))
	return hresp.StatusCode, raw, err
}

// PostRaw sends arbitrary bytes to partner's message endpoint over the
// pinned connection and returns the HTTP status and the refusal code, for
// tests of what a partner refuses (bad signatures, oversized bodies).
func (x *Exchange) PostRaw(ctx context.Context, partner string, body []byte) (int, string, error) {
	status, raw, err := x.post(ctx, partner, body)
	if err != nil {
		return 0, "", err
	}
	var eb ErrorBody
	if b, ok := responseBody(raw); ok {
		json.Unmarshal(b, &eb)
	} else {
		json.Unmarshal(raw, &eb)
	}
	return status, eb.Code, nil
}

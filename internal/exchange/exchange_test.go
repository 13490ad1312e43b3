package exchange_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bixproject/bix/fingerprint"
	"github.com/bixproject/bix/internal/agreement"
	"github.com/bixproject/bix/internal/audit"
	"github.com/bixproject/bix/internal/demo"
	"github.com/bixproject/bix/internal/exchange"
	"github.com/bixproject/bix/internal/gallery"
	"github.com/bixproject/bix/internal/node"
	"github.com/bixproject/bix/internal/store"
	"github.com/bixproject/bix/synth"
	"golang.org/x/mod/sumdb/tlog"
)

// fixture is two real nodes on loopback; B holds two enrolled persons.
type fixture struct {
	pair     *demo.Pair
	held     []*synth.Person
	stranger *synth.Person
}

var (
	officer  = node.Actor{User: "officer", Role: node.RoleOfficer}
	examiner = node.Actor{User: "examiner", Role: node.RoleExaminer}
)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	if testing.Short() {
		t.Skip("starts two nodes")
	}
	ctx := context.Background()
	p, err := demo.StartPair(ctx, demo.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Stop(); err != nil {
			t.Error(err)
		}
	})
	pop := synth.NewPopulation(synth.PopulationSpec{Seed: 11, Size: 3, Agency: "COL", MinorShare: -1,
		Categories: map[synth.Category]float64{synth.IrregularEntrant: 1}})
	f := &fixture{pair: p, held: pop.Persons[:2], stranger: pop.Persons[2]}
	for _, per := range f.held {
		req, err := demo.EnrollRequest(per, []int{2})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.B.Node.Enroll(ctx, officer, req); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// probe is a fresh impression of per's right index finger as a template.
func probe(t *testing.T, per *synth.Person) []gallery.Sample {
	t.Helper()
	img := per.Fingers[1].Impression(synth.SubSeed(per.Seed, 99), synth.ImpressionOptions{})
	tp, err := fingerprint.Extract(img, fingerprint.ExtractOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return []gallery.Sample{{Position: 2, Template: tp}}
}

func search(t *testing.T, x *exchange.Exchange, partner string, per *synth.Person) *exchange.Outcome {
	t.Helper()
	o, err := x.Search(context.Background(), officer, exchange.Request{Partner: partner, Purpose: "border_control"}, probe(t, per))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func auditSize(t *testing.T, p *demo.Party) int64 {
	t.Helper()
	s, err := p.Node.AuditLog().VerifySummary(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s.Size
}

func TestSearchConfirmDisclose(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a, b := f.pair.A, f.pair.B
	before := auditSize(t, b)
	hit := search(t, a.Exchange, b.Spec.ID, f.held[0])
	if hit.Status != exchange.StatusAnswered || hit.Search == nil || hit.Search.Result != exchange.ResultHit {
		t.Fatalf("search for a held person: %+v", hit)
	}
	if len(hit.Search.Candidates[0].Fingers) != 1 {
		t.Errorf("hit carries %d reference templates, want 1", len(hit.Search.Candidates[0].Fingers))
	}
	miss := search(t, a.Exchange, b.Spec.ID, f.stranger)
	if miss.Search == nil || miss.Search.Result != exchange.ResultNoHit {
		t.Fatalf("search for a stranger: %+v", miss)
	}
	if got := auditSize(t, b); got != before+2 {
		t.Errorf("partner logged %d entries for 2 searches", got-before)
	}
	ref := hit.Search.Candidates[0].Reference

	// No disclosure without a confirmation.
	if _, err := a.Exchange.Disclose(ctx, officer, hit.RequestID, ref); !errors.Is(err, exchange.ErrRefused) {
		t.Fatalf("disclose without confirmation: %v", err)
	}
	if _, err := a.Exchange.Confirm(ctx, officer, hit.RequestID, ref, "same", "minutiae-agree"); !errors.Is(err, node.ErrForbidden) {
		t.Errorf("an officer confirmed a match: %v", err)
	}
	c, err := a.Exchange.Confirm(ctx, examiner, hit.RequestID, ref, "same", "minutiae-agree")
	if err != nil {
		t.Fatal(err)
	}
	if c.Score <= fingerprint.DefaultThreshold {
		t.Errorf("examiner's 1:1 score %.3f is not above the matcher's threshold", c.Score)
	}
	d, err := a.Exchange.Disclose(ctx, officer, hit.RequestID, ref)
	if err != nil {
		t.Fatal(err)
	}
	if d.Disclosure == nil || d.Disclosure.Result != exchange.ResultDisclosed {
		t.Fatalf("disclosure: %+v", d)
	}
	want := f.held[0].GivenName + " " + f.held[0].FamilyName
	if got := d.Disclosure.Fields["name"]; got != want {
		t.Errorf("disclosed name %q, want %q", got, want)
	}
	for k := range d.Disclosure.Fields {
		if !strings.Contains("reference_id name date_of_birth nationality last_entry_date", k) {
			t.Errorf("field %q disclosed, not allowed for an irregular entrant under border_control", k)
		}
	}
	if got, ok, err := a.Exchange.Received(ctx, b.Spec.ID, ref); err != nil || !ok || got["name"] != want {
		t.Errorf("received data not kept: %v %v %v", got, ok, err)
	}

	// An unknown reference is answered as unknown.
	o, err := a.Exchange.DiscloseUnconfirmed(ctx, officer, b.Spec.ID, "border_control", "co-migracion:nope",
		exchange.Confirmation{SearchRequestID: hit.RequestID, Reference: "co-migracion:nope", Examiner: "us-1", Outcome: "same", ReasonCode: "x"})
	if err != nil || o.Disclosure == nil || o.Disclosure.Result != exchange.ResultUnknown {
		t.Errorf("unknown reference: %+v %v", o, err)
	}

	// Erasure at B propagates to A with a receipt.
	sup := node.Actor{User: "supervisor", Role: node.RoleSupervisor}
	var personID string
	for _, c := range mustCandidates(t, b, f.held[0]) {
		personID = c.PersonID
	}
	outs, err := b.Exchange.NotifyPartners(ctx, sup, personID, exchange.NotifyErasure, nil)
	if err != nil || len(outs) != 1 || outs[0].Receipt == nil || !outs[0].Receipt.Applied {
		t.Fatalf("erasure notification: %+v %v", outs, err)
	}
	if _, ok, _ := a.Exchange.Received(ctx, b.Spec.ID, ref); ok {
		t.Error("received data still held after the partner's erasure notification")
	}
}

func mustCandidates(t *testing.T, p *demo.Party, per *synth.Person) []gallery.Candidate {
	t.Helper()
	c, err := p.Node.Gallery().Identify(context.Background(), probe(t, per), gallery.Options{MaxCandidates: 1})
	if err != nil || len(c) == 0 {
		t.Fatalf("local identify: %v %v", c, err)
	}
	return c
}

// signed returns a search message from A to B signed with key at time tm.
func signed(t *testing.T, f *fixture, key ed25519.PrivateKey, tm time.Time, mutate func(*exchange.Message)) []byte {
	t.Helper()
	a, b := f.pair.A, f.pair.B
	iso, err := fingerprint.NewRecord(fingerprint.ISO2005, probe(t, f.held[1])[0].Template).EncodeISO()
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(exchange.SearchBody{SearchType: "fingerprint_1n", Fingers: []exchange.FingerTemplate{{Position: 2, ISO: iso}}})
	ag := agreementHash(t, f)
	m := &exchange.Message{Header: exchange.Header{RequestID: rand.Text(), Type: exchange.TypeSearch, From: a.Spec.ID, To: b.Spec.ID,
		Purpose: "border_control", LegalBasis: "Demo MoU art. 3 (border management)", Officer: "us-0123456789abcdef", Time: tm, AgreementHash: ag}, Body: body}
	if mutate != nil {
		mutate(m)
	}
	out, err := exchange.Sign(m, key)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func agreementHash(t *testing.T, f *fixture) string {
	t.Helper()
	ag, err := agreement.Parse(f.pair.Agreement)
	if err != nil {
		t.Fatal(err)
	}
	return ag.HashHex()
}

func TestRefusals(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a, b := f.pair.A, f.pair.B
	now := time.Now().UTC()
	_, stranger, _ := ed25519.GenerateKey(rand.Reader)
	valid := signed(t, f, a.Identity.SigningKey, now, nil)
	tampered := bytes.Clone(valid)
	sig := bytes.LastIndexByte(tampered, '.') + 10
	tampered[sig] = map[bool]byte{true: 'B', false: 'A'}[tampered[sig] == 'A']

	cases := []struct {
		name   string
		body   []byte
		status int
		code   string
	}{
		{"unknown signing key", signed(t, f, stranger, now, nil), http.StatusUnauthorized, exchange.CodeUnknownKey},
		{"bad signature", tampered, http.StatusUnauthorized, exchange.CodeBadSignature},
		{"stale timestamp", signed(t, f, a.Identity.SigningKey, now.Add(-10*time.Minute), nil), http.StatusBadRequest, exchange.CodeStale},
		{"future timestamp", signed(t, f, a.Identity.SigningKey, now.Add(10*time.Minute), nil), http.StatusBadRequest, exchange.CodeStale},
		{"wrong agreement", signed(t, f, a.Identity.SigningKey, now, func(m *exchange.Message) { m.AgreementHash = strings.Repeat("0", 64) }), http.StatusConflict, exchange.CodeWrongAgreement},
		{"wrong addressee", signed(t, f, a.Identity.SigningKey, now, func(m *exchange.Message) { m.To = "xx" }), http.StatusBadRequest, exchange.CodeWrongAddress},
		{"impersonation", signed(t, f, a.Identity.SigningKey, now, func(m *exchange.Message) { m.From = b.Spec.ID }), http.StatusUnauthorized, exchange.CodeNotAuthenticated},
		{"unknown purpose", signed(t, f, a.Identity.SigningKey, now, func(m *exchange.Message) { m.Purpose = "fishing" }), http.StatusOK, "purpose_unknown"},
		{"oversized body", make([]byte, 5<<20), http.StatusRequestEntityTooLarge, exchange.CodeTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := auditSize(t, b)
			status, code, err := a.Exchange.PostRaw(ctx, b.Spec.ID, c.body)
			if err != nil {
				t.Fatal(err)
			}
			if status != c.status || code != c.code {
				t.Errorf("got HTTP %d %q, want %d %q", status, code, c.status, c.code)
			}
			if got := auditSize(t, b); got != before+1 {
				t.Errorf("refusal logged %d entries, want 1", got-before)
			}
		})
	}

	// A request the partner answered, replayed byte for byte, is refused.
	o := search(t, a.Exchange, b.Spec.ID, f.held[0])
	code, err := a.Exchange.Replay(ctx, o.RequestID)
	if err != nil || code != exchange.CodeReplay {
		t.Errorf("replay: code %q, err %v", code, err)
	}

	// Unknown purpose is refused locally before anything is sent.
	if _, err := a.Exchange.Search(ctx, officer, exchange.Request{Partner: b.Spec.ID, Purpose: "fishing"}, probe(t, f.held[0])); !errors.Is(err, node.ErrInvalid) {
		t.Errorf("search with an unknown purpose: %v", err)
	}

	// A client certificate that is not pinned does not get past TLS.
	other, err := exchange.NewIdentity("xx", []string{"127.0.0.1"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: exchange.ClientTLSConfig(other, b.Identity.Pin())}, Timeout: 5 * time.Second}
	resp, err := hc.Post(b.ExchangeURL+exchange.MessagePath, "application/jose", strings.NewReader(string(valid)))
	if err == nil {
		resp.Body.Close()
		t.Errorf("an unpinned client certificate was accepted (HTTP %d)", resp.StatusCode)
	}
}

// TestExactlyOnce loses the partner's first answer after it processed the
// request, and has the partner down for the next attempt: the outbox retries
// with new signatures and the partner processes the request once.
func TestExactlyOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a, b := f.pair.A, f.pair.B

	var calls atomic.Int32
	h := b.Exchange.Handler()
	flaky := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			h.ServeHTTP(httptest.NewRecorder(), r) // processed and committed ...
			panic(http.ErrAbortHandler)            // ... but the answer is lost
		}
		h.ServeHTTP(w, r)
	}))
	flaky.TLS = b.Exchange.TLSConfig()
	flaky.StartTLS()
	defer flaky.Close()
	a.Exchange.SetEndpoint(b.Spec.ID, flaky.URL)

	o := search(t, a.Exchange, b.Spec.ID, f.held[0])
	if o.Status != exchange.StatusQueued {
		t.Fatalf("after a lost answer the request is %s, want queued", o.Status)
	}
	// The partner is down for a while.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "https://" + ln.Addr().String()
	ln.Close()
	a.Exchange.SetEndpoint(b.Spec.ID, down)
	forceDue(t, a)
	if o2, _ := a.Exchange.Outcome(ctx, o.RequestID); o2.Status != exchange.StatusQueued || o2.LastError == "" {
		t.Fatalf("with the partner down: %+v", o2)
	}
	// Back up: the retry gets the answer given the first time.
	a.Exchange.SetEndpoint(b.Spec.ID, flaky.URL)
	forceDue(t, a)
	o3, err := a.Exchange.Outcome(ctx, o.RequestID)
	if err != nil || o3.Status != exchange.StatusAnswered || o3.Search == nil || o3.Search.Result != exchange.ResultHit {
		t.Fatalf("after the partner came back: %+v %v", o3, err)
	}
	recs, err := b.Exchange.Show(ctx, o.RequestID)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Direction != "in" {
		t.Fatalf("partner holds %d records of the request, want 1", len(recs))
	}
}

// forceDue makes every queued request of p due now and retries them.
func forceDue(t *testing.T, p *demo.Party) {
	t.Helper()
	if _, err := p.Node.Store().DB().Exec(`UPDATE exchange_messages SET next_attempt = '' WHERE status = 'queued'`); err != nil {
		t.Fatal(err)
	}
	if err := p.Exchange.RetryDue(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestWitnessing has each node witness the other's audit log twice (so the
// second time with a consistency proof), then shows that a partner whose
// log no longer extends what was witnessed is caught.
func TestWitnessing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a, b := f.pair.A, f.pair.B
	for round := 0; round < 2; round++ {
		search(t, a.Exchange, b.Spec.ID, f.held[0]) // both logs grow
		if _, err := a.Exchange.WitnessPartner(ctx, b.Spec.ID); err != nil {
			t.Fatalf("round %d: A witnessing B: %v", round, err)
		}
		if _, err := b.Exchange.WitnessPartner(ctx, a.Spec.ID); err != nil {
			t.Fatalf("round %d: B witnessing A: %v", round, err)
		}
	}
	// B's latest checkpoint carries A's cosignature.
	cp, err := b.Node.AuditLog().LatestCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(cp), "\n— ") < 2 {
		t.Errorf("B's checkpoint has no witness cosignature:\n%s", cp)
	}

	// B rewrites its history: it drops its latest entries (with their
	// hashes and checkpoints) and goes on logging, so that its log is again
	// self-consistent and verifies, but is no longer an extension of what
	// A witnessed. A's next witnessing catches it and raises an alert.
	_, witnessed, err := a.Node.AuditLog().LastWitnessed(ctx, b.Spec.ID)
	if err != nil || witnessed < 4 {
		t.Fatalf("A witnessed B at size %d (%v)", witnessed, err)
	}
	k := witnessed - 3
	db := b.Node.Store().DB()
	for _, q := range []struct {
		sql string
		arg int64
	}{
		{`DELETE FROM audit_entries WHERE idx >= ?`, k},
		{`DELETE FROM audit_hashes WHERE id >= ?`, tlog.StoredHashCount(k)},
		{`DELETE FROM audit_checkpoints WHERE size > ?`, k},
	} {
		if _, err := db.Exec(q.sql, q.arg); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 3; i++ {
		search(t, a.Exchange, b.Spec.ID, f.stranger)
	}
	if err := b.Node.AuditLog().Verify(ctx); err != nil {
		t.Fatalf("B's rewritten log should verify on its own: %v", err)
	}
	if _, err := a.Exchange.WitnessPartner(ctx, b.Spec.ID); !errors.Is(err, audit.ErrInconsistent) {
		t.Fatalf("witnessing a rewritten log: got %v, want ErrInconsistent", err)
	}
	alerts, err := a.Node.AuditLog().Alerts(ctx)
	if err != nil || len(alerts) == 0 {
		t.Fatalf("no alert raised at A (%v)", err)
	}
}

// TestErasureNoticeSurvivesCrash erases a person whose reference A holds
// data under, in B's store, and "crashes" B after the erasure commits and
// before any notification reaches A (B's running exchange cannot reach A,
// and NotifyReferences is never called). The notification is in the
// outbox of the erasure's transaction; a new Exchange on B's store (the
// restarted node) delivers it from there, once, and later retries and a
// late NotifyReferences do not send it again.
func TestErasureNoticeSurvivesCrash(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a, b := f.pair.A, f.pair.B
	hit := search(t, a.Exchange, b.Spec.ID, f.held[0])
	if hit.Search == nil || hit.Search.Result != exchange.ResultHit {
		t.Fatalf("search: %+v", hit)
	}
	ref := hit.Search.Candidates[0].Reference
	if _, err := a.Exchange.Confirm(ctx, examiner, hit.RequestID, ref, "same", "minutiae-agree"); err != nil {
		t.Fatal(err)
	}
	if d, err := a.Exchange.Disclose(ctx, officer, hit.RequestID, ref); err != nil || d.Disclosure == nil || d.Disclosure.Result != exchange.ResultDisclosed {
		t.Fatalf("disclosure: %+v %v", d, err)
	}
	personID := mustCandidates(t, b, f.held[0])[0].PersonID

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	b.Exchange.SetEndpoint(a.Spec.ID, "https://"+ln.Addr().String())

	// A rolled-back erasure queues nothing.
	errAbort := errors.New("abort")
	if err := b.Node.Store().Update(ctx, func(tx *store.Tx) error {
		if _, err := exchange.ErasePerson(ctx, tx.SQL(), personID, "erased:test"); err != nil {
			return err
		}
		return errAbort
	}); !errors.Is(err, errAbort) {
		t.Fatal(err)
	}
	if n := outboxNotices(t, b, ""); n != 0 {
		t.Fatalf("a rolled-back erasure left %d notifications", n)
	}
	var refs []exchange.PartnerRef
	if err := b.Node.Store().Update(ctx, func(tx *store.Tx) error {
		refs, err = exchange.ErasePerson(ctx, tx.SQL(), personID, "erased:test")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(refs) != 1 || refs[0].Reference != ref || refs[0].Partner != a.Spec.ID {
		t.Fatalf("erased references %+v, want %s at %s", refs, ref, a.Spec.ID)
	}
	if n := outboxNotices(t, b, exchange.StatusQueued); n != 1 {
		t.Fatalf("after the erasure committed the outbox holds %d queued notifications, want 1", n)
	}
	if _, ok, _ := a.Exchange.Received(ctx, b.Spec.ID, ref); !ok {
		t.Fatal("A lost the data before any notification reached it")
	}

	// The restart: a new exchange on B's store, the outbox due.
	ag, err := agreement.Parse(f.pair.Agreement)
	if err != nil || ag.Verify() != nil {
		t.Fatal(err)
	}
	restarted, err := exchange.New(ctx, exchange.Config{Node: b.Node, Identity: b.Identity, Agreements: []*agreement.Agreement{ag},
		Endpoints: map[string]string{a.Spec.ID: a.ExchangeURL}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Node.Store().DB().Exec(`UPDATE exchange_messages SET next_attempt = '' WHERE status = 'queued'`); err != nil {
		t.Fatal(err)
	}
	if err := restarted.RetryDue(ctx); err != nil {
		t.Fatal(err)
	}
	if n := outboxNotices(t, b, exchange.StatusAnswered); n != 1 {
		t.Fatalf("after the restart %d notifications are answered, want 1", n)
	}
	if _, ok, _ := a.Exchange.Received(ctx, b.Spec.ID, ref); ok {
		t.Error("A still holds the erased person's data")
	}
	// Once: another round and a late NotifyReferences return the receipt
	// given, and A recorded one notification.
	if err := restarted.RetryDue(ctx); err != nil {
		t.Fatal(err)
	}
	outs, err := restarted.NotifyReferences(ctx, node.Actor{User: "retention", Role: node.RoleSystem}, refs, exchange.NotifyErasure, nil)
	if err != nil || len(outs) != 1 || outs[0].Receipt == nil || !outs[0].Receipt.Applied {
		t.Fatalf("late NotifyReferences: %+v %v", outs, err)
	}
	var got int
	if err := a.Node.Store().DB().QueryRow(`SELECT count(*) FROM exchange_messages WHERE direction = 'in' AND type = 'notify' AND partner = ?`, b.Spec.ID).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != 1 || outboxNotices(t, b, "") != 1 {
		t.Errorf("A received %d notifications, B's outbox holds %d; want 1 and 1", got, outboxNotices(t, b, ""))
	}
}

// outboxNotices counts p's outgoing notifications with status ("" any).
func outboxNotices(t *testing.T, p *demo.Party, status string) int {
	t.Helper()
	var n int
	if err := p.Node.Store().DB().QueryRow(`SELECT count(*) FROM exchange_messages WHERE direction = 'out' AND type = 'notify' AND (? = '' OR status = ?)`, status, status).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestOneAttemptInFlight holds B's answer to a search while A's outbox
// looks for due requests: the request in flight is not posted a second
// time (it used to be, on every tick of Run, and the duplicate waited for
// B's write lock).
func TestOneAttemptInFlight(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a, b := f.pair.A, f.pair.B
	var posts atomic.Int32
	hold := make(chan struct{})
	h := b.Exchange.Handler()
	slow := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if posts.Add(1) == 1 {
			<-hold
		}
		h.ServeHTTP(w, r)
	}))
	slow.TLS = b.Exchange.TLSConfig()
	slow.StartTLS()
	defer slow.Close()
	a.Exchange.SetEndpoint(b.Spec.ID, slow.URL)

	done := make(chan *exchange.Outcome)
	go func() {
		o, err := a.Exchange.Search(ctx, officer, exchange.Request{Partner: b.Spec.ID, Purpose: "border_control"}, probe(t, f.held[0]))
		if err != nil {
			t.Error(err)
		}
		done <- o
	}()
	for posts.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	retried := make(chan error)
	go func() { retried <- a.Exchange.RetryDue(ctx) }()
	select {
	case err := <-retried:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("RetryDue waited for the attempt in flight")
	}
	close(hold)
	o := <-done
	if o == nil || o.Status != exchange.StatusAnswered || o.Search == nil || o.Search.Result != exchange.ResultHit {
		t.Fatalf("search: %+v", o)
	}
	if n := posts.Load(); n != 1 {
		t.Errorf("the search was posted %d times, want once", n)
	}
}

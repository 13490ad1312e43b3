package exchange_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"image/png"
	"maps"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bixproject/bix/fingerprint"
	"github.com/bixproject/bix/internal/agreement"
	"github.com/bixproject/bix/internal/audit"
	"github.com/bixproject/bix/internal/demo"
	"github.com/bixproject/bix/internal/exchange"
	"github.com/bixproject/bix/internal/node"
	"github.com/bixproject/bix/synth"
)

// agreementAC is the A–C agreement's terms, narrower than the demo
// agreement A and B share: border control only (no serious_crime purpose),
// and for an irregular entrant only the reference and the nationality are
// disclosed (A–B also discloses name, date of birth and last entry). The
// daily quota of fingerprint searches is set by the test.
const agreementAC = `# A–C: border control only, few fields, a small quota.
bix_agreement: 1
id: demo-us-mex
version: 1
title: Narrow demo exchange for border management
valid_from: {{.From}}
valid_until: {{.Until}}

parties:
{{- range .Parties}}
  - id: {{.ID}}
    name: {{.Name}}
    country: {{.Country}}
    endpoint: {{.Endpoint}}
    tls_spki_sha256: {{.Pin}}
    signing_keys:
      - {{.Key}}
{{- end}}

categories: [asylum_applicant, refugee, irregular_entrant, resident, visa_applicant, criminal_record, citizen]
protected_categories: [asylum_applicant]

purposes:
  - id: border_control
    legal_basis: "Demo US-MEX arrangement art. 2 (border management)"
    search_types: [fingerprint_1n]
    search_categories: [irregular_entrant, visa_applicant]
    disclose:
      irregular_entrant: [reference_id, nationality]
      visa_applicant: [reference_id]

search_types:
  fingerprint_1n: {max_candidates: 1, daily_quota: {{.Quota}}}

retention:
  default_days: 30

minors:
  age_below: 14
  search_purposes: []
  disclose_fields: [reference_id]
`

// trio is three real nodes on loopback: A shares the demo agreement with B
// and agreementAC with C; B and C share none.
type trio struct {
	a, b, c      *demo.Party
	agAB, agAC   *agreement.Agreement
	shared       *synth.Person // held by B and by C
	onlyB, onlyC *synth.Person
}

// quotaAC is the A–C agreement's daily quota of fingerprint searches.
const quotaAC = 2

func newTrio(t *testing.T) *trio {
	t.Helper()
	if testing.Short() {
		t.Skip("starts three nodes")
	}
	ctx := context.Background()
	dir, now := t.TempDir(), time.Now()
	specs := []demo.PartySpec{
		{ID: "us-dhs", Name: "United States (demo node)", Country: "USA"},
		{ID: "co-migracion", Name: "Colombia (demo node)", Country: "COL"},
		{ID: "mx-inm", Name: "Mexico (demo node)", Country: "MEX"},
	}
	var staged []*demo.Staged
	for _, s := range specs {
		st, err := demo.StageParty(s, filepath.Join(dir, s.ID), now)
		if err != nil {
			t.Fatal(err)
		}
		staged = append(staged, st)
	}
	fileAB, err := demo.WriteAgreement(demo.AgreementSpec{Now: now}, staged[0], staged[1])
	if err != nil {
		t.Fatal(err)
	}
	fileAC, err := demo.WriteAgreement(demo.AgreementSpec{Template: agreementAC, DailyQuota: quotaAC, Now: now}, staged[0], staged[2])
	if err != nil {
		t.Fatal(err)
	}
	var parties []*demo.Party
	for i, files := range [][][]byte{{fileAB, fileAC}, {fileAB}, {fileAC}} {
		p, err := demo.StartParty(ctx, staged[i], files, demo.Options{})
		if err != nil {
			for _, st := range staged[i:] {
				st.Close()
			}
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := p.Stop(); err != nil {
				t.Error(err)
			}
		})
		parties = append(parties, p)
	}
	tr := &trio{a: parties[0], b: parties[1], c: parties[2], agAB: mustParse(t, fileAB), agAC: mustParse(t, fileAC)}

	pop := synth.NewPopulation(synth.PopulationSpec{Seed: 23, Size: 3, Agency: "USA", MinorShare: -1,
		Categories: map[synth.Category]float64{synth.IrregularEntrant: 1}})
	tr.shared, tr.onlyB, tr.onlyC = pop.Persons[0], pop.Persons[1], pop.Persons[2]
	// C enrolled the shared person from an impression of its own, as two
	// agencies that met the person at different times would.
	enroll(t, tr.b, tr.shared, 0)
	enroll(t, tr.c, tr.shared, 7)
	enroll(t, tr.b, tr.onlyB, 0)
	enroll(t, tr.c, tr.onlyC, 0)
	return tr
}

func mustParse(t *testing.T, file []byte) *agreement.Agreement {
	t.Helper()
	ag, err := agreement.Parse(file)
	if err != nil {
		t.Fatal(err)
	}
	return ag
}

// enroll enrolls per's right index finger at p: the impression of per's
// first encounter, or, with seed ≠ 0, another impression of the finger.
func enroll(t *testing.T, p *demo.Party, per *synth.Person, seed uint64) {
	t.Helper()
	req, err := demo.EnrollRequest(per, []int{2})
	if err != nil {
		t.Fatal(err)
	}
	if seed != 0 {
		var buf bytes.Buffer
		if err := png.Encode(&buf, per.Fingers[1].Impression(synth.SubSeed(per.Seed, seed), synth.ImpressionOptions{})); err != nil {
			t.Fatal(err)
		}
		req.Fingers[0].Image = buf.Bytes()
	}
	if _, err := p.Node.Enroll(context.Background(), officer, req); err != nil {
		t.Fatal(err)
	}
}

// searchFor searches partner for per under purpose.
func searchFor(t *testing.T, from *demo.Party, partner, purpose string, per *synth.Person) *exchange.Outcome {
	t.Helper()
	o, err := from.Exchange.Search(context.Background(), officer, exchange.Request{Partner: partner, Purpose: purpose}, probe(t, per))
	if err != nil {
		t.Fatalf("search of %s for %s: %v", partner, purpose, err)
	}
	return o
}

// hitRef returns the single candidate's reference of an answered hit.
func hitRef(t *testing.T, o *exchange.Outcome) string {
	t.Helper()
	if o.Status != exchange.StatusAnswered || o.Search == nil || o.Search.Result != exchange.ResultHit || len(o.Search.Candidates) != 1 {
		t.Fatalf("search of %s: want one hit, got %+v", o.Partner, o)
	}
	return o.Search.Candidates[0].Reference
}

// answer returns the partner's signed answer to a request A sent, verified
// with the signing key of from (the party expected to have answered).
func answer(t *testing.T, a *demo.Party, requestID string, from *demo.Party) (*exchange.Message, error) {
	t.Helper()
	var raw []byte
	if err := a.Node.Store().DB().QueryRow(`SELECT response FROM exchange_messages WHERE direction = 'out' AND request_id = ?`, requestID).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	pub := from.Identity.SigningPublicKey()
	m, _, err := exchange.Verify(raw, map[string]ed25519.PublicKey{exchange.KeyID(pub): pub}, time.Now(), 5*time.Minute)
	return m, err
}

// entries returns p's whole audit log.
func entries(t *testing.T, p *demo.Party) []audit.Entry {
	t.Helper()
	ctx := context.Background()
	n, err := p.Node.AuditLog().Size(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ies, err := p.Node.AuditLog().Entries(ctx, audit.RoleAuditor, 0, n)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]audit.Entry, len(ies))
	for i, ie := range ies {
		out[i] = ie.Entry
	}
	return out
}

// craft signs a search message for a fresh request id with key.
func craft(t *testing.T, key ed25519.PrivateKey, from, to, agreementHash, purpose string, per *synth.Person) []byte {
	t.Helper()
	iso, err := fingerprint.NewRecord(fingerprint.ISO2005, probe(t, per)[0].Template).EncodeISO()
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(exchange.SearchBody{SearchType: "fingerprint_1n", Fingers: []exchange.FingerTemplate{{Position: 2, ISO: iso}}})
	m := &exchange.Message{Header: exchange.Header{RequestID: rand.Text(), Type: exchange.TypeSearch, From: from, To: to, Purpose: purpose,
		LegalBasis: "Demo MoU art. 4 (serious crime and terrorism)", Officer: "us-0123456789abcdef", Time: time.Now().UTC(), AgreementHash: agreementHash}, Body: body}
	out, err := exchange.Sign(m, key)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestThreePartners has A exchange with B and with C, each under its own
// agreement with its own terms, about a person both hold; B and C share no
// agreement and cannot reach each other, and what each tells A about the
// person cannot be linked by A except through its own examiner.
func TestThreePartners(t *testing.T) {
	tr := newTrio(t)
	ctx := context.Background()
	a, b, c := tr.a, tr.b, tr.c
	abHash, acHash := tr.agAB.HashHex(), tr.agAC.HashHex()
	if abHash == acHash {
		t.Fatal("the two agreements have the same hash")
	}

	// (1) A finds the shared person at both partners, each answer under
	// its own agreement.
	hitB := searchFor(t, a, b.Spec.ID, "border_control", tr.shared)
	hitC := searchFor(t, a, c.Spec.ID, "border_control", tr.shared)
	refB, refC := hitRef(t, hitB), hitRef(t, hitC)
	for _, x := range []struct {
		o              *exchange.Outcome
		from, stranger *demo.Party
		hash           string
	}{{hitB, b, c, abHash}, {hitC, c, b, acHash}} {
		m, err := answer(t, a, x.o.RequestID, x.from)
		if err != nil {
			t.Fatalf("%s's answer does not verify with its key: %v", x.from.Spec.ID, err)
		}
		if m.From != x.from.Spec.ID || m.AgreementHash != x.hash {
			t.Errorf("answer from %s carries agreement %s, want %s", m.From, m.AgreementHash, x.hash)
		}
		if _, err := answer(t, a, x.o.RequestID, x.stranger); !errors.Is(err, exchange.ErrUnknownKey) {
			t.Errorf("%s's answer verifies with %s's key: %v", x.from.Spec.ID, x.stranger.Spec.ID, err)
		}
		// A's entries for the request (queued, answered) and the
		// partner's entry for it name the agreement they were made under.
		var rh string
		var logged int
		for _, e := range entries(t, a) {
			if slices.Contains(e.Objects, x.o.RequestID) {
				logged++
				rh = e.RequestHash
				if e.AgreementHash != x.hash {
					t.Errorf("A's %s entry for the search of %s names agreement %s, want %s", e.Action, x.from.Spec.ID, e.AgreementHash, x.hash)
				}
			}
		}
		if logged != 2 || rh == "" {
			t.Fatalf("A logged %d entries for its search of %s, want 2", logged, x.from.Spec.ID)
		}
		for _, p := range []*demo.Party{x.from, x.stranger} {
			var n int
			for _, e := range entries(t, p) {
				if e.RequestHash == rh {
					n++
					if e.AgreementHash != x.hash || e.Action != audit.ActionSearchReceived {
						t.Errorf("%s logged A's search as %s under agreement %s, want %s", p.Spec.ID, e.Action, e.AgreementHash, x.hash)
					}
				}
			}
			if want := map[bool]int{true: 1, false: 0}[p == x.from]; n != want {
				t.Errorf("%s logged %d entries for A's search of %s, want %d", p.Spec.ID, n, x.from.Spec.ID, want)
			}
		}
	}
	// Each holds only its own persons.
	for _, x := range []struct {
		partner *demo.Party
		per     *synth.Person
	}{{b, tr.onlyC}, {c, tr.onlyB}} {
		if o := searchFor(t, a, x.partner.Spec.ID, "border_control", x.per); o.Search == nil || o.Search.Result != exchange.ResultNoHit {
			t.Errorf("%s answered a search for a person it does not hold: %+v", x.partner.Spec.ID, o)
		}
	}
	// C has now answered quotaAC searches today.

	// (2) Each partner applies its own terms. After the examiner's
	// confirmation B discloses what A–B allows, C only what A–C allows.
	var received []map[string]string
	for _, x := range []struct {
		o    *exchange.Outcome
		ref  string
		want []string
	}{
		{hitB, refB, []string{"date_of_birth", "last_entry_date", "name", "nationality", "reference_id"}},
		{hitC, refC, []string{"nationality", "reference_id"}},
	} {
		if _, err := a.Exchange.Confirm(ctx, examiner, x.o.RequestID, x.ref, "same", "minutiae-agree"); err != nil {
			t.Fatal(err)
		}
		d, err := a.Exchange.Disclose(ctx, officer, x.o.RequestID, x.ref)
		if err != nil || d.Disclosure == nil || d.Disclosure.Result != exchange.ResultDisclosed {
			t.Fatalf("disclosure by %s: %+v %v", x.o.Partner, d, err)
		}
		if got := slices.Sorted(maps.Keys(d.Disclosure.Fields)); !slices.Equal(got, x.want) {
			t.Errorf("%s disclosed %v, want %v", x.o.Partner, got, x.want)
		}
		if d.Disclosure.Fields["reference_id"] != x.ref {
			t.Errorf("%s disclosed reference_id %q for reference %q", x.o.Partner, d.Disclosure.Fields["reference_id"], x.ref)
		}
		received = append(received, d.Disclosure.Fields)
	}
	if want := tr.shared.GivenName + " " + tr.shared.FamilyName; received[0]["name"] != want {
		t.Errorf("B disclosed name %q, want %q", received[0]["name"], want)
	}
	retainB, retainC := retention(t, a, b.Spec.ID, refB), retention(t, a, c.Spec.ID, refC)
	if today := time.Now().UTC(); retainB != today.AddDate(0, 0, 90).Format("2006-01-02") || retainC != today.AddDate(0, 0, 30).Format("2006-01-02") {
		t.Errorf("A may keep B's data until %s and C's until %s, want 90 and 30 days", retainB, retainC)
	}

	// serious_crime is a purpose of A–B only: B answers it; A does not send
	// it to C, and C refuses it when it comes anyway.
	if ref := hitRef(t, searchFor(t, a, b.Spec.ID, "serious_crime", tr.shared)); ref != refB {
		t.Errorf("B gave A reference %s for the person it gave as %s before", ref, refB)
	}
	if _, err := a.Exchange.Search(ctx, officer, exchange.Request{Partner: c.Spec.ID, Purpose: "serious_crime"}, probe(t, tr.shared)); !errors.Is(err, node.ErrInvalid) {
		t.Errorf("A sent C a search for a purpose outside A–C: %v", err)
	}
	status, code, err := a.Exchange.PostRaw(ctx, c.Spec.ID, craft(t, a.Identity.SigningKey, a.Spec.ID, c.Spec.ID, acHash, "serious_crime", tr.shared))
	if err != nil || status != http.StatusOK || code != agreement.CodePurposeUnknown {
		t.Errorf("C answered a serious_crime search with HTTP %d %q (%v), want 200 %q", status, code, err, agreement.CodePurposeUnknown)
	}
	// C's quota is spent, B's is not.
	overC := searchFor(t, a, c.Spec.ID, "border_control", tr.shared)
	if overC.Status != exchange.StatusRefused || overC.Search == nil || overC.Search.Result != exchange.ResultRefused || overC.Search.Code != agreement.CodeQuotaExceeded {
		t.Errorf("search %d of C today: %+v, want refused %s", quotaAC+1, overC, agreement.CodeQuotaExceeded)
	}
	if m, err := answer(t, a, overC.RequestID, c); err != nil || m.AgreementHash != acHash {
		t.Errorf("C's refusal: %v, agreement %v", err, m)
	}
	hitRef(t, searchFor(t, a, b.Spec.ID, "border_control", tr.shared))

	// (3) B and C are not partners. B's exchange has no way to C ...
	if _, err := b.Exchange.Search(ctx, officer, exchange.Request{Partner: c.Spec.ID, Purpose: "border_control"}, probe(t, tr.shared)); !errors.Is(err, exchange.ErrNoAgreement) {
		t.Errorf("B searched C: %v", err)
	}
	// ... and C's TLS does not admit B's certificate, where it admits A's.
	body := craft(t, b.Identity.SigningKey, b.Spec.ID, c.Spec.ID, abHash, "border_control", tr.shared)
	post := func(id *exchange.Identity, to *demo.Party) (*http.Response, error) {
		hc := &http.Client{Transport: &http.Transport{TLSClientConfig: exchange.ClientTLSConfig(id, to.Identity.Pin())}, Timeout: 5 * time.Second}
		defer hc.CloseIdleConnections()
		return hc.Post(to.ExchangeURL+exchange.MessagePath, "application/jose", bytes.NewReader(body))
	}
	cBefore := auditSize(t, c)
	if resp, err := post(b.Identity, c); err == nil {
		resp.Body.Close()
		t.Errorf("C accepted B's connection (HTTP %d)", resp.StatusCode)
	}
	if resp, err := post(c.Identity, b); err == nil {
		resp.Body.Close()
		t.Errorf("B accepted C's connection (HTTP %d)", resp.StatusCode)
	}
	if got := auditSize(t, c); got != cBefore {
		t.Errorf("C logged %d entries for a connection it refused", got-cBefore)
	}
	if resp, err := post(a.Identity, c); err != nil {
		t.Errorf("A cannot connect to C: %v", err)
	} else if resp.Body.Close(); resp.StatusCode != http.StatusUnauthorized {
		// A's connection, B's signature: refused by C, but at the
		// message, not at TLS.
		t.Errorf("C answered a message signed by B over A's connection with HTTP %d", resp.StatusCode)
	}

	// A's messages to C are not accepted by B: the very bytes A sent C,
	// re-addressed, or claiming to come from C.
	var sentToC []byte
	if err := a.Node.Store().DB().QueryRow(`SELECT last_signed FROM exchange_messages WHERE direction = 'out' AND request_id = ?`, hitC.RequestID).Scan(&sentToC); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		body   []byte
		status int
		code   string
	}{
		{"A's search of C", sentToC, http.StatusBadRequest, exchange.CodeWrongAddress},
		{"re-addressed to B under A–C", craft(t, a.Identity.SigningKey, a.Spec.ID, b.Spec.ID, acHash, "border_control", tr.shared), http.StatusConflict, exchange.CodeWrongAgreement},
		{"from C, signed by A", craft(t, a.Identity.SigningKey, c.Spec.ID, b.Spec.ID, abHash, "border_control", tr.shared), http.StatusUnauthorized, exchange.CodeNotAuthenticated},
		{"from C, signed by C, relayed by A", craft(t, c.Identity.SigningKey, c.Spec.ID, b.Spec.ID, abHash, "border_control", tr.shared), http.StatusUnauthorized, exchange.CodeUnknownKey},
	}
	for _, x := range cases {
		before := auditSize(t, b)
		status, code, err := a.Exchange.PostRaw(ctx, b.Spec.ID, x.body)
		if err != nil || status != x.status || code != x.code {
			t.Errorf("%s, posted to B: HTTP %d %q (%v), want %d %q", x.name, status, code, err, x.status, x.code)
		}
		if got := auditSize(t, b); got != before+1 {
			t.Errorf("%s: B logged %d entries for the refusal, want 1", x.name, got-before)
		}
	}
	if _, err := b.Exchange.Show(ctx, hitC.RequestID); !errors.Is(err, node.ErrNotFound) {
		t.Errorf("B recorded A's search of C: %v", err)
	}

	// (4) B and C name the person by unrelated references, each resolvable
	// only by its issuer for A.
	personB, personC := mustCandidates(t, b, tr.shared)[0].PersonID, mustCandidates(t, c, tr.shared)[0].PersonID
	idB, okB := strings.CutPrefix(refB, b.Spec.ID+":")
	idC, okC := strings.CutPrefix(refC, c.Spec.ID+":")
	if !okB || !okC || idB == idC || len(idB) != 36 || len(idC) != 36 {
		t.Errorf("references %q and %q: want each issuer's prefix and a random id of its own", refB, refC)
	}
	for _, ref := range []string{refB, refC} {
		for _, s := range []string{personB, personC, tr.shared.GivenName, tr.shared.FamilyName} {
			if strings.Contains(ref, s) {
				t.Errorf("reference %s contains %q", ref, s)
			}
		}
	}
	if bytes.Equal(hitB.Search.Candidates[0].Fingers[0].ISO, hitC.Search.Candidates[0].Fingers[0].ISO) {
		t.Error("B and C returned the same reference template bytes")
	}
	// A partner does not resolve the other's reference, even with a
	// confirmation naming it.
	for _, x := range []struct {
		partner *demo.Party
		o       *exchange.Outcome
		ref     string
	}{{c, hitC, refB}, {b, hitB, refC}} {
		conf := exchange.Confirmation{SearchRequestID: x.o.RequestID, Reference: x.ref, Examiner: "us-0123456789abcdef", Outcome: "same", ReasonCode: "minutiae-agree", DecidedAt: time.Now().UTC()}
		d, err := a.Exchange.DiscloseUnconfirmed(ctx, officer, x.partner.Spec.ID, "border_control", x.ref, conf)
		if err != nil || d.Disclosure == nil || d.Disclosure.Result != exchange.ResultUnknown || len(d.Disclosure.Fields) != 0 {
			t.Errorf("%s asked to disclose the other's reference %s: %+v %v", x.partner.Spec.ID, x.ref, d, err)
		}
	}
	// Neither partner holds a reference, a message or a disclosure about
	// the other.
	for _, p := range []*demo.Party{b, c} {
		var n int
		if err := p.Node.Store().DB().QueryRow(`SELECT (SELECT count(*) FROM exchange_refs WHERE partner != ?) + (SELECT count(*) FROM exchange_messages WHERE partner != ?)
			+ (SELECT count(*) FROM exchange_disclosed WHERE partner != ?)`, a.Spec.ID, a.Spec.ID, a.Spec.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s holds %d exchange records with a party other than A", p.Spec.ID, n)
		}
	}
	// What joins the two references at A is its examiner's confirmations,
	// each of the shared person's probe against one partner's candidate;
	// the data received under them share no reference.
	rows, err := a.Node.Store().DB().Query(`SELECT partner, reference, examiner, outcome FROM exchange_confirmations ORDER BY partner`)
	if err != nil {
		t.Fatal(err)
	}
	var confs []string
	for rows.Next() {
		var partner, ref, ex, outcome string
		if err := rows.Scan(&partner, &ref, &ex, &outcome); err != nil {
			t.Fatal(err)
		}
		confs = append(confs, strings.Join([]string{partner, ref, ex, outcome}, " "))
	}
	rows.Close()
	want := []string{b.Spec.ID + " " + refB + " examiner same", c.Spec.ID + " " + refC + " examiner same"}
	if !slices.Equal(confs, want) {
		t.Errorf("A's confirmations %q, want %q", confs, want)
	}
	if received[0]["reference_id"] == received[1]["reference_id"] {
		t.Error("B and C disclosed the same reference_id")
	}
}

// retention returns the date until which a may keep what partner
// disclosed under ref.
func retention(t *testing.T, a *demo.Party, partner, ref string) string {
	t.Helper()
	var until string
	if err := a.Node.Store().DB().QueryRow(`SELECT retain_until FROM exchange_received WHERE partner = ? AND reference = ? AND erased = 0`, partner, ref).Scan(&until); err != nil {
		t.Fatal(err)
	}
	return until
}

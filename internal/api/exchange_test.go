package api_test

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/bixproject/bix/internal/api"
	"github.com/bixproject/bix/internal/audit"
	"github.com/bixproject/bix/internal/demo"
	"github.com/bixproject/bix/internal/exchange"
	"github.com/bixproject/bix/internal/node"
	"github.com/bixproject/bix/internal/store"
	"github.com/bixproject/bix/synth"
)

// apiStatus returns the HTTP status of an API error (0 for nil, -1 for
// other errors).
func apiStatus(err error) int {
	var e *api.Error
	switch {
	case err == nil:
		return 0
	case errors.As(err, &e):
		return e.Status
	}
	return -1
}

// freshFinger is a new impression of per's finger at pos as PNG.
func freshFinger(t *testing.T, per *synth.Person, pos int) node.FingerImage {
	t.Helper()
	img := per.Fingers[pos-1].Impression(synth.SubSeed(per.Seed, 99), synth.ImpressionOptions{})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return node.FingerImage{Position: pos, Image: buf.Bytes()}
}

// TestExchangeRoutes drives the partner exchange through two real nodes'
// APIs on loopback: node A's officer searches node B (hit and no-hit), an
// examiner confirms the candidate, the officer asks for disclosure and
// reads the data received; roles, unknown partners and unconfirmed
// disclosures are refused; both nodes list the messages.
func TestExchangeRoutes(t *testing.T) {
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
	pop := synth.NewPopulation(synth.PopulationSpec{Seed: 21, Size: 3, Agency: "COL", MinorShare: -1,
		Categories: map[synth.Category]float64{synth.IrregularEntrant: 1}})
	held, stranger := pop.Persons[0], pop.Persons[2]
	for _, per := range pop.Persons[:2] {
		req, err := demo.EnrollRequest(per, []int{2})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.B.Node.Enroll(ctx, node.Actor{User: "officer", Role: node.RoleOfficer}, req); err != nil {
			t.Fatal(err)
		}
	}
	as := func(party *demo.Party, user string) *api.Client {
		return &api.Client{BaseURL: party.APIURL, Token: party.Tokens[user]}
	}
	officer, examiner, auditor := as(p.A, "officer"), as(p.A, "examiner"), as(p.A, "auditor")
	partner := p.B.Spec.ID

	ps, err := officer.ExchangePartners(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || ps[0].ID != partner || len(ps[0].Purposes) == 0 || ps[0].Purposes[0].ID != "border_control" {
		t.Fatalf("partners %+v", ps)
	}

	search := func(c *api.Client, per *synth.Person, partner string) (*api.ExchangeSearchResult, error) {
		return c.ExchangeSearch(ctx, &api.ExchangeSearchRequest{Partner: partner, Purpose: "border_control", Fingers: []node.FingerImage{freshFinger(t, per, 2)}})
	}
	hit, err := search(officer, held, partner)
	if err != nil {
		t.Fatal(err)
	}
	if hit.Status != exchange.StatusAnswered || hit.Search == nil || hit.Search.Result != exchange.ResultHit || len(hit.Search.Candidates) == 0 {
		t.Fatalf("search for a held person: %+v (search %+v)", hit.Outcome, hit.Search)
	}
	if len(hit.Samples) != 1 || hit.Samples[0].Status != "ok" {
		t.Errorf("samples %+v", hit.Samples)
	}
	ref := hit.Search.Candidates[0].Reference
	miss, err := search(officer, stranger, partner)
	if err != nil {
		t.Fatal(err)
	}
	if miss.Search == nil || miss.Search.Result != exchange.ResultNoHit {
		t.Errorf("search for a stranger: %+v", miss.Search)
	}

	// Refusals before anything is sent or disclosed.
	for _, tc := range []struct {
		name   string
		err    error
		status int
		msg    string
	}{
		{"auditor searches", func() error { _, err := search(auditor, held, partner); return err }(), http.StatusForbidden, "may not"},
		{"unknown partner", func() error { _, err := search(officer, held, "xx-nobody"); return err }(), http.StatusBadRequest, "no agreement"},
		{"no purpose", func() error {
			_, err := officer.ExchangeSearch(ctx, &api.ExchangeSearchRequest{Partner: partner, Fingers: []node.FingerImage{freshFinger(t, held, 2)}})
			return err
		}(), http.StatusBadRequest, "purpose is required"},
		{"unknown purpose", func() error {
			_, err := officer.ExchangeSearch(ctx, &api.ExchangeSearchRequest{Partner: partner, Purpose: "curiosity", Fingers: []node.FingerImage{freshFinger(t, held, 2)}})
			return err
		}(), http.StatusBadRequest, "not in agreement"},
		{"garbage template", func() error {
			_, err := officer.ExchangeSearch(ctx, &api.ExchangeSearchRequest{Partner: partner, Purpose: "border_control", Templates: []exchange.FingerTemplate{{Position: 2, ISO: []byte("FMR\x00junk")}}})
			return err
		}(), http.StatusBadRequest, "templates[0]"},
		{"disclosure before confirmation", func() error { _, err := officer.ExchangeDisclose(ctx, hit.RequestID, ref); return err }(), http.StatusConflict, "no examiner confirmed"},
		{"officer confirms", func() error {
			_, err := officer.ExchangeConfirm(ctx, hit.RequestID, api.ExchangeConfirmRequest{Reference: ref, Outcome: "same", ReasonCode: "minutiae_agree"})
			return err
		}(), http.StatusForbidden, "may not"},
		{"confirm a no-hit", func() error {
			_, err := examiner.ExchangeConfirm(ctx, miss.RequestID, api.ExchangeConfirmRequest{Reference: ref, Outcome: "same", ReasonCode: "x"})
			return err
		}(), http.StatusConflict, "not an answered search with a hit"},
		{"auditor reads received data", func() error { _, err := auditor.ExchangeReceived(ctx, partner, ref); return err }(), http.StatusForbidden, "may not"},
		{"nothing received yet", func() error { _, err := officer.ExchangeReceived(ctx, partner, ref); return err }(), http.StatusNotFound, "nothing held"},
		{"unknown message", func() error { _, err := auditor.ExchangeMessage(ctx, "no-such-request"); return err }(), http.StatusNotFound, "not found"},
	} {
		if st := apiStatus(tc.err); st != tc.status || !strings.Contains(tc.err.Error(), tc.msg) {
			t.Errorf("%s: %v (status %d), want %d containing %q", tc.name, tc.err, st, tc.status, tc.msg)
		}
	}

	// The examiner confirms; then the officer's disclosure request goes out.
	conf, err := examiner.ExchangeConfirm(ctx, hit.RequestID, api.ExchangeConfirmRequest{Reference: ref, Outcome: "same", ReasonCode: "minutiae_agree"})
	if err != nil {
		t.Fatal(err)
	}
	if conf.Outcome != "same" || conf.Examiner == "" || strings.Contains(conf.Examiner, "examiner") || conf.Score <= 0 {
		t.Errorf("confirmation %+v: want outcome same, a pseudonymous examiner and the probe's score", conf)
	}
	disc, err := officer.ExchangeDisclose(ctx, hit.RequestID, ref)
	if err != nil {
		t.Fatal(err)
	}
	if disc.Disclosure == nil || disc.Disclosure.Result != exchange.ResultDisclosed || disc.Disclosure.Fields["name"] == "" {
		t.Fatalf("disclosure %+v (%+v)", disc, disc.Disclosure)
	}
	want := held.GivenName + " " + held.FamilyName
	if got := disc.Disclosure.Fields["name"]; got != want {
		t.Errorf("disclosed name %q, want %q", got, want)
	}
	reads := func(party *demo.Party) []audit.Entry {
		t.Helper()
		l := party.Node.AuditLog()
		size, err := l.Size(ctx)
		if err != nil {
			t.Fatal(err)
		}
		es, err := l.Entries(ctx, audit.RoleAuditor, 0, size)
		if err != nil {
			t.Fatal(err)
		}
		var out []audit.Entry
		for _, e := range es {
			if e.Entry.Action == exchange.ActionDisclosedRead {
				out = append(out, e.Entry)
			}
		}
		return out
	}
	if n := len(reads(p.A)); n != 0 {
		t.Fatalf("%d read entries before anyone read received data", n)
	}
	purposeful := as(p.A, "officer")
	purposeful.Purpose = "case 2026/77"
	rec, err := purposeful.ExchangeReceived(ctx, partner, ref)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Fields["name"] != want {
		t.Errorf("received %+v", rec.Fields)
	}
	// The read is logged: who, which reference, the purpose, the field
	// names and not their values.
	rs := reads(p.A)
	if len(rs) != 1 || rs[0].Actor != "officer" || rs[0].Purpose != "case 2026/77" || len(rs[0].Objects) == 0 || rs[0].Objects[0] != ref ||
		!strings.Contains(string(rs[0].Detail), `"name"`) || strings.Contains(string(rs[0].Detail), want) {
		t.Fatalf("read entries after reading received data: %+v", rs)
	}
	// The list leaves disclosed fields out; showing the disclosure is a
	// logged read on either side.
	list, err := officer.ExchangeMessages(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range list {
		if strings.Contains(string(m.Response), want) {
			t.Errorf("message list shows disclosed data: %s %s", m.Type, m.Response)
		}
	}
	if n := len(reads(p.A)); n != 1 {
		t.Errorf("listing messages logged %d reads", n-1)
	}
	shown, err := auditor.ExchangeMessage(ctx, disc.RequestID)
	if err != nil || shown.Outcome == nil || shown.Outcome.Disclosure == nil || shown.Outcome.Disclosure.Fields["name"] != want {
		t.Fatalf("show disclosure: %+v %v", shown, err)
	}
	if rs := reads(p.A); len(rs) != 2 || rs[1].Actor != "auditor" || rs[1].Objects[0] != ref {
		t.Errorf("read entries after showing the disclosure: %+v", rs)
	}
	if _, err := as(p.B, "supervisor").ExchangeMessage(ctx, disc.RequestID); err != nil {
		t.Fatal(err)
	}
	if rs := reads(p.B); len(rs) != 1 || rs[0].Actor != "supervisor" || rs[0].Objects[0] != ref {
		t.Errorf("partner's read entries after showing what it disclosed: %+v", rs)
	}
	// A show without disclosed data logs nothing.
	if _, err := auditor.ExchangeMessage(ctx, hit.RequestID); err != nil {
		t.Fatal(err)
	}
	if n := len(reads(p.A)); n != 2 {
		t.Errorf("showing a search logged a read (%d entries)", n)
	}

	// Both sides list the messages; the auditor reads them.
	msgs, err := auditor.ExchangeMessages(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 3 || msgs[0].Type != "disclose" || msgs[2].RequestID != hit.RequestID || msgs[2].Direction != "out" {
		t.Errorf("A's messages: %d, newest first %+v", len(msgs), msgs)
	}
	show, err := auditor.ExchangeMessage(ctx, hit.RequestID)
	if err != nil {
		t.Fatal(err)
	}
	if show.Outcome == nil || show.Outcome.Search == nil || show.Outcome.Search.Result != exchange.ResultHit {
		t.Errorf("show %s: %+v", hit.RequestID, show)
	}
	inB, err := as(p.B, "supervisor").ExchangeMessage(ctx, hit.RequestID)
	if err != nil {
		t.Fatal(err)
	}
	if len(inB.Messages) != 1 || inB.Messages[0].Direction != "in" || inB.Messages[0].Result != exchange.ResultHit || inB.Outcome != nil {
		t.Errorf("B's record of the search: %+v", inB)
	}
	if _, err := as(p.A, "officer").ExchangeMessages(ctx, 5000); apiStatus(err) != http.StatusBadRequest {
		t.Errorf("limit 5000: %v", err)
	}
}

// TestExchangeNotConfigured: a node without a partner exchange answers the
// exchange routes with 501 and says why.
func TestExchangeNotConfigured(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	kek, _ := store.ParseKEK(store.GenerateKeyText())
	n, err := node.Open(ctx, node.Config{DataDir: t.TempDir(), KEK: kek}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	admin, err := n.Bootstrap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := n.AddUser(ctx, node.Actor{User: "admin", Role: node.RoleAdmin}, "officer", node.RoleOfficer)
	if err != nil {
		t.Fatal(err)
	}
	_ = admin
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- api.NewServer(n, nil).Serve(ctx, ln) }()
	defer func() { cancel(); <-done }()
	c := &api.Client{BaseURL: "http://" + ln.Addr().String(), Token: tok}
	_, err = c.ExchangeMessages(ctx, 0)
	if apiStatus(err) != http.StatusNotImplemented || !strings.Contains(err.Error(), "no partner exchange configured") {
		t.Errorf("messages on a node without exchange: %v", err)
	}
	_, err = c.ExchangeSearch(ctx, &api.ExchangeSearchRequest{Partner: "x", Purpose: "y"})
	if apiStatus(err) != http.StatusNotImplemented {
		t.Errorf("search on a node without exchange: %v", err)
	}
	// Authentication comes first.
	_, err = (&api.Client{BaseURL: c.BaseURL}).ExchangePartners(ctx)
	if apiStatus(err) != http.StatusUnauthorized {
		t.Errorf("no token: %v", err)
	}
}

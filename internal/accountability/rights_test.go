package accountability_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bixproject/bix/fingerprint"
	"github.com/bixproject/bix/internal/accountability"
	"github.com/bixproject/bix/internal/audit"
	"github.com/bixproject/bix/internal/demo"
	"github.com/bixproject/bix/internal/exchange"
	"github.com/bixproject/bix/internal/gallery"
	"github.com/bixproject/bix/internal/node"
	"github.com/bixproject/bix/synth"
)

var (
	officer    = node.Actor{User: "officer", Role: node.RoleOfficer}
	examiner   = node.Actor{User: "examiner", Role: node.RoleExaminer}
	supervisor = node.Actor{User: "supervisor", Role: node.RoleSupervisor}
)

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
	if o.Status != exchange.StatusAnswered || o.Search == nil {
		t.Fatalf("search not answered: %+v", o)
	}
	return o
}

// TestRightsAcrossPartners runs the rights of the person on two real nodes:
// B (Colombia) holds the records, A (United States) searches them.
func TestRightsAcrossPartners(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two nodes")
	}
	ctx := context.Background()
	pair, err := demo.StartPair(ctx, demo.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pair.Stop() })
	a, b := pair.A, pair.B
	pop := synth.NewPopulation(synth.PopulationSpec{Seed: 11, Size: 2, Agency: "COL", MinorShare: -1,
		Categories: map[synth.Category]float64{synth.IrregularEntrant: 1}})
	held := pop.Persons
	held[1].Nationality = "USA" // a national of the searching country
	ids := make([]string, len(held))
	for i, per := range held {
		req, err := demo.EnrollRequest(per, []int{2})
		if err != nil {
			t.Fatal(err)
		}
		res, err := b.Node.Enroll(ctx, officer, req)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = res.PersonID
	}
	clk := func() time.Time { return time.Now() }
	rights := &accountability.Rights{Store: b.Node.Store(), Now: clk, Gallery: b.Node.Gallery(), Notifier: b.Exchange}

	// Contest blocks disclosure until a supervisor's review.
	hit := search(t, a.Exchange, b.Spec.ID, held[0])
	if hit.Search.Result != exchange.ResultHit {
		t.Fatalf("search for a held person: %+v", hit.Search)
	}
	ref := hit.Search.Candidates[0].Reference
	// Human review: no disclosure without an examiner's recorded decision.
	if _, err := a.Exchange.Disclose(ctx, officer, hit.RequestID, ref); !errors.Is(err, exchange.ErrRefused) {
		t.Fatalf("disclosure without an examiner's confirmation: %v", err)
	}
	if _, err := a.Exchange.Confirm(ctx, examiner, hit.RequestID, ref, "same", "minutiae-agree"); err != nil {
		t.Fatal(err)
	}
	if _, err := rights.Contest(ctx, examiner, ids[0], "not me"); !errors.Is(err, accountability.ErrForbidden) {
		t.Errorf("an examiner recorded a contest: %v", err)
	}
	if _, err := rights.Contest(ctx, officer, ids[0], "the person says the record is not theirs"); err != nil {
		t.Fatal(err)
	}
	d, err := a.Exchange.Disclose(ctx, officer, hit.RequestID, ref)
	if err != nil {
		t.Fatal(err)
	}
	if d.Disclosure == nil || d.Disclosure.Result != exchange.ResultRefused || d.Disclosure.Code != exchange.CodeContested {
		t.Fatalf("disclosure of a contested record: %+v", d.Disclosure)
	}
	if _, err := rights.Review(ctx, officer, ids[0], true, "checked"); !errors.Is(err, accountability.ErrForbidden) {
		t.Errorf("an officer reviewed a contest: %v", err)
	}
	if c, err := rights.Review(ctx, supervisor, ids[0], true, "fingerprints and documents agree"); err != nil || c.Person.Contested {
		t.Fatalf("review: %+v %v", c, err)
	}
	d, err = a.Exchange.Disclose(ctx, officer, hit.RequestID, ref)
	if err != nil || d.Disclosure == nil || d.Disclosure.Result != exchange.ResultDisclosed {
		t.Fatalf("disclosure after review: %+v %v", d, err)
	}

	// Rectification reaches the partner that received the data.
	c, err := rights.Rectify(ctx, supervisor, ids[0], map[string]string{"family_name": "Corrected"}, "court order 17/2026")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Receipts) != 1 || c.Receipts[0].Receipt == nil || !c.Receipts[0].Receipt.Applied {
		t.Fatalf("rectification receipts: %+v (%s)", c.Receipts, c.NotifyError)
	}
	if got, ok, _ := a.Exchange.Received(ctx, b.Spec.ID, ref); !ok || got["family_name"] != "Corrected" {
		t.Errorf("partner holds %v after the correction", got)
	}
	if _, err := rights.Rectify(ctx, supervisor, ids[0], map[string]string{"category": "refugee"}, "x"); !errors.Is(err, accountability.ErrInvalid) {
		t.Errorf("rectified a non-biographic field: %v", err)
	}

	// Protection marking: notified to the partner that got a reference,
	// and from then on the protection-status guard hides the person from
	// their country of nationality.
	hit1 := search(t, a.Exchange, b.Spec.ID, held[1])
	if hit1.Search.Result != exchange.ResultHit {
		t.Fatalf("search for an unprotected national: %+v", hit1.Search)
	}
	if _, err := rights.MarkProtected(ctx, officer, ids[1], "asylum granted"); !errors.Is(err, accountability.ErrForbidden) {
		t.Errorf("an officer marked protection: %v", err)
	}
	c, err = rights.MarkProtected(ctx, supervisor, ids[1], "asylum decision 2026/889")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Person.ProtectionStatus || len(c.Receipts) != 1 || !c.Receipts[0].Receipt.Applied {
		t.Fatalf("marking: %+v receipts %+v (%s)", c.Person, c.Receipts, c.NotifyError)
	}
	if again := search(t, a.Exchange, b.Spec.ID, held[1]); again.Search.Result == exchange.ResultHit {
		t.Fatalf("protected person found by their country of nationality: %+v", again.Search)
	}

	// Access report: what B holds and did, in Spanish.
	rep, err := rights.Access(ctx, officer, ids[0], "es")
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]int{}
	for _, x := range rep.Actions {
		actions[x.Action]++
	}
	for _, want := range []string{audit.ActionEnroll, audit.ActionSearchReceived, audit.ActionDisclosure, accountability.ActionContest, accountability.ActionReview, accountability.ActionRectify} {
		if actions[want] == 0 {
			t.Errorf("access report lacks %s: %v", want, actions)
		}
	}
	if len(rep.Disclosed) != 1 || rep.Disclosed[0].Partner != a.Spec.ID {
		t.Errorf("access report disclosures: %+v", rep.Disclosed)
	}
	var page bytes.Buffer
	if err := rep.WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page.String(), "Qué datos tenemos sobre usted") || !strings.Contains(page.String(), "Corrected") {
		t.Errorf("Spanish page lacks its title or the record")
	}
	delayed := *rights
	delayed.AccessDelay = 24 * time.Hour
	rep, err = delayed.Access(ctx, officer, ids[0], "en")
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Disclosed) != 0 || rep.Withheld == 0 {
		t.Errorf("delayed report shows %d disclosures, withheld %d", len(rep.Disclosed), rep.Withheld)
	}
	if _, err := rights.Access(ctx, officer, ids[0], "xx"); !errors.Is(err, accountability.ErrInvalid) {
		t.Errorf("unknown language: %v", err)
	}

	// Erasure on request: the partner's copy goes, with a receipt.
	er, err := rights.Erase(ctx, supervisor, ids[0], "lawful request 2026/12")
	if err != nil {
		t.Fatal(err)
	}
	if er.DataKeys != 1 || len(er.Receipts) != 1 || !er.Receipts[0].Receipt.Applied {
		t.Fatalf("erasure: %+v (%s)", er, er.NotifyError)
	}
	if _, ok, _ := a.Exchange.Received(ctx, b.Spec.ID, ref); ok {
		t.Error("partner still holds data of an erased person")
	}
	if _, err := b.Node.Store().Person(ctx, ids[0]); !errors.Is(err, node.ErrNotFound) {
		t.Errorf("erased person still stored: %v", err)
	}
	if after := search(t, a.Exchange, b.Spec.ID, held[0]); after.Search.Result == exchange.ResultHit {
		t.Errorf("erased person still found by a partner search")
	}
	// The exchange tables no longer name the erased person: the reference
	// given to A is gone (a disclosure request for it is answered as for an
	// unknown one) and the disclosure register keeps only a pseudonym.
	db := b.Node.Store().DB()
	for _, q := range []string{
		`SELECT COUNT(*) FROM exchange_refs WHERE person_id = ?1`,
		`SELECT COUNT(*) FROM exchange_disclosed WHERE person_id = ?1`,
		`SELECT COUNT(*) FROM exchange_refs WHERE reference = ?2`,
	} {
		var n int
		if err := db.QueryRowContext(ctx, q, ids[0], ref).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s: %d rows (%v) after erasure", q, n, err)
		}
	}
	var disclosed int
	db.QueryRowContext(ctx, `SELECT COUNT(*) FROM exchange_disclosed WHERE person_id LIKE 'erased:%' AND partner = ?`, a.Spec.ID).Scan(&disclosed)
	if disclosed != 1 {
		t.Errorf("disclosure register holds %d pseudonymous rows for %s, want the one disclosure", disclosed, a.Spec.ID)
	}
	if d, err := a.Exchange.Disclose(ctx, officer, hit.RequestID, ref); err != nil || d.Disclosure == nil || d.Disclosure.Result != exchange.ResultUnknown {
		t.Errorf("disclosure request for an erased person's reference: %+v, %v", d, err)
	}

	// The oversight report adds up to the log.
	from, to := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	for _, p := range []*demo.Party{a, b} {
		o, err := accountability.Report(ctx, p.Node.Store().DB(), from, to)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := p.Node.AuditLog().Size(ctx)
		es, err := p.Node.AuditLog().Entries(ctx, audit.RoleAuditor, 0, n)
		if err != nil {
			t.Fatal(err)
		}
		byAction := map[string]int{}
		for _, e := range es {
			byAction[e.Entry.Action]++
		}
		if o.Entries != len(es) {
			t.Errorf("%s: report counts %d entries, log has %d", p.Spec.ID, o.Entries, len(es))
		}
		for act, k := range byAction {
			if o.Actions[act] != k {
				t.Errorf("%s: report counts %d %s, log has %d", p.Spec.ID, o.Actions[act], act, k)
			}
		}
		sum := map[string]int{}
		for _, x := range o.Exchanges {
			sum["received"] += x.SearchesReceived
			sum["sent"] += x.SearchesSent
		}
		if p == b && (sum["received"] != 4 || o.Rights[accountability.ActionProtection] != 1 || o.Erasures["request"] != 1) {
			t.Errorf("B's report: %d searches received (want 4), rights %v, erasures %v", sum["received"], o.Rights, o.Erasures)
		}
		if p == a && sum["sent"] != 4 {
			t.Errorf("A's report: %d searches sent, want 4", sum["sent"])
		}
		if p == b {
			js, _ := json.Marshal(o)
			t.Logf("B oversight: %s", js)
			var page bytes.Buffer
			if err := o.WriteHTML(&page); err != nil {
				t.Fatal(err)
			}
			if strings.Count(page.String(), "<svg") < 2 {
				t.Errorf("oversight page has no charts")
			}
			// BIX_PAGES_DIR keeps the pages, to look at them in a browser.
			if dir := os.Getenv("BIX_PAGES_DIR"); dir != "" {
				os.WriteFile(filepath.Join(dir, "oversight.html"), page.Bytes(), 0o644)
				var ap bytes.Buffer
				if rep, err := rights.Access(ctx, officer, ids[1], "es"); err == nil && rep.WriteHTML(&ap) == nil {
					os.WriteFile(filepath.Join(dir, "access-es.html"), ap.Bytes(), 0o644)
				}
			}
		}
	}
}

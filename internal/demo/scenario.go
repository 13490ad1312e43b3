package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/bixproject/bix/fingerprint"
	"github.com/bixproject/bix/internal/accountability"
	"github.com/bixproject/bix/internal/exchange"
	"github.com/bixproject/bix/internal/gallery"
	"github.com/bixproject/bix/internal/node"
	"github.com/bixproject/bix/synth"
)

// Scenario sizes the demo's synthetic populations.
type Scenario struct {
	Seed int64
	// PersonsA and PersonsB are the sizes of the two agencies' populations.
	PersonsA, PersonsB int
	// Overlap is how many persons both hold; Protected of them are B's
	// nationals with an asylum claim or refugee status at A; Watchlisted
	// are on B's watchlist; Nationals are B's nationals A holds as
	// irregular entrants (one of them is granted protection during the
	// demo).
	Overlap, Protected, Watchlisted, Nationals int
	// Positions are the finger positions enrolled and searched.
	Positions []int
	// Workers enrol in parallel (default 2).
	Workers int
	// Progress, when set, receives one line per phase.
	Progress io.Writer
}

// DefaultScenario is what `bix demo` runs: small enough to finish well
// under two minutes on two cores.
var DefaultScenario = Scenario{Seed: 2026, PersonsA: 60, PersonsB: 50, Overlap: 20, Protected: 4, Watchlisted: 4, Nationals: 3, Positions: []int{2, 7}}

// Check is one expected behaviour of the exchange and whether it held.
type Check struct {
	Name   string
	Want   string
	Got    string
	OK     bool
	Detail string
	// Skipped is true when the populations gave nothing to check (Got
	// says why); a skipped check does not fail the demo.
	Skipped bool
}

// SearchTally counts one direction's searches against the ground truth.
type SearchTally struct {
	From, To, Purpose string
	Searches          int
	Hits, NoHits      int
	// TrueHits are hits for persons the partner holds; MissedHits are
	// no-hits for persons it holds (and may return); FalseHits are hits
	// for persons it does not hold.
	TrueHits, MissedHits, FalseHits int
	// Guarded are searches for protected persons of the requester's
	// nationality, which must be no-hits; GuardedNoHit counts them.
	Guarded, GuardedNoHit int
	// Minors are searches for persons the partner holds who are under the
	// agreement's minors age (minorAge), not candidates for border control;
	// MinorsNoHit counts the no-hits among them.
	Minors, MinorsNoHit int
	Latencies           []time.Duration
	// Unexpected describes hits the ground truth did not expect.
	Unexpected []string
}

// P50 returns the median latency.
func (t *SearchTally) P50() time.Duration {
	if len(t.Latencies) == 0 {
		return 0
	}
	l := append([]time.Duration(nil), t.Latencies...)
	sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
	return l[len(l)/2]
}

// Summary is what the demo did.
type Summary struct {
	Enrolled     map[string]int
	FTA          map[string]int
	EnrollTime   time.Duration
	Tallies      []*SearchTally
	Checks       []Check
	AuditEntries map[string]int64
}

// OK reports whether every check held.
func (s *Summary) OK() bool {
	for _, c := range s.Checks {
		if !c.OK && !c.Skipped {
			return false
		}
	}
	return true
}

func (s *Summary) check(name, want, got, detail string) {
	s.Checks = append(s.Checks, Check{Name: name, Want: want, Got: got, OK: want == got, Detail: detail})
}

// Run enrolls synthetic populations in both nodes of p and exercises the
// exchange: hit/no-hit searches both ways, a confirmed disclosure, a
// disclosure without confirmation, the protection-status guard, an
// over-quota search and a replayed request. It returns what happened; an
// error means the demo could not run, a failed Check that the exchange did
// not behave as it must.
func Run(ctx context.Context, p *Pair, sc Scenario) (*Summary, error) {
	if sc.Workers <= 0 {
		sc.Workers = 2
	}
	logf := func(format string, args ...any) {
		if sc.Progress != nil {
			fmt.Fprintf(sc.Progress, format+"\n", args...)
		}
	}
	popA, popB, links := synth.TwoAgencies(synth.TwoAgencySpec{Seed: sc.Seed,
		A:       synth.PopulationSpec{Size: sc.PersonsA, Agency: p.A.Spec.Country},
		B:       synth.PopulationSpec{Size: sc.PersonsB, Agency: p.B.Spec.Country},
		Overlap: sc.Overlap, Protected: sc.Protected, Watchlisted: sc.Watchlisted, Nationals: sc.Nationals})
	sum := &Summary{Enrolled: map[string]int{}, FTA: map[string]int{}, AuditEntries: map[string]int64{}}

	// 1. Enrolment at both agencies.
	start := time.Now()
	idsA, err := enrollAll(ctx, p.A, popA, sc, sum)
	if err != nil {
		return nil, err
	}
	idsB, err := enrollAll(ctx, p.B, popB, sc, sum)
	if err != nil {
		return nil, err
	}
	sum.EnrollTime = time.Since(start)
	logf("enrolled %d persons at %s and %d at %s in %.1f s", sum.Enrolled[p.A.Spec.ID], p.A.Spec.ID, sum.Enrolled[p.B.Spec.ID], p.B.Spec.ID, sum.EnrollTime.Seconds())
	supB := node.Actor{User: "supervisor", Role: node.RoleSupervisor}
	for _, per := range popB.Persons {
		if per.Watchlist && idsB[per.ID] != "" {
			if _, err := p.B.Node.WatchlistAdd(ctx, supB, idsB[per.ID], "wanted", "synthetic criminal record"); err != nil {
				return nil, fmt.Errorf("watchlist: %w", err)
			}
		}
	}

	// Ground truth: who holds whom.
	inB := map[int64]*synth.Person{}
	for _, per := range popB.Persons {
		inB[per.Seed] = per
	}
	inA := map[int64]*synth.Person{}
	for _, per := range popA.Persons {
		inA[per.Seed] = per
	}

	// 2. A searches B: every person of the overlap and as many others.
	officerA := node.Actor{User: "officer", Role: node.RoleOfficer}
	tAB := &SearchTally{From: p.A.Spec.ID, To: p.B.Spec.ID, Purpose: "border_control"}
	var hitsAB []hitRef
	var probesA []*synth.Person
	for _, l := range links {
		probesA = append(probesA, l.A)
	}
	for _, per := range popA.Persons {
		if len(probesA) >= 2*len(links) {
			break
		}
		if inB[per.Seed] == nil {
			probesA = append(probesA, per)
		}
	}
	for _, per := range probesA {
		partner := inB[per.Seed]
		o, lat, err := searchPerson(ctx, p.A.Exchange, officerA, p.B.Spec.ID, "border_control", "fingerprint_1n", per, sc.Positions)
		if err != nil {
			return nil, err
		}
		tally(tAB, o, lat, partner != nil && returnable(partner, p.A.Spec.Country), false)
		tallyMinor(tAB, o, partner)
		if o.Search != nil && o.Search.Result == exchange.ResultHit && (partner == nil || !returnable(partner, p.A.Spec.Country)) {
			held := "not held by " + p.B.Spec.ID
			if partner != nil {
				held = fmt.Sprintf("held as %s %s, age %d", partner.Category, partner.Nationality, partner.Age(time.Now()))
			}
			tAB.Unexpected = append(tAB.Unexpected, fmt.Sprintf("%s (%s): %d candidates, first %s", per.ID, held, len(o.Search.Candidates), o.Search.Candidates[0].Band))
		}
		if o.Search != nil && o.Search.Result == exchange.ResultHit && partner != nil {
			hitsAB = append(hitsAB, hitRef{requestID: o.RequestID, ref: o.Search.Candidates[0].Reference, person: partner})
		}
	}
	sum.Tallies = append(sum.Tallies, tAB)
	logf("%s → %s: %d searches, %d hits, %d no-hits", tAB.From, tAB.To, tAB.Searches, tAB.Hits, tAB.NoHits)

	// 3. B searches A: the overlap, among them B's own nationals with an
	// asylum claim or refugee status at A, whom the guard must hide.
	officerB := node.Actor{User: "officer", Role: node.RoleOfficer}
	tBA := &SearchTally{From: p.B.Spec.ID, To: p.A.Spec.ID, Purpose: "border_control"}
	var hitsBA []hitRef
	for _, l := range links {
		held := inA[l.B.Seed]
		guarded := held != nil && protectedFrom(held, p.B.Spec.Country)
		o, lat, err := searchPerson(ctx, p.B.Exchange, officerB, p.A.Spec.ID, "border_control", "fingerprint_1n", l.B, sc.Positions)
		if err != nil {
			return nil, err
		}
		tally(tBA, o, lat, held != nil && !guarded && returnable(held, p.B.Spec.Country), guarded)
		tallyMinor(tBA, o, held)
		if o.Search != nil && o.Search.Result == exchange.ResultHit && held != nil && !guarded && returnable(held, p.B.Spec.Country) {
			hitsBA = append(hitsBA, hitRef{requestID: o.RequestID, ref: o.Search.Candidates[0].Reference, person: held})
		}
	}
	sum.Tallies = append(sum.Tallies, tBA)
	logf("%s → %s: %d searches, %d hits, %d no-hits (%d protected persons searched)", tBA.From, tBA.To, tBA.Searches, tBA.Hits, tBA.NoHits, tBA.Guarded)
	sum.check("protection-status guard: protected persons are no-hits to their own country",
		fmt.Sprintf("%d of %d no-hit", tBA.Guarded, tBA.Guarded), fmt.Sprintf("%d of %d no-hit", tBA.GuardedNoHit, tBA.Guarded), "")

	var minors, minorsNoHit int
	for _, t := range []*SearchTally{tAB, tBA} {
		minors += t.Minors
		minorsNoHit += t.MinorsNoHit
	}
	sum.check("minors rule: children held by the partner are no-hits for border control",
		fmt.Sprintf("%d of %d no-hit", minors, minors), fmt.Sprintf("%d of %d no-hit", minorsNoHit, minors), "")

	// 4. A confirmed disclosure: A's examiner confirms a hit on a person on
	// B's watchlist, then A asks for the permitted fields.
	examinerA := node.Actor{User: "examiner", Role: node.RoleExaminer}
	// Prefer a person on B's watchlist for the disclosure.
	var disclosed, unconfirmed *hitRef
	for i := range hitsAB {
		if hitsAB[i].person.Watchlist {
			disclosed = &hitsAB[i]
			break
		}
	}
	if disclosed == nil && len(hitsAB) > 0 {
		disclosed = &hitsAB[0]
	}
	for i := range hitsAB {
		if &hitsAB[i] != disclosed {
			unconfirmed = &hitsAB[i]
			break
		}
	}
	if disclosed == nil {
		sum.check("confirmed disclosure", "disclosed", "no hit to confirm", "")
	} else {
		c, err := p.A.Exchange.Confirm(ctx, examinerA, disclosed.requestID, disclosed.ref, "same", "minutiae-agree")
		if err != nil {
			return nil, fmt.Errorf("confirm: %w", err)
		}
		o, err := p.A.Exchange.Disclose(ctx, officerA, disclosed.requestID, disclosed.ref)
		if err != nil {
			return nil, fmt.Errorf("disclose: %w", err)
		}
		got, detail := "no answer", ""
		if o.Disclosure != nil {
			got = o.Disclosure.Result
			var names []string
			for k := range o.Disclosure.Fields {
				names = append(names, k)
			}
			sort.Strings(names)
			detail = fmt.Sprintf("examiner score %.3f; fields %s; keep until %s", c.Score, strings.Join(names, ", "), o.Disclosure.RetainUntil)
		}
		sum.check("confirmed disclosure (after examiner confirmation)", exchange.ResultDisclosed, got, detail)
	}

	// 5. Disclosure without confirmation: refused locally, and refused by
	// the partner when a request without a valid confirmation reaches it.
	if unconfirmed != nil {
		_, err := p.A.Exchange.Disclose(ctx, officerA, unconfirmed.requestID, unconfirmed.ref)
		sum.check("disclosure without examiner confirmation: refused before sending", "refused", refusedOr(err), "")
		o, err := p.A.Exchange.DiscloseUnconfirmed(ctx, officerA, p.B.Spec.ID, "border_control", unconfirmed.ref, exchange.Confirmation{SearchRequestID: unconfirmed.requestID, Reference: unconfirmed.ref})
		if err != nil {
			return nil, err
		}
		sum.check("disclosure without examiner confirmation: refused by the partner", exchange.CodeNoConfirmation, code(o), "")
	}

	// 5b. Protection granted after a hit: B's examiner confirms a hit on
	// one of B's nationals held by A, A then grants that person asylum,
	// and B's disclosure request is answered as if the reference were
	// unknown (the protection-status guard), so that B learns nothing of
	// the claim.
	var national *hitRef
	for i := range hitsBA {
		if hitsBA[i].person.Nationality == p.B.Spec.Country && idsA[hitsBA[i].person.ID] != "" {
			national = &hitsBA[i]
			break
		}
	}
	const guardCheck = "disclosure of a national after protection was granted: answered as unknown (protection-status guard)"
	if national == nil {
		sum.Checks = append(sum.Checks, Check{Name: guardCheck, Want: exchange.ResultUnknown, Skipped: true,
			Got: "not run: no hit on a national of " + p.B.Spec.Country + " held by " + p.A.Spec.ID})
	} else {
		examinerB := node.Actor{User: "examiner", Role: node.RoleExaminer}
		if _, err := p.B.Exchange.Confirm(ctx, examinerB, national.requestID, national.ref, "same", "minutiae-agree"); err != nil {
			return nil, fmt.Errorf("confirm: %w", err)
		}
		rights := &accountability.Rights{Store: p.A.Node.Store(), Now: time.Now, Gallery: p.A.Node.Gallery(), Notifier: p.A.Exchange}
		supA := node.Actor{User: "supervisor", Role: node.RoleSupervisor}
		if _, err := rights.MarkProtected(ctx, supA, idsA[national.person.ID], "asylum granted, decision 2026/0417"); err != nil {
			return nil, fmt.Errorf("mark protected: %w", err)
		}
		o, err := p.B.Exchange.Disclose(ctx, officerB, national.requestID, national.ref)
		if err != nil {
			return nil, fmt.Errorf("disclose: %w", err)
		}
		sum.check(guardCheck, exchange.ResultUnknown, code(o), fmt.Sprintf("%s national, %s at %s", national.person.Nationality, national.person.Category, p.A.Spec.ID))
	}

	// 6. Over quota: the agreement allows one latent search a day.
	var q1, q2 *exchange.Outcome
	for i := 0; i < 2; i++ {
		o, _, err := searchPerson(ctx, p.A.Exchange, officerA, p.B.Spec.ID, "serious_crime", "latent_1n", probesA[i], sc.Positions[:1])
		if err != nil {
			return nil, err
		}
		if i == 0 {
			q1 = o
		} else {
			q2 = o
		}
	}
	sum.check("over-quota search refused (latent_1n: 1 a day)", "quota_exceeded", code(q2), "first latent search: "+q1.Status)

	// 7. A replayed request: the exact signed bytes of a request sent again.
	if len(hitsAB) > 0 {
		c, err := p.A.Exchange.Replay(ctx, hitsAB[0].requestID)
		if err != nil {
			return nil, err
		}
		sum.check("replayed request refused", exchange.CodeReplay, c, "")
	}

	// 8. Each node witnesses the other's audit log (checkpoint, cosignature).
	for _, pr := range [][2]*Party{{p.A, p.B}, {p.B, p.A}} {
		size, err := pr[0].Exchange.WitnessPartner(ctx, pr[1].Spec.ID)
		got := "cosigned"
		if err != nil {
			got = err.Error()
		}
		sum.check(pr[0].Spec.ID+" witnessed "+pr[1].Spec.ID+"'s audit log", "cosigned", got, fmt.Sprintf("checkpoint of %d entries", size))
	}

	// 9. Both logs verify and the exchange is in both.
	for _, party := range []*Party{p.A, p.B} {
		s, err := party.Node.AuditLog().VerifySummary(ctx)
		got := "verifies"
		if err != nil {
			got = err.Error()
		}
		sum.AuditEntries[party.Spec.ID] = s.Size
		sum.check("audit log of "+party.Spec.ID+" recomputed from the store", "verifies", got, fmt.Sprintf("%d entries", s.Size))
	}
	return sum, nil
}

type hitRef struct {
	requestID, ref string
	person         *synth.Person
}

func code(o *exchange.Outcome) string {
	switch {
	case o == nil:
		return "no answer"
	case o.Refusal != nil:
		return o.Refusal.Code
	case o.Search != nil && o.Search.Code != "":
		return o.Search.Code
	case o.Disclosure != nil && o.Disclosure.Code != "":
		return o.Disclosure.Code
	case o.Disclosure != nil:
		return o.Disclosure.Result
	case o.Search != nil:
		return o.Search.Result
	}
	return o.Status
}

func refusedOr(err error) string {
	if errors.Is(err, exchange.ErrRefused) {
		return "refused"
	}
	if err == nil {
		return "sent"
	}
	return err.Error()
}

// protectedFrom reports whether the guard hides per from a requester of
// country.
func protectedFrom(per *synth.Person, country string) bool {
	return (per.Category == synth.AsylumApplicant || per.Category == synth.Refugee) && per.Nationality == country
}

// returnable reports whether the demo agreement lets per be a candidate for
// a border_control search from a party of country (categories and minors).
func returnable(per *synth.Person, country string) bool {
	if protectedFrom(per, country) {
		return false
	}
	switch per.Category {
	case synth.IrregularEntrant, synth.VisaApplicant, synth.CriminalRecord, synth.Resident, synth.AsylumApplicant, synth.Refugee:
	default:
		return false
	}
	return per.Age(time.Now()) >= minorAge
}

// minorAge is the demo agreement's minors.age_below
// (agreement.yaml.tmpl): younger persons are candidates for no purpose
// the demo searches under.
const minorAge = 14

func tally(t *SearchTally, o *exchange.Outcome, lat time.Duration, expectHit, guarded bool) {
	t.Searches++
	t.Latencies = append(t.Latencies, lat)
	hit := o.Search != nil && o.Search.Result == exchange.ResultHit
	if hit {
		t.Hits++
	} else {
		t.NoHits++
	}
	switch {
	case hit && expectHit:
		t.TrueHits++
	case hit && !expectHit:
		t.FalseHits++
	case !hit && expectHit:
		t.MissedHits++
	}
	if guarded {
		t.Guarded++
		if !hit {
			t.GuardedNoHit++
		}
	}
}

// tallyMinor counts a search for a person the partner holds as a minor.
func tallyMinor(t *SearchTally, o *exchange.Outcome, held *synth.Person) {
	if held == nil || held.Age(time.Now()) >= minorAge {
		return
	}
	t.Minors++
	if o.Search == nil || o.Search.Result != exchange.ResultHit {
		t.MinorsNoHit++
	}
}

// searchPerson takes a fresh impression of per's fingers (as a new
// encounter would), extracts templates and searches the partner with them.
func searchPerson(ctx context.Context, x *exchange.Exchange, a node.Actor, partner, purpose, searchType string, per *synth.Person, positions []int) (*exchange.Outcome, time.Duration, error) {
	var probe []gallery.Sample
	for _, pos := range positions {
		img := per.Fingers[pos-1].Impression(synth.SubSeed(per.Seed, uint64(1000+pos)), synth.ImpressionOptions{})
		t, err := fingerprint.Extract(img, fingerprint.ExtractOptions{})
		if err != nil {
			continue
		}
		probe = append(probe, gallery.Sample{Position: pos, Template: t})
	}
	if len(probe) == 0 {
		return &exchange.Outcome{Status: "no usable probe"}, 0, nil
	}
	start := time.Now()
	o, err := x.Search(ctx, a, exchange.Request{Partner: partner, Purpose: purpose, SearchType: searchType}, probe)
	return o, time.Since(start), err
}

// enrollAll enrolls each person's first encounter at party and returns the
// node's person id by synthetic person id.
func enrollAll(ctx context.Context, party *Party, pop *synth.Population, sc Scenario, sum *Summary) (map[string]string, error) {
	officer := node.Actor{User: "officer", Role: node.RoleOfficer}
	ids := map[string]string{}
	var mu sync.Mutex
	var firstErr error
	jobs := make(chan *synth.Person)
	var wg sync.WaitGroup
	for w := 0; w < sc.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for per := range jobs {
				req, err := EnrollRequest(per, sc.Positions)
				if err == nil {
					var res *node.EnrollResult
					res, err = party.Node.Enroll(ctx, officer, req)
					if err == nil {
						mu.Lock()
						ids[per.ID] = res.PersonID
						if res.Status == node.StatusFTA {
							sum.FTA[party.Spec.ID]++
						} else {
							sum.Enrolled[party.Spec.ID]++
						}
						mu.Unlock()
					}
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("enrolling %s at %s: %w", per.ID, party.Spec.ID, err)
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, per := range pop.Persons {
		jobs <- per
	}
	close(jobs)
	wg.Wait()
	return ids, firstErr
}

// EnrollRequest is per's first encounter as an enrolling station sends it,
// with images of the fingers at positions.
func EnrollRequest(per *synth.Person, positions []int) (*node.EnrollRequest, error) {
	enc := per.Encounters[0]
	req := &node.EnrollRequest{
		Person: node.PersonInfo{GivenName: per.GivenName, FamilyName: per.FamilyName, Sex: per.Sex,
			BirthDate: per.BirthDate.Format("2006-01-02"), Nationality: per.Nationality, Category: string(per.Category),
			ProtectionStatus: per.Category == synth.AsylumApplicant || per.Category == synth.Refugee},
		Encounter: node.EncounterInfo{Location: enc.Agency + " border post", CapturedAt: enc.Date, Category: string(per.Category), Consent: true, Notice: true},
	}
	for _, pos := range positions {
		img := per.Fingers[pos-1].Impression(enc.ImpressionSeed(pos), synth.ImpressionOptions{})
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			return nil, err
		}
		req.Fingers = append(req.Fingers, node.FingerImage{Position: pos, Image: buf.Bytes()})
	}
	return req, nil
}

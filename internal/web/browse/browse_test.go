package browse

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/bixproject/bix/face"
	"github.com/bixproject/bix/face/models"
	"github.com/bixproject/bix/internal/node"
	"github.com/bixproject/bix/internal/shareddata"
	"github.com/bixproject/bix/synth"
)

// needChromium skips the test when Chromium is absent, except in CI
// (the CI environment variable set), where the end-to-end tests must run.
func needChromium(t *testing.T) {
	t.Helper()
	if err := Available(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but %v", err)
		}
		t.Skipf("end-to-end console test skipped: %v", err)
	}
}

// TestConsoleEndToEnd drives the console in headless Chromium against a
// real node: an officer signs in, enrolls from an ANSI/NIST-ITL file (a
// possible duplicate) and cannot open the audit pages; an examiner claims
// and resolves the deduplication task from the keyboard; an auditor opens
// the inclusion proof of the decision's audit entry.
func TestConsoleEndToEnd(t *testing.T) {
	needChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	f, err := NewFixture(ctx, t.TempDir(), 3)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Stop()
	nist, err := f.WriteNIST(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	bctx, stop, err := NewBrowser(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	base := f.Pair.A.APIURL
	tok := f.Pair.A.Tokens
	d := newDriver(t, bctx)
	do, a11y, text := d.do, d.a11y, d.text

	// A wrong token is refused.
	do("bad sign-in",
		chromedp.Navigate(base+"/#/signin"),
		chromedp.WaitVisible(chromedp.CSS(`#signin input[name=token]`)),
		chromedp.SendKeys(chromedp.CSS(`#signin input[name=token]`), "not-a-token"),
		chromedp.Click(chromedp.CSS(`#signin button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#signin .error`)))

	a11y("sign-in")

	// Officer: enroll from the NIST file; it is a possible duplicate.
	do("officer sign-in", SignIn(base, tok["officer"]))
	if got := text("#who .role"); got != "officer" {
		t.Fatalf("signed in as %q, want officer", got)
	}
	nav := text("#nav")
	if strings.Contains(nav, "Audit") || strings.Contains(nav, "Adjudication") {
		t.Errorf("officer's navigation shows pages of other roles: %q", nav)
	}
	do("enroll from NIST",
		chromedp.WaitVisible(chromedp.CSS(`#enroll-nist`)),
		chromedp.SetUploadFiles(chromedp.CSS(`#nist-file`), []string{nist}),
		chromedp.Click(chromedp.CSS(`#enroll-nist input[name=consent]`)),
		chromedp.Click(chromedp.CSS(`#enroll-nist input[name=notice]`)),
		chromedp.Click(chromedp.CSS(`#enroll-nist button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#enroll-status`)))
	a11y("enroll")
	if got := text("#enroll-status"); got != node.StatusPending {
		t.Fatalf("enrollment status %q, want %s; result:\n%s", got, node.StatusPending, text("#enroll-result"))
	}
	taskID := text("#enroll-task")
	if !strings.Contains(text("#enroll-result"), f.Dup) {
		t.Errorf("enrollment result does not list the enrolled person %s as a candidate", f.Dup)
	}

	// Officer: quality feedback on finger images before enrolling them:
	// a real finger passes, a blank image is a failure to acquire.
	imgDir := t.TempDir()
	good, blank := filepath.Join(imgDir, "finger2.png"), filepath.Join(imgDir, "blank.png")
	writePNG(t, good, synth.NewFinger(424242).Impression(1, synth.ImpressionOptions{}))
	writePNG(t, blank, image.NewGray(image.Rect(0, 0, 300, 300)))
	do("quality check",
		chromedp.Navigate(base+"/#/enroll"),
		chromedp.WaitVisible(chromedp.CSS(`#enroll-images`)),
		chromedp.SetUploadFiles(chromedp.CSS(`#enroll-f2`), []string{good}),
		chromedp.SetUploadFiles(chromedp.CSS(`#enroll-f7`), []string{blank}),
		chromedp.Click(chromedp.CSS(`#check-quality`)),
		chromedp.WaitVisible(chromedp.CSS(`#quality-feedback table.samples`)))
	rows, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#quality-feedback tbody tr")].map(r => r.innerText.replace(/\s+/g, " "))`))
	if err != nil || len(rows) != 2 || !strings.HasPrefix(rows[0], "2 ok") || !strings.Contains(rows[1], "failure_to_acquire") {
		t.Errorf("quality feedback rows %q (%v): want finger 2 ok and finger 7 failure_to_acquire", rows, err)
	}

	// Officer: the audit pages are not theirs, in the console and in the API.
	do("officer audit page",
		chromedp.Navigate(base+"/#/audit"),
		chromedp.WaitVisible(chromedp.CSS(`#forbidden`)))
	status, err := chromedp.Run(bctx, chromedp.Evaluate[int](`fetch("/v1/audit/entries", {headers: {Authorization: "Bearer " + JSON.parse(sessionStorage.getItem("bix.session")).token}}).then(r => r.status)`,
		chromedp.EvalAwaitPromise))
	if err != nil || status != 403 {
		t.Errorf("officer GET /v1/audit/entries: status %d, %v; want 403", status, err)
	}
	do("officer proof page", chromedp.Navigate(base+"/#/proof/0"), chromedp.WaitVisible(chromedp.CSS(`#forbidden`)))

	// Examiner: open the task from the queue, claim it and decide "same"
	// with the keyboard.
	do("examiner sign-in", SignIn(base, tok["examiner"]))
	do("queue", chromedp.WaitVisible(chromedp.CSS(`#task-list a.task-link`)))
	a11y("queue")
	if !strings.Contains(text("#task-list"), taskID) {
		t.Fatalf("queue does not list task %s:\n%s", taskID, text("#task-list"))
	}
	do("open task",
		chromedp.Click(chromedp.CSS(`#task-list a.task-link[href="#/task/`+taskID+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`figure.finger canvas`)),
		chromedp.KeyEvent("c"),
		chromedp.Poll[chromedp.Void](`document.querySelector("#main dl.facts") && document.querySelector("#main dl.facts").innerText.includes("examiner") && !document.getElementById("claim")`,
			chromedp.WithPollingTimeout(20*time.Second)))
	a11y("task")
	pairs, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("figure.finger canvas").length`))
	if err != nil || pairs != len(Positions) {
		t.Errorf("task page shows %d finger comparisons (%v), want %d", pairs, err, len(Positions))
	}
	do("decide",
		chromedp.KeyEvent("s"),
		chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
		chromedp.WaitVisible(chromedp.CSS(`#decided`)))
	task, err := f.Examiner.Tasks(ctx, "decided")
	if err != nil {
		t.Fatal(err)
	}
	var decided bool
	for _, k := range task {
		if k.ID == taskID && k.Decision != nil && k.Decision.Outcome == "same" && k.Decision.Candidate == f.Dup && k.Decision.Examiner == "examiner" {
			decided = true
		}
	}
	if !decided {
		t.Fatalf("task %s not decided same as %s by the examiner", taskID, f.Dup)
	}

	// The person page shows the decision to the examiner.
	do("person decisions", chromedp.Navigate(base+"/#/persons/"+f.Dup), chromedp.WaitVisible(chromedp.CSS(`#person-decisions`)))
	if got := text("#person-decisions"); !strings.Contains(got, taskID) || !strings.Contains(got, "same") {
		t.Errorf("person page decisions lack task %s decided same:\n%s", taskID, got)
	}
	// Signing out forgets the token.
	do("sign out", chromedp.Click(chromedp.CSS(`#who button`)), chromedp.WaitVisible(chromedp.CSS(`#signin`)))
	if left, err := chromedp.Run(bctx, chromedp.Evaluate[string](`sessionStorage.getItem("bix.session") || ""`)); err != nil || left != "" {
		t.Errorf("session after sign-out: %q, %v", left, err)
	}

	// Auditor: a checkpoint covers the decision; its entry's proof checks;
	// the partner's searches are counted.
	if err := f.PartnerSearches(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Pair.A.Node.AuditLog().Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	do("auditor sign-in", SignIn(base, tok["auditor"]))
	do("audit log", chromedp.WaitVisible(chromedp.CSS(`#checkpoint .badge`)), chromedp.WaitVisible(chromedp.CSS(`#audit-entries a.proof-link`)))
	a11y("audit log")
	if got := text("#checkpoint .badge"); got != "Log verified" {
		t.Errorf("checkpoint status %q, want Log verified", got)
	}
	if flows := text("#exchange-flows"); !strings.Contains(flows, f.Pair.B.Spec.ID) || !strings.Contains(flows, "border_control") || !strings.Contains(flows, "serious_crime") {
		t.Errorf("exchange statistics lack the partner's searches:\n%s", flows)
	}
	do("proof",
		chromedp.Click(chromedp.CSS(`#audit-entries a.proof-link`)),
		chromedp.WaitVisible(chromedp.CSS(`#proof .badge`)))
	a11y("proof")
	if got := text("#proof .badge"); got != "Proof checks" {
		t.Errorf("proof status %q, want Proof checks:\n%s", got, text("#proof"))
	}
	// The duplicate person's trail: enrolled, decided on, searched by the
	// partner.
	do("trail", chromedp.Navigate(base+"/#/trail/"+f.Dup), chromedp.WaitVisible(chromedp.CSS(`#trail-entries`)))
	a11y("trail")
	trail := text("#trail-entries")
	for _, want := range []string{"enroll", "adjudicate", "search.received", "partner:" + f.Pair.B.Spec.ID} {
		if !strings.Contains(trail, want) {
			t.Errorf("trail of %s lacks %q:\n%s", f.Dup, want, trail)
		}
	}
	// The admin lists users and adds one; the new token signs in.
	do("admin users", SignIn(base, f.Pair.A.AdminToken), chromedp.WaitVisible(chromedp.CSS(`#users`)))
	a11y("users")
	if got := text("#users"); !strings.Contains(got, "examiner2") || !strings.Contains(got, "auditor") {
		t.Errorf("users page:\n%s", got)
	}
	do("add user",
		chromedp.SendKeys(chromedp.CSS(`#add-user input[name=name]`), "olga"),
		chromedp.SetValue(chromedp.CSS(`#add-user select[name=role]`), "officer"),
		chromedp.Click(chromedp.CSS(`#add-user button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#new-token`)))
	newTok, err := chromedp.Run(bctx, chromedp.Value(chromedp.CSS(`#new-token`)))
	if err != nil {
		t.Fatal(err)
	}
	do("new user signs in", SignIn(base, newTok))
	if got := text("#who"); !strings.Contains(got, "olga") || !strings.Contains(got, "officer") {
		t.Errorf("new user signed in as %q", got)
	}
	do("auditor again", SignIn(base, tok["auditor"]))

	// Demographic differentials: none kept yet, then a measured report.
	do("no demographics", chromedp.Navigate(base+"/#/demographics"), chromedp.WaitVisible(chromedp.CSS(`#no-demographics`)))
	if err := WriteDemographics(ctx, f.Pair.A.Node.Config().DataDir, 6); err != nil {
		t.Fatal(err)
	}
	do("demographics", chromedp.Navigate(base+"/#/audit"), chromedp.Navigate(base+"/#/demographics"), chromedp.WaitVisible(chromedp.CSS(`#demographics`)))
	a11y("demographics")
	if got := text("#demographics"); !strings.Contains(got, "all\tall") || !strings.Contains(got, "sex") {
		t.Errorf("demographics table:\n%s", got)
	}

	// And the auditor cannot open the examiner's pages.
	do("auditor task page", chromedp.Navigate(base+"/#/task/"+taskID), chromedp.WaitVisible(chromedp.CSS(`#forbidden`)))
}

// TestConsoleTaskImages: on a node that keeps images the examiner's task
// page draws the finger images under the minutiae.
func TestConsoleTaskImages(t *testing.T) {
	needChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	in, err := NewImageNode(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer in.Stop()
	bctx, stop, err := NewBrowser(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	sctx, scancel := context.WithTimeout(bctx, 60*time.Second)
	defer scancel()
	if err := chromedp.Do(sctx, SignIn(in.URL, in.ExaminerToken), chromedp.Navigate(in.URL+"/#/task/"+in.TaskID),
		chromedp.WaitVisible(chromedp.CSS(`figure.finger canvas`))); err != nil {
		t.Fatal(err)
	}
	labels, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("figure.finger canvas")].map(c => c.getAttribute("aria-label"))`))
	if err != nil {
		t.Fatal(err)
	}
	if len(labels) != len(Positions) {
		t.Fatalf("%d comparisons, want %d", len(labels), len(Positions))
	}
	for _, l := range labels {
		if strings.Contains(l, "no images") {
			t.Errorf("comparison without images: %q", l)
		}
	}
	// The panels are not blank: the image's ridges darken the probe panel.
	dark, err := chromedp.Run(bctx, chromedp.Evaluate[int](`(() => {
		const c = document.querySelector("figure.finger canvas"), x = c.getContext("2d");
		const d = x.getImageData(0, 20 * (window.devicePixelRatio || 1), c.width / 3, c.height / 2).data;
		let n = 0;
		for (let i = 0; i < d.length; i += 4) if (d[i] < 150 && d[i+1] < 150 && d[i+2] < 150) n++;
		return n;
	})()`))
	if err != nil || dark < 1000 {
		t.Errorf("probe panel has %d dark pixels (%v): no image drawn", dark, err)
	}

	// This node has no partner exchange: the partner search page says so
	// plainly instead of showing a form.
	d := newDriver(t, bctx)
	d.do("partner search without exchange", chromedp.Navigate(in.URL+"/#/partners"), chromedp.WaitVisible(chromedp.CSS(`#no-exchange`)))
	d.a11y("no exchange")
	if got := d.text("#no-exchange"); !strings.Contains(got, "This node has no partner exchange") || !strings.Contains(got, "no exchange: block") {
		t.Errorf("no-exchange message:\n%s", got)
	}
	if n := d.count("#partner-search"); n != 0 {
		t.Errorf("a node without exchange shows the partner search form")
	}
}

// TestConsolePartnerExchange drives a partner search between the demo
// pair's two real nodes from node B's console: an officer searches node A
// with finger images of a person A holds (a hit with a reference and a
// score band), cannot confirm it and is refused a disclosure before an
// examiner confirms; B's examiner confirms the candidate as the same person
// and asks for disclosure, and sees only the fields the agreement allows; a
// serious-crime latent search is a no hit and the next one is refused by
// the daily quota; the requests are listed with their status. On node A a
// minor's deduplication task needs a second examiner: the first examiner's
// decision leaves it in review, shown to the second, whose agreeing
// decision completes it.
func TestConsolePartnerExchange(t *testing.T) {
	needChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	f, err := NewFixture(ctx, t.TempDir(), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Stop()
	imgDir := t.TempDir()
	probe, err := f.ProbeImages(imgDir, f.Dup, 3)
	if err != nil {
		t.Fatal(err)
	}
	stranger := filepath.Join(imgDir, "stranger.png")
	writePNG(t, stranger, synth.NewFinger(987654).Impression(1, synth.ImpressionOptions{Variation: 0.5}))
	bctx, stop, err := NewBrowser(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	d := newDriver(t, bctx)
	a, b := f.Pair.A, f.Pair.B

	// B's officer searches A for a person A holds.
	d.do("officer B sign-in", SignIn(b.APIURL, b.Tokens["officer"]))
	if nav := d.text("#nav"); !strings.Contains(nav, "Partner search") {
		t.Fatalf("officer's navigation lacks Partner search: %q", nav)
	}
	d.do("partner search page", chromedp.Navigate(b.APIURL+"/#/partners"), chromedp.WaitVisible(chromedp.CSS(`#partner-search`)))
	d.a11y("partner search")
	if got := d.text("#partners"); !strings.Contains(got, a.Spec.ID) || !strings.Contains(got, "border_control") || !strings.Contains(got, "Demo MoU art. 3") {
		t.Errorf("partners table lacks partner %s and its purposes:\n%s", a.Spec.ID, got)
	}
	d.do("search partner",
		chromedp.SetValue(chromedp.CSS(`#partner`), a.Spec.ID),
		chromedp.SetValue(chromedp.CSS(`#purpose`), "border_control"),
		chromedp.SetUploadFiles(chromedp.CSS(`#partner-f2`), probe[:1]),
		chromedp.SetUploadFiles(chromedp.CSS(`#partner-f7`), probe[1:]),
		chromedp.Click(chromedp.CSS(`#partner-search button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#partner-status`)))
	d.a11y("partner search result")
	if got := d.attr("#partner-status", "data-status"); got != "hit" {
		t.Fatalf("partner search status %q, want hit:\n%s", got, d.text("#partner-out"))
	}
	ref := d.text("#pc-1 code.reference")
	band := d.text("#pc-1 .band")
	if ref == "" || (band != "strong" && band != "probable") {
		t.Errorf("hit candidate reference %q band %q", ref, band)
	}
	searchID, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.querySelector("#partner-result h2 code").textContent`))
	if err != nil || searchID == "" {
		t.Fatalf("search request id: %q %v", searchID, err)
	}
	// The officer may ask for disclosure but not confirm; without an
	// examiner's confirmation the node refuses to send the request.
	if n := d.count("#pc-1-confirm"); n != 0 {
		t.Errorf("officer is shown the examiner's confirmation form")
	}
	d.do("officer discloses unconfirmed", chromedp.Click(chromedp.CSS(`#pc-1-disclose`)), chromedp.WaitVisible(chromedp.CSS(`#pc-1 .error`)))
	if got := d.text("#pc-1 .error"); !strings.Contains(got, "no examiner confirmed") || !strings.Contains(got, "409") {
		t.Errorf("unconfirmed disclosure: %q", got)
	}
	// The request is listed with its status.
	d.do("requests listed", chromedp.Navigate(b.APIURL+"/#/search"), chromedp.WaitVisible(chromedp.CSS(`#search`)),
		chromedp.Navigate(b.APIURL+"/#/partners"), chromedp.WaitVisible(chromedp.CSS(`#exchange-requests a.request-link`)))
	if got := d.text("#exchange-requests"); !strings.Contains(got, searchID) || !strings.Contains(got, "answered") || !strings.Contains(got, "hit") {
		t.Errorf("requests table lacks answered search %s:\n%s", searchID, got)
	}

	// Serious crime, latent search type, one finger of someone else: no
	// hit; the agreement allows one latent search a day, so the next is
	// refused with the agreement's code.
	for i, want := range []string{"no_hit", "refused"} {
		d.do("latent search "+want,
			chromedp.Navigate(b.APIURL+"/#/search"), chromedp.WaitVisible(chromedp.CSS(`#search`)),
			chromedp.Navigate(b.APIURL+"/#/partners"), chromedp.WaitVisible(chromedp.CSS(`#partner-search`)),
			chromedp.SetValue(chromedp.CSS(`#purpose`), "serious_crime"),
			chromedp.Evaluate[chromedp.Void](`document.getElementById("purpose").dispatchEvent(new Event("change"))`),
			chromedp.SetValue(chromedp.CSS(`#search-type`), "latent_1n"),
			chromedp.SetUploadFiles(chromedp.CSS(`#partner-f2`), []string{stranger}),
			chromedp.Click(chromedp.CSS(`#partner-search button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`#partner-status`)))
		if got := d.attr("#partner-status", "data-status"); got != want {
			t.Errorf("latent search %d: status %q, want %s:\n%s", i+1, got, want, d.text("#partner-out"))
		}
		if want == "refused" && !strings.Contains(d.text("#partner-result .result-line code"), "quota") {
			t.Errorf("refusal without the quota code: %s", d.text("#partner-result"))
		}
	}

	// B's examiner opens the search, confirms the candidate and asks for
	// disclosure: only the fields the agreement allows for a visa applicant
	// under border control come back.
	d.do("examiner B sign-in", SignIn(b.APIURL, b.Tokens["examiner"]))
	d.do("open request", chromedp.Navigate(b.APIURL+"/#/exchange/"+searchID), chromedp.WaitVisible(chromedp.CSS(`#pc-1-confirm`)))
	d.a11y("partner request")
	if got := d.text("#request-messages"); !strings.Contains(got, "search") || !strings.Contains(got, "answered") {
		t.Errorf("request messages:\n%s", got)
	}
	d.do("confirm",
		chromedp.SetValue(chromedp.CSS(`#pc-1-outcome`), "same"),
		chromedp.Click(chromedp.CSS(`#pc-1-confirm button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#pc-1-confirmed`)))
	if got := d.text("#pc-1-confirmed"); !strings.Contains(got, "Confirmed same") {
		t.Errorf("confirmation: %q", got)
	}
	d.do("disclose", chromedp.Click(chromedp.CSS(`#pc-1-disclose`)), chromedp.WaitVisible(chromedp.CSS(`#disclosed-1`)))
	d.a11y("disclosure")
	if got := d.attr("#pc-1-status", "data-status"); got != "disclosed" {
		t.Fatalf("disclosure status %q:\n%s", got, d.text("#pc-1"))
	}
	keys, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#disclosed-1 dt")].map(e => e.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{"reference_id": true, "name": true, "date_of_birth": true, "nationality": true}
	for _, k := range keys {
		if !allowed[k] {
			t.Errorf("disclosed field %q is not allowed for a visa applicant under border_control", k)
		}
	}
	if !slices.Contains(keys, "name") {
		t.Errorf("disclosed fields %q lack the name", keys)
	}
	if got := d.text("#disclosed-1"); !strings.Contains(got, "MARTINEZ") {
		t.Errorf("disclosed fields lack the person's name:\n%s", got)
	}
	// Shown again from what the node keeps, on the request's page.
	d.do("received", chromedp.Navigate(b.APIURL+"/#/partners"), chromedp.WaitVisible(chromedp.CSS(`#partner-search`)),
		chromedp.Navigate(b.APIURL+"/#/exchange/"+searchID), chromedp.WaitVisible(chromedp.CSS(`#received-1`)))

	// An auditor reads the requests but is offered no search.
	d.do("auditor B", SignIn(b.APIURL, b.Tokens["auditor"]), chromedp.Navigate(b.APIURL+"/#/partners"), chromedp.WaitVisible(chromedp.CSS(`#no-search`)))
	if n := d.count("#partner-search"); n != 0 {
		t.Errorf("auditor is shown the partner search form")
	}
	if got := d.text("#exchange-requests"); !strings.Contains(got, searchID) {
		t.Errorf("auditor's request list lacks %s", searchID)
	}

	// Second-examiner rule on node A.
	taskID, err := f.MinorTask(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d.do("examiner A sign-in", SignIn(a.APIURL, a.Tokens["examiner"]))
	d.do("minor's task", chromedp.Navigate(a.APIURL+"/#/task/"+taskID), chromedp.WaitVisible(chromedp.CSS(`#review-state`)))
	if got := d.text("#review"); !strings.Contains(got, "0 of 2") || !strings.Contains(got, "minor") {
		t.Errorf("review state before any decision:\n%s", got)
	}
	d.do("first examiner decides",
		chromedp.KeyEvent("c"),
		chromedp.Poll[chromedp.Void](`!document.getElementById("claim") && document.getElementById("decide")`, chromedp.WithPollingTimeout(20*time.Second)),
		chromedp.KeyEvent("s"),
		chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
		chromedp.WaitVisible(chromedp.CSS(`#review-wait`)))
	if n := d.count("#decision"); n != 0 {
		t.Errorf("the first examiner is offered the decision form again")
	}
	d.do("second examiner", SignIn(a.APIURL, a.Tokens["examiner2"]), chromedp.Navigate(a.APIURL+"/#/tasks/review"), chromedp.WaitVisible(chromedp.CSS(`#task-list`)))
	if got := d.text("#task-list"); !strings.Contains(got, taskID) || !strings.Contains(got, "1 of 2") {
		t.Errorf("review queue lacks task %s with 1 of 2:\n%s", taskID, got)
	}
	d.do("task in review", chromedp.Navigate(a.APIURL+"/#/task/"+taskID), chromedp.WaitVisible(chromedp.CSS(`#review-state`)), chromedp.WaitVisible(chromedp.CSS(`#decision`)))
	d.a11y("task in review")
	if got := d.text("#review"); !strings.Contains(got, "1 of 2") || !strings.Contains(got, "Waiting for a second examiner") || !strings.Contains(got, "examiner\tsame") {
		t.Errorf("review state for the second examiner:\n%s", got)
	}
	if got := d.text("#main dl.facts"); !strings.Contains(got, "review") || !strings.Contains(got, "2 (second-examiner rule: minor)") {
		t.Errorf("task facts:\n%s", got)
	}
	d.do("second examiner decides",
		chromedp.KeyEvent("c"),
		chromedp.Poll[chromedp.Void](`!document.getElementById("claim") && document.getElementById("decide")`, chromedp.WithPollingTimeout(20*time.Second)),
		chromedp.KeyEvent("s"),
		chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
		chromedp.WaitVisible(chromedp.CSS(`#decided`)))
	if got := d.text("#reviews"); !strings.Contains(got, "examiner2") || !strings.Contains(got, "examiner\t") {
		t.Errorf("reviews after the second decision:\n%s", got)
	}
	if got := d.text("#decided"); !strings.Contains(got, "same") || !strings.Contains(got, "examiner2") {
		t.Errorf("decision: %q", got)
	}
}

// driver runs steps in a browser tab for a test, failing it with the
// page's text when a step fails.
type driver struct {
	t    *testing.T
	bctx context.Context
}

func newDriver(t *testing.T, bctx context.Context) *driver { return &driver{t, bctx} }

// do runs a step's actions (60 s at most).
func (d *driver) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	d.t.Helper()
	sctx, scancel := context.WithTimeout(d.bctx, 60*time.Second)
	defer scancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		page, _ := chromedp.Run(d.bctx, chromedp.Evaluate[string](`document.getElementById("main").innerText`))
		d.t.Fatalf("%s: %v\npage:\n%s", step, err, page)
	}
}

// a11y checks the page on screen: one h1, every form control labelled,
// every button and link named, every canvas described, every image with
// alt text, ids unique.
func (d *driver) a11y(page string) {
	d.t.Helper()
	bad, err := chromedp.Run(d.bctx, chromedp.Evaluate[[]string](`(() => {
		const out = [];
		if (document.querySelectorAll("h1").length !== 1) out.push("h1 count " + document.querySelectorAll("h1").length);
		for (const e of document.querySelectorAll("input, select, textarea"))
			if (e.type !== "hidden" && !(e.labels && e.labels.length) && !e.getAttribute("aria-label")) out.push("unlabelled " + e.outerHTML);
		for (const e of document.querySelectorAll("button, a"))
			if (!e.textContent.trim() && !e.getAttribute("aria-label")) out.push("unnamed " + e.outerHTML);
		for (const e of document.querySelectorAll("canvas"))
			if (!e.getAttribute("aria-label")) out.push("undescribed canvas");
		for (const e of document.querySelectorAll("img"))
			if (!(e.getAttribute("alt") || "").trim()) out.push("image without alt text " + e.outerHTML.slice(0, 80));
		const ids = new Set();
		for (const e of document.querySelectorAll("[id]")) {
			if (ids.has(e.id)) out.push("duplicate id " + e.id);
			ids.add(e.id);
		}
		return out;
	})()`))
	if err != nil || len(bad) > 0 {
		d.t.Errorf("%s: accessibility: %q %v", page, bad, err)
	}
}

// text is the text of the first element matching sel.
func (d *driver) text(sel string) string {
	d.t.Helper()
	s, err := chromedp.Run(d.bctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		d.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// attr is the value of attribute name of the first element matching sel
// ("" when it has none).
func (d *driver) attr(sel, name string) string {
	d.t.Helper()
	v, err := chromedp.Run(d.bctx, chromedp.Evaluate[string](`(document.querySelector(`+strconv.Quote(sel)+`) || {getAttribute: () => ""}).getAttribute(`+strconv.Quote(name)+`) || ""`))
	if err != nil {
		d.t.Fatalf("attribute %s of %s: %v", name, sel, err)
	}
	return v
}

// count is the number of elements matching sel.
func (d *driver) count(sel string) int {
	d.t.Helper()
	n, err := chromedp.Run(d.bctx, chromedp.Evaluate[int](`document.querySelectorAll(`+strconv.Quote(sel)+`).length`))
	if err != nil {
		d.t.Fatalf("count %s: %v", sel, err)
	}
	return n
}

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestConsoleFaceTask: on a node with the face engine, a face-only
// duplicate's task shows the candidate's fusion breakdown (fingers and face
// evidence, the face score) and that it needs a second examiner because the
// match rests on the face. It needs the pinned face models (bix models
// pull; required under CI) and the shared LFW photographs.
func TestConsoleFaceTask(t *testing.T) {
	needChromium(t)
	modelsDir, err := models.Dir(nil)
	if err == nil {
		err = models.Check(modelsDir)
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("face models unavailable under CI: %v", err)
		}
		t.Skipf("face models not installed (%v); run: go run ./cmd/bix models pull", err)
	}
	lfw := shareddata.Require(t, "faces", "lfw-deepfunneled")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	in, err := NewFaceNode(ctx, t.TempDir(), modelsDir, lfw)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Stop()
	bctx, stop, err := NewBrowser(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	d := newDriver(t, bctx)
	d.do("face task", SignIn(in.URL, in.ExaminerToken), chromedp.Navigate(in.URL+"/#/task/"+in.TaskID), chromedp.WaitVisible(chromedp.CSS(`dl.fusion`)))
	d.a11y("face task")
	fusion := strings.Join(strings.Fields(d.text("dl.fusion")), " ")
	for _, want := range []string{"Fingers compared 0", "Face compared yes", "Face score (cosine) 0.9", "Face evidence", "Face-only match yes"} {
		if !strings.Contains(fusion, want) {
			t.Errorf("fusion breakdown lacks %q:\n%s", want, fusion)
		}
	}
	if got := d.text("#review"); !strings.Contains(got, "face-only match") || !strings.Contains(got, "0 of 2") {
		t.Errorf("review state of a face-only task:\n%s", got)
	}
	if got := d.text(".candidate h2"); !strings.Contains(got, "fused evidence") {
		t.Errorf("candidate heading: %q", got)
	}
	// The probe's and the candidate's aligned faces beside the breakdown,
	// decoded by the browser at the chip's size, described for screen
	// readers.
	faces, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`(() => {
		const imgs = [...document.querySelectorAll(".face-evidence figure.faces img.face-chip")];
		return Promise.all(imgs.map((i) => i.decode().catch(() => null))).then(() => imgs.map((i) => i.complete + " " + i.naturalWidth + "x" + i.naturalHeight + " " + i.alt));
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if len(faces) != 2 {
		t.Fatalf("aligned faces shown: %q, want the probe's and the candidate's (page: %s)", faces, d.text("figure.faces"))
	}
	for i, who := range []string{"Probe face", "Candidate face"} {
		if want := fmt.Sprintf("true %dx%d %s", face.ChipSize, face.ChipSize, who); !strings.HasPrefix(faces[i], want) {
			t.Errorf("face %d: %q, want it rendered: %q...", i, faces[i], want)
		}
	}
	if !strings.Contains(faces[1], "cosine 0.9") {
		t.Errorf("candidate face's description lacks its cosine score: %q", faces[1])
	}
}

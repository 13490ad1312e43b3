// Package browse drives the bix console (internal/web) in headless Chromium
// against real nodes: the console's end-to-end tests and `bix console
// screenshots` use it. Chromium is Debian's chromium package at
// ChromiumPath, started without network access of its own.
package browse

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/bixproject/bix/ansinist"
	"github.com/bixproject/bix/fingerprint"
	"github.com/bixproject/bix/internal/api"
	"github.com/bixproject/bix/internal/demo"
	"github.com/bixproject/bix/internal/exchange"
	"github.com/bixproject/bix/internal/gallery"
	"github.com/bixproject/bix/internal/node"
	"github.com/bixproject/bix/synth"
)

// ChromiumPath is where Debian's chromium package installs the browser.
const ChromiumPath = "/usr/bin/chromium"

// ErrNoChromium means Chromium is not installed at ChromiumPath.
var ErrNoChromium = errors.New("chromium not installed at " + ChromiumPath + " (apt-get install chromium)")

// Laptop is the viewport the console is driven and photographed at: a
// common laptop screen at a border post.
var Laptop = [2]int{1366, 900}

// Available reports whether Chromium is installed.
func Available() error {
	if _, err := os.Stat(ChromiumPath); err != nil {
		return ErrNoChromium
	}
	return nil
}

// NewBrowser starts headless Chromium with a new empty profile in
// userDataDir and returns a chromedp context for one tab; cancel stops the
// browser. Background networking, component updates, sync and QUIC are off
// (the machines bix runs on may have no network; without these flags Chromium
// keeps trying to connect).
func NewBrowser(ctx context.Context, userDataDir string) (context.Context, context.CancelFunc, error) {
	if err := Available(); err != nil {
		return nil, nil, err
	}
	actx, acancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(ChromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("font-render-hinting", "none"),
		chromedp.WindowSize(Laptop[0], Laptop[1]),
		chromedp.UserDataDir(userDataDir),
	)
	bctx, bcancel := chromedp.NewContext(actx)
	// The first Run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(int64(Laptop[0]), int64(Laptop[1]))); err != nil {
		bcancel()
		acancel()
		return nil, nil, fmt.Errorf("starting chromium: %w", err)
	}
	return bctx, func() { bcancel(); acancel() }, nil
}

// SignIn opens the console at base and signs in with token, leaving the
// browser on the role's home page.
func SignIn(base, token string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(base+"/#/signin"),
		chromedp.Evaluate[chromedp.Void](`sessionStorage.clear()`),
		chromedp.Navigate("about:blank"),
		chromedp.Navigate(base+"/#/signin"),
		chromedp.WaitVisible(chromedp.CSS(`#signin input[name=token]`)),
		chromedp.SendKeys(chromedp.CSS(`#signin input[name=token]`), token),
		chromedp.Click(chromedp.CSS(`#signin button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#who .role`)),
	)
}

// Fixture is a demo node pair with persons enrolled in node A, and an
// ANSI/NIST-ITL transaction holding new impressions of one of them (an
// enrollment of it makes a deduplication task).
type Fixture struct {
	Pair *demo.Pair
	// Dup is the enrolled person the transaction repeats.
	Dup string
	// NIST is the transaction (traditional encoding).
	NIST []byte
	// Officer and the others are API clients of node A.
	Officer, Examiner, Auditor *api.Client

	fingers map[string][]*synth.Finger // by node A person id
}

// PartnerSearches has node B search node A under the agreement: a
// border-control search for the duplicate person (a hit), one for a person
// A does not hold, and a serious-crime latent search; and node A search
// node B once. They give the auditor's
// exchange statistics something to count.
func (f *Fixture) PartnerSearches(ctx context.Context) error {
	probe := func(fs []*synth.Finger, seed int64) ([]gallery.Sample, error) {
		var out []gallery.Sample
		for k, m := range fs {
			t, err := fingerprint.Extract(m.Impression(seed, synth.ImpressionOptions{Variation: 0.5}), fingerprint.ExtractOptions{Resolution: 500})
			if err != nil {
				return nil, err
			}
			out = append(out, gallery.Sample{Position: Positions[k], Template: t})
		}
		return out, nil
	}
	a, b := f.Pair.A, f.Pair.B
	dup, err := probe(f.fingers[f.Dup], 3)
	if err != nil {
		return err
	}
	stranger, err := probe([]*synth.Finger{synth.NewFinger(987654), synth.NewFinger(987655)}, 1)
	if err != nil {
		return err
	}
	officerB := node.Actor{User: "officer", Role: node.RoleOfficer, Purpose: "border_control"}
	officerA := node.Actor{User: "officer", Role: node.RoleOfficer, Purpose: "border_control"}
	for _, s := range []struct {
		from  *demo.Party
		to    string
		a     node.Actor
		req   exchange.Request
		probe []gallery.Sample
	}{
		{b, a.Spec.ID, officerB, exchange.Request{Purpose: "border_control"}, dup},
		{b, a.Spec.ID, officerB, exchange.Request{Purpose: "border_control"}, stranger},
		{b, a.Spec.ID, officerB, exchange.Request{Purpose: "serious_crime", SearchType: "latent_1n"}, dup[:1]},
		{a, b.Spec.ID, officerA, exchange.Request{Purpose: "border_control"}, stranger},
	} {
		s.req.Partner = s.to
		// A refused search is an outcome, not an error; an error here is
		// the exchange failing.
		if _, err := s.from.Exchange.Search(ctx, s.a, s.req, s.probe); err != nil && !errors.Is(err, exchange.ErrRefused) {
			return fmt.Errorf("partner search %s→%s (%s): %w", s.from.Spec.ID, s.to, s.req.Purpose, err)
		}
	}
	return nil
}

// Positions are the finger positions the fixture enrolls (right and left
// index).
var Positions = []int{2, 7}

// NewFixture starts a demo pair in dir and enrolls persons synthetic
// persons (at least 1) in node A through its API as the officer.
func NewFixture(ctx context.Context, dir string, persons int) (*Fixture, error) {
	p, err := demo.StartPair(ctx, demo.Options{Dir: dir})
	if err != nil {
		return nil, err
	}
	f := &Fixture{Pair: p, fingers: map[string][]*synth.Finger{}}
	client := func(user string) *api.Client {
		return &api.Client{BaseURL: p.A.APIURL, Token: p.A.Tokens[user], Purpose: "console test"}
	}
	f.Officer, f.Examiner, f.Auditor = client("officer"), client("examiner"), client("auditor")
	names := [][2]string{{"ANA", "MARTINEZ"}, {"LUIS", "GOMEZ"}, {"SARA", "NOVAK"}, {"OMAR", "HADDAD"}, {"MEI", "CHEN"}, {"IVAN", "PETROV"}}
	var fingers [][]*synth.Finger
	for i := range max(persons, 1) {
		var fs []*synth.Finger
		req := &node.EnrollRequest{
			Person:    node.PersonInfo{GivenName: names[i%len(names)][0], FamilyName: names[i%len(names)][1], Sex: "U", BirthDate: fmt.Sprintf("19%02d-0%d-1%d", 70+i, 1+i%9, i%10), Nationality: "COL", Category: string(synth.VisaApplicant)},
			Encounter: node.EncounterInfo{Location: "Airport gate 3", Category: string(synth.VisaApplicant), Consent: true, Notice: true},
		}
		for _, pos := range Positions {
			m := synth.NewFinger(synth.FingerSeed(int64(1000+i), pos))
			fs = append(fs, m)
			var buf bytes.Buffer
			if err := png.Encode(&buf, m.Impression(1, synth.ImpressionOptions{Variation: 0.5})); err != nil {
				p.Stop()
				return nil, err
			}
			req.Fingers = append(req.Fingers, node.FingerImage{Position: pos, PPI: 500, Image: buf.Bytes()})
		}
		r, err := f.Officer.Enroll(ctx, req)
		if err != nil {
			p.Stop()
			return nil, fmt.Errorf("enroll fixture person %d: %w", i, err)
		}
		if i == 0 {
			f.Dup = r.PersonID
		}
		f.fingers[r.PersonID] = fs
		fingers = append(fingers, fs)
	}
	var imgs []ansinist.FingerImage
	for k, pos := range Positions {
		imgs = append(imgs, ansinist.FingerImage{Position: pos, PPI: 500, Image: fingers[0][k].Impression(2, synth.ImpressionOptions{Variation: 0.5})})
	}
	tr, err := ansinist.Build(ansinist.BuildRequest{
		Date:        time.Date(2026, 11, 28, 9, 30, 0, 0, time.UTC),
		Originator:  "BIXDEMO01",
		Biographics: ansinist.Biographics{Surname: "MARTINEZ", GivenNames: "ANA", BirthDate: "1970-01-10", Sex: "F", Citizenship: []string{"COL"}},
		Fingers:     imgs,
	})
	if err == nil {
		f.NIST, err = tr.Bytes()
	}
	if err != nil {
		p.Stop()
		return nil, fmt.Errorf("fixture transaction: %w", err)
	}
	return f, nil
}

// Stop stops the nodes.
func (f *Fixture) Stop() error { return f.Pair.Stop() }

// WriteNIST writes the fixture's transaction into dir and returns its path.
func (f *Fixture) WriteNIST(dir string) (string, error) {
	path := filepath.Join(dir, "encounter.an2")
	return path, os.WriteFile(path, f.NIST, 0o600)
}

// ProbeImages writes impression imp of the fixture person's fingers (at
// Positions) into dir as PNG files and returns their paths in Positions
// order: finger images an officer uploads to search for that person.
func (f *Fixture) ProbeImages(dir, person string, imp int64) ([]string, error) {
	fs, ok := f.fingers[person]
	if !ok {
		return nil, fmt.Errorf("fixture has no person %s", person)
	}
	var paths []string
	for k, m := range fs {
		var buf bytes.Buffer
		if err := png.Encode(&buf, m.Impression(imp, synth.ImpressionOptions{Variation: 0.5})); err != nil {
			return nil, err
		}
		path := filepath.Join(dir, fmt.Sprintf("probe-%s-%d-f%d.png", person, imp, Positions[k]))
		if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
			return nil, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// MinorTask enrolls a child (born 2019, a minor under the node's minor_age
// at any encounter before 2033) twice in node A with two impressions of the
// same synthetic fingers, and returns the deduplication task the second
// enrollment makes: under the second-examiner rule it needs decisions by
// two different examiners (review reason "minor").
func (f *Fixture) MinorTask(ctx context.Context) (string, error) {
	var task string
	for imp := int64(1); imp <= 2; imp++ {
		req := &node.EnrollRequest{
			Person:    node.PersonInfo{GivenName: "LUCIA", FamilyName: "REYES", Sex: "F", BirthDate: "2019-05-14", Nationality: "COL", Category: string(synth.VisaApplicant)},
			Encounter: node.EncounterInfo{Location: "Airport gate 3", Category: string(synth.VisaApplicant), Consent: true, Notice: true},
		}
		for _, pos := range Positions {
			var buf bytes.Buffer
			if err := png.Encode(&buf, synth.NewFinger(synth.FingerSeed(5000, pos)).Impression(imp, synth.ImpressionOptions{Variation: 0.5})); err != nil {
				return "", err
			}
			req.Fingers = append(req.Fingers, node.FingerImage{Position: pos, PPI: 500, Image: buf.Bytes()})
		}
		r, err := f.Officer.Enroll(ctx, req)
		if err != nil {
			return "", fmt.Errorf("enroll minor (impression %d): %w", imp, err)
		}
		task = r.TaskID
	}
	if task == "" {
		return "", errors.New("second impressions of the minor's fingers made no deduplication task")
	}
	return task, nil
}

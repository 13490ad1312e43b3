package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"sync"
	"testing"

	"github.com/bixproject/bix/internal/store"
	"github.com/bixproject/bix/synth"
)

var (
	imgMu    sync.Mutex
	imgCache = map[[2]int64][]byte{}
)

// fingerPNG returns a PNG impression of synthetic finger (person, position),
// impression number imp.
func fingerPNG(t testing.TB, person, position, imp int) []byte {
	t.Helper()
	key := [2]int64{int64(person*10 + position), int64(imp)}
	imgMu.Lock()
	defer imgMu.Unlock()
	if b, ok := imgCache[key]; ok {
		return b
	}
	f := synth.NewFinger(1000 + key[0])
	img := f.Impression(key[0]*100+key[1], synth.ImpressionOptions{Width: 320, Height: 360})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	imgCache[key] = buf.Bytes()
	return buf.Bytes()
}

func fingers(t testing.TB, person, imp int, positions ...int) []FingerImage {
	var fs []FingerImage
	for _, p := range positions {
		fs = append(fs, FingerImage{Position: p, PPI: 500, Image: fingerPNG(t, person, p, imp)})
	}
	return fs
}

var (
	officer    = Actor{User: "olga", Role: RoleOfficer}
	examiner   = Actor{User: "emil", Role: RoleExaminer}
	examiner2  = Actor{User: "erin", Role: RoleExaminer}
	supervisor = Actor{User: "sven", Role: RoleSupervisor}
)

func testConfig(t testing.TB, dir string) Config {
	k, err := store.ParseKEK("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
	if err != nil {
		t.Fatal(err)
	}
	return Config{DataDir: dir, NodeID: "test.node", KEK: k, KeepImages: true}
}

func openNode(t testing.TB, dir string) *Node {
	t.Helper()
	n, err := Open(context.Background(), testConfig(t, dir), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

func enroll(t testing.TB, n *Node, person, imp int, positions ...int) *EnrollResult {
	t.Helper()
	r, err := n.Enroll(context.Background(), officer, &EnrollRequest{
		Person:    PersonInfo{GivenName: fmt.Sprintf("P%d", person), BirthDate: "1990-01-02", Nationality: "NLD", Category: "visa-applicant"},
		Encounter: EncounterInfo{Location: "AMS", Consent: true, Notice: true},
		Fingers:   fingers(t, person, imp, positions...),
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestEnrollIdentifyVerify(t *testing.T) {
	ctx := context.Background()
	n := openNode(t, t.TempDir())
	a := enroll(t, n, 1, 0, 1, 2)
	b := enroll(t, n, 2, 0, 1, 2)
	for _, r := range []*EnrollResult{a, b} {
		if r.Status != StatusEnrolled || len(r.Samples) != 2 || r.Samples[0].Status != store.SampleOK {
			t.Fatalf("enroll: %+v", r)
		}
	}
	if n.Gallery().Len() != 4 || n.Gallery().Persons() != 2 {
		t.Fatalf("gallery %d templates %d persons", n.Gallery().Len(), n.Gallery().Persons())
	}
	res, err := n.IdentifyImages(ctx, officer, fingers(t, 1, 1, 1, 2), nil, IdentifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Hit || res.Candidates[0].PersonID != a.PersonID || len(res.Candidates[0].Scores) != 2 {
		t.Fatalf("identify: %+v", res)
	}
	for _, c := range res.Candidates {
		if c.PersonID == b.PersonID {
			t.Errorf("non-mate above threshold: %+v", c)
		}
	}
	v, err := n.Verify(ctx, officer, a.PersonID, fingers(t, 1, 1, 1), nil)
	if err != nil || !v.Match {
		t.Fatalf("verify mate: %+v, %v", v, err)
	}
	v, err = n.Verify(ctx, officer, b.PersonID, fingers(t, 1, 1, 1), nil)
	if err != nil || v.Match {
		t.Fatalf("verify non-mate: %+v, %v", v, err)
	}
	p, err := n.Person(ctx, officer, a.PersonID)
	if err != nil || p.GivenName != "P1" || len(p.Encounters) != 1 || p.Templates != 2 || p.Minor {
		t.Fatalf("person: %+v, %v", p, err)
	}
	// Every action was logged.
	if size, err := n.AuditLog().Size(ctx); err != nil || size != 6 {
		t.Errorf("audit log size %d, %v; want 6", size, err)
	}
	// Images were kept, sealed.
	sms, err := n.Store().Samples(ctx, a.EncounterID)
	if err != nil || len(sms) != 2 || !bytes.Equal(sms[0].Image, fingerPNG(t, 1, 1, 0)) {
		t.Fatalf("samples: %v", err)
	}
}

func TestDedupAdjudication(t *testing.T) {
	ctx := context.Background()
	n := openNode(t, t.TempDir())
	a := enroll(t, n, 3, 0, 1, 2)
	enroll(t, n, 4, 0, 1, 2)
	again := enroll(t, n, 3, 1, 1, 2)
	if again.Status != StatusPending || again.TaskID == "" || len(again.Candidates) == 0 || again.Candidates[0].PersonID != a.PersonID {
		t.Fatalf("re-enrollment of the same person: %+v", again)
	}
	other := enroll(t, n, 4, 1, 1)
	if other.Status != StatusPending {
		t.Fatalf("second re-enrollment: %+v", other)
	}
	tasks, err := n.Tasks(ctx, examiner, store.TaskOpen)
	if err != nil || len(tasks) != 2 {
		t.Fatalf("tasks: %v, %v", tasks, err)
	}
	if _, err := n.Tasks(ctx, officer, ""); !errors.Is(err, ErrForbidden) {
		t.Errorf("officer listing tasks: %v", err)
	}
	if _, err := n.ClaimTask(ctx, examiner, again.TaskID); err != nil {
		t.Fatal(err)
	}
	if _, err := n.DecideTask(ctx, examiner2, again.TaskID, Decision{Outcome: "same", Candidate: a.PersonID, ReasonCode: "minutiae-agree"}); !errors.Is(err, ErrConflict) {
		t.Errorf("decision by another examiner: %v", err)
	}
	if _, err := n.DecideTask(ctx, examiner, again.TaskID, Decision{Outcome: "same", Candidate: again.PersonID, ReasonCode: "x"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("candidate not on list: %v", err)
	}
	tv, err := n.DecideTask(ctx, examiner, again.TaskID, Decision{Outcome: "same", Candidate: a.PersonID, ReasonCode: "minutiae-agree"})
	if err != nil || tv.State != store.TaskDecided || tv.Decision == nil || tv.Decision.Examiner != "emil" {
		t.Fatalf("decide: %+v, %v", tv, err)
	}
	if _, err := n.DecideTask(ctx, examiner, again.TaskID, Decision{Outcome: "different", ReasonCode: "x"}); !errors.Is(err, ErrConflict) {
		t.Errorf("deciding twice: %v", err)
	}
	pa, _ := n.Person(ctx, officer, a.PersonID)
	if len(pa.Encounters) != 2 || pa.Templates != 4 {
		t.Errorf("after same: %d encounters %d templates", len(pa.Encounters), pa.Templates)
	}
	prov, _ := n.Person(ctx, officer, again.PersonID)
	if prov.Status != store.PersonMerged || prov.MergedInto != a.PersonID {
		t.Errorf("provisional identity %+v", prov.Person)
	}
	if n.Gallery().Has(again.PersonID) || n.Gallery().Persons() != 3 {
		t.Errorf("gallery after merge: %d persons", n.Gallery().Persons())
	}
	// Different keeps the identities apart.
	if _, err := n.DecideTask(ctx, examiner2, other.TaskID, Decision{Outcome: "different", ReasonCode: "pattern-differs"}); err != nil {
		t.Fatal(err)
	}
	po, _ := n.Person(ctx, officer, other.PersonID)
	if po.Status != store.PersonActive {
		t.Errorf("after different: %+v", po.Person)
	}
	// The merge survives a restart.
	n.Close()
	n2 := openNode(t, n.cfg.DataDir)
	if n2.Gallery().Persons() != 3 || n2.Gallery().Len() != 7 {
		t.Errorf("reloaded gallery: %d persons %d templates", n2.Gallery().Persons(), n2.Gallery().Len())
	}
	res, err := n2.IdentifyImages(ctx, officer, fingers(t, 3, 1, 2), nil, IdentifyOptions{})
	if err != nil || !res.Hit || res.Candidates[0].PersonID != a.PersonID {
		t.Fatalf("identify after restart: %+v, %v", res, err)
	}
}

func TestWatchlistAlert(t *testing.T) {
	ctx := context.Background()
	n := openNode(t, t.TempDir())
	a := enroll(t, n, 5, 0, 1, 2)
	if _, err := n.WatchlistAdd(ctx, officer, a.PersonID, "wanted", ""); !errors.Is(err, ErrForbidden) {
		t.Errorf("officer adding to watchlist: %v", err)
	}
	w, err := n.WatchlistAdd(ctx, supervisor, a.PersonID, "wanted", "court order 12")
	if err != nil {
		t.Fatal(err)
	}
	again := enroll(t, n, 5, 1, 1, 2)
	if len(again.Alerts) != 1 || again.Alerts[0].WatchlistID != w.ID || again.Alerts[0].List != "wanted" {
		t.Fatalf("alerts %+v", again.Alerts)
	}
	if al, _ := n.Alerts(ctx, officer); len(al) != 1 {
		t.Errorf("stored alerts %d", len(al))
	}
	if err := n.WatchlistRemove(ctx, supervisor, w.ID); err != nil {
		t.Fatal(err)
	}
	if err := n.WatchlistRemove(ctx, supervisor, w.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("removing twice: %v", err)
	}
	if again2 := enroll(t, n, 5, 2, 1); len(again2.Alerts) != 0 {
		t.Errorf("alert after removal: %+v", again2.Alerts)
	}
	if _, err := n.WatchlistAdd(ctx, supervisor, "no-such-person", "wanted", ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown person: %v", err)
	}
}

func TestFailureToAcquire(t *testing.T) {
	ctx := context.Background()
	n := openNode(t, t.TempDir())
	blank := image.NewGray(image.Rect(0, 0, 300, 300))
	for i := range blank.Pix {
		blank.Pix[i] = 255
	}
	var buf bytes.Buffer
	png.Encode(&buf, blank)
	r, err := n.Enroll(ctx, officer, &EnrollRequest{Fingers: []FingerImage{
		{Position: 1, Image: buf.Bytes()},
		{Position: 2, Image: fingerPNG(t, 6, 2, 0)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != StatusEnrolled || r.Samples[0].Status != store.SampleFTA || r.Samples[0].Reason == "" || r.Samples[1].Status != store.SampleOK {
		t.Fatalf("partial FTA: %+v", r)
	}
	r, err = n.Enroll(ctx, officer, &EnrollRequest{Fingers: []FingerImage{{Position: 1, Image: buf.Bytes()}}})
	if err != nil || r.Status != StatusFTA {
		t.Fatalf("all FTA: %+v, %v", r, err)
	}
	sms, err := n.Store().Samples(ctx, r.EncounterID)
	if err != nil || len(sms) != 1 || sms[0].Status != store.SampleFTA || sms[0].Reason == "" {
		t.Fatalf("stored FTA sample: %+v, %v", sms, err)
	}
	if _, err := n.IdentifyImages(ctx, officer, []FingerImage{{Position: 1, Image: buf.Bytes()}}, nil, IdentifyOptions{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("identify with unusable image: %v", err)
	}
}

func TestMalformedChangesNothing(t *testing.T) {
	ctx := context.Background()
	n := openNode(t, t.TempDir())
	good := fingerPNG(t, 7, 1, 0)
	size0, _ := n.AuditLog().Size(ctx)
	for name, req := range map[string]*EnrollRequest{
		"no fingers":    {},
		"bad image":     {Fingers: []FingerImage{{Position: 1, Image: []byte("not an image")}}},
		"truncated png": {Fingers: []FingerImage{{Position: 1, Image: good[:len(good)/2]}}},
		"position 11":   {Fingers: []FingerImage{{Position: 11, Image: good}}},
		"duplicate":     {Fingers: []FingerImage{{Position: 1, Image: good}, {Position: 1, Image: good}}},
		"birth date":    {Person: PersonInfo{BirthDate: "02/01/1990"}, Fingers: []FingerImage{{Position: 1, Image: good}}},
		"nationality":   {Person: PersonInfo{Nationality: "nl"}, Fingers: []FingerImage{{Position: 1, Image: good}}},
		"ppi":           {Fingers: []FingerImage{{Position: 1, PPI: 5, Image: good}}},
		"too many":      {Fingers: make([]FingerImage, 11)},
		"sex":           {Person: PersonInfo{Sex: "male"}, Fingers: []FingerImage{{Position: 1, Image: good}}},
		"long location": {Encounter: EncounterInfo{Location: string(make([]byte, 201))}, Fingers: []FingerImage{{Position: 1, Image: good}}},
	} {
		_, err := n.Enroll(ctx, officer, req)
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if size, _ := n.AuditLog().Size(ctx); size != size0 || n.Gallery().Len() != 0 {
		t.Errorf("malformed requests changed the node: audit %d→%d, gallery %d", size0, size, n.Gallery().Len())
	}
	if _, err := n.Enroll(ctx, examiner, &EnrollRequest{Fingers: []FingerImage{{Position: 1, Image: good}}}); !errors.Is(err, ErrForbidden) {
		t.Errorf("examiner enrolling: %v", err)
	}
}

func TestUsers(t *testing.T) {
	ctx := context.Background()
	n := openNode(t, t.TempDir())
	admin, err := n.Bootstrap(ctx)
	if err != nil || admin == "" {
		t.Fatalf("bootstrap: %q, %v", admin, err)
	}
	if again, _ := n.Bootstrap(ctx); again != "" {
		t.Error("second bootstrap made a token")
	}
	a, err := n.Authenticate(ctx, admin)
	if err != nil || a.Role != RoleAdmin {
		t.Fatalf("admin: %+v, %v", a, err)
	}
	tok, err := n.AddUser(ctx, a, "olga", RoleOfficer)
	if err != nil {
		t.Fatal(err)
	}
	if o, err := n.Authenticate(ctx, tok); err != nil || o.User != "olga" || o.Role != RoleOfficer {
		t.Errorf("officer: %+v, %v", o, err)
	}
	if _, err := n.AddUser(ctx, a, "bad name!", RoleOfficer); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad name: %v", err)
	}
	if _, err := n.AddUser(ctx, a, "x", "king"); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad role: %v", err)
	}
	if _, err := n.AddUser(ctx, officer, "y", RoleAdmin); !errors.Is(err, ErrForbidden) {
		t.Errorf("officer adding user: %v", err)
	}
	if _, err := n.Authenticate(ctx, "bix_nope"); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("bad token: %v", err)
	}
}

func TestEnrollTransactionMalformed(t *testing.T) {
	n := openNode(t, t.TempDir())
	_, err := n.EnrollTransaction(context.Background(), officer, bytes.NewReader([]byte("1.001:garbage")), EncounterInfo{}, "")
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("garbage transaction: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	if _, err := Open(context.Background(), Config{}, nil); err == nil {
		t.Error("no data_dir accepted")
	}
	c := Config{DataDir: t.TempDir(), Getenv: func(string) string { return "" }}
	if _, err := Open(context.Background(), c, nil); err == nil {
		t.Error("no key accepted")
	}
}

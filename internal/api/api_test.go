package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/png"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/bixproject/bix/internal/node"
	"github.com/bixproject/bix/internal/store"
	"github.com/bixproject/bix/synth"
)

var (
	imgMu    sync.Mutex
	imgCache = map[[2]int64][]byte{}
)

func fingerPNG(t testing.TB, person, position, imp int) []byte {
	t.Helper()
	key := [2]int64{int64(person*10 + position), int64(imp)}
	imgMu.Lock()
	defer imgMu.Unlock()
	if b, ok := imgCache[key]; ok {
		return b
	}
	img := synth.NewFinger(5000+key[0]).Impression(key[0]*100+key[1], synth.ImpressionOptions{Width: 320, Height: 360})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	imgCache[key] = buf.Bytes()
	return buf.Bytes()
}

func fingers(t testing.TB, person, imp int, positions ...int) []node.FingerImage {
	var fs []node.FingerImage
	for _, p := range positions {
		fs = append(fs, node.FingerImage{Position: p, PPI: 500, Image: fingerPNG(t, person, p, imp)})
	}
	return fs
}

// testNode starts a real node and API server on a loopback port and returns
// its URL, the admin token and the node.
func testNode(t *testing.T, logs io.Writer, maxBody int64) (string, string, *node.Node) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	kek, _ := store.ParseKEK(store.GenerateKeyText())
	n, err := node.Open(ctx, node.Config{DataDir: t.TempDir(), NodeID: "api.test", KEK: kek, MaxRequestBytes: maxBody}, nil)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := n.Bootstrap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if logs == nil {
		logs = io.Discard
	}
	srv := NewServer(n, slog.New(slog.NewJSONHandler(logs, nil)))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		n.Close()
	})
	return "http://" + ln.Addr().String(), admin, n
}

func users(t *testing.T, url, admin string) map[string]*Client {
	ctx := context.Background()
	ac := &Client{BaseURL: url, Token: admin}
	out := map[string]*Client{"admin": ac}
	for name, role := range map[string]string{"olga": "officer", "emil": "examiner", "sven": "supervisor", "audrey": "auditor"} {
		u, err := ac.AddUser(ctx, name, role)
		if err != nil {
			t.Fatal(err)
		}
		out[role] = &Client{BaseURL: url, Token: u.Token, Purpose: "test"}
	}
	return out
}

func status(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

func TestEndToEnd(t *testing.T) {
	ctx := context.Background()
	var logs bytes.Buffer
	url, admin, _ := testNode(t, &logs, 0)
	c := users(t, url, admin)
	off, ex, sup := c["officer"], c["examiner"], c["supervisor"]

	if w, err := off.WhoAmI(ctx); err != nil || w.User != "olga" || w.Role != "officer" {
		t.Fatalf("whoami: %+v, %v", w, err)
	}
	a, err := off.Enroll(ctx, &node.EnrollRequest{Person: node.PersonInfo{GivenName: "Ana", BirthDate: "2012-05-01"}, Fingers: fingers(t, 1, 0, 1, 2)})
	if err != nil || a.Status != node.StatusEnrolled {
		t.Fatalf("enroll: %+v, %v", a, err)
	}
	b, err := off.Enroll(ctx, &node.EnrollRequest{Fingers: fingers(t, 2, 0, 1, 2)})
	if err != nil || b.Status != node.StatusEnrolled {
		t.Fatalf("enroll b: %+v, %v", b, err)
	}
	if _, err := sup.WatchlistAdd(ctx, WatchlistRequest{PersonID: a.PersonID, List: "wanted"}); err != nil {
		t.Fatal(err)
	}
	again, err := off.Enroll(ctx, &node.EnrollRequest{Fingers: fingers(t, 1, 1, 1, 2)})
	if err != nil || again.Status != node.StatusPending || len(again.Alerts) != 1 {
		t.Fatalf("re-enroll: %+v, %v", again, err)
	}
	id, err := off.Identify(ctx, &IdentifyRequest{Fingers: fingers(t, 1, 2, 1, 2)})
	if err != nil || !id.Hit || (id.Candidates[0].PersonID != a.PersonID && id.Candidates[0].PersonID != again.PersonID) {
		t.Fatalf("identify: %+v, %v", id, err)
	}
	v, err := off.Verify(ctx, b.PersonID, VerifyRequest{Fingers: fingers(t, 2, 1, 1)})
	if err != nil || !v.Match {
		t.Fatalf("verify: %+v, %v", v, err)
	}
	p, err := off.Person(ctx, a.PersonID)
	if err != nil || p.GivenName != "Ana" || !p.Minor || len(p.Watchlist) != 1 {
		t.Fatalf("person: %+v, %v", p, err)
	}
	tasks, err := ex.Tasks(ctx, "open")
	if err != nil || len(tasks) != 1 || tasks[0].ID != again.TaskID {
		t.Fatalf("tasks: %+v, %v", tasks, err)
	}
	if _, err := ex.Claim(ctx, again.TaskID); err != nil {
		t.Fatal(err)
	}
	if _, err := sup.Decide(ctx, again.TaskID, node.Decision{Outcome: "different", ReasonCode: "x"}); status(err) != 409 {
		t.Errorf("deciding a task claimed by another: %v", err)
	}
	d, err := ex.Decide(ctx, again.TaskID, node.Decision{Outcome: "same", Candidate: a.PersonID, ReasonCode: "minutiae-agree"})
	if err != nil || d.Decision == nil || d.Decision.Outcome != "same" {
		t.Fatalf("decide: %+v, %v", d, err)
	}
	if al, err := off.Alerts(ctx); err != nil || len(al) != 1 {
		t.Errorf("alerts: %v, %v", al, err)
	}
	wl, err := off.Watchlist(ctx)
	if err != nil || len(wl) != 1 {
		t.Fatalf("watchlist: %v, %v", wl, err)
	}
	if err := sup.WatchlistRemove(ctx, wl[0].ID); err != nil {
		t.Fatal(err)
	}
	h, err := (&Client{BaseURL: url}).Health(ctx)
	if err != nil || h.Status != "ok" || h.Templates != 6 || h.Persons != 2 {
		t.Errorf("health: %+v, %v", h, err)
	}
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `bix_enrollments_total{status="enrolled"} 2`) || !strings.Contains(string(body), "bix_gallery_templates 6") {
		t.Errorf("metrics missing counters:\n%.2000s", body)
	}
	// Request logs are JSON lines with the user.
	var sawUser bool
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		sawUser = sawUser || (m["path"] == "/v1/enrollments" && m["user"] == "olga")
	}
	if !sawUser {
		t.Error("no request log line for olga's enrollment")
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	url, admin, n := testNode(t, nil, 1<<20)
	c := users(t, url, admin)
	off := c["officer"]
	size0, _ := n.AuditLog().Size(ctx)

	raw := func(method, path, token, ct, body string) (int, string) {
		req, _ := http.NewRequest(method, url+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var eb ErrorBody
		json.Unmarshal(b, &eb)
		return resp.StatusCode, eb.Error
	}
	for _, tc := range []struct {
		name, method, path, token, ct, body string
		status                              int
		msg                                 string
	}{
		{"no token", "POST", "/v1/identify", "", "", "{}", 401, "Bearer"},
		{"bad token", "GET", "/v1/whoami", "bix_nope", "", "", 401, "unknown bearer token"},
		{"bad json", "POST", "/v1/enrollments", off.Token, "application/json", "{", 400, "JSON body"},
		{"unknown field", "POST", "/v1/enrollments", off.Token, "application/json", `{"fingerz":[]}`, 400, `unknown field "fingerz"`},
		{"trailing", "POST", "/v1/enrollments", off.Token, "application/json", `{} {}`, 400, "trailing data"},
		{"content type", "POST", "/v1/enrollments", off.Token, "text/plain", `{}`, 400, "Content-Type"},
		{"no fingers", "POST", "/v1/enrollments", off.Token, "application/json", `{}`, 400, "no finger or face images"},
		{"bad base64", "POST", "/v1/identify", off.Token, "application/json", `{"fingers":[{"position":1,"image":"!!"}]}`, 400, "JSON body"},
		{"not an image", "POST", "/v1/identify", off.Token, "application/json", `{"fingers":[{"position":1,"image":"aGVsbG8="}]}`, 400, "fingers[0].image"},
		{"position", "POST", "/v1/identify", off.Token, "application/json", `{"fingers":[{"position":12,"image":"aGVsbG8="}]}`, 400, "fingers[0].position 12"},
		{"too large", "POST", "/v1/enrollments", off.Token, "application/json", `{"fingers":[{"position":1,"image":"` + strings.Repeat("A", 2<<20) + `"}]}`, 413, "larger than"},
		{"forbidden", "POST", "/v1/users", off.Token, "application/json", `{"name":"x","role":"admin"}`, 403, "may not"},
		{"no person", "GET", "/v1/persons/8d3ba3c9-7e0b-4f59-a3f1-6b3f0d1f8e11", off.Token, "", "", 404, "not found"},
		{"bad person id", "GET", "/v1/persons/robert", off.Token, "", "", 400, "not a UUID"},
		{"bad state", "GET", "/v1/tasks?state=weird", c["examiner"].Token, "", "", 400, "weird"},
		{"no task", "POST", "/v1/tasks/nope/claim", c["examiner"].Token, "", "", 404, "not found"},
		{"bad transaction", "POST", "/v1/enrollments/ansi-nist", off.Token, "application/octet-stream", "1.001:17\x1d", 400, "ANSI/NIST-ITL"},
		{"bad consent", "POST", "/v1/enrollments/ansi-nist?consent=maybe", off.Token, "application/octet-stream", "", 400, "consent"},
	} {
		st, msg := raw(tc.method, tc.path, tc.token, tc.ct, tc.body)
		if st != tc.status || !strings.Contains(msg, tc.msg) {
			t.Errorf("%s: %d %q, want %d containing %q", tc.name, st, msg, tc.status, tc.msg)
		}
	}
	// Only the user additions were logged; nothing else changed.
	if size, _ := n.AuditLog().Size(ctx); size != size0 || n.Gallery().Len() != 0 {
		t.Errorf("bad requests changed the node: audit %d→%d, gallery %d", size0, size, n.Gallery().Len())
	}
}

// TestOpenAPIMatchesRoutes keeps openapi.yaml true: every route is
// described and every described operation is served.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	b, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var described []string
	for p, ops := range doc.Paths {
		for m := range ops {
			described = append(described, strings.ToUpper(m)+" "+p)
		}
	}
	kek, _ := store.ParseKEK(store.GenerateKeyText())
	n, err := node.Open(context.Background(), node.Config{DataDir: t.TempDir(), KEK: kek}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	var served []string
	for _, r := range NewServer(n, nil).Routes() {
		served = append(served, r.Method+" "+r.Path)
		ops := doc.Paths[r.Path]
		op, ok := ops[strings.ToLower(r.Method)].(map[string]any)
		if !ok {
			continue
		}
		// Unauthenticated routes say so with an empty security list.
		sec, has := op["security"]
		if r.Auth == (has && len(sec.([]any)) == 0) {
			t.Errorf("%s %s: authentication in openapi.yaml does not match the server", r.Method, r.Path)
		}
	}
	sort.Strings(described)
	sort.Strings(served)
	if strings.Join(described, "\n") != strings.Join(served, "\n") {
		t.Errorf("openapi.yaml and the server disagree:\ndescribed:\n%s\nserved:\n%s", strings.Join(described, "\n"), strings.Join(served, "\n"))
	}
}

// TestFaceWithoutModels: a face sent to a node without the face models is a
// client error naming the fix, never silently dropped; fingers still work.
func TestFaceWithoutModels(t *testing.T) {
	ctx := context.Background()
	kek, _ := store.ParseKEK(store.GenerateKeyText())
	n, err := node.Open(ctx, node.Config{DataDir: t.TempDir(), NodeID: "api.test", KEK: kek, Face: node.FaceConfig{Enabled: "false"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	tok, err := n.AddUser(ctx, node.Actor{User: "bootstrap", Role: node.RoleSystem}, "olga", node.RoleOfficer)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(NewServer(n, slog.New(slog.NewJSONHandler(io.Discard, nil))))
	defer hs.Close()
	off := &Client{BaseURL: hs.URL, Token: tok, Purpose: "test"}
	face := &node.FaceImage{Image: fingerPNG(t, 1, 0, 1)}
	for name, call := range map[string]func() error{
		"enroll": func() error {
			_, err := off.Enroll(ctx, &node.EnrollRequest{Faces: []node.FaceImage{*face}})
			return err
		},
		"identify": func() error {
			_, err := off.Identify(ctx, &IdentifyRequest{Fingers: fingers(t, 1, 0, 1), Face: face})
			return err
		},
		"verify": func() error {
			_, err := off.Verify(ctx, "8d3ba3c9-7e0b-4f59-a3f1-6b3f0d1f8e11", VerifyRequest{Face: face})
			return err
		},
	} {
		var ae *Error
		if err := call(); !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || !strings.Contains(ae.Message, "face models not installed: run bix models pull") {
			t.Errorf("%s with a face: %v, want 400 face models not installed", name, err)
		}
	}
	if r, err := off.Enroll(ctx, &node.EnrollRequest{Fingers: fingers(t, 1, 0, 1)}); err != nil || r.Samples[0].Modality != "finger" {
		t.Errorf("fingers on the same node: %+v, %v", r, err)
	}
}

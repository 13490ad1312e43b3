package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bixproject/bix/internal/node"
	"github.com/bixproject/bix/internal/store"
)

// getJSON GETs path with token and decodes the body into v (when not nil);
// it returns the status.
func getJSON(t *testing.T, method, url, token string, body io.Reader, v any) int {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if v != nil && resp.StatusCode == 200 {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s %s: %v\n%s", method, url, err, b)
		}
	}
	return resp.StatusCode
}

func TestConsoleServed(t *testing.T) {
	url, _, _ := testNode(t, nil, 0)
	resp, err := http.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "/console/app.js") || resp.Header.Get("Content-Security-Policy") == "" {
		t.Fatalf("GET /: %d %q\n%.300s", resp.StatusCode, resp.Header, b)
	}
	if got := getJSON(t, "GET", url+"/console/app.js", "", nil, nil); got != 200 {
		t.Errorf("GET /console/app.js: %d", got)
	}
	// The API is unchanged next to it.
	if got := getJSON(t, "GET", url+"/v1/whoami", "", nil, nil); got != 401 {
		t.Errorf("GET /v1/whoami without token: %d, want 401", got)
	}
	if got := getJSON(t, "GET", url+"/v1/nothing", "", nil, nil); got != 404 {
		t.Errorf("GET /v1/nothing: %d, want 404", got)
	}
}

func TestConsoleRoutes(t *testing.T) {
	ctx := context.Background()
	url, admin, n := testNode(t, nil, 0)
	c := users(t, url, admin)
	off, ex, aud := c["officer"], c["examiner"], c["auditor"]
	a, err := off.Enroll(ctx, &node.EnrollRequest{Fingers: fingers(t, 1, 0, 1, 2)})
	if err != nil || a.Status != node.StatusEnrolled {
		t.Fatalf("enroll: %+v, %v", a, err)
	}
	again, err := off.Enroll(ctx, &node.EnrollRequest{Fingers: fingers(t, 1, 1, 1, 2)})
	if err != nil || again.Status != node.StatusPending {
		t.Fatalf("re-enroll: %+v, %v", again, err)
	}

	// Task detail with minutiae and pairs, for examiners only.
	var ct ConsoleTask
	if got := getJSON(t, "GET", url+"/v1/console/tasks/"+again.TaskID, ex.Token, nil, &ct); got != 200 {
		t.Fatalf("console task: %d", got)
	}
	if len(ct.Probe) != 2 || len(ct.Candidates) != 1 || ct.Candidates[0].PersonID != a.PersonID || len(ct.Candidates[0].Fingers) != 2 {
		t.Fatalf("console task: probe %d fingers, candidates %+v", len(ct.Probe), ct.Candidates)
	}
	for _, f := range ct.Candidates[0].Fingers {
		var probe *FingerView
		for _, p := range ct.Probe {
			if p.Position == f.Position {
				probe = p
			}
		}
		if probe == nil || len(probe.Minutiae) == 0 || len(f.Candidate.Minutiae) == 0 {
			t.Fatalf("finger %d: no minutiae", f.Position)
		}
		if len(f.Pairs) < 5 {
			t.Errorf("finger %d (score %.3f): only %d paired minutiae for a mated pair", f.Position, f.Score, len(f.Pairs))
		}
		for _, p := range f.Pairs {
			if p.A < 0 || p.A >= len(probe.Minutiae) || p.B < 0 || p.B >= len(f.Candidate.Minutiae) {
				t.Fatalf("finger %d: pair %+v out of range", f.Position, p)
			}
		}
	}
	for _, tok := range []string{off.Token, aud.Token} {
		if got := getJSON(t, "GET", url+"/v1/console/tasks/"+again.TaskID, tok, nil, nil); got != 403 {
			t.Errorf("console task for a non-examiner: %d, want 403", got)
		}
	}
	if got := getJSON(t, "GET", url+"/v1/console/tasks/nope", ex.Token, nil, nil); got != 404 {
		t.Errorf("console task nope: %d, want 404", got)
	}

	// Quality check: ok for a real finger, FTA for a blank image, nothing
	// enrolled.
	before := n.Gallery().Len()
	var q QualityResult
	body := fmt.Sprintf(`{"fingers":[{"position":1,"image":%q},{"position":2,"image":%q}]}`,
		base64.StdEncoding.EncodeToString(fingerPNG(t, 3, 1, 0)), base64.StdEncoding.EncodeToString(blankPNG(t)))
	if got := getJSON(t, "POST", url+"/v1/console/quality", off.Token, strings.NewReader(body), &q); got != 200 {
		t.Fatalf("quality: %d", got)
	}
	if len(q.Samples) != 2 || q.Samples[0].Status != "ok" || q.Samples[0].Minutiae == 0 || q.Samples[1].Status != "failure_to_acquire" || q.Samples[1].Reason == "" {
		t.Errorf("quality: %+v", q)
	}
	if n.Gallery().Len() != before {
		t.Errorf("quality check changed the gallery")
	}
	if got := getJSON(t, "POST", url+"/v1/console/quality", aud.Token, strings.NewReader(body), nil); got != 403 {
		t.Errorf("quality as auditor: %d, want 403", got)
	}
	for _, bad := range []string{`{"fingers":[]}`, `{"fingers":[{"position":1,"image":"AAAA"}]}`, `{"fingers":[{"position":11,"image":"AAAA"}]}`, `{}`} {
		if got := getJSON(t, "POST", url+"/v1/console/quality", off.Token, strings.NewReader(bad), nil); got != 400 {
			t.Errorf("quality %s: %d, want 400", bad, got)
		}
	}

	// Audit browsing: auditor only.
	var es AuditEntries
	if got := getJSON(t, "GET", url+"/v1/audit/entries?count=2", aud.Token, nil, &es); got != 200 {
		t.Fatalf("audit entries: %d", got)
	}
	if es.Size < 3 || len(es.Entries) != 2 || es.Entries[1].Index != es.Size-1 || es.Start != es.Size-2 {
		t.Errorf("audit entries: %+v", es)
	}
	if got := getJSON(t, "GET", url+"/v1/audit/entries?start=0&count=1", aud.Token, nil, &es); got != 200 || len(es.Entries) != 1 || es.Entries[0].Index != 0 {
		t.Errorf("audit entries from 0: %d %+v", got, es)
	}
	var about AuditEntries
	if got := getJSON(t, "GET", url+"/v1/audit/entries?object="+a.PersonID, aud.Token, nil, &about); got != 200 || len(about.Entries) == 0 || about.Object != a.PersonID {
		t.Fatalf("entries about %s: %d %+v", a.PersonID, got, about)
	}
	for _, e := range about.Entries {
		if !strings.Contains(strings.Join(e.Entry.Objects, " "), a.PersonID) {
			t.Errorf("entry %d does not name %s: %v", e.Index, a.PersonID, e.Entry.Objects)
		}
	}
	if got := getJSON(t, "GET", url+"/v1/audit/entries?object=nobody", aud.Token, nil, &about); got != 200 || len(about.Entries) != 0 {
		t.Errorf("entries about nobody: %d %+v", got, about)
	}
	for _, q := range []string{"count=0", "count=501", "count=x", "start=-1"} {
		if got := getJSON(t, "GET", url+"/v1/audit/entries?"+q, aud.Token, nil, nil); got != 400 {
			t.Errorf("audit entries %s: %d, want 400", q, got)
		}
	}
	for _, tok := range []string{off.Token, ex.Token, admin} {
		for _, p := range []string{"/v1/audit/entries", "/v1/audit/checkpoint", "/v1/audit/proofs/0"} {
			if got := getJSON(t, "GET", url+p, tok, nil, nil); got != 403 {
				t.Errorf("GET %s as a non-auditor: %d, want 403", p, got)
			}
		}
	}
	if _, err := n.AuditLog().Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	var cp AuditCheckpoint
	if got := getJSON(t, "GET", url+"/v1/audit/checkpoint", aud.Token, nil, &cp); got != 200 {
		t.Fatalf("checkpoint: %d", got)
	}
	if !cp.Verified || cp.Size != cp.LogSize || cp.Size < 3 || len(cp.Signatures) != 1 || cp.Signatures[0].Witness || cp.Origin != n.AuditLog().Origin() {
		t.Errorf("checkpoint: %+v", cp)
	}
	var pr AuditProof
	if got := getJSON(t, "GET", url+"/v1/audit/proofs/1", aud.Token, nil, &pr); got != 200 {
		t.Fatalf("proof: %d", got)
	}
	if !pr.ProofOK || pr.Index != 1 || pr.Entry.Action == "" || pr.Root == "" {
		t.Errorf("proof: %+v", pr)
	}
	if got := getJSON(t, "GET", url+fmt.Sprintf("/v1/audit/proofs/%d", cp.LogSize+5), aud.Token, nil, nil); got != 404 {
		t.Errorf("proof beyond the log: %d, want 404", got)
	}
	if got := getJSON(t, "GET", url+"/v1/audit/proofs/x", aud.Token, nil, nil); got != 400 {
		t.Errorf("proof x: %d, want 400", got)
	}
}

func TestParseCheckpoint(t *testing.T) {
	good := "bix.test\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— bix.test AAAAAQID\n— partner.test AAAAAgQF\n"
	cp, err := parseCheckpoint([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if cp.origin != "bix.test" || cp.size != 3 || len(cp.sigs) != 2 || cp.sigs[0].Witness || !cp.sigs[1].Witness || cp.sigs[1].Name != "partner.test" || cp.sigs[1].KeyHash != "00000002" {
		t.Errorf("parsed %+v", cp)
	}
	for _, bad := range []string{"", "a\n1\n", "a\nx\nAAAA\n\n— a AAAAAQID\n", "a\n1\nnothash\n\n— a AAAAAQID\n", good + "junk\n", "a\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— a !!\n"} {
		if _, err := parseCheckpoint([]byte(bad)); err == nil {
			t.Errorf("parseCheckpoint(%q): no error", bad)
		}
	}
}

func blankPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 300, 300))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzParseCheckpoint: any bytes give a checkpoint or an error, never a
// panic, and a parsed checkpoint has a non-negative size.
func FuzzParseCheckpoint(f *testing.F) {
	f.Add([]byte("bix.test\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— bix.test AAAAAQID\n— partner.test AAAAAgQF\n"))
	f.Add([]byte("a\n1\nAAAA\n\n— a\n"))
	f.Add([]byte("\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cp, err := parseCheckpoint(b)
		if err != nil {
			return
		}
		if cp.size < 0 || len(cp.sigs) == 0 && !strings.Contains(string(b), "\n\n") {
			t.Fatalf("parsed %+v from %q", cp, b)
		}
		for _, s := range cp.sigs {
			if len(s.KeyHash) != 8 {
				t.Fatalf("key hash %q", s.KeyHash)
			}
		}
	})
}

// TestConsoleTaskImages: a node that keeps images sends them with the
// task's templates, as PNG data URLs covering the template.
func TestConsoleTaskImages(t *testing.T) {
	ctx := context.Background()
	kek, _ := store.ParseKEK(store.GenerateKeyText())
	n, err := node.Open(ctx, node.Config{DataDir: t.TempDir(), NodeID: "images.test", KEK: kek, KeepImages: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	srv := httptest.NewServer(NewServer(n, nil))
	defer srv.Close()
	sys := node.Actor{User: "setup", Role: node.RoleSystem}
	offTok, _ := n.AddUser(ctx, sys, "olga", node.RoleOfficer)
	exTok, _ := n.AddUser(ctx, sys, "emil", node.RoleExaminer)
	off := &Client{BaseURL: srv.URL, Token: offTok}
	if _, err := off.Enroll(ctx, &node.EnrollRequest{Fingers: fingers(t, 1, 0, 1)}); err != nil {
		t.Fatal(err)
	}
	again, err := off.Enroll(ctx, &node.EnrollRequest{Fingers: fingers(t, 1, 1, 1)})
	if err != nil || again.TaskID == "" {
		t.Fatalf("re-enroll: %+v, %v", again, err)
	}
	var ct ConsoleTask
	if got := getJSON(t, "GET", srv.URL+"/v1/console/tasks/"+again.TaskID, exTok, nil, &ct); got != 200 {
		t.Fatalf("console task: %d", got)
	}
	if len(ct.Probe) != 1 || len(ct.Candidates) != 1 || len(ct.Candidates[0].Fingers) != 1 {
		t.Fatalf("console task: %+v", ct)
	}
	for _, v := range []*FingerView{ct.Probe[0], ct.Candidates[0].Fingers[0].Candidate} {
		b64, ok := strings.CutPrefix(v.Image, "data:image/png;base64,")
		if !ok {
			t.Fatalf("image %.40q: want a PNG data URL", v.Image)
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(raw))
		if err != nil || cfg.Width != 320 || cfg.Height != 360 {
			t.Errorf("image %dx%d, %v; want the 320x360 sample", cfg.Width, cfg.Height, err)
		}
	}
	if ct.Probe[0].Image == ct.Candidates[0].Fingers[0].Candidate.Image {
		t.Error("probe and candidate show the same image")
	}
}

package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bixproject/bix/internal/audit"
	"github.com/bixproject/bix/internal/node"
	"github.com/bixproject/bix/internal/store"
)

// TestLoginAudited checks that a sign-in (GET /v1/whoami, the console's)
// and a token's creation are logged as login entries, and that other API
// calls and a refused token are not logged as sign-ins (refused tokens are
// counted per minute, see TestSignInFailures).
func TestLoginAudited(t *testing.T) {
	ctx := context.Background()
	url, admin, n := testNode(t, nil, 0)
	type login struct{ actor, role, event, object string }
	logins := func() []login {
		t.Helper()
		l := n.AuditLog()
		size, err := l.Size(ctx)
		if err != nil {
			t.Fatal(err)
		}
		es, err := l.Entries(ctx, audit.RoleAuditor, 0, size)
		if err != nil {
			t.Fatal(err)
		}
		var out []login
		for _, e := range es {
			if e.Entry.Action != audit.ActionLogin {
				continue
			}
			var d struct{ Event string }
			if err := json.Unmarshal(e.Entry.Detail, &d); err != nil {
				t.Fatalf("login entry %d detail: %v", e.Index, err)
			}
			if d.Event == LoginSignInFailed {
				continue // aggregated per minute, see TestSignInFailures
			}
			lg := login{e.Entry.Actor, e.Entry.Role, d.Event, ""}
			if len(e.Entry.Objects) > 0 {
				lg.object = e.Entry.Objects[0]
			}
			out = append(out, lg)
		}
		return out
	}
	base := len(logins())
	ac := &Client{BaseURL: url, Token: admin}
	u, err := ac.AddUser(ctx, "olga", "officer")
	if err != nil {
		t.Fatal(err)
	}
	olga := &Client{BaseURL: url, Token: u.Token}
	if _, err := olga.WhoAmI(ctx); err != nil {
		t.Fatal(err)
	}
	// Not a sign-in: an ordinary call, and a token that is refused.
	if _, err := ac.Users(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := (&Client{BaseURL: url, Token: "not-a-token"}).WhoAmI(ctx); status(err) != 401 {
		t.Fatalf("bad token: %v", err)
	}
	got := logins()[base:]
	want := []login{
		{"admin", string(node.RoleAdmin), LoginTokenIssued, "user:olga"},
		{"olga", "officer", LoginSignIn, ""},
	}
	if len(got) != len(want) {
		t.Fatalf("login entries %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("login entry %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestSignInFailures sends bad and missing bearer tokens from a few
// sources, then from more sources than are logged one by one: each window
// (a minute, on the server's clock) is logged at its end as one entry per
// source with the failures by reason, plus one "other" entry past the cap;
// the presented tokens are nowhere in the log, and a good token still works.
func TestSignInFailures(t *testing.T) {
	ctx := context.Background()
	kek, _ := store.ParseKEK(store.GenerateKeyText())
	n, err := node.Open(ctx, node.Config{DataDir: t.TempDir(), NodeID: "api.test", KEK: kek}, nil)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := n.Bootstrap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(n, nil)
	var mu sync.Mutex
	now := time.Date(2026, 11, 29, 12, 0, 10, 0, time.UTC)
	srv.failed.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	t.Cleanup(func() {
		srv.failed.mu.Lock()
		if srv.failed.timer != nil {
			srv.failed.timer.Stop()
		}
		srv.failed.mu.Unlock()
		n.Close()
	})
	call := func(remote, token string) int {
		r := httptest.NewRequest("GET", "/v1/whoami", nil)
		r.RemoteAddr = remote
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		return w.Code
	}
	type failure struct {
		Event, Source                      string
		Failures, NoToken, UnknownToken, N int
	}
	failures := func(from int64) ([]failure, int64) {
		t.Helper()
		l := n.AuditLog()
		size, err := l.Size(ctx)
		if err != nil {
			t.Fatal(err)
		}
		es, err := l.Entries(ctx, audit.RoleAuditor, from, size)
		if err != nil {
			t.Fatal(err)
		}
		var out []failure
		for _, e := range es {
			b, _ := e.Entry.Canonical()
			if strings.Contains(string(b), "wrong-token") {
				t.Errorf("entry %d holds a presented token: %s", e.Index, b)
			}
			var d struct {
				Event, Source                   string
				Failures, NoToken, UnknownToken int
				Sources                         int
			}
			json.Unmarshal(e.Entry.Detail, &d)
			if e.Entry.Action == audit.ActionLogin && d.Event == LoginSignInFailed {
				var raw map[string]int
				json.Unmarshal(e.Entry.Detail, &raw)
				out = append(out, failure{d.Event, d.Source, d.Failures, raw[failNoToken], raw[failUnknownToken], d.Sources})
			}
		}
		return out, size
	}
	_, start := failures(0)

	for i := range 50 {
		if c := call("198.51.100.7:5000", fmt.Sprintf("wrong-token-%d", i)); c != 401 {
			t.Fatalf("bad token: %d", c)
		}
	}
	for range 3 {
		call("198.51.100.7:5001", "")
	}
	call("[2001:db8:1:2::5]:443", "wrong-token-v6")
	call("[2001:db8:1:2::9]:443", "wrong-token-v6")
	if c := call("203.0.113.9:1", admin); c != 200 {
		t.Fatalf("good token: %d", c)
	}
	srv.flushSignInFailures(ctx, false)
	if got, _ := failures(start); len(got) != 0 {
		t.Fatalf("failures logged before their minute ended: %+v", got)
	}
	advance(time.Minute)
	srv.flushSignInFailures(ctx, false)
	got, next := failures(start)
	want := []failure{
		{LoginSignInFailed, "198.51.100.7", 53, 3, 50, 0},
		{LoginSignInFailed, "2001:db8:1:2::/64", 2, 0, 2, 0},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("first minute: %+v, want %+v", got, want)
	}

	// A flood from many addresses: the cap plus one entry.
	const sources = 200
	for i := range sources {
		call(fmt.Sprintf("10.0.%d.%d:999", i/250, i%250+1), "wrong-token-flood")
	}
	advance(time.Minute)
	srv.flushSignInFailures(ctx, false)
	got, _ = failures(next)
	if len(got) != maxFailureSources+1 {
		t.Fatalf("%d sources logged %d entries, want %d", sources, len(got), maxFailureSources+1)
	}
	total := 0
	for _, f := range got {
		total += f.Failures
	}
	if last := got[len(got)-1]; last.Source != "other" || last.N != sources-maxFailureSources || total != sources {
		t.Errorf("other entry %+v, total %d, want %d sources and %d failures", last, total, sources-maxFailureSources, sources)
	}

	// Failures of a window cut short by a shutdown are logged when Serve
	// returns, dated then, not at the window's end.
	_, next = failures(0)
	advance(time.Minute + 5*time.Second)
	call("192.0.2.44:1", "wrong-token-late")
	call("192.0.2.44:2", "")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(sctx, ln) }()
	stop()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	got, _ = failures(next)
	if want := []failure{{LoginSignInFailed, "192.0.2.44", 2, 1, 1, 0}}; !slices.Equal(got, want) {
		t.Fatalf("after shutdown: %+v, want %+v", got, want)
	}
	es, err := n.AuditLog().Entries(ctx, audit.RoleAuditor, next, next+1)
	if err != nil {
		t.Fatal(err)
	}
	if at := es[0].Entry.Time; !at.Equal(now) {
		t.Errorf("entry of the cut window dated %v, want the shutdown's time %v", at, now)
	}
}

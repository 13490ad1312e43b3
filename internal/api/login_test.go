package api

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/bixproject/bix/internal/audit"
	"github.com/bixproject/bix/internal/node"
)

// TestLoginAudited checks that a sign-in (GET /v1/whoami, the console's)
// and a token's creation are logged as login entries, and that other API
// calls and a refused token are not.
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

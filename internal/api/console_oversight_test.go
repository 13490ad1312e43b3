package api

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bixproject/bix/internal/accountability"
	"github.com/bixproject/bix/internal/node"
)

// TestAuditOversight: the route serves accountability.Report over the
// node's log, to auditors only.
func TestAuditOversight(t *testing.T) {
	ctx := context.Background()
	url, admin, n := testNode(t, nil, 0)
	c := users(t, url, admin)
	if _, err := c["officer"].Enroll(ctx, &node.EnrollRequest{Fingers: fingers(t, 1, 0, 1)}); err != nil {
		t.Fatal(err)
	}
	var got accountability.Oversight
	if st := getJSON(t, "GET", url+"/v1/audit/oversight?from=2000-01-01&to=2100-01-01", c["auditor"].Token, nil, &got); st != 200 {
		t.Fatalf("status %d", st)
	}
	want, err := accountability.Report(ctx, n.Store().DB(), time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want.Actions, got.Actions); d != "" || got.Entries != want.Entries || got.Actions["enroll"] != 1 {
		t.Errorf("report differs from accountability.Report (-want +got):\n%s\nentries %d, want %d", d, got.Entries, want.Entries)
	}
	var all accountability.Oversight
	if st := getJSON(t, "GET", url+"/v1/audit/oversight", c["auditor"].Token, nil, &all); st != 200 || all.Entries != want.Entries {
		t.Errorf("default period: %d, %d entries, want %d", st, all.Entries, want.Entries)
	}
	for _, q := range []string{"from=yesterday", "to=2026-13-01", "from=2030-01-01&to=2029-01-01"} {
		if st := getJSON(t, "GET", url+"/v1/audit/oversight?"+q, c["auditor"].Token, nil, nil); st != 400 {
			t.Errorf("%s: %d, want 400", q, st)
		}
	}
	for _, role := range []string{"officer", "examiner", "supervisor", "admin"} {
		if st := getJSON(t, "GET", url+"/v1/audit/oversight", c[role].Token, nil, nil); st != 403 {
			t.Errorf("%s: %d, want 403", role, st)
		}
	}
}

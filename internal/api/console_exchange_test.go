package api

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bixproject/bix/internal/audit"
	"github.com/bixproject/bix/internal/store"
)

// TestExchangeStats aggregates exchange entries shaped as internal/exchange
// logs them.
func TestExchangeStats(t *testing.T) {
	ctx := context.Background()
	url, admin, n := testNode(t, nil, 0)
	c := users(t, url, admin)
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	entry := func(actor, action, purpose string, detail map[string]any) audit.Entry {
		e := audit.Entry{Time: now, Actor: actor, Role: "system", Action: action, Purpose: purpose}
		if detail != nil {
			e.Detail, _ = json.Marshal(detail)
		}
		return e
	}
	entries := []audit.Entry{
		entry("olga", audit.ActionSearchSent, "border-control", map[string]any{"partner": "co", "phase": "queued", "request_id": "r1"}),
		entry("node:us", audit.ActionSearchSent, "border-control", map[string]any{"partner": "co", "phase": "answered", "status": "answered", "result": "hit"}),
		entry("olga", audit.ActionSearchSent, "border-control", map[string]any{"partner": "co", "phase": "queued", "request_id": "r2"}),
		entry("node:us", audit.ActionSearchSent, "border-control", map[string]any{"partner": "co", "phase": "answered", "status": "answered", "result": "refused", "code": "quota_exceeded"}),
		entry("partner:co/ofc1", audit.ActionSearchReceived, "asylum", map[string]any{"result": "no_hit", "search_type": "ten_print"}),
		entry("partner:co/ofc1", audit.ActionSearchReceived, "asylum", map[string]any{"refused": "purpose_not_allowed", "rule": "purposes", "quota_used": 3}),
		entry("partner:co/ofc2", audit.ActionSearchReceived, "asylum", map[string]any{"refused": "purpose_not_allowed", "rule": "purposes"}),
		entry("partner:co/ofc1", audit.ActionDisclosure, "asylum", map[string]any{"refused": "protection_status", "rule": "protection"}),
		entry("olga", audit.ActionEnroll, "", nil),
	}
	err := n.Store().Update(ctx, func(tx *store.Tx) error {
		for _, e := range entries {
			if _, err := audit.Append(ctx, tx.SQL(), e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var st ExchangeStats
	if got := getJSON(t, "GET", url+"/v1/audit/exchange", c["auditor"].Token, nil, &st); got != 200 {
		t.Fatalf("status %d", got)
	}
	wantFlows := []ExchangeFlow{
		{Direction: "in", Partner: "co", Purpose: "asylum", Action: audit.ActionDisclosure, Requests: 1, Answered: 1, Refused: 1},
		{Direction: "in", Partner: "co", Purpose: "asylum", Action: audit.ActionSearchReceived, Requests: 3, Answered: 3, Refused: 2},
		{Direction: "out", Partner: "co", Purpose: "border-control", Action: audit.ActionSearchSent, Requests: 2, Answered: 2, Hits: 1, Refused: 1},
	}
	if d := cmp.Diff(wantFlows, st.Flows); d != "" {
		t.Errorf("flows (-want +got):\n%s", d)
	}
	wantRef := []ExchangeRefusal{
		{Direction: "in", Partner: "co", Code: "purpose_not_allowed", Rule: "purposes", Count: 2},
		{Direction: "in", Partner: "co", Code: "protection_status", Rule: "protection", Count: 1},
		{Direction: "out", Partner: "co", Code: "quota_exceeded", Count: 1},
	}
	if d := cmp.Diff(wantRef, st.Refusals); d != "" {
		t.Errorf("refusals (-want +got):\n%s", d)
	}
	if st.Entries < int64(len(entries)) {
		t.Errorf("entries %d", st.Entries)
	}
	if got := getJSON(t, "GET", url+"/v1/audit/exchange", c["officer"].Token, nil, nil); got != 403 {
		t.Errorf("officer: %d, want 403", got)
	}
}

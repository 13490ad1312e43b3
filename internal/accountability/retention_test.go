package accountability

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bixproject/bix/internal/audit"
	"github.com/bixproject/bix/internal/store"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, time.UTC) }

func TestParsePeriod(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Period
		ok   bool
	}{
		{"10y", Period{Years: 10}, true},
		{"90d", Period{Days: 90}, true},
		{"6m", Period{Months: 6}, true},
		{"2w", Period{Days: 14}, true},
		{" 5y ", Period{Years: 5}, true},
		{"", Period{}, false},
		{"y", Period{}, false},
		{"0d", Period{}, false},
		{"-3d", Period{}, false},
		{"3h", Period{}, false},
		{"99999999999y", Period{}, false},
	} {
		got, err := ParsePeriod(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParsePeriod(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrRetention) {
			t.Errorf("ParsePeriod(%q) error %v does not wrap ErrRetention", tc.in, err)
		}
	}
}

func TestRetentionInjectedClock(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.person("person-asylum-0001", "asylum", "F", "1990-01-01", "SYR", date(2020, 3, 1))
	f.person("person-irregular-01", "irregular", "M", "1985-05-05", "COL", date(2020, 3, 1))
	f.person("person-visitor-0001", "visitor", "M", "1970-01-01", "USA", date(2020, 3, 1))
	f.logAction(date(2021, 1, 1), audit.ActionIdentify, "person-irregular-01")
	pol, err := ParsePolicy(map[string]string{"asylum": "10y", "irregular": "5y"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.log.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	c := &clock{t: date(2025, 2, 28)}
	r := &Retention{Store: f.st, Policy: pol, Now: c.now}

	// The day before the irregular entrant's 5 years end: nothing goes.
	res, err := r.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Erased) != 0 {
		t.Fatalf("erased %d persons before retention ended", len(res.Erased))
	}
	c.set(date(2025, 3, 1))
	res, err = r.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Erased) != 1 || res.Erased[0].PersonID != "person-irregular-01" || res.Erased[0].DataKeys != 1 || res.Erased[0].Templates != 1 {
		t.Fatalf("erased %+v, want the irregular entrant with one key and one template", res.Erased)
	}
	if _, err := f.st.Person(ctx, "person-irregular-01"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("erased person still readable: %v", err)
	}
	// No readable template remains: no row, no key, nothing in a scan.
	var rows int
	f.st.DB().QueryRow(`SELECT COUNT(*) FROM templates WHERE person_id = 'person-irregular-01'`).Scan(&rows)
	var keys int
	f.st.DB().QueryRow(`SELECT COUNT(*) FROM data_keys`).Scan(&keys)
	if rows != 0 || keys != 2 {
		t.Fatalf("after erasure: %d template rows, %d data keys (want 0, 2)", rows, keys)
	}
	seen := 0
	if _, err := f.st.ScanTemplates(ctx, func(tp *store.Template) error {
		seen++
		if tp.PersonID == "person-irregular-01" {
			t.Errorf("template of erased person still readable")
		}
		return nil
	}, nil); err != nil {
		t.Fatal(err)
	}
	if seen != 2 {
		t.Fatalf("scan saw %d templates, want 2", seen)
	}
	// Other persons' records are intact and the visitor (no policy) stays.
	if _, err := f.st.PersonTemplates(ctx, "person-asylum-0001"); err != nil {
		t.Fatal(err)
	}
	// The erasure itself is logged.
	entries := f.entries()
	last := entries[len(entries)-1].Entry
	if last.Action != audit.ActionErasure || last.Objects[0] != "person-irregular-01" || !strings.Contains(string(last.Detail), `"retention"`) {
		t.Fatalf("last entry %+v is not the retention erasure", last)
	}
	// A second run the same day erases nothing more.
	if res, err = r.Run(ctx); err != nil || len(res.Erased) != 0 {
		t.Fatalf("second run: %+v, %v", res, err)
	}

	// Logs are kept one year after the retention ended, then redacted
	// while the tree still verifies.
	c.set(date(2026, 2, 28))
	if res, err = r.Run(ctx); err != nil || res.LogsRedacted != 0 {
		t.Fatalf("run before log grace: %+v, %v", res, err)
	}
	if _, err := f.log.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	c.set(date(2026, 3, 1))
	res, err = r.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.LogsRedacted != 3 { // enroll, identify, erasure
		t.Fatalf("redacted %d log entries, want 3", res.LogsRedacted)
	}
	for _, ie := range f.entries() {
		b, _ := ie.Entry.Canonical()
		if strings.Contains(string(b), "person-irregular-01") {
			t.Errorf("entry %d still names the erased person: %s", ie.Index, b)
		}
	}
	if _, err := f.log.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	sum, err := f.log.VerifySummary(ctx)
	if err != nil {
		t.Fatalf("redacted log does not verify: %v", err)
	}
	if sum.Checkpoints < 2 || !sum.Signed || len(sum.Redacted) != 3 {
		t.Fatalf("verified %+v", sum)
	}
	// An overseer's offline check of the export accepts the redactions.
	var x bytes.Buffer
	if err := f.log.Export(ctx, &x); err != nil {
		t.Fatal(err)
	}
	if rep, err := audit.CheckExport(&x, f.key); err != nil || len(rep.Redacted) != 3 {
		t.Fatalf("CheckExport of the redacted log: %v (%+v)", err, rep)
	}
	// Tampering with a redacted entry's body beyond the redaction is still
	// caught by the stored hashes only if the leaf changes: tampering with an
	// unredacted entry must be caught.
	if _, err := f.st.DB().Exec(`UPDATE audit_entries SET body = replace(body, 'person-asylum-0001', 'person-asylum-0002') WHERE idx = 0`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.log.VerifySummary(ctx); !errors.Is(err, audit.ErrCorrupt) {
		t.Fatalf("tampered log verifies: %v", err)
	}
}

func (f *fixture) entries() []audit.IndexedEntry {
	f.t.Helper()
	ctx := context.Background()
	n, err := f.log.Size(ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	es, err := f.log.Entries(ctx, audit.RoleAuditor, 0, n)
	if err != nil {
		f.t.Fatal(err)
	}
	return es
}

func TestRetentionExpiresPartnerData(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if _, err := f.st.DB().Exec(`CREATE TABLE exchange_received (id INTEGER PRIMARY KEY, partner TEXT NOT NULL, reference TEXT NOT NULL, request_id TEXT NOT NULL, fields TEXT NOT NULL, received_at TEXT NOT NULL, retain_until TEXT NOT NULL, erased INTEGER NOT NULL DEFAULT 0)`); err != nil {
		t.Fatal(err)
	}
	for i, until := range []string{"2025-01-10", "2025-06-01"} {
		if _, err := f.st.DB().Exec(`INSERT INTO exchange_received(partner, reference, request_id, fields, received_at, retain_until) VALUES ('co', ?, 'r', '{"family_name":"X"}', '2024-01-01', ?)`, "ref-"+string(rune('a'+i)), until); err != nil {
			t.Fatal(err)
		}
	}
	c := &clock{t: date(2025, 1, 10)}
	r := &Retention{Store: f.st, Policy: Policy{}, Now: c.now}
	res, err := r.Run(ctx)
	if err != nil || res.ReceivedExpired != 0 {
		t.Fatalf("on the last day: %+v %v", res, err)
	}
	c.advance(24 * time.Hour)
	if res, err = r.Run(ctx); err != nil || res.ReceivedExpired != 1 {
		t.Fatalf("the day after: %+v %v", res, err)
	}
	var fields string
	f.st.DB().QueryRow(`SELECT fields FROM exchange_received WHERE reference = 'ref-a'`).Scan(&fields)
	if fields != "{}" {
		t.Fatalf("expired partner data still held: %s", fields)
	}
}

func TestRetentionEvery(t *testing.T) {
	f := newFixture(t)
	f.person("person-irregular-02", "irregular", "F", "2001-01-01", "HND", date(2020, 1, 1))
	days := 0
	c := &clock{t: date(2024, 12, 30)}
	r := &Retention{Store: f.st, Policy: Policy{"irregular": {Years: 5}}, Now: func() time.Time {
		// Each run is one day later.
		c.advance(24 * time.Hour)
		days++
		return c.now()
	}}
	ctx, cancel := context.WithCancel(context.Background())
	var erasedOn time.Time
	r.Every(ctx, time.Millisecond, func(res *RunResult, err error) {
		if err != nil {
			t.Error(err)
			cancel()
			return
		}
		if len(res.Erased) > 0 {
			erasedOn = res.At
			cancel()
		}
	})
	if !erasedOn.Equal(date(2025, 1, 1)) || days != 2 {
		t.Fatalf("erased on %v after %d runs, want 2025-01-01 after 2 (Dec 31, Jan 1)", erasedOn, days)
	}
}

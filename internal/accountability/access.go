package accountability

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/bixproject/bix/internal/audit"
	"github.com/bixproject/bix/internal/node"
	"github.com/bixproject/bix/internal/store"
)

// AccessReport is what a node holds about a person and what it did with it
// (GDPR Art. 15 / Eurodac Art. 43 style): the record, every logged action
// that touched it, and which partners received which fields.
type AccessReport struct {
	Generated  time.Time               `json:"generated"`
	Language   string                  `json:"language"`
	Person     *store.Person           `json:"person"`
	Encounters []*store.Encounter      `json:"encounters"`
	Samples    []SampleInfo            `json:"samples"`
	Watchlist  []*store.WatchlistEntry `json:"watchlist"`
	Actions    []ActionInfo            `json:"actions"`
	Disclosed  []DisclosureInfo        `json:"disclosed"`
	// Withheld counts disclosures and partner actions newer than the
	// configured delay, not shown yet; WithheldUntil is when the last of
	// them will be.
	Withheld      int       `json:"withheld"`
	WithheldUntil time.Time `json:"withheld_until,omitzero"`
}

// SampleInfo describes a stored sample without its image.
type SampleInfo struct {
	EncounterID string `json:"encounter_id"`
	Modality    string `json:"modality"`
	Position    int    `json:"position"`
	Quality     int    `json:"quality"`
	Status      string `json:"status"`
}

// ActionInfo is one logged action that touched the person.
type ActionInfo struct {
	Index   int64     `json:"index"`
	Time    time.Time `json:"time"`
	Action  string    `json:"action"`
	Role    string    `json:"role"`
	Purpose string    `json:"purpose,omitempty"`
	Partner string    `json:"partner,omitempty"`
}

// DisclosureInfo is one disclosure of the person's data to a partner.
type DisclosureInfo struct {
	Partner string    `json:"partner"`
	Fields  []string  `json:"fields"`
	At      time.Time `json:"at"`
}

// Access builds the access report for person id, in lang ("en" or "es"),
// and logs that it was produced. Officers and supervisors may produce it
// (on the person's request).
func (r *Rights) Access(ctx context.Context, a node.Actor, id, lang string) (*AccessReport, error) {
	if err := role(a, node.RoleOfficer, node.RoleSupervisor); err != nil {
		return nil, err
	}
	if _, ok := messages[lang]; !ok {
		return nil, fmt.Errorf("%w: language %q (have %s)", ErrInvalid, lang, strings.Join(Languages(), ", "))
	}
	now := r.Now().UTC()
	p, err := r.Store.Person(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("person %s: %w", id, err)
	}
	rep := &AccessReport{Generated: now, Language: lang, Person: p, Samples: []SampleInfo{}, Actions: []ActionInfo{}, Disclosed: []DisclosureInfo{}, Watchlist: []*store.WatchlistEntry{}}
	if rep.Encounters, err = r.Store.Encounters(ctx, id); err != nil {
		return nil, err
	}
	refs := map[string]bool{id: true}
	for _, e := range rep.Encounters {
		refs[e.ID] = true
		rows, err := r.Store.DB().QueryContext(ctx, `SELECT modality, position, quality, status FROM samples WHERE encounter_id = ? ORDER BY position`, e.ID)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			s := SampleInfo{EncounterID: e.ID}
			rows.Scan(&s.Modality, &s.Position, &s.Quality, &s.Status)
			rep.Samples = append(rep.Samples, s)
		}
		rows.Close()
	}
	wl, err := r.Store.Watchlist(ctx, true)
	if err != nil {
		return nil, err
	}
	for _, w := range wl {
		if w.PersonID == id {
			rep.Watchlist = append(rep.Watchlist, w)
		}
	}
	cutoff := now.Add(-r.AccessDelay)
	withhold := func(t time.Time) bool {
		if r.AccessDelay > 0 && t.After(cutoff) {
			rep.Withheld++
			if u := t.Add(r.AccessDelay); u.After(rep.WithheldUntil) {
				rep.WithheldUntil = u
			}
			return true
		}
		return false
	}
	if tableExists(ctx, r.Store.DB(), "exchange_refs") {
		rows, err := r.Store.DB().QueryContext(ctx, `SELECT reference FROM exchange_refs WHERE person_id = ?`, id)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var ref string
			rows.Scan(&ref)
			refs[ref] = true
		}
		rows.Close()
		drows, err := r.Store.DB().QueryContext(ctx, `SELECT partner, fields, at FROM exchange_disclosed WHERE person_id = ? ORDER BY at`, id)
		if err != nil {
			return nil, err
		}
		for drows.Next() {
			var d DisclosureInfo
			var fields, at string
			drows.Scan(&d.Partner, &fields, &at)
			d.At, _ = time.Parse(time.RFC3339Nano, at)
			d.Fields = fieldNames(fields)
			if !withhold(d.At) {
				rep.Disclosed = append(rep.Disclosed, d)
			}
		}
		drows.Close()
	}
	err = scanLog(ctx, r.Store.DB(), func(idx int64, e audit.Entry) error {
		touched := false
		for _, o := range e.Objects {
			touched = touched || refs[o]
		}
		if !touched {
			return nil
		}
		ai := ActionInfo{Index: idx, Time: e.Time, Action: e.Action, Role: e.Role, Purpose: e.Purpose, Partner: partnerOf(e)}
		if ai.Partner != "" && withhold(e.Time) {
			return nil
		}
		rep.Actions = append(rep.Actions, ai)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := r.Store.Update(ctx, func(tx *store.Tx) error {
		detail, _ := json.Marshal(map[string]any{"language": lang, "actions": len(rep.Actions), "withheld": rep.Withheld})
		_, err := audit.Append(ctx, tx.SQL(), audit.Entry{Time: now, Actor: a.User, Role: string(a.Role), Action: ActionAccess, Purpose: a.Purpose, Objects: []string{id}, Detail: detail})
		return err
	}); err != nil {
		return nil, err
	}
	return rep, nil
}

// fieldNames returns the field names of a disclosed fields value, which is a
// JSON object or array of names.
func fieldNames(s string) []string {
	var m map[string]any
	if json.Unmarshal([]byte(s), &m) == nil {
		out := make([]string, 0, len(m))
		for k := range m {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	var l []string
	json.Unmarshal([]byte(s), &l)
	return l
}

func tableExists(ctx context.Context, db *sql.DB, name string) bool {
	var n int
	db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, name).Scan(&n)
	return n > 0
}

// scanLog calls fn with every audit entry, in order.
func scanLog(ctx context.Context, db *sql.DB, fn func(int64, audit.Entry) error) error {
	rows, err := db.QueryContext(ctx, `SELECT idx, body FROM audit_entries ORDER BY idx`)
	if err != nil {
		return fmt.Errorf("reading the audit log: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var idx int64
		var body []byte
		if err := rows.Scan(&idx, &body); err != nil {
			return err
		}
		e, err := audit.ParseEntry(body)
		if err != nil {
			return fmt.Errorf("audit entry %d: %w", idx, err)
		}
		if err := fn(idx, e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// partnerOf returns the partner an exchange entry concerns: the "partner"
// detail of entries this node sent, or the actor "partner:ID/officer" of
// entries a partner caused.
func partnerOf(e audit.Entry) string {
	if strings.HasPrefix(e.Actor, "partner:") {
		p := strings.TrimPrefix(e.Actor, "partner:")
		if i := strings.IndexByte(p, '/'); i >= 0 {
			p = p[:i]
		}
		return p
	}
	if len(e.Detail) > 0 {
		var d struct {
			Partner string `json:"partner"`
		}
		json.Unmarshal(e.Detail, &d)
		return d.Partner
	}
	return ""
}

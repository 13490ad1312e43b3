package accountability

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/bixproject/bix/internal/audit"
)

// Oversight is the report an overseer reads for a period: every logged
// action counted by kind, and the partner exchange per partner and purpose.
// It is computed from the audit log alone, so that it adds up to the log.
type Oversight struct {
	From      time.Time       `json:"from"`
	To        time.Time       `json:"to"`
	Entries   int             `json:"entries"` // log entries in [From, To)
	Actions   map[string]int  `json:"actions"` // entries by action
	Exchanges []*PartnerTally `json:"exchanges"`
	Erasures  map[string]int  `json:"erasures"` // erasure entries by reason
	Rights    map[string]int  `json:"rights"`   // contest, review, rectify, protection, access
}

// PartnerTally counts one partner's exchange for one purpose.
type PartnerTally struct {
	Partner string `json:"partner"`
	Purpose string `json:"purpose"`
	// Searches this node sent, and how they were answered.
	SearchesSent int `json:"searches_sent"`
	HitsReceived int `json:"hits_received"`
	// Searches partners sent here, and how this node answered.
	SearchesReceived int `json:"searches_received"`
	HitsGiven        int `json:"hits_given"`
	// Disclosures: asked here by the partner and given, and received.
	DisclosuresGiven    int `json:"disclosures_given"`
	DisclosuresReceived int `json:"disclosures_received"`
	Notifications       int `json:"notifications"`
	// RefusalsGiven are this node's refusals by rule (or code when no rule
	// applied); RefusalsReceived the partner's, by code.
	RefusalsGiven    map[string]int `json:"refusals_given"`
	RefusalsReceived map[string]int `json:"refusals_received"`
	// QuotaPeak is the largest number of searches received from the
	// partner in one day, with QuotaDay that day.
	QuotaPeak int    `json:"quota_peak"`
	QuotaDay  string `json:"quota_day,omitempty"`
	perDay    map[string]int
}

// exchangeDetail is the part of an exchange entry's detail the report reads.
type exchangeDetail struct {
	Phase   string `json:"phase"`
	Status  string `json:"status"`
	Code    string `json:"code"`
	Result  string `json:"result"`
	Refused string `json:"refused"`
	Rule    string `json:"rule"`
	Reason  string `json:"reason"`
	Fields  []any  `json:"fields"`
	Kind    string `json:"kind"`
}

// Report counts the log entries of db with from <= time < to.
func Report(ctx context.Context, db *sql.DB, from, to time.Time) (*Oversight, error) {
	if !from.Before(to) {
		return nil, fmt.Errorf("%w: period %s to %s is empty", ErrInvalid, from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	o := &Oversight{From: from.UTC(), To: to.UTC(), Actions: map[string]int{}, Erasures: map[string]int{}, Rights: map[string]int{}}
	tallies := map[[2]string]*PartnerTally{}
	tally := func(partner, purpose string) *PartnerTally {
		k := [2]string{partner, purpose}
		t := tallies[k]
		if t == nil {
			t = &PartnerTally{Partner: partner, Purpose: purpose, RefusalsGiven: map[string]int{}, RefusalsReceived: map[string]int{}, perDay: map[string]int{}}
			tallies[k] = t
		}
		return t
	}
	err := scanLog(ctx, db, func(_ int64, e audit.Entry) error {
		if e.Time.Before(from) || !e.Time.Before(to) {
			return nil
		}
		o.Entries++
		o.Actions[e.Action]++
		var d exchangeDetail
		if len(e.Detail) > 0 {
			json.Unmarshal(e.Detail, &d)
		}
		switch e.Action {
		case audit.ActionErasure:
			var r struct {
				Reason string `json:"reason"`
			}
			json.Unmarshal(e.Detail, &r)
			reason := r.Reason
			if len(reason) > 8 && reason[:8] == "request:" {
				reason = "request"
			}
			o.Erasures[reason]++
			return nil
		case ActionContest, ActionReview, ActionRectify, ActionProtection, ActionAccess:
			o.Rights[e.Action]++
			return nil
		}
		partner := partnerOf(e)
		if partner == "" {
			return nil
		}
		received := e.Role == "partner"
		switch e.Action {
		case audit.ActionSearchSent:
			t := tally(partner, e.Purpose)
			switch {
			case d.Phase == "queued":
				t.SearchesSent++
			case d.Result == "hit":
				t.HitsReceived++
			case d.Status == "refused" || d.Result == "refused":
				t.RefusalsReceived[nonEmpty(d.Code, "refused")]++
			}
		case audit.ActionSearchReceived:
			t := tally(partner, e.Purpose)
			t.SearchesReceived++
			day := e.Time.UTC().Format("2006-01-02")
			t.perDay[day]++
			if n := t.perDay[day]; n > t.QuotaPeak || (n == t.QuotaPeak && day < t.QuotaDay) {
				t.QuotaPeak, t.QuotaDay = n, day
			}
			switch {
			case d.Refused != "":
				t.RefusalsGiven[nonEmpty(d.Rule, d.Refused)]++
			case d.Result == "hit":
				t.HitsGiven++
			}
		case audit.ActionDisclosure:
			t := tally(partner, e.Purpose)
			switch {
			case received && d.Refused != "":
				t.RefusalsGiven[nonEmpty(d.Rule, d.Refused)]++
			case received && d.Fields != nil:
				t.DisclosuresGiven++
			case !received && d.Result == "disclosed":
				t.DisclosuresReceived++
			case !received && d.Phase == "answered" && (d.Status == "refused" || d.Result == "refused" || d.Code != ""):
				t.RefusalsReceived[nonEmpty(d.Code, "refused")]++
			}
		case audit.ActionNotification:
			if !received && d.Phase != "queued" {
				return nil
			}
			tally(partner, e.Purpose).Notifications++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, t := range tallies {
		o.Exchanges = append(o.Exchanges, t)
	}
	sort.Slice(o.Exchanges, func(i, j int) bool {
		a, b := o.Exchanges[i], o.Exchanges[j]
		if a.Partner != b.Partner {
			return a.Partner < b.Partner
		}
		return a.Purpose < b.Purpose
	})
	if o.Exchanges == nil {
		o.Exchanges = []*PartnerTally{}
	}
	return o, nil
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

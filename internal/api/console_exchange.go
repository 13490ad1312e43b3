package api

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"

	"github.com/bixproject/bix/internal/audit"
	"github.com/bixproject/bix/internal/node"
)

// ExchangeFlow counts the partner exchange's messages of one direction
// ("out": this node asked, "in": a partner asked), partner, purpose and
// audit action, from the audit log.
type ExchangeFlow struct {
	Direction string `json:"direction"`
	Partner   string `json:"partner"`
	Purpose   string `json:"purpose"`
	Action    string `json:"action"`
	// Requests are messages sent (out) or received (in); Answered are
	// the answers recorded; Hits answers with result hit; Refused answers
	// refused by the agreement or the protocol.
	Requests int `json:"requests"`
	Answered int `json:"answered"`
	Hits     int `json:"hits"`
	Refused  int `json:"refused"`
}

// ExchangeRefusal counts refusals with one code and agreement rule.
type ExchangeRefusal struct {
	Direction string `json:"direction"`
	Partner   string `json:"partner"`
	Code      string `json:"code"`
	Rule      string `json:"rule,omitempty"`
	Count     int    `json:"count"`
}

// ExchangeStats is GET /v1/audit/exchange: exchange statistics per partner
// and purpose and refusals by rule, computed from every audit log entry
// (so they are as trustworthy as the log, which GET /v1/audit/checkpoint
// verifies).
type ExchangeStats struct {
	Entries  int64             `json:"entries"`
	Flows    []ExchangeFlow    `json:"flows"`
	Refusals []ExchangeRefusal `json:"refusals"`
}

// exchangeActions are the audit actions of the partner exchange.
var exchangeActions = map[string]bool{
	audit.ActionSearchSent: true, audit.ActionSearchReceived: true, audit.ActionDisclosure: true, audit.ActionNotification: true,
}

// auditPage is how many entries exchangeStats reads at a time.
const auditPage = 1000

func (s *Server) auditExchange(w http.ResponseWriter, r *http.Request, a node.Actor) error {
	if err := auditRead(a); err != nil {
		return err
	}
	st, err := exchangeStats(r.Context(), s.n.AuditLog(), string(a.Role))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

// exchangeStats reads the whole log as role and aggregates its exchange
// entries. Outgoing messages are logged by the node ("queued" when sent,
// "answered" with the partner's result); incoming ones by the partner's
// actor ("partner:NODE/OFFICER") with the answer given.
func exchangeStats(ctx context.Context, l *audit.Log, role string) (*ExchangeStats, error) {
	size, err := l.Size(ctx)
	if err != nil {
		return nil, err
	}
	flows := map[ExchangeFlow]*ExchangeFlow{}
	refusals := map[ExchangeRefusal]*ExchangeRefusal{}
	for start := int64(0); start < size; start += auditPage {
		es, err := l.Entries(ctx, role, start, min(start+auditPage, size))
		if err != nil {
			return nil, err
		}
		for _, ie := range es {
			e := ie.Entry
			if !exchangeActions[e.Action] {
				continue
			}
			var d struct {
				Partner, Phase, Result, Code, Refused, Rule, Status string
			}
			if len(e.Detail) > 0 {
				json.Unmarshal(e.Detail, &d) // fields of other types stay empty
			}
			key := ExchangeFlow{Purpose: e.Purpose, Action: e.Action}
			in := strings.HasPrefix(e.Actor, "partner:")
			if in {
				key.Direction = "in"
				key.Partner, _, _ = strings.Cut(strings.TrimPrefix(e.Actor, "partner:"), "/")
			} else {
				key.Direction, key.Partner = "out", d.Partner
				if key.Partner == "" {
					continue // not a partner message
				}
			}
			f := flows[key]
			if f == nil {
				f = &ExchangeFlow{Direction: key.Direction, Partner: key.Partner, Purpose: key.Purpose, Action: key.Action}
				flows[key] = f
			}
			code := d.Refused
			if !in && code == "" && (d.Result == "refused" || d.Status == "refused" || d.Status == "error") {
				code = d.Code
				if code == "" {
					code = d.Status
				}
			}
			switch {
			case in:
				f.Requests++
				f.Answered++
			case d.Phase == "answered":
				f.Answered++
			default:
				f.Requests++
			}
			if d.Result == "hit" {
				f.Hits++
			}
			if code != "" {
				f.Refused++
				rk := ExchangeRefusal{Direction: key.Direction, Partner: key.Partner, Code: code, Rule: d.Rule}
				if refusals[rk] == nil {
					refusals[rk] = &ExchangeRefusal{Direction: rk.Direction, Partner: rk.Partner, Code: rk.Code, Rule: rk.Rule}
				}
				refusals[rk].Count++
			}
		}
	}
	out := &ExchangeStats{Entries: size, Flows: []ExchangeFlow{}, Refusals: []ExchangeRefusal{}}
	for _, f := range flows {
		out.Flows = append(out.Flows, *f)
	}
	for _, r := range refusals {
		out.Refusals = append(out.Refusals, *r)
	}
	sort.Slice(out.Flows, func(i, j int) bool {
		a, b := out.Flows[i], out.Flows[j]
		return a.Direction+"\x00"+a.Partner+"\x00"+a.Purpose+"\x00"+a.Action < b.Direction+"\x00"+b.Partner+"\x00"+b.Purpose+"\x00"+b.Action
	})
	sort.Slice(out.Refusals, func(i, j int) bool {
		a, b := out.Refusals[i], out.Refusals[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.Direction+a.Partner+a.Code+a.Rule < b.Direction+b.Partner+b.Code+b.Rule
	})
	return out, nil
}

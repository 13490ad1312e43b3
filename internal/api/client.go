package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bixproject/bix/internal/exchange"
	"github.com/bixproject/bix/internal/gallery"
	"github.com/bixproject/bix/internal/node"
	"github.com/bixproject/bix/internal/store"
)

// Client talks to a node's API.
type Client struct {
	// BaseURL is the node's address, such as "http://127.0.0.1:8440".
	BaseURL string
	// Token is the bearer token.
	Token string
	// Purpose is sent with every request and logged with each action.
	Purpose string
	// HTTP is the client used (http.DefaultClient when nil).
	HTTP *http.Client
}

// Error is an error response from the node.
type Error struct {
	Status  int
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("node: %d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
}

// do sends a request with body (JSON-encoded unless it is an io.Reader) and
// decodes a JSON response into out (when not nil).
func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case io.Reader:
		rd, ct = b, "application/octet-stream"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return err
		}
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.BaseURL, "/")+path, rd)
	if err != nil {
		return err
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if c.Purpose != "" {
		req.Header.Set(PurposeHeader, c.Purpose)
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 5 * time.Minute}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var eb ErrorBody
		if json.Unmarshal(data, &eb) != nil || eb.Error == "" {
			eb.Error = strings.TrimSpace(string(data))
		}
		return &Error{Status: resp.StatusCode, Message: eb.Error}
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: response: %w", method, path, err)
	}
	return nil
}

// Health calls GET /healthz.
func (c *Client) Health(ctx context.Context) (*Health, error) {
	var h Health
	return &h, c.do(ctx, "GET", "/healthz", nil, &h)
}

// WhoAmI calls GET /v1/whoami.
func (c *Client) WhoAmI(ctx context.Context) (*WhoAmI, error) {
	var w WhoAmI
	return &w, c.do(ctx, "GET", "/v1/whoami", nil, &w)
}

// Enroll calls POST /v1/enrollments.
func (c *Client) Enroll(ctx context.Context, req *node.EnrollRequest) (*node.EnrollResult, error) {
	var r node.EnrollResult
	return &r, c.do(ctx, "POST", "/v1/enrollments", req, &r)
}

// EnrollTransaction calls POST /v1/enrollments/ansi-nist with an
// ANSI/NIST-ITL transaction.
func (c *Client) EnrollTransaction(ctx context.Context, tr io.Reader, enc node.EncounterInfo) (*node.EnrollResult, error) {
	q := url.Values{}
	if enc.Location != "" {
		q.Set("location", enc.Location)
	}
	if enc.Category != "" {
		q.Set("category", enc.Category)
	}
	if !enc.CapturedAt.IsZero() {
		q.Set("captured_at", enc.CapturedAt.Format(time.RFC3339))
	}
	q.Set("consent", fmt.Sprint(enc.Consent))
	q.Set("notice", fmt.Sprint(enc.Notice))
	var r node.EnrollResult
	return &r, c.do(ctx, "POST", "/v1/enrollments/ansi-nist?"+q.Encode(), tr, &r)
}

// Identify calls POST /v1/identify.
func (c *Client) Identify(ctx context.Context, req *IdentifyRequest) (*node.IdentifyResult, error) {
	var r node.IdentifyResult
	return &r, c.do(ctx, "POST", "/v1/identify", req, &r)
}

// Verify calls POST /v1/persons/{id}/verify.
func (c *Client) Verify(ctx context.Context, personID string, req VerifyRequest) (*node.VerifyResult, error) {
	var r node.VerifyResult
	return &r, c.do(ctx, "POST", "/v1/persons/"+url.PathEscape(personID)+"/verify", req, &r)
}

// Person calls GET /v1/persons/{id}.
func (c *Client) Person(ctx context.Context, id string) (*node.PersonRecord, error) {
	var p node.PersonRecord
	return &p, c.do(ctx, "GET", "/v1/persons/"+url.PathEscape(id), nil, &p)
}

// Watchlist calls GET /v1/watchlist.
func (c *Client) Watchlist(ctx context.Context) ([]*store.WatchlistEntry, error) {
	var l []*store.WatchlistEntry
	return l, c.do(ctx, "GET", "/v1/watchlist", nil, &l)
}

// WatchlistAdd calls POST /v1/watchlist.
func (c *Client) WatchlistAdd(ctx context.Context, req WatchlistRequest) (*store.WatchlistEntry, error) {
	var e store.WatchlistEntry
	return &e, c.do(ctx, "POST", "/v1/watchlist", req, &e)
}

// WatchlistRemove calls DELETE /v1/watchlist/{id}.
func (c *Client) WatchlistRemove(ctx context.Context, id string) error {
	return c.do(ctx, "DELETE", "/v1/watchlist/"+url.PathEscape(id), nil, nil)
}

// Alerts calls GET /v1/alerts.
func (c *Client) Alerts(ctx context.Context) ([]*store.Alert, error) {
	var l []*store.Alert
	return l, c.do(ctx, "GET", "/v1/alerts", nil, &l)
}

// Task is a task as the API returns it.
type Task struct {
	store.Task
	Candidates []gallery.Candidate `json:"candidates"`
	Reviews    []*store.Review     `json:"reviews,omitempty"`
	Decision   *store.Decision     `json:"decision,omitempty"`
}

// Tasks calls GET /v1/tasks?state=.
func (c *Client) Tasks(ctx context.Context, state string) ([]*Task, error) {
	var l []*Task
	return l, c.do(ctx, "GET", "/v1/tasks?state="+url.QueryEscape(state), nil, &l)
}

// Claim calls POST /v1/tasks/{id}/claim.
func (c *Client) Claim(ctx context.Context, id string) (*Task, error) {
	var t Task
	return &t, c.do(ctx, "POST", "/v1/tasks/"+url.PathEscape(id)+"/claim", nil, &t)
}

// Decide calls POST /v1/tasks/{id}/decision.
func (c *Client) Decide(ctx context.Context, id string, d node.Decision) (*Task, error) {
	var t Task
	return &t, c.do(ctx, "POST", "/v1/tasks/"+url.PathEscape(id)+"/decision", d, &t)
}

// AddUser calls POST /v1/users and returns the new user's token.
func (c *Client) AddUser(ctx context.Context, name, role string) (*UserToken, error) {
	var u UserToken
	return &u, c.do(ctx, "POST", "/v1/users", UserRequest{Name: name, Role: role}, &u)
}

// Users calls GET /v1/users.
func (c *Client) Users(ctx context.Context) ([]*store.User, error) {
	var l []*store.User
	return l, c.do(ctx, "GET", "/v1/users", nil, &l)
}

// ExchangePartners calls GET /v1/exchange/partners.
func (c *Client) ExchangePartners(ctx context.Context) ([]exchange.PartnerInfo, error) {
	var l []exchange.PartnerInfo
	return l, c.do(ctx, "GET", "/v1/exchange/partners", nil, &l)
}

// ExchangeSearch calls POST /v1/exchange/searches: a step-1 search of a
// partner. A partner that cannot be reached gives status queued.
func (c *Client) ExchangeSearch(ctx context.Context, req *ExchangeSearchRequest) (*ExchangeSearchResult, error) {
	var r ExchangeSearchResult
	return &r, c.do(ctx, "POST", "/v1/exchange/searches", req, &r)
}

// ExchangeConfirm calls POST /v1/exchange/searches/{id}/confirmations:
// the examiner's decision on the partner's candidate reference.
func (c *Client) ExchangeConfirm(ctx context.Context, searchID string, req ExchangeConfirmRequest) (*exchange.Confirmation, error) {
	var r exchange.Confirmation
	return &r, c.do(ctx, "POST", "/v1/exchange/searches/"+url.PathEscape(searchID)+"/confirmations", req, &r)
}

// ExchangeDisclose calls POST /v1/exchange/searches/{id}/disclosures: step
// 2 for a reference an examiner confirmed.
func (c *Client) ExchangeDisclose(ctx context.Context, searchID, reference string) (*exchange.Outcome, error) {
	var r exchange.Outcome
	return &r, c.do(ctx, "POST", "/v1/exchange/searches/"+url.PathEscape(searchID)+"/disclosures", ExchangeDiscloseRequest{Reference: reference}, &r)
}

// ExchangeMessages calls GET /v1/exchange/messages?limit= (limit ≤ 0: the
// node's default, 100).
func (c *Client) ExchangeMessages(ctx context.Context, limit int) ([]*exchange.MessageRecord, error) {
	path := "/v1/exchange/messages"
	if limit > 0 {
		path += "?limit=" + fmt.Sprint(limit)
	}
	var l []*exchange.MessageRecord
	return l, c.do(ctx, "GET", path, nil, &l)
}

// ExchangeMessage calls GET /v1/exchange/messages/{id}.
func (c *Client) ExchangeMessage(ctx context.Context, requestID string) (*ExchangeMessage, error) {
	var m ExchangeMessage
	return &m, c.do(ctx, "GET", "/v1/exchange/messages/"+url.PathEscape(requestID), nil, &m)
}

// ExchangeReceived calls GET /v1/exchange/received: the fields partner
// disclosed under reference (a 404 Error when none are held).
func (c *Client) ExchangeReceived(ctx context.Context, partner, reference string) (*ExchangeReceived, error) {
	var r ExchangeReceived
	q := url.Values{"partner": {partner}, "reference": {reference}}
	return &r, c.do(ctx, "GET", "/v1/exchange/received?"+q.Encode(), nil, &r)
}

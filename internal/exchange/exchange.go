package exchange

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/tls"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bixproject/bix/internal/agreement"
	"github.com/bixproject/bix/internal/node"
)

// Config configures a node's exchange.
type Config struct {
	// Node is the local node whose gallery answers searches and whose store
	// keeps the exchange's records and audit entries.
	Node *node.Node
	// Identity holds this node's TLS certificate and signing key.
	Identity *Identity
	// Agreements are the verified agreements this node is party to, one per
	// partner (an agreement may name several parties).
	Agreements []*agreement.Agreement
	// Endpoints overrides partner endpoints from the agreements (party id →
	// base URL), for nodes on loopback whose ports are chosen at start.
	Endpoints map[string]string
	// MaxSkew is the largest accepted difference between a message's time
	// and now (default 2 minutes).
	MaxSkew time.Duration
	// MaxBody caps a request body (default 4 MiB).
	MaxBody int64
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Logger receives operational logs (discarded when nil).
	Logger *slog.Logger
	// HTTPClientTimeout bounds one delivery attempt (default 30 s).
	HTTPClientTimeout time.Duration
	// RetryInterval is how often Run looks for queued requests due for
	// another attempt (default 1 s).
	RetryInterval time.Duration
}

// Exchange is a node's partner exchange: the server that answers partners
// and the client (with its outbox) that asks them.
type Exchange struct {
	cfg     Config
	self    string // this node's party id
	db      *sql.DB
	log     *slog.Logger
	mu      sync.Mutex
	clients map[string]*http.Client
	wake    chan struct{}
	// inflight holds the outbox requests being delivered by this process,
	// each with a channel closed when its attempt ends (see deliver).
	inflight map[string]chan struct{}
}

// ErrNoAgreement reports a partner this node shares no agreement with.
var ErrNoAgreement = errors.New("no agreement with that partner")

// ErrRefused reports a request the partner (or this node) refused; the
// error text carries the refusal code.
var ErrRefused = errors.New("refused")

// New returns the exchange for cfg.Node, creating its tables. Every
// agreement must be verified and name this node (cfg.Identity.NodeID) as a
// party with the identity's pin and signing key.
func New(ctx context.Context, cfg Config) (*Exchange, error) {
	if cfg.Node == nil || cfg.Identity == nil {
		return nil, errors.New("exchange: Node and Identity are required")
	}
	if cfg.MaxSkew == 0 {
		cfg.MaxSkew = 2 * time.Minute
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = 4 << 20
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.HTTPClientTimeout == 0 {
		cfg.HTTPClientTimeout = 30 * time.Second
	}
	if cfg.RetryInterval <= 0 {
		cfg.RetryInterval = time.Second
	}
	self := cfg.Identity.NodeID
	for _, a := range cfg.Agreements {
		if !a.Verified() {
			return nil, fmt.Errorf("exchange: agreement %s v%d: %w", a.ID, a.Version, agreement.ErrUnsigned)
		}
		p, ok := a.Party(self)
		if !ok {
			return nil, fmt.Errorf("exchange: agreement %s does not name this node %q", a.ID, self)
		}
		if p.TLSPin != cfg.Identity.Pin() {
			return nil, fmt.Errorf("exchange: agreement %s pins %s for %s, but this node's certificate is %s", a.ID, p.TLSPin, self, cfg.Identity.Pin())
		}
		if !slices.Contains(p.SigningKeys, base64.StdEncoding.EncodeToString(cfg.Identity.SigningPublicKey())) {
			return nil, fmt.Errorf("exchange: agreement %s does not list this node's signing key", a.ID)
		}
	}
	x := &Exchange{cfg: cfg, self: self, db: cfg.Node.Store().DB(), log: cfg.Logger, clients: map[string]*http.Client{}, wake: make(chan struct{}, 1), inflight: map[string]chan struct{}{}}
	if _, err := x.db.ExecContext(ctx, schema); err != nil {
		return nil, fmt.Errorf("exchange: creating tables: %w", err)
	}
	return x, nil
}

// schema holds the exchange's tables, kept in the node's database so that an
// exchange record and its audit entry commit together.
const schema = `
CREATE TABLE IF NOT EXISTS exchange_messages (
	id INTEGER PRIMARY KEY,
	direction TEXT NOT NULL,           -- out | in
	partner TEXT NOT NULL,
	request_id TEXT NOT NULL,
	type TEXT NOT NULL,
	purpose TEXT NOT NULL DEFAULT '',
	search_type TEXT NOT NULL DEFAULT '',
	officer TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL,              -- queued | answered | refused | failed
	code TEXT NOT NULL DEFAULT '',
	result TEXT NOT NULL DEFAULT '',
	attempts INTEGER NOT NULL DEFAULT 0,
	next_attempt TEXT NOT NULL DEFAULT '',
	message BLOB NOT NULL,             -- unsigned message JSON (out) or the signed request (in)
	last_signed BLOB,                  -- the signed bytes of the last attempt (out)
	request_hash TEXT NOT NULL,
	response BLOB,
	day TEXT NOT NULL,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	last_error TEXT NOT NULL DEFAULT '',
	UNIQUE (direction, partner, request_id)
);
CREATE INDEX IF NOT EXISTS exchange_messages_quota ON exchange_messages (direction, partner, type, search_type, day, status);
CREATE INDEX IF NOT EXISTS exchange_messages_due ON exchange_messages (direction, status, next_attempt);
CREATE TABLE IF NOT EXISTS exchange_seen (
	signature_hash TEXT PRIMARY KEY,
	partner TEXT NOT NULL,
	at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS exchange_refs (
	reference TEXT PRIMARY KEY,
	partner TEXT NOT NULL,
	person_id TEXT NOT NULL,
	created_at TEXT NOT NULL,
	UNIQUE (partner, person_id)
);
CREATE TABLE IF NOT EXISTS exchange_confirmations (
	search_request_id TEXT NOT NULL,
	reference TEXT NOT NULL,
	partner TEXT NOT NULL,
	examiner TEXT NOT NULL,
	outcome TEXT NOT NULL,
	reason_code TEXT NOT NULL,
	score REAL NOT NULL,
	decided_at TEXT NOT NULL,
	PRIMARY KEY (search_request_id, reference)
);
CREATE TABLE IF NOT EXISTS exchange_disclosed (
	id INTEGER PRIMARY KEY,
	partner TEXT NOT NULL,
	person_id TEXT NOT NULL,
	reference TEXT NOT NULL,
	request_id TEXT NOT NULL,
	fields TEXT NOT NULL,
	at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS exchange_received (
	id INTEGER PRIMARY KEY,
	partner TEXT NOT NULL,
	reference TEXT NOT NULL,
	request_id TEXT NOT NULL,
	fields TEXT NOT NULL,
	received_at TEXT NOT NULL,
	retain_until TEXT NOT NULL,
	erased INTEGER NOT NULL DEFAULT 0
);
`

// agreementWith returns the agreement shared with partner.
func (x *Exchange) agreementWith(partner string) (*agreement.Agreement, agreement.Party, error) {
	for _, a := range x.cfg.Agreements {
		if p, ok := a.Party(partner); ok && partner != x.self {
			return a, p, nil
		}
	}
	return nil, agreement.Party{}, fmt.Errorf("%w: %q", ErrNoAgreement, partner)
}

// pins returns the TLS pins of every partner, read at each handshake.
func (x *Exchange) pins() []string {
	var out []string
	for _, a := range x.cfg.Agreements {
		for _, p := range a.Parties {
			if p.ID != x.self {
				out = append(out, p.TLSPin)
			}
		}
	}
	return out
}

// partnerByPin returns the party whose certificate has pin.
func (x *Exchange) partnerByPin(pin string) (string, bool) {
	for _, a := range x.cfg.Agreements {
		for _, p := range a.Parties {
			if p.ID != x.self && p.TLSPin == pin {
				return p.ID, true
			}
		}
	}
	return "", false
}

// partnerKeys returns the signing keys of party, by KeyID.
func (x *Exchange) partnerKeys(party string) map[string]ed25519.PublicKey {
	keys := map[string]ed25519.PublicKey{}
	_, p, err := x.agreementWith(party)
	if err != nil {
		return keys
	}
	for _, k := range p.SigningKeys {
		b, err := base64.StdEncoding.DecodeString(k)
		if err != nil || len(b) != ed25519.PublicKeySize {
			continue
		}
		keys[KeyID(b)] = ed25519.PublicKey(b)
	}
	return keys
}

// requestHash is the hash both sides log for a request: SHA-256 over what
// the request asks (type, purpose, legal basis, officer and body), which is
// the same for every signed attempt of one request id.
func requestHash(m *Message) string {
	h := sha256.New()
	for _, s := range []string{m.RequestID, m.Type, m.From, m.To, m.Purpose, m.LegalBasis, m.Officer, m.AgreementHash} {
		fmt.Fprintf(h, "%d:%s;", len(s), s)
	}
	h.Write(m.Body)
	return hex.EncodeToString(h.Sum(nil))
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// MessageRecord is one row of the exchange's message table: a request this
// node sent (direction "out") or received ("in") and its state.
type MessageRecord struct {
	Direction   string          `json:"direction"`
	Partner     string          `json:"partner"`
	RequestID   string          `json:"request_id"`
	Type        string          `json:"type"`
	Purpose     string          `json:"purpose,omitempty"`
	SearchType  string          `json:"search_type,omitempty"`
	Officer     string          `json:"officer,omitempty"`
	Status      string          `json:"status"`
	Code        string          `json:"code,omitempty"`
	Result      string          `json:"result,omitempty"`
	Attempts    int             `json:"attempts"`
	RequestHash string          `json:"request_hash"`
	Response    json.RawMessage `json:"response,omitempty"` // the response body
	CreatedAt   string          `json:"created_at"`
	UpdatedAt   string          `json:"updated_at"`
	LastError   string          `json:"last_error,omitempty"`
}

// Message statuses.
const (
	StatusQueued   = "queued"
	StatusAnswered = "answered"
	StatusRefused  = "refused"
	StatusFailed   = "failed"
)

const messageColumns = `direction, partner, request_id, type, purpose, search_type, officer, status, code, result, attempts, request_hash, response, created_at, updated_at, last_error`

func scanMessage(sc interface{ Scan(...any) error }) (*MessageRecord, error) {
	var m MessageRecord
	var resp []byte
	if err := sc.Scan(&m.Direction, &m.Partner, &m.RequestID, &m.Type, &m.Purpose, &m.SearchType, &m.Officer, &m.Status, &m.Code, &m.Result, &m.Attempts, &m.RequestHash, &resp, &m.CreatedAt, &m.UpdatedAt, &m.LastError); err != nil {
		return nil, err
	}
	if len(resp) > 0 {
		if body, ok := responseBody(resp); ok {
			m.Response = body
		}
	}
	return &m, nil
}

// responseBody extracts the body of a stored signed response without
// verifying it again (it was verified when stored).
func responseBody(signed []byte) (json.RawMessage, bool) {
	parts := strings.Split(string(signed), ".")
	if len(parts) != 3 {
		return nil, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, false
	}
	var m Message
	if json.Unmarshal(payload, &m) != nil {
		return nil, false
	}
	return m.Body, true
}

// List returns the most recent messages, newest first (limit ≤ 0: 100).
// A disclosure answered with data is listed without its response body: its
// fields are read with ShowAs or ReadReceived, which log the read.
func (x *Exchange) List(ctx context.Context, limit int) ([]*MessageRecord, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := x.db.QueryContext(ctx, `SELECT `+messageColumns+` FROM exchange_messages ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("exchange: list: %w", err)
	}
	defer rows.Close()
	var out []*MessageRecord
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("exchange: list: %w", err)
		}
		out = append(out, m)
	}
	withoutDisclosedFields(out)
	return out, rows.Err()
}

// Show returns the messages with request id (one per direction at most).
// It logs nothing: users read messages through ShowAs.
func (x *Exchange) Show(ctx context.Context, requestID string) ([]*MessageRecord, error) {
	return x.show(ctx, x.db, requestID)
}

func (x *Exchange) show(ctx context.Context, q querier, requestID string) ([]*MessageRecord, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+messageColumns+` FROM exchange_messages WHERE request_id = ? ORDER BY id`, requestID)
	if err != nil {
		return nil, fmt.Errorf("exchange: show: %w", err)
	}
	defer rows.Close()
	var out []*MessageRecord
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("exchange: request %s: %w", requestID, node.ErrNotFound)
	}
	return out, nil
}

// SetEndpoint points requests to partner at url (base URL), overriding the
// agreement's endpoint; for nodes whose addresses are chosen at start.
func (x *Exchange) SetEndpoint(partner, url string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.cfg.Endpoints == nil {
		x.cfg.Endpoints = map[string]string{}
	}
	x.cfg.Endpoints[partner] = url
}

// TLSConfig returns the server TLS configuration Serve uses: TLS 1.3 with
// client certificates pinned by the agreements.
func (x *Exchange) TLSConfig() *tls.Config { return ServerTLSConfig(x.cfg.Identity, x.pins) }

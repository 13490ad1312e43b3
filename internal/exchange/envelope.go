// Package exchange implements bix's partner protocol (DESIGN.md, "Partner
// protocol"): signed messages over mutual TLS 1.3 between nodes that share an
// agreement. Step 1 is a hit/no-hit search with reference data only; step 2
// is disclosure of permitted fields after a named examiner confirmed the
// match; notifications carry erasures and markings to every partner that
// received a person's data.
package exchange

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Message types carried in Header.Type.
const (
	TypeSearch         = "search"
	TypeSearchResult   = "search_result"
	TypeDisclose       = "disclose"
	TypeDisclosure     = "disclosure"
	TypeNotify         = "notify"
	TypeReceipt        = "receipt"
	TypeError          = "error"
	TypeCheckpoint     = "checkpoint"
	TypeCheckpointResp = "checkpoint_result"
)

// Sentinel errors a receiver tests with errors.Is; each maps to a refusal code.
var (
	ErrBadSignature  = errors.New("bad signature")
	ErrUnknownKey    = errors.New("unknown signing key")
	ErrStale         = errors.New("stale or future timestamp")
	ErrReplay        = errors.New("replayed request id")
	ErrWrongAddress  = errors.New("message not addressed to this node")
	ErrWrongAgreemnt = errors.New("agreement hash does not match")
	ErrMalformed     = errors.New("malformed message")
)

// Header is what every exchange message carries besides its body. It is
// signed together with the body.
type Header struct {
	// RequestID is a UUID chosen by the requester; the same id sent twice is
	// answered once (idempotence) and otherwise refused as a replay.
	RequestID string `json:"request_id"`
	// InReplyTo is the request id a response answers.
	InReplyTo string `json:"in_reply_to,omitempty"`
	Type      string `json:"type"`
	// From and To are node ids as named in the agreement.
	From string `json:"from"`
	To   string `json:"to"`
	// Purpose and LegalBasis name the agreement's purpose the request is made for.
	Purpose    string `json:"purpose,omitempty"`
	LegalBasis string `json:"legal_basis,omitempty"`
	// Officer is the pseudonymous id of the requesting officer.
	Officer string `json:"requesting_officer,omitempty"`
	// Time is when the message was made (UTC, seconds).
	Time time.Time `json:"time"`
	// AgreementHash is the hex SHA-256 of the signed agreement in force.
	AgreementHash string `json:"agreement_hash"`
}

// Message is a header and a JSON body.
type Message struct {
	Header
	Body json.RawMessage `json:"body,omitempty"`
}

// KeyID is the identifier of an Ed25519 public key in message signatures:
// the first 16 hex digits of SHA-256 over the raw 32-byte key.
func KeyID(pub ed25519.PublicKey) string {
	h := sha256.Sum256(pub)
	return hex.EncodeToString(h[:8])
}

// Sign serialises m and signs it as a JWS compact serialisation with EdDSA
// (RFC 8037), naming the key by KeyID in the protected "kid" header.
func Sign(m *Message, key ed25519.PrivateKey) ([]byte, error) {
	payload, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("exchange: encoding message: %w", err)
	}
	opts := (&jose.SignerOptions{}).WithHeader("kid", KeyID(key.Public().(ed25519.PublicKey))).WithType("bix-exchange+jws")
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: key}, opts)
	if err != nil {
		return nil, fmt.Errorf("exchange: signer: %w", err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return nil, fmt.Errorf("exchange: signing: %w", err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		return nil, fmt.Errorf("exchange: serialising: %w", err)
	}
	return []byte(s), nil
}

// Verify checks a compact JWS made by Sign. Only EdDSA is accepted; the key
// is looked up by its "kid" among keys (KeyID → key) and must verify the
// signature; the message time must lie within maxSkew of now. It returns the
// message and the id of the key that signed it.
func Verify(b []byte, keys map[string]ed25519.PublicKey, now time.Time, maxSkew time.Duration) (*Message, string, error) {
	jws, err := jose.ParseSignedCompact(string(b), []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(jws.Signatures) != 1 {
		return nil, "", fmt.Errorf("%w: %d signatures, want 1", ErrMalformed, len(jws.Signatures))
	}
	kid := jws.Signatures[0].Protected.KeyID
	pub, ok := keys[kid]
	if !ok {
		return nil, "", fmt.Errorf("%w: kid %q", ErrUnknownKey, kid)
	}
	payload, err := jws.Verify(pub)
	if err != nil {
		return nil, kid, fmt.Errorf("%w (kid %s)", ErrBadSignature, kid)
	}
	var m Message
	if err := json.Unmarshal(payload, &m); err != nil {
		return nil, kid, fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}
	if m.RequestID == "" || m.Type == "" || m.From == "" || m.To == "" {
		return nil, kid, fmt.Errorf("%w: request_id, type, from and to are required", ErrMalformed)
	}
	if d := now.Sub(m.Time); d > maxSkew || d < -maxSkew {
		return nil, kid, fmt.Errorf("%w: message time %s is %s from now (allowed ±%s)", ErrStale, m.Time.UTC().Format(time.RFC3339), d.Round(time.Second), maxSkew)
	}
	return &m, kid, nil
}

// Hash returns the hex SHA-256 of b, the form request and response hashes take
// in audit entries.
func Hash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func mustB64(s string) []byte {
	b, _ := base64.RawURLEncoding.DecodeString(s)
	return b
}

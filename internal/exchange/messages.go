package exchange

import "time"

// FingerTemplate is one finger's reference data on the wire: an ISO/IEC
// 19794-2:2005 finger minutiae record with one view (never an image).
type FingerTemplate struct {
	Position int    `json:"position"`
	ISO      []byte `json:"iso_19794_2"`
}

// SearchBody is the body of a step-1 search request.
type SearchBody struct {
	// SearchType names the agreement's search type (e.g. "fingerprint_1n").
	SearchType string           `json:"search_type"`
	Fingers    []FingerTemplate `json:"fingers"`
	// MaxCandidates asks for at most this many candidates (the agreement's
	// cap applies in any case).
	MaxCandidates int `json:"max_candidates,omitempty"`
}

// Search results.
const (
	ResultHit     = "hit"
	ResultNoHit   = "no_hit"
	ResultRefused = "refused"
)

// SearchResultBody is the body of the answer to a search.
type SearchResultBody struct {
	Result string `json:"result"`
	// Code says why a search was refused (an agreement decision code).
	Code       string            `json:"code,omitempty"`
	Candidates []RemoteCandidate `json:"candidates,omitempty"`
}

// RemoteCandidate is one hit: a pseudonymous reference that only the
// requested party can resolve, a score band, and the candidate's reference
// data (finger templates at the probe's positions) for the requester's
// examiner to confirm or reject the match.
type RemoteCandidate struct {
	Reference string           `json:"reference"`
	Band      string           `json:"band"`
	Fingers   []FingerTemplate `json:"fingers,omitempty"`
}

// Score bands of a candidate relative to the answering node's threshold.
const (
	BandStrong   = "strong"   // fused score ≥ 2 × threshold
	BandProbable = "probable" // threshold ≤ score < 2 × threshold
)

// Confirmation is the requesting examiner's decision on a hit, carried in a
// disclosure request (which the requesting node signs).
type Confirmation struct {
	SearchRequestID string    `json:"search_request_id"`
	Reference       string    `json:"reference"`
	Examiner        string    `json:"examiner"`
	Outcome         string    `json:"outcome"` // "same" is the only outcome that allows disclosure
	ReasonCode      string    `json:"reason_code"`
	DecidedAt       time.Time `json:"decided_at"`
	// Score is the examiner's tool's 1:1 score of probe against reference.
	Score float64 `json:"score"`
}

// DiscloseBody is the body of a step-2 disclosure request.
type DiscloseBody struct {
	Reference    string       `json:"reference"`
	Confirmation Confirmation `json:"confirmation"`
}

// Disclosure results.
const (
	ResultDisclosed = "disclosed"
	// ResultUnknown answers a reference that is not known to the requester,
	// and, identically, a person the protection-status guard hides.
	ResultUnknown = "unknown_reference"
)

// DisclosureBody answers a disclosure request.
type DisclosureBody struct {
	Result string            `json:"result"`
	Code   string            `json:"code,omitempty"`
	Fields map[string]string `json:"fields,omitempty"`
	// RetainUntil is the date (UTC) until which the requester may keep the
	// fields under the agreement.
	RetainUntil string `json:"retain_until,omitempty"`
}

// Notification kinds.
const (
	NotifyErasure    = "erasure"
	NotifyCorrection = "correction"
	NotifyMarking    = "marking"
)

// NotifyBody tells a partner that received a person's data of an erasure,
// correction or marking (e.g. protection granted).
type NotifyBody struct {
	Kind      string            `json:"kind"`
	Reference string            `json:"reference"`
	Fields    map[string]string `json:"fields,omitempty"`
}

// ReceiptBody acknowledges a notification.
type ReceiptBody struct {
	Kind      string `json:"kind"`
	Reference string `json:"reference"`
	Applied   bool   `json:"applied"`
}

// ErrorBody is a refusal before the request could be processed.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Refusal codes of the protocol itself (agreement codes come from package
// agreement).
const (
	CodeBadSignature     = "bad_signature"
	CodeUnknownKey       = "unknown_signing_key"
	CodeStale            = "stale_timestamp"
	CodeReplay           = "replayed_request"
	CodeMalformed        = "malformed_request"
	CodeWrongAddress     = "wrong_address"
	CodeWrongAgreement   = "agreement_mismatch"
	CodeNoConfirmation   = "no_examiner_confirmation"
	CodeContested        = "record_contested"
	CodeTooLarge         = "request_too_large"
	CodeRequestIDReused  = "request_id_reused"
	CodeUnsupportedType  = "unsupported_message_type"
	CodeInternal         = "internal_error"
	CodeNotAuthenticated = "not_authenticated"
)

// Package audit is bix's verifiable audit log: every action a node takes is an
// [Entry], stored as canonical JSON in a transparency log (RFC 6962 Merkle
// tree, golang.org/x/mod/sumdb/tlog) in the same SQLite transaction as the
// action itself, and committed to by signed checkpoints in the C2SP
// checkpoint format (https://c2sp.org/tlog-checkpoint, signed notes per
// https://c2sp.org/signed-note). Partner nodes witness each other's
// checkpoints: they check consistency proofs against the last checkpoint they
// saw and cosign, so that neither side can later rewrite what it logged.
//
// The pieces are: [Init] creates the tables; [Append] adds an entry inside
// the caller's transaction; a [Log] signs checkpoints, recomputes the whole
// tree ([Log.Verify]), proves inclusion and consistency, witnesses partners'
// checkpoints ([Log.Witness]) and exports everything an overseer needs
// ([Log.Export]) to check offline with only public keys ([CheckExport]).
package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Actions logged by a node. Entry.Action may also hold other values that
// match [a-z][a-z0-9_.]*; these are the ones bix itself writes.
const (
	ActionEnroll          = "enroll"
	ActionIdentify        = "identify"
	ActionVerify          = "verify"
	ActionAdjudicate      = "adjudicate"
	ActionWatchlist       = "watchlist.change"
	ActionSearchSent      = "search.sent"
	ActionSearchReceived  = "search.received"
	ActionDisclosure      = "disclosure"
	ActionNotification    = "notification"
	ActionErasure         = "erasure"
	ActionConfigChange    = "config.change"
	ActionAgreementChange = "agreement.change"
	ActionLogin           = "login"
)

// RoleAuditor is the only role that may read audit entries; see [CanRead].
const RoleAuditor = "auditor"

// Limits on an entry, so that one bad caller cannot bloat the log.
const (
	maxEntryBytes = 64 << 10
	maxObjects    = 256
)

// ErrInvalidEntry is returned (wrapped) for an entry that cannot be logged
// or a stored body that is not a canonical entry.
var ErrInvalidEntry = errors.New("invalid audit entry")

var actionRE = regexp.MustCompile(`^[a-z][a-z0-9_.]*$`)

// Entry is one logged action. Object references are pseudonymous (record or
// reference ids, never names); request and response hashes are hex SHA-256
// of the exchanged bodies; AgreementHash is the hash of the agreement under
// which the action was taken. Detail holds any further JSON object.
type Entry struct {
	Time          time.Time       `json:"time"`
	Actor         string          `json:"actor"`
	Role          string          `json:"role"`
	Action        string          `json:"action"`
	Purpose       string          `json:"purpose,omitempty"`
	LegalBasis    string          `json:"legal_basis,omitempty"`
	Objects       []string        `json:"objects,omitempty"`
	RequestHash   string          `json:"request_hash,omitempty"`
	ResponseHash  string          `json:"response_hash,omitempty"`
	AgreementHash string          `json:"agreement_hash,omitempty"`
	Detail        json.RawMessage `json:"detail,omitempty"`
}

// Canonical returns the entry's canonical JSON encoding, the bytes that are
// stored and hashed into the log. It follows RFC 8785 (JSON Canonicalization
// Scheme): object members sorted by key, no insignificant whitespace,
// minimal string escaping, numbers in ECMAScript shortest form. Empty
// optional fields are omitted; Time is RFC 3339 in UTC with nanoseconds.
// A zero Time, an empty Actor, Role or Action, invalid UTF-8 or a Detail that
// is not a JSON object is an error wrapping [ErrInvalidEntry].
func (e Entry) Canonical() ([]byte, error) {
	if e.Time.IsZero() {
		return nil, fmt.Errorf("%w: time is zero", ErrInvalidEntry)
	}
	if e.Actor == "" || e.Role == "" {
		return nil, fmt.Errorf("%w: actor and role are required", ErrInvalidEntry)
	}
	if !actionRE.MatchString(e.Action) {
		return nil, fmt.Errorf("%w: action %q must match %s", ErrInvalidEntry, e.Action, actionRE)
	}
	if len(e.Objects) > maxObjects {
		return nil, fmt.Errorf("%w: %d objects, at most %d", ErrInvalidEntry, len(e.Objects), maxObjects)
	}
	m := map[string]any{
		"time":   e.Time.UTC().Format(time.RFC3339Nano),
		"actor":  e.Actor,
		"role":   e.Role,
		"action": e.Action,
	}
	opt := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	opt("purpose", e.Purpose)
	opt("legal_basis", e.LegalBasis)
	opt("request_hash", e.RequestHash)
	opt("response_hash", e.ResponseHash)
	opt("agreement_hash", e.AgreementHash)
	if len(e.Objects) > 0 {
		objs := make([]any, len(e.Objects))
		for i, o := range e.Objects {
			objs[i] = o
		}
		m["objects"] = objs
	}
	if len(e.Detail) > 0 {
		d := json.NewDecoder(bytes.NewReader(e.Detail))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			return nil, fmt.Errorf("%w: detail: %v", ErrInvalidEntry, err)
		}
		if d.More() {
			return nil, fmt.Errorf("%w: detail: trailing data", ErrInvalidEntry)
		}
		if _, ok := v.(map[string]any); !ok {
			return nil, fmt.Errorf("%w: detail must be a JSON object", ErrInvalidEntry)
		}
		m["detail"] = v
	}
	var buf bytes.Buffer
	if err := writeCanonical(&buf, m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidEntry, err)
	}
	if buf.Len() > maxEntryBytes {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrInvalidEntry, buf.Len(), maxEntryBytes)
	}
	return buf.Bytes(), nil
}

// ParseEntry decodes a stored entry body and checks that it is exactly the
// canonical encoding of the entry it holds, so that two different byte
// strings can never stand for the same entry.
func ParseEntry(body []byte) (Entry, error) {
	if len(body) > maxEntryBytes {
		return Entry{}, fmt.Errorf("%w: %d bytes, at most %d", ErrInvalidEntry, len(body), maxEntryBytes)
	}
	var e Entry
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	if err := d.Decode(&e); err != nil {
		return Entry{}, fmt.Errorf("%w: %v", ErrInvalidEntry, err)
	}
	if d.More() {
		return Entry{}, fmt.Errorf("%w: trailing data", ErrInvalidEntry)
	}
	c, err := e.Canonical()
	if err != nil {
		return Entry{}, err
	}
	if !bytes.Equal(c, body) {
		return Entry{}, fmt.Errorf("%w: body is not in canonical form", ErrInvalidEntry)
	}
	return e, nil
}

// CanRead reports whether a user with the given role may read audit
// entries. Only [RoleAuditor] may; the node calls this before serving
// entries, proofs with entries, or exports.
func CanRead(role string) bool { return role == RoleAuditor }

// writeCanonical writes v (as produced by encoding/json with UseNumber, or
// built from the same types) in RFC 8785 form.
func writeCanonical(buf *bytes.Buffer, v any) error {
	switch v := v.(type) {
	case nil:
		buf.WriteString("null")
	case bool:
		if v {
			buf.WriteString("true")
		} else {
			buf.WriteString("false")
		}
	case string:
		return writeString(buf, v)
	case json.Number:
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return fmt.Errorf("number %q out of range", string(v))
		}
		// JSON numbers are IEEE doubles here (RFC 8785, I-JSON): refuse an
		// integer that would silently change, such as a 64-bit id.
		if !strings.ContainsAny(string(v), ".eE") && math.Abs(f) >= 1<<53 {
			return fmt.Errorf("integer %s is not below 2^53 and may lose precision; write it as a string", string(v))
		}
		buf.WriteString(formatNumber(f))
	case []any:
		buf.WriteByte('[')
		for i, x := range v {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeCanonical(buf, x); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		// RFC 8785 sorts by UTF-16 code units; for keys within the Basic
		// Multilingual Plane this equals byte order of UTF-8, and keys
		// outside it are rejected below to keep the two orders equal.
		sort.Strings(keys)
		buf.WriteByte('{')
		for i, k := range keys {
			for _, r := range k {
				if r > 0xFFFF {
					return fmt.Errorf("object key %q outside the Basic Multilingual Plane", k)
				}
			}
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeString(buf, k); err != nil {
				return err
			}
			buf.WriteByte(':')
			if err := writeCanonical(buf, v[k]); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	default:
		return fmt.Errorf("unsupported JSON value of type %T", v)
	}
	return nil
}

// writeString writes s as a JSON string with the minimal escaping of
// RFC 8785 section 3.2.2.2.
func writeString(buf *bytes.Buffer, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("string is not valid UTF-8")
	}
	buf.WriteByte('"')
	if !needsEscape(s) {
		buf.WriteString(s)
		buf.WriteByte('"')
		return nil
	}
	for _, r := range s {
		switch r {
		case '"':
			buf.WriteString(`\"`)
		case '\\':
			buf.WriteString(`\\`)
		case '\b':
			buf.WriteString(`\b`)
		case '\f':
			buf.WriteString(`\f`)
		case '\n':
			buf.WriteString(`\n`)
		case '\r':
			buf.WriteString(`\r`)
		case '\t':
			buf.WriteString(`\t`)
		default:
			if r < 0x20 {
				fmt.Fprintf(buf, `\u%04x`, r)
			} else {
				buf.WriteRune(r)
			}
		}
	}
	buf.WriteByte('"')
	return nil
}

// needsEscape reports whether s has a byte writeString must escape.
func needsEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' {
			return true
		}
	}
	return false
}

// formatNumber formats f as ECMAScript's Number.prototype.toString does
// (RFC 8785 section 3.2.2.3): shortest round-trip digits, fixed notation for
// 1e-6 <= |f| < 1e21, otherwise exponent notation without leading zeros.
func formatNumber(f float64) string {
	if f == 0 {
		return "0" // also for -0
	}
	a := math.Abs(f)
	if a >= 1e-6 && a < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	s := strconv.FormatFloat(f, 'e', -1, 64)
	// Go writes e+07 / e-07; ECMAScript writes e+7 / e-7.
	i := bytes.IndexByte([]byte(s), 'e')
	mant, exp := s[:i], s[i+1:]
	sign := exp[0]
	digits := exp[1:]
	for len(digits) > 1 && digits[0] == '0' {
		digits = digits[1:]
	}
	return mant + "e" + string(sign) + digits
}

// Package agreement is a bix exchange agreement as code: a versioned YAML
// file that every party signs, naming the parties (country, endpoint, TLS
// certificate pin, signing keys), the purposes with their legal basis, which
// categories of person may be searched and which fields disclosed for which
// purpose, candidate caps and daily quotas per search type, retention of
// received data, rules for minors, and further rules written as CEL
// expressions (https://cel.dev) over typed request and person variables.
//
// A node uses an agreement only after [Agreement.Verify] found every party's
// signature. Its [Agreement.Hash] goes into every exchange message and audit
// entry. Checks are [Agreement.CheckSearch] (may this search be made?),
// [Agreement.MayReturnCandidate] (may this person be in the answer?) and
// [Agreement.DisclosableFields] (what may be disclosed about them?).
//
// Built in and not removable by any agreement content is the
// protection-status guard: nothing about an asylum claim, refugee status or
// protection need is disclosed to the person's country of nationality, and
// for a request from that country such a person is indistinguishable from
// an absent one (a no-hit, never a refusal). Agreement rules can only
// refuse; they can never grant what the built-in checks refuse.
package agreement

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// FormatVersion is the value of the bix_agreement key this package reads.
const FormatVersion = 1

// MaxFileSize bounds the agreement file Parse accepts.
const MaxFileSize = 1 << 20

// ErrInvalid is returned (wrapped) by Parse for a file that is not a valid
// agreement; the message names the key at fault.
var ErrInvalid = errors.New("invalid agreement")

// Agreement is a parsed agreement. Its exported fields mirror the file;
// treat them as read-only (use Sign to add signatures).
type Agreement struct {
	Format      int                   `yaml:"bix_agreement" json:"bix_agreement"`
	ID          string                `yaml:"id" json:"id"`
	Version     int                   `yaml:"version" json:"version"`
	Title       string                `yaml:"title" json:"title"`
	ValidFrom   string                `yaml:"valid_from" json:"valid_from"`
	ValidUntil  string                `yaml:"valid_until" json:"valid_until"`
	Parties     []Party               `yaml:"parties" json:"parties"`
	Categories  []string              `yaml:"categories" json:"categories"`
	Protected   []string              `yaml:"protected_categories" json:"protected_categories"`
	Purposes    []Purpose             `yaml:"purposes" json:"purposes"`
	SearchTypes map[string]SearchType `yaml:"search_types" json:"search_types"`
	Retention   Retention             `yaml:"retention" json:"retention"`
	Minors      Minors                `yaml:"minors" json:"minors"`
	Rules       []Rule                `yaml:"rules" json:"rules"`
	Signatures  []Signature           `yaml:"signatures" json:"-"`

	from, until time.Time // parsed validity, [from, until]
	programs    []program // compiled rules, in file order
	raw         []byte    // the file, for rewriting the signatures section
	hash        [32]byte  // of the terms in raw
	verified    bool      // Verify succeeded since the last change
}

// Party is one signatory node.
type Party struct {
	ID          string   `yaml:"id" json:"id"`
	Name        string   `yaml:"name" json:"name"`
	Country     string   `yaml:"country" json:"country"` // ISO 3166-1 alpha-3
	Endpoint    string   `yaml:"endpoint" json:"endpoint"`
	TLSPin      string   `yaml:"tls_spki_sha256" json:"tls_spki_sha256"` // hex SHA-256 of the certificate's SubjectPublicKeyInfo
	SigningKeys []string `yaml:"signing_keys" json:"signing_keys"`       // base64 Ed25519 public keys
}

// Purpose is a purpose for which searches may be made, with its legal
// basis, the search types allowed for it, the categories of person that may
// be returned as candidates, and the fields that may be disclosed per
// category.
type Purpose struct {
	ID               string              `yaml:"id" json:"id"`
	LegalBasis       string              `yaml:"legal_basis" json:"legal_basis"`
	SearchTypes      []string            `yaml:"search_types" json:"search_types"`
	SearchCategories []string            `yaml:"search_categories" json:"search_categories"`
	Disclose         map[string][]string `yaml:"disclose" json:"disclose"`
	RetentionDays    int                 `yaml:"retention_days" json:"retention_days"` // 0: Retention.DefaultDays
}

// SearchType caps one kind of search (fingerprint 1:N, face 1:N, ...).
type SearchType struct {
	MaxCandidates int `yaml:"max_candidates" json:"max_candidates"`
	DailyQuota    int `yaml:"daily_quota" json:"daily_quota"`
}

// Retention says how long a receiving party may keep received data.
type Retention struct {
	DefaultDays int `yaml:"default_days" json:"default_days"`
}

// Minors restricts what concerns persons under AgeBelow years (or of
// unknown age): they are returned as candidates only for SearchPurposes, and
// only DiscloseFields (further limited by the purpose's own list) are
// disclosed about them.
type Minors struct {
	AgeBelow       int      `yaml:"age_below" json:"age_below"`
	SearchPurposes []string `yaml:"search_purposes" json:"search_purposes"`
	DiscloseFields []string `yaml:"disclose_fields" json:"disclose_fields"`
}

// Rule is a further condition written in CEL that must hold for an action
// to proceed. On says which check it applies to: "search" (variable
// request), "candidate" or "disclose" (variables request and person). The
// expression must have type bool; false refuses with Code.
type Rule struct {
	ID          string `yaml:"id" json:"id"`
	On          string `yaml:"on" json:"on"`
	Expr        string `yaml:"expr" json:"expr"`
	Code        string `yaml:"code" json:"code"`
	Description string `yaml:"description" json:"description"`
}

// Signature is one party's Ed25519 signature over the agreement's hash.
type Signature struct {
	Party string `yaml:"party" json:"party"`
	Key   string `yaml:"key" json:"key"` // base64 public key, one of the party's signing keys
	Sig   string `yaml:"sig" json:"sig"` // base64 signature
}

var (
	identRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	partyRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	pinRE   = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// Parse reads and validates an agreement file and compiles its rules. It
// does not verify signatures; call [Agreement.Verify] before use.
func Parse(b []byte) (*Agreement, error) {
	if len(b) > MaxFileSize {
		return nil, fmt.Errorf("%w: file has %d bytes, at most %d", ErrInvalid, len(b), MaxFileSize)
	}
	a := &Agreement{}
	d := yaml.NewDecoder(bytes.NewReader(b))
	d.KnownFields(true)
	if err := d.Decode(a); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: empty file", ErrInvalid)
		}
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	var extra yaml.Node
	if err := d.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: more than one YAML document", ErrInvalid)
	}
	if err := a.validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	progs, err := compileRules(a.Rules)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	a.programs = progs
	a.raw = append([]byte(nil), b...)
	if a.hash, err = termsHash(a.raw); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return a, nil
}

// Limits on the size of an agreement's lists, which checks scan per
// request.
const (
	maxParties     = 64
	maxListEntries = 256
)

func (a *Agreement) validate() error {
	if len(a.Parties) > maxParties {
		return fmt.Errorf("parties: %d, at most %d", len(a.Parties), maxParties)
	}
	for name, n := range map[string]int{"categories": len(a.Categories), "protected_categories": len(a.Protected),
		"purposes": len(a.Purposes), "search_types": len(a.SearchTypes), "minors.search_purposes": len(a.Minors.SearchPurposes),
		"minors.disclose_fields": len(a.Minors.DiscloseFields)} {
		if n > maxListEntries {
			return fmt.Errorf("%s: %d entries, at most %d", name, n, maxListEntries)
		}
	}
	for _, p := range a.Purposes {
		if len(p.SearchTypes) > maxListEntries || len(p.SearchCategories) > maxListEntries || len(p.Disclose) > maxListEntries {
			return fmt.Errorf("purpose %q: lists longer than %d", p.ID, maxListEntries)
		}
		for c, f := range p.Disclose {
			if len(f) > maxListEntries {
				return fmt.Errorf("purpose %q disclose %q: %d fields, at most %d", p.ID, c, len(f), maxListEntries)
			}
		}
	}
	for _, p := range a.Parties {
		if len(p.SigningKeys) > maxListEntries {
			return fmt.Errorf("party %q: %d signing keys, at most %d", p.ID, len(p.SigningKeys), maxListEntries)
		}
	}
	if len(a.Signatures) > maxParties {
		return fmt.Errorf("signatures: %d, at most %d", len(a.Signatures), maxParties)
	}
	if a.Format != FormatVersion {
		return fmt.Errorf("bix_agreement: %d, want %d", a.Format, FormatVersion)
	}
	if !partyRE.MatchString(a.ID) {
		return fmt.Errorf("id: %q must match %s", a.ID, partyRE)
	}
	if a.Version < 1 {
		return fmt.Errorf("version: %d, must be at least 1", a.Version)
	}
	var err error
	if a.from, err = time.Parse(time.DateOnly, a.ValidFrom); err != nil {
		return fmt.Errorf("valid_from: %q is not a date (YYYY-MM-DD)", a.ValidFrom)
	}
	if a.until, err = time.Parse(time.DateOnly, a.ValidUntil); err != nil {
		return fmt.Errorf("valid_until: %q is not a date (YYYY-MM-DD)", a.ValidUntil)
	}
	a.until = a.until.Add(24*time.Hour - time.Nanosecond) // the whole last day, UTC
	if !a.from.Before(a.until) {
		return fmt.Errorf("valid_until %s is before valid_from %s", a.ValidUntil, a.ValidFrom)
	}

	if len(a.Parties) < 2 {
		return fmt.Errorf("parties: %d, an agreement needs at least 2", len(a.Parties))
	}
	seenParty := map[string]bool{}
	seenKey := map[string]bool{}
	for i, p := range a.Parties {
		where := fmt.Sprintf("parties[%d]", i)
		if !partyRE.MatchString(p.ID) {
			return fmt.Errorf("%s.id: %q must match %s", where, p.ID, partyRE)
		}
		if seenParty[p.ID] {
			return fmt.Errorf("%s.id: %q listed twice", where, p.ID)
		}
		seenParty[p.ID] = true
		if !IsCountryCode(p.Country) {
			return fmt.Errorf("%s (%s).country: %q is not an ISO 3166-1 alpha-3 code", where, p.ID, p.Country)
		}
		u, err := url.Parse(p.Endpoint)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return fmt.Errorf("%s (%s).endpoint: %q is not an https URL", where, p.ID, p.Endpoint)
		}
		if !pinRE.MatchString(p.TLSPin) {
			return fmt.Errorf("%s (%s).tls_spki_sha256: want 64 lowercase hex digits", where, p.ID)
		}
		if len(p.SigningKeys) == 0 {
			return fmt.Errorf("%s (%s).signing_keys: none", where, p.ID)
		}
		for j, k := range p.SigningKeys {
			if _, err := decodePublicKey(k); err != nil {
				return fmt.Errorf("%s (%s).signing_keys[%d]: %v", where, p.ID, j, err)
			}
			if seenKey[k] {
				return fmt.Errorf("%s (%s).signing_keys[%d]: key listed twice", where, p.ID, j)
			}
			seenKey[k] = true
		}
	}

	if len(a.Categories) == 0 {
		return fmt.Errorf("categories: none")
	}
	cats := map[string]bool{}
	for i, c := range a.Categories {
		if !identRE.MatchString(c) {
			return fmt.Errorf("categories[%d]: %q must match %s", i, c, identRE)
		}
		if cats[c] {
			return fmt.Errorf("categories[%d]: %q listed twice", i, c)
		}
		cats[c] = true
	}
	for i, c := range a.Protected {
		if !cats[c] {
			return fmt.Errorf("protected_categories[%d]: %q is not in categories", i, c)
		}
	}

	if len(a.SearchTypes) == 0 {
		return fmt.Errorf("search_types: none")
	}
	for name, st := range a.SearchTypes {
		if !identRE.MatchString(name) {
			return fmt.Errorf("search_types: %q must match %s", name, identRE)
		}
		if st.MaxCandidates < 1 || st.MaxCandidates > 1000 {
			return fmt.Errorf("search_types.%s.max_candidates: %d, want 1..1000", name, st.MaxCandidates)
		}
		if st.DailyQuota < 1 {
			return fmt.Errorf("search_types.%s.daily_quota: %d, want at least 1", name, st.DailyQuota)
		}
	}

	if len(a.Purposes) == 0 {
		return fmt.Errorf("purposes: none")
	}
	purposes := map[string]bool{}
	for i, p := range a.Purposes {
		where := fmt.Sprintf("purposes[%d]", i)
		if !identRE.MatchString(p.ID) {
			return fmt.Errorf("%s.id: %q must match %s", where, p.ID, identRE)
		}
		if purposes[p.ID] {
			return fmt.Errorf("%s.id: %q listed twice", where, p.ID)
		}
		purposes[p.ID] = true
		where = fmt.Sprintf("purposes[%d] (%s)", i, p.ID)
		if p.LegalBasis == "" {
			return fmt.Errorf("%s.legal_basis: empty", where)
		}
		if len(p.SearchTypes) == 0 {
			return fmt.Errorf("%s.search_types: none", where)
		}
		for _, s := range p.SearchTypes {
			if _, ok := a.SearchTypes[s]; !ok {
				return fmt.Errorf("%s.search_types: %q is not in search_types", where, s)
			}
		}
		for _, c := range p.SearchCategories {
			if !cats[c] {
				return fmt.Errorf("%s.search_categories: %q is not in categories", where, c)
			}
		}
		for c, fields := range p.Disclose {
			if !cats[c] {
				return fmt.Errorf("%s.disclose: %q is not in categories", where, c)
			}
			for _, f := range fields {
				if !identRE.MatchString(f) {
					return fmt.Errorf("%s.disclose.%s: field %q must match %s", where, c, f, identRE)
				}
			}
		}
		if p.RetentionDays < 0 {
			return fmt.Errorf("%s.retention_days: negative", where)
		}
	}
	if a.Retention.DefaultDays < 1 {
		return fmt.Errorf("retention.default_days: %d, want at least 1", a.Retention.DefaultDays)
	}
	if a.Minors.AgeBelow < 0 || a.Minors.AgeBelow > 21 {
		return fmt.Errorf("minors.age_below: %d, want 0..21", a.Minors.AgeBelow)
	}
	for _, p := range a.Minors.SearchPurposes {
		if !purposes[p] {
			return fmt.Errorf("minors.search_purposes: %q is not a purpose", p)
		}
	}
	for _, f := range a.Minors.DiscloseFields {
		if !identRE.MatchString(f) {
			return fmt.Errorf("minors.disclose_fields: field %q must match %s", f, identRE)
		}
	}
	ruleIDs := map[string]bool{}
	for i, r := range a.Rules {
		if !identRE.MatchString(r.ID) {
			return fmt.Errorf("rules[%d].id: %q must match %s", i, r.ID, identRE)
		}
		if ruleIDs[r.ID] {
			return fmt.Errorf("rules[%d].id: %q listed twice", i, r.ID)
		}
		ruleIDs[r.ID] = true
		if r.Code != "" && !identRE.MatchString(r.Code) {
			return fmt.Errorf("rules[%d] (%s).code: %q must match %s", i, r.ID, r.Code, identRE)
		}
	}
	for i, s := range a.Signatures {
		if !seenParty[s.Party] {
			return fmt.Errorf("signatures[%d]: party %q is not a party", i, s.Party)
		}
	}
	return nil
}

func decodePublicKey(s string) (ed25519.PublicKey, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("not a base64 Ed25519 public key")
	}
	return ed25519.PublicKey(b), nil
}

// hashDomain separates agreement hashes from any other SHA-256 use.
const hashDomain = "bix agreement hash v1\n"

// termsHash computes the hash of the terms in an agreement file: the
// domain string followed by the JSON encoding (encoding/json: object keys
// sorted, no whitespace) of the YAML document with its top-level
// signatures key removed. It hashes the document rather than this
// package's Go types so that the hash of a signed file does not change when
// a later bix version learns new optional keys.
func termsHash(raw []byte) ([32]byte, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return [32]byte{}, err
	}
	delete(doc, "signatures")
	b, err := json.Marshal(doc)
	if err != nil {
		return [32]byte{}, fmt.Errorf("encoding terms: %v", err)
	}
	return sha256.Sum256(append([]byte(hashDomain), b...)), nil
}

// Hash returns the SHA-256 hash of the agreement's terms (see termsHash):
// everything in the file except the signatures; comments and layout do
// not count, any change to a term does. The exported fields are the terms
// as parsed and must not be modified.
func (a *Agreement) Hash() [32]byte { return a.hash }

// HashHex returns Hash as lowercase hex, the form exchange messages and
// audit entries carry.
func (a *Agreement) HashHex() string {
	h := a.Hash()
	return hex.EncodeToString(h[:])
}

// Party returns the party with the given id.
func (a *Agreement) Party(id string) (Party, bool) {
	for _, p := range a.Parties {
		if p.ID == id {
			return p, true
		}
	}
	return Party{}, false
}

// Purpose returns the purpose with the given id.
func (a *Agreement) Purpose(id string) (Purpose, bool) {
	for _, p := range a.Purposes {
		if p.ID == id {
			return p, true
		}
	}
	return Purpose{}, false
}

// RetentionDays returns how many days a receiving party may keep data
// received for purpose (0 for an unknown purpose).
func (a *Agreement) RetentionDays(purpose string) int {
	p, ok := a.Purpose(purpose)
	if !ok {
		return 0
	}
	if p.RetentionDays > 0 {
		return p.RetentionDays
	}
	return a.Retention.DefaultDays
}

// InForce reports whether t falls within the agreement's validity (both
// dates inclusive, UTC).
func (a *Agreement) InForce(t time.Time) bool {
	return !t.Before(a.from) && !t.After(a.until)
}

// isProtectedCategory reports whether c is one of the built-in protected
// categories or one the agreement adds.
func (a *Agreement) isProtectedCategory(c string) bool {
	return IsProtectedCategory(c) || slices.Contains(a.Protected, strings.ToLower(strings.TrimSpace(c)))
}

// SigningKeys returns the Ed25519 public keys a party signs with (the
// exchange checks request and response signatures against them).
func (a *Agreement) SigningKeys(party string) ([]ed25519.PublicKey, error) {
	p, ok := a.Party(party)
	if !ok {
		return nil, fmt.Errorf("agreement %s: %q is not a party", a.ID, party)
	}
	keys := make([]ed25519.PublicKey, len(p.SigningKeys))
	for i, k := range p.SigningKeys {
		var err error
		if keys[i], err = decodePublicKey(k); err != nil {
			return nil, fmt.Errorf("agreement %s: party %s key %d: %v", a.ID, party, i, err)
		}
	}
	return keys, nil
}

// PartyByPin returns the party whose TLS certificate key has the given
// SHA-256 SubjectPublicKeyInfo pin (32 bytes), as a TLS server or client
// presenting that key must be.
func (a *Agreement) PartyByPin(spkiSHA256 []byte) (Party, bool) {
	pin := hex.EncodeToString(spkiSHA256)
	for _, p := range a.Parties {
		if p.TLSPin == pin {
			return p, true
		}
	}
	return Party{}, false
}

// ErrNotSuccessor is returned by Supersedes for an agreement that cannot
// replace the one in use.
var ErrNotSuccessor = errors.New("agreement does not supersede the one in use")

// Supersedes checks that a may replace old: the same agreement id, a
// higher version, and the same set of parties (a party joining or leaving
// is a new agreement). Both must be verified.
func (a *Agreement) Supersedes(old *Agreement) error {
	switch {
	case !a.verified || !old.verified:
		return fmt.Errorf("%w: both agreements must be verified", ErrNotSuccessor)
	case a.ID != old.ID:
		return fmt.Errorf("%w: id %s, in use %s", ErrNotSuccessor, a.ID, old.ID)
	case a.Version <= old.Version:
		return fmt.Errorf("%w: version %d is not above %d", ErrNotSuccessor, a.Version, old.Version)
	}
	ids := func(x *Agreement) []string {
		var s []string
		for _, p := range x.Parties {
			s = append(s, p.ID)
		}
		slices.Sort(s)
		return s
	}
	if !slices.Equal(ids(a), ids(old)) {
		return fmt.Errorf("%w: parties differ", ErrNotSuccessor)
	}
	return nil
}

package agreement

import (
	"slices"
	"strings"
	"time"
)

// builtinProtected are the categories the protection-status guard always
// covers, whatever the agreement says; so is any category whose name
// contains one of protectionWords.
var builtinProtected = []string{"asylum_seeker", "asylum_applicant", "refugee", "resettled_refugee", "protection_need",
	"subsidiary_protection", "temporary_protection", "humanitarian_protection", "stateless_applicant"}

// protectionFields are field names that carry asylum, refugee or
// protection information. The guard never discloses them, or any field
// whose name contains one of protectionWords, to a country of the person's
// nationality, whatever the agreement's field lists say.
var protectionFields = []string{"asylum_claim", "asylum_status", "asylum_case_id", "refugee_status", "protection_need", "protection_status", "resettlement"}

var protectionWords = []string{"asylum", "refugee", "protection", "resettle", "non_refoulement", "refoulement"}

// IsProtectedCategory reports whether the guard always covers category c
// (whatever an agreement adds to it).
// Case and surrounding spaces are ignored.
func IsProtectedCategory(c string) bool {
	c = strings.ToLower(strings.TrimSpace(c))
	return slices.Contains(builtinProtected, c) || IsProtectionField(c)
}

// IsProtectionField reports whether field carries asylum, refugee or
// protection information as far as the guard is concerned.
// Case and surrounding spaces are ignored.
func IsProtectionField(field string) bool {
	field = strings.ToLower(strings.TrimSpace(field))
	if slices.Contains(protectionFields, field) {
		return true
	}
	for _, w := range protectionWords {
		if strings.Contains(field, w) {
			return true
		}
	}
	return false
}

// Decision codes. Code is what the requesting party may be told; see
// [Decision].
const (
	CodeOK                    = "ok"
	CodeNoHit                 = "no_hit" // nothing to return: the person is treated as absent
	CodeAgreementUnsigned     = "agreement_unsigned"
	CodeNotInForce            = "agreement_not_in_force"
	CodePartyUnknown          = "party_unknown"
	CodePurposeUnknown        = "purpose_unknown"
	CodeLegalBasisMismatch    = "legal_basis_mismatch"
	CodeOfficerMissing        = "officer_missing"
	CodeSearchTypeUnknown     = "search_type_unknown"
	CodeSearchTypeNotAllowed  = "search_type_not_allowed"
	CodeQuotaExceeded         = "quota_exceeded"
	CodeCategoryNotSearchable = "category_not_searchable"
	CodeCategoryNotDisclosed  = "category_not_disclosable"
	CodeMinor                 = "minor"
	CodeRuleRefused           = "rule_refused" // a rule without its own code refused
)

// Names of the built-in checks, as Decision.Rule gives them.
const (
	RuleProtectionGuard = "builtin:protection_status_guard"
	RuleMinors          = "builtin:minors"
)

// SearchRequest is a partner search (or disclosure request) as the
// agreement sees it. From and To are party ids.
type SearchRequest struct {
	From, To   string
	Purpose    string
	LegalBasis string
	Officer    string // pseudonymous id of the requesting officer
	SearchType string
	Time       time.Time
}

// PersonFacts is what the agreement needs to know about a person held by
// the requested party.
type PersonFacts struct {
	Category           string
	Nationality        string   // ISO 3166-1 alpha-3; "" when unknown
	OtherNationalities []string // further nationalities, if any
	Age                int      // years; negative when unknown
	Contested          bool     // the person contests the record
	// Protection is set when the person has an asylum claim, refugee
	// status or a protection need recorded, whatever their category.
	Protection bool
}

// Decision is the outcome of a check. Code is safe to send to the
// requesting party. Rule and Reason are for the audit log only (readable by
// the auditor role) and must never be sent to the requesting party: for the
// protection-status guard Code is CodeNoHit, exactly as for an absent
// person, and only Rule says why.
type Decision struct {
	Allowed       bool
	Code          string
	Rule          string // the built-in check ("builtin:...") or agreement rule id that refused
	Reason        string
	MaxCandidates int // for an allowed search: the cap on candidates returned
}

func allow() Decision { return Decision{Allowed: true, Code: CodeOK} }

func refuse(code, rule, reason string) Decision {
	return Decision{Code: code, Rule: rule, Reason: reason}
}

// checkRequest checks what every request must satisfy and returns the
// rule variables for it.
func (a *Agreement) checkRequest(req SearchRequest) (*RuleRequest, Decision) {
	if !a.verified {
		return nil, refuse(CodeAgreementUnsigned, "builtin:signatures", "the agreement has not been verified as signed by every party")
	}
	if !a.InForce(req.Time) {
		return nil, refuse(CodeNotInForce, "builtin:validity", "request time outside "+a.ValidFrom+".."+a.ValidUntil)
	}
	from, ok1 := a.Party(req.From)
	to, ok2 := a.Party(req.To)
	if !ok1 || !ok2 || req.From == req.To {
		return nil, refuse(CodePartyUnknown, "builtin:parties", "from "+req.From+" to "+req.To)
	}
	p, ok := a.Purpose(req.Purpose)
	if !ok {
		return nil, refuse(CodePurposeUnknown, "builtin:purposes", "purpose "+req.Purpose)
	}
	if req.LegalBasis != p.LegalBasis {
		return nil, refuse(CodeLegalBasisMismatch, "builtin:purposes", "legal basis does not match purpose "+p.ID)
	}
	if req.Officer == "" {
		return nil, refuse(CodeOfficerMissing, "builtin:officer", "no requesting officer")
	}
	if _, ok := a.SearchTypes[req.SearchType]; !ok {
		return nil, refuse(CodeSearchTypeUnknown, "builtin:search_types", "search type "+req.SearchType)
	}
	if !slices.Contains(p.SearchTypes, req.SearchType) {
		return nil, refuse(CodeSearchTypeNotAllowed, "builtin:search_types", "search type "+req.SearchType+" not allowed for "+p.ID)
	}
	return &RuleRequest{
		From: req.From, To: req.To, FromCountry: from.Country, ToCountry: to.Country,
		Purpose: req.Purpose, LegalBasis: req.LegalBasis, Officer: req.Officer,
		SearchType: req.SearchType, Time: req.Time,
	}, allow()
}

// CheckSearch decides whether a search may be made, given how many searches
// of its type the requesting party already made today (counted by the
// node). An allowed Decision carries the candidate cap.
func (a *Agreement) CheckSearch(req SearchRequest, quotaUsedToday int) Decision {
	rr, d := a.checkRequest(req)
	if !d.Allowed {
		return d
	}
	st := a.SearchTypes[req.SearchType]
	if quotaUsedToday >= st.DailyQuota {
		return refuse(CodeQuotaExceeded, "builtin:quota", "daily quota for "+req.SearchType+" reached")
	}
	rr.QuotaUsed = int64(quotaUsedToday)
	if r, ok := a.evalRules(OnSearch, rr, nil); !ok {
		return ruleRefusal(r)
	}
	d = allow()
	d.MaxCandidates = st.MaxCandidates
	return d
}

func ruleRefusal(r Rule) Decision {
	code := r.Code
	if code == "" {
		code = CodeRuleRefused
	}
	return refuse(code, r.ID, r.Description)
}

// guarded reports whether the protection-status guard hides person from a
// request by a party of country: the person is in a protected category or
// has protection recorded, and country is (or may be) one of their
// nationalities. An unknown nationality counts as a match.
func (a *Agreement) guarded(country string, person PersonFacts) bool {
	if !person.Protection && !a.isProtectedCategory(person.Category) && !hasRefugeeDocument(person) {
		return false
	}
	return isNational(country, person)
}

// isNational reports whether country is, or may be, one of the person's
// nationalities. An unknown nationality, or one that is not an assigned
// ISO 3166-1 alpha-3 code (an alpha-2 "CO", an ICAO document code such as
// XXA, free text), may be anything and so counts as a match; case and
// surrounding spaces are ignored.
func isNational(country string, person PersonFacts) bool {
	if strings.TrimSpace(person.Nationality) == "" {
		return true
	}
	for _, n := range append([]string{person.Nationality}, person.OtherNationalities...) {
		n = strings.ToUpper(strings.TrimSpace(n))
		if n == country || !IsCountryCode(n) {
			return true
		}
	}
	return false
}

// hasRefugeeDocument reports whether a nationality is an ICAO refugee
// travel-document code.
func hasRefugeeDocument(person PersonFacts) bool {
	for _, n := range append([]string{person.Nationality}, person.OtherNationalities...) {
		if slices.Contains(icaoRefugeeCodes, strings.ToUpper(strings.TrimSpace(n))) {
			return true
		}
	}
	return false
}

func (a *Agreement) isMinor(person PersonFacts) bool {
	return person.Age < 0 || person.Age < a.Minors.AgeBelow
}

func (a *Agreement) rulePerson(person PersonFacts) *RulePerson {
	return &RulePerson{
		Category: person.Category, Nationality: person.Nationality,
		Nationalities: append([]string{person.Nationality}, person.OtherNationalities...),
		Age:           int64(person.Age), Minor: a.isMinor(person), Contested: person.Contested,
		Protected: person.Protection || a.isProtectedCategory(person.Category) || hasRefugeeDocument(person),
	}
}

// requesterCountry returns the country of the requesting party, or "" if
// it is not a party.
func (a *Agreement) requesterCountry(req SearchRequest) string {
	p, _ := a.Party(req.From)
	return p.Country
}

// CandidateDecision decides whether person may appear among the candidates
// answered to req. A refusal means the person is left out of the answer
// (the requester sees a no-hit, not a refusal). The protection-status guard
// is checked first and no agreement content can change it.
func (a *Agreement) CandidateDecision(req SearchRequest, person PersonFacts) Decision {
	if a.guarded(a.requesterCountry(req), person) {
		return refuse(CodeNoHit, RuleProtectionGuard, "protected person of the requester's nationality")
	}
	rr, d := a.checkRequest(req)
	if !d.Allowed {
		return d
	}
	p, _ := a.Purpose(req.Purpose)
	if !slices.Contains(p.SearchCategories, person.Category) {
		return refuse(CodeCategoryNotSearchable, "builtin:search_categories", "category "+person.Category+" not searchable for "+p.ID)
	}
	if a.isMinor(person) && !slices.Contains(a.Minors.SearchPurposes, p.ID) {
		return refuse(CodeMinor, RuleMinors, "minors are not returned for "+p.ID)
	}
	if r, ok := a.evalRules(OnCandidate, rr, a.rulePerson(person)); !ok {
		return ruleRefusal(r)
	}
	return allow()
}

// MayReturnCandidate reports whether person may appear among the
// candidates answered to req; see [Agreement.CandidateDecision].
func (a *Agreement) MayReturnCandidate(req SearchRequest, person PersonFacts) bool {
	return a.CandidateDecision(req, person).Allowed
}

// DisclosableFields returns the fields that may be disclosed about person
// for req: those the purpose lists for the person's category, limited for
// minors to minors.disclose_fields, never a protection field to a country
// of the person's nationality, and nothing at all (Code CodeNoHit, as for
// an absent person) when the protection-status guard hides the person.
// The node answers a guarded disclosure request exactly as it answers one
// for an unknown reference.
func (a *Agreement) DisclosableFields(req SearchRequest, person PersonFacts) ([]string, Decision) {
	country := a.requesterCountry(req)
	if a.guarded(country, person) {
		return nil, refuse(CodeNoHit, RuleProtectionGuard, "protected person of the requester's nationality")
	}
	rr, d := a.checkRequest(req)
	if !d.Allowed {
		return nil, d
	}
	p, _ := a.Purpose(req.Purpose)
	if !slices.Contains(p.SearchCategories, person.Category) {
		return nil, refuse(CodeCategoryNotSearchable, "builtin:search_categories", "category "+person.Category+" not searchable for "+p.ID)
	}
	fields := p.Disclose[person.Category]
	if len(fields) == 0 {
		return nil, refuse(CodeCategoryNotDisclosed, "builtin:disclose", "nothing disclosable about "+person.Category+" for "+p.ID)
	}
	minor := a.isMinor(person)
	if minor && !slices.Contains(a.Minors.SearchPurposes, p.ID) {
		return nil, refuse(CodeMinor, RuleMinors, "minors are not disclosed for "+p.ID)
	}
	out := make([]string, 0, len(fields))
	for _, f := range fields {
		if minor && !slices.Contains(a.Minors.DiscloseFields, f) {
			continue
		}
		if IsProtectionField(f) && isNational(country, person) {
			continue // built-in guard: never to a country of nationality
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, refuse(CodeCategoryNotDisclosed, "builtin:disclose", "no field left to disclose")
	}
	if r, ok := a.evalRules(OnDisclose, rr, a.rulePerson(person)); !ok {
		return nil, ruleRefusal(r)
	}
	return out, allow()
}

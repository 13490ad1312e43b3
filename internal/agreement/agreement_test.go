package agreement

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"flag"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

const examplePath = "testdata/us-col.yaml"

func readExample(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// example returns the verified example agreement.
func example(t testing.TB) *Agreement {
	t.Helper()
	a, err := Parse(readExample(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Verify(); err != nil {
		t.Fatal(err)
	}
	return a
}

// exampleKey returns an example party's private key; the seeds are derived
// from public strings (see testdata/README.md).
func exampleKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("bix example agreement key " + name + " - NOT FOR PRODUCTION"))
	return ed25519.NewKeyFromSeed(seed[:])
}

func TestExampleKeyFiles(t *testing.T) {
	for file, name := range map[string]string{"testdata/us-dhs.key": "us", "testdata/co-migracion.key": "co"} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		k, err := ParsePrivateKey(string(b))
		if err != nil {
			t.Fatal(err)
		}
		if !k.Equal(exampleKey(name)) {
			t.Errorf("%s is not the key derived for %s", file, name)
		}
		if strings.TrimSpace(string(b)) != EncodePrivateKey(k) {
			t.Errorf("%s does not round-trip", file)
		}
	}
}

// TestExampleHash pins the example's hash (golden file), so that a change
// to how the hash is computed is noticed. With -update it re-signs the
// example with the example keys and rewrites the golden hash.
func TestExampleHash(t *testing.T) {
	if *update {
		a, err := Parse(readExample(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []struct{ key, party string }{{"us", "us-dhs"}, {"co", "co-migracion"}} {
			if err := a.Sign(exampleKey(k.key), k.party); err != nil {
				t.Fatal(err)
			}
		}
		f, err := a.File()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(examplePath, f, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a := example(t)
	golden := "testdata/us-col.hash"
	got := a.HashHex() + "\n"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("hash %s, golden %s", got, want)
	}
	// Comments and layout do not change the hash; terms do.
	b := readExample(t)
	noComments := regexpReplace(b, "(?m)^#.*\n", "")
	a2, err := Parse(noComments)
	if err != nil {
		t.Fatal(err)
	}
	if a2.Hash() != a.Hash() {
		t.Error("removing comments changed the hash")
	}
	// Nor do key order, quoting and flow versus block style.
	re := bytes.Replace(b, []byte("title: Biometric"), []byte("\"title\": Biometric"), 1)
	re = bytes.Replace(re, []byte("retention:\n  default_days: 90\n"), nil, 1)
	re = bytes.Replace(re, []byte("bix_agreement: 1 "), []byte("retention: {default_days: 90}\nbix_agreement: 1 "), 1)
	a4, err := Parse(re)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(re, b) || a4.Hash() != a.Hash() {
		t.Error("reordering and restyling changed the hash")
	}
	a3, err := Parse(bytes.Replace(b, []byte("daily_quota: 500"), []byte("daily_quota: 501"), 1))
	if err != nil {
		t.Fatal(err)
	}
	if a3.Hash() == a.Hash() {
		t.Error("changing a quota did not change the hash")
	}
}

func TestParseErrors(t *testing.T) {
	base := string(readExample(t))
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"format", "bix_agreement: 1", "bix_agreement: 2", "bix_agreement"},
		{"unknown key", "title:", "titel:", "titel"},
		{"version", "version: 1 ", "version: 0 ", "version"},
		{"dates", "valid_until: 2028-12-31", "valid_until: 2025-12-31", "valid_until"},
		{"bad date", "valid_from: 2026-01-01", "valid_from: 1 Jan 2026", "valid_from"},
		{"country", "country: COL", "country: CO", "country"},
		{"unassigned country", "country: COL", "country: COX", "country"},
		{"endpoint", "https://bix.us-dhs.example:8443", "http://bix.us-dhs.example:8443", "endpoint"},
		{"pin", "tls_spki_sha256: de0c", "tls_spki_sha256: zz0c", "tls_spki_sha256"},
		{"key", "- ugYdqyimzuE3KXoBV3gubwPFI/7HjFN3oPxk9TZq+00=", "- ugYdqyim", "signing_keys"},
		{"dup key", "- YqUM70BHmZH0jvt2Gs00cHE3MD1TxHFCh4QGan/RA1E=", "- ugYdqyimzuE3KXoBV3gubwPFI/7HjFN3oPxk9TZq+00=", "twice"},
		{"dup party", "id: co-migracion", "id: us-dhs", "twice"},
		{"category ref", "search_categories: [missing_person, traveller]", "search_categories: [missing, traveller]", "search_categories"},
		{"disclose ref", "      traveller: [reference_id, last_entry_date]", "      tourist: [reference_id]", "disclose"},
		{"search type ref", "search_types: [fingerprint_1n]", "search_types: [iris_1n]", "iris_1n"},
		{"quota", "daily_quota: 500", "daily_quota: 0", "daily_quota"},
		{"cap", "max_candidates: 3", "max_candidates: 0", "max_candidates"},
		{"legal basis", `legal_basis: "Hague Convention 1980 and domestic missing-persons law"`, `legal_basis: ""`, "legal_basis"},
		{"minor purpose", "search_purposes: [missing_person]", "search_purposes: [fun]", "minors"},
		{"rule syntax", "expr: request.search_type != 'face_1n'", "expr: request.search_type !!= 'face_1n'", "rules[1]"},
		{"rule type", "expr: request.officer.matches('^[a-z]{2}-[0-9a-f]{8,}$')", "expr: request.officer", "want bool"},
		{"rule unknown var", "expr: request.officer.matches('^[a-z]{2}-[0-9a-f]{8,}$')", "expr: request.name == 'x'", "rules[0]"},
		{"person in search rule", "expr: request.officer.matches('^[a-z]{2}-[0-9a-f]{8,}$')", "expr: person.age > 3", "rules[0]"},
		{"rule on", "on: disclose", "on: always", "on"},
		{"protected ref", "protected_categories: []", "protected_categories: [ghost]", "protected_categories"},
		{"signature party", "  - party: co-migracion", "  - party: xx", "signatures"},
		{"two documents", "bix_agreement: 1", "bix_agreement: 1\n---\nx: 1\n---\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(base, tc.old) {
				t.Fatalf("example has no %q", tc.old)
			}
			_, err := Parse([]byte(strings.Replace(base, tc.old, tc.new, 1)))
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse = %v, want ErrInvalid naming %q", err, tc.want)
			}
		})
	}
	for _, b := range []string{"", "[]", "x", strings.Repeat("a", MaxFileSize+1)} {
		if _, err := Parse([]byte(b)); !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%.20q) = %v", b, err)
		}
	}
}

func TestSignVerify(t *testing.T) {
	b := readExample(t)
	// Strip the signatures.
	i := bytes.Index(b, []byte("\nsignatures:"))
	unsigned := append(append([]byte{}, b[:i+1]...), "signatures: []\n"...)
	a, err := Parse(unsigned)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Verify(); !errors.Is(err, ErrUnsigned) {
		t.Fatalf("unsigned: %v", err)
	}
	if d := a.CheckSearch(searchReq(), 0); d.Allowed || d.Code != CodeAgreementUnsigned {
		t.Fatalf("unsigned agreement allowed a search: %+v", d)
	}
	if err := a.Sign(exampleKey("spare"), "us-dhs"); err == nil {
		t.Error("signed with a key the party does not list")
	}
	if err := a.Sign(exampleKey("us"), "co-migracion"); err == nil {
		t.Error("signed for another party")
	}
	if err := a.Sign(exampleKey("us"), "us-dhs"); err != nil {
		t.Fatal(err)
	}
	if err := a.Verify(); !errors.Is(err, ErrUnsigned) || !strings.Contains(err.Error(), "co-migracion") {
		t.Fatalf("one signature: %v", err)
	}
	if err := a.Sign(exampleKey("co"), "co-migracion"); err != nil {
		t.Fatal(err)
	}
	if err := a.Verify(); err != nil {
		t.Fatal(err)
	}
	// The rewritten file keeps the comments and verifies again.
	f, err := a.File()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(f, []byte("# Children (under age_below")) {
		t.Error("File dropped comments")
	}
	if !bytes.Equal(f, b) {
		t.Errorf("re-signing the example did not reproduce it byte for byte:\n%s", f)
	}
}

func TestTamperedSignaturesRefused(t *testing.T) {
	b := string(readExample(t))
	a := example(t)
	usSig := a.Signatures[0].Sig
	for _, tc := range []struct {
		name     string
		edit     func(string) string
		parseErr bool
		want     error
	}{
		{"term changed after signing", func(s string) string { return strings.Replace(s, "daily_quota: 500", "daily_quota: 5000", 1) }, false, ErrBadSignature},
		{"category added to a purpose", func(s string) string {
			return strings.Replace(s, "search_categories: [missing_person, traveller]", "search_categories: [missing_person, traveller, refugee]", 1)
		}, false, ErrBadSignature},
		{"signature bytes flipped", func(s string) string {
			sig := []byte(usSig)
			sig[5] ^= 1
			if sig[5] == '+' || sig[5] == '/' {
				sig[5] = 'A'
			}
			return strings.Replace(s, usSig, string(sig), 1)
		}, false, ErrBadSignature},
		{"signature removed", func(s string) string {
			i := strings.Index(s, "  - party: co-migracion")
			return s[:i]
		}, false, ErrUnsigned},
		{"signature by an unlisted key", func(s string) string {
			return strings.Replace(s, "key: YqUM70BHmZH0jvt2Gs00cHE3MD1TxHFCh4QGan/RA1E=", "key: pnp0k2fewz9wfKux6AX/qfuXHHDsJzd6SnnDN/T+PnI=", 1)
		}, false, ErrBadSignature},
		{"signing key replaced in the terms", func(s string) string {
			return strings.Replace(s, "      - YqUM70BHmZH0jvt2Gs00cHE3MD1TxHFCh4QGan/RA1E=", "      - pnp0k2fewz9wfKux6AX/qfuXHHDsJzd6SnnDN/T+PnI=", 1)
		}, false, ErrBadSignature},
		{"one party signs twice", func(s string) string {
			return strings.Replace(s, "  - party: co-migracion", "  - party: us-dhs", 1)
		}, false, ErrBadSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Parse([]byte(tc.edit(b)))
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Verify(); !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
			if a.Verified() {
				t.Fatal("Verified after a failed Verify")
			}
			if d := a.CheckSearch(searchReq(), 0); d.Allowed {
				t.Fatal("tampered agreement allowed a search")
			}
		})
	}
}

var when = time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)

// searchReq is a valid search by Colombia to the United States.
func searchReq() SearchRequest {
	return SearchRequest{
		From: "co-migracion", To: "us-dhs", Purpose: "border_control",
		LegalBasis: "US: 8 U.S.C. 1357; CO: Decreto 1067 de 2015, art. 2.2.1.11.1",
		Officer:    "co-0a1b2c3d4e", SearchType: "fingerprint_1n", Time: when,
	}
}

func crimeReq() SearchRequest {
	r := searchReq()
	r.Purpose = "serious_crime"
	r.LegalBasis = "Bilateral Preventing and Combating Serious Crime agreement, art. 4"
	return r
}

func missingReq() SearchRequest {
	r := searchReq()
	r.Purpose = "missing_person"
	r.LegalBasis = "Hague Convention 1980 and domestic missing-persons law"
	return r
}

func TestCheckSearch(t *testing.T) {
	a := example(t)
	mod := func(f func(*SearchRequest)) SearchRequest { r := searchReq(); f(&r); return r }
	for _, tc := range []struct {
		name  string
		req   SearchRequest
		quota int
		code  string
		max   int
	}{
		{"ok fingerprint", searchReq(), 0, CodeOK, 5},
		{"ok face", mod(func(r *SearchRequest) { r.SearchType = "face_1n" }), 499, CodeOK, 3},
		{"quota reached", searchReq(), 2000, CodeQuotaExceeded, 0},
		{"face quota reached", mod(func(r *SearchRequest) { r.SearchType = "face_1n" }), 500, CodeQuotaExceeded, 0},
		{"unknown purpose", mod(func(r *SearchRequest) { r.Purpose = "curiosity" }), 0, CodePurposeUnknown, 0},
		{"wrong legal basis", mod(func(r *SearchRequest) { r.LegalBasis = "because" }), 0, CodeLegalBasisMismatch, 0},
		{"no officer", mod(func(r *SearchRequest) { r.Officer = "" }), 0, CodeOfficerMissing, 0},
		{"unknown party", mod(func(r *SearchRequest) { r.From = "mx-inm" }), 0, CodePartyUnknown, 0},
		{"to itself", mod(func(r *SearchRequest) { r.To = "co-migracion" }), 0, CodePartyUnknown, 0},
		{"unknown search type", mod(func(r *SearchRequest) { r.SearchType = "iris_1n" }), 0, CodeSearchTypeUnknown, 0},
		{"search type not for purpose", func() SearchRequest { r := crimeReq(); r.SearchType = "face_1n"; return r }(), 0, CodeSearchTypeNotAllowed, 0},
		{"before validity", mod(func(r *SearchRequest) { r.Time = time.Date(2025, 12, 31, 23, 59, 59, 0, time.UTC) }), 0, CodeNotInForce, 0},
		{"last valid day", mod(func(r *SearchRequest) { r.Time = time.Date(2028, 12, 31, 23, 59, 59, 0, time.UTC) }), 0, CodeOK, 5},
		{"after validity", mod(func(r *SearchRequest) { r.Time = time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC) }), 0, CodeNotInForce, 0},
		{"CEL rule: officer id is a name", mod(func(r *SearchRequest) { r.Officer = "Maria Perez" }), 0, "officer_id_not_pseudonymous", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := a.CheckSearch(tc.req, tc.quota)
			if d.Code != tc.code || d.Allowed != (tc.code == CodeOK) || d.MaxCandidates != tc.max {
				t.Fatalf("CheckSearch = %+v, want code %s max %d", d, tc.code, tc.max)
			}
			if !d.Allowed && d.Rule == "" {
				t.Error("refusal names no rule")
			}
		})
	}
}

func TestCandidates(t *testing.T) {
	a := example(t)
	adult := func(cat, nat string) PersonFacts { return PersonFacts{Category: cat, Nationality: nat, Age: 35} }
	for _, tc := range []struct {
		name   string
		req    SearchRequest
		person PersonFacts
		code   string
	}{
		{"traveller for border control", searchReq(), adult("traveller", "VEN"), CodeOK},
		{"own national traveller", searchReq(), adult("traveller", "COL"), CodeOK},
		{"missing person not for border control", searchReq(), adult("missing_person", "USA"), CodeCategoryNotSearchable},
		{"refugee not for border control", searchReq(), adult("refugee", "VEN"), CodeCategoryNotSearchable},
		{"refugee of a third country for serious crime", crimeReq(), adult("refugee", "VEN"), CodeOK},
		{"guard: refugee of requester's nationality", crimeReq(), adult("refugee", "COL"), CodeNoHit},
		{"guard: asylum seeker with second nationality", crimeReq(), PersonFacts{Category: "asylum_seeker", Nationality: "VEN", OtherNationalities: []string{"COL"}, Age: 30}, CodeNoHit},
		{"guard: unknown nationality", crimeReq(), adult("asylum_seeker", ""), CodeNoHit},
		{"guard: nationality in lower case", crimeReq(), adult("refugee", "col"), CodeNoHit},
		{"guard: category spelled differently", searchReq(), adult(" Refugee", "COL"), CodeNoHit},
		{"guard: ICAO refugee document, any requester", searchReq(), adult("traveller", "XXB"), CodeNoHit},
		{"guard: stateless (ICAO XXA) may be of any country", crimeReq(), adult("refugee", "XXA"), CodeNoHit},
		{"not guarded: traveller of a third country", searchReq(), adult("traveller", "PER"), CodeOK},
		{"guard: alpha-2 nationality may be the requester's", crimeReq(), adult("refugee", "CO"), CodeNoHit},
		{"guard: malformed second nationality", crimeReq(), PersonFacts{Category: "refugee", Nationality: "VEN", OtherNationalities: []string{"Colombian"}, Age: 30}, CodeNoHit},
		{"guard: protection recorded on a deportee", crimeReq(), PersonFacts{Category: "deportee", Nationality: "COL", Age: 40, Protection: true}, CodeNoHit},
		{"deportee without protection", crimeReq(), adult("deportee", "COL"), CodeOK},
		{"minor traveller for border control", searchReq(), PersonFacts{Category: "traveller", Nationality: "VEN", Age: 12}, CodeMinor},
		{"unknown age counts as minor", searchReq(), PersonFacts{Category: "traveller", Nationality: "VEN", Age: -1}, CodeMinor},
		{"minor for missing person", missingReq(), PersonFacts{Category: "missing_person", Nationality: "USA", Age: 12}, CodeOK},
		{"eighteen is not a minor", searchReq(), PersonFacts{Category: "traveller", Nationality: "VEN", Age: 18}, CodeOK},
		{"bad request", func() SearchRequest { r := searchReq(); r.Purpose = "x"; return r }(), adult("traveller", "VEN"), CodePurposeUnknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := a.CandidateDecision(tc.req, tc.person)
			if d.Code != tc.code || d.Allowed != (tc.code == CodeOK) {
				t.Fatalf("CandidateDecision = %+v, want %s", d, tc.code)
			}
			if a.MayReturnCandidate(tc.req, tc.person) != d.Allowed {
				t.Fatal("MayReturnCandidate disagrees with CandidateDecision")
			}
		})
	}
}

func TestDisclosableFields(t *testing.T) {
	a := example(t)
	for _, tc := range []struct {
		name   string
		req    SearchRequest
		person PersonFacts
		code   string
		fields string
	}{
		{"deportee for border control", searchReq(), PersonFacts{Category: "deportee", Nationality: "COL", Age: 30}, CodeOK,
			"reference_id name date_of_birth nationality removal_date removal_grounds"},
		{"refugee to a third country", crimeReq(), PersonFacts{Category: "refugee", Nationality: "VEN", Age: 30}, CodeOK, "reference_id name refugee_status"},
		{"US asking about a Colombian asylum seeker", func() SearchRequest {
			r := crimeReq()
			r.From, r.To = "us-dhs", "co-migracion"
			r.Officer = "us-00ff00ff00"
			return r
		}(), PersonFacts{Category: "asylum_seeker", Nationality: "COL", Age: 30}, CodeOK, "reference_id name asylum_claim"},
		{"guard: refugee to country of nationality", crimeReq(), PersonFacts{Category: "refugee", Nationality: "COL", Age: 30}, CodeNoHit, ""},
		{"minor missing person", missingReq(), PersonFacts{Category: "missing_person", Nationality: "USA", Age: 9}, CodeOK, "reference_id last_seen_place contact_authority"},
		{"minor traveller for missing persons", missingReq(), PersonFacts{Category: "traveller", Nationality: "USA", Age: 9}, CodeOK, "reference_id"},
		{"minor deportee for border control", searchReq(), PersonFacts{Category: "deportee", Nationality: "COL", Age: 16}, CodeMinor, ""},
		{"category not searchable", searchReq(), PersonFacts{Category: "missing_person", Nationality: "USA", Age: 30}, CodeCategoryNotSearchable, ""},
		{"CEL rule: contested record for crime", crimeReq(), PersonFacts{Category: "deportee", Nationality: "VEN", Age: 30, Contested: true}, "record_contested", ""},
		{"contested record for border control", searchReq(), PersonFacts{Category: "deportee", Nationality: "VEN", Age: 30, Contested: true}, CodeOK,
			"reference_id name date_of_birth nationality removal_date removal_grounds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, d := a.DisclosableFields(tc.req, tc.person)
			if d.Code != tc.code || d.Allowed != (tc.code == CodeOK) || strings.Join(f, " ") != tc.fields {
				t.Fatalf("DisclosableFields = %q, %+v; want %q, %s", f, d, tc.fields, tc.code)
			}
		})
	}
	if got := a.RetentionDays("serious_crime"); got != 365 {
		t.Errorf("RetentionDays(serious_crime) = %d", got)
	}
	if got := a.RetentionDays("border_control"); got != 90 {
		t.Errorf("RetentionDays(border_control) = %d", got)
	}
}

// hostile is an agreement whose every term tries to let protection
// information reach the person's country of nationality: protected
// categories searchable and disclosable with protection fields for every
// purpose, no protected categories of its own, rules that always hold.
const hostile = `bix_agreement: 1
id: hostile
version: 1
valid_from: 2020-01-01
valid_until: 2099-12-31
parties:
  - {id: a, country: FRA, endpoint: "https://a.example", tls_spki_sha256: "` + "0000000000000000000000000000000000000000000000000000000000000000" + `", signing_keys: [ugYdqyimzuE3KXoBV3gubwPFI/7HjFN3oPxk9TZq+00=]}
  - {id: b, country: DEU, endpoint: "https://b.example", tls_spki_sha256: "` + "1111111111111111111111111111111111111111111111111111111111111111" + `", signing_keys: [YqUM70BHmZH0jvt2Gs00cHE3MD1TxHFCh4QGan/RA1E=]}
categories: [refugee, asylum_seeker, protection_need, subsidiary_protection, stateless_applicant, traveller]
protected_categories: []
purposes:
  - id: anything
    legal_basis: x
    search_types: [fp]
    search_categories: [refugee, asylum_seeker, protection_need, subsidiary_protection, stateless_applicant, traveller]
    disclose:
      refugee: [asylum_claim, asylum_status, asylum_case_id, refugee_status, protection_need, protection_status, resettlement, name]
      asylum_seeker: [asylum_claim, asylum_status, name]
      protection_need: [protection_need, name]
      subsidiary_protection: [protection_status, name]
      stateless_applicant: [asylum_claim, name]
      traveller: [asylum_claim, asylum_status, refugee_status, protection_need, prior_asylum_country, name]
search_types: {fp: {max_candidates: 1000, daily_quota: 1000000}}
retention: {default_days: 1}
minors: {age_below: 0, search_purposes: [anything], disclose_fields: [asylum_claim, name]}
rules:
  - {id: c1, on: candidate, expr: "true || person.protected"}
  - {id: d1, on: disclose, expr: "person.protected || !person.protected"}
signatures: []
`

// TestProtectionGuardCannotBeDisabled checks that no agreement content lets
// a protected person reach, or be hinted at to, their country of
// nationality.
func TestProtectionGuardCannotBeDisabled(t *testing.T) {
	a, err := Parse([]byte(hostile))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Sign(exampleKey("us"), "a"); err != nil {
		t.Fatal(err)
	}
	if err := a.Sign(exampleKey("co"), "b"); err != nil {
		t.Fatal(err)
	}
	if err := a.Verify(); err != nil {
		t.Fatal(err)
	}
	req := SearchRequest{From: "a", To: "b", Purpose: "anything", LegalBasis: "x", Officer: "o", SearchType: "fp", Time: when}
	if d := a.CheckSearch(req, 0); !d.Allowed {
		t.Fatalf("search refused: %+v", d)
	}
	for _, cat := range builtinProtected {
		for _, p := range []PersonFacts{
			{Category: cat, Nationality: "FRA", Age: 40},
			{Category: cat, Nationality: "ITA", OtherNationalities: []string{"FRA"}, Age: 40},
			{Category: cat, Age: 40},
			{Category: cat, Nationality: "FRA", Age: 10},
		} {
			checkGuarded(t, a, req, p)
		}
	}
	// A traveller with protection recorded is guarded too.
	checkGuarded(t, a, req, PersonFacts{Category: "traveller", Nationality: "FRA", Age: 40, Protection: true})

	// To a third country the hostile agreement's terms apply, so the
	// guard is not a blanket refusal.
	f, d := a.DisclosableFields(req, PersonFacts{Category: "refugee", Nationality: "ESP", Age: 40})
	if !d.Allowed || !slices.Contains(f, "refugee_status") {
		t.Errorf("third country: %q, %+v", f, d)
	}
	// An unprotected national gets the agreed fields minus protection ones.
	f, d = a.DisclosableFields(req, PersonFacts{Category: "traveller", Nationality: "FRA", Age: 40})
	if !d.Allowed || strings.Join(f, ",") != "name" {
		t.Errorf("unprotected national: %q, %+v", f, d)
	}
}

func checkGuarded(t *testing.T, a *Agreement, req SearchRequest, p PersonFacts) {
	t.Helper()
	d := a.CandidateDecision(req, p)
	if d.Allowed || d.Code != CodeNoHit || d.Rule != RuleProtectionGuard {
		t.Errorf("%+v: candidate decision %+v", p, d)
	}
	f, d := a.DisclosableFields(req, p)
	if f != nil || d.Allowed || d.Code != CodeNoHit || d.Rule != RuleProtectionGuard {
		t.Errorf("%+v: disclosed %q, %+v", p, f, d)
	}
	// What may be told to the requester is the same as for an absent
	// person: only Code goes out, and it is the no-hit code.
	if d.Code != CodeNoHit || d.MaxCandidates != 0 {
		t.Errorf("%+v: distinguishable from absent: %+v", p, d)
	}
}

func TestRulesRefuseOnError(t *testing.T) {
	b := strings.Replace(hostile, `expr: "true || person.protected"`, `expr: "1 / (person.age - person.age) == 1"`, 1)
	a, err := Parse([]byte(b))
	if err != nil {
		t.Fatal(err)
	}
	a.verified = true // terms are what is tested here, not signatures
	req := SearchRequest{From: "a", To: "b", Purpose: "anything", LegalBasis: "x", Officer: "o", SearchType: "fp", Time: when}
	d := a.CandidateDecision(req, PersonFacts{Category: "traveller", Nationality: "ESP", Age: 40})
	if d.Allowed || d.Rule != "c1" || d.Code != CodeRuleRefused {
		t.Errorf("rule that fails to evaluate: %+v", d)
	}
}

func BenchmarkChecks(b *testing.B) {
	a := example(b)
	req := crimeReq()
	person := PersonFacts{Category: "deportee", Nationality: "VEN", Age: 30}
	b.Run("CheckSearch", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if d := a.CheckSearch(req, 10); !d.Allowed {
				b.Fatal(d)
			}
		}
	})
	b.Run("MayReturnCandidate", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !a.MayReturnCandidate(req, person) {
				b.Fatal()
			}
		}
	})
	b.Run("DisclosableFields", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, d := a.DisclosableFields(req, person); !d.Allowed {
				b.Fatal(d)
			}
		}
	})
	b.Run("Parse", func(b *testing.B) {
		raw := readExample(b)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Parse(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// FuzzParse checks that Parse never panics on any input and that for any
// agreement it accepts, the protection-status guard holds.
func FuzzParse(f *testing.F) {
	f.Add(readExample(f))
	f.Add([]byte(hostile))
	f.Add([]byte("bix_agreement: 1\nid: x\n"))
	f.Add([]byte("a: &a [*a, *a]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := Parse(b)
		if err != nil {
			return
		}
		_ = a.Hash()
		a.verified = true
		// Bound the work per input: the first few of each list.
		first := func(n int) int { return min(n, 4) }
		for _, from := range a.Parties[:first(len(a.Parties))] {
			for _, to := range a.Parties[:first(len(a.Parties))] {
				for _, p := range a.Purposes[:first(len(a.Purposes))] {
					for _, st := range p.SearchTypes[:first(len(p.SearchTypes))] {
						req := SearchRequest{From: from.ID, To: to.ID, Purpose: p.ID, LegalBasis: p.LegalBasis, Officer: "o", SearchType: st, Time: a.from}
						_ = a.CheckSearch(req, 0)
						for _, cat := range append(a.Categories[:first(len(a.Categories))], builtinProtected...) {
							person := PersonFacts{Category: cat, Nationality: from.Country, Age: 30, Protection: slices.Contains(builtinProtected, cat)}
							if a.MayReturnCandidate(req, person) && person.Protection {
								t.Fatalf("guard broken: %s candidate to %s", cat, from.Country)
							}
							fields, d := a.DisclosableFields(req, person)
							if person.Protection && (len(fields) > 0 || d.Code != CodeNoHit) {
								t.Fatalf("guard broken: %s disclosed %q to %s", cat, fields, from.Country)
							}
							for _, fl := range fields {
								if IsProtectionField(fl) {
									t.Fatalf("protection field %s disclosed to the country of nationality", fl)
								}
							}
						}
					}
				}
			}
		}
	})
}

func TestPartyHelpers(t *testing.T) {
	a := example(t)
	keys, err := a.SigningKeys("co-migracion")
	if err != nil || len(keys) != 1 || !keys[0].Equal(exampleKey("co").Public()) {
		t.Errorf("SigningKeys = %v, %v", keys, err)
	}
	if _, err := a.SigningKeys("nobody"); err == nil {
		t.Error("SigningKeys of a non-party")
	}
	pin := sha256.Sum256([]byte("example spki us"))
	if p, ok := a.PartyByPin(pin[:]); !ok || p.ID != "us-dhs" {
		t.Errorf("PartyByPin = %v, %v", p, ok)
	}
	if _, ok := a.PartyByPin(make([]byte, 32)); ok {
		t.Error("PartyByPin matched an unknown pin")
	}
}

func TestSupersedes(t *testing.T) {
	old := example(t)
	b := bytes.Replace(readExample(t), []byte("version: 1 "), []byte("version: 2 "), 1)
	next, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := next.Supersedes(old); !errors.Is(err, ErrNotSuccessor) {
		t.Errorf("unsigned successor: %v", err)
	}
	for _, k := range []struct{ key, party string }{{"us", "us-dhs"}, {"co", "co-migracion"}} {
		if err := next.Sign(exampleKey(k.key), k.party); err != nil {
			t.Fatal(err)
		}
	}
	if err := next.Verify(); err != nil {
		t.Fatal(err)
	}
	if err := next.Supersedes(old); err != nil {
		t.Errorf("version 2 over 1: %v", err)
	}
	if err := old.Supersedes(next); !errors.Is(err, ErrNotSuccessor) {
		t.Errorf("version 1 over 2: %v", err)
	}
}

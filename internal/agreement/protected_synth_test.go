package agreement

import (
	"slices"
	"strings"
	"testing"

	"github.com/bixproject/bix/synth"
)

// synthProtected are the categories synth gives the persons whose
// protection the guard must keep from their own country (synth.Agencies'
// Protected overlap; internal/demo's protectedFrom counts on the same two).
var synthProtected = []synth.Category{synth.AsylumApplicant, synth.Refugee}

// TestBuiltinGuardCoversSynthCategories checks that every protection
// category the synthetic populations and the demo emit is on the built-in
// guard list by name, and that no other synth category is guarded, so that
// the demo's expectations hold whatever its agreement lists.
func TestBuiltinGuardCoversSynthCategories(t *testing.T) {
	for _, c := range synth.Categories {
		want := slices.Contains(synthProtected, c)
		if got := slices.Contains(builtinProtected, string(c)); got != want {
			t.Errorf("synth category %q: on the built-in guard list = %v, want %v", c, got, want)
		}
		if got := IsProtectedCategory(string(c)); got != want {
			t.Errorf("IsProtectedCategory(%q) = %v, want %v", c, got, want)
		}
	}
}

// TestGuardWithoutProtectedCategories checks that an agreement that lists
// no protected category, and would disclose asylum data for every synth
// category, still never discloses an asylum applicant or a refugee to the
// country of their nationality, while it does disclose them to a third
// country (so the agreement's terms are otherwise in force).
func TestGuardWithoutProtectedCategories(t *testing.T) {
	var cats []string
	for _, c := range synth.Categories {
		cats = append(cats, string(c))
	}
	list := strings.Join(cats, ", ")
	var disclose strings.Builder
	for _, c := range cats {
		disclose.WriteString("      " + c + ": [name, asylum_claim, date_of_birth]\n")
	}
	b := hostile
	b = strings.Replace(b, "categories: [refugee, asylum_seeker, protection_need, subsidiary_protection, stateless_applicant, traveller]", "categories: ["+list+"]", 1)
	b = strings.Replace(b, "search_categories: [refugee, asylum_seeker, protection_need, subsidiary_protection, stateless_applicant, traveller]", "search_categories: ["+list+"]", 1)
	i := strings.Index(b, "    disclose:\n")
	j := strings.Index(b, "search_types: {fp:")
	b = b[:i] + "    disclose:\n" + disclose.String() + b[j:]
	if !strings.Contains(b, "protected_categories: []") {
		t.Fatal("fixture: the agreement must list no protected category")
	}
	a, err := Parse([]byte(b))
	if err != nil {
		t.Fatalf("agreement: %v\n%s", err, b)
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
	for _, c := range synthProtected {
		for _, p := range []PersonFacts{
			{Category: string(c), Nationality: "FRA", Age: 40},
			{Category: string(c), Nationality: "ITA", OtherNationalities: []string{"FRA"}, Age: 40},
			{Category: strings.ToUpper(string(c)), Nationality: "FRA", Age: 40},
		} {
			checkGuarded(t, a, req, p)
		}
		f, d := a.DisclosableFields(req, PersonFacts{Category: string(c), Nationality: "ESP", Age: 40})
		if !d.Allowed || !slices.Contains(f, "name") {
			t.Errorf("%s of a third country: disclosed %q, %+v; the agreement's terms should apply", c, f, d)
		}
	}
}

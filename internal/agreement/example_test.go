package agreement_test

import (
	"fmt"
	"log"
	"os"
	"time"

	"github.com/bixproject/bix/internal/agreement"
)

// Example shows the checks a requested node makes on a partner search
// under the example US–Colombia agreement.
func Example() {
	b, err := os.ReadFile("testdata/us-col.yaml")
	if err != nil {
		log.Fatal(err)
	}
	a, err := agreement.Parse(b)
	if err != nil {
		log.Fatal(err)
	}
	if err := a.Verify(); err != nil { // both parties must have signed
		log.Fatal(err)
	}
	req := agreement.SearchRequest{
		From: "co-migracion", To: "us-dhs", Purpose: "serious_crime",
		LegalBasis: "Bilateral Preventing and Combating Serious Crime agreement, art. 4",
		Officer:    "co-0a1b2c3d4e", SearchType: "fingerprint_1n",
		Time: time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC),
	}
	d := a.CheckSearch(req, 12) // 12 fingerprint searches already today
	fmt.Println("search:", d.Code, "max candidates", d.MaxCandidates)

	refugeeFromVenezuela := agreement.PersonFacts{Category: "refugee", Nationality: "VEN", Age: 34}
	refugeeFromColombia := agreement.PersonFacts{Category: "refugee", Nationality: "COL", Age: 34}
	fmt.Println("VEN refugee returned:", a.MayReturnCandidate(req, refugeeFromVenezuela))
	fmt.Println("COL refugee returned:", a.MayReturnCandidate(req, refugeeFromColombia))
	fields, d := a.DisclosableFields(req, refugeeFromColombia)
	fmt.Println("COL refugee fields:", fields, d.Code)
	// Output:
	// search: ok max candidates 5
	// VEN refugee returned: true
	// COL refugee returned: false
	// COL refugee fields: [] no_hit
}

package synth

import "time"

// TwoAgencySpec describes two agencies' populations with persons in common,
// the setting of a bilateral exchange. Zero fields take the defaults
// documented on each.
type TwoAgencySpec struct {
	Seed int64
	// A and B describe each agency's own population (their Seed fields
	// are ignored: both derive from Seed). Defaults: A is "USA" with
	// DefaultNationalities and DefaultCategories; B is "COL", mostly
	// Colombian nationals, with BDefaultCategories.
	A, B PopulationSpec
	// Overlap is the number of persons held by both agencies.
	Overlap int
	// Protected is how many of the overlap are B's nationals who are
	// asylum applicants or refugees at A: the persons whose protection
	// status A must never disclose to B.
	Protected int
	// Watchlisted is how many of the overlap (after the protected ones)
	// are on B's watchlist with a criminal record there.
	Watchlisted int
	// Nationals is how many of the overlap (after the watchlisted ones)
	// are B's nationals whom A holds as irregular entrants: the people a
	// country's officers most often search its partner for.
	Nationals int
}

// BDefaultCategories is the category mix of agency B's national register.
var BDefaultCategories = map[Category]float64{
	Citizen: 0.55, CriminalRecord: 0.15, Resident: 0.1, VisaApplicant: 0.1, IrregularEntrant: 0.05, Refugee: 0.05,
}

// Link ties the records two agencies hold for the same person (same seed,
// same fingers).
type Link struct {
	A, B *Person
}

// TwoAgencies generates the populations of agencies A and B and makes
// spec.Overlap persons common to both: B's record of a common person has the
// same fingers, sex, birth date and name as A's, under B's own id, category
// and encounters. It returns the populations and the links, protected ones
// first, then watchlisted ones, then nationals, then the rest. Counts larger than the
// populations are cut to fit.
func TwoAgencies(spec TwoAgencySpec) (a, b *Population, links []Link) {
	as, bs := spec.A, spec.B
	as.Seed, bs.Seed = SubSeed(spec.Seed, 1), SubSeed(spec.Seed, 2)
	if as.Agency == "" {
		as.Agency = "USA"
	}
	if bs.Agency == "" {
		bs.Agency = "COL"
	}
	if bs.Nationalities == nil {
		bs.Nationalities = map[string]float64{bs.Agency: 0.9, "VEN": 0.07, "ECU": 0.03}
	}
	if bs.Categories == nil {
		bs.Categories = BDefaultCategories
	}
	a, b = NewPopulation(as), NewPopulation(bs)
	n := min(spec.Overlap, len(a.Persons), len(b.Persons))
	r := newRand(spec.Seed, 20)
	pa := r.Perm(len(a.Persons))
	pb := r.Perm(len(b.Persons))
	bNat := bs.Agency // agency code doubles as the country code
	for i := 0; i < n; i++ {
		x, y := a.Persons[pa[i]], b.Persons[pb[i]]
		switch {
		case i < spec.Protected:
			x.Nationality = bNat
			x.Category = AsylumApplicant
			if r.IntN(3) == 0 {
				x.Category = Refugee
			}
			x.Watchlist = false
			y.Nationality = bNat
			y.Category = Citizen
		case i < spec.Protected+spec.Watchlisted:
			y.Category = CriminalRecord
			y.Watchlist = true
			y.Nationality = x.Nationality
		case i < spec.Protected+spec.Watchlisted+spec.Nationals:
			x.Nationality, y.Nationality = bNat, bNat
			x.Category = IrregularEntrant
			y.Category = Citizen
		default:
			y.Nationality = x.Nationality
		}
		// B's record is the same individual.
		y.Seed, y.Sex, y.BirthDate = x.Seed, x.Sex, x.BirthDate
		y.GivenName, y.FamilyName = x.GivenName, x.FamilyName
		y.Fingers = x.Fingers
		if y.Watchlist && y.Minor(bs.nowOrDefault()) {
			y.Watchlist = false
		}
		for k := range x.Encounters {
			x.Encounters[k].Purpose = purposeFor(x.Category, k)
		}
		for k := range y.Encounters {
			y.Encounters[k].Purpose = purposeFor(y.Category, k)
		}
		links = append(links, Link{A: x, B: y})
	}
	return a, b, links
}

func (s PopulationSpec) nowOrDefault() time.Time {
	if s.Now.IsZero() {
		return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	}
	return s.Now
}

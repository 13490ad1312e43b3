package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"
)

// Category is the category of person an agency holds a record for; it
// decides retention, what may be shared with whom, and protection.
type Category string

const (
	AsylumApplicant  Category = "asylum_applicant"
	Refugee          Category = "refugee"
	IrregularEntrant Category = "irregular_entrant"
	Resident         Category = "resident"
	VisaApplicant    Category = "visa_applicant"
	CriminalRecord   Category = "criminal_record"
	// Citizen is a national of the agency's own country (an identity
	// register record).
	Citizen Category = "citizen"
)

// Categories lists the categories in a fixed order.
var Categories = []Category{AsylumApplicant, Refugee, IrregularEntrant, Resident, VisaApplicant, CriminalRecord, Citizen}

// Person is a synthetic person with ten fingers.
type Person struct {
	ID          string    `json:"id"`
	GivenName   string    `json:"given_name"`
	FamilyName  string    `json:"family_name"`
	Sex         string    `json:"sex"` // "F", "M" or "X"
	BirthDate   time.Time `json:"birth_date"`
	Nationality string    `json:"nationality"` // ISO 3166-1 alpha-3
	Category    Category  `json:"category"`
	// Watchlist marks a person on the agency's watchlist.
	Watchlist bool `json:"watchlist,omitempty"`
	// Seed determines the person's fingers (shared by the same person's
	// records at different agencies).
	Seed int64 `json:"seed"`
	// Fingers are the master fingerprints by position: index 0 is
	// position 1 (right thumb) … index 9 is position 10 (left little).
	Fingers    [10]*Finger `json:"-"`
	Encounters []Encounter `json:"encounters"`
}

// Encounter is one time a person's biometrics were taken.
type Encounter struct {
	ID      string    `json:"id"`
	Date    time.Time `json:"date"`
	Agency  string    `json:"agency"`
	Purpose string    `json:"purpose"`
	// Seed determines the impressions taken: finger position p (1–10) is
	// Fingers[p-1].Impression(ImpressionSeed(p), ...).
	Seed int64 `json:"seed"`
}

// ImpressionSeed returns the impression seed of finger position pos (1–10)
// at this encounter.
func (e Encounter) ImpressionSeed(pos int) int64 { return SubSeed(e.Seed, uint64(pos)) }

// Age returns the person's age in whole years at t.
func (p *Person) Age(t time.Time) int {
	a := t.Year() - p.BirthDate.Year()
	if t.YearDay() < p.BirthDate.YearDay() {
		a--
	}
	return a
}

// Minor reports whether the person is under 18 at t.
func (p *Person) Minor(t time.Time) bool { return p.Age(t) < 18 }

// PopulationSpec describes a population to generate. Zero fields take the
// defaults documented on each.
type PopulationSpec struct {
	Seed int64
	// Size is the number of persons.
	Size int
	// Agency is the agency code written on encounters ("USA" if empty);
	// it also prefixes person ids.
	Agency string
	// Nationalities weights ISO 3166-1 alpha-3 codes; nil means a mix of
	// the Americas, the Middle East, Africa and Europe.
	Nationalities map[string]float64
	// Categories weights the categories of person; nil means
	// DefaultCategories.
	Categories map[Category]float64
	// MinorShare is the share of persons under 18 (default 0.15; minors
	// are 6 to 17, the ages from which fingerprints are usually taken).
	MinorShare float64
	// WatchlistShare is the share of persons on the watchlist (default
	// 0.02); criminal_record persons are more likely to be on it.
	WatchlistShare float64
	// MaxEncounters is the most encounters per person (default 3; at
	// least 1 each).
	MaxEncounters int
	// Now is the reference date for ages and the end of the encounter
	// period (default 2026-06-01); encounters start five years earlier.
	Now time.Time
}

// DefaultCategories is the category mix of a border and immigration agency.
var DefaultCategories = map[Category]float64{
	AsylumApplicant: 0.25, Refugee: 0.08, IrregularEntrant: 0.22, Resident: 0.15, VisaApplicant: 0.25, CriminalRecord: 0.05,
}

// DefaultNationalities is the nationality mix used when none is given.
var DefaultNationalities = map[string]float64{
	"COL": 0.14, "VEN": 0.16, "MEX": 0.1, "GTM": 0.06, "HND": 0.06, "SLV": 0.04, "ECU": 0.05, "HTI": 0.07, "CUB": 0.04,
	"SYR": 0.04, "AFG": 0.05, "NGA": 0.04, "SEN": 0.03, "UKR": 0.06, "USA": 0.03, "PER": 0.03,
}

func (s *PopulationSpec) defaults() {
	if s.Agency == "" {
		s.Agency = "USA"
	}
	if s.Nationalities == nil {
		s.Nationalities = DefaultNationalities
	}
	if s.Categories == nil {
		s.Categories = DefaultCategories
	}
	if s.MinorShare == 0 {
		s.MinorShare = 0.15
	}
	if s.WatchlistShare == 0 {
		s.WatchlistShare = 0.02
	}
	if s.MaxEncounters <= 0 {
		s.MaxEncounters = 3
	}
	if s.Now.IsZero() {
		s.Now = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	}
}

// Population is a generated set of persons held by one agency.
type Population struct {
	Spec    PopulationSpec
	Persons []*Person
}

// NewPopulation generates the population spec describes; the same spec
// always gives the same population. Fingers are grown lazily, when an
// impression or minutiae are first asked for.
func NewPopulation(spec PopulationSpec) *Population {
	spec.defaults()
	pop := &Population{Spec: spec}
	r := newRand(spec.Seed, 10)
	nat := weighted(spec.Nationalities)
	cat := weighted(spec.Categories)
	for i := 0; i < spec.Size; i++ {
		id := fmt.Sprintf("%s-%07d", spec.Agency, i+1)
		p := newPerson(r, &spec, id, SubSeed(spec.Seed, uint64(i)), nat.draw(r), Category(cat.draw(r)))
		pop.Persons = append(pop.Persons, p)
	}
	return pop
}

// newPerson draws a person's biographics and encounters; seed determines
// the fingers.
func newPerson(r *rand.Rand, spec *PopulationSpec, id string, seed int64, nationality string, c Category) *Person {
	p := &Person{ID: id, Seed: seed, Nationality: nationality, Category: c}
	switch u := r.Float64(); {
	case u < 0.49:
		p.Sex = "F"
	case u < 0.995:
		p.Sex = "M"
	default:
		p.Sex = "X"
	}
	names := namesFor(nationality)
	given := names.male
	if p.Sex == "F" || (p.Sex == "X" && r.IntN(2) == 0) {
		given = names.female
	}
	p.GivenName = given[r.IntN(len(given))]
	p.FamilyName = names.family[r.IntN(len(names.family))]
	if names.family[0] == "García" { // Hispanic: two family names
		p.FamilyName += " " + names.family[r.IntN(len(names.family))]
	}
	age := 18 + math.Abs(normal(r, 0, 17))
	if c != CriminalRecord && r.Float64() < spec.MinorShare {
		age = uniform(r, 6, 18)
	}
	days := int(age * 365.25)
	p.BirthDate = spec.Now.AddDate(0, 0, -days).Truncate(24 * time.Hour)
	wl := spec.WatchlistShare
	if c == CriminalRecord {
		wl = math.Min(1, wl*10)
	}
	p.Watchlist = !p.Minor(spec.Now) && r.Float64() < wl
	p.setFingers()
	n := 1 + r.IntN(spec.MaxEncounters)
	start := spec.Now.AddDate(-5, 0, 0)
	span := spec.Now.Sub(start)
	for k := 0; k < n; k++ {
		d := start.Add(time.Duration(r.Int64N(int64(span)))).Truncate(time.Minute)
		if d.Before(p.BirthDate.AddDate(6, 0, 0)) {
			d = p.BirthDate.AddDate(6, 0, 0)
		}
		p.Encounters = append(p.Encounters, Encounter{Date: d, Agency: spec.Agency, Seed: SubSeed(seed, uint64(1000+k))})
	}
	sort.Slice(p.Encounters, func(a, b int) bool { return p.Encounters[a].Date.Before(p.Encounters[b].Date) })
	for k := range p.Encounters {
		p.Encounters[k].ID = fmt.Sprintf("%s-E%d", id, k+1)
		p.Encounters[k].Purpose = purposeFor(c, k)
	}
	return p
}

// setFingers creates the ten master fingerprints from the person's seed.
// Women's ridges are about 7 % denser than men's and children's denser
// still (ridge density studies, e.g. Acree 1999; Gutiérrez-Redomero 2011).
func (p *Person) setFingers() {
	ps := 1.0
	if p.Sex == "F" {
		ps = 0.93
	}
	ref := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	if a := p.Age(ref); a < 18 {
		ps *= 0.8 + 0.2*float64(max(a-6, 0))/12
	}
	for i := range p.Fingers {
		p.Fingers[i] = NewFingerWith(SubSeed(p.Seed, uint64(i+1)), FingerOptions{PeriodScale: ps})
	}
}

func purposeFor(c Category, k int) string {
	switch c {
	case AsylumApplicant:
		return [...]string{"asylum_claim", "asylum_interview", "reporting"}[min(k, 2)]
	case Refugee:
		return [...]string{"asylum_claim", "refugee_status", "travel_document"}[min(k, 2)]
	case IrregularEntrant:
		return [...]string{"apprehension", "removal_proceedings", "reporting"}[min(k, 2)]
	case Resident:
		return [...]string{"residence_permit", "permit_renewal", "border_crossing"}[min(k, 2)]
	case VisaApplicant:
		return [...]string{"visa_application", "border_crossing", "border_crossing"}[min(k, 2)]
	case CriminalRecord:
		return [...]string{"arrest", "booking", "arrest"}[min(k, 2)]
	case Citizen:
		return [...]string{"identity_card", "passport", "passport"}[min(k, 2)]
	}
	return "encounter"
}

// weightedSet draws keys with given weights, deterministically (keys in
// sorted order).
type weightedSet struct {
	keys []string
	cum  []float64
}

func weighted[K ~string](m map[K]float64) weightedSet {
	var w weightedSet
	for k := range m {
		w.keys = append(w.keys, string(k))
	}
	sort.Strings(w.keys)
	t := 0.0
	for _, k := range w.keys {
		t += math.Max(0, m[K(k)])
		w.cum = append(w.cum, t)
	}
	for i := range w.cum {
		w.cum[i] /= t
	}
	return w
}

func (w weightedSet) draw(r *rand.Rand) string {
	u := r.Float64()
	for i, c := range w.cum {
		if u < c {
			return w.keys[i]
		}
	}
	return w.keys[len(w.keys)-1]
}

package synth

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/bixproject/bix/ansinist"
)

func TestPopulation(t *testing.T) {
	spec := PopulationSpec{Seed: 9, Size: 400}
	a, b := NewPopulation(spec), NewPopulation(spec)
	if !reflect.DeepEqual(a.Persons[17], b.Persons[17]) {
		t.Fatal("same spec gave different persons")
	}
	now := a.Spec.Now
	ids := map[string]bool{}
	var minors, watch int
	cats := map[Category]int{}
	for _, p := range a.Persons {
		if ids[p.ID] {
			t.Errorf("duplicate id %s", p.ID)
		}
		ids[p.ID] = true
		if p.GivenName == "" || p.FamilyName == "" || len(p.Nationality) != 3 {
			t.Errorf("%s: incomplete biographics %+v", p.ID, p)
		}
		if p.Sex != "F" && p.Sex != "M" && p.Sex != "X" {
			t.Errorf("%s: sex %q", p.ID, p.Sex)
		}
		age := p.Age(now)
		if age < 6 || age > 100 {
			t.Errorf("%s: age %d", p.ID, age)
		}
		if p.Minor(now) {
			minors++
			if p.Watchlist {
				t.Errorf("%s: minor on the watchlist", p.ID)
			}
		}
		if p.Watchlist {
			watch++
		}
		cats[p.Category]++
		if len(p.Encounters) < 1 || len(p.Encounters) > 3 {
			t.Errorf("%s: %d encounters", p.ID, len(p.Encounters))
		}
		for i, e := range p.Encounters {
			if e.Date.After(now) || e.Date.Before(p.BirthDate) {
				t.Errorf("%s: encounter %s on %v", p.ID, e.ID, e.Date)
			}
			if i > 0 && e.Date.Before(p.Encounters[i-1].Date) {
				t.Errorf("%s: encounters out of order", p.ID)
			}
		}
		for i, f := range p.Fingers {
			if f == nil || f.Seed != SubSeed(p.Seed, uint64(i+1)) {
				t.Fatalf("%s: finger %d not derived from the person's seed", p.ID, i+1)
			}
		}
	}
	if minors < 30 || minors > 90 {
		t.Errorf("%d minors of 400, want about 15 %%", minors)
	}
	if watch == 0 {
		t.Error("nobody on the watchlist")
	}
	if len(cats) < 5 {
		t.Errorf("categories %v", cats)
	}
}

func TestTwoAgencies(t *testing.T) {
	spec := TwoAgencySpec{Seed: 3, A: PopulationSpec{Size: 200}, B: PopulationSpec{Size: 150}, Overlap: 30, Protected: 5, Watchlisted: 4, Nationals: 3}
	a, b, links := TwoAgencies(spec)
	if len(a.Persons) != 200 || len(b.Persons) != 150 || len(links) != 30 {
		t.Fatalf("sizes %d %d links %d", len(a.Persons), len(b.Persons), len(links))
	}
	for i, l := range links {
		if l.A.Fingers != l.B.Fingers || l.A.Seed != l.B.Seed || !l.A.BirthDate.Equal(l.B.BirthDate) {
			t.Errorf("link %d: %s and %s are not the same individual", i, l.A.ID, l.B.ID)
		}
		if l.A.ID[:3] != "USA" || l.B.ID[:3] != "COL" {
			t.Errorf("link %d: ids %s %s", i, l.A.ID, l.B.ID)
		}
		switch {
		case i < 5:
			if (l.A.Category != AsylumApplicant && l.A.Category != Refugee) || l.A.Nationality != "COL" || l.B.Category != Citizen {
				t.Errorf("protected link %d: %s %s/%s at A, %s at B", i, l.A.ID, l.A.Nationality, l.A.Category, l.B.Category)
			}
		case i < 9:
			if l.B.Category != CriminalRecord || (!l.B.Watchlist && !l.B.Minor(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))) {
				t.Errorf("watchlisted link %d: %+v", i, l.B)
			}
		case i < 12:
			if l.A.Nationality != "COL" || l.A.Category != IrregularEntrant || l.B.Nationality != "COL" {
				t.Errorf("national link %d: %s/%s at A, %s at B", i, l.A.Nationality, l.A.Category, l.B.Nationality)
			}
		}
	}
	// the same individual must not be linked twice
	seen := map[string]bool{}
	for _, l := range links {
		if seen[l.A.ID] || seen[l.B.ID] {
			t.Errorf("person linked twice: %s %s", l.A.ID, l.B.ID)
		}
		seen[l.A.ID], seen[l.B.ID] = true, true
	}
}

func TestWritePopulation(t *testing.T) {
	dir := t.TempDir()
	pop := NewPopulation(PopulationSpec{Seed: 1, Size: 2, MaxEncounters: 1})
	n, err := WritePopulation(dir, pop, []int{2}, ImpressionOptions{Width: 160, Height: 200})
	if err != nil || n != 2 {
		t.Fatalf("WritePopulation: %d, %v", n, err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "population.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc PopulationFile
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Persons) != 2 || doc.Persons[0].ID != pop.Persons[0].ID {
		t.Fatalf("population.json: %+v", doc)
	}
	e := pop.Persons[1].Encounters[0]
	if _, err := os.Stat(filepath.Join(dir, "images", e.ID+"_2.png")); err != nil {
		t.Error(err)
	}
	if _, err := WritePopulation(dir, pop, []int{11}, ImpressionOptions{}); err == nil {
		t.Error("finger position 11 accepted")
	}
}

func TestTransactions(t *testing.T) {
	dir := t.TempDir()
	pop := NewPopulation(PopulationSpec{Seed: 2, Size: 1, MaxEncounters: 1})
	n, err := WriteTransactions(dir, pop, []int{2, 7}, ImpressionOptions{Width: 160, Height: 200})
	if err != nil || n != 1 {
		t.Fatalf("WriteTransactions: %d, %v", n, err)
	}
	p := pop.Persons[0]
	raw, err := os.ReadFile(filepath.Join(dir, p.Encounters[0].ID+".an2"))
	if err != nil {
		t.Fatal(err)
	}
	tx, err := ansinist.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if v := tx.Validate(); len(v) > 0 {
		t.Errorf("violations: %v", v)
	}
	b := tx.Biographics()
	if b.Surname != p.FamilyName || b.Sex != p.Sex || b.BirthDate != p.BirthDate.Format("2006-01-02") {
		t.Errorf("biographics %+v, person %+v", b, p)
	}
	if got := len(tx.RecordsOfType(14)); got != 2 {
		t.Errorf("%d Type-14 records, want 2", got)
	}
	if _, err := Transaction(p, p.Encounters[0], []int{0}, ImpressionOptions{}); err == nil {
		t.Error("finger position 0 accepted")
	}
}

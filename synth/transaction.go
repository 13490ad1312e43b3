package synth

import (
	"fmt"
	"image"
	"os"
	"path/filepath"
	"sync"

	"github.com/bixproject/bix/ansinist"
)

// Transaction returns the ANSI/NIST-ITL 1-2011 (Update 2015) transaction an
// enrolling station would send for encounter e of person p: a Type-1
// record, a Type-2 record with the biographics and a Type-14 record (PNG)
// per finger position in positions (1–10; nil means all ten), the
// impressions taken at that encounter.
func Transaction(p *Person, e Encounter, positions []int, opt ImpressionOptions) (*ansinist.Transaction, error) {
	if positions == nil {
		positions = allPositions
	}
	req := ansinist.BuildRequest{
		TransactionType: "BIX",
		Date:            e.Date,
		Originator:      e.Agency,
		ControlNumber:   e.ID,
		Biographics: ansinist.Biographics{
			Surname:     p.FamilyName,
			GivenNames:  p.GivenName,
			BirthDate:   p.BirthDate.Format("2006-01-02"),
			Sex:         p.Sex,
			Citizenship: []string{p.Nationality},
		},
	}
	for _, pos := range positions {
		if pos < 1 || pos > 10 {
			return nil, fmt.Errorf("synth: finger position %d outside 1–10", pos)
		}
		var img image.Image = p.Fingers[pos-1].Impression(e.ImpressionSeed(pos), opt)
		req.Fingers = append(req.Fingers, ansinist.FingerImage{Position: pos, PPI: 500, Image: img})
	}
	t, err := ansinist.Build(req)
	if err != nil {
		return nil, fmt.Errorf("synth: encounter %s: %w", e.ID, err)
	}
	return t, nil
}

var allPositions = []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}

// WriteTransactions writes one ANSI/NIST-ITL transaction per encounter of
// pop (see Transaction) to dir as <encounter id>.an2 and returns how many
// it wrote.
func WriteTransactions(dir string, pop *Population, positions []int, opt ImpressionOptions) (int, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	var mu sync.Mutex
	n := 0
	err := parallelFor(len(pop.Persons), func(i int) error {
		p := pop.Persons[i]
		for _, e := range p.Encounters {
			t, err := Transaction(p, e, positions, opt)
			if err != nil {
				return err
			}
			b, err := t.Bytes()
			if err != nil {
				return fmt.Errorf("synth: encounter %s: %w", e.ID, err)
			}
			if err := os.WriteFile(filepath.Join(dir, e.ID+".an2"), b, 0o644); err != nil {
				return err
			}
			mu.Lock()
			n++
			mu.Unlock()
		}
		return nil
	})
	return n, err
}

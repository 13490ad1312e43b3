package synth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/bixproject/bix/wsq"
)

// parallelFor runs f(0) … f(n-1) on GOMAXPROCS goroutines and returns the
// first error. Results must not depend on the order (each item derives
// everything from its own seed), so output is deterministic.
func parallelFor(n int, f func(i int) error) error {
	workers := min(runtime.GOMAXPROCS(0), n)
	var (
		mu    sync.Mutex
		next  int
		first error
		wg    sync.WaitGroup
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				stop := first != nil
				mu.Unlock()
				if i >= n || stop {
					return
				}
				if err := f(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// FingerSeed is the seed of finger number i (0-based) of a data set made
// with seed.
func FingerSeed(seed int64, i int) int64 { return SubSeed(seed, uint64(i)) }

// WriteFVC writes fingers × impressions images into dir named as in the
// FVC competitions, F_I.png (or F_I.wsq when format is "wsq") with F and I
// counted from 1 (finger F is NewFinger(FingerSeed(seed, F-1)), impression
// I is its Impression(I, opt)), and returns the number of files written.
// Format is "png" (or empty) or "wsq" (FBI WSQ at wsq.DefaultBitrate).
func WriteFVC(dir string, fingers, impressions int, seed int64, opt ImpressionOptions, format string) (int, error) {
	if fingers < 0 || impressions < 0 {
		return 0, fmt.Errorf("synth: negative count (fingers %d, impressions %d)", fingers, impressions)
	}
	write := writePNG
	switch format {
	case "", "png":
		format = "png"
	case "wsq":
		write = writeWSQ
	default:
		return 0, fmt.Errorf("synth: image format %q (want png or wsq)", format)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	err := parallelFor(fingers, func(f int) error {
		m := NewFinger(FingerSeed(seed, f))
		for i := 0; i < impressions; i++ {
			name := filepath.Join(dir, fmt.Sprintf("%d_%d.%s", f+1, i+1, format))
			if err := write(name, m.Impression(int64(i+1), opt)); err != nil {
				return err
			}
		}
		return nil
	})
	return fingers * impressions, err
}

func writeWSQ(name string, img image.Image) error {
	var buf bytes.Buffer
	if err := wsq.Encode(&buf, img, 0); err != nil {
		return fmt.Errorf("synth: encoding %s: %w", name, err)
	}
	return os.WriteFile(name, buf.Bytes(), 0o644)
}

func writePNG(name string, img image.Image) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("synth: writing %s: %w", name, err)
	}
	return f.Close()
}

// PopulationFile is the JSON document WritePopulation writes as
// population.json.
type PopulationFile struct {
	Agency  string    `json:"agency"`
	Seed    int64     `json:"seed"`
	Persons []*Person `json:"persons"`
}

// WritePopulation writes pop to dir: population.json with every person and
// encounter, and for each encounter the impressions of the finger
// positions in positions (1–10; nil means all ten) as
// images/<encounter id>_<position>.png. It returns the number of images.
func WritePopulation(dir string, pop *Population, positions []int, opt ImpressionOptions) (int, error) {
	if positions == nil {
		positions = allPositions
	}
	for _, p := range positions {
		if p < 1 || p > 10 {
			return 0, fmt.Errorf("synth: finger position %d outside 1–10", p)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "images"), 0o755); err != nil {
		return 0, err
	}
	doc, err := json.MarshalIndent(PopulationFile{Agency: pop.Spec.Agency, Seed: pop.Spec.Seed, Persons: pop.Persons}, "", " ")
	if err != nil {
		return 0, err
	}
	if err := os.WriteFile(filepath.Join(dir, "population.json"), append(doc, '\n'), 0o644); err != nil {
		return 0, err
	}
	var mu sync.Mutex
	n := 0
	err = parallelFor(len(pop.Persons), func(i int) error {
		p := pop.Persons[i]
		for _, e := range p.Encounters {
			for _, pos := range positions {
				img := p.Fingers[pos-1].Impression(e.ImpressionSeed(pos), opt)
				if err := writePNG(filepath.Join(dir, "images", fmt.Sprintf("%s_%d.png", e.ID, pos)), img); err != nil {
					return err
				}
				mu.Lock()
				n++
				mu.Unlock()
			}
		}
		return nil
	})
	return n, err
}

// WritePNG writes img to the file name as PNG.
func WritePNG(name string, img image.Image) error { return writePNG(name, img) }

// WriteLinks writes the persons two agencies hold in common as a JSON array
// of {"a", "b", "a_category", "b_category", "watchlist_b"} to the file name:
// the ground truth for cross-agency search tests.
func WriteLinks(name string, links []Link) error {
	type row struct {
		A          string   `json:"a"`
		B          string   `json:"b"`
		ACategory  Category `json:"a_category"`
		BCategory  Category `json:"b_category"`
		WatchlistB bool     `json:"watchlist_b,omitempty"`
	}
	rows := make([]row, len(links))
	for i, l := range links {
		rows[i] = row{l.A.ID, l.B.ID, l.A.Category, l.B.Category, l.B.Watchlist}
	}
	doc, err := json.MarshalIndent(rows, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(name, append(doc, '\n'), 0o644)
}

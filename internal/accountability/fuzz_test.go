package accountability

import (
	"errors"
	"testing"
	"time"
)

// FuzzParsePeriod checks that any text either parses to a positive period
// or fails with ErrRetention, without panicking.
func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"10y", "90d", "6m", "2w", "", "y", "-1d", "99999999999999999999y", "1\x00d", " 3y "} {
		f.Add(s)
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePeriod(s)
		if err != nil {
			if !errors.Is(err, ErrRetention) {
				t.Fatalf("ParsePeriod(%q): error %v does not wrap ErrRetention", s, err)
			}
			return
		}
		if !p.After(base).After(base) {
			t.Fatalf("ParsePeriod(%q) = %+v is not positive", s, p)
		}
	})
}

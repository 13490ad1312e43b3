package gallery

import (
	"context"
	"testing"

	"github.com/bixproject/bix/fingerprint"
)

// FuzzSearch decodes arbitrary bytes as a template (BIXF) and searches and
// describes it: no panic, scores in [0, 1].
func FuzzSearch(f *testing.F) {
	for _, s := range []uint64{1, 2, 3} {
		b, _ := master(s).MarshalBinary()
		f.Add(b)
	}
	g := NewWith(Config{Workers: 2, Shortlist: 3})
	for p := range 10 {
		g.Add(string(rune('a'+p)), string(rune('A'+p)), 1, master(uint64(100+p)))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var tm fingerprint.Template
		if tm.UnmarshalBinary(b) != nil {
			return
		}
		describe(&tm, true)
		c, err := g.Identify(context.Background(), []Sample{{Position: 1, Template: &tm}}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range c {
			if x.Score < 0 || x.Score > 1 {
				t.Fatalf("score %v", x.Score)
			}
		}
	})
}

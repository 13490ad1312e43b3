package demo

import (
	"context"
	"strings"
	"testing"
)

// TestScenario runs the demo scenario on small populations with real nodes
// on loopback and requires every check to hold. The partner holds more than
// 20 identities so that its 1:N threshold is calibrated from its gallery
// rather than the floor (see node.Node.Threshold).
func TestScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two nodes and enrolls synthetic people")
	}
	ctx := context.Background()
	p, err := StartPair(ctx, Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := p.Stop(); err != nil {
			t.Error(err)
		}
	}()
	var progress strings.Builder

	sum, err := Run(ctx, p, Scenario{Seed: 7, PersonsA: 10, PersonsB: 22, Overlap: 6, Protected: 2, Watchlisted: 1, Nationals: 2, Positions: []int{2, 7}, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(progress.String())
	for _, c := range sum.Checks {
		if !c.OK || c.Skipped {
			t.Errorf("check %q: got %q, want %q (%s)", c.Name, c.Got, c.Want, c.Detail)
		}
	}
	if len(sum.Checks) < 7 {
		t.Errorf("only %d checks ran", len(sum.Checks))
	}
	for _, tl := range sum.Tallies {
		if tl.FalseHits > 0 {
			t.Errorf("%s → %s: %d false hits: %v", tl.From, tl.To, tl.FalseHits, tl.Unexpected)
		}
		if tl.TrueHits == 0 {
			t.Errorf("%s → %s: no correct hit among %d searches", tl.From, tl.To, tl.Searches)
		}
	}
}

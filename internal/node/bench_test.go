package node

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/bixproject/bix/fingerprint"
)

// TestRunIdentifyBench runs the identify report on a tiny gallery: every
// mated probe finds its mate, the pre-filter agrees with the exhaustive
// search, and the JSON report has the documented keys.
func TestRunIdentifyBench(t *testing.T) {
	if testing.Short() {
		t.Skip("grows synthetic master fingers")
	}
	r, err := RunIdentifyBench(context.Background(), BenchConfig{Gallery: 200, Masters: 4, Probes1: 6, Probes10: 2, Shortlist: 10, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if r.Rank1Mate != 1 || r.Rank1Agreement != 1 || r.SameMasterMax > 0.05 || r.P50ms1 <= 0 || r.BytesPerTemplate <= 0 || r.LoadS <= 0 {
		t.Errorf("report %+v", r)
	}
	b, _ := json.Marshal(r)
	for _, k := range []string{"gallery", "p50_ms_1finger", "p99_ms_1finger", "p50_ms_10finger", "p99_ms_10finger", "bytes_per_template", "rank1_agreement", "load_s"} {
		if !strings.Contains(string(b), `"`+k+`":`) {
			t.Errorf("JSON report lacks %q: %s", k, b)
		}
	}
}

// TestBenchTemplateFields checks the bench templates' orientation fields:
// they cover the print, and two impressions of one identity agree on them:
// the field keeps a mated score above half the minutiae score (fields
// that did not correspond would divide it by about e⁴; the identities'
// warps bend the field sharply, so it agrees less than on real prints).
func TestBenchTemplateFields(t *testing.T) {
	if testing.Short() {
		t.Skip("grows synthetic master fingers")
	}
	s := NewSynthTemplates(5, 2)
	for i := range 6 {
		a, b := s.Enrolled(i), s.Probe(i)
		fg := 0
		for _, c := range a.Field.Coherence {
			if c != 0 {
				fg++
			}
		}
		if fg < len(a.Field.Coherence)/4 {
			t.Errorf("identity %d: %d of %d field blocks in the print", i, fg, len(a.Field.Coherence))
		}
		with := fingerprint.Compare(a, b)
		na, nb := *a, *b
		na.Field, nb.Field = nil, nil
		without := fingerprint.Compare(&na, &nb)
		if with < 0.5*without {
			t.Errorf("identity %d: mated score %.4f with fields, %.4f without", i, with, without)
		}
	}
}

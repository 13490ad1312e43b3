package node

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
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

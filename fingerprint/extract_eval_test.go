package fingerprint_test

import (
	"context"
	"flag"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/bixproject/bix/fingerprint"
	"github.com/bixproject/bix/fingerprint/fvc"
	"github.com/bixproject/bix/internal/shareddata"
)

var evalFVC = flag.Bool("fpeval", false, "measure the extractor's EER on the FVC2002 B sets (slow)")
var evalKnobs = flag.String("fpknobs", "", "experiment: name=value,... parameter overrides")

// TestEvalFVC reports the whole engine's EER on FVC2002 DB1_B..DB4_B with
// this package's extractor; it runs only with -fpeval.
func TestEvalFVC(t *testing.T) {
	if !*evalFVC {
		t.Skip("run with -fpeval")
	}
	for _, kv := range strings.Split(*evalKnobs, ",") {
		if name, v, ok := strings.Cut(kv, "="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			fingerprint.SetKnob(name, f)
		}
	}
	root := shareddata.Require(t, "fingerprints", "fvc2002-b")
	var sumFVC, sumAll float64
	for _, db := range []string{"DB1_B", "DB2_B", "DB3_B", "DB4_B"} {
		rep, err := fvc.Run(context.Background(), filepath.Join(root, db), fvc.Options{Extract: func(path string) (*fingerprint.Template, error) {
			g, err := fingerprint.LoadImage(path)
			if err != nil {
				return nil, err
			}
			return fingerprint.Extract(g, fingerprint.ExtractOptions{})
		}})
		if err != nil {
			t.Fatal(err)
		}
		sumFVC += rep.EER
		sumAll += rep.EERAll
		t.Logf("%s: EER FVC %.2f%% all-pairs %.2f%% FMR100 %.2f%% extract median %.2f ms failed %d", db, 100*rep.EER, 100*rep.EERAll, 100*rep.FMR100All, rep.ExtractMSMedian, rep.FailedToExtract)
	}
	t.Logf("mean EER FVC %.2f%% all-pairs %.2f%%", 100*sumFVC/4, 100*sumAll/4)
}

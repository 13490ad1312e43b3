package fingerprint_test

import (
	"context"
	"flag"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/bixproject/bix/fingerprint"
	"github.com/bixproject/bix/fingerprint/fvc"
	"github.com/bixproject/bix/internal/shareddata"
)

var evalFVC = flag.Bool("fpeval", false, "measure the extractor's EER on the FVC2002 B sets (slow)")

// TestEvalFVC reports the whole engine's EER on FVC2002 DB1_B..DB4_B with
// this package's extractor; it runs only with -fpeval.
func TestEvalFVC(t *testing.T) {
	if !*evalFVC {
		t.Skip("run with -fpeval")
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
		cpu, perImage := extractCPU(t, filepath.Join(root, db))
		t.Logf("%s: EER FVC %.2f%% all-pairs %.2f%% FMR100 %.2f%% failed %d; extraction CPU median %.2f ms, %.1f minutiae per image (harness wall-clock median %.2f ms)", db, 100*rep.EER, 100*rep.EERAll, 100*rep.FMR100All, rep.FailedToExtract, cpu, perImage, rep.ExtractMSMedian)
	}
	t.Logf("mean EER FVC %.2f%% all-pairs %.2f%%", 100*sumFVC/4, 100*sumAll/4)
}

// extractCPU returns the median process CPU time (ms) of Extract over the
// .tif images of dir, already decoded, and the mean number of minutiae.
func extractCPU(t *testing.T, dir string) (float64, float64) {
	files, _ := filepath.Glob(filepath.Join(dir, "*.tif"))
	var ms []float64
	total := 0
	for _, f := range files {
		g, err := fingerprint.LoadImage(f)
		if err != nil {
			t.Fatal(err)
		}
		c0 := fingerprint.ProcessCPU()
		tp, err := fingerprint.Extract(g, fingerprint.ExtractOptions{})
		ms = append(ms, float64(fingerprint.ProcessCPU()-c0)/float64(time.Millisecond))
		if err == nil {
			total += len(tp.Minutiae)
		}
	}
	if len(ms) == 0 {
		return 0, 0
	}
	sort.Float64s(ms)
	return ms[len(ms)/2], float64(total) / float64(len(files))
}

var evalWorst = flag.String("fpworst", "", "list the lowest genuine scores of this FVC folder")

// TestEvalWorstGenuine lists the genuine pairs of one FVC folder with the
// lowest scores; it runs only with -fpworst DIR.
func TestEvalWorstGenuine(t *testing.T) {
	if *evalWorst == "" {
		t.Skip("run with -fpworst DIR")
	}
	tpl := map[string]*fingerprint.Template{}
	files, _ := filepath.Glob(filepath.Join(*evalWorst, "*.tif"))
	for _, f := range files {
		g, err := fingerprint.LoadImage(f)
		if err != nil {
			t.Fatal(err)
		}
		tp, err := fingerprint.Extract(g, fingerprint.ExtractOptions{})
		if err != nil {
			t.Logf("%s: %v", f, err)
			continue
		}
		tpl[filepath.Base(f)] = tp
	}
	type pair struct {
		a, b  string
		score float64
	}
	var ps []pair
	for a, ta := range tpl {
		for b, tb := range tpl {
			if a < b && a[:3] == b[:3] {
				ps = append(ps, pair{a, b, fingerprint.Compare(ta, tb)})
			}
		}
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].score < ps[j].score })
	for _, p := range ps[:min(15, len(ps))] {
		t.Logf("%s %s %.4f (minutiae %d, %d; quality %d, %d)", p.a, p.b, p.score, len(tpl[p.a].Minutiae), len(tpl[p.b].Minutiae), tpl[p.a].Quality, tpl[p.b].Quality)
	}
}

package quality

import (
	"path/filepath"
	"testing"

	"github.com/bixproject/bix/internal/shareddata"
)

// TestFVC2002 encodes the FVC2002 B sets at 0.75 bpp and checks that the
// reconstruction quality and the compression are what WSQ is known for.
func TestFVC2002(t *testing.T) {
	dir := shareddata.Require(t, "fingerprints", "fvc2002-b")
	for _, db := range []string{"DB1_B", "DB2_B", "DB3_B", "DB4_B"} {
		paths, _ := filepath.Glob(filepath.Join(dir, db, "*_1.tif"))
		if testing.Short() {
			paths = paths[:2]
		}
		r, err := MeasureSet(db, paths, 0.75)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d images %d×%d, PSNR mean %.2f dB (min %.2f), %.1f:1 (%.2f bpp)", db, r.Images, r.Width, r.Height, r.MeanPSNR, r.MinPSNR, r.MeanRatio, r.MeanBPP)
		if r.MeanPSNR < 28 || r.MeanRatio < 8 || r.MeanRatio > 25 {
			t.Errorf("%s: PSNR %.2f dB, %.1f:1", db, r.MeanPSNR, r.MeanRatio)
		}
	}
}

func TestReference(t *testing.T) {
	dir := shareddata.Require(t, "ansi-nist", "wsq")
	refs, err := CheckReference(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range refs {
		if !r.Match || r.Err != nil {
			t.Errorf("%s: match %v, %v", r.File, r.Match, r.Err)
		}
	}
	if len(refs) < 16 {
		t.Errorf("%d reference files", len(refs))
	}
}

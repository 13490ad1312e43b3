package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/bixproject/bix/fingerprint"
	"github.com/bixproject/bix/fingerprint/fvc"
	"github.com/bixproject/bix/internal/shareddata"
)

func init() {
	register("fingerprint", command{
		summary: "fingerprint templates: extract, match, quality, convert",
		run: func(ctx context.Context, env *cliEnv, args []string) error {
			return subcommands(ctx, env, "fingerprint", args, map[string]func(context.Context, *cliEnv, []string) error{
				"extract": fingerprintExtract,
				"match":   fingerprintMatch,
				"quality": fingerprintQuality,
				"convert": fingerprintConvert,
			})
		},
	})
	registerBench("fingerprint", benchFingerprint)
}

// extractImage loads an image file and extracts its minutiae (resolution
// in ppi, 0: 500).
func extractImage(path string, resolution int) (*fingerprint.Template, error) {
	img, err := fingerprint.LoadImage(path)
	if err != nil {
		return nil, err
	}
	t, err := fingerprint.Extract(img, fingerprint.ExtractOptions{Resolution: resolution})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

var templateExts = map[string]bool{".iso": true, ".ansi": true, ".bixf": true, ".xyt": true, ".json": true}

// loadFingerprint reads a template file (by extension) or extracts one from
// an image.
func loadFingerprint(path string, resolution int) (*fingerprint.Template, error) {
	ext := strings.ToLower(filepath.Ext(path))
	if templateExts[ext] {
		return fvc.Load(path, fvc.Options{XYTResolution: resolution})
	}
	return extractImage(path, resolution)
}

func fingerprintMatch(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "fingerprint match")
	asJSON := fs.Bool("json", false, "print a JSON object")
	res := fs.Int("resolution", 0, "resolution of images and .xyt files in ppi (0: 500)")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: bix fingerprint match [-json] [-resolution PPI] A B\n\nA and B are images or templates (.iso .ansi .bixf .xyt .json).")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return errUsage
	}
	a, err := loadFingerprint(fs.Arg(0), *res)
	if err != nil {
		return err
	}
	b, err := loadFingerprint(fs.Arg(1), *res)
	if err != nil {
		return err
	}
	score := fingerprint.Compare(a, b)
	match := score >= fingerprint.DefaultThreshold
	if *asJSON {
		return json.NewEncoder(env.stdout).Encode(map[string]any{"score": score, "threshold": fingerprint.DefaultThreshold, "threshold_fmr": 1e-4, "match": match})
	}
	decision := "no match"
	if match {
		decision = "match"
	}
	fmt.Fprintf(env.stdout, "score %.4f (threshold %.4f at FMR 1e-4): %s\n", score, fingerprint.DefaultThreshold, decision)
	return nil
}

// writeTemplate encodes t in format to path ("" or "-": stdout).
func writeTemplate(env *cliEnv, t *fingerprint.Template, format, path string) error {
	var b []byte
	var err error
	switch format {
	case "iso":
		b, err = fingerprint.NewRecord(fingerprint.ISO2005, t).EncodeISO()
	case "ansi":
		b, err = fingerprint.NewRecord(fingerprint.INCITS2004, t).EncodeINCITS()
	case "bixf":
		b, err = t.MarshalBinary()
	case "json":
		b, err = json.MarshalIndent(t, "", "  ")
		b = append(b, '\n')
	default:
		return fmt.Errorf("unknown format %q (want iso, ansi, bixf or json)", format)
	}
	if err != nil {
		return err
	}
	if path == "" || path == "-" {
		_, err = env.stdout.Write(b)
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

func fingerprintExtract(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "fingerprint extract")
	format := fs.String("format", "iso", "output format: iso (ISO/IEC 19794-2:2005), ansi (INCITS 378-2004), bixf or json")
	out := fs.String("o", "", "output file (default standard output)")
	res := fs.Int("resolution", 0, "image resolution in ppi (0: 500)")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: bix fingerprint extract [-format iso|ansi|bixf|json] [-o FILE] [-resolution PPI] IMG")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	t, err := extractImage(fs.Arg(0), *res)
	if err != nil {
		return err
	}
	return writeTemplate(env, t, *format, *out)
}

func fingerprintConvert(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "fingerprint convert")
	format := fs.String("format", "iso", "output format: iso, ansi, bixf or json")
	out := fs.String("o", "", "output file (default standard output)")
	res := fs.Int("resolution", 0, "resolution of .xyt input in ppi (0: 500)")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: bix fingerprint convert [-format iso|ansi|bixf|json] [-o FILE] TEMPLATE\n\nTEMPLATE is .iso, .ansi, .bixf, .xyt or .json; the first finger view is converted.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	if !templateExts[strings.ToLower(filepath.Ext(fs.Arg(0)))] {
		return fmt.Errorf("%s: not a template file (.iso .ansi .bixf .xyt .json)", fs.Arg(0))
	}
	t, err := loadFingerprint(fs.Arg(0), *res)
	if err != nil {
		return err
	}
	return writeTemplate(env, t, *format, *out)
}

func fingerprintQuality(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "fingerprint quality")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: bix fingerprint quality [-json] IMG")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	img, err := fingerprint.LoadImage(fs.Arg(0))
	if err != nil {
		return err
	}
	q := fingerprint.AssessQuality(img)
	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(q)
	}
	fmt.Fprintf(env.stdout, "score %d (clarity %.2f, orientation certainty %.2f, frequency consistency %.2f, area %.2f)\n", q.Score, q.Clarity, q.OrientationCertainty, q.FrequencyConsistency, q.Area)
	if q.Reason != "" {
		fmt.Fprintf(env.stdout, "unusable: %s\n", q.Reason)
	}
	return nil
}

// benchFingerprint runs the FVC protocol on a folder: "bix bench
// fingerprint -dataset DIR [-json]".
func benchFingerprint(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "bench fingerprint")
	dataset := fs.String("dataset", "", "folder of FVC-style files F_I.ext (images or .iso .ansi .bixf .xyt .json templates)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	ext := fs.String("ext", "", "file extension to read (default: the first of .tif .tiff .png .bmp .jpg .jpeg .wsq .iso .xyt .ansi .bixf .json present)")
	res := fs.Int("resolution", 0, "resolution of images and .xyt files in ppi (0: 500)")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: bix bench fingerprint -dataset DIR [-json] [-ext .EXT] [-resolution PPI]")
		if p, ok := shareddata.Path("fingerprints", "fvc2002-b"); ok {
			fmt.Fprintf(env.stderr, "\nFVC2002 set B is present: -dataset %s\n", filepath.Join(p, "DB1_B"))
		} else {
			fmt.Fprintln(env.stderr, "\nthe shared FVC2002 data (../shared/data/fingerprints/fvc2002-b) is not present")
		}
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dataset == "" || fs.NArg() != 0 {
		fs.Usage()
		return errUsage
	}
	if _, err := os.Stat(*dataset); err != nil {
		return fmt.Errorf("dataset: %w (the shared data sets live in ../shared/data and are absent on a fresh clone)", err)
	}
	o := fvc.Options{Ext: *ext, XYTResolution: *res}
	if e := *ext; e != "" && !strings.HasPrefix(e, ".") {
		o.Ext = "." + e
	}
	o.Extract = func(path string) (*fingerprint.Template, error) { return extractImage(path, *res) }
	r, err := fvc.Run(ctx, *dataset, o)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(env.stdout).Encode(jsonSafe(r))
	}
	pct := func(v float64) string { return fmt.Sprintf("%6.2f %%", 100*v) }
	w := env.stdout
	fmt.Fprintf(w, "dataset %s (%s files): %d, failed to extract %d\n", r.Dir, r.Ext, r.Images, r.FailedToExtract)
	fmt.Fprintf(w, "%-34s %9s %9s %9s %9s\n", "", "EER", "FMR100", "FMR1000", "ZeroFMR")
	fmt.Fprintf(w, "%-34s %9s %9s %9s %9s\n", fmt.Sprintf("FVC (%d genuine, %d impostor)", r.Genuine, r.Impostor), pct(r.EER), pct(r.FMR100), pct(r.FMR1000), pct(r.ZeroFMR))
	fmt.Fprintf(w, "%-34s %9s %9s %9s %9s\n", fmt.Sprintf("all pairs (%d impostor)", r.ImpostorAll), pct(r.EERAll), pct(r.FMR100All), pct(r.FMR1000All), pct(r.ZeroFMRAll))
	fmt.Fprintf(w, "extraction median %.2f ms per file; %.0f comparisons per second per core\n", r.ExtractMSMedian, r.ComparePerSecCore)
	return nil
}

// jsonSafe returns r with NaN rates (no scores of a kind) as -1, since JSON
// has no NaN.
func jsonSafe(r *fvc.Report) *fvc.Report {
	c := *r
	for _, p := range []*float64{&c.EER, &c.FMR100, &c.FMR1000, &c.ZeroFMR, &c.EERAll, &c.FMR100All, &c.FMR1000All, &c.ZeroFMRAll} {
		if math.IsNaN(*p) {
			*p = -1
		}
	}
	return &c
}

package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/bixproject/bix/fingerprint"
	"github.com/bixproject/bix/internal/shareddata"
	"github.com/bixproject/bix/synth"
)

func init() {
	register("synth", command{
		summary: "synthetic fingerprints, populations and templates (no real person's data)",
		run: func(ctx context.Context, env *cliEnv, args []string) error {
			return subcommands(ctx, env, "synth", args, map[string]func(context.Context, *cliEnv, []string) error{
				"fingerprints": synthFingerprints,
				"population":   synthPopulation,
				"sheet":        synthSheet,
				"templates":    synthTemplates,
			})
		},
	})
	registerBench("synth", benchSynth)
}

func synthTemplates(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "synth templates")
	n := fs.Int("n", 10000, "number of templates")
	fingers := fs.Int("fingers", 0, "distinct master fingers (0: n, at most 1000); template i is impression i/fingers+1 of finger i%fingers")
	seed := fs.Int64("seed", 1, "seed")
	out := fs.String("o", "", "output file: the templates' BIXF encodings one after another (each is self-delimiting)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || *n < 1 {
		fmt.Fprintln(env.stderr, "usage: bix synth templates -n N [-fingers F] -seed S -o FILE")
		return errUsage
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	start := time.Now()
	var minutiae int
	err = synth.Templates(*seed, *n, synth.TemplateOptions{Fingers: *fingers}, func(i, finger int, t *fingerprint.Template) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		b, err := t.MarshalBinary()
		if err != nil {
			return fmt.Errorf("template %d: %w", i, err)
		}
		minutiae += len(t.Minutiae)
		_, err = w.Write(b)
		return err
	})
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	el := time.Since(start).Seconds()
	fmt.Fprintf(env.stdout, "wrote %d templates (%.1f minutiae each) to %s in %.1fs: %.0f templates/s\n", *n, float64(minutiae)/float64(*n), *out, el, float64(*n)/el)
	return nil
}

func benchSynth(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "bench synth")
	fingers := fs.Int("fingers", 100, "fingers")
	imps := fs.Int("impressions", 8, "impressions per finger")
	seed := fs.Int64("seed", 1, "seed")
	truth := fs.Bool("truth", false, "use the generator's own minutiae (ImpressionTemplate) instead of extracting the images")
	withFVC := fs.Bool("fvc", true, "measure FVC2002 DB1-4_B the same way when the shared data is present")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var syn synth.Report
	if *truth {
		syn = synth.MeasureTemplates(*seed, *fingers, *imps, synth.ImpressionOptions{})
	} else {
		syn = synth.Measure(*seed, *fingers, *imps, synth.ImpressionOptions{})
	}
	syn.Write(env.stdout)
	if !*withFVC {
		return nil
	}
	var sum float64
	var n int
	var sets []synth.Report
	for _, db := range []string{"DB1_B", "DB2_B", "DB3_B", "DB4_B"} {
		dir, ok := shareddata.Path("fingerprints", "fvc2002-b", db)
		if !ok {
			fmt.Fprintf(env.stdout, "FVC2002 %s not present (shared data fingerprints/fvc2002-b); no comparison\n", db)
			continue
		}
		r, err := synth.MeasureDir(dir, ".tif")
		if err != nil {
			return err
		}
		r.Write(env.stdout)
		sets = append(sets, r)
		sum += r.All.EER
		n++
	}
	if n > 0 {
		synth.Pool(fmt.Sprintf("FVC2002 pooled (%d sets)", n), sets...).Write(env.stdout)
		mean := sum / float64(n)
		fmt.Fprintf(env.stdout, "synthetic EER (all pairs) / mean FVC2002 EER (all pairs, %d sets): %.2f %% / %.2f %% = %.2f× (target 0.5×–3×)\n", n, 100*syn.All.EER, 100*mean, syn.All.EER/mean)
	}
	return nil
}

func synthFingerprints(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "synth fingerprints")
	fingers := fs.Int("fingers", 10, "number of fingers")
	imps := fs.Int("impressions", 8, "impressions per finger")
	seed := fs.Int64("seed", 1, "seed")
	out := fs.String("o", "", "output directory (FVC-style F_I.png files)")
	w := fs.Int("width", 0, "image width in pixels (default 388)")
	h := fs.Int("height", 0, "image height in pixels (default 374)")
	format := fs.String("format", "png", "image format: png or wsq")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || *fingers < 1 || *imps < 1 {
		fmt.Fprintln(env.stderr, "usage: bix synth fingerprints -fingers N -impressions K -seed S [-format png|wsq] -o DIR")
		return errUsage
	}
	start := time.Now()
	n, err := synth.WriteFVC(*out, *fingers, *imps, *seed, synth.ImpressionOptions{Width: *w, Height: *h}, *format)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "wrote %d impressions of %d fingers to %s in %.1fs\n", n, *fingers, *out, time.Since(start).Seconds())
	return nil
}

func synthPopulation(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "synth population")
	n := fs.Int("n", 100, "persons (agency A when -overlap is used)")
	nb := fs.Int("nb", 0, "persons at agency B (0: no second agency)")
	overlap := fs.Int("overlap", 0, "persons held by both agencies")
	protected := fs.Int("protected", 0, "of the overlap: B nationals who are asylum applicants or refugees at A")
	watch := fs.Int("watchlisted", 0, "of the overlap: on B's watchlist")
	seed := fs.Int64("seed", 1, "seed")
	agency := fs.String("agency", "USA", "agency code of A")
	agencyB := fs.String("agency-b", "COL", "agency (and country) code of B")
	positions := fs.String("fingers", "2,7", "finger positions to render per encounter (1-10, comma-separated; \"none\" for none)")
	out := fs.String("o", "", "output directory")
	an2 := fs.Bool("an2", false, "also write one ANSI/NIST-ITL transaction per encounter (transactions/<encounter>.an2)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || *n < 0 || *nb < 0 {
		fmt.Fprintln(env.stderr, "usage: bix synth population -n N [-nb M -overlap K] -seed S -o DIR")
		return errUsage
	}
	pos := []int{}
	if *positions != "none" && *positions != "" {
		for _, s := range strings.Split(*positions, ",") {
			p, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || p < 1 || p > 10 {
				return fmt.Errorf("-fingers: bad finger position %q", s)
			}
			pos = append(pos, p)
		}
	}
	start := time.Now()
	if *nb == 0 {
		pop := synth.NewPopulation(synth.PopulationSpec{Seed: *seed, Size: *n, Agency: *agency})
		k, err := synth.WritePopulation(*out, pop, pos, synth.ImpressionOptions{})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "%s: %d persons, %d images in %s (%.1fs)\n", *agency, len(pop.Persons), k, *out, time.Since(start).Seconds())
		return writeTransactions(env, *an2, filepath.Join(*out, "transactions"), pop, pos)
	}
	a, b, links := synth.TwoAgencies(synth.TwoAgencySpec{Seed: *seed, A: synth.PopulationSpec{Size: *n, Agency: *agency},
		B: synth.PopulationSpec{Size: *nb, Agency: *agencyB}, Overlap: *overlap, Protected: *protected, Watchlisted: *watch})
	for _, p := range []*synth.Population{a, b} {
		dir := filepath.Join(*out, p.Spec.Agency)
		k, err := synth.WritePopulation(dir, p, pos, synth.ImpressionOptions{})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "%s: %d persons, %d images in %s\n", p.Spec.Agency, len(p.Persons), k, dir)
		if err := writeTransactions(env, *an2, filepath.Join(dir, "transactions"), p, pos); err != nil {
			return err
		}
	}
	fmt.Fprintf(env.stdout, "%d persons in both (%.1fs)\n", len(links), time.Since(start).Seconds())
	return synth.WriteLinks(filepath.Join(*out, "links.json"), links)
}

// writeTransactions writes pop's encounters as ANSI/NIST-ITL transactions
// when on is set.
func writeTransactions(env *cliEnv, on bool, dir string, pop *synth.Population, pos []int) error {
	if !on {
		return nil
	}
	k, err := synth.WriteTransactions(dir, pop, pos, synth.ImpressionOptions{})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "%s: %d ANSI/NIST-ITL transactions in %s\n", pop.Spec.Agency, k, dir)
	return nil
}

func synthSheet(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "synth sheet")
	fingers := fs.Int("fingers", 5, "rows (fingers)")
	imps := fs.Int("impressions", 4, "impressions per finger")
	seed := fs.Int64("seed", 1, "seed")
	out := fs.String("o", "sheet.png", "output PNG")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *fingers < 1 || *imps < 0 {
		fmt.Fprintln(env.stderr, "usage: bix synth sheet [-fingers N -impressions K -seed S] -o sheet.png")
		return errUsage
	}
	if err := synth.WritePNG(*out, synth.Sheet(*seed, *fingers, *imps)); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "wrote %s\n", *out)
	return nil
}

package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/bixproject/bix/fingerprint"
	"github.com/bixproject/bix/internal/accountability"
	"github.com/bixproject/bix/synth"
)

func init() {
	register("report", command{
		summary: "oversight report for a period from a node's audit log: bix report -data DIR -from DATE -to DATE [-html FILE] [-json]",
		run:     reportCmd,
	})
}

func reportCmd(ctx context.Context, env *cliEnv, args []string) error {
	if len(args) > 0 && args[0] == "demographics" {
		return reportDemographics(ctx, env, args[1:])
	}
	fs := newFlagSet(env, "report")
	dir := fs.String("data", "", "node data directory (holding bix.db)")
	from := fs.String("from", "", "start of the period, included (YYYY-MM-DD or RFC 3339)")
	to := fs.String("to", "", "end of the period, excluded (YYYY-MM-DD or RFC 3339; default now)")
	html := fs.String("html", "", "write the report as an HTML page with charts to FILE")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || *from == "" || fs.NArg() != 0 {
		fmt.Fprintln(env.stderr, "usage: bix report -data DIR -from DATE [-to DATE] [-html FILE] [-json]\n       bix report demographics [-persons N] [-seed S] [-position P] [-html FILE] [-json]")
		return errUsage
	}
	f, err := parseWhen(*from)
	if err != nil {
		return fmt.Errorf("-from: %w", err)
	}
	t := time.Now().UTC()
	if *to != "" {
		if t, err = parseWhen(*to); err != nil {
			return fmt.Errorf("-to: %w", err)
		}
	}
	db, err := openAuditDB(ctx, *dir, false)
	if err != nil {
		return err
	}
	defer db.Close()
	o, err := accountability.Report(ctx, db, f, t)
	if err != nil {
		return err
	}
	if *html != "" {
		out, err := os.Create(*html)
		if err != nil {
			return err
		}
		if err := o.WriteHTML(out); err != nil {
			out.Close()
			return err
		}
		if err := out.Close(); err != nil {
			return err
		}
	}
	if *asJSON {
		return printJSON(env.stdout, o)
	}
	fmt.Fprintf(env.stdout, "period %s to %s: %d log entries\n", o.From.Format(time.RFC3339), o.To.Format(time.RFC3339), o.Entries)
	for _, x := range o.Exchanges {
		fmt.Fprintf(env.stdout, "partner %s purpose %q: sent %d (hits %d), received %d (hits %d), disclosed %d, got data %d, refusals given %v\n",
			x.Partner, x.Purpose, x.SearchesSent, x.HitsReceived, x.SearchesReceived, x.HitsGiven, x.DisclosuresGiven, x.DisclosuresReceived, x.RefusalsGiven)
	}
	for _, k := range sortedKeys(o.Actions) {
		fmt.Fprintf(env.stdout, "action %s: %d\n", k, o.Actions[k])
	}
	return nil
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// reportDemographics runs the extractor and matcher on a labelled synthetic
// population and reports error rates by sex, age band and nationality.
func reportDemographics(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "report demographics")
	persons := fs.Int("persons", 200, "size of the synthetic population")
	seed := fs.Int64("seed", 1, "population seed")
	minors := fs.Float64("minors", 0.15, "share of persons under 18")
	position := fs.Int("position", 2, "finger position compared (2: right index)")
	threshold := fs.Float64("threshold", fingerprint.DefaultThreshold, "decision threshold on the matcher's score")
	maxImp := fs.Int("max-impostors", 20000, "most impostor comparisons per group (every k-th pair beyond)")
	html := fs.String("html", "", "write the report as an HTML page with charts to FILE")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	dir := fs.String("data", "", "report on this node data directory's adjudication outcomes instead of a synthetic population")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 || *persons < 2 || *persons > 100000 {
		fmt.Fprintln(env.stderr, "usage: bix report demographics [-data DIR | -persons N (2..100000) -seed S -position P] [-html FILE] [-json]")
		return errUsage
	}
	var d *accountability.Demographics
	if *dir != "" {
		db, err := openAuditDB(ctx, *dir, false)
		if err != nil {
			return err
		}
		defer db.Close()
		if d, err = accountability.FromAdjudications(ctx, db, *threshold); err != nil {
			return err
		}
	} else {
		ss, err := accountability.SynthSubjects(ctx, synth.PopulationSpec{Seed: *seed, Size: *persons, MinorShare: *minors}, *position)
		if err != nil {
			return err
		}
		d = accountability.Analyse(fmt.Sprintf("synthetic population (package synth), %d persons, seed %d, finger %d, one enrolment and one probe impression each", *persons, *seed, *position), ss, *threshold, *maxImp)
	}
	if *html != "" {
		out, err := os.Create(*html)
		if err != nil {
			return err
		}
		if err := d.WriteHTML(out); err != nil {
			out.Close()
			return err
		}
		if err := out.Close(); err != nil {
			return err
		}
	}
	if *asJSON {
		return printJSON(env.stdout, d)
	}
	pct := func(r accountability.Rate) string {
		return fmt.Sprintf("%6.2f%% [%.2f, %.2f] (%d/%d)", 100*r.Value, 100*r.Low, 100*r.High, r.Errors, r.Trials)
	}
	fmt.Fprintf(env.stdout, "%s\nthreshold %g\n", d.Source, d.Threshold)
	fmt.Fprintf(env.stdout, "%-12s %-10s %5s  %-32s %-32s %s\n", "dimension", "group", "n", "FNMR", "FMR", "FTE")
	for _, g := range append([]*accountability.GroupStats{&d.Overall}, d.Groups...) {
		fmt.Fprintf(env.stdout, "%-12s %-10s %5d  %-32s %-32s %s\n", g.Dimension, g.Group, g.Subjects, pct(g.FNMR), pct(g.FMR), pct(g.FTE))
	}
	return nil
}

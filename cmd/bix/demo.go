package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bixproject/bix/internal/demo"
)

func init() {
	register("demo", command{
		summary: "two partner nodes on loopback, synthetic people, real cross-border searches, a summary",
		run:     runDemo,
	})
}

func runDemo(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "demo")
	keep := fs.Bool("keep", false, "leave both nodes running after the summary (until interrupted) and print their addresses and users' tokens")
	dir := fs.String("dir", "", "data directory for both nodes (default: a new temporary directory, removed at exit unless -keep)")
	sc := demo.DefaultScenario
	fs.IntVar(&sc.PersonsA, "persons-us", sc.PersonsA, "persons held by the US node")
	fs.IntVar(&sc.PersonsB, "persons-co", sc.PersonsB, "persons held by the Colombian node")
	fs.IntVar(&sc.Overlap, "overlap", sc.Overlap, "persons held by both")
	fs.Int64Var(&sc.Seed, "seed", sc.Seed, "seed of the synthetic populations")
	verbose := fs.Bool("v", false, "print the nodes' logs")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	start := time.Now()
	if *dir == "" {
		d, err := os.MkdirTemp("", "bix-demo-")
		if err != nil {
			return err
		}
		*dir = d
		if !*keep {
			defer os.RemoveAll(d)
		}
	}
	var logger *slog.Logger
	if *verbose {
		logger = slog.New(slog.NewJSONHandler(env.stderr, nil))
	}
	fmt.Fprintf(env.stdout, "bix demo: starting two partner nodes on loopback (data in %s)\n", *dir)
	pair, err := demo.StartPair(ctx, demo.Options{Dir: *dir, Logger: logger})
	if err != nil {
		return err
	}
	defer pair.Stop()
	for _, p := range []*demo.Party{pair.A, pair.B} {
		fmt.Fprintf(env.stdout, "  %-13s %s  API %s  exchange %s (mTLS, pin %s…)\n", p.Spec.ID, p.Spec.Country, p.APIURL, p.ExchangeURL, p.Identity.Pin()[:12])
	}
	fmt.Fprintf(env.stdout, "  agreement signed by both parties: %s/agreement.yaml\n\n", pair.A.Dir)
	sc.Progress = env.stdout
	sum, err := demo.Run(ctx, pair, sc)
	if err != nil {
		return err
	}
	printSummary(env.stdout, sum)
	fmt.Fprintf(env.stdout, "\nfinished in %.1f s\n", time.Since(start).Seconds())
	if *keep {
		printKept(env.stdout, pair)
		<-ctx.Done()
	}
	if !sum.OK() {
		return fmt.Errorf("some checks failed")
	}
	return nil
}

func printSummary(w io.Writer, s *demo.Summary) {
	fmt.Fprintln(w, "\nCross-border searches (step 1: probe templates only, signed, mutual TLS, agreement checked):")
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  from → to\tpurpose\tsearches\thits\tno-hits\tcorrect hits\tmissed\tfalse hits\tprotected (no-hit)\tp50")
	for _, t := range s.Tallies {
		fmt.Fprintf(tw, "  %s → %s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d (%d)\t%.1f ms\n", t.From, t.To, t.Purpose, t.Searches, t.Hits, t.NoHits,
			t.TrueHits, t.MissedHits, t.FalseHits, t.Guarded, t.GuardedNoHit, float64(t.P50().Microseconds())/1000)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nSafeguards and protocol checks:")
	for _, c := range s.Checks {
		mark := "ok  "
		switch {
		case c.Skipped:
			mark = "n/a "
		case !c.OK:
			mark = "FAIL"
		}
		line := fmt.Sprintf("  [%s] %s: %s", mark, c.Name, c.Got)
		if !c.OK && !c.Skipped {
			line += " (want " + c.Want + ")"
		}
		if c.Detail != "" {
			line += " — " + c.Detail
		}
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
}

// printKept prints what a person needs to use the kept demo nodes: each
// node's console and API address, its partner endpoint and the ready-made
// users' tokens, and an example partner search from the command line.
func printKept(w io.Writer, pair *demo.Pair) {
	fmt.Fprintln(w, "\nnodes kept running (interrupt to stop); open a console and sign in with a token:")
	for _, p := range []*demo.Party{pair.A, pair.B} {
		fmt.Fprintf(w, "\n  %s (%s)\n", p.Spec.ID, p.Spec.Name)
		fmt.Fprintf(w, "    console   %s/\n", p.APIURL)
		fmt.Fprintf(w, "    API       %s  (bix -node %s ...)\n", p.APIURL, p.APIURL)
		fmt.Fprintf(w, "    exchange  %s  (partners only: mutual TLS pinned by the agreement)\n", p.ExchangeURL)
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "    admin\tadmin\t%s\n", p.AdminToken)
		for _, u := range []struct{ name, role string }{{"officer", "officer"}, {"examiner", "examiner"}, {"examiner2", "examiner"}, {"supervisor", "supervisor"}, {"auditor", "auditor"}} {
			fmt.Fprintf(tw, "    %s\t%s\t%s\n", u.name, u.role, p.Tokens[u.name])
		}
		tw.Flush()
	}
	a, b := pair.A, pair.B
	fmt.Fprintf(w, "\n  a partner search from the command line (%s asks %s):\n", a.Spec.ID, b.Spec.ID)
	fmt.Fprintf(w, "    BIX_NODE=%s BIX_TOKEN=%s bix exchange search -partner %s -purpose border_control -f 2=FINGER.png\n", a.APIURL, a.Tokens["officer"], b.Spec.ID)
	fmt.Fprintf(w, "    BIX_NODE=%s BIX_TOKEN=%s bix exchange list\n", a.APIURL, a.Tokens["auditor"])
}

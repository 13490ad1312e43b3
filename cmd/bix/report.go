package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/bixproject/bix/internal/accountability"
)

func init() {
	register("report", command{
		summary: "oversight report for a period from a node's audit log: bix report -data DIR -from DATE -to DATE [-html FILE] [-json]",
		run:     reportCmd,
	})
}

func reportCmd(ctx context.Context, env *cliEnv, args []string) error {
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
		fmt.Fprintln(env.stderr, "usage: bix report -data DIR -from DATE [-to DATE] [-html FILE] [-json]")
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

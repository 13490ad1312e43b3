package main

import (
	"context"
	"fmt"

	"github.com/bixproject/bix/internal/web/browse"
)

func init() {
	register("console", command{
		summary: "the web console: screenshots of its main pages (it is served by the node at /)",
		run: func(ctx context.Context, env *cliEnv, args []string) error {
			return subcommands(ctx, env, "console", args, map[string]func(context.Context, *cliEnv, []string) error{
				"screenshots": consoleScreenshots,
			})
		},
	})
}

// consoleScreenshots photographs the console against demo nodes in
// headless Chromium (see browse.Screenshots).
func consoleScreenshots(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "console screenshots")
	out := fs.String("o", "docs/screenshots", "directory for the PNG files")
	quiet := fs.Bool("q", false, "print only the files written")
	persons := fs.Int("demographics-persons", 60, "synthetic persons the demographic report shown is measured on (at least 2)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 || *persons < 2 {
		fmt.Fprintln(env.stderr, "usage: bix console screenshots [-o DIR] [-q] [-demographics-persons N]")
		return errUsage
	}
	logf := func(format string, a ...any) { fmt.Fprintf(env.stderr, format+"\n", a...) }
	if *quiet {
		logf = nil
	}
	shots, err := browse.Screenshots(ctx, *out, *persons, logf)
	for _, s := range shots {
		fmt.Fprintf(env.stdout, "%s\t%s\t%s\n", s.Name, s.Role, s.Page)
	}
	return err
}

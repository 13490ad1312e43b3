package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"strings"
	"time"

	"github.com/bixproject/bix/internal/accountability"
	"github.com/bixproject/bix/internal/audit"
	"github.com/bixproject/bix/internal/node"
	"github.com/bixproject/bix/internal/store"
)

// personRights are the rights-of-the-person subcommands of "bix person".
// The person command (node.go) dispatches to them, with its own "show",
// through personSubcommands; being a package-level variable, the map is
// initialised before any init function runs, so no file order matters.
// They work on a node's data directory (found from its configuration),
// acting as a named node user whose role is checked.
var personRights = map[string]func(context.Context, *cliEnv, []string) error{
	"access":         personAccess,
	"contest":        personContest,
	"review":         personReview,
	"rectify":        personRectify,
	"erase":          personErase,
	"mark-protected": personMarkProtected,
}

// personSubcommands returns every subcommand of "bix person": show (which
// asks a serving node) and the rights of the person.
func personSubcommands() map[string]func(context.Context, *cliEnv, []string) error {
	m := map[string]func(context.Context, *cliEnv, []string) error{"show": personShow}
	maps.Copy(m, personRights)
	return m
}

func init() {
	register("retention", command{
		summary: "erase records past their retention: bix retention run -config node.yaml [-now DATE]",
		run: func(ctx context.Context, env *cliEnv, args []string) error {
			return subcommands(ctx, env, "retention", args, map[string]func(context.Context, *cliEnv, []string) error{"run": retentionRun})
		},
	})
}

// rightsFlags are the flags every rights command takes.
type rightsFlags struct {
	config, as, now *string
}

func addRightsFlags(fs *flag.FlagSet) *rightsFlags {
	return &rightsFlags{
		config: fs.String("config", "", "node configuration file (data directory and key)"),
		as:     fs.String("as", "", "node user performing the action (their role is checked)"),
		now:    fs.String("now", "", "act as of this time (RFC 3339 or YYYY-MM-DD), for rehearsals; default now"),
	}
}

// openRights opens the node's store and returns the operations, the acting
// user and the node configuration. The running node's in-memory gallery is
// not reached from here: restart the node after an erasure.
func (rf *rightsFlags) open(ctx context.Context, env *cliEnv, needUser bool) (*accountability.Rights, node.Actor, *node.Config, error) {
	var a node.Actor
	if *rf.config == "" {
		return nil, a, nil, errors.New("-config node.yaml is required")
	}
	cfg, err := node.LoadConfig(*rf.config)
	if err != nil {
		return nil, a, nil, err
	}
	var kek *store.KEK
	switch {
	case cfg.KeyFile != "":
		kek, err = store.LoadKEK(cfg.KeyFile)
	case env.getenv(node.KEKEnv) != "":
		kek, err = store.ParseKEK(env.getenv(node.KEKEnv))
	default:
		err = fmt.Errorf("no key: the configuration names no key_file and %s is not set", node.KEKEnv)
	}
	if err != nil {
		return nil, a, nil, err
	}
	if _, err := os.Stat(cfg.DataDir); err != nil {
		return nil, a, nil, fmt.Errorf("data directory: %w", err)
	}
	st, err := store.Open(ctx, cfg.DataDir, kek)
	if err != nil {
		return nil, a, nil, err
	}
	if err := audit.Init(ctx, st.DB()); err != nil {
		st.Close()
		return nil, a, nil, err
	}
	clock := time.Now
	if *rf.now != "" {
		t, err := parseWhen(*rf.now)
		if err != nil {
			st.Close()
			return nil, a, nil, fmt.Errorf("-now: %w", err)
		}
		clock = func() time.Time { return t }
	}
	if needUser {
		if *rf.as == "" {
			st.Close()
			return nil, a, nil, errors.New("-as USER is required: the node user acting")
		}
		users, err := st.Users(ctx)
		if err != nil {
			st.Close()
			return nil, a, nil, err
		}
		for _, u := range users {
			if u.Name == *rf.as {
				a = node.Actor{User: u.Name, Role: node.Role(u.Role), Purpose: "rights of the person"}
			}
		}
		if a.User == "" {
			st.Close()
			return nil, a, nil, fmt.Errorf("no node user %q", *rf.as)
		}
	}
	return &accountability.Rights{Store: st, Now: clock}, a, cfg, nil
}

// parseWhen parses RFC 3339 or a date (midnight UTC).
func parseWhen(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Parse("2006-01-02", s)
}

// rightsCmd parses flags and one person id and runs fn.
func rightsCmd(ctx context.Context, env *cliEnv, name, usage string, args []string, extra func(*flag.FlagSet), fn func(r *accountability.Rights, a node.Actor, id string) (any, error)) error {
	fs := newFlagSet(env, "person "+name)
	rf := addRightsFlags(fs)
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(env.stderr, "usage: bix person %s -config node.yaml -as USER %s ID\n", name, usage)
		return errUsage
	}
	id, err := resolveRef(fs.Arg(0))
	if err != nil {
		return err
	}
	r, a, _, err := rf.open(ctx, env, true)
	if err != nil {
		return err
	}
	defer r.Store.Close()
	out, err := fn(r, a, id)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	return printJSON(env.stdout, out)
}

func personAccess(ctx context.Context, env *cliEnv, args []string) error {
	var lang, html string
	var delay time.Duration
	return rightsCmd(ctx, env, "access", "[-lang en|es] [-html FILE] [-delay DURATION]", args, func(fs *flag.FlagSet) {
		fs.StringVar(&lang, "lang", "en", "language of the report ("+strings.Join(accountability.Languages(), ", ")+")")
		fs.StringVar(&html, "html", "", "also write the report as an HTML page to FILE")
		fs.DurationVar(&delay, "delay", 0, "withhold partner exchanges more recent than this, where the law allows")
	}, func(r *accountability.Rights, a node.Actor, id string) (any, error) {
		r.AccessDelay = delay
		rep, err := r.Access(ctx, a, id, lang)
		if err != nil {
			return nil, err
		}
		if html != "" {
			f, err := os.Create(html)
			if err != nil {
				return nil, err
			}
			if err := rep.WriteHTML(f); err != nil {
				f.Close()
				return nil, err
			}
			if err := f.Close(); err != nil {
				return nil, err
			}
		}
		return rep, nil
	})
}

func personContest(ctx context.Context, env *cliEnv, args []string) error {
	var reason string
	return rightsCmd(ctx, env, "contest", "-reason TEXT", args, func(fs *flag.FlagSet) {
		fs.StringVar(&reason, "reason", "", "the person's grounds")
	}, func(r *accountability.Rights, a node.Actor, id string) (any, error) {
		return r.Contest(ctx, a, id, reason)
	})
}

func personReview(ctx context.Context, env *cliEnv, args []string) error {
	var reason string
	var upheld bool
	return rightsCmd(ctx, env, "review", "[-upheld] -reason TEXT", args, func(fs *flag.FlagSet) {
		fs.StringVar(&reason, "reason", "", "the supervisor's finding")
		fs.BoolVar(&upheld, "upheld", false, "the record is correct: clear the contested mark")
	}, func(r *accountability.Rights, a node.Actor, id string) (any, error) {
		return r.Review(ctx, a, id, upheld, reason)
	})
}

func personRectify(ctx context.Context, env *cliEnv, args []string) error {
	var reason string
	set := map[string]string{}
	return rightsCmd(ctx, env, "rectify", "-set FIELD=VALUE... -reason TEXT", args, func(fs *flag.FlagSet) {
		fs.StringVar(&reason, "reason", "", "legal basis of the correction")
		fs.Func("set", "FIELD=VALUE to correct ("+strings.Join(accountability.Rectifiable, ", ")+"); repeatable", func(s string) error {
			k, v, ok := strings.Cut(s, "=")
			if !ok {
				return fmt.Errorf("want FIELD=VALUE, got %q", s)
			}
			set[k] = v
			return nil
		})
	}, func(r *accountability.Rights, a node.Actor, id string) (any, error) {
		return r.Rectify(ctx, a, id, set, reason)
	})
}

func personErase(ctx context.Context, env *cliEnv, args []string) error {
	var reason string
	return rightsCmd(ctx, env, "erase", "-reason TEXT", args, func(fs *flag.FlagSet) {
		fs.StringVar(&reason, "reason", "", "legal basis of the erasure")
	}, func(r *accountability.Rights, a node.Actor, id string) (any, error) {
		return r.Erase(ctx, a, id, reason)
	})
}

func personMarkProtected(ctx context.Context, env *cliEnv, args []string) error {
	var reason string
	return rightsCmd(ctx, env, "mark-protected", "-reason TEXT", args, func(fs *flag.FlagSet) {
		fs.StringVar(&reason, "reason", "", "reference of the protection decision")
	}, func(r *accountability.Rights, a node.Actor, id string) (any, error) {
		return r.MarkProtected(ctx, a, id, reason)
	})
}

func retentionRun(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "retention run")
	rf := addRightsFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fmt.Fprintln(env.stderr, "usage: bix retention run -config node.yaml [-now DATE]")
		return errUsage
	}
	r, _, cfg, err := rf.open(ctx, env, false)
	if err != nil {
		return err
	}
	defer r.Store.Close()
	pol, err := accountability.ParsePolicy(cfg.Retention)
	if err != nil {
		return err
	}
	res, err := (&accountability.Retention{Store: r.Store, Policy: pol, Now: r.Now}).Run(ctx)
	if err != nil {
		return err
	}
	return printJSON(env.stdout, res)
}

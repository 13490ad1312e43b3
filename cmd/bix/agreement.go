package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/bixproject/bix/internal/agreement"
)

func init() {
	register("agreement", command{
		summary: "sign, verify and show exchange agreement files",
		run: func(ctx context.Context, env *cliEnv, args []string) error {
			return subcommands(ctx, env, "agreement", args, map[string]func(context.Context, *cliEnv, []string) error{
				"sign":   agreementSign,
				"verify": agreementVerify,
				"show":   agreementShow,
				"keygen": agreementKeygen,
			})
		},
	})
}

func agreementRead(path string) (*agreement.Agreement, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	a, err := agreement.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// agreementFileArg returns the single positional argument, allowing flags after it.
func agreementFileArg(env *cliEnv, fs interface {
	Parse([]string) error
	Args() []string
}, args []string, usage string) (string, error) {
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	rest := fs.Args()
	if len(rest) > 1 && strings.HasPrefix(rest[1], "-") {
		if err := fs.Parse(rest[1:]); err != nil {
			return "", err
		}
		rest = append(rest[:1], fs.Args()...)
	}
	if len(rest) != 1 {
		fmt.Fprintln(env.stderr, "usage:", usage)
		return "", errUsage
	}
	return rest[0], nil
}

func agreementSign(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "agreement sign")
	keyFile := fs.String("key", "", "private key file (from bix agreement keygen)")
	party := fs.String("party", "", "id of the signing party")
	out := fs.String("o", "", "write the signed file here (default: rewrite FILE)")
	path, err := agreementFileArg(env, fs, args, "bix agreement sign FILE -key KEYFILE -party ID [-o OUT]")
	if err != nil {
		return err
	}
	if *keyFile == "" || *party == "" {
		fmt.Fprintln(env.stderr, "usage: bix agreement sign FILE -key KEYFILE -party ID [-o OUT]")
		return errUsage
	}
	kb, err := os.ReadFile(*keyFile)
	if err != nil {
		return err
	}
	priv, err := agreement.ParsePrivateKey(string(kb))
	if err != nil {
		return fmt.Errorf("%s: %w", *keyFile, err)
	}
	a, err := agreementRead(path)
	if err != nil {
		return err
	}
	if err := a.Sign(priv, *party); err != nil {
		return err
	}
	b, err := a.File()
	if err != nil {
		return err
	}
	if *out == "" {
		*out = path
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "signed %s as %s (hash %s)\n", *out, *party, a.HashHex())
	if err := a.Verify(); err != nil {
		fmt.Fprintf(env.stdout, "not yet usable: %v\n", err)
	}
	return nil
}

func agreementVerify(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "agreement verify")
	path, err := agreementFileArg(env, fs, args, "bix agreement verify FILE")
	if err != nil {
		return err
	}
	a, err := agreementRead(path)
	if err != nil {
		return err
	}
	if err := a.Verify(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var who []string
	for _, s := range a.Signatures {
		who = append(who, s.Party)
	}
	fmt.Fprintf(env.stdout, "ok: %s version %d, hash %s, signed by %s\n", a.ID, a.Version, a.HashHex(), strings.Join(who, ", "))
	return nil
}

func agreementShow(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "agreement show")
	path, err := agreementFileArg(env, fs, args, "bix agreement show FILE")
	if err != nil {
		return err
	}
	a, err := agreementRead(path)
	if err != nil {
		return err
	}
	w := env.stdout
	fmt.Fprintf(w, "agreement %s version %d: %s\n", a.ID, a.Version, a.Title)
	fmt.Fprintf(w, "in force %s to %s\n", a.ValidFrom, a.ValidUntil)
	fmt.Fprintf(w, "hash %s\n", a.HashHex())
	if err := a.Verify(); err != nil {
		fmt.Fprintf(w, "signatures: NOT USABLE: %v\n", err)
	} else {
		fmt.Fprintf(w, "signatures: all %d parties signed\n", len(a.Parties))
	}
	fmt.Fprintln(w, "parties:")
	for _, p := range a.Parties {
		fmt.Fprintf(w, "  %s (%s) %s %s\n", p.ID, p.Country, p.Endpoint, p.Name)
	}
	fmt.Fprintln(w, "purposes:")
	for _, p := range a.Purposes {
		fmt.Fprintf(w, "  %s: %s\n", p.ID, p.LegalBasis)
		fmt.Fprintf(w, "    search types %s; candidates from %s; retention %d days\n",
			strings.Join(p.SearchTypes, ", "), strings.Join(p.SearchCategories, ", "), a.RetentionDays(p.ID))
		cats := make([]string, 0, len(p.Disclose))
		for c := range p.Disclose {
			cats = append(cats, c)
		}
		sort.Strings(cats)
		for _, c := range cats {
			fmt.Fprintf(w, "    disclose %s: %s\n", c, strings.Join(p.Disclose[c], ", "))
		}
	}
	fmt.Fprintln(w, "search types:")
	names := make([]string, 0, len(a.SearchTypes))
	for n := range a.SearchTypes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		st := a.SearchTypes[n]
		fmt.Fprintf(w, "  %s: at most %d candidates, %d searches a day\n", n, st.MaxCandidates, st.DailyQuota)
	}
	fmt.Fprintf(w, "minors: under %d, returned only for %s, disclosing only %s\n", a.Minors.AgeBelow,
		agreementOrNone(a.Minors.SearchPurposes), agreementOrNone(a.Minors.DiscloseFields))
	fmt.Fprintln(w, "protection-status guard: built in (never to the country of nationality; a no-hit there)")
	if len(a.Rules) > 0 {
		fmt.Fprintln(w, "rules:")
		for _, r := range a.Rules {
			fmt.Fprintf(w, "  %s (on %s): %s\n", r.ID, r.On, r.Expr)
		}
	}
	return nil
}

func agreementOrNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

func agreementKeygen(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "agreement keygen")
	out := fs.String("o", "", "write the private key to this file (mode 0600)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() != 0 {
		fmt.Fprintln(env.stderr, "usage: bix agreement keygen -o KEYFILE")
		return errUsage
	}
	pub, priv, err := agreement.GenerateKey()
	if err != nil {
		return err
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintln(f, agreement.EncodePrivateKey(priv)); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "%s\n", pub)
	return nil
}

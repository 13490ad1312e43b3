package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/bixproject/bix/internal/agreement"
	"github.com/bixproject/bix/internal/api"
	"github.com/bixproject/bix/internal/demo"
	"github.com/bixproject/bix/internal/exchange"
	"github.com/bixproject/bix/internal/node"
)

// The partner exchange commands: "bix exchange identity" works on a node's
// files; the others talk to a running node over its API, like the other
// client commands (see clientFlags).

func init() {
	register("exchange", command{
		summary: "partner exchange: identity, partners, search, confirm, disclose, received, list, show",
		run: func(ctx context.Context, env *cliEnv, args []string) error {
			return subcommands(ctx, env, "exchange", args, map[string]func(context.Context, *cliEnv, []string) error{
				"identity": exchangeIdentity, "partners": exchangePartners, "search": exchangeSearch, "confirm": exchangeConfirm,
				"disclose": exchangeDisclose, "received": exchangeReceived, "list": exchangeList, "show": exchangeShow,
			})
		},
	})
	registerBench("exchange", benchExchange)
}

// benchExchange is "bix bench exchange": step-1 partner searches over
// loopback against a partner holding -persons synthetic persons.
func benchExchange(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "bench exchange")
	var c demo.BenchConfig
	fs.IntVar(&c.Persons, "persons", 10000, "persons the partner holds (ten finger templates each)")
	fs.DurationVar(&c.Duration, "duration", time.Minute, "how long searches are sustained")
	fs.IntVar(&c.Concurrency, "concurrency", 1, "searches in flight")
	fs.IntVar(&c.Masters, "masters", 500, "synthetic master fingers the holding is made from")
	fs.IntVar(&c.Shortlist, "shortlist", 1000, "the partner's gallery pre-filter shortlist, as a production node would use (0: exhaustive search)")
	fs.Int64Var(&c.Seed, "seed", 1, "seed")
	asJSON := fs.Bool("json", false, "print one JSON object (persons, p50_ms, p99_ms, local_p50_ms, searches_per_sec, errors, ...)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 || c.Persons < 1 || c.Duration <= 0 {
		fmt.Fprintln(env.stderr, "usage: bix bench exchange [-persons N] [-duration D] [-concurrency C] [-shortlist L] [-json]")
		return errUsage
	}
	c.Log = func(format string, a ...any) { fmt.Fprintf(env.stderr, "bench exchange: "+format+"\n", a...) }
	r, err := demo.RunExchangeBench(ctx, c)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(env.stdout).Encode(r)
	}
	mode := "exhaustive search (-shortlist 0)"
	if r.Shortlist > 0 {
		mode = fmt.Sprintf("pre-filter shortlist %d; -shortlist 0 searches exhaustively", r.Shortlist)
	}
	fmt.Fprintf(env.stdout, "exchange: step-1 searches, %d in flight, over loopback (mutual TLS, signed both ways, agreement, audit on both sides), partner holding %d persons × 10 fingers (%s), 2-finger mated probes, %d cores shared by both nodes\n",
		r.Concurrency, r.Persons, mode, r.Cores)
	fmt.Fprintf(env.stdout, "  remote: p50 %.1f ms  p99 %.1f ms  %.1f searches/s over %.0f s  (%d searches, %d hits, %d errors)\n", r.P50ms, r.P99ms, r.SearchesPerSec, r.DurationS, r.Searches, r.Hits, r.Errors)
	fmt.Fprintf(env.stdout, "  local search on the partner's gallery: p50 %.1f ms; the exchange's own cost: p50 %.1f ms (each probe through the exchange right after its local search; sustained remote p50 minus local p50: %.1f ms)\n",
		r.LocalP50ms, r.OverheadP50ms, r.P50ms-r.LocalP50ms)
	fmt.Fprintf(env.stdout, "  mate at rank 1 in local searches: %.1f%% (%s)\n", 100*r.LocalMateRank1, r.Mode)
	fmt.Fprintf(env.stdout, "  bulk import of the holding: %.1f s\n", r.ImportS)
	return nil
}

// exchangeIdentity prints (making it on first use) a node's exchange
// identity: what its party entry in an agreement must say.
func exchangeIdentity(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "exchange identity")
	cfgPath := fs.String("config", "", "node configuration file with an exchange: block (identity_dir, node_id, listen)")
	dir := fs.String("dir", "", "identity directory (instead of -config)")
	nodeID := fs.String("node-id", "", "the node's party id (with -dir)")
	hosts := fs.String("hosts", "", "comma-separated names and addresses for a new certificate (default: the listen host and localhost)")
	keyOut := fs.String("signing-key-out", "", "also write the signing key in the form bix agreement sign -key reads (mode 0600)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 || (*cfgPath == "") == (*dir == "") {
		fmt.Fprintln(env.stderr, "usage: bix exchange identity -config node.yaml | -dir DIR -node-id ID [-hosts H,...] [-signing-key-out FILE] [-json]")
		return errUsage
	}
	var hostList []string
	if *hosts != "" {
		hostList = strings.Split(*hosts, ",")
	}
	if *cfgPath != "" {
		cfg, err := node.LoadConfig(*cfgPath)
		if err != nil {
			return err
		}
		if cfg.Exchange == nil {
			return fmt.Errorf("%s has no exchange: block", *cfgPath)
		}
		*nodeID, *dir = cfg.NodeID, cfg.Exchange.IdentityDir
		if *dir == "" {
			*dir = cfg.DataDir
		}
		if hostList == nil {
			hostList = cfg.Exchange.Hosts
		}
		if hostList == nil {
			hostList = exchange.DefaultHosts(cfg.Exchange.Listen)
		}
		if *nodeID == "" {
			*nodeID = "bix-node" // node.Config's default
		}
	}
	if *nodeID == "" {
		return errors.New("-node-id is required with -dir")
	}
	if hostList == nil {
		hostList = []string{"localhost"}
	}
	id, created, err := exchange.LoadOrCreateIdentity(*dir, *nodeID, hostList, time.Now())
	if err != nil {
		return err
	}
	if *keyOut != "" {
		if err := writeFileAtomic(*keyOut, []byte(agreement.EncodePrivateKey(id.SigningKey)+"\n"), 0o600); err != nil {
			return err
		}
	}
	key := base64.StdEncoding.EncodeToString(id.SigningPublicKey())
	if *asJSON {
		return printJSON(env.stdout, map[string]any{"node_id": id.NodeID, "dir": *dir, "created": created, "tls_spki_sha256": id.Pin(),
			"signing_key": key, "certificate_not_after": id.TLS.Leaf.NotAfter.UTC().Format(time.RFC3339)})
	}
	if created {
		fmt.Fprintf(env.stdout, "# created a new exchange identity in %s\n", *dir)
	}
	fmt.Fprintf(env.stdout, "# this node's party entry for the agreement (add name, country and endpoint):\n")
	fmt.Fprintf(env.stdout, "  - id: %s\n    tls_spki_sha256: %s\n    signing_keys:\n      - %s\n", id.NodeID, id.Pin(), key)
	return nil
}

func exchangePartners(ctx context.Context, env *cliEnv, args []string) error {
	c, cf, err := noArgs(ctx, env, "exchange partners", args, nil)
	if err != nil {
		return err
	}
	ps, err := c.ExchangePartners(ctx)
	if err != nil {
		return err
	}
	if *cf.json {
		return printJSON(env.stdout, ps)
	}
	for _, p := range ps {
		fmt.Fprintf(env.stdout, "%s (%s, %s): agreement %s v%d until %s\n", p.ID, p.Name, p.Country, p.Agreement, p.AgreementVersion, p.ValidUntil)
		for _, pu := range p.Purposes {
			fmt.Fprintf(env.stdout, "  purpose %s [%s]: %s\n", pu.ID, strings.Join(pu.SearchTypes, ", "), pu.LegalBasis)
		}
	}
	return nil
}

func exchangeSearch(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "exchange search")
	cf := addClientFlags(fs)
	var fingers fingerFlag
	fs.Var(&fingers, "f", "finger image as POSITION=FILE (repeatable); templates are extracted by the node, images never leave it")
	var req api.ExchangeSearchRequest
	fs.StringVar(&req.Partner, "partner", "", "the partner's party id")
	fs.StringVar(&req.SearchType, "type", "", "search type (default fingerprint_1n)")
	fs.IntVar(&req.MaxCandidates, "max", 0, "most candidates (the agreement's cap applies)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if req.Partner == "" || len(fingers) == 0 || fs.NArg() != 0 {
		fmt.Fprintln(env.stderr, "usage: bix exchange search -partner ID -purpose PURPOSE [-type T] [-max N] -f POS=IMAGE ...")
		return errUsage
	}
	req.Purpose, req.Fingers = *cf.purpose, fingers
	c, err := cf.client(ctx, env)
	if err != nil {
		return err
	}
	res, err := c.ExchangeSearch(ctx, &req)
	if err != nil {
		return err
	}
	if *cf.json {
		return printJSON(env.stdout, res)
	}
	printOutcome(env.stdout, &res.Outcome)
	return nil
}

// printOutcome prints the state of a request sent to a partner.
func printOutcome(w io.Writer, o *exchange.Outcome) {
	fmt.Fprintf(w, "request %s to %s: %s", o.RequestID, o.Partner, o.Status)
	switch {
	case o.Search != nil:
		fmt.Fprintf(w, ", %s", o.Search.Result)
		if o.Search.Code != "" {
			fmt.Fprintf(w, " (%s)", o.Search.Code)
		}
		fmt.Fprintln(w)
		for i, c := range o.Search.Candidates {
			fmt.Fprintf(w, "  %d. reference %s band %s, %d reference templates\n", i+1, c.Reference, c.Band, len(c.Fingers))
		}
	case o.Disclosure != nil:
		fmt.Fprintf(w, ", %s", o.Disclosure.Result)
		if o.Disclosure.Code != "" {
			fmt.Fprintf(w, " (%s)", o.Disclosure.Code)
		}
		if o.Disclosure.RetainUntil != "" {
			fmt.Fprintf(w, ", keep until %s", o.Disclosure.RetainUntil)
		}
		fmt.Fprintln(w)
		printFields(w, o.Disclosure.Fields)
	case o.Refusal != nil:
		fmt.Fprintf(w, ", refused: %s: %s\n", o.Refusal.Code, o.Refusal.Message)
	case o.LastError != "":
		fmt.Fprintf(w, " (last attempt: %s; the outbox retries)\n", o.LastError)
	default:
		fmt.Fprintln(w)
	}
}

func printFields(w io.Writer, fields map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		fmt.Fprintf(w, "  %s: %s\n", k, fields[k])
	}
}

// searchIDArg parses a command on one search request id with extra flags.
func searchIDArg(ctx context.Context, env *cliEnv, name, usage string, args []string, extra func(*flag.FlagSet)) (*api.Client, string, *clientFlags, error) {
	fs := newFlagSet(env, name)
	cf := addClientFlags(fs)
	extra(fs)
	if err := fs.Parse(args); err != nil {
		return nil, "", nil, err
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(env.stderr, "usage: bix "+name+" "+usage)
		return nil, "", nil, errUsage
	}
	id, err := resolveRef(fs.Arg(0))
	if err != nil {
		return nil, "", nil, err
	}
	c, err := cf.client(ctx, env)
	return c, id, cf, err
}

func exchangeConfirm(ctx context.Context, env *cliEnv, args []string) error {
	var req api.ExchangeConfirmRequest
	var ref *string
	const usage = "-reference REF -outcome same|different|inconclusive -reason CODE SEARCH-REQUEST-ID"
	c, id, cf, err := searchIDArg(ctx, env, "exchange confirm", usage, args, func(fs *flag.FlagSet) {
		ref = fs.String("reference", "", "the partner's candidate reference")
		fs.StringVar(&req.Outcome, "outcome", "", "same, different or inconclusive")
		fs.StringVar(&req.ReasonCode, "reason", "", "reason code")
	})
	if err != nil {
		return err
	}
	if *ref == "" || req.Outcome == "" {
		fmt.Fprintln(env.stderr, "usage: bix exchange confirm "+usage)
		return errUsage
	}
	if req.Reference, err = resolveRef(*ref); err != nil {
		return err
	}
	conf, err := c.ExchangeConfirm(ctx, id, req)
	if err != nil {
		return err
	}
	if *cf.json {
		return printJSON(env.stdout, conf)
	}
	fmt.Fprintf(env.stdout, "confirmed %s of request %s: %s (%s), score %.3f, examiner %s\n", conf.Reference, conf.SearchRequestID, conf.Outcome, conf.ReasonCode, conf.Score, conf.Examiner)
	return nil
}

func exchangeDisclose(ctx context.Context, env *cliEnv, args []string) error {
	var ref *string
	const usage = "-reference REF SEARCH-REQUEST-ID   (after an examiner confirmed REF as the same person)"
	c, id, cf, err := searchIDArg(ctx, env, "exchange disclose", usage, args, func(fs *flag.FlagSet) {
		ref = fs.String("reference", "", "the partner's candidate reference")
	})
	if err != nil {
		return err
	}
	if *ref == "" {
		fmt.Fprintln(env.stderr, "usage: bix exchange disclose "+usage)
		return errUsage
	}
	r, err := resolveRef(*ref)
	if err != nil {
		return err
	}
	o, err := c.ExchangeDisclose(ctx, id, r)
	if err != nil {
		return err
	}
	if *cf.json {
		return printJSON(env.stdout, o)
	}
	printOutcome(env.stdout, o)
	return nil
}

func exchangeReceived(ctx context.Context, env *cliEnv, args []string) error {
	var partner, ref *string
	c, cf, err := noArgs(ctx, env, "exchange received", args, func(fs *flag.FlagSet) {
		partner = fs.String("partner", "", "the partner's party id")
		ref = fs.String("reference", "", "the partner's reference")
	})
	if err != nil {
		return err
	}
	if *partner == "" || *ref == "" {
		fmt.Fprintln(env.stderr, "usage: bix exchange received -partner ID -reference REF")
		return errUsage
	}
	r, err := resolveRef(*ref)
	if err != nil {
		return err
	}
	rec, err := c.ExchangeReceived(ctx, *partner, r)
	if err != nil {
		return err
	}
	if *cf.json {
		return printJSON(env.stdout, rec)
	}
	fmt.Fprintf(env.stdout, "received from %s under %s:\n", rec.Partner, rec.Reference)
	printFields(env.stdout, rec.Fields)
	return nil
}

func exchangeList(ctx context.Context, env *cliEnv, args []string) error {
	var limit *int
	c, cf, err := noArgs(ctx, env, "exchange list", args, func(fs *flag.FlagSet) {
		limit = fs.Int("limit", 0, "most messages (default 100)")
	})
	if err != nil {
		return err
	}
	l, err := c.ExchangeMessages(ctx, *limit)
	if err != nil {
		return err
	}
	if *cf.json {
		return printJSON(env.stdout, l)
	}
	for _, m := range l {
		dir := "→"
		if m.Direction == "in" {
			dir = "←"
		}
		fmt.Fprintf(env.stdout, "%s %s %s %-9s %-14s %-9s", m.CreatedAt, dir, m.Partner, m.Type, m.Purpose, m.Status)
		if m.Result != "" {
			fmt.Fprintf(env.stdout, " %s", m.Result)
		}
		if m.Code != "" {
			fmt.Fprintf(env.stdout, " (%s)", m.Code)
		}
		fmt.Fprintf(env.stdout, " %s\n", m.RequestID)
	}
	return nil
}

func exchangeShow(ctx context.Context, env *cliEnv, args []string) error {
	c, id, _, err := oneArg(ctx, env, "exchange show", "[flags] REQUEST-ID", args)
	if err != nil {
		return err
	}
	m, err := c.ExchangeMessage(ctx, id)
	if err != nil {
		return err
	}
	return printJSON(env.stdout, m)
}

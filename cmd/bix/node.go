package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/bixproject/bix/ansinist"
	"github.com/bixproject/bix/internal/api"
	"github.com/bixproject/bix/internal/exchange"
	"github.com/bixproject/bix/internal/gallery"
	"github.com/bixproject/bix/internal/node"
)

// The node commands: "bix serve" runs a node; the others talk to one over
// its HTTP API (internal/api). Logic lives in internal/node and
// internal/api; this file parses flags and prints.

func init() {
	register("serve", command{summary: "run a node: bix serve -config node.yaml", run: serveCmd})
	register("enroll", command{summary: "enroll a person at a node from images, a JSON request or an ANSI/NIST-ITL file", run: enrollCmd})
	register("identify", command{summary: "search a node's gallery (1:N) with finger images", run: identifyCmd})
	register("verify", command{summary: "compare finger images with one identity (1:1)", run: verifyCmd})
	register("person", command{summary: "a person's record and rights: show, access, contest, review, rectify, erase, mark-protected", run: func(ctx context.Context, env *cliEnv, args []string) error {
		return subcommands(ctx, env, "person", args, personSubcommands())
	}})
	register("watchlist", command{summary: "watchlist entries and alerts: add, remove, list, alerts", run: func(ctx context.Context, env *cliEnv, args []string) error {
		return subcommands(ctx, env, "watchlist", args, map[string]func(context.Context, *cliEnv, []string) error{
			"add": watchlistAdd, "remove": watchlistRemove, "list": watchlistList, "alerts": watchlistAlerts,
		})
	}})
	register("adjudicate", command{summary: "adjudication tasks: list, claim, decide", run: func(ctx context.Context, env *cliEnv, args []string) error {
		return subcommands(ctx, env, "adjudicate", args, map[string]func(context.Context, *cliEnv, []string) error{
			"list": adjudicateList, "claim": adjudicateClaim, "decide": adjudicateDecide,
		})
	}})
	registerBench("identify", benchIdentify)
	register("user", command{summary: "node users: bix user add NAME ROLE", run: func(ctx context.Context, env *cliEnv, args []string) error {
		return subcommands(ctx, env, "user", args, map[string]func(context.Context, *cliEnv, []string) error{"add": userAdd, "list": userList})
	}})
}

// nodeURLFile is written into the data directory by serve with the URL it
// listens on, so that clients given -config find it.
const nodeURLFile = "node.url"

// adminTokenFile receives the first admin's token when serve creates the
// node's first user.
const adminTokenFile = "admin.token"

func serveCmd(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "serve")
	cfgPath := fs.String("config", "", "node configuration file (YAML)")
	listen := fs.String("listen", "", "listen address (overrides the configuration's listen)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cfgPath == "" || fs.NArg() != 0 {
		fmt.Fprintln(env.stderr, "usage: bix serve -config node.yaml [-listen ADDR]")
		return errUsage
	}
	cfg, err := node.LoadConfig(*cfgPath)
	if err != nil {
		return err
	}
	cfg.Getenv = env.getenv
	if *listen != "" {
		cfg.Listen = *listen
	}
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:8440"
	}
	logger := slog.New(slog.NewJSONHandler(env.stderr, nil))
	n, err := node.Open(ctx, *cfg, logger)
	if err != nil {
		return err
	}
	defer n.Close()
	tok, err := n.Bootstrap(ctx)
	if err != nil {
		return err
	}
	if tok != "" {
		p := filepath.Join(cfg.DataDir, adminTokenFile)
		if err := writeFileAtomic(p, []byte(tok+"\n"), 0o600); err != nil {
			return err
		}
		logger.Info("created the first user, admin; its token is in "+p, "file", p)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String()
	urlFile := filepath.Join(cfg.DataDir, nodeURLFile)
	if err := writeFileAtomic(urlFile, []byte(url+"\n"), 0o600); err != nil {
		return err
	}
	defer os.Remove(urlFile)
	srv := api.NewServer(n, logger)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	xdone, err := startExchange(ctx, n, srv, logger)
	if err != nil {
		ln.Close()
		return err
	}
	logger.Info("serving", "url", url, "node", n.Config().NodeID)
	err = srv.Serve(ctx, ln)
	cancel() // the API stopped: stop the exchange too
	if xerr := <-xdone; err == nil {
		err = xerr
	}
	return err
}

// startExchange starts the node's partner exchange when its configuration
// has an exchange: block (endpoint, outbox retries and witnessing, stopped
// by ctx) and gives it to the API server. The channel receives the
// exchange's result once it has stopped (at once without the block).
func startExchange(ctx context.Context, n *node.Node, srv *api.Server, logger *slog.Logger) (<-chan error, error) {
	done := make(chan error, 1)
	xc := n.Config().Exchange
	if xc == nil {
		done <- nil
		return done, nil
	}
	x, err := exchange.Open(ctx, n, logger.With("component", "exchange"))
	if err != nil {
		return nil, err
	}
	xln, err := net.Listen("tcp", xc.Listen)
	if err != nil {
		return nil, fmt.Errorf("exchange: %w", err)
	}
	srv.SetExchange(x)
	logger.Info("partner exchange", "endpoint", "https://"+xln.Addr().String(), "tls_spki_sha256", x.Identity().Pin(), "partners", len(x.Partners()))
	go func() { done <- x.Start(ctx, xln, xc.WitnessInterval) }()
	return done, nil
}

func writeFileAtomic(path string, b []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// clientFlags are the flags every client command takes.
type clientFlags struct {
	node, token, tokenFile, config, purpose *string
	json                                    *bool
}

func addClientFlags(fs *flag.FlagSet) *clientFlags {
	return &clientFlags{
		node:      fs.String("node", "", "node URL (default $BIX_NODE)"),
		token:     fs.String("token", "", "bearer token (default $BIX_TOKEN)"),
		tokenFile: fs.String("token-file", "", "file holding the bearer token"),
		config:    fs.String("config", "", "node configuration file: find the running node's URL in its data directory"),
		purpose:   fs.String("purpose", "", "purpose of the request, logged with the action"),
		json:      fs.Bool("json", false, "print the node's JSON response"),
	}
}

// client builds the API client from the flags and environment.
func (f *clientFlags) client(ctx context.Context, env *cliEnv) (*api.Client, error) {
	c := &api.Client{BaseURL: *f.node, Token: *f.token, Purpose: *f.purpose}
	if c.BaseURL == "" && *f.config != "" {
		cfg, err := node.LoadConfig(*f.config)
		if err != nil {
			return nil, err
		}
		if c.BaseURL, err = waitNodeURL(ctx, filepath.Join(cfg.DataDir, nodeURLFile)); err != nil {
			return nil, err
		}
	}
	if c.BaseURL == "" {
		c.BaseURL = env.getenv("BIX_NODE")
	}
	if c.BaseURL == "" {
		return nil, errors.New("no node: give -node URL, -config FILE or set BIX_NODE")
	}
	if c.Token == "" && *f.tokenFile != "" {
		b, err := os.ReadFile(*f.tokenFile)
		if err != nil {
			return nil, err
		}
		c.Token = strings.TrimSpace(string(b))
	}
	if c.Token == "" {
		c.Token = env.getenv("BIX_TOKEN")
	}
	return c, nil
}

// waitNodeURL waits up to 30 s for a starting node to write its URL and
// answer /healthz.
func waitNodeURL(ctx context.Context, path string) (string, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err == nil {
			url := strings.TrimSpace(string(b))
			hctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			_, herr := (&api.Client{BaseURL: url}).Health(hctx)
			cancel()
			if herr == nil {
				return url, nil
			}
			err = herr
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("node not reachable (%s): %v", path, err)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// fingerFlag collects -f POSITION=FILE images.
type fingerFlag []node.FingerImage

func (f *fingerFlag) String() string { return "" }

func (f *fingerFlag) Set(v string) error {
	pos, file, ok := strings.Cut(v, "=")
	p, err := strconv.Atoi(pos)
	if !ok || err != nil {
		return fmt.Errorf("want POSITION=FILE (finger position 0..10), got %q", v)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	*f = append(*f, node.FingerImage{Position: p, Image: b})
	return nil
}

// isTransaction reports whether b looks like an ANSI/NIST-ITL transaction.
func isTransaction(b []byte) bool {
	return bytes.HasPrefix(b, []byte("1.001:")) || bytes.HasPrefix(b, []byte("1.01:")) || ansinist.IsXML(b)
}

// transactionFingers decodes an ANSI/NIST-ITL file's finger images locally
// and returns them as PNG for a search.
func transactionFingers(b []byte) ([]node.FingerImage, error) {
	tr, err := ansinist.Parse(b)
	if err != nil {
		return nil, err
	}
	fs, err := tr.Fingers()
	var out []node.FingerImage
	for _, f := range fs {
		if f.Image == nil || f.Position < 1 || f.Position > 10 {
			continue
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, f.Image); err != nil {
			return nil, err
		}
		out = append(out, node.FingerImage{Position: f.Position, PPI: f.PPI, Image: buf.Bytes()})
	}
	if len(out) == 0 {
		if err == nil {
			err = errors.New("no finger image of positions 1..10")
		}
		return nil, err
	}
	return out, nil
}

// resolveRef returns arg, or for an argument @FILE#FIELD the value of FIELD
// (a dotted path; numbers index arrays) in the JSON file FILE, so that
// scripts can pass on ids from an earlier command's -json output.
func resolveRef(arg string) (string, error) {
	ref, ok := strings.CutPrefix(arg, "@")
	if !ok {
		return arg, nil
	}
	file, path, _ := strings.Cut(ref, "#")
	b, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return "", fmt.Errorf("%s: %w", file, err)
	}
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(x) {
				return "", fmt.Errorf("%s: no element %q in %s", file, k, path)
			}
			v = x[i]
		default:
			v = nil
		}
		if v == nil {
			return "", fmt.Errorf("%s: no field %q in %s", file, k, path)
		}
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s: %s is not a string", file, path)
	}
	return s, nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func enrollCmd(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "enroll")
	cf := addClientFlags(fs)
	var fingers fingerFlag
	fs.Var(&fingers, "f", "finger image as POSITION=FILE (repeatable)")
	var faces faceFlag
	fs.Var(&faces, "face", "face image file, JPEG or PNG (repeatable)")
	var req node.EnrollRequest
	fs.StringVar(&req.Person.GivenName, "given", "", "given name")
	fs.StringVar(&req.Person.FamilyName, "family", "", "family name")
	fs.StringVar(&req.Person.Sex, "sex", "", "sex: M, F, X or U")
	fs.StringVar(&req.Person.BirthDate, "birth", "", "birth date YYYY-MM-DD")
	fs.StringVar(&req.Person.Nationality, "nationality", "", "nationality (ISO 3166-1 alpha-3)")
	fs.StringVar(&req.Encounter.Category, "category", "", "category of person")
	fs.StringVar(&req.Encounter.Location, "location", "", "where the encounter took place")
	fs.BoolVar(&req.Encounter.Consent, "consent", false, "consent was given")
	fs.BoolVar(&req.Encounter.Notice, "notice", false, "notice was given")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if (fs.NArg() == 0) == (len(fingers)+len(faces) == 0) || fs.NArg() > 1 {
		fmt.Fprintln(env.stderr, "usage: bix enroll [flags] FILE (JSON request or ANSI/NIST-ITL transaction), or bix enroll [flags] -f POS=IMAGE ... -face IMAGE ...")
		return errUsage
	}
	c, err := cf.client(ctx, env)
	if err != nil {
		return err
	}
	var res *node.EnrollResult
	if fs.NArg() == 1 {
		b, err := os.ReadFile(fs.Arg(0))
		if err != nil {
			return err
		}
		if isTransaction(b) {
			res, err = c.EnrollTransaction(ctx, bytes.NewReader(b), req.Encounter)
		} else {
			var r node.EnrollRequest
			if err := json.Unmarshal(b, &r); err != nil {
				return fmt.Errorf("%s: neither an ANSI/NIST-ITL transaction nor a JSON enrollment request: %v", fs.Arg(0), err)
			}
			res, err = c.Enroll(ctx, &r)
		}
		if err != nil {
			return err
		}
	} else {
		req.Fingers, req.Faces = fingers, faces
		if res, err = c.Enroll(ctx, &req); err != nil {
			return err
		}
	}
	if *cf.json {
		return printJSON(env.stdout, res)
	}
	fmt.Fprintf(env.stdout, "%s person %s encounter %s\n", res.Status, res.PersonID, res.EncounterID)
	printSamples(env.stdout, res.Samples)
	if res.TaskID != "" {
		fmt.Fprintf(env.stdout, "adjudication task %s (threshold %.3f)\n", res.TaskID, res.Threshold)
	}
	printCandidates(env.stdout, res.Candidates)
	for _, a := range res.Alerts {
		fmt.Fprintf(env.stdout, "ALERT watchlist %q: person %s score %.3f\n", a.List, a.PersonID, a.Score)
	}
	return nil
}

func printSamples(w io.Writer, ss []node.SampleResult) {
	for _, s := range ss {
		switch {
		case s.Modality == "face" && s.Status == "ok":
			fmt.Fprintf(w, "  face: ok, quality %d\n", s.Quality)
		case s.Modality == "face":
			fmt.Fprintf(w, "  face: %s: %s\n", s.Status, s.Reason)
		case s.Status == "ok":
			fmt.Fprintf(w, "  finger %d: ok, quality %d, %d minutiae\n", s.Position, s.Quality, s.Minutiae)
		default:
			fmt.Fprintf(w, "  finger %d: %s: %s\n", s.Position, s.Status, s.Reason)
		}
	}
}

// printCandidates prints a candidate list: per-finger scores, and for
// fused searches the face score and the evidence of each modality.
func printCandidates(w io.Writer, cs []gallery.Candidate) {
	for _, c := range cs {
		fmt.Fprintf(w, "  %d. %s score %.3f", c.Rank, c.PersonID, c.Score)
		for _, s := range c.Scores {
			if s.Modality == gallery.Face {
				fmt.Fprintf(w, " [face %.3f rank %d]", s.Score, s.Rank)
			} else {
				fmt.Fprintf(w, " [finger %d %.3f rank %d]", s.Position, s.Score, s.Rank)
			}
		}
		if f := c.Fusion; f != nil {
			fmt.Fprintf(w, " evidence: fingers %.2f", f.FingerEvidence)
			if f.Face {
				fmt.Fprintf(w, ", face %.2f", f.FaceEvidence)
			}
			if f.FaceOnly {
				fmt.Fprint(w, " FACE-ONLY MATCH")
			}
		}
		fmt.Fprintln(w)
	}
}

// faceFlag collects -face IMAGE flags.
type faceFlag []node.FaceImage

func (f *faceFlag) String() string { return fmt.Sprint(len(*f), " face image(s)") }

func (f *faceFlag) Set(v string) error {
	b, err := os.ReadFile(v)
	if err != nil {
		return err
	}
	*f = append(*f, node.FaceImage{Image: b})
	return nil
}

func identifyCmd(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "identify")
	cf := addClientFlags(fs)
	var fingers fingerFlag
	fs.Var(&fingers, "f", "finger image as POSITION=FILE (repeatable)")
	faceFile := fs.String("face", "", "face image file, JPEG or PNG")
	maxC := fs.Int("max", 0, "most candidates (default: the node's)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if (fs.NArg() == 0) == (len(fingers) == 0 && *faceFile == "") || fs.NArg() > 1 {
		fmt.Fprintln(env.stderr, "usage: bix identify [flags] FILE (ANSI/NIST-ITL transaction or JSON request), or bix identify [flags] [-f POS=IMAGE ...] [-face IMAGE]")
		return errUsage
	}
	req := &api.IdentifyRequest{Fingers: fingers}
	if *faceFile != "" {
		b, err := os.ReadFile(*faceFile)
		if err != nil {
			return err
		}
		req.Face = &node.FaceImage{Image: b}
	}
	req.MaxCandidates = *maxC
	if fs.NArg() == 1 {
		b, err := os.ReadFile(fs.Arg(0))
		if err != nil {
			return err
		}
		if isTransaction(b) {
			if req.Fingers, err = transactionFingers(b); err != nil {
				return fmt.Errorf("%s: %w", fs.Arg(0), err)
			}
		} else if err := json.Unmarshal(b, req); err != nil {
			return fmt.Errorf("%s: neither an ANSI/NIST-ITL transaction nor a JSON identify request: %v", fs.Arg(0), err)
		}
	}
	c, err := cf.client(ctx, env)
	if err != nil {
		return err
	}
	res, err := c.Identify(ctx, req)
	if err != nil {
		return err
	}
	if *cf.json {
		return printJSON(env.stdout, res)
	}
	if res.Hit {
		fmt.Fprintf(env.stdout, "hit: %d candidate(s) at or above threshold %.3f\n", len(res.Candidates), res.Threshold)
	} else {
		fmt.Fprintf(env.stdout, "no hit (threshold %.3f)\n", res.Threshold)
	}
	if res.Fused {
		fmt.Fprintf(env.stdout, "fused search: scores are -log10 false match probability; a face alone needs %.3f\n", res.FaceThreshold)
	}
	printSamples(env.stdout, res.Samples)
	printCandidates(env.stdout, res.Candidates)
	return nil
}

func verifyCmd(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "verify")
	cf := addClientFlags(fs)
	var fingers fingerFlag
	fs.Var(&fingers, "f", "finger image as POSITION=FILE (repeatable)")
	person := fs.String("person", "", "person id to verify against")
	faceFile := fs.String("face", "", "face image file, JPEG or PNG")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *person == "" || (len(fingers) == 0 && *faceFile == "") || fs.NArg() != 0 {
		fmt.Fprintln(env.stderr, "usage: bix verify -person ID [-f POS=IMAGE ...] [-face IMAGE]")
		return errUsage
	}
	vreq := api.VerifyRequest{Fingers: fingers}
	if *faceFile != "" {
		b, err := os.ReadFile(*faceFile)
		if err != nil {
			return err
		}
		vreq.Face = &node.FaceImage{Image: b}
	}
	id, err := resolveRef(*person)
	if err != nil {
		return err
	}
	c, err := cf.client(ctx, env)
	if err != nil {
		return err
	}
	res, err := c.Verify(ctx, id, vreq)
	if err != nil {
		return err
	}
	if *cf.json {
		return printJSON(env.stdout, res)
	}
	verdict := "no match"
	if res.Match {
		verdict = "match"
	}
	fmt.Fprintf(env.stdout, "%s: person %s score %.3f (threshold %.3f)\n", verdict, res.PersonID, res.Score, res.Threshold)
	if f := res.Fusion; f != nil {
		fmt.Fprintf(env.stdout, "  fused: fingers %d evidence %.2f", f.Fingers, f.FingerEvidence)
		if f.Face {
			fmt.Fprintf(env.stdout, "; face %.3f evidence %.2f (a face alone needs %.3f)", f.FaceScore, f.FaceEvidence, res.FaceThreshold)
		}
		fmt.Fprintln(env.stdout)
	}
	return nil
}

// oneArg parses a client command taking exactly one positional argument.
func oneArg(ctx context.Context, env *cliEnv, name, usage string, args []string) (*api.Client, string, *clientFlags, error) {
	fs := newFlagSet(env, name)
	cf := addClientFlags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, "", nil, err
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(env.stderr, "usage: bix "+name+" "+usage)
		return nil, "", nil, errUsage
	}
	arg, err := resolveRef(fs.Arg(0))
	if err != nil {
		return nil, "", nil, err
	}
	c, err := cf.client(ctx, env)
	return c, arg, cf, err
}

func personShow(ctx context.Context, env *cliEnv, args []string) error {
	c, id, _, err := oneArg(ctx, env, "person show", "[flags] ID", args)
	if err != nil {
		return err
	}
	p, err := c.Person(ctx, id)
	if err != nil {
		return err
	}
	return printJSON(env.stdout, p)
}

func watchlistAdd(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "watchlist add")
	cf := addClientFlags(fs)
	var req api.WatchlistRequest
	fs.StringVar(&req.PersonID, "person", "", "person id")
	fs.StringVar(&req.List, "list", "", "watchlist name")
	fs.StringVar(&req.Reason, "reason", "", "reason (legal basis, case number)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if req.PersonID == "" || req.List == "" || fs.NArg() != 0 {
		fmt.Fprintln(env.stderr, "usage: bix watchlist add -person ID -list NAME [-reason TEXT]")
		return errUsage
	}
	var err error
	if req.PersonID, err = resolveRef(req.PersonID); err != nil {
		return err
	}
	c, err := cf.client(ctx, env)
	if err != nil {
		return err
	}
	e, err := c.WatchlistAdd(ctx, req)
	if err != nil {
		return err
	}
	if *cf.json {
		return printJSON(env.stdout, e)
	}
	fmt.Fprintf(env.stdout, "watchlist entry %s: person %s on %q\n", e.ID, e.PersonID, e.List)
	return nil
}

func watchlistRemove(ctx context.Context, env *cliEnv, args []string) error {
	c, id, _, err := oneArg(ctx, env, "watchlist remove", "[flags] ENTRY-ID", args)
	if err != nil {
		return err
	}
	if err := c.WatchlistRemove(ctx, id); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "removed watchlist entry %s\n", id)
	return nil
}

// noArgs parses a client command taking no positional arguments.
func noArgs(ctx context.Context, env *cliEnv, name string, args []string, extra func(*flag.FlagSet)) (*api.Client, *clientFlags, error) {
	fs := newFlagSet(env, name)
	cf := addClientFlags(fs)
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	if fs.NArg() != 0 {
		fmt.Fprintln(env.stderr, "usage: bix "+name+" [flags]")
		return nil, nil, errUsage
	}
	c, err := cf.client(ctx, env)
	return c, cf, err
}

func watchlistList(ctx context.Context, env *cliEnv, args []string) error {
	c, _, err := noArgs(ctx, env, "watchlist list", args, nil)
	if err != nil {
		return err
	}
	l, err := c.Watchlist(ctx)
	if err != nil {
		return err
	}
	return printJSON(env.stdout, l)
}

func watchlistAlerts(ctx context.Context, env *cliEnv, args []string) error {
	c, _, err := noArgs(ctx, env, "watchlist alerts", args, nil)
	if err != nil {
		return err
	}
	l, err := c.Alerts(ctx)
	if err != nil {
		return err
	}
	return printJSON(env.stdout, l)
}

func adjudicateList(ctx context.Context, env *cliEnv, args []string) error {
	var state *string
	c, cf, err := noArgs(ctx, env, "adjudicate list", args, func(fs *flag.FlagSet) {
		state = fs.String("state", "", "open, claimed or decided (default all)")
	})
	if err != nil {
		return err
	}
	l, err := c.Tasks(ctx, *state)
	if err != nil {
		return err
	}
	if *cf.json {
		return printJSON(env.stdout, l)
	}
	for _, t := range l {
		fmt.Fprintf(env.stdout, "task %s %s: encounter %s, provisional person %s", t.ID, t.State, t.EncounterID, t.PersonID)
		if t.ClaimedBy != "" {
			fmt.Fprintf(env.stdout, ", claimed by %s", t.ClaimedBy)
		}
		if t.Decision != nil {
			fmt.Fprintf(env.stdout, ", decided %s (%s) by %s", t.Decision.Outcome, t.Decision.ReasonCode, t.Decision.Examiner)
		}
		fmt.Fprintln(env.stdout)
		printCandidates(env.stdout, t.Candidates)
	}
	return nil
}

func adjudicateClaim(ctx context.Context, env *cliEnv, args []string) error {
	c, id, _, err := oneArg(ctx, env, "adjudicate claim", "[flags] TASK-ID", args)
	if err != nil {
		return err
	}
	t, err := c.Claim(ctx, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "task %s claimed by %s\n", t.ID, t.ClaimedBy)
	return nil
}

func adjudicateDecide(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "adjudicate decide")
	cf := addClientFlags(fs)
	var d node.Decision
	fs.StringVar(&d.Outcome, "outcome", "", "same, different or inconclusive")
	fs.StringVar(&d.Candidate, "candidate", "", "the candidate person judged the same (outcome same)")
	fs.StringVar(&d.ReasonCode, "reason", "", "reason code")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || d.Outcome == "" {
		fmt.Fprintln(env.stderr, "usage: bix adjudicate decide -outcome same|different|inconclusive [-candidate ID] -reason CODE TASK-ID")
		return errUsage
	}
	id, err := resolveRef(fs.Arg(0))
	if err != nil {
		return err
	}
	if d.Candidate, err = resolveRef(d.Candidate); err != nil {
		return err
	}
	c, err := cf.client(ctx, env)
	if err != nil {
		return err
	}
	t, err := c.Decide(ctx, id, d)
	if err != nil {
		return err
	}
	if *cf.json {
		return printJSON(env.stdout, t)
	}
	fmt.Fprintf(env.stdout, "task %s decided: %s\n", t.ID, t.Decision.Outcome)
	return nil
}

func userAdd(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "user add")
	cf := addClientFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		fmt.Fprintln(env.stderr, "usage: bix user add [flags] NAME ROLE   (prints the new token; roles: officer, examiner, supervisor, auditor, admin)")
		return errUsage
	}
	c, err := cf.client(ctx, env)
	if err != nil {
		return err
	}
	u, err := c.AddUser(ctx, fs.Arg(0), fs.Arg(1))
	if err != nil {
		return err
	}
	if *cf.json {
		return printJSON(env.stdout, u)
	}
	fmt.Fprintln(env.stdout, u.Token)
	return nil
}

func userList(ctx context.Context, env *cliEnv, args []string) error {
	c, _, err := noArgs(ctx, env, "user list", args, nil)
	if err != nil {
		return err
	}
	l, err := c.Users(ctx)
	if err != nil {
		return err
	}
	return printJSON(env.stdout, l)
}

func benchIdentify(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "bench identify")
	var c node.BenchConfig
	fs.IntVar(&c.Gallery, "gallery", 100000, "finger templates in the gallery (ten per person)")
	fs.IntVar(&c.Probes1, "probes", 50, "mated one-finger probes")
	fs.IntVar(&c.Probes10, "probes10", 20, "mated ten-finger probes")
	fs.IntVar(&c.Shortlist, "shortlist", 1000, "pre-filter shortlist per probe finger, as a node holding this many templates would use (0: exhaustive search)")
	fs.IntVar(&c.Workers, "workers", 2, "cores used while timing searches")
	fs.IntVar(&c.Masters, "masters", 1000, "distinct synthetic master fingers")
	fs.Int64Var(&c.Seed, "seed", 1, "seed")
	noRef := fs.Bool("no-reference", false, "skip the exhaustive reference search (rank-1 agreement not measured)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fmt.Fprintln(env.stderr, "usage: bix bench identify [-gallery N] [-shortlist L] [-json]")
		return errUsage
	}
	c.NoReference = *noRef
	c.Log = func(format string, a ...any) { fmt.Fprintf(env.stderr, "bench identify: "+format+"\n", a...) }
	r, err := node.RunIdentifyBench(ctx, c)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(env.stdout).Encode(r)
	}
	mode := "exhaustive"
	if r.Shortlist > 0 {
		mode = fmt.Sprintf("pre-filter shortlist %d", r.Shortlist)
	}
	fmt.Fprintf(env.stdout, "identify: %d finger templates (%d persons from %d synthetic master fingers), %s, %d cores\n", r.Gallery, r.Persons, r.Masters, mode, r.Workers)
	fmt.Fprintf(env.stdout, "  one finger:  p50 %.1f ms  p99 %.1f ms  (%d probes)\n", r.P50ms1, r.P99ms1, r.Probes1)
	fmt.Fprintf(env.stdout, "  ten fingers: p50 %.1f ms  p99 %.1f ms  (%d probes)\n", r.P50ms10, r.P99ms10, r.Probes10)
	if r.Rank1Agreement >= 0 {
		fmt.Fprintf(env.stdout, "  rank-1 agreement with exhaustive search: %.2f%% (one finger %.2f%%, ten fingers %.2f%%)\n",
			100*r.Rank1Agreement, 100*r.Rank1Agreement1, 100*r.Rank1Agreement10)
	} else {
		fmt.Fprintln(env.stdout, "  rank-1 agreement with exhaustive search: not measured (-no-reference)")
	}
	fmt.Fprintf(env.stdout, "  rank 1 is the probe's true mate: %.2f%%\n", 100*r.Rank1Mate)
	if r.ExhaustiveP50ms1 > 0 {
		fmt.Fprintf(env.stdout, "  baseline: exhaustive one-finger search p50 %.1f ms on the same cores\n", r.ExhaustiveP50ms1)
	}
	fmt.Fprintf(env.stdout, "  load %.1f s, %.0f bytes per template in memory (write %.1f s)\n", r.LoadS, r.BytesPerTemplate, r.WriteS)
	fmt.Fprintf(env.stdout, "  highest score between identities made from one master: %.3f\n", r.SameMasterMax)
	return nil
}

package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
	_ "modernc.org/sqlite"

	"github.com/bixproject/bix/internal/audit"
)

func init() {
	register("audit", command{
		summary: "verify, prove, export and check the verifiable audit log",
		run: func(ctx context.Context, env *cliEnv, args []string) error {
			return subcommands(ctx, env, "audit", args, map[string]func(context.Context, *cliEnv, []string) error{
				"keygen":      auditKeygen,
				"append":      auditAppend,
				"checkpoint":  auditCheckpoint,
				"verify":      auditVerify,
				"prove":       auditProve,
				"export":      auditExport,
				"check":       auditCheck,
				"alerts":      auditAlerts,
				"consistency": auditConsistency,
				"witness":     auditWitness,
				"cosign":      auditCosign,
			})
		},
	})
}

// auditDBName is the node's SQLite file in a data directory.
const auditDBName = "bix.db"

// openAuditDB opens DIR/bix.db. For reading, the file must exist; for
// writing it is created (with the audit tables) if missing.
func openAuditDB(ctx context.Context, dir string, write bool) (*sql.DB, error) {
	if dir == "" {
		return nil, fmt.Errorf("-data DIR is required")
	}
	path := filepath.Join(dir, auditDBName)
	if _, err := os.Stat(path); err != nil && (!write || !errors.Is(err, os.ErrNotExist)) {
		return nil, fmt.Errorf("data directory %s: %w", dir, err)
	}
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	if write {
		if err := audit.Init(ctx, db); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

// auditReadVerifier reads a verifier key file, or derives the verifier
// from a signer key file (such as the node's DIR/audit.key).
func auditReadVerifier(path string) (note.Verifier, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	key := strings.TrimSpace(string(b))
	if strings.HasPrefix(key, "PRIVATE+KEY+") {
		s, err := audit.NewSigner(key)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return s.Verifier(), nil
	}
	v, err := note.NewVerifier(key)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// auditNodeKey is the node's audit signer key file in its data directory.
const auditNodeKey = "audit.key"

// auditDefaultKey returns keyFile, or the node's DIR/audit.key when
// keyFile is empty and that file exists.
func auditDefaultKey(dir, keyFile string) string {
	if keyFile != "" || dir == "" {
		return keyFile
	}
	p := filepath.Join(dir, auditNodeKey)
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return ""
}

func auditReadCosignatureVerifier(path string) (note.Verifier, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	v, err := audit.NewCosignatureVerifier(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

func auditReadSigner(path string) (*audit.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s, err := audit.NewSigner(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// openAuditLog opens the log in dir for reading, verifying checkpoints
// with the public key in keyFile when given.
func openAuditLog(ctx context.Context, dir, keyFile string) (*audit.Log, *sql.DB, error) {
	db, err := openAuditDB(ctx, dir, false)
	if err != nil {
		return nil, nil, err
	}
	origin, err := audit.StoredOrigin(ctx, db)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	var v note.Verifier
	if keyFile = auditDefaultKey(dir, keyFile); keyFile != "" {
		if v, err = auditReadVerifier(keyFile); err != nil {
			db.Close()
			return nil, nil, err
		}
		if origin == "" {
			origin = v.Name()
		}
	}
	return audit.OpenVerifier(db, v, origin), db, nil
}

// auditStringList is a repeatable string flag.
type auditStringList []string

func (s *auditStringList) String() string     { return strings.Join(*s, ",") }
func (s *auditStringList) Set(v string) error { *s = append(*s, v); return nil }

// auditArgs parses flags that may come before or after positional
// arguments and returns the positional ones.
func auditArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func auditKeygen(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "audit keygen")
	name := fs.String("name", "", "key name, normally the log's origin (e.g. bix.example.gov/audit)")
	out := fs.String("o", "", "write the signer (secret) key here (mode 0600); the verifier key goes to OUT.pub and stdout")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *name == "" || *out == "" || fs.NArg() != 0 {
		fmt.Fprintln(env.stderr, "usage: bix audit keygen -name ORIGIN -o KEYFILE")
		return errUsage
	}
	skey, vkey, err := audit.GenerateKey(*name)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintln(f, skey); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(*out+".pub", []byte(vkey+"\n"), 0o644); err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, vkey)
	return nil
}

func auditAppend(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "audit append")
	dir := fs.String("data", "", "node data directory (holds "+auditDBName+")")
	var e audit.Entry
	fs.StringVar(&e.Actor, "actor", "", "pseudonymous id of who acted")
	fs.StringVar(&e.Role, "role", "", "role of the actor")
	fs.StringVar(&e.Action, "action", "", "action (e.g. config.change, login)")
	fs.StringVar(&e.Purpose, "purpose", "", "purpose")
	fs.StringVar(&e.LegalBasis, "legal-basis", "", "legal basis")
	fs.StringVar(&e.AgreementHash, "agreement", "", "agreement hash")
	detail := fs.String("detail", "", "JSON object with further detail")
	var objects auditStringList
	fs.Var(&objects, "object", "pseudonymous object reference (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fmt.Fprintln(env.stderr, "usage: bix audit append -data DIR -actor ID -role ROLE -action ACTION [-purpose P] [-object REF]... [-detail JSON]")
		return errUsage
	}
	e.Objects = objects
	e.Time = time.Now().UTC()
	if *detail != "" {
		e.Detail = json.RawMessage(*detail)
	}
	db, err := openAuditDB(ctx, *dir, true)
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	idx, err := audit.Append(ctx, tx, e)
	if err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "appended entry %d\n", idx)
	return nil
}

func auditCheckpoint(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "audit checkpoint")
	dir := fs.String("data", "", "node data directory")
	keyFile := fs.String("key", "", "signer key file (default: DIR/"+auditNodeKey+", the node's)")
	origin := fs.String("origin", "", "log origin (default: the key's name)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	*keyFile = auditDefaultKey(*dir, *keyFile)
	if *keyFile == "" || fs.NArg() != 0 {
		fmt.Fprintln(env.stderr, "usage: bix audit checkpoint -data DIR -key KEYFILE [-origin ORIGIN]")
		return errUsage
	}
	s, err := auditReadSigner(*keyFile)
	if err != nil {
		return err
	}
	if *origin == "" {
		*origin = s.Name()
	}
	db, err := openAuditDB(ctx, *dir, true)
	if err != nil {
		return err
	}
	defer db.Close()
	signed, err := audit.Open(db, s, *origin).Checkpoint(ctx)
	if err != nil {
		return err
	}
	env.stdout.Write(signed)
	return nil
}

func auditVerify(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "audit verify")
	dir := fs.String("data", "", "node data directory")
	keyFile := fs.String("key", "", "the log's verifier (public) key file, to check checkpoint signatures (default: DIR/"+auditNodeKey+" if present)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fmt.Fprintln(env.stderr, "usage: bix audit verify -data DIR [-key PUBFILE]")
		return errUsage
	}
	l, db, err := openAuditLog(ctx, *dir, *keyFile)
	if err != nil {
		return err
	}
	defer db.Close()
	sum, err := l.VerifySummary(ctx)
	if err != nil {
		return err
	}
	sig := "signatures verified"
	if *keyFile == "" && auditDefaultKey(*dir, "") != "" {
		sig += " with the node's " + auditNodeKey
	}
	if !sum.Signed {
		sig = "signatures NOT checked (no -key)"
	}
	fmt.Fprintf(env.stdout, "ok: %d entries, root %s; %d checkpoints match (latest size %d), %s\n",
		sum.Size, sum.Root, sum.Checkpoints, sum.Latest, sig)
	printRedactions(env, sum.Redacted)
	return nil
}

// printRedactions tells which entries were redacted, and by which erasure
// entries, so that a redaction is never mistaken for tampering (which is
// an error) nor goes unmentioned.
func printRedactions(env *cliEnv, red []audit.Redaction) {
	if len(red) == 0 {
		return
	}
	by := map[int64][]string{}
	var order []int64
	for _, r := range red {
		if _, ok := by[r.Erasure]; !ok {
			order = append(order, r.Erasure)
		}
		by[r.Erasure] = append(by[r.Erasure], strconv.FormatInt(r.Index, 10))
	}
	sort.Slice(order, func(i, j int) bool { return order[i] < order[j] })
	fmt.Fprintf(env.stdout, "redacted: %d entries, content erased, leaf hashes kept:\n", len(red))
	for _, e := range order {
		fmt.Fprintf(env.stdout, "  by erasure entry %d: %s\n", e, strings.Join(by[e], " "))
	}
}

func auditProve(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "audit prove")
	dir := fs.String("data", "", "node data directory")
	keyFile := fs.String("key", "", "the log's verifier (public) key file, to check the proof before printing it")
	pos, err := auditArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fmt.Fprintln(env.stderr, "usage: bix audit prove -data DIR [-key PUBFILE] ENTRY")
		return errUsage
	}
	index, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil {
		return fmt.Errorf("entry %q: not an index", pos[0])
	}
	l, db, err := openAuditLog(ctx, *dir, *keyFile)
	if err != nil {
		return err
	}
	defer db.Close()
	p, err := l.ProveInclusion(ctx, index)
	if err != nil {
		return err
	}
	if k := auditDefaultKey(*dir, *keyFile); k != "" {
		v, err := auditReadVerifier(k)
		if err != nil {
			return err
		}
		if _, err := audit.CheckInclusion(p, l.Origin(), v); err != nil {
			return err
		}
	}
	enc := json.NewEncoder(env.stdout)
	enc.SetIndent("", " ")
	return enc.Encode(p)
}

func auditExport(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "audit export")
	dir := fs.String("data", "", "node data directory")
	out := fs.String("o", "", "write the export here (default stdout)")
	from := fs.Int64("from", 0, "first entry")
	to := fs.Int64("to", -1, "end of the entries (exclusive; default: the latest checkpoint's size)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fmt.Fprintln(env.stderr, "usage: bix audit export -data DIR [-o FILE] [-from N] [-to M]")
		return errUsage
	}
	l, db, err := openAuditLog(ctx, *dir, "")
	if err != nil {
		return err
	}
	defer db.Close()
	w := env.stdout
	var f *os.File
	if *out != "" {
		if f, err = os.Create(*out); err != nil {
			return err
		}
		w = f
	}
	err = l.ExportRange(ctx, w, *from, *to)
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

func auditCheck(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "audit check")
	keyFile := fs.String("key", "", "the log's verifier (public) key file")
	var witnesses auditStringList
	fs.Var(&witnesses, "witness", "a witness's verifier key file (repeatable)")
	verbose := fs.Bool("v", false, "print every entry")
	pos, err := auditArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *keyFile == "" {
		fmt.Fprintln(env.stderr, "usage: bix audit check EXPORT -key PUBFILE [-witness PUBFILE]... [-v]")
		return errUsage
	}
	v, err := auditReadVerifier(*keyFile)
	if err != nil {
		return err
	}
	var ws []note.Verifier
	for _, w := range witnesses {
		wv, err := auditReadCosignatureVerifier(w)
		if err != nil {
			return err
		}
		ws = append(ws, wv)
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	defer f.Close()
	rep, err := audit.CheckExport(f, v, ws...)
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	cos := "no witness cosignature"
	if len(rep.Cosigners) > 0 {
		cos = "cosigned by " + strings.Join(rep.Cosigners, ", ")
	}
	fmt.Fprintf(env.stdout, "ok: %s: entries [%d, %d) of %d verified against %d checkpoints; latest root %s, %s\n",
		rep.Origin, rep.From, rep.To, rep.Size, rep.Checkpoints, rep.Root, cos)
	printRedactions(env, rep.Redacted)
	if *verbose {
		for _, e := range rep.Entries {
			fmt.Fprintf(env.stdout, "%d %s %s/%s %s %s\n", e.Index, e.Entry.Time.Format(time.RFC3339), e.Entry.Actor, e.Entry.Role, e.Entry.Action, strings.Join(e.Entry.Objects, ","))
		}
	}
	return nil
}

func auditAlerts(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "audit alerts")
	dir := fs.String("data", "", "node data directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	l, db, err := openAuditLog(ctx, *dir, "")
	if err != nil {
		return err
	}
	defer db.Close()
	alerts, err := l.Alerts(ctx)
	if err != nil {
		return err
	}
	for _, a := range alerts {
		fmt.Fprintf(env.stdout, "%d %s %s %s: %s\n", a.ID, a.Time.Format(time.RFC3339), a.Origin, a.Kind, a.Detail)
	}
	if len(alerts) == 0 {
		fmt.Fprintln(env.stdout, "no alerts")
	}
	return nil
}

func auditConsistency(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "audit consistency")
	dir := fs.String("data", "", "node data directory")
	oldSize := fs.Int64("old", 0, "size of the tree the partner saw last")
	newSize := fs.Int64("new", -1, "size of the newer tree (default: the latest checkpoint's)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fmt.Fprintln(env.stderr, "usage: bix audit consistency -data DIR -old N [-new M]")
		return errUsage
	}
	l, db, err := openAuditLog(ctx, *dir, "")
	if err != nil {
		return err
	}
	defer db.Close()
	if *newSize < 0 {
		signed, err := l.LatestCheckpoint(ctx)
		if err != nil {
			return err
		}
		if signed == nil {
			return fmt.Errorf("no checkpoint yet")
		}
		lines := strings.SplitN(string(signed), "\n", 3)
		if len(lines) < 3 {
			return fmt.Errorf("malformed checkpoint")
		}
		if *newSize, err = strconv.ParseInt(lines[1], 10, 64); err != nil {
			return fmt.Errorf("malformed checkpoint size: %w", err)
		}
	}
	p, err := l.ProveConsistency(ctx, *oldSize, *newSize)
	if err != nil {
		return err
	}
	for _, h := range p {
		fmt.Fprintln(env.stdout, h)
	}
	return nil
}

func auditWitness(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "audit witness")
	dir := fs.String("data", "", "this node's data directory")
	keyFile := fs.String("key", "", "this node's signer key file (cosigns with it)")
	partnerKey := fs.String("partner", "", "the partner log's verifier (public) key file")
	origin := fs.String("origin", "", "the partner log's origin (default: its key's name)")
	proofFile := fs.String("proof", "", "consistency proof from the last witnessed size (bix audit consistency output)")
	out := fs.String("o", "", "write the cosigned checkpoint here (default stdout)")
	pos, err := auditArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *keyFile == "" || *partnerKey == "" {
		fmt.Fprintln(env.stderr, "usage: bix audit witness -data DIR -key KEYFILE -partner PUBFILE [-origin ORIGIN] [-proof FILE] [-o OUT] CHECKPOINT")
		return errUsage
	}
	s, err := auditReadSigner(*keyFile)
	if err != nil {
		return err
	}
	pv, err := auditReadVerifier(*partnerKey)
	if err != nil {
		return err
	}
	if *origin == "" {
		*origin = pv.Name()
	}
	cp, err := os.ReadFile(pos[0])
	if err != nil {
		return err
	}
	var proof tlog.TreeProof
	if *proofFile != "" {
		b, err := os.ReadFile(*proofFile)
		if err != nil {
			return err
		}
		for i, line := range strings.Fields(string(b)) {
			h, err := tlog.ParseHash(line)
			if err != nil {
				return fmt.Errorf("%s: hash %d: %w", *proofFile, i, err)
			}
			proof = append(proof, h)
		}
	}
	db, err := openAuditDB(ctx, *dir, true)
	if err != nil {
		return err
	}
	defer db.Close()
	cosigned, err := audit.Open(db, s, s.Name()).Witness(ctx, pv, *origin, cp, proof)
	if err != nil {
		return err
	}
	if *out != "" {
		return os.WriteFile(*out, cosigned, 0o644)
	}
	_, err = env.stdout.Write(cosigned)
	return err
}

func auditCosign(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "audit cosign")
	dir := fs.String("data", "", "node data directory")
	keyFile := fs.String("key", "", "this log's signer key file")
	witnessKey := fs.String("witness", "", "the witness's verifier (public) key file")
	pos, err := auditArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *keyFile == "" || *witnessKey == "" {
		fmt.Fprintln(env.stderr, "usage: bix audit cosign -data DIR -key KEYFILE -witness PUBFILE COSIGNED")
		return errUsage
	}
	s, err := auditReadSigner(*keyFile)
	if err != nil {
		return err
	}
	wv, err := auditReadCosignatureVerifier(*witnessKey)
	if err != nil {
		return err
	}
	cosigned, err := os.ReadFile(pos[0])
	if err != nil {
		return err
	}
	db, err := openAuditDB(ctx, *dir, false)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := audit.Open(db, s, s.Name()).AddCosignature(ctx, cosigned, wv); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "added %s's cosignature\n", wv.Name())
	return nil
}

func init() {
	registerBench("audit", benchAudit)
}

// benchAudit reports what the audit log costs an action: a committed
// transaction that stores a record and its audit entry against the same
// transaction without the entry, interleaved in the same run (WAL,
// synchronous=FULL as the node uses); Append alone inside one long
// transaction; and Verify per entry.
func benchAudit(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "bench audit")
	n := fs.Int("n", 1000, "entries per run")
	runs := fs.Int("runs", 5, "runs (medians are reported)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 1 || *runs < 1 {
		return fmt.Errorf("-n and -runs must be positive")
	}
	entry := func(i int) audit.Entry {
		return audit.Entry{Time: time.Now().UTC(), Actor: fmt.Sprintf("us-%08x", i%97), Role: "officer", Action: audit.ActionEnroll,
			Purpose: "border_control", Objects: []string{fmt.Sprintf("rec-%d", i)}, RequestHash: audit.Hash([]byte(strconv.Itoa(i)))}
	}
	var tAppend, tBase, tInTx, tVerify []float64
	for r := 0; r < *runs; r++ {
		dir, err := os.MkdirTemp("", "bix-bench-audit")
		if err != nil {
			return err
		}
		err = func() error {
			defer os.RemoveAll(dir)
			db, err := openAuditDB(ctx, dir, true)
			if err != nil {
				return err
			}
			defer db.Close()
			if _, err := db.ExecContext(ctx, `CREATE TABLE bench_baseline (id INTEGER PRIMARY KEY, body BLOB)`); err != nil {
				return err
			}
			body, _ := entry(0).Canonical()
			// Interleave the two so that both see the same disk and WAL
			// state; time each operation and keep the per-run median.
			var base, app []float64
			action := func(withAudit bool, i int) error {
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					return err
				}
				defer tx.Rollback()
				if _, err := tx.ExecContext(ctx, `INSERT INTO bench_baseline(body) VALUES (?)`, body); err != nil {
					return err
				}
				if withAudit {
					if _, err := audit.Append(ctx, tx, entry(i)); err != nil {
						return err
					}
				}
				return tx.Commit()
			}
			for i := 0; i < *n; i++ {
				start := time.Now()
				if err := action(false, i); err != nil {
					return err
				}
				base = append(base, float64(time.Since(start).Nanoseconds()))
				start = time.Now()
				if err := action(true, i); err != nil {
					return err
				}
				app = append(app, float64(time.Since(start).Nanoseconds()))
			}
			tBase = append(tBase, auditMedian(base))
			tAppend = append(tAppend, auditMedian(app))
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			start := time.Now()
			for i := 0; i < *n; i++ {
				if _, err := audit.Append(ctx, tx, entry(*n+i)); err != nil {
					tx.Rollback()
					return err
				}
			}
			if err := tx.Commit(); err != nil {
				return err
			}
			tInTx = append(tInTx, float64(time.Since(start).Nanoseconds())/float64(*n))
			l := audit.OpenVerifier(db, nil, "")
			start = time.Now()
			sum, err := l.VerifySummary(ctx)
			if err != nil {
				return err
			}
			tVerify = append(tVerify, float64(time.Since(start).Nanoseconds())/float64(sum.Size))
			return nil
		}()
		if err != nil {
			return err
		}
	}
	med := auditMedian
	w := env.stdout
	fmt.Fprintf(w, "audit log cost, %d runs of %d entries, medians (SQLite WAL, synchronous=FULL, own temp dir)\n", *runs, *n)
	fmt.Fprintf(w, "  %-44s %10.1f µs  (per operation, interleaved)\n", "action tx: one-row insert, committed", med(tBase)/1e3)
	fmt.Fprintf(w, "  %-44s %10.1f µs  (per operation, interleaved)\n", "same tx + audit.Append, committed", med(tAppend)/1e3)
	fmt.Fprintf(w, "  %-44s %10.1f µs\n", "audit.Append inside one long transaction", med(tInTx)/1e3)
	fmt.Fprintf(w, "  %-44s %10.1f µs\n", "Verify (recompute tree), per entry", med(tVerify)/1e3)
	return nil
}

// auditMedian returns the median of x (x is not modified).
func auditMedian(x []float64) float64 {
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// Package demo starts bix nodes that are partners under a signed agreement,
// in one process on loopback with embedded storage, and runs the scenario
// `bix demo` prints. Tests of the partner exchange use it to get real nodes.
package demo

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"text/template"
	"time"

	"github.com/bixproject/bix/internal/agreement"
	"github.com/bixproject/bix/internal/api"
	"github.com/bixproject/bix/internal/exchange"
	"github.com/bixproject/bix/internal/node"
	"github.com/bixproject/bix/internal/store"
)

//go:embed agreement.yaml.tmpl
var agreementTemplate string

// PartySpec names one node of a pair.
type PartySpec struct {
	ID, Name, Country string
}

// DefaultParties are the demo's two nodes.
var DefaultParties = [2]PartySpec{
	{ID: "us-dhs", Name: "United States (demo node)", Country: "USA"},
	{ID: "co-migracion", Name: "Colombia (demo node)", Country: "COL"},
}

// Party is a running node with its API and exchange.
type Party struct {
	Spec        PartySpec
	Dir         string
	Node        *node.Node
	API         *api.Server
	APIURL      string
	Exchange    *exchange.Exchange
	ExchangeURL string
	Identity    *exchange.Identity
	// AdminToken is the bootstrap admin's bearer token.
	AdminToken string
	// Tokens are bearer tokens of ready-made users by name (officer,
	// examiner, supervisor, auditor).
	Tokens map[string]string

	cancel context.CancelFunc // stops the servers (StartParty)
	errs   chan error         // their results
}

// Pair is two partner nodes.
type Pair struct {
	A, B      *Party
	Agreement []byte // the signed agreement file both nodes use
}

// Options configure StartPair.
type Options struct {
	// Dir holds both nodes' data directories (a subdirectory per node).
	Dir string
	// Logger receives both nodes' logs (discarded when nil).
	Logger *slog.Logger
	// Now is the clock the exchanges use (time.Now when nil).
	Now func() time.Time
	// Parties overrides DefaultParties.
	Parties *[2]PartySpec
	// DailyQuota is the agreement's daily quota of fingerprint_1n searches
	// per partner (default 1000; the exchange benchmark needs more).
	DailyQuota int
	// Shortlist turns on the nodes' gallery pre-filter (node.Config
	// Shortlist; 0 searches exhaustively).
	Shortlist int
}

// StartPair starts two nodes on loopback ports chosen by the system, each
// with fresh keys and certificates, writes an agreement naming both with
// their pins, keys and endpoints, has both sign it, and starts their API
// and exchange servers. Stop stops them.
func StartPair(ctx context.Context, opt Options) (*Pair, error) {
	specs := DefaultParties
	if opt.Parties != nil {
		specs = *opt.Parties
	}
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	var staged [2]*Staged
	closeAll := func() {
		for _, s := range staged {
			if s != nil {
				s.Close()
			}
		}
	}
	for i, s := range specs {
		st, err := StageParty(s, filepath.Join(opt.Dir, s.ID), now())
		if err != nil {
			closeAll()
			return nil, err
		}
		staged[i] = st
	}
	file, err := WriteAgreement(AgreementSpec{DailyQuota: opt.DailyQuota, Now: now()}, staged[0], staged[1])
	if err != nil {
		closeAll()
		return nil, err
	}
	pair := &Pair{Agreement: file}
	var parties [2]*Party
	for i, st := range staged {
		p, err := StartParty(ctx, st, [][]byte{file}, opt)
		if err != nil {
			for _, started := range parties[:i] {
				started.Stop()
			}
			closeAll()
			return nil, err
		}
		parties[i] = p
	}
	pair.A, pair.B = parties[0], parties[1]
	return pair, nil
}

// Staged is a party whose identity and listeners exist but whose node has
// not started: what an agreement naming it needs (its exchange endpoint,
// certificate pin and signing key). StartParty starts it.
type Staged struct {
	Spec        PartySpec
	Dir         string
	Identity    *exchange.Identity
	ExchangeURL string
	apiLn, xLn  net.Listener
}

// StageParty makes dir, a fresh identity for spec saved in it, and the
// party's API and exchange listeners on loopback ports chosen by the
// system.
func StageParty(spec PartySpec, dir string, now time.Time) (*Staged, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	id, err := exchange.NewIdentity(spec.ID, []string{"127.0.0.1", "localhost"}, now)
	if err != nil {
		return nil, err
	}
	if err := id.Save(dir); err != nil {
		return nil, err
	}
	apiLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	xLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		apiLn.Close()
		return nil, err
	}
	return &Staged{Spec: spec, Dir: dir, Identity: id, ExchangeURL: "https://" + xLn.Addr().String(), apiLn: apiLn, xLn: xLn}, nil
}

// Close releases the listeners of a party that will not be started.
func (s *Staged) Close() {
	s.apiLn.Close()
	s.xLn.Close()
}

// AgreementSpec is what WriteAgreement needs besides the parties.
type AgreementSpec struct {
	// Template is a text/template of the agreement file; empty: the demo
	// agreement (agreement.yaml.tmpl). It is executed with .From and
	// .Until (the validity dates), .Quota and .Parties, each with ID,
	// Name, Country, Endpoint, Pin and Key (base64 signing key).
	Template string
	// DailyQuota is .Quota (default 1000).
	DailyQuota int
	// Now dates the validity: from the day before to two years after
	// (time.Now when zero).
	Now time.Time
}

// WriteAgreement returns the agreement file spec makes for parties, with
// their endpoints, pins and signing keys, signed by every one of them.
func WriteAgreement(spec AgreementSpec, parties ...*Staged) ([]byte, error) {
	tmpl := spec.Template
	if tmpl == "" {
		tmpl = agreementTemplate
	}
	quota := spec.DailyQuota
	if quota <= 0 {
		quota = 1000
	}
	now := spec.Now
	if now.IsZero() {
		now = time.Now()
	}
	type tplParty struct{ ID, Name, Country, Endpoint, Pin, Key string }
	data := struct {
		From, Until string
		Quota       int
		Parties     []tplParty
	}{From: now.AddDate(0, 0, -1).UTC().Format("2006-01-02"), Until: now.AddDate(2, 0, 0).UTC().Format("2006-01-02"), Quota: quota}
	for _, p := range parties {
		data.Parties = append(data.Parties, tplParty{ID: p.Spec.ID, Name: p.Spec.Name, Country: p.Spec.Country, Endpoint: p.ExchangeURL,
			Pin: p.Identity.Pin(), Key: base64.StdEncoding.EncodeToString(p.Identity.SigningPublicKey())})
	}
	t, err := template.New("agreement").Parse(tmpl)
	if err != nil {
		return nil, fmt.Errorf("demo agreement: %w", err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return nil, err
	}
	ag, err := agreement.Parse(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("demo agreement: %w", err)
	}
	for _, p := range parties {
		if err := ag.Sign(p.Identity.SigningKey, p.Spec.ID); err != nil {
			return nil, fmt.Errorf("demo agreement: signing for %s: %w", p.Spec.ID, err)
		}
	}
	return ag.File()
}

// StartParty writes the signed agreement files into the staged party's
// directory (agreement.yaml, then agreement-<id>.yaml for each further
// one), has its node verify them, opens the node, adds the ready-made
// users and serves its API and exchange (with the outbox) on the staged
// listeners. Of opt it uses Logger, Now and Shortlist. Stop stops it.
func StartParty(ctx context.Context, s *Staged, agreements [][]byte, opt Options) (*Party, error) {
	logger := opt.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	var ags []*agreement.Agreement
	for i, file := range agreements {
		// The node reads and verifies each agreement itself.
		ag, err := agreement.Parse(file)
		if err == nil {
			err = ag.Verify()
		}
		if err != nil {
			return nil, fmt.Errorf("%s: agreement: %w", s.Spec.ID, err)
		}
		name := "agreement.yaml"
		if i > 0 {
			name = "agreement-" + ag.ID + ".yaml"
		}
		if err := os.WriteFile(filepath.Join(s.Dir, name), file, 0o644); err != nil {
			return nil, err
		}
		ags = append(ags, ag)
	}
	kek, err := store.ParseKEK(store.GenerateKeyText())
	if err != nil {
		return nil, err
	}
	nlog := logger.With("node", s.Spec.ID)
	// A border node wants few false candidates: FPIR 0.1 % rather than the
	// default 1 %.
	n, err := node.Open(ctx, node.Config{DataDir: s.Dir, NodeID: s.Spec.ID, Country: s.Spec.Country, KEK: kek, Listen: s.apiLn.Addr().String(),
		Thresholds: node.Thresholds{TargetFPIR: 0.001}, Shortlist: opt.Shortlist}, nlog)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Spec.ID, err)
	}
	// Partner endpoints are the agreements' (the staged listeners').
	x, err := exchange.New(ctx, exchange.Config{Node: n, Identity: s.Identity, Agreements: ags, Now: now, Logger: nlog})
	if err != nil {
		n.Close()
		return nil, fmt.Errorf("%s: %w", s.Spec.ID, err)
	}
	party := &Party{Spec: s.Spec, Dir: s.Dir, Node: n, API: api.NewServer(n, nlog), APIURL: "http://" + s.apiLn.Addr().String(),
		Exchange: x, ExchangeURL: s.ExchangeURL, Identity: s.Identity, Tokens: map[string]string{}}
	// The API (and so the console) reaches the partners through it.
	party.API.SetExchange(x)
	party.AdminToken, err = n.Bootstrap(ctx)
	if err != nil {
		n.Close()
		return nil, err
	}
	system := node.Actor{User: "demo-setup", Role: node.RoleSystem}
	for _, u := range []struct {
		name string
		role node.Role
	}{{"officer", node.RoleOfficer}, {"examiner", node.RoleExaminer}, {"examiner2", node.RoleExaminer}, {"supervisor", node.RoleSupervisor}, {"auditor", node.RoleAuditor}} {
		tok, err := n.AddUser(ctx, system, u.name, u.role)
		if err != nil {
			n.Close()
			return nil, fmt.Errorf("%s: user %s: %w", s.Spec.ID, u.name, err)
		}
		party.Tokens[u.name] = tok
	}
	runCtx, cancel := context.WithCancel(context.Background())
	party.cancel, party.errs = cancel, make(chan error, 3)
	go func() { party.errs <- party.API.Serve(runCtx, s.apiLn) }()
	go func() { party.errs <- x.Serve(runCtx, s.xLn) }()
	go func() { party.errs <- x.Run(runCtx) }()
	return party, nil
}

// Stop stops the party's servers and outbox and closes its store.
func (p *Party) Stop() error {
	var errs []error
	if p.cancel != nil {
		p.cancel()
		for i := 0; i < cap(p.errs); i++ {
			select {
			case err := <-p.errs:
				if err != nil && !errors.Is(err, net.ErrClosed) {
					errs = append(errs, err)
				}
			case <-time.After(15 * time.Second):
				errs = append(errs, fmt.Errorf("demo: %s: servers did not stop", p.Spec.ID))
				i = cap(p.errs)
			}
		}
	}
	return errors.Join(append(errs, p.Node.Close())...)
}

// Stop stops both nodes' servers and closes their stores.
func (p *Pair) Stop() error {
	parties := []*Party{p.A, p.B}
	for _, party := range parties {
		if party != nil && party.cancel != nil {
			party.cancel() // both stop at once
		}
	}
	var errs []error
	for _, party := range parties {
		if party != nil {
			errs = append(errs, party.Stop())
		}
	}
	return errors.Join(errs...)
}

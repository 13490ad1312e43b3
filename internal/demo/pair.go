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
}

// Pair is two partner nodes.
type Pair struct {
	A, B      *Party
	Agreement []byte // the signed agreement file both nodes use
	cancel    context.CancelFunc
	errs      chan error
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
	logger := opt.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	type prep struct {
		ids         *exchange.Identity
		apiLn, xLn  net.Listener
		dir         string
		endpointURL string
	}
	var preps [2]prep
	closeAll := func() {
		for _, p := range preps {
			if p.apiLn != nil {
				p.apiLn.Close()
			}
			if p.xLn != nil {
				p.xLn.Close()
			}
		}
	}
	for i, s := range specs {
		dir := filepath.Join(opt.Dir, s.ID)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		id, err := exchange.NewIdentity(s.ID, []string{"127.0.0.1", "localhost"}, now())
		if err != nil {
			return nil, err
		}
		if err := id.Save(dir); err != nil {
			return nil, err
		}
		apiLn, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			closeAll()
			return nil, err
		}
		xLn, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			apiLn.Close()
			closeAll()
			return nil, err
		}
		preps[i] = prep{ids: id, apiLn: apiLn, xLn: xLn, dir: dir, endpointURL: "https://" + xLn.Addr().String()}
	}

	// The agreement, signed by both.
	type tplParty struct{ ID, Name, Country, Endpoint, Pin, Key string }
	quota := opt.DailyQuota
	if quota <= 0 {
		quota = 1000
	}
	data := struct {
		From, Until string
		Quota       int
		Parties     []tplParty
	}{From: now().AddDate(0, 0, -1).UTC().Format("2006-01-02"), Until: now().AddDate(2, 0, 0).UTC().Format("2006-01-02"), Quota: quota}
	for i, s := range specs {
		data.Parties = append(data.Parties, tplParty{ID: s.ID, Name: s.Name, Country: s.Country, Endpoint: preps[i].endpointURL,
			Pin: preps[i].ids.Pin(), Key: base64.StdEncoding.EncodeToString(preps[i].ids.SigningPublicKey())})
	}
	var buf bytes.Buffer
	if err := template.Must(template.New("agreement").Parse(agreementTemplate)).Execute(&buf, data); err != nil {
		closeAll()
		return nil, err
	}
	ag, err := agreement.Parse(buf.Bytes())
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("demo agreement: %w", err)
	}
	for i, s := range specs {
		if err := ag.Sign(preps[i].ids.SigningKey, s.ID); err != nil {
			closeAll()
			return nil, fmt.Errorf("demo agreement: signing for %s: %w", s.ID, err)
		}
	}
	file, err := ag.File()
	if err != nil {
		closeAll()
		return nil, err
	}

	runCtx, cancel := context.WithCancel(context.Background())
	pair := &Pair{Agreement: file, cancel: cancel, errs: make(chan error, 8)}
	var parties [2]*Party
	for i, s := range specs {
		p := preps[i]
		if err := os.WriteFile(filepath.Join(p.dir, "agreement.yaml"), file, 0o644); err != nil {
			cancel()
			closeAll()
			return nil, err
		}
		// Each node reads and verifies the agreement itself.
		own, err := agreement.Parse(file)
		if err == nil {
			err = own.Verify()
		}
		if err != nil {
			cancel()
			closeAll()
			return nil, fmt.Errorf("%s: agreement: %w", s.ID, err)
		}
		kek, err := store.ParseKEK(store.GenerateKeyText())
		if err != nil {
			cancel()
			closeAll()
			return nil, err
		}
		nlog := logger.With("node", s.ID)
		// A border node wants few false candidates: FPIR 0.1 % rather than
		// the default 1 %.
		n, err := node.Open(ctx, node.Config{DataDir: p.dir, NodeID: s.ID, Country: s.Country, KEK: kek, Listen: p.apiLn.Addr().String(),
			Thresholds: node.Thresholds{TargetFPIR: 0.001}, Shortlist: opt.Shortlist}, nlog)
		if err != nil {
			cancel()
			closeAll()
			return nil, fmt.Errorf("%s: %w", s.ID, err)
		}
		other := specs[1-i].ID
		x, err := exchange.New(ctx, exchange.Config{Node: n, Identity: p.ids, Agreements: []*agreement.Agreement{own},
			Endpoints: map[string]string{other: preps[1-i].endpointURL}, Now: now, Logger: nlog})
		if err != nil {
			n.Close()
			cancel()
			closeAll()
			return nil, fmt.Errorf("%s: %w", s.ID, err)
		}
		party := &Party{Spec: s, Dir: p.dir, Node: n, API: api.NewServer(n, nlog), APIURL: "http://" + p.apiLn.Addr().String(),
			Exchange: x, ExchangeURL: p.endpointURL, Identity: p.ids, Tokens: map[string]string{}}
		// The API (and so the console) reaches the partner through it.
		party.API.SetExchange(x)
		party.AdminToken, err = n.Bootstrap(ctx)
		if err != nil {
			return nil, err
		}
		system := node.Actor{User: "demo-setup", Role: node.RoleSystem}
		for _, u := range []struct {
			name string
			role node.Role
		}{{"officer", node.RoleOfficer}, {"examiner", node.RoleExaminer}, {"examiner2", node.RoleExaminer}, {"supervisor", node.RoleSupervisor}, {"auditor", node.RoleAuditor}} {
			tok, err := n.AddUser(ctx, system, u.name, u.role)
			if err != nil {
				return nil, fmt.Errorf("%s: user %s: %w", s.ID, u.name, err)
			}
			party.Tokens[u.name] = tok
		}
		parties[i] = party
		go func(ln net.Listener) { pair.errs <- party.API.Serve(runCtx, ln) }(p.apiLn)
		go func(ln net.Listener) { pair.errs <- x.Serve(runCtx, ln) }(p.xLn)
		go func() { pair.errs <- x.Run(runCtx) }()
	}
	pair.A, pair.B = parties[0], parties[1]
	return pair, nil
}

// Stop stops both nodes' servers and closes their stores.
func (p *Pair) Stop() error {
	p.cancel()
	var errs []error
	for i := 0; i < 6; i++ {
		select {
		case err := <-p.errs:
			if err != nil && !errors.Is(err, net.ErrClosed) {
				errs = append(errs, err)
			}
		case <-time.After(15 * time.Second):
			errs = append(errs, errors.New("demo: servers did not stop"))
			i = 6
		}
	}
	for _, party := range []*Party{p.A, p.B} {
		if party != nil {
			errs = append(errs, party.Node.Close())
		}
	}
	return errors.Join(errs...)
}

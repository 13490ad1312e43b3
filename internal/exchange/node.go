package exchange

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/bixproject/bix/internal/agreement"
	"github.com/bixproject/bix/internal/node"
)

// ErrNotConfigured reports a node whose configuration has no exchange:
// block.
var ErrNotConfigured = errors.New("no partner exchange configured")

// LoadOrCreateIdentity loads the identity Save wrote in dir, or, when dir
// holds none, makes a fresh one for nodeID (a certificate for hosts),
// saves it there and reports created. A partly written identity (some of
// the three files missing) is an error rather than silently replaced.
func LoadOrCreateIdentity(dir, nodeID string, hosts []string, now time.Time) (id *Identity, created bool, err error) {
	names := []string{"exchange-cert.pem", "exchange-tls-key.pem", "exchange-signing-key.pem"}
	present := 0
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			present++
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, false, fmt.Errorf("exchange: identity: %w", err)
		}
	}
	switch present {
	case len(names):
		id, err := LoadIdentity(dir, nodeID)
		if err != nil {
			return nil, false, fmt.Errorf("exchange: identity in %s: %w", dir, err)
		}
		return id, false, nil
	case 0:
	default:
		return nil, false, fmt.Errorf("exchange: identity in %s is incomplete (%d of %v present); restore it or remove all three files to make a new one (partners must then re-sign the agreement)", dir, present, names)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("exchange: identity: %w", err)
	}
	id, err = NewIdentity(nodeID, hosts, now)
	if err != nil {
		return nil, false, err
	}
	if err := id.Save(dir); err != nil {
		return nil, false, err
	}
	return id, true, nil
}

// LoadAgreements reads agreement files and verifies that every party
// signed each one.
func LoadAgreements(paths []string) ([]*agreement.Agreement, error) {
	var out []*agreement.Agreement
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("exchange: agreement: %w", err)
		}
		a, err := agreement.Parse(b)
		if err != nil {
			return nil, fmt.Errorf("exchange: agreement %s: %w", p, err)
		}
		if err := a.Verify(); err != nil {
			return nil, fmt.Errorf("exchange: agreement %s: %w", p, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// DefaultHosts are the names a node's generated certificate is issued for
// when the configuration names none: the listen host when it is a
// specific one, and localhost.
func DefaultHosts(listen string) []string {
	hosts := []string{"localhost"}
	if h, _, err := net.SplitHostPort(listen); err == nil && h != "" {
		if ip := net.ParseIP(h); ip == nil || !ip.IsUnspecified() {
			hosts = append(hosts, h)
		}
	}
	return hosts
}

// Open builds the exchange of a node from the node's configuration (its
// exchange: block): the identity in identity_dir, made on first start, the
// signed agreements and the endpoint overrides. It returns
// ErrNotConfigured when the node has no exchange block.
func Open(ctx context.Context, n *node.Node, logger *slog.Logger) (*Exchange, error) {
	nc := n.Config()
	xc := nc.Exchange
	if xc == nil {
		return nil, ErrNotConfigured
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	hosts := xc.Hosts
	if len(hosts) == 0 {
		hosts = DefaultHosts(xc.Listen)
	}
	id, created, err := LoadOrCreateIdentity(xc.IdentityDir, nc.NodeID, hosts, time.Now())
	if err != nil {
		return nil, err
	}
	if created {
		logger.Info("exchange: created this node's identity; write its pin and signing key into the agreement (bix exchange identity)",
			"dir", xc.IdentityDir, "tls_spki_sha256", id.Pin())
	}
	ags, err := LoadAgreements(xc.Agreements)
	if err != nil {
		return nil, err
	}
	if len(ags) == 0 {
		logger.Warn("exchange: no agreements configured; the partner endpoint answers no one")
	}
	return New(ctx, Config{Node: n, Identity: id, Agreements: ags, Endpoints: xc.Endpoints, Logger: logger, RetryInterval: xc.RetryInterval})
}

// Start runs what a node's exchange needs until ctx ends: the partner
// endpoint on ln (mutual TLS 1.3), the outbox's retry loop and, when
// witnessEvery is positive, the witnessing of every partner's audit log
// (failures, an inconsistent partner log above all, go to the log at error
// level). It returns when all three have stopped, with the endpoint's
// error if it failed.
func (x *Exchange) Start(ctx context.Context, ln net.Listener, witnessEvery time.Duration) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		x.Run(ctx)
	}()
	if witnessEvery > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x.RunWitness(ctx, witnessEvery, func(err error) { x.log.Error("exchange: witnessing", "err", err) })
		}()
	}
	err := x.Serve(ctx, ln)
	cancel()
	wg.Wait()
	return err
}

// Identity returns this node's exchange identity (its pin and signing key
// are what partners write into the agreement).
func (x *Exchange) Identity() *Identity { return x.cfg.Identity }

// PartnerInfo is a partner and what this node may ask it under the
// agreement they share.
type PartnerInfo struct {
	ID               string        `json:"id"`
	Name             string        `json:"name"`
	Country          string        `json:"country"`
	Agreement        string        `json:"agreement"`
	AgreementVersion int           `json:"agreement_version"`
	AgreementHash    string        `json:"agreement_hash"`
	ValidUntil       string        `json:"valid_until"`
	Purposes         []PurposeInfo `json:"purposes"`
}

// PurposeInfo is one purpose of an agreement.
type PurposeInfo struct {
	ID          string   `json:"id"`
	LegalBasis  string   `json:"legal_basis"`
	SearchTypes []string `json:"search_types"`
}

// Partners returns every partner of this node with the purposes and search
// types of the agreement shared with it, in agreement order.
func (x *Exchange) Partners() []PartnerInfo {
	var out []PartnerInfo
	for _, a := range x.cfg.Agreements {
		var ps []PurposeInfo
		for _, p := range a.Purposes {
			ps = append(ps, PurposeInfo{ID: p.ID, LegalBasis: p.LegalBasis, SearchTypes: p.SearchTypes})
		}
		for _, p := range a.Parties {
			if p.ID == x.self {
				continue
			}
			out = append(out, PartnerInfo{ID: p.ID, Name: p.Name, Country: p.Country, Agreement: a.ID, AgreementVersion: a.Version,
				AgreementHash: a.HashHex(), ValidUntil: a.ValidUntil, Purposes: ps})
		}
	}
	return out
}

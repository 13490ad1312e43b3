// Package node is the application core of a bix node: enrollment with
// quality checks, deduplication and watchlist checks; identification (1:N)
// and verification (1:1); adjudication of possible duplicates by examiners;
// watchlists; users, roles and bearer tokens. Every action is one store
// transaction that also appends its audit entry, and the in-memory gallery
// follows each commit.
//
// The HTTP API (internal/api) and partner exchange call into a *Node; a node
// is started from Go with Open and needs only a Config.
package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bixproject/bix/face"
	"github.com/bixproject/bix/fingerprint"
	"github.com/bixproject/bix/internal/audit"
	"github.com/bixproject/bix/internal/gallery"
	"github.com/bixproject/bix/internal/store"
)

// Errors callers test with errors.Is; the API maps them to HTTP statuses.
var (
	// ErrInvalid: the request or transaction is malformed (400).
	ErrInvalid = errors.New("invalid request")
	// ErrForbidden: the actor's role may not do this (403).
	ErrForbidden = errors.New("forbidden")
	// ErrNotFound: the record does not exist (404).
	ErrNotFound = store.ErrNotFound
	// ErrConflict: the record's state does not allow it (409).
	ErrConflict = store.ErrConflict
	// ErrUnauthenticated: no valid bearer token (401).
	ErrUnauthenticated = errors.New("unauthenticated")
)

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Node is a running node. Its methods are safe for concurrent use.
type Node struct {
	cfg   Config
	st    *store.Store
	gal   *gallery.Gallery
	log   *slog.Logger
	audit *audit.Log

	// enrollMu serialises enrollments and decisions, so that a dedup
	// search always sees every earlier enrollment.
	enrollMu sync.Mutex

	thMu        sync.Mutex
	fingerFit   *gallery.Tail             // sampled 1-finger impostor tail
	fingerMeans map[int]*gallery.MeanTail // k-finger means of meansOf
	meansOf     *gallery.Tail
	calibrated  int // gallery size when fingerFit was sampled

	face           *face.Engine  // nil: the node reads no face images
	faceTail       *gallery.Tail // sampled face impostor tail
	faceCalibrated int           // identities with faces when it was sampled

	metrics *Metrics
}

// LoadProgress reports gallery loading at start.
type LoadProgress struct {
	Loaded, Erased int
	Elapsed        time.Duration
}

// Open opens the node's data directory (creating it and the database on first
// use), loads every template into the gallery, reporting progress to logger,
// and returns the node. logger may be nil (logs are discarded).
func Open(ctx context.Context, cfg Config, logger *slog.Logger) (*Node, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	kek, err := cfg.kek()
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, cfg.DataDir, kek)
	if err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, st: st, gal: gallery.NewWith(gallery.Config{Workers: cfg.Workers, Shortlist: cfg.Shortlist}), log: logger, metrics: newMetrics()}
	if err := n.openAudit(ctx); err != nil {
		st.Close()
		return nil, err
	}
	if err := n.loadFace(); err != nil {
		st.Close()
		return nil, err
	}
	if err := n.loadGallery(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return n, nil
}

// openAudit initialises the audit tables and the log signer, whose key is
// generated into data_dir/audit.key on first start.
func (n *Node) openAudit(ctx context.Context) error {
	if err := audit.Init(ctx, n.st.DB()); err != nil {
		return err
	}
	path := filepath.Join(n.cfg.DataDir, "audit.key")
	skey, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		s, _, gerr := audit.GenerateKey(n.cfg.NodeID)
		if gerr != nil {
			return fmt.Errorf("audit key: %w", gerr)
		}
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			return fmt.Errorf("audit key: %w", err)
		}
		skey = []byte(s)
	} else if err != nil {
		return fmt.Errorf("audit key: %w", err)
	}
	signer, err := audit.NewSigner(string(skey))
	if err != nil {
		return fmt.Errorf("audit key %s: %w", path, err)
	}
	n.audit = audit.Open(n.st.DB(), signer, n.cfg.NodeID)
	return nil
}

// loadBatch is how many finger templates a load worker makes ready before
// adding them to the gallery under one lock, and how many index entries
// it computed again before writing them back.
const loadBatch = 256

// loadGallery decrypts every stored template into the gallery on all cores:
// each worker reads ranges of the templates table, unwraps the data keys,
// opens and decodes its templates, makes them ready for the gallery from
// the index entries stored at enrollment (the matcher's prepared form and
// the pre-filter's descriptor) and adds them to the gallery a batch at a
// time. Where there is no current entry (templates stored before entries
// existed, or by another index version) it computes the entry from the
// template, writes it back to the store, so that the next start need not,
// and counts it in the log. Progress is logged every 100,000 templates.
func (n *Node) loadGallery(ctx context.Context) error {
	start := time.Now()
	n.log.Info("loading gallery")
	workers := runtime.GOMAXPROCS(0)
	batches := make([][]gallery.Pending, workers)
	rewrites := make([][]store.IndexUpdate, workers)
	var recomputed, rewritten atomic.Int64
	flush := func(w int) error {
		if len(rewrites[w]) == 0 {
			return nil // no write transaction at a start that recomputed nothing
		}
		k, err := n.st.UpdateTemplateIndexes(ctx, rewrites[w])
		rewritten.Add(int64(k))
		clear(rewrites[w])
		rewrites[w] = rewrites[w][:0]
		return err
	}
	st, err := n.st.ScanTemplatesParallel(ctx, workers, func(w int, t *store.Template) error {
		if err := n.loadTemplate(t, &batches[w], &rewrites[w]); err != nil {
			return fmt.Errorf("template %s: %w", t.ID, err)
		}
		if len(rewrites[w]) >= loadBatch {
			recomputed.Add(int64(len(rewrites[w])))
			if err := flush(w); err != nil {
				return err
			}
		}
		if len(batches[w]) >= loadBatch {
			err := n.gal.AddPending(batches[w])
			clear(batches[w])
			batches[w] = batches[w][:0]
			return err
		}
		return nil
	}, func(s store.TemplateScan) {
		if s.Loaded%100000 == 0 {
			n.log.Info("loading gallery", "templates", s.Loaded, "erased", s.Erased, "elapsed", time.Since(start).String())
		}
	})
	if err == nil {
		for w, b := range batches {
			if err = n.gal.AddPending(b); err != nil {
				break
			}
			recomputed.Add(int64(len(rewrites[w])))
			if err = flush(w); err != nil {
				break
			}
		}
	}
	if err != nil {
		return fmt.Errorf("loading gallery: %w", err)
	}
	n.log.Info("gallery loaded", "templates", st.Loaded, "erased", st.Erased, "persons", n.gal.Persons(), "recomputed", recomputed.Load(), "rewritten", rewritten.Load(), "elapsed", time.Since(start).String())
	n.metrics.galleryTemplates.Set(float64(n.gal.Len()))
	return nil
}

// loadTemplate decodes stored template t: a face embedding is added to the
// gallery at once, a finger template made ready from its index entry and
// appended to batch; an entry computed again is appended to rewrites.
func (n *Node) loadTemplate(t *store.Template, batch *[]gallery.Pending, rewrites *[]store.IndexUpdate) error {
	if t.Modality == string(gallery.Face) {
		emb, err := decodeFace(t.Format, t.Data)
		if err != nil {
			return err
		}
		return n.gal.AddFace(t.PersonID, t.ID, emb)
	}
	r, entry, err := readyFinger(n.gal, t)
	if err != nil {
		return err
	}
	if entry != nil {
		*rewrites = append(*rewrites, store.IndexUpdate{TemplateID: t.ID, Index: entry})
	}
	*batch = append(*batch, r)
	return nil
}

// readyFinger makes stored finger template t ready for g from its index
// entry, or, without a usable one, from the entry it computes from the
// template, which it returns (nil when the stored entry served).
func readyFinger(g *gallery.Gallery, t *store.Template) (r gallery.Pending, entry []byte, err error) {
	r, err = g.ReadyFromIndex(t.PersonID, t.ID, t.Position, t.Index)
	if !errors.Is(err, gallery.ErrNoIndex) {
		return r, nil, err
	}
	ft, err := decodeTemplate(t.Format, t.Data)
	if err != nil {
		return r, nil, err
	}
	entry = gallery.Index(ft)
	r, err = g.ReadyFromIndex(t.PersonID, t.ID, t.Position, entry)
	return r, entry, err
}

// Close closes the store.
func (n *Node) Close() error { return n.st.Close() }

// Config returns the node's configuration with defaults filled in.
func (n *Node) Config() Config { return n.cfg }

// Store returns the node's store, for packages that add to the node
// (exchange, retention).
func (n *Node) Store() *store.Store { return n.st }

// Gallery returns the node's in-memory gallery.
func (n *Node) Gallery() *gallery.Gallery { return n.gal }

// AuditLog returns the node's audit log.
func (n *Node) AuditLog() *audit.Log { return n.audit }

// Metrics returns the node's Prometheus metrics.
func (n *Node) Metrics() *Metrics { return n.metrics }

// Threshold returns the threshold on the fused (mean) score of a probe of k
// finger samples: the mean of k one-finger impostor scores reaches it with
// at most the per-comparison false match rate that the configured target
// FPIR allows against the current gallery size (gallery.ComparisonFMR),
// never below thresholds.min_score. The one-finger impostor distribution
// is the tail of 4,000 non-mated scores sampled from the gallery, extended
// exponentially past what the sample resolves (gallery.TailFromImpostors),
// or the matcher's FVC2002 calibration while the gallery holds fewer than
// 20 identities; the mean's distribution is convolved from it
// (gallery.Tail.Mean).
func (n *Node) Threshold(k int) float64 {
	floor := n.cfg.Thresholds.MinScore
	if k < 1 {
		return floor
	}
	fmr := gallery.ComparisonFMR(n.cfg.Thresholds.TargetFPIR, n.gal.Persons())
	return max(n.fingerMean(k).Threshold(fmr), floor)
}

// fingerTail returns the one-finger impostor tail: sampled from the
// gallery's own non-mated comparisons (4,000, re-sampled when the gallery
// doubles) once it holds minCalibration identities, fingerPrior before.
func (n *Node) fingerTail() *gallery.Tail {
	n.thMu.Lock()
	defer n.thMu.Unlock()
	return n.fingerTailLocked()
}

func (n *Node) fingerTailLocked() *gallery.Tail {
	persons := n.gal.Persons()
	if persons < minCalibration {
		return fingerPrior
	}
	if n.fingerFit == nil || persons >= 2*n.calibrated {
		n.fingerFit = gallery.TailFromImpostors(n.gal.ImpostorScores(1, 4000, uint64(persons)))
		n.calibrated = persons
	}
	if n.fingerFit == nil {
		return fingerPrior
	}
	return n.fingerFit
}

// fingerMean returns the distribution of the mean of k one-finger impostor
// scores, cached until the tail is re-sampled.
func (n *Node) fingerMean(k int) *gallery.MeanTail {
	n.thMu.Lock()
	defer n.thMu.Unlock()
	t := n.fingerTailLocked()
	if n.fingerMeans == nil || n.meansOf != t {
		n.fingerMeans, n.meansOf = map[int]*gallery.MeanTail{}, t
	}
	m := n.fingerMeans[k]
	if m == nil {
		m = t.Mean(k)
		n.fingerMeans[k] = m
	}
	return m
}

// Actor is who performs an action, with which role and for what purpose;
// every action is checked against the role and logged with the actor.
type Actor struct {
	User    string
	Role    Role
	Purpose string
}

// Role is a user's role.
type Role string

// Roles.
const (
	RoleOfficer    Role = "officer"
	RoleExaminer   Role = "examiner"
	RoleSupervisor Role = "supervisor"
	RoleAuditor    Role = "auditor"
	RoleAdmin      Role = "admin"
	// RoleSystem is the node itself (bootstrap, partner exchange).
	RoleSystem Role = "system"
)

// Valid reports whether r is a role users may hold.
func (r Role) Valid() bool {
	switch r {
	case RoleOfficer, RoleExaminer, RoleSupervisor, RoleAuditor, RoleAdmin:
		return true
	}
	return false
}

// permissions lists the roles allowed each action.
var permissions = map[string][]Role{
	audit.ActionEnroll:     {RoleOfficer, RoleSupervisor},
	audit.ActionIdentify:   {RoleOfficer, RoleExaminer, RoleSupervisor, RoleSystem},
	audit.ActionVerify:     {RoleOfficer, RoleExaminer, RoleSupervisor, RoleSystem},
	"person.read":          {RoleOfficer, RoleExaminer, RoleSupervisor},
	audit.ActionWatchlist:  {RoleSupervisor},
	"watchlist.read":       {RoleOfficer, RoleExaminer, RoleSupervisor, RoleAuditor},
	audit.ActionAdjudicate: {RoleExaminer, RoleSupervisor},
	"task.read":            {RoleExaminer, RoleSupervisor, RoleAuditor},
	"alert.read":           {RoleOfficer, RoleExaminer, RoleSupervisor, RoleAuditor},
	"user.add":             {RoleAdmin, RoleSystem},
}

// allow returns ErrForbidden unless a's role may perform action.
func allow(a Actor, action string) error {
	for _, r := range permissions[action] {
		if r == a.Role {
			return nil
		}
	}
	return fmt.Errorf("%w: role %q may not %s", ErrForbidden, a.Role, action)
}

// logEntry appends an audit entry for a inside tx.
func logEntry(ctx context.Context, tx *store.Tx, a Actor, action string, objects []string, detail []byte) error {
	_, err := audit.Append(ctx, tx.SQL(), audit.Entry{
		Time: time.Now().UTC(), Actor: a.User, Role: string(a.Role), Action: action,
		Purpose: a.Purpose, Objects: objects, Detail: detail,
	})
	return err
}

// decodeTemplate decodes a stored template.
func decodeTemplate(format string, data []byte) (*fingerprint.Template, error) {
	if format != templateFormat {
		return nil, fmt.Errorf("unknown template format %q", format)
	}
	r, err := fingerprint.DecodeISO(data)
	if err != nil {
		return nil, err
	}
	return r.Template(0)
}

// templateFormat is how templates are stored: one-view ISO/IEC 19794-2:2005
// finger minutiae records.
const templateFormat = "iso-19794-2:2005"

// encodeTemplate encodes t for storage.
func encodeTemplate(t *fingerprint.Template) ([]byte, error) {
	return fingerprint.NewRecord(fingerprint.ISO2005, t).EncodeISO()
}

// storedFinger is a finger template in the forms the node stores and the
// gallery holds.
type storedFinger struct {
	data  []byte                // the stored encoding (templateFormat)
	t     *fingerprint.Template // decoded back from data: what a restart loads
	index []byte                // gallery.Index of t, stored beside data
}

// storeFinger encodes t for storage and computes the gallery index entry
// of the decoded form, so that the gallery holds, at enrollment and after
// a restart, exactly what the store holds.
func storeFinger(t *fingerprint.Template) (storedFinger, error) {
	data, err := encodeTemplate(t)
	if err != nil {
		return storedFinger{}, err
	}
	back, err := decodeTemplate(templateFormat, data)
	if err != nil {
		return storedFinger{}, err
	}
	return storedFinger{data: data, t: back, index: gallery.Index(back)}, nil
}

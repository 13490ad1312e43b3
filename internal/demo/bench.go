package demo

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bixproject/bix/internal/exchange"
	"github.com/bixproject/bix/internal/gallery"
	"github.com/bixproject/bix/internal/node"
)

// BenchConfig configures RunExchangeBench.
type BenchConfig struct {
	// Persons is the partner's holding (ten fingers each; default 10,000).
	Persons int
	// Duration is how long searches are sustained (default 1 minute).
	Duration time.Duration
	// Concurrency is the number of searches in flight (default 1).
	Concurrency int
	// Masters is the number of synthetic master fingers the holding is
	// made from (default 500; see node.SynthTemplates).
	Masters int
	// Shortlist turns on the partner's gallery pre-filter (node.Config
	// Shortlist; 0 searches exhaustively). bix bench exchange uses 1,000
	// unless told otherwise, as a production node would: exhaustive search
	// of 10,000 persons costs about 760 ms a search on 2 cores.
	Shortlist int
	// Probes is the number of distinct mated 2-finger probes (default 200),
	// cycled through for Duration.
	Probes int
	// Seed makes the holding and probes reproducible.
	Seed int64
	// Dir holds both nodes' data (default: a temporary directory removed
	// at the end).
	Dir string
	// Log, when not nil, receives progress lines.
	Log func(format string, args ...any)
}

// BenchReport is what RunExchangeBench measured. Latencies are in
// milliseconds.
type BenchReport struct {
	Persons int `json:"persons"`
	// P50ms and P99ms are of step-1 searches over loopback: outbox and
	// audit on the requester, mutual TLS, signatures both ways, the
	// agreement's checks, quota, gallery search, references and audit on
	// the partner.
	P50ms float64 `json:"p50_ms"`
	P99ms float64 `json:"p99_ms"`
	// LocalP50ms is up to 100 of the probes searched directly on the
	// partner's gallery with the options the exchange uses, each followed
	// by the same probe through the exchange, after one untimed pass
	// over every probe (in pre-filter mode the gallery prepares templates
	// for the matcher on first use, which the sustained remote searches
	// would otherwise have over a cold local measurement).
	LocalP50ms float64 `json:"local_p50_ms"`
	// OverheadP50ms is the median over those probes of the difference
	// between the probe's search through the exchange, made right after
	// its local search, and the local search: the exchange's own cost
	// under the same load.
	OverheadP50ms float64 `json:"overhead_p50_ms"`
	// LocalMateRank1 is the share of the local searches whose first
	// candidate is the probe's mate; against the same holding and seed
	// with Shortlist 0 it gives the pre-filter's loss.
	LocalMateRank1 float64 `json:"local_mate_rank1"`
	// Mode is "exhaustive" or "shortlist N".
	Mode           string  `json:"mode"`
	SearchesPerSec float64 `json:"searches_per_sec"`
	// Errors counts searches that failed or were not answered (queued,
	// refused).
	Errors int `json:"errors"`
	// Searches and Hits count the sustained searches; every probe is
	// mated, so hits/searches is the hit rate.
	Searches    int     `json:"searches"`
	Hits        int     `json:"hits"`
	Concurrency int     `json:"concurrency"`
	Shortlist   int     `json:"shortlist"`
	Cores       int     `json:"cores"`
	ImportS     float64 `json:"import_s"`
	DurationS   float64 `json:"duration_s"`
}

// RunExchangeBench measures the partner exchange: it starts two nodes on
// loopback (StartPair), imports cfg.Persons synthetic persons with ten
// finger templates each into the partner (B) in bulk, then times 2-finger
// mated probes searched locally on B's gallery and, for cfg.Duration, as
// step-1 searches from A to B through the exchange.
func RunExchangeBench(ctx context.Context, cfg BenchConfig) (*BenchReport, error) {
	if cfg.Persons <= 0 {
		cfg.Persons = 10000
	}
	if cfg.Duration <= 0 {
		cfg.Duration = time.Minute
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 1
	}
	if cfg.Masters <= 0 {
		cfg.Masters = 500
	}
	cfg.Masters = min(cfg.Masters, cfg.Persons*10)
	if cfg.Probes <= 0 {
		cfg.Probes = 200
	}
	cfg.Probes = min(cfg.Probes, cfg.Persons)
	logf := cfg.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if cfg.Dir == "" {
		d, err := os.MkdirTemp("", "bix-bench-exchange-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		cfg.Dir = d
	}
	rep := &BenchReport{Persons: cfg.Persons, Concurrency: cfg.Concurrency, Shortlist: cfg.Shortlist, Cores: runtime.GOMAXPROCS(0), Mode: "exhaustive"}
	if cfg.Shortlist > 0 {
		rep.Mode = fmt.Sprintf("shortlist %d", cfg.Shortlist)
	}

	// A quota well above what a minute can use: the bench measures the
	// exchange, not its refusal.
	pair, err := StartPair(ctx, Options{Dir: cfg.Dir, DailyQuota: 10_000_000, Shortlist: cfg.Shortlist})
	if err != nil {
		return nil, err
	}
	defer pair.Stop()

	start := time.Now()
	st := node.NewSynthTemplates(cfg.Seed, cfg.Masters)
	logf("grew %d master fingers in %.1fs", cfg.Masters, time.Since(start).Seconds())
	start = time.Now()
	sys := node.Actor{User: "bench-import", Role: node.RoleSystem}
	const batch = 1000
	ids := make([]string, 0, cfg.Persons)
	for p0 := 0; p0 < cfg.Persons; p0 += batch {
		p1 := min(cfg.Persons, p0+batch)
		ps := make([]node.ImportPerson, p1-p0)
		for p := p0; p < p1; p++ {
			ip := node.ImportPerson{
				Person: node.PersonInfo{GivenName: fmt.Sprintf("Bench%d", p), FamilyName: "Synthetic",
					BirthDate: fmt.Sprintf("%d-%02d-%02d", 1960+p%40, 1+p%12, 1+p%28), Nationality: "COL", Category: "irregular_entrant"},
				Encounter: node.EncounterInfo{Location: "bench", Category: "irregular_entrant"},
			}
			for f := range 10 {
				ip.Templates = append(ip.Templates, st.Enrolled(p*10+f))
			}
			ps[p-p0] = ip
		}
		got, err := pair.B.Node.Import(ctx, sys, ps)
		if err != nil {
			return nil, err
		}
		if len(got) != len(ps) {
			return nil, fmt.Errorf("import of %d persons returned %d ids", len(ps), len(got))
		}
		ids = append(ids, got...)
		if p1%5000 == 0 || p1 == cfg.Persons {
			logf("imported %d of %d persons (%.1fs)", p1, cfg.Persons, time.Since(start).Seconds())
		}
	}
	rep.ImportS = time.Since(start).Seconds()

	// Mated 2-finger probes (right index and left index) of persons spread
	// over the holding.
	probes := make([][]gallery.Sample, cfg.Probes)
	mates := make([]string, cfg.Probes)
	for k := range probes {
		p := k * cfg.Persons / cfg.Probes
		probes[k] = []gallery.Sample{{Position: 2, Template: st.Probe(p*10 + 1)}, {Position: 7, Template: st.Probe(p*10 + 6)}}
		mates[k] = ids[p]
	}

	// Local: the partner's gallery with the options its exchange uses (the
	// agreement's cap of 3 candidates, searched for 4 × 3).
	b := pair.B.Node
	th := b.Threshold(2) // calibrates on first use, before timing
	opt := gallery.Options{MaxCandidates: 12, Threshold: th}
	if cfg.Shortlist > 0 {
		// Prepares the candidates' templates as the remote searches
		// will find them.
		for _, pr := range probes {
			if _, err := b.Gallery().Identify(ctx, pr, opt); err != nil {
				return nil, err
			}
		}
	}
	// Remote, sustained.
	officer := node.Actor{User: "bench-officer", Role: node.RoleOfficer}
	req := exchange.Request{Partner: pair.B.Spec.ID, Purpose: "border_control"}
	search := func(pr []gallery.Sample) (bool, error) {
		o, err := pair.A.Exchange.Search(ctx, officer, req, pr)
		switch {
		case err != nil:
			return false, err
		case o.Status != exchange.StatusAnswered || o.Search == nil:
			return false, fmt.Errorf("search %s: status %s %s", o.RequestID, o.Status, o.LastError)
		}
		return o.Search.Result == exchange.ResultHit, nil
	}
	if _, err := search(probes[0]); err != nil { // connections, warm caches
		return nil, fmt.Errorf("warm-up search: %w", err)
	}

	// Paired: each probe searched locally, then at once through the
	// exchange, so that the difference is the exchange's own cost under
	// the same load (on a shared machine the load drifts between phases).
	var local, diff []float64
	rank1 := 0
	nLocal := min(len(probes), 100)
	for k, pr := range probes[:nLocal] {
		t0 := time.Now()
		cands, err := b.Gallery().Identify(ctx, pr, opt)
		if err != nil {
			return nil, err
		}
		l := ms(time.Since(t0))
		local = append(local, l)
		if len(cands) > 0 && cands[0].PersonID == mates[k] {
			rank1++
		}
		t0 = time.Now()
		if _, err := search(pr); err != nil {
			return nil, err
		}
		diff = append(diff, ms(time.Since(t0))-l)
	}
	rep.LocalP50ms, rep.OverheadP50ms = percentile(local, 0.5), percentile(diff, 0.5)
	rep.LocalMateRank1 = float64(rank1) / float64(nLocal)
	logf("local search on the partner's gallery (%s): p50 %.1f ms, mate at rank 1 for %d of %d probes (threshold %.3f); the same probe through the exchange right after: p50 %.1f ms more",
		rep.Mode, rep.LocalP50ms, rank1, nLocal, th, rep.OverheadP50ms)
	var (
		mu      sync.Mutex
		lat     []float64
		next    atomic.Int64
		hits    atomic.Int64
		errs    atomic.Int64
		lastErr atomic.Value
		wg      sync.WaitGroup
	)
	runCtx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	start = time.Now()
	for range cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for runCtx.Err() == nil {
				k := next.Add(1) - 1
				t0 := time.Now()
				hit, err := search(probes[int(k)%len(probes)])
				d := ms(time.Since(t0))
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					errs.Add(1)
					lastErr.Store(err.Error())
					continue
				}
				if hit {
					hits.Add(1)
				}
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep.DurationS = time.Since(start).Seconds()
	rep.Searches = len(lat) + int(errs.Load())
	rep.Hits, rep.Errors = int(hits.Load()), int(errs.Load())
	rep.SearchesPerSec = float64(len(lat)) / rep.DurationS
	rep.P50ms, rep.P99ms = percentile(lat, 0.5), percentile(lat, 0.99)
	if e, ok := lastErr.Load().(string); ok {
		logf("last error: %s", e)
	}
	if len(lat) == 0 {
		return rep, errors.New("no search succeeded")
	}
	logf("remote: %d searches in %.1fs, p50 %.1f ms, p99 %.1f ms, %d hits, %d errors", rep.Searches, rep.DurationS, rep.P50ms, rep.P99ms, rep.Hits, rep.Errors)
	return rep, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// percentile returns the q-quantile of v (nearest rank; 0 when empty).
func percentile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	k := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(0, min(k, len(s)-1))]
}

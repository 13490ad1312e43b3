package api

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/bixproject/bix/internal/audit"
	"github.com/bixproject/bix/internal/node"
	"github.com/bixproject/bix/internal/store"
)

// Login events recorded in the audit log's "login" entries (Detail.event).
const (
	// LoginSignIn is a user checking their token at sign-in: the console's
	// sign-in calls GET /v1/whoami once, not on every request.
	LoginSignIn = "sign_in"
	// LoginTokenIssued is a user's bearer token created or renewed by an
	// administrator (POST /v1/users); the entry names the user.
	LoginTokenIssued = "token_issued"
)

// logLogin appends an audit "login" entry for actor a: event is one of the
// Login constants, objects the users it concerns besides a. It is its own
// transaction: a sign-in changes nothing else in the store.
func (s *Server) logLogin(ctx context.Context, a node.Actor, event string, detail map[string]string, objects ...string) error {
	d := map[string]string{"event": event}
	for k, v := range detail {
		d[k] = v
	}
	b, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("login entry: %w", err)
	}
	err = s.n.Store().Update(ctx, func(tx *store.Tx) error {
		_, err := audit.Append(ctx, tx.SQL(), audit.Entry{
			Time: time.Now().UTC(), Actor: a.User, Role: string(a.Role), Action: audit.ActionLogin,
			Purpose: a.Purpose, Objects: objects, Detail: b,
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("login entry: %w", err)
	}
	return nil
}

// LoginSignInFailed is the event of the aggregated entry that counts
// failed authentications (no bearer token, or one that names no user) from
// one source in one minute; see signInFailures.
const LoginSignInFailed = "sign_in_failed"

// Failed sign-ins are logged in aggregate (issue 8b).
const (
	// failureWindow is the period over which failures are counted.
	failureWindow = time.Minute
	// maxFailureSources caps the sources logged one by one per window;
	// failures from further sources are summed in one "other" entry.
	maxFailureSources = 64
)

// signInFailures counts failed authentications on every authenticated
// route and logs them as audit "login" entries with the event
// LoginSignInFailed: at most one entry per source per minute, holding the
// number of failures by reason (no_token, unknown_token), the window and
// the source, and never the presented token (nor a hash of it, which would
// let anyone holding the log test guesses). A source is the client address
// of the connection (an IPv6 address reduced to its /64, which one host
// usually holds whole); X-Forwarded-For is not trusted, so behind a proxy
// the failures aggregate under the proxy's address. Past
// maxFailureSources sources in a window, the failures of the others are
// summed in one entry with source "other" and the number of sources, so a
// flood of bad tokens from any number of addresses adds at most
// maxFailureSources+1 entries a minute to the log. A window's entries are
// written at its end, each window in one transaction of its own (a failure
// changes nothing else in the store), and the last window's when the
// server shuts down (Serve), dated then. Only failures counted after a
// shutdown began, or when the process dies, are not logged (they are in
// the request log).
type signInFailures struct {
	mu     sync.Mutex
	now    func() time.Time // time.Now when nil
	window time.Time        // start of the window counted in bySource
	// bySource counts the window's failures by source and reason.
	bySource map[string]map[string]int
	// other counts failures by reason from sources past the cap, and
	// others those sources.
	other  map[string]int
	others map[string]bool
	timer  *time.Timer
}

// Reasons of a failed sign-in.
const (
	failNoToken      = "no_token"
	failUnknownToken = "unknown_token"
)

// signInFailed counts a failed authentication of r for reason.
func (s *Server) signInFailed(r *http.Request, reason string) {
	f := &s.failed
	src := failureSource(r.RemoteAddr)
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.clock()
	w := now.Truncate(failureWindow)
	if !w.Equal(f.window) && f.bySource != nil {
		s.writeFailuresLocked(context.Background())
	}
	if f.bySource == nil {
		f.window, f.bySource, f.other, f.others = w, map[string]map[string]int{}, map[string]int{}, map[string]bool{}
		if f.timer == nil {
			f.timer = time.AfterFunc(w.Add(failureWindow).Sub(now), func() { s.flushSignInFailures(context.Background(), false) })
		} else {
			f.timer.Reset(w.Add(failureWindow).Sub(now))
		}
	}
	c, ok := f.bySource[src]
	if !ok && len(f.bySource) >= maxFailureSources {
		f.other[reason]++
		f.others[src] = true
		return
	}
	if !ok {
		c = map[string]int{}
		f.bySource[src] = c
	}
	c[reason]++
}

// flushSignInFailures logs the counted window's failures once it has ended
// (or now, with force, which also stops the window's timer).
func (s *Server) flushSignInFailures(ctx context.Context, force bool) {
	f := &s.failed
	f.mu.Lock()
	defer f.mu.Unlock()
	if force && f.timer != nil {
		f.timer.Stop()
	}
	if f.bySource == nil {
		return
	}
	if now := f.clock(); !force && now.Before(f.window.Add(failureWindow)) {
		f.timer.Reset(f.window.Add(failureWindow).Sub(now))
		return
	}
	s.writeFailuresLocked(ctx)
}

func (f *signInFailures) clock() time.Time {
	if f.now != nil {
		return f.now()
	}
	return time.Now()
}

// writeFailuresLocked appends the window's entries, dated at the window's
// end or now if that is earlier (a shutdown), and starts a new window;
// f.mu is held.
func (s *Server) writeFailuresLocked(ctx context.Context) {
	f := &s.failed
	end := f.window.Add(failureWindow)
	if now := f.clock(); now.Before(end) {
		end = now
	}
	srcs := slices.Sorted(maps.Keys(f.bySource))
	entry := func(src string, counts map[string]int, extra map[string]any) (audit.Entry, error) {
		d := map[string]any{"event": LoginSignInFailed, "source": src, "window_start": f.window.UTC().Format(time.RFC3339),
			"window_s": int(failureWindow / time.Second)}
		total := 0
		for k, v := range counts {
			d[k] = v
			total += v
		}
		d["failures"] = total
		maps.Copy(d, extra)
		b, err := json.Marshal(d)
		return audit.Entry{Time: end.UTC(), Actor: "unauthenticated", Role: "none", Action: audit.ActionLogin,
			Objects: []string{"source:" + src}, Detail: b}, err
	}
	err := s.n.Store().Update(ctx, func(tx *store.Tx) error {
		for _, src := range srcs {
			e, err := entry(src, f.bySource[src], nil)
			if err != nil {
				return err
			}
			if _, err := audit.Append(ctx, tx.SQL(), e); err != nil {
				return err
			}
		}
		if len(f.others) > 0 {
			e, err := entry("other", f.other, map[string]any{"sources": len(f.others)})
			if err != nil {
				return err
			}
			if _, err := audit.Append(ctx, tx.SQL(), e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.log.Error("logging failed sign-ins", "window", f.window, "sources", len(srcs)+len(f.others), "err", err)
	}
	f.bySource, f.other, f.others = nil, nil, nil
}

// failureSource is the source a failure is counted under: the address of
// remoteAddr, an IPv6 one reduced to its /64.
func failureSource(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return "unknown"
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

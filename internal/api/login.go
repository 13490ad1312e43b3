package api

import (
	"context"
	"encoding/json"
	"fmt"
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

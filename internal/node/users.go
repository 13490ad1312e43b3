package node

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	"github.com/bixproject/bix/internal/audit"
	"github.com/bixproject/bix/internal/store"
)

var userRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._@-]{0,63}$`)

// NewToken returns a new random bearer token (256 bits, base64url).
func NewToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return "bix_" + base64.RawURLEncoding.EncodeToString(b)
}

// AddUser creates a user (or replaces the role and token of an existing one)
// and returns the new bearer token, which is stored only hashed.
func (n *Node) AddUser(ctx context.Context, a Actor, name string, role Role) (string, error) {
	if err := allow(a, "user.add"); err != nil {
		return "", err
	}
	if !userRE.MatchString(name) {
		return "", invalid("user name %q must be 1..64 of letters, digits and . _ @ -", name)
	}
	if !role.Valid() {
		return "", invalid("role %q is not one of officer, examiner, supervisor, auditor, admin", role)
	}
	tok := NewToken()
	err := n.st.Update(ctx, func(tx *store.Tx) error {
		if err := tx.PutUser(ctx, &store.User{Name: name, Role: string(role)}, tok); err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]any{"change": "user.add", "user": name, "role": role})
		return logEntry(ctx, tx, a, audit.ActionConfigChange, []string{"user:" + name}, detail)
	})
	if err != nil {
		return "", err
	}
	return tok, nil
}

// Users lists the users.
func (n *Node) Users(ctx context.Context, a Actor) ([]*store.User, error) {
	if err := allow(a, "user.add"); err != nil {
		return nil, err
	}
	return n.st.Users(ctx)
}

// Authenticate returns the actor holding bearer token.
func (n *Node) Authenticate(ctx context.Context, token string) (Actor, error) {
	if token == "" {
		return Actor{}, fmt.Errorf("%w: no bearer token", ErrUnauthenticated)
	}
	u, err := n.st.UserByToken(ctx, token)
	if errors.Is(err, store.ErrNotFound) {
		return Actor{}, fmt.Errorf("%w: unknown bearer token", ErrUnauthenticated)
	}
	if err != nil {
		return Actor{}, err
	}
	return Actor{User: u.Name, Role: Role(u.Role)}, nil
}

// Bootstrap creates an admin user "admin" with a new token if the node has
// no users yet, and returns the token ("" when users exist).
func (n *Node) Bootstrap(ctx context.Context) (string, error) {
	us, err := n.st.Users(ctx)
	if err != nil || len(us) > 0 {
		return "", err
	}
	return n.AddUser(ctx, Actor{User: n.cfg.NodeID, Role: RoleSystem, Purpose: "bootstrap"}, "admin", RoleAdmin)
}

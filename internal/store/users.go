package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// User is an API user with a role; the bearer token is stored only as its
// SHA-256 hash (tokens are 256-bit random values, so a fast hash suffices).
type User struct {
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

// TokenHash returns the stored form of a bearer token.
func TokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// PutUser creates the user or replaces its role and token.
func (t *Tx) PutUser(ctx context.Context, u *User, token string) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO users(name, role, token_hash, created_at) VALUES (?,?,?,?)
		ON CONFLICT(name) DO UPDATE SET role = excluded.role, token_hash = excluded.token_hash`,
		u.Name, u.Role, TokenHash(token), now())
	if err != nil {
		return fmt.Errorf("user %s: %w", u.Name, err)
	}
	return nil
}

// UserByToken returns the user holding bearer token; ErrNotFound if none.
func (s *Store) UserByToken(ctx context.Context, token string) (*User, error) {
	var u User
	var created string
	err := s.db.QueryRowContext(ctx, `SELECT name, role, created_at FROM users WHERE token_hash = ?`, TokenHash(token)).Scan(&u.Name, &u.Role, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("token: %w", ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	u.CreatedAt = parseTime(created)
	return &u, nil
}

// Users returns all users by name.
func (s *Store) Users(ctx context.Context) ([]*User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, role, created_at FROM users ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*User
	for rows.Next() {
		var u User
		var created string
		if err := rows.Scan(&u.Name, &u.Role, &created); err != nil {
			return nil, err
		}
		u.CreatedAt = parseTime(created)
		out = append(out, &u)
	}
	return out, rows.Err()
}

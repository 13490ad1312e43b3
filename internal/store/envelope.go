package store

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/google/uuid"
)

// KeySize is the size in bytes of the key-encryption key and of data keys
// (AES-256).
const KeySize = 32

// ErrKeyErased is returned when a record's data key has been deleted: the
// record is unreadable by design (crypto-shredding).
var ErrKeyErased = errors.New("data key erased")

// ErrDecrypt is returned when a sealed value fails authentication: wrong key,
// wrong record id, or tampering.
var ErrDecrypt = errors.New("decryption failed")

// KEK is the key-encryption key that wraps every data key. It never touches
// the database.
type KEK struct {
	aead cipher.AEAD
}

// NewKEK returns a KEK for a 32-byte key.
func NewKEK(key []byte) (*KEK, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("key-encryption key is %d bytes, want %d", len(key), KeySize)
	}
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	return &KEK{aead: aead}, nil
}

// ParseKEK parses a key written as 64 hexadecimal digits or as standard or
// URL-safe base64 of 32 bytes; surrounding white space is ignored.
func ParseKEK(text string) (*KEK, error) {
	text = strings.TrimSpace(text)
	if b, err := hex.DecodeString(text); err == nil && len(b) == KeySize {
		return NewKEK(b)
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(text); err == nil && len(b) == KeySize {
			return NewKEK(b)
		}
	}
	return nil, errors.New("key-encryption key must be 32 bytes written as 64 hex digits or base64")
}

// LoadKEK reads a key file (see ParseKEK). A key file readable by others than
// its owner is refused.
func LoadKEK(path string) (*KEK, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("key file %s: mode %v is readable by group or others; chmod 600 it", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	k, err := ParseKEK(string(b))
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return k, nil
}

// GenerateKeyText returns a new random key written as hex, for key files.
func GenerateKeyText() string {
	b := make([]byte, KeySize)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// seal encrypts plaintext with AES-GCM under aead; the output is the 12-byte
// random nonce followed by the ciphertext and tag; ad is authenticated.
func seal(aead cipher.AEAD, ad string, plaintext []byte) []byte {
	out := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	rand.Read(out)
	return aead.Seal(out, out, plaintext, []byte(ad))
}

func open(aead cipher.AEAD, ad string, sealed []byte) ([]byte, error) {
	return openAppend(nil, aead, ad, sealed)
}

// openAppend is open appending the plaintext to dst.
func openAppend(dst []byte, aead cipher.AEAD, ad string, sealed []byte) ([]byte, error) {
	n := aead.NonceSize()
	if len(sealed) < n+aead.Overhead() {
		return nil, fmt.Errorf("%w: sealed value of %d bytes is too short", ErrDecrypt, len(sealed))
	}
	pt, err := aead.Open(dst, sealed[:n], sealed[n:], []byte(ad))
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}

// DataKey is an unwrapped per-record data key. Values sealed with it carry
// their record id as additional data, so a sealed value copied to another
// record does not open.
type DataKey struct {
	ID   string
	aead cipher.AEAD
}

// Seal encrypts plaintext for the record recordID.
func (k *DataKey) Seal(recordID string, plaintext []byte) []byte {
	return seal(k.aead, recordID, plaintext)
}

// Open decrypts a value sealed for recordID.
func (k *DataKey) Open(recordID string, sealed []byte) ([]byte, error) {
	return k.openAppend(nil, recordID, sealed)
}

// openAppend is Open appending the plaintext to dst (which may then be
// reused), for scans that decrypt many records in a row.
func (k *DataKey) openAppend(dst []byte, recordID string, sealed []byte) ([]byte, error) {
	pt, err := openAppend(dst, k.aead, recordID, sealed)
	if err != nil {
		return nil, fmt.Errorf("record %s: %w", recordID, err)
	}
	return pt, nil
}

// NewDataKey creates a random data key and stores it wrapped by the KEK, with
// the key id as additional data.
func (t *Tx) NewDataKey(ctx context.Context) (*DataKey, error) {
	raw := make([]byte, KeySize)
	rand.Read(raw)
	id := uuid.NewString()
	wrapped := seal(t.s.kek.aead, "data-key:"+id, raw)
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO data_keys(id, wrapped, created_at) VALUES (?, ?, ?)`, id, wrapped, now()); err != nil {
		return nil, fmt.Errorf("data key %s: %w", id, err)
	}
	aead, err := newGCM(raw)
	if err != nil {
		return nil, err
	}
	return &DataKey{ID: id, aead: aead}, nil
}

// DeleteDataKey deletes a data key; every value sealed with it becomes
// unreadable. This is how erasure works.
func (t *Tx) DeleteDataKey(ctx context.Context, id string) error {
	res, err := t.tx.ExecContext(ctx, `DELETE FROM data_keys WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("data key %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("data key %s: %w", id, ErrNotFound)
	}
	return nil
}

// unwrap returns the data key id from its wrapped form.
func (s *Store) unwrap(id string, wrapped []byte) (*DataKey, error) {
	raw, err := open(s.kek.aead, "data-key:"+id, wrapped)
	if err != nil {
		return nil, fmt.Errorf("data key %s: %w (is this the node's key-encryption key?)", id, err)
	}
	aead, err := newGCM(raw)
	if err != nil {
		return nil, err
	}
	return &DataKey{ID: id, aead: aead}, nil
}

// dataKey loads and unwraps data key id; ErrKeyErased if it was deleted.
func (s *Store) dataKey(ctx context.Context, q querier, id string) (*DataKey, error) {
	var wrapped []byte
	err := q.QueryRowContext(ctx, `SELECT wrapped FROM data_keys WHERE id = ?`, id).Scan(&wrapped)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("data key %s: %w", id, ErrKeyErased)
	}
	if err != nil {
		return nil, fmt.Errorf("data key %s: %w", id, err)
	}
	return s.unwrap(id, wrapped)
}

package audit

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// Witness cosignatures follow C2SP tlog-cosignature
// (https://c2sp.org/tlog-cosignature), Ed25519 "cosignature/v1": a note
// signature line whose key ID is SHA-256(name || "\n" || 0x04 || public
// key)[:4] and whose signature is an 8-byte big-endian POSIX timestamp
// followed by the Ed25519 signature over
//
//	"cosignature/v1\n" || "time " || decimal timestamp || "\n" || checkpoint body
//
// so that bix nodes can also use, and serve as, witnesses of the wider
// transparency-log ecosystem.

const (
	algEd25519           = 0x01 // golang.org/x/mod/sumdb/note Ed25519 key type
	algCosignatureV1     = 0x04
	cosignatureV1Header  = "cosignature/v1\n"
	timestampedSigLength = 8 + ed25519.SignatureSize
)

func cosignatureKeyID(name string, pub ed25519.PublicKey) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{'\n', algCosignatureV1})
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

func cosignedMessage(t uint64, body []byte) []byte {
	m := make([]byte, 0, len(cosignatureV1Header)+26+len(body))
	m = append(m, cosignatureV1Header...)
	m = append(m, "time "...)
	m = strconv.AppendUint(m, t, 10)
	m = append(m, '\n')
	return append(m, body...)
}

// Cosigner makes cosignature/v1 signatures; it implements note.Signer.
type Cosigner struct {
	name string
	priv ed25519.PrivateKey
	id   uint32
	now  func() time.Time
}

// Name implements note.Signer.
func (c *Cosigner) Name() string { return c.name }

// KeyHash implements note.Signer: the cosignature/v1 key ID.
func (c *Cosigner) KeyHash() uint32 { return c.id }

// Sign implements note.Signer: msg is the checkpoint body.
func (c *Cosigner) Sign(msg []byte) ([]byte, error) {
	t := c.now().Unix()
	if t < 0 {
		return nil, fmt.Errorf("audit: cosign: time before 1970")
	}
	sig := binary.BigEndian.AppendUint64(make([]byte, 0, timestampedSigLength), uint64(t))
	return append(sig, ed25519.Sign(c.priv, cosignedMessage(uint64(t), msg))...), nil
}

// Verifier returns the cosignature/v1 verifier for c's key.
func (c *Cosigner) Verifier() note.Verifier {
	pub := c.priv.Public().(ed25519.PublicKey)
	return &cosignatureVerifier{name: c.name, pub: pub, id: c.id}
}

// Cosigner returns a cosignature/v1 signer with the same name and key as
// s, which a node uses to witness its partners' checkpoints.
func (s *Signer) Cosigner() *Cosigner {
	return &Cosigner{name: s.Name(), priv: s.priv, id: cosignatureKeyID(s.Name(), s.priv.Public().(ed25519.PublicKey)), now: time.Now}
}

// CosignatureVerifier returns the cosignature/v1 verifier for s's key.
func (s *Signer) CosignatureVerifier() note.Verifier { return s.Cosigner().Verifier() }

type cosignatureVerifier struct {
	name string
	pub  ed25519.PublicKey
	id   uint32
}

func (v *cosignatureVerifier) Name() string    { return v.name }
func (v *cosignatureVerifier) KeyHash() uint32 { return v.id }

func (v *cosignatureVerifier) Verify(msg, sig []byte) bool {
	if len(sig) != timestampedSigLength {
		return false
	}
	t := binary.BigEndian.Uint64(sig)
	if t > math.MaxInt64 {
		return false
	}
	return ed25519.Verify(v.pub, cosignedMessage(t, msg), sig[8:])
}

// NewCosignatureVerifier returns a note.Verifier for a witness's
// cosignature/v1 signatures, from its verifier key: a standard Ed25519 note
// key ("name+hash+" base64(0x01 || key)) or a cosignature/v1 one (type
// 0x04).
func NewCosignatureVerifier(vkey string) (note.Verifier, error) {
	parts := strings.SplitN(strings.TrimSpace(vkey), "+", 3)
	if len(parts) != 3 || parts[0] == "" {
		return nil, fmt.Errorf("audit: cosignature verifier key: malformed")
	}
	name := parts[0]
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 1+ed25519.PublicKeySize || (raw[0] != algEd25519 && raw[0] != algCosignatureV1) {
		return nil, fmt.Errorf("audit: cosignature verifier key: not an Ed25519 key")
	}
	if raw[0] == algEd25519 {
		// A standard key: check its own hash before reusing it.
		if _, err := note.NewVerifier(strings.TrimSpace(vkey)); err != nil {
			return nil, fmt.Errorf("audit: cosignature verifier key: %w", err)
		}
	} else {
		h, err := strconv.ParseUint(parts[1], 16, 32)
		pub := ed25519.PublicKey(raw[1:])
		if err != nil || len(parts[1]) != 8 || uint32(h) != cosignatureKeyID(name, pub) {
			return nil, fmt.Errorf("audit: cosignature verifier key: key hash does not match")
		}
	}
	pub := ed25519.PublicKey(append([]byte(nil), raw[1:]...))
	return &cosignatureVerifier{name: name, pub: pub, id: cosignatureKeyID(name, pub)}, nil
}

// CosignatureTime returns the time a cosignature/v1 signature states.
func CosignatureTime(s note.Signature) (time.Time, error) {
	raw, err := base64.StdEncoding.DecodeString(s.Base64)
	if err != nil || len(raw) != 4+timestampedSigLength {
		return time.Time{}, errors.New("audit: not a cosignature/v1 signature")
	}
	t := binary.BigEndian.Uint64(raw[4:])
	if t > math.MaxInt64 {
		return time.Time{}, errors.New("audit: cosignature timestamp out of range")
	}
	return time.Unix(int64(t), 0).UTC(), nil
}

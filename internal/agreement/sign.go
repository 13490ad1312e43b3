package agreement

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Errors from Sign and Verify that callers test.
var (
	// ErrUnsigned means a party has not signed (the agreement must not be
	// used).
	ErrUnsigned = errors.New("agreement not signed by every party")
	// ErrBadSignature means a signature does not verify, is by a key the
	// party does not list, or is by no party.
	ErrBadSignature = errors.New("bad agreement signature")
)

// sigDomain prefixes the signed message: Ed25519 over this string followed
// by the 32-byte hash.
const sigDomain = "bix agreement signature v1\n"

func signedMessage(h [32]byte) []byte {
	return append([]byte(sigDomain), h[:]...)
}

// Sign adds (or replaces) party's signature over the agreement's hash,
// made with priv, whose public key must be one of the party's signing keys.
func (a *Agreement) Sign(priv ed25519.PrivateKey, party string) error {
	if len(priv) != ed25519.PrivateKeySize {
		return fmt.Errorf("agreement: sign: private key has %d bytes", len(priv))
	}
	p, ok := a.Party(party)
	if !ok {
		return fmt.Errorf("agreement: sign: %q is not a party", party)
	}
	pub := base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey))
	if !slices.Contains(p.SigningKeys, pub) {
		return fmt.Errorf("agreement: sign: the key %s is not one of %s's signing keys", pub, party)
	}
	sig := ed25519.Sign(priv, signedMessage(a.Hash()))
	s := Signature{Party: party, Key: pub, Sig: base64.StdEncoding.EncodeToString(sig)}
	a.Signatures = slices.DeleteFunc(a.Signatures, func(x Signature) bool { return x.Party == party })
	a.Signatures = append(a.Signatures, s)
	a.verified = false
	return nil
}

// Verify checks that every party signed the agreement's current terms with
// one of its listed keys, and that there is no other signature. Only after
// it succeeds do the checks (CheckSearch, MayReturnCandidate,
// DisclosableFields) allow anything.
func (a *Agreement) Verify() error {
	a.verified = false
	msg := signedMessage(a.Hash())
	signed := map[string]bool{}
	for i, s := range a.Signatures {
		p, ok := a.Party(s.Party)
		if !ok {
			return fmt.Errorf("%w: signatures[%d]: %q is not a party", ErrBadSignature, i, s.Party)
		}
		if signed[s.Party] {
			return fmt.Errorf("%w: signatures[%d]: %s signed twice", ErrBadSignature, i, s.Party)
		}
		if !slices.Contains(p.SigningKeys, s.Key) {
			return fmt.Errorf("%w: signatures[%d]: key is not one of %s's signing keys", ErrBadSignature, i, s.Party)
		}
		pub, err := decodePublicKey(s.Key)
		if err != nil {
			return fmt.Errorf("%w: signatures[%d]: %v", ErrBadSignature, i, err)
		}
		sig, err := base64.StdEncoding.DecodeString(s.Sig)
		if err != nil || len(sig) != ed25519.SignatureSize {
			return fmt.Errorf("%w: signatures[%d] (%s): malformed signature", ErrBadSignature, i, s.Party)
		}
		if !ed25519.Verify(pub, msg, sig) {
			return fmt.Errorf("%w: signatures[%d] (%s) does not match the agreement's terms", ErrBadSignature, i, s.Party)
		}
		signed[s.Party] = true
	}
	for _, p := range a.Parties {
		if !signed[p.ID] {
			return fmt.Errorf("%w: %s has not signed", ErrUnsigned, p.ID)
		}
	}
	a.verified = true
	return nil
}

// Verified reports whether Verify succeeded since the last Sign.
func (a *Agreement) Verified() bool { return a.verified }

// File returns the agreement file with its signatures section rewritten
// to the current signatures, keeping everything else (comments included)
// byte for byte. The signatures key, if the file has one, must be the last
// top-level key.
func (a *Agreement) File() ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(a.raw, &doc); err != nil {
		return nil, fmt.Errorf("agreement: %w", err)
	}
	body := a.raw
	if len(doc.Content) == 1 && doc.Content[0].Kind == yaml.MappingNode {
		m := doc.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value != "signatures" {
				continue
			}
			if i+2 != len(m.Content) {
				return nil, fmt.Errorf("agreement: signatures must be the last top-level key to rewrite the file")
			}
			line := m.Content[i].Line
			if m.Content[i].Column != 1 {
				return nil, fmt.Errorf("agreement: signatures key is not at the start of line %d", line)
			}
			body = cutLines(a.raw, line-1)
		}
	}
	var out bytes.Buffer
	out.Write(body)
	if len(body) > 0 && !bytes.HasSuffix(body, []byte("\n")) {
		out.WriteByte('\n')
	}
	if len(a.Signatures) == 0 {
		out.WriteString("signatures: []\n")
		return out.Bytes(), nil
	}
	out.WriteString("signatures:\n")
	for _, s := range a.Signatures {
		fmt.Fprintf(&out, "  - party: %s\n    key: %s\n    sig: %s\n", s.Party, s.Key, s.Sig)
	}
	// Make sure the result is still the same agreement.
	b, err := Parse(out.Bytes())
	if err != nil {
		return nil, fmt.Errorf("agreement: rewritten file does not parse: %w", err)
	}
	if b.Hash() != a.Hash() || len(b.Signatures) != len(a.Signatures) {
		return nil, fmt.Errorf("agreement: rewritten file changed the terms")
	}
	return out.Bytes(), nil
}

// cutLines returns b up to the start of line n (0-based).
func cutLines(b []byte, n int) []byte {
	off := 0
	for i := 0; i < n && off < len(b); i++ {
		j := bytes.IndexByte(b[off:], '\n')
		if j < 0 {
			return b
		}
		off += j + 1
	}
	return b[:off]
}

// GenerateKey returns a new Ed25519 key pair for signing agreements and
// exchange messages; the public key in the base64 form the file lists.
func GenerateKey() (pub string, priv ed25519.PrivateKey, err error) {
	p, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", nil, err
	}
	return base64.StdEncoding.EncodeToString(p), k, nil
}

// EncodePrivateKey encodes priv for a key file: "bix-ed25519-seed:" and
// the base64 seed.
func EncodePrivateKey(priv ed25519.PrivateKey) string {
	return "bix-ed25519-seed:" + base64.StdEncoding.EncodeToString(priv.Seed())
}

// ParsePrivateKey decodes a key file written by EncodePrivateKey.
func ParsePrivateKey(s string) (ed25519.PrivateKey, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), "bix-ed25519-seed:")
	if !ok {
		return nil, fmt.Errorf("agreement: private key: missing bix-ed25519-seed: prefix")
	}
	seed, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("agreement: private key: malformed seed")
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

package exchange

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// ErrPin reports a peer certificate whose public key is not pinned.
var ErrPin = errors.New("peer certificate not pinned in the agreement")

// Identity is a node's exchange credentials: a self-signed TLS certificate
// (authenticated by its pin in the agreement, not by a CA) and the Ed25519
// key that signs messages.
type Identity struct {
	NodeID     string
	TLS        tls.Certificate
	SigningKey ed25519.PrivateKey
}

// Pin returns the hex SHA-256 of the identity certificate's
// SubjectPublicKeyInfo, as written in the agreement's party entry.
func (id *Identity) Pin() string { return SPKIPin(id.TLS.Leaf) }

// SigningPublicKey returns the public half of the message-signing key.
func (id *Identity) SigningPublicKey() ed25519.PublicKey {
	return id.SigningKey.Public().(ed25519.PublicKey)
}

// SPKIPin returns the hex SHA-256 of a certificate's SubjectPublicKeyInfo.
func SPKIPin(c *x509.Certificate) string {
	h := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	return hex.EncodeToString(h[:])
}

// NewIdentity makes fresh credentials for nodeID: an Ed25519 TLS key with a
// self-signed certificate valid for hosts (names or IP addresses) for two
// years from now, and an Ed25519 signing key.
func NewIdentity(nodeID string, hosts []string, now time.Time) (*Identity, error) {
	_, tlsKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	_, sigKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "bix node " + nodeID},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(2, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, tlsKey.Public(), tlsKey)
	if err != nil {
		return nil, fmt.Errorf("exchange: certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &Identity{
		NodeID:     nodeID,
		TLS:        tls.Certificate{Certificate: [][]byte{der}, PrivateKey: tlsKey, Leaf: leaf},
		SigningKey: sigKey,
	}, nil
}

// Save writes the identity as PEM files in dir: exchange-cert.pem,
// exchange-tls-key.pem and exchange-signing-key.pem (mode 0600 for keys).
func (id *Identity) Save(dir string) error {
	tlsKey, err := x509.MarshalPKCS8PrivateKey(id.TLS.PrivateKey)
	if err != nil {
		return err
	}
	sigKey, err := x509.MarshalPKCS8PrivateKey(id.SigningKey)
	if err != nil {
		return err
	}
	files := []struct {
		name, typ string
		der       []byte
		mode      os.FileMode
	}{
		{"exchange-cert.pem", "CERTIFICATE", id.TLS.Certificate[0], 0o644},
		{"exchange-tls-key.pem", "PRIVATE KEY", tlsKey, 0o600},
		{"exchange-signing-key.pem", "PRIVATE KEY", sigKey, 0o600},
	}
	for _, f := range files {
		b := pem.EncodeToMemory(&pem.Block{Type: f.typ, Bytes: f.der})
		if err := os.WriteFile(filepath.Join(dir, f.name), b, f.mode); err != nil {
			return fmt.Errorf("exchange: saving identity: %w", err)
		}
	}
	return nil
}

// LoadIdentity reads what Save wrote.
func LoadIdentity(dir, nodeID string) (*Identity, error) {
	read := func(name, typ string) ([]byte, error) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		blk, _ := pem.Decode(b)
		if blk == nil || blk.Type != typ {
			return nil, fmt.Errorf("exchange: %s: no %s PEM block", name, typ)
		}
		return blk.Bytes, nil
	}
	certDER, err := read("exchange-cert.pem", "CERTIFICATE")
	if err != nil {
		return nil, err
	}
	leaf, err := x509.ParseCertificate(certDER)
	if err != nil {
		return nil, fmt.Errorf("exchange: exchange-cert.pem: %w", err)
	}
	keys := make([]ed25519.PrivateKey, 2)
	for i, name := range []string{"exchange-tls-key.pem", "exchange-signing-key.pem"} {
		der, err := read(name, "PRIVATE KEY")
		if err != nil {
			return nil, err
		}
		k, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return nil, fmt.Errorf("exchange: %s: %w", name, err)
		}
		ek, ok := k.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("exchange: %s: not an Ed25519 key", name)
		}
		keys[i] = ek
	}
	return &Identity{NodeID: nodeID, TLS: tls.Certificate{Certificate: [][]byte{certDER}, PrivateKey: keys[0], Leaf: leaf}, SigningKey: keys[1]}, nil
}

// verifyPinned returns a tls.Config VerifyConnection callback that accepts a
// peer only if its leaf certificate's SPKI pin is one of pins() and the
// certificate is within its validity period. The pins are read at each
// handshake, so an agreement change takes effect without restart.
func verifyPinned(pins func() []string, now func() time.Time) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return fmt.Errorf("%w: no certificate presented", ErrPin)
		}
		leaf := cs.PeerCertificates[0]
		t := now()
		if t.Before(leaf.NotBefore) || t.After(leaf.NotAfter) {
			return fmt.Errorf("exchange: peer certificate outside its validity period")
		}
		pin := SPKIPin(leaf)
		if !slices.Contains(pins(), pin) {
			return fmt.Errorf("%w: %s", ErrPin, pin)
		}
		return nil
	}
}

// ServerTLSConfig returns a TLS 1.3 server configuration that requires a
// client certificate pinned in pins().
func ServerTLSConfig(id *Identity, pins func() []string) *tls.Config {
	return &tls.Config{
		MinVersion:       tls.VersionTLS13,
		Certificates:     []tls.Certificate{id.TLS},
		ClientAuth:       tls.RequireAnyClientCert,
		VerifyConnection: verifyPinned(pins, time.Now),
	}
}

// ClientTLSConfig returns a TLS 1.3 client configuration that presents id's
// certificate and accepts only a server whose certificate has the pin
// serverPin. Chain verification is replaced by the pin (partners use
// self-signed certificates named in the signed agreement).
func ClientTLSConfig(id *Identity, serverPin string) *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS13,
		Certificates:       []tls.Certificate{id.TLS},
		InsecureSkipVerify: true, // replaced by VerifyConnection's pin check
		VerifyConnection:   verifyPinned(func() []string { return []string{serverPin} }, time.Now),
	}
}

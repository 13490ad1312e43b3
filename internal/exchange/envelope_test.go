package exchange

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

func testKey(t *testing.T, seed byte) ed25519.PrivateKey {
	t.Helper()
	s := make([]byte, ed25519.SeedSize)
	for i := range s {
		s[i] = seed
	}
	return ed25519.NewKeyFromSeed(s)
}

func TestSignVerify(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	us, co := testKey(t, 1), testKey(t, 2)
	keys := map[string]ed25519.PublicKey{KeyID(us.Public().(ed25519.PublicKey)): us.Public().(ed25519.PublicKey)}
	m := &Message{Header: Header{RequestID: "r1", Type: TypeSearch, From: "us", To: "co", Purpose: "border", Time: now, AgreementHash: "ab"}, Body: []byte(`{"x":1}`)}
	b, err := Sign(m, us)
	if err != nil {
		t.Fatal(err)
	}
	got, kid, err := Verify(b, keys, now.Add(10*time.Second), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got.RequestID != "r1" || got.Purpose != "border" || string(got.Body) != `{"x":1}` || kid != KeyID(us.Public().(ed25519.PublicKey)) {
		t.Fatalf("round trip: %+v kid %s", got, kid)
	}

	// Signed by a key not listed.
	b2, _ := Sign(m, co)
	if _, _, err := Verify(b2, keys, now, time.Minute); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("unknown key: got %v", err)
	}
	// Stale and future.
	if _, _, err := Verify(b, keys, now.Add(2*time.Minute), time.Minute); !errors.Is(err, ErrStale) {
		t.Errorf("stale: got %v", err)
	}
	if _, _, err := Verify(b, keys, now.Add(-2*time.Minute), time.Minute); !errors.Is(err, ErrStale) {
		t.Errorf("future: got %v", err)
	}
	// Tampered payload.
	parts := strings.Split(string(b), ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	payload = []byte(strings.Replace(string(payload), `"border"`, `"other!"`, 1))
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	if _, _, err := Verify([]byte(strings.Join(parts, ".")), keys, now, time.Minute); !errors.Is(err, ErrBadSignature) {
		t.Errorf("tampered: got %v", err)
	}
	// Algorithm "none" and HS256 are refused by the allow-list.
	for _, hdr := range []string{`{"alg":"none","kid":"x"}`, `{"alg":"HS256","kid":"x"}`} {
		forged := base64.RawURLEncoding.EncodeToString([]byte(hdr)) + "." + parts[1] + "." + parts[2]
		if _, _, err := Verify([]byte(forged), keys, now, time.Minute); !errors.Is(err, ErrMalformed) {
			t.Errorf("alg %s: got %v", hdr, err)
		}
	}
	if _, _, err := Verify([]byte("garbage"), keys, now, time.Minute); !errors.Is(err, ErrMalformed) {
		t.Errorf("garbage: got %v", err)
	}
}

func FuzzVerify(f *testing.F) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	k := ed25519.NewKeyFromSeed(make([]byte, 32))
	m := &Message{Header: Header{RequestID: "r1", Type: TypeSearch, From: "us", To: "co", Time: now}}
	b, _ := Sign(m, k)
	f.Add(b)
	f.Add([]byte("a.b.c"))
	keys := map[string]ed25519.PublicKey{KeyID(k.Public().(ed25519.PublicKey)): k.Public().(ed25519.PublicKey)}
	f.Fuzz(func(t *testing.T, b []byte) {
		Verify(b, keys, now, time.Minute)
	})
}

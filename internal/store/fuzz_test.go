package store

import (
	"errors"
	"testing"
)

// FuzzParseKEK: key text never panics, and an accepted key is 32 bytes.
func FuzzParseKEK(f *testing.F) {
	f.Add(GenerateKeyText())
	f.Add("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	f.Add("zz")
	f.Fuzz(func(t *testing.T, s string) {
		if _, err := ParseKEK(s); err != nil {
			return
		}
	})
}

// FuzzOpenSealed: arbitrary bytes never open under a data key, never panic.
func FuzzOpenSealed(f *testing.F) {
	k, _ := ParseKEK(GenerateKeyText())
	raw := make([]byte, KeySize)
	aead, _ := newGCM(raw)
	dk := &DataKey{ID: "k", aead: aead}
	f.Add(dk.Seal("rec", []byte("hello")))
	f.Add([]byte{})
	f.Add(make([]byte, 28))
	f.Fuzz(func(t *testing.T, b []byte) {
		if pt, err := dk.Open("other-record", b); err == nil {
			t.Fatalf("opened %x as %q under another record id", b, pt)
		} else if !errors.Is(err, ErrDecrypt) {
			t.Fatalf("error %v does not wrap ErrDecrypt", err)
		}
		if _, err := open(k.aead, "data-key:x", b); err == nil {
			t.Fatal("random bytes unwrapped as a data key")
		}
	})
}

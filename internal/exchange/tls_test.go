package exchange

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestPinnedMutualTLS(t *testing.T) {
	now := time.Now()
	srvID, err := NewIdentity("co", []string{"127.0.0.1"}, now)
	if err != nil {
		t.Fatal(err)
	}
	cliID, _ := NewIdentity("us", []string{"127.0.0.1"}, now)
	stranger, _ := NewIdentity("xx", []string{"127.0.0.1"}, now)

	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	srv.TLS = ServerTLSConfig(srvID, func() []string { return []string{cliID.Pin()} })
	srv.StartTLS()
	defer srv.Close()

	get := func(id *Identity, pin string) error {
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: ClientTLSConfig(id, pin)}, Timeout: 5 * time.Second}
		resp, err := c.Get(srv.URL)
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	}
	if err := get(cliID, srvID.Pin()); err != nil {
		t.Fatalf("pinned client: %v", err)
	}
	if err := get(stranger, srvID.Pin()); err == nil {
		t.Fatal("client with an unpinned certificate was accepted")
	}
	if err := get(cliID, stranger.Pin()); err == nil || !errors.Is(err, ErrPin) {
		t.Fatalf("server with the wrong pin: got %v", err)
	}

	// Save and load keep the pin and signing key.
	dir := t.TempDir()
	if err := cliID.Save(dir); err != nil {
		t.Fatal(err)
	}
	back, err := LoadIdentity(dir, "us")
	if err != nil {
		t.Fatal(err)
	}
	if back.Pin() != cliID.Pin() || !back.SigningKey.Equal(cliID.SigningKey) {
		t.Fatal("identity changed by Save/Load")
	}
}

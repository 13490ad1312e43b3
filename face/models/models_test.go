package models

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakePackage builds a tarball holding the given files plus a decoy, and the
// Package pinning it.
func fakePackage(t *testing.T, files map[string]string) (Package, []byte) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	pkg := Package{Name: "@test/models", Version: "1.0.0"}
	add := func(name, body string) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	add("package/README.md", "decoy")
	add("../evil", "outside")
	for name, body := range files {
		add(name, body)
		sum := sha256.Sum256([]byte(body))
		pkg.Files = append(pkg.Files, File{TarPath: name, Name: filepath.Base(name), SHA256: hex.EncodeToString(sum[:]), Size: int64(len(body))})
	}
	tw.Close()
	zw.Close()
	sum := sha512.Sum512(buf.Bytes())
	pkg.Integrity = "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
	return pkg, buf.Bytes()
}

// registry serves the version document and the tarball like an npm registry.
func registry(t *testing.T, pkg Package, tgz []byte, published string) *httptest.Server {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.EscapedPath() {
		case "/@test%2fmodels/1.0.0":
			fmt.Fprintf(w, `{"name":"@test/models","version":"1.0.0","dist":{"integrity":%q,"tarball":%q}}`, published, srv.URL+"/@test/models/-/models-1.0.0.tgz")
		case "/@test/models/-/models-1.0.0.tgz":
			w.Write(tgz)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestPull(t *testing.T) {
	pkg, tgz := fakePackage(t, map[string]string{"package/model/a.bin": "weights", "package/model/a.json": "{}"})
	srv := registry(t, pkg, tgz, pkg.Integrity)
	dir := t.TempDir()
	var log bytes.Buffer
	p := &Puller{Registry: srv.URL, Log: &log}
	if err := p.Pull(context.Background(), dir, []Package{pkg}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "a.bin"))
	if err != nil || string(b) != "weights" {
		t.Fatalf("a.bin = %q, %v", b, err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		t.Errorf("dir holds %d entries, want only the 2 model files", len(ents))
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "evil")); err == nil {
		t.Error("tar entry ../evil was written outside the directory")
	}
	// A second pull finds the files up to date.
	log.Reset()
	if err := p.Pull(context.Background(), dir, []Package{pkg}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "up to date") {
		t.Errorf("second pull log: %q", log.String())
	}
}

func TestPullRejectsTamperedTarball(t *testing.T) {
	pkg, tgz := fakePackage(t, map[string]string{"package/model/a.bin": "weights"})
	bad := append([]byte(nil), tgz...)
	bad[len(bad)-5] ^= 1
	srv := registry(t, pkg, bad, pkg.Integrity)
	dir := t.TempDir()
	err := (&Puller{Registry: srv.URL + "/"}).Pull(context.Background(), dir, []Package{pkg})
	if !errors.Is(err, ErrIntegrity) {
		t.Fatalf("tampered tarball: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "a.bin")); err == nil {
		t.Error("file extracted from a tampered tarball")
	}
}

func TestPullRejectsOtherPublishedIntegrity(t *testing.T) {
	pkg, tgz := fakePackage(t, map[string]string{"package/model/a.bin": "weights"})
	srv := registry(t, pkg, tgz, "sha512-AAAA")
	err := (&Puller{Registry: srv.URL}).Pull(context.Background(), t.TempDir(), []Package{pkg})
	if !errors.Is(err, ErrIntegrity) {
		t.Fatalf("republished package: %v", err)
	}
}

func TestPullMissingFileAndHash(t *testing.T) {
	pkg, tgz := fakePackage(t, map[string]string{"package/model/a.bin": "weights"})
	srv := registry(t, pkg, tgz, pkg.Integrity)
	missing := pkg
	missing.Files = append(append([]File(nil), pkg.Files...), File{TarPath: "package/model/none", Name: "none", Size: 1})
	if err := (&Puller{Registry: srv.URL}).Pull(context.Background(), t.TempDir(), []Package{missing}); err == nil || !strings.Contains(err.Error(), "lacks") {
		t.Errorf("missing file: %v", err)
	}
	wrong := pkg
	wrong.Files = []File{pkg.Files[0]}
	wrong.Files[0].SHA256 = strings.Repeat("0", 64)
	if err := (&Puller{Registry: srv.URL}).Pull(context.Background(), t.TempDir(), []Package{wrong}); !errors.Is(err, ErrIntegrity) {
		t.Errorf("wrong file hash: %v", err)
	}
}

func TestRegistry(t *testing.T) {
	home := t.TempDir()
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	if got := Registry(getenv, home); got != DefaultRegistry {
		t.Errorf("default = %q", got)
	}
	os.WriteFile(filepath.Join(home, ".npmrc"), []byte("fund=false\n registry = https://mirror.example/npm/\n"), 0o644)
	if got := Registry(getenv, home); got != "https://mirror.example/npm/" {
		t.Errorf(".npmrc = %q", got)
	}
	env["NPM_CONFIG_REGISTRY"] = "https://upper.example/"
	if got := Registry(getenv, home); got != "https://upper.example/" {
		t.Errorf("upper-case env = %q", got)
	}
	env["npm_config_registry"] = "https://env.example/"
	if got := Registry(getenv, home); got != "https://env.example/" {
		t.Errorf("env = %q", got)
	}
}

func TestDirAndCheck(t *testing.T) {
	d := t.TempDir()
	got, err := Dir(func(k string) string {
		if k == EnvDir {
			return d
		}
		return ""
	})
	if err != nil || got != d {
		t.Fatalf("Dir = %q, %v", got, err)
	}
	if err := Check(d); !errors.Is(err, ErrMissing) {
		t.Errorf("empty dir: %v", err)
	}
	os.WriteFile(filepath.Join(d, BlazeFaceGraph), []byte("not the model"), 0o644)
	if err := Check(d); !errors.Is(err, ErrIntegrity) {
		t.Errorf("wrong file: %v", err)
	}
}

func FuzzExtract(f *testing.F) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: "package/a", Size: 1, Mode: 0o644, Typeflag: tar.TypeReg})
	tw.Write([]byte("x"))
	tw.Close()
	zw.Close()
	f.Add(buf.Bytes())
	sum := sha256.Sum256([]byte("x"))
	pkg := Package{Files: []File{{TarPath: "package/a", Name: "a", Size: 1, SHA256: hex.EncodeToString(sum[:])}}}
	f.Fuzz(func(t *testing.T, tgz []byte) {
		extract(bytes.NewReader(tgz), t.TempDir(), pkg, func(string, ...any) {})
	})
}

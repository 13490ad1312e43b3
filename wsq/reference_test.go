package wsq

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/bixproject/bix/internal/shareddata"
)

type refEntry struct {
	file          string
	width, height int
	sha           string
}

func readReference(t testing.TB) (string, []refEntry) {
	dir := shareddata.Require(t, "ansi-nist", "wsq")
	f, err := os.Open(filepath.Join(dir, "REFERENCE.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []refEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Split(sc.Text(), "\t")
		if len(fs) != 4 || fs[0] == "file" {
			continue
		}
		w, _ := strconv.Atoi(fs[1])
		h, _ := strconv.Atoi(fs[2])
		out = append(out, refEntry{fs[0], w, h, fs[3]})
	}
	return dir, out
}

// TestReferenceDecoder checks that every reference file decodes to exactly
// the pixels of the NIST NBIS decoder (SHA-256 in REFERENCE.tsv), with both
// the fast and the scalar synthesis.
func TestReferenceDecoder(t *testing.T) {
	dir, refs := readReference(t)
	if len(refs) == 0 {
		t.Fatal("REFERENCE.tsv lists no files")
	}
	for _, ref := range refs {
		t.Run(ref.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, ref.file))
			if err != nil {
				t.Fatal(err)
			}
			for _, scalar := range []bool{false, true} {
				d := &decoder{r: reader{data: data}}
				img, err := d.decode(scalar)
				if err != nil {
					t.Fatalf("scalar=%v: %v", scalar, err)
				}
				if b := img.Bounds(); b.Dx() != ref.width || b.Dy() != ref.height {
					t.Fatalf("size %v, want %d×%d", b, ref.width, ref.height)
				}
				sum := sha256.Sum256(img.Pix)
				if got := hex.EncodeToString(sum[:]); got != ref.sha {
					t.Errorf("scalar=%v: pixels sha256 %s, want %s", scalar, got, ref.sha)
				}
			}
		})
	}
}

// TestReferenceReencode decodes each reference file, encodes the pixels
// again at 0.75 bpp and decodes the result: the second generation must stay
// close to the first and compress like the original.
func TestReferenceReencode(t *testing.T) {
	dir, refs := readReference(t)
	for _, ref := range refs {
		data, err := os.ReadFile(filepath.Join(dir, ref.file))
		if err != nil {
			t.Fatal(err)
		}
		first, info, err := DecodeBytes(data)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := EncodeOptions(&buf, first, &Options{PPI: max(info.PPI, 0)}); err != nil {
			t.Fatalf("%s: %v", ref.file, err)
		}
		second, _, err := DecodeBytes(buf.Bytes())
		if err != nil {
			t.Fatalf("%s: %v", ref.file, err)
		}
		p := psnr(first.Pix, second.Pix)
		ratio := float64(len(first.Pix)) / float64(buf.Len())
		t.Logf("%s: original %d bytes, re-encoded %d bytes (%.1f:1), PSNR %.2f dB", ref.file, len(data), buf.Len(), ratio, p)
		if p < 30 || ratio < 8 {
			t.Errorf("%s: PSNR %.2f dB, %.1f:1", ref.file, p, ratio)
		}
	}
}

// Package quality measures the wsq codec on real image sets: PSNR and
// compression of Encode against the originals, decode timings, and the
// pixel-exact check against the NIST reference decoder's hashes. It backs
// "bix bench wsq" and the data-dependent tests; it is not part of the codec.
package quality

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	_ "golang.org/x/image/bmp"  // image sets in BMP
	_ "golang.org/x/image/tiff" // FVC2002 is TIFF

	"github.com/bixproject/bix/wsq"
)

// SetResult summarises one image set encoded at one bit rate.
type SetResult struct {
	Name           string
	Images         int
	Width, Height  int // of the first image
	Bitrate        float64
	MeanPSNR       float64 // dB, decoded WSQ against the original
	MinPSNR        float64
	MeanRatio      float64 // original 8-bit size / WSQ size
	MeanBPP        float64 // WSQ bits per pixel achieved
	EncodeMedian   time.Duration
	DecodeMedian   time.Duration
	PixelsPerImage int
}

// PSNR returns the peak signal-to-noise ratio of b against a in dB
// (+Inf when equal).
func PSNR(a, b []uint8) float64 {
	var mse float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		mse += d * d
	}
	mse /= float64(len(a))
	return 10 * math.Log10(255*255/mse)
}

// MeasureSet encodes every image in paths at rate, decodes it again and
// compares it with the original.
func MeasureSet(name string, paths []string, rate float64) (SetResult, error) {
	r := SetResult{Name: name, Bitrate: rate, MinPSNR: math.Inf(1)}
	var enc, dec []time.Duration
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return r, err
		}
		img, _, err := image.Decode(f)
		f.Close()
		if err != nil {
			return r, fmt.Errorf("%s: %w", p, err)
		}
		g := toGray(img)
		var buf bytes.Buffer
		t0 := time.Now()
		if err := wsq.Encode(&buf, g, rate); err != nil {
			return r, fmt.Errorf("%s: %w", p, err)
		}
		t1 := time.Now()
		out, _, err := wsq.DecodeBytes(buf.Bytes())
		if err != nil {
			return r, fmt.Errorf("%s: decoding our own output: %w", p, err)
		}
		t2 := time.Now()
		enc, dec = append(enc, t1.Sub(t0)), append(dec, t2.Sub(t1))
		psnr := PSNR(g.Pix, out.Pix)
		n := len(g.Pix)
		if r.Images == 0 {
			r.Width, r.Height, r.PixelsPerImage = g.Rect.Dx(), g.Rect.Dy(), n
		}
		r.Images++
		r.MeanPSNR += psnr
		r.MinPSNR = min(r.MinPSNR, psnr)
		r.MeanRatio += float64(n) / float64(buf.Len())
		r.MeanBPP += 8 * float64(buf.Len()) / float64(n)
	}
	if r.Images == 0 {
		return r, fmt.Errorf("%s: no images", name)
	}
	k := float64(r.Images)
	r.MeanPSNR /= k
	r.MeanRatio /= k
	r.MeanBPP /= k
	r.EncodeMedian, r.DecodeMedian = median(enc), median(dec)
	return r, nil
}

func toGray(img image.Image) *image.Gray {
	if g, ok := img.(*image.Gray); ok && g.Rect.Min == (image.Point{}) && g.Stride == g.Rect.Dx() {
		return g
	}
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			g.Set(x, y, img.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return g
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// Reference is the outcome of decoding one file listed in REFERENCE.tsv.
type Reference struct {
	File          string
	Width, Height int
	Match         bool
	Err           error
}

// CheckReference decodes every file listed in dir/REFERENCE.tsv (file,
// width, height, SHA-256 of the reference decoder's 8-bit pixels) and
// reports whether the pixels match.
func CheckReference(dir string) ([]Reference, error) {
	f, err := os.Open(filepath.Join(dir, "REFERENCE.tsv"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Reference
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Split(sc.Text(), "\t")
		if len(fs) != 4 || fs[0] == "file" {
			continue
		}
		ref := Reference{File: fs[0]}
		ref.Width, _ = strconv.Atoi(fs[1])
		ref.Height, _ = strconv.Atoi(fs[2])
		data, err := os.ReadFile(filepath.Join(dir, fs[0]))
		if err == nil {
			var img *image.Gray
			if img, _, err = wsq.DecodeBytes(data); err == nil {
				sum := sha256.Sum256(img.Pix)
				ref.Match = img.Rect.Dx() == ref.Width && img.Rect.Dy() == ref.Height && hex.EncodeToString(sum[:]) == fs[3]
			}
		}
		ref.Err = err
		out = append(out, ref)
	}
	return out, sc.Err()
}

// DecodeTimes decodes data n times on one locked OS thread and returns the
// median wall time and the median CPU time of that thread (0 where the
// platform does not report it). On a machine shared with other work the CPU
// time is the steadier measure of the one-core cost.
func DecodeTimes(data []byte, n int) (wall, cpu time.Duration, err error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var ws, cs []time.Duration
	for range n {
		c0, ok := threadCPU()
		t0 := time.Now()
		if _, _, err := wsq.DecodeBytes(data); err != nil {
			return 0, 0, err
		}
		ws = append(ws, time.Since(t0))
		if c1, _ := threadCPU(); ok {
			cs = append(cs, c1-c0)
		}
	}
	if len(cs) > 0 {
		cpu = median(cs)
	}
	return median(ws), cpu, nil
}

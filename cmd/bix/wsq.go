package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	_ "image/jpeg" // encode input formats
	"image/png"
	"os"
	"path/filepath"
	"strings"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/tiff"

	"github.com/bixproject/bix/internal/shareddata"
	"github.com/bixproject/bix/wsq"
	"github.com/bixproject/bix/wsq/quality"
)

func init() {
	register("wsq", command{
		summary: "decode, encode and inspect WSQ fingerprint images",
		run: func(ctx context.Context, env *cliEnv, args []string) error {
			return subcommands(ctx, env, "wsq", args, map[string]func(context.Context, *cliEnv, []string) error{
				"decode": wsqDecode,
				"encode": wsqEncode,
				"info":   wsqInfo,
			})
		},
	})
	registerBench("wsq", benchWSQ)
}

// benchWSQ reports the codec against ../shared/data: pixel-exact decoding of
// the NIST reference files, decode time of a 500 ppi print, and PSNR and
// compression of our encoder on FVC2002.
func benchWSQ(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "bench wsq")
	rate := fs.Float64("bitrate", wsq.DefaultBitrate, "encoder bit rate for the FVC2002 part")
	reps := fs.Int("n", 51, "decode repetitions for the timing (median reported)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	w := env.stdout
	if dir, ok := shareddata.Path("ansi-nist", "wsq"); !ok {
		fmt.Fprintln(w, "reference: shared data ansi-nist/wsq absent; skipped")
	} else {
		refs, err := quality.CheckReference(dir)
		if err != nil {
			return err
		}
		ok := 0
		for _, r := range refs {
			if r.Match {
				ok++
			} else {
				fmt.Fprintf(w, "reference: %s differs from the NBIS pixels (err %v)\n", r.File, r.Err)
			}
		}
		fmt.Fprintf(w, "reference: %d/%d files decode to the NBIS reference pixels\n", ok, len(refs))
		data, err := os.ReadFile(filepath.Join(dir, "fp-1.wsq"))
		if err != nil {
			return err
		}
		wall, cpu, err := quality.DecodeTimes(data, *reps)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "decode fp-1.wsq (804×752, 500 ppi), %d runs on one thread: median %.2f ms wall, %.2f ms thread CPU\n", *reps, float64(wall.Microseconds())/1000, float64(cpu.Microseconds())/1000)
	}
	dir, ok := shareddata.Path("fingerprints", "fvc2002-b")
	if !ok {
		fmt.Fprintln(w, "fvc2002: shared data fingerprints/fvc2002-b absent; skipped")
		return nil
	}
	fmt.Fprintf(w, "fvc2002 at %.2f bpp target:\n", *rate)
	fmt.Fprintf(w, "  %-6s %6s %9s %10s %9s %8s %7s %8s %8s\n", "set", "images", "size", "PSNR dB", "min dB", "ratio", "bpp", "enc ms", "dec ms")
	for _, db := range []string{"DB1_B", "DB2_B", "DB3_B", "DB4_B"} {
		if err := ctx.Err(); err != nil {
			return err
		}
		paths, _ := filepath.Glob(filepath.Join(dir, db, "*.tif"))
		r, err := quality.MeasureSet(db, paths, *rate)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  %-6s %6d %9s %10.2f %9.2f %7.1f:1 %7.3f %8.2f %8.2f\n", db, r.Images, fmt.Sprintf("%d×%d", r.Width, r.Height),
			r.MeanPSNR, r.MinPSNR, r.MeanRatio, r.MeanBPP, float64(r.EncodeMedian.Microseconds())/1000, float64(r.DecodeMedian.Microseconds())/1000)
	}
	return nil
}

// wsqInput parses flags around the single positional argument.
func wsqInput(env *cliEnv, fs interface {
	Parse([]string) error
	Args() []string
}, args []string, usage string) (string, error) {
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	rest := fs.Args()
	if len(rest) > 1 {
		if err := fs.Parse(rest[1:]); err != nil {
			return "", err
		}
		rest = append(rest[:1], fs.Args()...)
	}
	if len(rest) != 1 {
		fmt.Fprintln(env.stderr, "usage:", usage)
		return "", errUsage
	}
	return rest[0], nil
}

func wsqDecode(ctx context.Context, env *cliEnv, args []string) error {
	const usage = "bix wsq decode IN.wsq -o OUT [-raw]"
	fs := newFlagSet(env, "wsq decode")
	out := fs.String("o", "", "output file: PNG, or bare 8-bit pixels row by row with -raw")
	raw := fs.Bool("raw", false, "write the bare pixels instead of PNG")
	in, err := wsqInput(env, fs, args, usage)
	if err != nil {
		return err
	}
	if *out == "" {
		fmt.Fprintln(env.stderr, "usage:", usage)
		return errUsage
	}
	data, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	img, _, err := wsq.DecodeBytes(data)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	var b []byte
	if *raw {
		b = img.Pix
	} else {
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			return err
		}
		b = buf.Bytes()
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "%s: %d×%d\n", *out, img.Rect.Dx(), img.Rect.Dy())
	return nil
}

func wsqEncode(ctx context.Context, env *cliEnv, args []string) error {
	const usage = "bix wsq encode IN -o OUT.wsq [-bitrate 0.75] [-ppi 500] [-comment TEXT]"
	fs := newFlagSet(env, "wsq encode")
	out := fs.String("o", "", "output WSQ file")
	rate := fs.Float64("bitrate", wsq.DefaultBitrate, "target bits per pixel")
	ppi := fs.Int("ppi", 500, "scanning resolution to record")
	comment := fs.String("comment", "", "an extra COM segment")
	in, err := wsqInput(env, fs, args, usage)
	if err != nil {
		return err
	}
	if *out == "" {
		fmt.Fprintln(env.stderr, "usage:", usage)
		return errUsage
	}
	if *rate <= 0 {
		return fmt.Errorf("-bitrate %v: must be positive", *rate)
	}
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	img, format, err := image.Decode(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	o := &wsq.Options{Bitrate: *rate, PPI: *ppi}
	if *comment != "" {
		o.Comments = []string{*comment}
	}
	var buf bytes.Buffer
	if err := wsq.EncodeOptions(&buf, img, o); err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	b := img.Bounds()
	fmt.Fprintf(env.stdout, "%s: %d×%d %s → %d bytes (%.1f:1)\n", *out, b.Dx(), b.Dy(), format, buf.Len(), float64(b.Dx()*b.Dy())/float64(buf.Len()))
	return nil
}

func wsqInfo(ctx context.Context, env *cliEnv, args []string) error {
	const usage = "bix wsq info IN.wsq"
	fs := newFlagSet(env, "wsq info")
	in, err := wsqInput(env, fs, args, usage)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	info, err := wsq.ReadInfo(data)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	w := env.stdout
	fmt.Fprintf(w, "size: %d×%d\n", info.Width, info.Height)
	fmt.Fprintf(w, "ppi: %d\n", info.PPI)
	fmt.Fprintf(w, "bytes: %d (%.1f:1)\n", len(data), float64(info.Width*info.Height)/float64(len(data)))
	fmt.Fprintf(w, "frame: black %d white %d shift %g scale %g encoder %d software %d\n", info.Black, info.White, info.Shift, info.Scale, info.Encoder, info.Software)
	fmt.Fprintf(w, "transform: %d-tap lowpass, %d-tap highpass\n", info.AnalysisLowTaps, info.AnalysisHighTaps)
	coded := 0
	for k := range info.Q {
		if info.Q[k] != 0 {
			coded++
		}
	}
	fmt.Fprintf(w, "quantization: bin centre %g, %d subbands coded\n", info.BinCenter, coded)
	for k := range info.Q {
		if info.Q[k] != 0 {
			fmt.Fprintf(w, "  subband %2d: Q %-12g Z %g\n", k, info.Q[k], info.Z[k])
		}
	}
	fmt.Fprintf(w, "huffman tables: %v\n", info.HuffmanTables)
	for i, c := range info.Comments {
		fmt.Fprintf(w, "comment %d:\n", i+1)
		for _, line := range strings.Split(strings.TrimRight(c, "\n"), "\n") {
			fmt.Fprintf(w, "  %s\n", line)
		}
	}
	return nil
}

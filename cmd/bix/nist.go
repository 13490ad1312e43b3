package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "golang.org/x/image/bmp"  // finger images from scanners
	_ "golang.org/x/image/tiff" // finger images from scanners

	"github.com/bixproject/bix/ansinist"
)

func init() {
	register("nist", command{
		summary: "ANSI/NIST-ITL transactions: dump, validate, images, build, convert",
		run: func(ctx context.Context, env *cliEnv, args []string) error {
			return subcommands(ctx, env, "nist", args, map[string]func(context.Context, *cliEnv, []string) error{
				"dump":     nistDump,
				"validate": nistValidate,
				"images":   nistImages,
				"build":    nistBuild,
				"convert":  nistConvert,
			})
		},
	})
}

// readTransaction reads a transaction in either encoding from path. XML
// elements that map to no field are reported on stderr and skipped.
func readTransaction(env *cliEnv, path string) (*ansinist.Transaction, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := ansinist.Decode(f)
	var um *ansinist.UnmappedElementsError
	if errors.As(err, &um) && t != nil {
		fmt.Fprintf(env.stderr, "warning: %s: %v\n", path, err)
		return t, nil
	}
	return t, err
}

// oneFile parses flags and requires exactly one file argument.
func oneFile(env *cliEnv, name, usage string, args []string, setup func(*flag.FlagSet)) (string, error) {
	fs := newFlagSet(env, "nist "+name)
	fs.Usage = func() { fmt.Fprintf(env.stderr, "usage: bix nist %s %s\n", name, usage); fs.PrintDefaults() }
	if setup != nil {
		setup(fs)
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		fs.Usage()
		return "", errUsage
	}
	return pos[0], nil
}

// parseInterleaved parses flags that may come after positional arguments
// ("bix nist images FILE -o DIR") and returns the positional arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func nistDump(ctx context.Context, env *cliEnv, args []string) error {
	p, err := oneFile(env, "dump", "FILE", args, nil)
	if err != nil {
		return err
	}
	t, err := readTransaction(env, p)
	if err != nil {
		return err
	}
	return t.Dump(env.stdout)
}

func nistValidate(ctx context.Context, env *cliEnv, args []string) error {
	p, err := oneFile(env, "validate", "FILE", args, nil)
	if err != nil {
		return err
	}
	t, err := readTransaction(env, p)
	if err != nil {
		return err
	}
	vs := t.Validate()
	for _, v := range vs {
		fmt.Fprintln(env.stdout, v)
	}
	if len(vs) > 0 {
		return fmt.Errorf("%s: %d violations", p, len(vs))
	}
	fmt.Fprintf(env.stdout, "%s: valid (%d records)\n", p, len(t.Records))
	return nil
}

func nistImages(ctx context.Context, env *cliEnv, args []string) error {
	var out string
	p, err := oneFile(env, "images", "FILE -o DIR", args, func(fs *flag.FlagSet) {
		fs.StringVar(&out, "o", "", "directory to write the PNG images to (created)")
	})
	if err != nil {
		return err
	}
	if out == "" {
		return errors.New("images: -o DIR is required")
	}
	t, err := readTransaction(env, p)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	failed := 0
	for _, im := range t.Images() {
		name := imageName(t, im)
		img, err := im.Decode()
		if err != nil {
			fmt.Fprintf(env.stderr, "record %d (type-%d): %v\n", im.Record, im.Type, err)
			failed++
			continue
		}
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, name), b.Bytes(), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "%s\t%d×%d\t%s\n", name, img.Bounds().Dx(), img.Bounds().Dy(), im.Compression)
	}
	if failed > 0 {
		return fmt.Errorf("%d images could not be decoded", failed)
	}
	return nil
}

// imageName is "rNN-typeT[-fgpP|-face|-IMT].png".
func imageName(t *ansinist.Transaction, im ansinist.Image) string {
	r := t.Records[im.Record-1]
	name := fmt.Sprintf("r%02d-type%d", im.Record, im.Type)
	switch {
	case r.Binary() && im.Type >= 3 && im.Type <= 6:
		name += fmt.Sprintf("-fgp%02d", r.Header[6])
	case im.Type == 13 || im.Type == 14 || im.Type == 15:
		if pos, ok := r.Int(13); ok {
			name += fmt.Sprintf("-fgp%02d", pos)
		}
	case im.Type == 10:
		if imt := strings.ToLower(r.Value(3)); imt != "" && !strings.ContainsAny(imt, "/\\. ") {
			name += "-" + imt
		}
	}
	return name + ".png"
}

// repeated collects a repeatable flag's values.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

func nistBuild(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "nist build")
	var (
		out, bioPath, tot, ori, dai, tcn, date string
		impression, ppi                        int
		fingers, faces                         repeated
	)
	fs.StringVar(&out, "o", "", "output transaction `file` (required)")
	fs.StringVar(&bioPath, "bio", "", "biographic JSON `file` (see ansinist.Biographics; example in ansinist/testdata/biographics.json)")
	fs.Var(&fingers, "finger", "finger image as `POSITION=PATH` (repeatable; .wsq kept as WSQ, other images stored as PNG)")
	fs.Var(&faces, "face", "face image `PATH` (repeatable; .jpg kept as JPEGB, others stored as JPEGB)")
	fs.IntVar(&impression, "impression", 0, "impression type of the fingers (0 live-scan plain, 1 live-scan rolled)")
	fs.IntVar(&ppi, "ppi", 500, "finger image resolution in pixels per inch")
	fs.StringVar(&tot, "tot", "BIX", "transaction type (1.004 TOT)")
	fs.StringVar(&ori, "ori", "BIX", "originating agency (1.008 ORI)")
	fs.StringVar(&dai, "dai", "", "destination agency (1.007 DAI; default ORI)")
	fs.StringVar(&tcn, "tcn", "", "transaction control number (1.009 TCN; default from the date)")
	fs.StringVar(&date, "date", "", "transaction time, RFC 3339 (default now)")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: bix nist build -o FILE [-bio JSON] [-finger POS=PATH ...] [-face PATH ...]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if out == "" || fs.NArg() != 0 {
		fs.Usage()
		return errUsage
	}
	req := ansinist.BuildRequest{TransactionType: tot, Originator: ori, Destination: dai, ControlNumber: tcn}
	if date != "" {
		d, err := time.Parse(time.RFC3339, date)
		if err != nil {
			return fmt.Errorf("build: -date: %w", err)
		}
		req.Date = d
	}
	if bioPath != "" {
		b, err := os.ReadFile(bioPath)
		if err != nil {
			return err
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req.Biographics); err != nil {
			return fmt.Errorf("build: %s: %w", bioPath, err)
		}
	}
	for _, f := range fingers {
		pos, path, ok := strings.Cut(f, "=")
		n, err := strconv.Atoi(pos)
		if !ok || err != nil {
			return fmt.Errorf("build: -finger %q: want POSITION=PATH", f)
		}
		fi := ansinist.FingerImage{Position: n, Impression: impression, PPI: ppi}
		if err := loadImage(path, ".wsq", ansinist.CompressionWSQ, &fi.Image, &fi.Data, &fi.Compression); err != nil {
			return fmt.Errorf("build: finger %d: %w", n, err)
		}
		req.Fingers = append(req.Fingers, fi)
	}
	for _, path := range faces {
		var fi ansinist.FaceImage
		ext := ".jpg"
		if strings.EqualFold(filepath.Ext(path), ".jpeg") {
			ext = ".jpeg"
		}
		if err := loadImage(path, ext, ansinist.CompressionJPEGB, &fi.Image, &fi.Data, &fi.Compression); err != nil {
			return fmt.Errorf("build: face: %w", err)
		}
		req.Faces = append(req.Faces, fi)
	}
	t, err := ansinist.Build(req)
	if err != nil {
		return err
	}
	b, err := t.Bytes()
	if err != nil {
		return err
	}
	return os.WriteFile(out, b, 0o644)
}

// loadImage reads path: a file with extension keepExt is kept as encoded data
// with compression keep; any other is decoded into img.
func loadImage(path, keepExt, keep string, img *image.Image, data *[]byte, compression *string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if strings.EqualFold(filepath.Ext(path), keepExt) {
		*data, *compression = b, keep
		return nil
	}
	m, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	*img = m
	return nil
}

func nistConvert(ctx context.Context, env *cliEnv, args []string) error {
	var out, to string
	p, err := oneFile(env, "convert", "IN -o OUT [-to traditional|xml]", args, func(fs *flag.FlagSet) {
		fs.StringVar(&out, "o", "", "output `file` (required)")
		fs.StringVar(&to, "to", "traditional", "output encoding: traditional or xml")
	})
	if err != nil {
		return err
	}
	if out == "" {
		return errors.New("convert: -o OUT is required")
	}
	t, err := readTransaction(env, p)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	switch to {
	case "traditional":
		err = t.Encode(&b)
	case "xml":
		err = t.EncodeXML(&b)
	default:
		return fmt.Errorf("convert: -to %q: want traditional or xml", to)
	}
	if err != nil {
		return err
	}
	return os.WriteFile(out, b.Bytes(), 0o644)
}

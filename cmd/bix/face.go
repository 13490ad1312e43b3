package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/bixproject/bix/face"
	"github.com/bixproject/bix/internal/shareddata"
)

func init() {
	register("face", command{
		summary: "detect, embed and match faces (models: bix models pull)",
		run: func(ctx context.Context, env *cliEnv, args []string) error {
			return subcommands(ctx, env, "face", args, map[string]func(context.Context, *cliEnv, []string) error{
				"detect": faceDetect,
				"embed":  faceEmbed,
				"match":  faceMatch,
			})
		},
	})
	registerBench("face", benchFace)
}

// faceFlags parses the common -models flag and returns the engine.
func loadFaceEngine(env *cliEnv, dir string) (*face.Engine, error) {
	d, err := faceModelDir(env, dir)
	if err != nil {
		return nil, err
	}
	return face.Load(d)
}

func faceProcessFile(e *face.Engine, path string) ([]face.Face, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, err := face.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return e.Process(img)
}

type faceJSON struct {
	Box       [4]float64    `json:"box"`
	Keypoints [][2]float64  `json:"keypoints"`
	Score     float64       `json:"score"`
	Quality   *face.Quality `json:"quality"`
	Embedding []float32     `json:"embedding,omitempty"`
}

func toFaceJSON(f face.Face, withEmb bool) faceJSON {
	j := faceJSON{Box: [4]float64{f.Box.X0, f.Box.Y0, f.Box.X1, f.Box.Y1}, Score: f.Score, Quality: &f.Quality}
	for _, k := range f.Keypoints {
		j.Keypoints = append(j.Keypoints, [2]float64{k.X, k.Y})
	}
	if withEmb {
		j.Embedding = f.Embedding
	}
	return j
}

func faceDetect(ctx context.Context, env *cliEnv, args []string) error {
	return faceOne(env, "face detect", args, false)
}

func faceEmbed(ctx context.Context, env *cliEnv, args []string) error {
	return faceOne(env, "face embed", args, true)
}

func faceOne(env *cliEnv, name string, args []string, withEmb bool) error {
	fs := newFlagSet(env, name)
	dir := fs.String("models", "", "model directory (default $BIX_MODELS or the user cache)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(env.stderr, "usage: bix %s [-models DIR] IMAGE\n", name)
		return errUsage
	}
	e, err := loadFaceEngine(env, *dir)
	if err != nil {
		return err
	}
	faces, err := faceProcessFile(e, fs.Arg(0))
	if err != nil {
		return err
	}
	out := []faceJSON{}
	for _, f := range faces {
		if withEmb && f.Embedding == nil {
			continue
		}
		out = append(out, toFaceJSON(f, withEmb))
	}
	if withEmb && len(out) == 0 {
		return fmt.Errorf("%s: %w", fs.Arg(0), face.ErrNoFace)
	}
	enc := json.NewEncoder(env.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func faceMatch(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "face match")
	dir := fs.String("models", "", "model directory (default $BIX_MODELS or the user cache)")
	th := fs.Float64("threshold", float64(face.DefaultThreshold), "cosine score at or above which the faces match")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		fmt.Fprintln(env.stderr, "usage: bix face match [-models DIR] [-threshold T] IMAGE_A IMAGE_B")
		return errUsage
	}
	e, err := loadFaceEngine(env, *dir)
	if err != nil {
		return err
	}
	var embs [2][]float32
	for i := range 2 {
		faces, err := faceProcessFile(e, fs.Arg(i))
		if err != nil {
			return err
		}
		f, ok := face.Primary(faces)
		if !ok || f.Embedding == nil {
			return fmt.Errorf("%s: %w", fs.Arg(i), face.ErrNoFace)
		}
		embs[i] = f.Embedding
	}
	s := face.Cosine(embs[0], embs[1])
	verdict := "no match"
	if float64(s) >= *th {
		verdict = "match"
	}
	fmt.Fprintf(env.stdout, "score %.4f threshold %.4f %s\n", s, *th, verdict)
	return nil
}

func benchFace(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "bench face")
	lfw := fs.String("lfw", "", "LFW directory (default ../shared/data/faces/lfw-deepfunneled)")
	pairsFile := fs.String("pairs", "", "pairs file in LFW View 2 format (default DIR/pairs_folds1-2.txt)")
	galleryFile := fs.String("gallery", "", "identities for rank-1 1:N (default DIR/gallery_ids.txt when present; \"none\" to skip)")
	dir := fs.String("models", "", "model directory")
	workers := fs.Int("workers", 0, "parallel images (default GOMAXPROCS)")
	timed := fs.Int("timed", 100, "images processed again one at a time to measure per-stage CPU time")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	flip := fs.Bool("flip", false, "average each embedding with its mirror image's (slower, more accurate)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *lfw == "" {
		p, ok := shareddata.Path("faces", "lfw-deepfunneled")
		if !ok {
			return fmt.Errorf("LFW data absent (no -lfw and no ../shared/data/faces/lfw-deepfunneled); nothing measured")
		}
		*lfw = p
	}
	if *pairsFile == "" {
		*pairsFile = filepath.Join(*lfw, "pairs_folds1-2.txt")
	}
	f, err := os.Open(*pairsFile)
	if err != nil {
		return err
	}
	pairs, folds, err := face.ReadPairs(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", *pairsFile, err)
	}
	var ids []string
	if *galleryFile != "none" {
		gf := *galleryFile
		if gf == "" {
			gf = filepath.Join(*lfw, "gallery_ids.txt")
		}
		if b, err := os.Open(gf); err == nil {
			sc := bufio.NewScanner(b)
			for sc.Scan() {
				if s := strings.TrimSpace(sc.Text()); s != "" {
					ids = append(ids, s)
				}
			}
			b.Close()
		} else if *galleryFile != "" {
			return err
		}
	}
	e, err := loadFaceEngine(env, *dir)
	if err != nil {
		return err
	}
	e.FlipAverage = *flip
	rep, err := e.EvaluateLFW(*lfw, pairs, folds, ids, *workers, *timed)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	fmt.Fprintf(env.stdout, "LFW %s: %d pairs in %d fold(s), %d images (%d without a detected face)\n", *lfw, rep.Pairs, rep.Folds, rep.Images, rep.FailedToDetect)
	fmt.Fprintf(env.stdout, "verification accuracy %.2f %% (cross-fold), %.2f %% at the default threshold %.2f\n", 100*rep.Accuracy, 100*rep.AccuracyDefault, face.DefaultThreshold)
	fmt.Fprintf(env.stdout, "TAR at FAR 0.01: %.2f %%; threshold for FMR 0.001: %.4f\n", 100*rep.TARAtFAR001, rep.ThresholdFMR0001)
	if rep.Rank1 >= 0 {
		fmt.Fprintf(env.stdout, "rank-1 1:N: %.2f %% (%d probes, gallery of %d)\n", 100*rep.Rank1, rep.Rank1Probes, rep.Rank1Gallery)
	}
	fmt.Fprintf(env.stdout, "median CPU per image over %d images (GEMM kernel %s): detect %.1f ms, embed %.1f ms (wall %.1f / %.1f ms)\n",
		rep.TimedImages, rep.GEMMKernel, rep.DetectMsMedian, rep.EmbedMsMedian, rep.DetectWallMsMedian, rep.EmbedWallMsMedian)
	return nil
}

package main

import (
	"context"
	"fmt"
	"os"

	"github.com/bixproject/bix/face/models"
)

func init() {
	register("models", command{
		summary: "fetch (pull) and check the pinned face models",
		run: func(ctx context.Context, env *cliEnv, args []string) error {
			return subcommands(ctx, env, "models", args, map[string]func(context.Context, *cliEnv, []string) error{
				"pull":  modelsPull,
				"check": modelsCheck,
			})
		},
	})
}

func modelsPull(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "models pull")
	dir := fs.String("dir", "", "model cache directory (default $"+models.EnvDir+", else the user cache dir's bix/models)")
	registry := fs.String("registry", "", "npm registry address (default: npm_config_registry, ~/.npmrc registry=, "+models.DefaultRegistry+")")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return errUsage
	}
	d, err := faceModelDir(env, *dir)
	if err != nil {
		return err
	}
	reg := *registry
	if reg == "" {
		home, _ := os.UserHomeDir()
		reg = models.Registry(env.getenv, home)
	}
	p := &models.Puller{Registry: reg, Log: env.stdout}
	if err := p.Pull(ctx, d, models.Pinned); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "models ready in %s\n", d)
	return nil
}

func modelsCheck(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "models check")
	dir := fs.String("dir", "", "model cache directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	d, err := faceModelDir(env, *dir)
	if err != nil {
		return err
	}
	if err := models.Check(d); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "models ok in %s\n", d)
	return nil
}

func faceModelDir(env *cliEnv, flagDir string) (string, error) {
	if flagDir != "" {
		return flagDir, nil
	}
	return models.Dir(env.getenv)
}

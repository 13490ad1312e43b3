package main

import "context"

// benchmarks holds the "bix bench <name>" reports, registered by each
// subsystem's file with registerBench.
var benchmarks = map[string]func(context.Context, *cliEnv, []string) error{}

func registerBench(name string, f func(context.Context, *cliEnv, []string) error) {
	if _, dup := benchmarks[name]; dup {
		panic("bix: bench registered twice: " + name)
	}
	benchmarks[name] = f
}

func init() {
	register("bench", command{
		summary: "accuracy and speed reports (fingerprint, face, identify, exchange, ...)",
		run: func(ctx context.Context, env *cliEnv, args []string) error {
			return subcommands(ctx, env, "bench", args, benchmarks)
		},
	})
}

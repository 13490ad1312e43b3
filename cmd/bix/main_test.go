package main

import (
	"context"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets testscript run "bix" in-process.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"bix": func() {
			os.Exit(run(context.Background(), &cliEnv{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}, os.Args[1:]))
		},
	})
}

// TestScripts runs the CLI tests in testdata/script/*.txtar. Each file tests
// one command group; see testscript's documentation for the format.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: "testdata/script"})
}

// Command bix runs and talks to a bix node: an open biometric information
// exchange. Each subcommand group lives in its own file and registers itself
// in commands; main only parses the first argument and wires.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// command is one top-level subcommand ("demo", "fingerprint", "nist", ...).
type command struct {
	// summary is one line for the usage listing.
	summary string
	// run executes the command with the arguments after its name. It writes
	// results to stdout and diagnostics to stderr and returns an error for
	// the exit status; errUsage means the usage was already printed.
	run func(ctx context.Context, env *cliEnv, args []string) error
}

// cliEnv is what commands get from main: streams and the environment, so that
// tests can run commands in-process.
type cliEnv struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// errUsage reports a usage error whose message was already written.
var errUsage = errors.New("usage")

// commands is the registry of top-level subcommands, filled by init functions
// in this package's files (one file per group).
var commands = map[string]command{}

func register(name string, c command) {
	if _, dup := commands[name]; dup {
		panic("bix: command registered twice: " + name)
	}
	commands[name] = c
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, &cliEnv{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}, os.Args[1:])
	stop()
	os.Exit(code)
}

// run executes one bix invocation and returns the process exit code.
func run(ctx context.Context, env *cliEnv, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		usage(env.stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(env.stderr, "bix: unknown command %q\n", args[0])
		usage(env.stderr)
		return 2
	}
	if err := c.run(ctx, env, args[1:]); err != nil {
		if errors.Is(err, errUsage) || errors.Is(err, flag.ErrHelp) {
			return 2
		}
		fmt.Fprintf(env.stderr, "bix %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: bix <command> [arguments]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary)
	}
}

// subcommands dispatches a command group ("bix nist dump ...") to its
// subcommands by the first argument.
func subcommands(ctx context.Context, env *cliEnv, group string, args []string, subs map[string]func(context.Context, *cliEnv, []string) error) error {
	names := make([]string, 0, len(subs))
	for n := range subs {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(args) == 0 {
		fmt.Fprintf(env.stderr, "usage: bix %s <%s> [arguments]\n", group, strings.Join(names, "|"))
		return errUsage
	}
	f, ok := subs[args[0]]
	if !ok {
		fmt.Fprintf(env.stderr, "bix %s: unknown subcommand %q (want one of %s)\n", group, args[0], strings.Join(names, ", "))
		return errUsage
	}
	return f(ctx, env, args[1:])
}

// newFlagSet returns a flag set that writes its usage to env.stderr and
// returns errors instead of exiting.
func newFlagSet(env *cliEnv, name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	return fs
}

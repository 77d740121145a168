// Command sandpit runs untrusted Python in Pyodide inside headless Chromium,
// behind an HTTP API with a Redis job queue.
//
//	sandpit serve    API and workers in one process
//	sandpit api      the HTTP API only
//	sandpit worker   a worker only
//	sandpit run      run a file on a server and print its output
//	sandpit batch    run a JSON-lines file of jobs as a batch
//	sandpit bench    measure a running server
//	sandpit mcp      serve MCP tools over stdio for an agent
//	sandpit version  print sandpit's version (also --version)
//	sandpit packages make a package repository from a Pyodide release
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/sandpit-dev/sandpit/internal/version"
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdio stdio) error
}

// stdio is the command's standard streams.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

var commands = []command{
	{"serve", "run the API and workers in one process", runServe},
	{"api", "run the HTTP API only", runAPI},
	{"worker", "run a worker only", runWorker},
	{"run", "run Python code on a server and print its output", runRun},
	{"batch", "run a JSON-lines file of jobs as one batch and write the results as JSON lines", runBatch},
	{"bench", "measure a running server: latency, throughput, and the naive baseline", runBench},
	{"mcp", "serve MCP tools over stdio for an LLM agent, running code on a server", runMCP},
	{"packages", "make a package repository for --packages-dir from a Pyodide release archive", runPackages},
}

// exitError ends the program with a given code and no message of its own.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], stdio{os.Stdin, os.Stdout, os.Stderr}))
}

func run(ctx context.Context, args []string, std stdio) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(std.err)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] == "version" || args[0] == "--version" || args[0] == "-version" {
		fmt.Fprintf(std.out, "sandpit %s\n", version.String())
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], std)
		var exit exitError
		switch {
		case err == nil:
			return 0
		case errors.As(err, &exit):
			return exit.code
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			return 2
		}
		fmt.Fprintf(std.err, "sandpit %s: %v\n", c.name, err)
		return 1
	}
	fmt.Fprintf(std.err, "sandpit: unknown command %q\n", args[0])
	usage(std.err)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: sandpit COMMAND [flags]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "  %-8s %s\n", "version", "print sandpit's version (also --version)")
	fmt.Fprintln(w, "\nRun 'sandpit COMMAND --help' for a command's flags.")
}

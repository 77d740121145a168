package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/client"
)

// Exit codes of `sandpit run` for jobs that end without one of their own.
const (
	exitTimeout     = 124 // as timeout(1)
	exitMemoryLimit = 137 // as a process killed for memory
	exitCancelled   = 130
	exitBroken      = 70 // EX_SOFTWARE: the sandbox broke
)

// runRun submits code to a server, prints the job's output to its own
// stdout and stderr, and exits with the job's exit code.
func runRun(ctx context.Context, args []string, std stdio) error {
	f := newFlags("run", "run [flags] [FILE|-]", std.err)
	var (
		server  string
		apiKey  string
		timeout int
		stdin   string
	)
	f.StringVar(&server, "server", "http://127.0.0.1:8080", "URL of the sandpit server")
	f.envVar("server", "SANDPIT_URL")
	f.StringVar(&apiKey, "api-key", "", "API key sent as a bearer token")
	f.envVar("api-key", "SANDPIT_API_KEY")
	f.IntVar(&timeout, "timeout-ms", 0, "the job's timeout in milliseconds; 0: the server's default")
	f.StringVar(&stdin, "stdin", "", "file whose content is the job's standard input")
	if err := f.parse(args); err != nil {
		return err
	}
	if f.NArg() > 1 {
		return f.noArgs()
	}
	var code []byte
	var err error
	switch name := f.Arg(0); name {
	case "", "-":
		code, err = io.ReadAll(std.in)
	default:
		code, err = os.ReadFile(name)
	}
	if err != nil {
		return fmt.Errorf("read code: %w", err)
	}
	spec := sandpit.Spec{Code: string(code), TimeoutMS: timeout}
	if stdin != "" {
		data, err := os.ReadFile(stdin)
		if err != nil {
			return fmt.Errorf("read stdin file: %w", err)
		}
		spec.Stdin = string(data)
	}
	c, err := client.New(server, client.WithAPIKey(apiKey))
	if err != nil {
		return err
	}
	job, err := c.Run(ctx, spec)
	if err != nil {
		return err
	}
	io.WriteString(std.out, job.Stdout)
	io.WriteString(std.err, job.Stderr)
	switch job.Status {
	case sandpit.StatusSucceeded, sandpit.StatusFailed:
		if job.ExitCode != nil && *job.ExitCode != 0 {
			return exitWith(*job.ExitCode)
		}
		return nil
	case sandpit.StatusTimeout:
		fmt.Fprintf(std.err, "sandpit: %s\n", job.Message)
		return exitWith(exitTimeout)
	case sandpit.StatusMemoryLimit:
		fmt.Fprintf(std.err, "sandpit: %s\n", job.Message)
		return exitWith(exitMemoryLimit)
	case sandpit.StatusCancelled:
		fmt.Fprintf(std.err, "sandpit: %s\n", job.Message)
		return exitWith(exitCancelled)
	}
	fmt.Fprintf(std.err, "sandpit: job %s ended as %s: %s\n", job.ID, job.Status, job.Message)
	return exitWith(exitBroken)
}

func exitWith(code int) error { return exitError{code: code & 0xff} }

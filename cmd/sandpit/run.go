package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/client"
)

// Exit codes of `sandpit run` for jobs that end without one of their own,
// and for runs that end before their job does (sysexits.h where it has one).
const (
	exitTimeout     = 124 // as timeout(1)
	exitMemoryLimit = 137 // as a process killed for memory
	exitCancelled   = 130 // as a process ended by Ctrl+C
	exitBroken      = 70  // EX_SOFTWARE: the sandbox broke, or the server failed
	exitRefused     = 65  // EX_DATAERR: the server refused the code or its options
	exitUnavailable = 69  // EX_UNAVAILABLE: the server could not be reached
	exitTempFail    = 75  // EX_TEMPFAIL: the server is full or the key over its limits; try later
	exitNoPerm      = 77  // EX_NOPERM: the API key is missing or not valid
)

// runRun submits code to a server, prints the job's output to its own
// stdout and stderr and the value of its last expression, and exits with
// the job's exit code. Ctrl+C cancels the job.
func runRun(ctx context.Context, args []string, std stdio) error {
	f := newFlags("run", "run [flags] [FILE|-]", std.err)
	var (
		server  string
		apiKey  string
		timeout int
		stdin   string
		asJSON  bool
		raw     bool
	)
	f.StringVar(&server, "server", "http://127.0.0.1:8080", "URL of the sandpit server")
	f.envVar("server", "SANDPIT_URL")
	f.StringVar(&apiKey, "api-key", "", "API key sent as a bearer token")
	f.envVar("api-key", "SANDPIT_API_KEY")
	f.IntVar(&timeout, "timeout-ms", 0, "the job's timeout in milliseconds; 0: the server's default")
	f.StringVar(&stdin, "stdin", "", "file whose content is the job's standard input")
	f.BoolVar(&asJSON, "json", false, "print the job as JSON instead of its output")
	f.BoolVar(&raw, "raw", false, "print the job's output as it is, even to a terminal (by default control characters are escaped there, so that the code cannot drive the terminal)")
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
	// The key names the job to the server, so that it can be found, and
	// cancelled, however far its submission got.
	key := client.NewIdempotencyKey()
	job, err := c.Run(client.WithIdempotencyKey(ctx, key), spec)
	if ctx.Err() != nil {
		return cancelRun(c, key, spec, std)
	}
	if err != nil {
		return runFailed(err, std)
	}
	if asJSON {
		if err := json.NewEncoder(std.out).Encode(job); err != nil {
			return err
		}
	} else {
		printJob(job, std, !raw)
	}
	return exitWith(jobExitCode(job))
}

// printJob writes the job's output to the terminal's streams, and the value
// of its last expression after its stdout, as Python's interactive
// interpreter shows it. Untrusted output is escaped on a terminal when safe
// is set.
func printJob(job sandpit.Job, std stdio, safe bool) {
	out, errOut := std.out, std.err
	if safe {
		out, errOut = terminalSafe(out), terminalSafe(errOut)
	}
	io.WriteString(out, job.Stdout)
	if job.Result.Result != nil {
		if job.Stdout != "" && !strings.HasSuffix(job.Stdout, "\n") {
			io.WriteString(out, "\n")
		}
		io.WriteString(out, *job.Result.Result+"\n")
	}
	io.WriteString(errOut, job.Stderr)
	switch job.Status {
	case sandpit.StatusSucceeded, sandpit.StatusFailed:
	case sandpit.StatusTimeout, sandpit.StatusMemoryLimit, sandpit.StatusCancelled:
		fmt.Fprintf(errOut, "sandpit: %s\n", job.Message)
	default:
		fmt.Fprintf(errOut, "sandpit: job %s ended as %s: %s\n", job.ID, job.Status, job.Message)
	}
}

// jobExitCode is the exit code of `sandpit run` for a finished job: the
// code's own, clamped so that a job that did not succeed never exits 0, or
// one that says how the job ended.
func jobExitCode(job sandpit.Job) int {
	switch job.Status {
	case sandpit.StatusSucceeded, sandpit.StatusFailed:
		code := 0
		if job.ExitCode != nil {
			code = *job.ExitCode
		}
		if code == 0 && job.Status == sandpit.StatusFailed {
			code = 1
		}
		if code < 0 || code > 255 {
			// An exit status has 8 bits: 256 would read as success.
			code = 255
		}
		return code
	case sandpit.StatusTimeout:
		return exitTimeout
	case sandpit.StatusMemoryLimit:
		return exitMemoryLimit
	case sandpit.StatusCancelled:
		return exitCancelled
	}
	return exitBroken
}

// cancelRun cancels the job of an interrupted run: the submission under the
// run's key finds it (or, if the run never reached the server, makes it),
// and it is cancelled.
func cancelRun(c *client.Client, key string, spec sandpit.Spec, std stdio) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	job, err := c.Submit(client.WithIdempotencyKey(ctx, key), spec)
	if err == nil {
		_, err = c.Cancel(ctx, job.ID)
		if errors.Is(err, &sandpit.Error{Code: sandpit.ECONFLICT}) {
			err = nil // it had ended already
		}
	}
	if err != nil {
		fmt.Fprintf(std.err, "sandpit: interrupted; the job could not be cancelled: %v\n", err)
	} else {
		fmt.Fprintf(std.err, "sandpit: interrupted; job %s cancelled\n", job.ID)
	}
	return exitWith(exitCancelled)
}

// runFailed reports a run that got no job back, and exits with a code that
// says why: never 1, which a job's uncaught exception gives.
func runFailed(err error, std stdio) error {
	code := exitBroken
	switch sandpit.ErrorCode(err) {
	case sandpit.EINVALID, sandpit.ETOOLARGE, sandpit.EUNSUPPORTED:
		code = exitRefused
	case sandpit.EUNAUTH:
		code = exitNoPerm
	case sandpit.EQUEUEFULL, sandpit.ERATELIMITED:
		code = exitTempFail
	}
	if client.Unreachable(err) {
		code = exitUnavailable
		fmt.Fprintf(std.err, "sandpit run: cannot reach the server: %v\n", err)
	} else {
		fmt.Fprintf(std.err, "sandpit run: %v\n", err)
	}
	return exitWith(code)
}

// exitWith ends the command with code, which must be 0 to 255.
func exitWith(code int) error {
	if code == 0 {
		return nil
	}
	return exitError{code: code}
}

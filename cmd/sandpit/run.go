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
// stdout and stderr as it comes and then the value of its last expression,
// and exits with the job's exit code. Ctrl+C cancels the job.
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
	rctx := client.WithIdempotencyKey(ctx, key)
	var job sandpit.Job
	var out *liveOutput
	if asJSON {
		job, err = c.Run(rctx, spec)
	} else {
		out = newLiveOutput(std, !raw)
		job, err = c.RunStream(rctx, spec, out.event)
		out.flush()
	}
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
		out.finish(job)
	}
	return exitWith(jobExitCode(job))
}

// liveOutput prints a job's output as it comes: stdout to stdout, stderr
// to stderr, escaped on a terminal when safe is set. Once the job has
// ended, it prints what the events lacked, then the value of the last
// expression after stdout, as Python's interactive interpreter shows it,
// and why the job ended when that was not the code's doing.
type liveOutput struct {
	out, err io.Writer
	// written is what was printed of each stream.
	written map[sandpit.EventType]*strings.Builder
}

func newLiveOutput(std stdio, safe bool) *liveOutput {
	o := &liveOutput{out: std.out, err: std.err, written: map[sandpit.EventType]*strings.Builder{
		sandpit.EventStdout: {}, sandpit.EventStderr: {},
	}}
	if safe {
		o.out, o.err = terminalSafe(o.out), terminalSafe(o.err)
	}
	return o
}

// event prints the output an event carries.
func (o *liveOutput) event(ev sandpit.Event) {
	switch ev.Type {
	case sandpit.EventStdout:
		o.write(ev.Type, o.out, ev.Data)
	case sandpit.EventStderr:
		o.write(ev.Type, o.err, ev.Data)
	}
}

func (o *liveOutput) write(stream sandpit.EventType, w io.Writer, text string) {
	o.written[stream].WriteString(text)
	io.WriteString(w, text)
}

// rest prints what the job's output has beyond what its events carried:
// all of it when none came (an event lost on the way). Output whose
// events differ from the job's own is left as printed.
func (o *liveOutput) rest(stream sandpit.EventType, w io.Writer, all string) {
	if rest, ok := strings.CutPrefix(all, o.written[stream].String()); ok {
		o.write(stream, w, rest)
	}
}

// flush writes what the escapers hold back.
func (o *liveOutput) flush() {
	flushOutput(o.out)
	flushOutput(o.err)
}

// finish prints the end of a finished job.
func (o *liveOutput) finish(job sandpit.Job) {
	o.rest(sandpit.EventStdout, o.out, job.Stdout)
	if job.Result.Result != nil {
		if s := o.written[sandpit.EventStdout].String(); s != "" && !strings.HasSuffix(s, "\n") {
			io.WriteString(o.out, "\n")
		}
		io.WriteString(o.out, *job.Result.Result+"\n")
	}
	o.rest(sandpit.EventStderr, o.err, job.Stderr)
	switch job.Status {
	case sandpit.StatusSucceeded, sandpit.StatusFailed:
	case sandpit.StatusTimeout, sandpit.StatusMemoryLimit, sandpit.StatusCancelled:
		fmt.Fprintf(o.err, "sandpit: %s\n", job.Message)
	default:
		fmt.Fprintf(o.err, "sandpit: job %s ended as %s: %s\n", job.ID, job.Status, job.Message)
	}
	o.flush()
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

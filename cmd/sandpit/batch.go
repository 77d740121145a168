package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/client"
)

// runBatch submits a JSON-lines file of job specs as one batch, or attaches
// to a batch already running, writes each item's job to stdout as a JSON
// line as soon as it ends (in submission order), shows progress on stderr
// when stderr is a terminal, and ends with a pass-rate summary on stderr.
// Ctrl+C leaves the batch running, unless the user asked to cancel it.
func runBatch(ctx context.Context, args []string, std stdio) error {
	f := newFlags("batch", "batch [flags] IN.jsonl|-  > OUT.jsonl\n       sandpit batch [flags] --attach ID [--from N]  > OUT.jsonl", std.err)
	var server, apiKey, progress, attach string
	var from int
	var cancelOnInterrupt bool
	f.StringVar(&server, "server", "http://127.0.0.1:8080", "URL of the sandpit server")
	f.envVar("server", "SANDPIT_URL")
	f.StringVar(&apiKey, "api-key", "", "API key sent as a bearer token")
	f.envVar("api-key", "SANDPIT_API_KEY")
	f.StringVar(&progress, "progress", "auto", "progress bar on stderr: auto (when stderr is a terminal), always or never")
	f.StringVar(&attach, "attach", "", "attach to the batch with this id, submitted before, and write its results instead of submitting a file")
	f.IntVar(&from, "from", 0, "with --attach: the index of the first item whose result to write (the number of results already written)")
	f.BoolVar(&cancelOnInterrupt, "cancel-on-interrupt", false, "cancel the batch on Ctrl+C without asking (by default a terminal is asked, and otherwise the batch runs on)")
	if err := f.parse(args); err != nil {
		return err
	}
	switch {
	case !slices.Contains([]string{"auto", "always", "never"}, progress):
		fmt.Fprintf(std.err, "--progress: want auto, always or never, not %q\n", progress)
		return errUsage
	case attach == "" && f.NArg() != 1, attach != "" && f.NArg() != 0:
		f.Usage()
		return errUsage
	case from < 0 || from > 0 && attach == "":
		fmt.Fprintln(std.err, "--from: a number of items, 0 or more, and only with --attach")
		return errUsage
	}
	c, err := client.New(server, client.WithAPIKey(apiKey))
	if err != nil {
		return err
	}
	start := time.Now()
	var b sandpit.Batch
	if attach != "" {
		if b, err = c.GetBatch(ctx, attach); err != nil {
			return fmt.Errorf("batch %s: %w", attach, err)
		}
		if b.Complete && from > b.Total {
			return fmt.Errorf("--from %d: batch %s has %d items", from, b.ID, b.Total)
		}
		fmt.Fprintf(std.err, "batch %s: %d items, %d done; results from item %d\n", b.ID, b.Total, b.Done, from)
	} else {
		in := std.in
		if name := f.Arg(0); name != "-" {
			file, err := os.Open(name)
			if err != nil {
				return err
			}
			defer file.Close()
			in = file
		}
		if b, err = c.SubmitBatch(ctx, in); err != nil {
			return fmt.Errorf("submit batch: %w", err)
		}
		fmt.Fprintf(std.err, "batch %s: %d items\n", b.ID, b.Total)
	}

	var bar *progressbar.ProgressBar
	if progress == "always" || progress == "auto" && isTerminal(std.err) {
		bar = progressbar.NewOptions(b.Total,
			progressbar.OptionSetWriter(std.err),
			progressbar.OptionSetDescription("running"),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("items"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
		bar.Set(from)
	}
	out := json.NewEncoder(std.out)
	statuses := map[sandpit.Status]int{}
	passed, tested, n := 0, 0, 0
	for job, err := range c.BatchResultsFrom(ctx, b.ID, from) {
		if err != nil {
			if bar != nil {
				bar.Exit()
				fmt.Fprintln(std.err)
			}
			if ctx.Err() != nil {
				return interrupted(c, b.ID, from+n, server, cancelOnInterrupt, std)
			}
			return fmt.Errorf("batch %s: %w (%d of %d results written)", b.ID, err, from+n, b.Total)
		}
		if err := out.Encode(job); err != nil {
			return err
		}
		n++
		statuses[job.Status]++
		if job.Passed != nil {
			tested++
			if *job.Passed {
				passed++
			}
		}
		if bar != nil {
			bar.Add(1)
		}
	}
	if bar != nil {
		bar.Finish()
	}
	fmt.Fprintln(std.err, summarize(n, passed, tested, statuses, time.Since(start)))
	return nil
}

// interrupted ends a batch run stopped by Ctrl+C, once next results have
// been written: the batch is cancelled if the user says so (by flag, or
// when asked on a terminal), and otherwise runs on, and the user is told
// how to attach to it again.
func interrupted(c *client.Client, id string, next int, server string, cancel bool, std stdio) error {
	if !cancel && isTerminal(std.in) && isTerminal(std.err) {
		cancel = ask(std, fmt.Sprintf("sandpit batch: interrupted. Cancel batch %s? [y/N] ", id))
	}
	if !cancel {
		fmt.Fprintf(std.err, "sandpit batch: interrupted; batch %s runs on (%d results written). Attach to it again with:\n  sandpit batch --server %s --attach %s --from %d\n",
			id, next, server, id, next)
		return exitWith(exitCancelled)
	}
	ctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	b, err := c.CancelBatch(ctx, id)
	if err != nil {
		fmt.Fprintf(std.err, "sandpit batch: batch %s could not be cancelled: %v\n", id, err)
	} else {
		fmt.Fprintf(std.err, "sandpit batch: batch %s cancelled (%d of %d items had ended)\n", id, b.Done-b.Counts[sandpit.StatusCancelled], b.Total)
	}
	return exitWith(exitCancelled)
}

// ask asks a yes-or-no question on the terminal and reports whether the
// answer was yes. Another Ctrl+C, or the end of the input, answers no.
func ask(std stdio, question string) bool {
	io.WriteString(std.err, question)
	again := make(chan os.Signal, 1)
	signal.Notify(again, os.Interrupt)
	defer signal.Stop(again)
	answer := make(chan string, 1)
	// The read ends with the process if it is still waiting for a line.
	go func() {
		line, err := bufio.NewReader(std.in).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			line = ""
		}
		answer <- line
	}()
	select {
	case a := <-answer:
		a = strings.ToLower(strings.TrimSpace(a))
		return a == "y" || a == "yes"
	case <-again:
		io.WriteString(std.err, "\n")
		return false
	}
}

// summarize is the closing line of a batch run.
func summarize(n, passed, tested int, statuses map[sandpit.Status]int, took time.Duration) string {
	var parts []string
	for _, s := range []sandpit.Status{sandpit.StatusSucceeded, sandpit.StatusFailed, sandpit.StatusTimeout,
		sandpit.StatusMemoryLimit, sandpit.StatusCancelled, sandpit.StatusError} {
		if statuses[s] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", s, statuses[s]))
		}
	}
	line := fmt.Sprintf("%d items in %s (%s)", n, took.Round(100*time.Millisecond), strings.Join(parts, ", "))
	if tested > 0 {
		line += fmt.Sprintf("; tests: %d passed, %d failed, pass rate %.1f%%", passed, tested-passed, 100*float64(passed)/float64(tested))
	}
	return line
}

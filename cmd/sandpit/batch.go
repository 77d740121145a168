package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/client"
)

// runBatch submits a JSON-lines file of job specs as one batch, writes each
// item's job to stdout as a JSON line as soon as it ends (in submission
// order), shows progress on stderr when stderr is a terminal, and ends with
// a pass-rate summary on stderr.
func runBatch(ctx context.Context, args []string, std stdio) error {
	f := newFlags("batch", "batch [flags] IN.jsonl|-  > OUT.jsonl", std.err)
	var server, apiKey string
	var progress string
	f.StringVar(&server, "server", "http://127.0.0.1:8080", "URL of the sandpit server")
	f.envVar("server", "SANDPIT_URL")
	f.StringVar(&apiKey, "api-key", "", "API key sent as a bearer token")
	f.envVar("api-key", "SANDPIT_API_KEY")
	f.StringVar(&progress, "progress", "auto", "progress bar on stderr: auto (when stderr is a terminal), always or never")
	if err := f.parse(args); err != nil {
		return err
	}
	if f.NArg() != 1 || !slices.Contains([]string{"auto", "always", "never"}, progress) {
		f.Usage()
		return errUsage
	}
	in := std.in
	if name := f.Arg(0); name != "-" {
		file, err := os.Open(name)
		if err != nil {
			return err
		}
		defer file.Close()
		in = file
	}
	c, err := client.New(server, client.WithAPIKey(apiKey))
	if err != nil {
		return err
	}
	start := time.Now()
	b, err := c.SubmitBatch(ctx, in)
	if err != nil {
		return fmt.Errorf("submit batch: %w", err)
	}
	fmt.Fprintf(std.err, "batch %s: %d items\n", b.ID, b.Total)

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
	}
	out := json.NewEncoder(std.out)
	statuses := map[sandpit.Status]int{}
	passed, tested, n := 0, 0, 0
	for job, err := range c.BatchResults(ctx, b.ID) {
		if err != nil {
			return fmt.Errorf("batch %s: %w (%d of %d results written)", b.ID, err, n, b.Total)
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

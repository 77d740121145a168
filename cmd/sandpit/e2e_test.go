package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/client"
	"github.com/sandpit-dev/sandpit/internal/redisserver"
	"github.com/sandpit-dev/sandpit/internal/testenv"
)

// These tests build the sandpit binary and drive it as a user would: as
// separate processes, over HTTP, with a real redis-server and Chromium.

var binary string

// snapshotDir is where the sandpits the tests start keep their snapshot
// (SANDPIT_SNAPSHOT_DIR).
var snapshotDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sandpit-e2e-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "sandpit")
	// Every sandpit the tests start keeps its snapshot here, so that only
	// the first boots Pyodide from scratch.
	snapshotDir = filepath.Join(dir, "snapshots")
	os.Setenv("SANDPIT_SNAPSHOT_DIR", snapshotDir)
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build sandpit: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	stopShared()
	os.RemoveAll(dir)
	os.Exit(code)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// proc is a sandpit process started by a test.
type proc struct {
	cmd  *exec.Cmd
	out  *testenv.Buffer
	done chan struct{}
}

func start(t *testing.T, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(binary, args...), out: &testenv.Buffer{}, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
		if t.Failed() {
			t.Logf("output of sandpit %s:\n%s", strings.Join(args, " "), p.out.String())
		}
	})
	return p
}

// stop sends SIGTERM and returns the exit code.
func (p *proc) stop(t *testing.T) int {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		t.Fatal("sandpit did not exit within 60s of SIGTERM")
	}
	return p.cmd.ProcessState.ExitCode()
}

func waitReady(t *testing.T, base string, p *proc) {
	t.Helper()
	waitAnswers(t, http.DefaultClient, base+"/readyz/sandboxes", p, 3*time.Minute)
}

// waitAnswers waits until url, served by p, answers 200 through hc, for
// at most within; it fails the test at once if p exits.
func waitAnswers(t *testing.T, hc *http.Client, url string, p *proc, within time.Duration) {
	t.Helper()
	testenv.Eventually(t, within, func() bool {
		select {
		case <-p.done:
			t.Fatalf("sandpit exited early:\n%s", p.out.String())
		default:
		}
		resp, err := hc.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	}, "%s never answered 200", url)
}

func postJSON(t *testing.T, url, body string) (int, sandpit.Job) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var job sandpit.Job
	data, _ := io.ReadAll(resp.Body)
	json.Unmarshal(data, &job)
	return resp.StatusCode, job
}

// TestServe runs `sandpit serve` with its private Redis, as `make run` does,
// and uses it over HTTP and through `sandpit run`.
func TestServe(t *testing.T) {
	addr := freeAddr(t)
	base := "http://" + addr
	p := start(t, "serve", "--addr", addr, "--pool-size", "2")
	waitReady(t, base, p)

	t.Run("POST /v1/run", func(t *testing.T) {
		status, job := postJSON(t, base+"/v1/run", `{"code": "import sys\nprint('out', end='')\nprint('err', file=sys.stderr)\n6*7"}`)
		if status != 200 || job.Status != sandpit.StatusSucceeded || job.Stdout != "out" || job.Stderr != "err\n" ||
			job.Result.Result == nil || *job.Result.Result != "42" {
			t.Fatalf("run = %d %+v", status, job)
		}
	})
	t.Run("request id on every line of a job's life, and no code or output", func(t *testing.T) {
		resp, err := http.Post(base+"/v1/run", "application/json", strings.NewReader(`{"code": "print('secret-output-1234')  # secret-code-5678"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		rid := resp.Header.Get("X-Request-Id")
		if rid == "" {
			t.Fatal("no X-Request-Id header")
		}
		// The answer can be sent before the last lines are written.
		missing := func() []string {
			var lines, missing []string
			for _, line := range strings.Split(p.out.String(), "\n") {
				if strings.Contains(line, `"request_id":"`+rid+`"`) {
					lines = append(lines, line)
				}
			}
			for _, msg := range []string{`"job submitted"`, `"job started"`, `"job finished"`, `"request"`} {
				if !slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, `"msg":`+msg) }) {
					missing = append(missing, msg)
				}
			}
			return missing
		}
		testenv.Eventually(t, 5*time.Second, func() bool { return len(missing()) == 0 },
			"no %v line with the request id %s", missing(), rid)
		if strings.Contains(p.out.String(), "secret-output-1234") || strings.Contains(p.out.String(), "secret-code-5678") {
			t.Error("the logs hold the job's code or output")
		}
	})
	t.Run("timeout then healthy", func(t *testing.T) {
		status, job := postJSON(t, base+"/v1/run", `{"code": "while True: pass", "timeout_ms": 300}`)
		if status != 200 || job.Status != sandpit.StatusTimeout {
			t.Fatalf("run = %d %+v", status, job)
		}
		if _, job := postJSON(t, base+"/v1/run", `{"code": "print(1)"}`); job.Stdout != "1\n" {
			t.Fatalf("job after a timeout = %+v", job)
		}
	})
	t.Run("sandpit run", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "job.py")
		os.WriteFile(file, []byte("import sys\nname = input()\nprint('hello', name)\nprint('bye', file=sys.stderr)\nsys.exit(4)\n"), 0o644)
		stdinFile := filepath.Join(t.TempDir(), "in.txt")
		os.WriteFile(stdinFile, []byte("ada\n"), 0o644)
		cmd := exec.Command(binary, "run", "--stdin", stdinFile, file)
		cmd.Env = append(os.Environ(), "SANDPIT_URL="+base)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if code := cmd.ProcessState.ExitCode(); code != 4 {
			t.Fatalf("exit code = %d (%v), want 4; stderr %q", code, err, stderr.String())
		}
		if stdout.String() != "hello ada\n" || stderr.String() != "bye\n" {
			t.Fatalf("stdout %q stderr %q", stdout.String(), stderr.String())
		}
	})
	t.Run("sandpit run from stdin with a traceback", func(t *testing.T) {
		cmd := exec.Command(binary, "run", "--server", base, "-")
		cmd.Stdin = strings.NewReader("raise RuntimeError('boom')")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		cmd.Run()
		if code := cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(stderr.String(), "RuntimeError: boom") {
			t.Fatalf("exit %d stderr %q", code, stderr.String())
		}
	})
	t.Run("sandpit run on a timeout", func(t *testing.T) {
		cmd := exec.Command(binary, "run", "--server", base, "--timeout-ms", "300", "-")
		cmd.Stdin = strings.NewReader("while True: pass")
		cmd.Run()
		if code := cmd.ProcessState.ExitCode(); code != exitTimeout {
			t.Fatalf("exit %d, want %d", code, exitTimeout)
		}
	})
	t.Run("bad input", func(t *testing.T) {
		status, _ := postJSON(t, base+"/v1/run", `{"code": 1}`)
		if status != 400 {
			t.Fatalf("status = %d, want 400", status)
		}
	})
	t.Run("sandpit batch", func(t *testing.T) {
		var in strings.Builder
		for i := range 24 {
			want := i
			if i%3 == 0 {
				want = -1 // a wrong answer: a third of the tests fail
			}
			fmt.Fprintf(&in, `{"id": "task-%d", "code": "def f(): return %d", "test": "assert f() == %d"}`+"\n", i, i, want)
		}
		file := filepath.Join(t.TempDir(), "in.jsonl")
		os.WriteFile(file, []byte(in.String()), 0o644)
		cmd := exec.Command(binary, "batch", "--server", base, "--progress", "always", file)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("sandpit batch: %v\n%s", err, stderr.String())
		}
		lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
		if len(lines) != 24 {
			t.Fatalf("%d result lines, want 24", len(lines))
		}
		for i, line := range lines {
			var job sandpit.Job
			if err := json.Unmarshal([]byte(line), &job); err != nil || job.ItemID != fmt.Sprintf("task-%d", i) || job.Passed == nil || *job.Passed != (i%3 != 0) {
				t.Fatalf("line %d = %s (%v)", i, line, err)
			}
		}
		if !strings.Contains(stderr.String(), "tests: 16 passed, 8 failed, pass rate 66.7%") || !strings.Contains(stderr.String(), "/24, ") {
			t.Fatalf("stderr lacks the progress bar or the summary: %q", stderr.String())
		}
	})
	t.Run("metrics", func(t *testing.T) {
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range []string{
			`sandpit_jobs_finished_total{status="succeeded"}`,
			`sandpit_jobs_finished_total{status="timeout"}`,
			"sandpit_job_wait_seconds_count", "sandpit_job_run_seconds_count",
			"sandpit_queue_depth 0", "sandpit_queue_oldest_age_seconds 0",
			"sandpit_pool_ready", "sandpit_pool_size 2", "sandpit_pool_refill_seconds_count",
			"sandpit_browser_restarts_total 0", "sandpit_sandbox_crashes_total 0", "sandpit_redis_errors_total",
			`sandpit_http_request_duration_seconds_count{method="POST",route="/v1/run",status="200"}`,
			`sandpit_isolation_layer{layer="netns"} 1`, `sandpit_isolation_layer{layer="sandbox"} 1`,
			"go_goroutines",
		} {
			if !strings.Contains(string(data), want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	})
	if code := p.stop(t); code != 0 {
		t.Fatalf("serve exited %d after SIGTERM, want 0", code)
	}
}

// TestSeparateProcesses runs one `sandpit api` and two `sandpit worker`s on
// one Redis, as a multi-machine deployment would.
func TestSeparateProcesses(t *testing.T) {
	rs, err := redisserver.Start(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	addr := freeAddr(t)
	base := "http://" + addr
	w1 := start(t, "worker", "--redis-url", rs.URL(), "--pool-size", "1")
	w2 := start(t, "worker", "--redis-url", rs.URL(), "--pool-size", "1")
	a := start(t, "api", "--addr", addr, "--redis-url", rs.URL())
	waitReady(t, base, a)

	c, err := client.New(base)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			job, err := c.Run(context.Background(), sandpit.Spec{Code: fmt.Sprintf("print(%d)", i)})
			if err != nil || job.Status != sandpit.StatusSucceeded || job.Stdout != fmt.Sprintf("%d\n", i) {
				t.Errorf("job %d = %+v, %v", i, job, err)
			}
		})
	}
	wg.Wait()
	for _, p := range []*proc{w1, w2, a} {
		if code := p.stop(t); code != 0 {
			t.Errorf("exit code after SIGTERM = %d, want 0", code)
		}
	}
	for i, w := range []*proc{w1, w2} {
		if !strings.Contains(w.out.String(), `"job started"`) {
			t.Errorf("worker %d ran no job", i+1)
		}
	}
}

// TestMissingDependencies checks the one-line errors of serve and api.
func TestMissingDependencies(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"no chromium", []string{"serve", "--chromium", "/nonexistent/chromium"}, nil, "chromium not found"},
		{"no redis-server", []string{"serve", "--chromium", "/usr/bin/chromium"}, []string{"PATH=/nonexistent"}, "redis-server not found"},
		{"public address without keys", []string{"serve", "--addr", "0.0.0.0:0"}, nil, "refusing to listen on 0.0.0.0:0 without API keys"},
		{"api on a public address without keys", []string{"api", "--addr", "[::]:0", "--redis-url", "redis://127.0.0.1:1"}, nil, "without API keys"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(binary, tc.args...)
			cmd.Env = append(os.Environ(), tc.env...)
			out, _ := cmd.CombinedOutput()
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if cmd.ProcessState.ExitCode() != 1 || len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
				t.Fatalf("exit %d, output %q; want one line with %q", cmd.ProcessState.ExitCode(), out, tc.want)
			}
		})
	}
}

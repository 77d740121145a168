package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/client"
	"github.com/sandpit-dev/sandpit/internal/redisserver"
	"github.com/sandpit-dev/sandpit/internal/testenv"
)

// runCLI runs `sandpit run` with code on its stdin and returns what it
// printed and its exit code.
func runCLI(t *testing.T, code string, args ...string) (stdout, stderr string, exit int) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"run"}, append(args, "-")...)...)
	cmd.Stdin = strings.NewReader(code)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	cmd.Run()
	return o.String(), e.String(), cmd.ProcessState.ExitCode()
}

// TestRunCommand runs `sandpit run` against `sandpit serve`.
func TestRunCommand(t *testing.T) {
	addr := freeAddr(t)
	base := "http://" + addr
	p := start(t, "serve", "--addr", addr, "--pool-size", "1")
	waitReady(t, base, p)

	tests := []struct {
		name, code   string
		args         []string
		stdout, errs string
		exit         int
	}{
		{"the value of the last expression", "print('hi')\n6 * 7", nil, "hi\n42\n", "", 0},
		{"the value on a line of its own", "print('a', end='')\n'b' * 2", nil, "a\n'bb'\n", "", 0},
		{"no value", "x = 1", nil, "", "", 0},
		{"exit 256 is not success", "import sys\nsys.exit(256)", nil, "", "", 255},
		{"a negative exit", "import sys\nsys.exit(-1)", nil, "", "", 255},
		{"an exception", "print('before')\n1 / 0", nil, "before\n", "ZeroDivisionError: division by zero\n", 1},
		{"output as it is when not a terminal", "print('\\x1b[31mred\\x1b[0m')", nil, "\x1b[31mred\x1b[0m\n", "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, exit := runCLI(t, tc.code, append([]string{"--server", base}, tc.args...)...)
			if stdout != tc.stdout || !strings.HasSuffix(stderr, tc.errs) || exit != tc.exit {
				t.Errorf("stdout %q, stderr %q, exit %d; want %q, …%q, %d", stdout, stderr, exit, tc.stdout, tc.errs, tc.exit)
			}
		})
	}

	t.Run("output as it comes", func(t *testing.T) {
		cmd := exec.Command(binary, "run", "--server", base, "-")
		cmd.Stdin = strings.NewReader("import sys, time\nfor i in range(3):\n    print('line', i)\n    time.sleep(0.7)\nprint('warn', file=sys.stderr)\n6 * 7")
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr testenv.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var lines []string
		var at []time.Time
		for sc := bufio.NewScanner(stdout); sc.Scan(); {
			lines, at = append(lines, sc.Text()), append(at, time.Now())
		}
		cmd.Wait()
		end := time.Now()
		if want := []string{"line 0", "line 1", "line 2", "42"}; !slices.Equal(lines, want) || stderr.String() != "warn\n" || cmd.ProcessState.ExitCode() != 0 {
			t.Fatalf("stdout %q, stderr %q, exit %d; want %q, warn, 0", lines, stderr.String(), cmd.ProcessState.ExitCode(), want)
		}
		// The job sleeps 2.1 s after its first line: that line was
		// printed then, not with the rest at the end.
		if gap := end.Sub(at[0]); gap < 1500*time.Millisecond {
			t.Errorf("the first line came %v before sandpit run ended, want the job's pauses between", gap)
		}
		if gap := at[2].Sub(at[1]); gap < 400*time.Millisecond {
			t.Errorf("line 2 came %v after line 1, want the job's pause of 0.7 s", gap)
		}
	})

	t.Run("--json", func(t *testing.T) {
		stdout, _, exit := runCLI(t, "import sys\nprint('x')\nsys.exit(3)", "--server", base, "--json")
		var job sandpit.Job
		if err := json.Unmarshal([]byte(stdout), &job); err != nil || job.Status != sandpit.StatusFailed || job.Stdout != "x\n" ||
			job.ExitCode == nil || *job.ExitCode != 3 || exit != 3 {
			t.Errorf("stdout %q (%v), exit %d; want the failed job as JSON and exit 3", stdout, err, exit)
		}
		stdout, _, exit = runCLI(t, "6 * 7", "--server", base, "--json")
		if err := json.Unmarshal([]byte(stdout), &job); err != nil || job.Result.Result == nil || *job.Result.Result != "42" || exit != 0 {
			t.Errorf("stdout %q (%v), exit %d; want the job with result 42", stdout, err, exit)
		}
	})

	t.Run("control characters escaped on a terminal", func(t *testing.T) {
		code := "import sys\nprint('\\x1b]0;pwned\\x07\\x1b[31mred\\x1b[0m')\nprint('\\x1b[2J', file=sys.stderr)\n'\\x1b[1m'"
		onTerminal := func(args ...string) string {
			f, err := os.CreateTemp(t.TempDir(), "job-*.py")
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString(code)
			f.Close()
			cmd := exec.Command(binary, append([]string{"run", "--server", base}, append(args, f.Name())...)...)
			tty, err := pty.Start(cmd)
			if err != nil {
				t.Fatal(err)
			}
			defer tty.Close()
			var out bytes.Buffer
			io.Copy(&out, tty) // ends with an error once the command has exited
			cmd.Wait()
			return strings.ReplaceAll(out.String(), "\r\n", "\n")
		}
		out := onTerminal()
		if strings.Contains(out, "\x1b") || !strings.Contains(out, `\x1b]0;pwned\x07\x1b[31mred\x1b[0m`+"\n") ||
			!strings.Contains(out, `\x1b[2J`) || !strings.Contains(out, `'\x1b[1m'`) {
			t.Errorf("on a terminal: %q, want every escape sequence escaped", out)
		}
		if out := onTerminal("--raw"); !strings.Contains(out, "\x1b]0;pwned\x07\x1b[31mred") {
			t.Errorf("--raw on a terminal: %q, want the output as it is", out)
		}
	})
}

// TestRunCommandFailures runs `sandpit run` against a server without
// workers (so that jobs wait), against one with keys, and against none.
func TestRunCommandFailures(t *testing.T) {
	rs, err := redisserver.Start(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rs.Close() })
	addr := freeAddr(t)
	base := "http://" + addr
	api := start(t, "api", "--addr", addr, "--redis-url", rs.URL(), "--api-keys", "run-test-key-0123456789", "--max-queue", "1")
	waitHealthy(t, base, api)
	t.Setenv("SANDPIT_API_KEY", "run-test-key-0123456789")

	t.Run("no server", func(t *testing.T) {
		_, stderr, exit := runCLI(t, "print(1)", "--server", "http://"+freeAddr(t))
		if exit != exitUnavailable || !strings.Contains(stderr, "cannot reach the server") {
			t.Errorf("exit %d, stderr %q; want %d, cannot reach the server", exit, stderr, exitUnavailable)
		}
	})
	t.Run("a key that is not valid", func(t *testing.T) {
		_, stderr, exit := runCLI(t, "print(1)", "--server", base, "--api-key", "wrong")
		if exit != exitNoPerm || !strings.Contains(stderr, "unauthorized: the API key is not valid") {
			t.Errorf("exit %d, stderr %q; want %d, unauthorized", exit, stderr, exitNoPerm)
		}
	})
	t.Run("a spec the server refuses", func(t *testing.T) {
		_, stderr, exit := runCLI(t, "print(1)", "--server", base, "--timeout-ms", "-5")
		if exit != exitRefused || !strings.Contains(stderr, "invalid: timeout_ms: must not be negative") {
			t.Errorf("exit %d, stderr %q; want %d, invalid", exit, stderr, exitRefused)
		}
	})
	t.Run("Ctrl+C cancels the job", func(t *testing.T) {
		cmd := exec.Command(binary, "run", "--server", base, "-")
		cmd.Stdin = strings.NewReader("print('never runs')")
		var stderr testenv.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitMetric(t, base, "run-test-key-0123456789", "sandpit_queue_depth 1") // no worker: the job waits
		cmd.Process.Signal(syscall.SIGINT)
		cmd.Wait()
		if exit := cmd.ProcessState.ExitCode(); exit != exitCancelled {
			t.Fatalf("exit %d, stderr %q; want %d", exit, stderr.String(), exitCancelled)
		}
		m := regexp.MustCompile(`job ([0-9a-f]{32}) cancelled`).FindStringSubmatch(stderr.String())
		if m == nil {
			t.Fatalf("stderr %q names no cancelled job", stderr.String())
		}
		c, _ := client.New(base, client.WithAPIKey("run-test-key-0123456789"))
		if job, err := c.Get(context.Background(), m[1]); err != nil || job.Status != sandpit.StatusCancelled {
			t.Errorf("job %s = %+v, %v; want cancelled", m[1], job, err)
		}
	})
	t.Run("a full queue", func(t *testing.T) {
		// The cancelled job above still holds the queue's one place: no
		// worker has taken it off.
		start := time.Now()
		_, stderr, exit := runCLI(t, "print(1)", "--server", base)
		if exit != exitTempFail || !strings.Contains(stderr, "queue_full") || time.Since(start) < 2*time.Second {
			t.Errorf("exit %d after %v, stderr %q; want %d after retries, queue_full", exit, time.Since(start), stderr, exitTempFail)
		}
	})
}

// waitHealthy waits until the process at base answers /healthz.
func waitHealthy(t *testing.T, base string, p *proc) {
	t.Helper()
	waitAnswers(t, http.DefaultClient, base+"/healthz", p, time.Minute)
}

func TestVersion(t *testing.T) {
	release := t.TempDir() + "/sandpit"
	build := exec.Command("go", "build", "-ldflags", "-X github.com/sandpit-dev/sandpit/internal/version.version=v1.2.3", "-o", release, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"--version"}, {"version"}} {
		out, err := exec.Command(release, args...).Output()
		if err != nil || string(out) != "sandpit v1.2.3\n" {
			t.Errorf("sandpit %s = %q, %v; want the version set at link time", args[0], out, err)
		}
		out, err = exec.Command(binary, args...).Output()
		if err != nil || !regexp.MustCompile(`^sandpit \S+\n$`).Match(out) {
			t.Errorf("sandpit %s of a development build = %q, %v", args[0], out, err)
		}
	}
}

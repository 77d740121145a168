package runner

import (
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/chromedp/cdproto/cdp"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/internal/testenv"
	"github.com/sandpit-dev/sandpit/page"
)

// testRunner is shared by the package's tests: one real Chromium. It keeps
// its snapshot in snapshotDir, and requested records each path its assets
// were asked for.
var (
	testRunner  *Runner
	snapshotDir string
	requested   sync.Map
)

const testOutputCap = 64 << 10

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sandpit-runner-")
	if err != nil {
		panic(err)
	}
	snapshotDir = filepath.Join(dir, "snapshots")
	assets := page.Handler()
	r, err := New(context.Background(), Config{
		Assets: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			requested.Store(req.URL.Path, true)
			assets.ServeHTTP(w, req)
		}),
		PoolSize:    2,
		Limits:      sandpit.Limits{MaxOutputBytes: testOutputCap, MaxFiles: 5, MaxFileBytes: 1 << 20},
		SnapshotDir: snapshotDir,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "runner tests need Chromium:", err)
		os.Exit(1)
	}
	testRunner = r
	code := m.Run()
	r.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}

func run(t *testing.T, spec sandpit.Spec) sandpit.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := testRunner.Run(ctx, spec)
	if err != nil {
		t.Fatalf("Run(%q): %v", spec.Code, err)
	}
	return res
}

func exitCode(r sandpit.Result) int {
	if r.ExitCode == nil {
		return -1
	}
	return *r.ExitCode
}

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func TestSemantics(t *testing.T) {
	tests := []struct {
		name   string
		spec   sandpit.Spec
		status sandpit.Status
		exit   int
		stdout string
		stderr string // a substring of stderr, when set
		result string // "<nil>" for none
		errTyp string
	}{
		{name: "print without newline is exact", spec: sandpit.Spec{Code: "print('a', end='')"},
			status: sandpit.StatusSucceeded, stdout: "a", result: "<nil>"},
		{name: "stdout and stderr apart", spec: sandpit.Spec{Code: "import sys\nprint('out')\nprint('err', file=sys.stderr)"},
			status: sandpit.StatusSucceeded, stdout: "out\n", stderr: "err\n", result: "<nil>"},
		{name: "unicode", spec: sandpit.Spec{Code: "print('héllo ✓ 日本')"},
			status: sandpit.StatusSucceeded, stdout: "héllo ✓ 日本\n", result: "<nil>"},
		{name: "last expression is the result", spec: sandpit.Spec{Code: "x = 20\nx + 22"},
			status: sandpit.StatusSucceeded, result: "42"},
		{name: "result is a repr", spec: sandpit.Spec{Code: "'a' + 'b'"},
			status: sandpit.StatusSucceeded, result: "'ab'"},
		{name: "no result after a statement", spec: sandpit.Spec{Code: "x = 1"},
			status: sandpit.StatusSucceeded, result: "<nil>"},
		{name: "None is no result", spec: sandpit.Spec{Code: "None"},
			status: sandpit.StatusSucceeded, result: "<nil>"},
		{name: "top-level await", spec: sandpit.Spec{Code: "import asyncio\nawait asyncio.sleep(0.01)\n'done'"},
			status: sandpit.StatusSucceeded, result: "'done'"},
		{name: "input reads stdin", spec: sandpit.Spec{Code: "a = input()\nb = input()\nprint(b, a)", Stdin: "one\ntwo\n"},
			status: sandpit.StatusSucceeded, stdout: "two one\n", result: "<nil>"},
		{name: "input past the end is EOFError", spec: sandpit.Spec{Code: "input()"},
			status: sandpit.StatusFailed, exit: 1, errTyp: "EOFError", stderr: "EOFError"},
		{name: "uncaught exception", spec: sandpit.Spec{Code: "def f():\n    raise ValueError('bad value')\nf()"},
			status: sandpit.StatusFailed, exit: 1, errTyp: "ValueError",
			stderr: "Traceback (most recent call last):\n  File \"main.py\", line 3, in <module>\n    f()"},
		{name: "syntax error", spec: sandpit.Spec{Code: "x = (1,"},
			status: sandpit.StatusFailed, exit: 1, errTyp: "SyntaxError", stderr: "SyntaxError"},
		{name: "sys.exit with a code", spec: sandpit.Spec{Code: "import sys\nprint('bye')\nsys.exit(3)"},
			status: sandpit.StatusFailed, exit: 3, stdout: "bye\n", errTyp: "SystemExit"},
		{name: "sys.exit(0) succeeds", spec: sandpit.Spec{Code: "import sys\nsys.exit(0)"},
			status: sandpit.StatusSucceeded, result: "<nil>"},
		{name: "sys.exit with a message", spec: sandpit.Spec{Code: "import sys\nsys.exit('fatal')"},
			status: sandpit.StatusFailed, exit: 1, stderr: "fatal\n", errTyp: "SystemExit"},
		{name: "output before an exception is kept", spec: sandpit.Spec{Code: "print('first')\n1/0"},
			status: sandpit.StatusFailed, exit: 1, stdout: "first\n", errTyp: "ZeroDivisionError"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := run(t, tc.spec)
			if r.Status != tc.status {
				t.Fatalf("status = %s, want %s (stderr %q)", r.Status, tc.status, r.Stderr)
			}
			if got := exitCode(r); got != tc.exit {
				t.Errorf("exit code = %d, want %d", got, tc.exit)
			}
			if r.Stdout != tc.stdout {
				t.Errorf("stdout = %q, want %q", r.Stdout, tc.stdout)
			}
			if !strings.Contains(r.Stderr, tc.stderr) {
				t.Errorf("stderr = %q, want it to contain %q", r.Stderr, tc.stderr)
			}
			if tc.result != "" && str(r.Result) != tc.result {
				t.Errorf("result = %s, want %s", str(r.Result), tc.result)
			}
			if tc.errTyp == "" && r.Error != nil {
				t.Errorf("error = %+v, want none", r.Error)
			}
			if tc.errTyp != "" {
				if r.Error == nil || r.Error.Type != tc.errTyp {
					t.Fatalf("error = %+v, want type %s", r.Error, tc.errTyp)
				}
			}
		})
	}
}

func TestTracebackMatchesStderrAndHidesHarness(t *testing.T) {
	r := run(t, sandpit.Spec{Code: "def f():\n    raise KeyError('k')\nf()"})
	if r.Error == nil {
		t.Fatal("no error")
	}
	if r.Error.Message != "'k'" {
		t.Errorf("message = %q, want %q", r.Error.Message, "'k'")
	}
	if !strings.HasSuffix(r.Stderr, r.Error.Traceback) {
		t.Errorf("stderr %q does not end with the traceback %q", r.Stderr, r.Error.Traceback)
	}
	for _, leak := range []string{"harness", "_pyodide", "sandpit", "/lib/python"} {
		if strings.Contains(r.Error.Traceback, leak) {
			t.Errorf("traceback shows %q: %s", leak, r.Error.Traceback)
		}
	}
	if !strings.Contains(r.Error.Traceback, "    raise KeyError('k')") {
		t.Errorf("traceback lacks the source line: %s", r.Error.Traceback)
	}
}

func TestFiles(t *testing.T) {
	bin := []byte{0, 1, 2, 250, 255}
	r := run(t, sandpit.Spec{
		Code: `
import os
data = open("data/in.txt").read()
open("out.txt", "w").write(data.upper())
blob = open("blob.bin", "rb").read()
open("blob2.bin", "wb").write(blob[::-1])
print(os.getcwd(), sorted(os.listdir(".")))
`,
		Files: []sandpit.File{
			{Path: "data/in.txt", Content: "hello"},
			{Path: "blob.bin", Content: base64.StdEncoding.EncodeToString(bin), Encoding: "base64"},
		},
	})
	if r.Status != sandpit.StatusSucceeded {
		t.Fatalf("status = %s, stderr %s", r.Status, r.Stderr)
	}
	got := map[string]sandpit.File{}
	for _, f := range r.Files {
		got[f.Path] = f
	}
	if len(got) != 2 {
		t.Fatalf("files = %v, want out.txt and blob2.bin only (inputs unchanged)", r.Files)
	}
	if c, _ := base64.StdEncoding.DecodeString(got["out.txt"].Content); string(c) != "HELLO" {
		t.Errorf("out.txt = %q", c)
	}
	if got["out.txt"].MimeType != "text/plain; charset=utf-8" {
		t.Errorf("out.txt mime type = %q", got["out.txt"].MimeType)
	}
	if c, _ := base64.StdEncoding.DecodeString(got["blob2.bin"].Content); string(c) != string([]byte{255, 250, 2, 1, 0}) {
		t.Errorf("blob2.bin = %v", c)
	}
	if !strings.HasPrefix(r.Stdout, "/home/pyodide ") {
		t.Errorf("working directory: %q", r.Stdout)
	}
}

func TestOutputFileLimits(t *testing.T) {
	r := run(t, sandpit.Spec{Code: "for i in range(8):\n    open(f'f{i}.txt', 'w').write('x')"})
	if len(r.Files) != 5 || !r.FilesTruncated {
		t.Fatalf("files = %d, truncated %v; want 5 and true", len(r.Files), r.FilesTruncated)
	}
}

func TestOutputCap(t *testing.T) {
	r := run(t, sandpit.Spec{Code: "import sys\nfor i in range(100000):\n    print('x' * 100)\nprint('tail', file=sys.stderr)"})
	if r.Status != sandpit.StatusSucceeded {
		t.Fatalf("status = %s", r.Status)
	}
	if len(r.Stdout) != testOutputCap || !r.StdoutTruncated {
		t.Fatalf("stdout = %d bytes, truncated %v; want %d and true", len(r.Stdout), r.StdoutTruncated, testOutputCap)
	}
	if !strings.HasPrefix(r.Stdout, strings.Repeat("x", 100)+"\n") {
		t.Error("stdout does not keep the head of the output")
	}
	if r.Stderr != "tail\n" || r.StderrTruncated {
		t.Errorf("stderr = %q, truncated %v", r.Stderr, r.StderrTruncated)
	}
}

func TestTimeoutKeepsOutputAndNextJobRuns(t *testing.T) {
	start := time.Now()
	r := run(t, sandpit.Spec{Code: "print('before', flush=True)\nwhile True:\n    pass", TimeoutMS: 500})
	if r.Status != sandpit.StatusTimeout {
		t.Fatalf("status = %s, want timeout", r.Status)
	}
	if r.Stdout != "before\n" {
		t.Errorf("stdout = %q, want the output printed before the timeout", r.Stdout)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("timeout of 500ms took %v", d)
	}
	if !strings.Contains(r.Message, "timeout") {
		t.Errorf("message = %q", r.Message)
	}
	if r := run(t, sandpit.Spec{Code: "print('next')"}); r.Stdout != "next\n" {
		t.Fatalf("job after a timeout: %+v", r)
	}
}

func TestSleepTimeout(t *testing.T) {
	r := run(t, sandpit.Spec{Code: "import time\nfor i in range(3):\n    print(i)\n    time.sleep(0.4)", TimeoutMS: 700})
	if r.Status != sandpit.StatusTimeout || !strings.HasPrefix(r.Stdout, "0\n1\n") {
		t.Fatalf("status %s stdout %q; want timeout after 0 and 1", r.Status, r.Stdout)
	}
}

// TestFreshInterpreterPerJob leaves marks everywhere a job can reach, then
// checks that later and concurrent jobs find none of them.
func TestFreshInterpreterPerJob(t *testing.T) {
	mark := `
import builtins, os, sys, js
builtins.MARK = 1
sys.modules["mark_module"] = sys
os.environ["MARK"] = "1"
open("/home/pyodide/mark.txt", "w").write("1")
open("/tmp/mark.txt", "w").write("1")
js.globalThis.MARK = 1
`
	check := `
import builtins, os, sys, js
found = []
if hasattr(builtins, "MARK"): found.append("builtins")
if "mark_module" in sys.modules: found.append("sys.modules")
if "MARK" in os.environ: found.append("environ")
if os.path.exists("/home/pyodide/mark.txt"): found.append("home file")
if os.path.exists("/tmp/mark.txt"): found.append("tmp file")
if hasattr(js.globalThis, "MARK"): found.append("js global")
print(found)
`
	if r := run(t, sandpit.Spec{Code: mark}); r.Status != sandpit.StatusSucceeded {
		t.Fatalf("marking job: %s %s", r.Status, r.Stderr)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if r := run(t, sandpit.Spec{Code: check}); r.Stdout != "[]\n" {
				t.Errorf("a later job found marks: %s %s", r.Stdout, r.Stderr)
			}
		})
	}
	wg.Wait()
}

func TestNoHostEnvironment(t *testing.T) {
	os.Setenv("SANDPIT_SECRET_CANARY", "leak")
	r := run(t, sandpit.Spec{Code: "import os\nprint(dict(os.environ))\nprint(os.listdir('/'), os.listdir('/home'))"})
	if r.Status != sandpit.StatusSucceeded {
		t.Fatalf("status %s: %s", r.Status, r.Stderr)
	}
	for _, leak := range []string{"SANDPIT_SECRET_CANARY", os.Getenv("PATH"), "/root", "sandpit-dev"} {
		if strings.Contains(r.Stdout, leak) {
			t.Errorf("the sandbox sees %q of the host: %s", leak, r.Stdout)
		}
	}
}

func TestNoNetwork(t *testing.T) {
	r := run(t, sandpit.Spec{Code: "import js\ntry:\n    await js.fetch('http://127.0.0.1:9/')\n    print('reached')\nexcept Exception as e:\n    print('blocked')"})
	if r.Stdout != "blocked\n" {
		t.Fatalf("fetch to loopback: %q %s", r.Stdout, r.Stderr)
	}
}

// TestNoLeakAcrossJobs runs many jobs, ending every way a job can end, and
// checks that the browser holds no more tabs, workers or browser contexts,
// and the process no more goroutines, than before.
func TestNoLeakAcrossJobs(t *testing.T) {
	settle := func() {
		testenv.Eventually(t, time.Minute, func() bool { return testRunner.Ready() >= testRunner.cfg.PoolSize }, "pool did not refill")
		time.Sleep(200 * time.Millisecond)
	}
	count := func() (targets map[string]int, contexts int, goroutines int) {
		infos, err := chromedp.Targets(testRunner.current().ctx)
		if err != nil {
			t.Fatal(err)
		}
		targets = map[string]int{}
		for _, i := range infos {
			targets[i.Type]++
		}
		bc, err := chromedp.CallBrowser(testRunner.current().ctx, target.GetBrowserContexts, cdp.Empty{})
		if err != nil {
			t.Fatal(err)
		}
		return targets, len(bc.BrowserContextIDs), runtime.NumGoroutine()
	}
	settle()
	t0, c0, g0 := count()
	codes := []string{"print(1)", "1/0", "import sys; sys.exit(2)", "while True: pass", "open('f.txt','w').write('x')"}
	for i := range 40 {
		run(t, sandpit.Spec{Code: codes[i%len(codes)], TimeoutMS: 300})
	}
	settle()
	// A worker terminated while busy lingers until Chromium's forcible
	// termination (about two seconds); a leaked one never goes.
	var t1 map[string]int
	var c1, g1 int
	testenv.WaitFor(10*time.Second, func() bool {
		t1, c1, g1 = count()
		return fmt.Sprint(t0) == fmt.Sprint(t1) && c0 == c1
	})
	if fmt.Sprint(t0) != fmt.Sprint(t1) || c0 != c1 {
		t.Errorf("browser before: targets %v, contexts %d; after 40 jobs: %v, %d", t0, c0, t1, c1)
	}
	if g1 > g0+5 {
		t.Errorf("goroutines: %d before, %d after 40 jobs", g0, g1)
	}
}

// TestTimeoutInterruptsThenKills covers both steps of a timeout: the
// interpreter is interrupted (its worker is cross-origin isolated, so the
// interrupt buffer works), and code that swallows the interrupt is still
// stopped.
func TestTimeoutInterruptsThenKills(t *testing.T) {
	if r := run(t, sandpit.Spec{Code: "import js\njs.crossOriginIsolated"}); str(r.Result) != "True" {
		t.Fatalf("crossOriginIsolated = %s, want True (no interrupt buffer without it)", str(r.Result))
	}
	start := time.Now()
	r := run(t, sandpit.Spec{Code: "while True:\n    try:\n        while True: pass\n    except KeyboardInterrupt:\n        pass", TimeoutMS: 300})
	if r.Status != sandpit.StatusTimeout {
		t.Fatalf("status = %s, want timeout", r.Status)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("a job that swallows KeyboardInterrupt ran %v past a 300ms timeout", d)
	}
	if r := run(t, sandpit.Spec{Code: "print('alive')"}); r.Stdout != "alive\n" {
		t.Fatalf("next job = %+v", r)
	}
}

func TestMemoryLimit(t *testing.T) {
	r := run(t, sandpit.Spec{Code: "print('start', flush=True)\nblocks = []\nwhile True:\n    blocks.append(bytearray(8 << 20))", MemoryMB: 128})
	if r.Status != sandpit.StatusMemoryLimit {
		t.Fatalf("status = %s (stderr %q), want memory_limit", r.Status, r.Stderr)
	}
	if r.Stdout != "start\n" || !strings.Contains(r.Message, "128 MB") {
		t.Errorf("stdout %q message %q", r.Stdout, r.Message)
	}
	// Under the limit, the same kind of allocation succeeds.
	if r := run(t, sandpit.Spec{Code: "b = bytearray(64 << 20)\nlen(b)", MemoryMB: 256}); r.Status != sandpit.StatusSucceeded {
		t.Fatalf("64 MB under a 256 MB limit: %s %s", r.Status, r.Stderr)
	}
	if r := run(t, sandpit.Spec{Code: "print('next')"}); r.Stdout != "next\n" {
		t.Fatalf("job after a memory limit = %+v", r)
	}
}

func TestTestCodeGivesPassed(t *testing.T) {
	tests := []struct {
		name, code, test string
		passed           bool
		status           sandpit.Status
	}{
		{"passes", "def add(a, b): return a + b", "assert add(2, 3) == 5", true, sandpit.StatusSucceeded},
		{"test fails", "def add(a, b): return a - b", "assert add(2, 3) == 5", false, sandpit.StatusFailed},
		{"code fails", "def add(a, b) return", "assert add(2, 3) == 5", false, sandpit.StatusFailed},
		{"test times out", "def f(): pass", "while True: pass", false, sandpit.StatusTimeout},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, sandpit.Spec{Code: tc.code, Test: tc.test, TimeoutMS: 1000})
			if r.Status != tc.status || r.Passed == nil || *r.Passed != tc.passed {
				t.Fatalf("status %s passed %v, want %s %v (stderr %q)", r.Status, r.Passed, tc.status, tc.passed, r.Stderr)
			}
		})
	}
	if r := run(t, sandpit.Spec{Code: "1"}); r.Passed != nil {
		t.Fatal("a job without a test has passed set")
	}
	r := run(t, sandpit.Spec{Code: "x = 1", Test: "assert x == 2, 'x is not 2'"})
	if r.Error == nil || r.Error.Type != "AssertionError" || !strings.Contains(r.Stderr, `File "test.py", line 1`) {
		t.Fatalf("failing test: error %+v stderr %q", r.Error, r.Stderr)
	}
}

// TestVerdictNeedsTheTestToRunToTheEnd holds the test verdict to HumanEval's
// own checker (openai/human-eval's execution.py), which runs code and test
// as one program and counts it passed only when the program ran to the
// end: any exception, SystemExit of any code included, or a timeout fails
// it ("failed: <str(e)>", "timed out"). A job's error then carries the
// SystemExit and its str(), even for code 0 or None.
func TestVerdictNeedsTheTestToRunToTheEnd(t *testing.T) {
	const test = "assert add(2, 3) == 5"
	tests := []struct {
		name, code, test string
		status           sandpit.Status
		exit             int
		errType, errMsg  string // errMsg "-" for any
	}{
		{"the test runs to the end", "def add(a, b): return a + b", test, sandpit.StatusSucceeded, 0, "", ""},
		{"the test fails", "def add(a, b): return a - b", test, sandpit.StatusFailed, 1, "AssertionError", ""},
		{"the code raises", "def add(a, b): return a + b\n1/0", test, sandpit.StatusFailed, 1, "ZeroDivisionError", "division by zero"},
		{"main guard exits with main's None", "import sys\ndef add(a, b): return a + b\ndef main(): pass\nif __name__ == '__main__':\n    sys.exit(main())", test,
			sandpit.StatusSucceeded, 0, "SystemExit", ""},
		{"the code exits 0", "import sys\ndef add(a, b): return a + b\nsys.exit(0)", test, sandpit.StatusSucceeded, 0, "SystemExit", "0"},
		{"the code exits with no code", "import sys\ndef add(a, b): return a + b\nsys.exit()", test, sandpit.StatusSucceeded, 0, "SystemExit", ""},
		{"the code raises SystemExit(None)", "def add(a, b): return a + b\nraise SystemExit(None)", test, sandpit.StatusSucceeded, 0, "SystemExit", "None"},
		{"the code calls exit()", "def add(a, b): return a + b\nexit()", test, sandpit.StatusSucceeded, 0, "SystemExit", "None"},
		{"the code exits 1", "import sys\ndef add(a, b): return a + b\nsys.exit(1)", test, sandpit.StatusFailed, 1, "SystemExit", "1"},
		{"the code exits with a message", "import sys\ndef add(a, b): return a + b\nsys.exit('bye')", test, sandpit.StatusFailed, 1, "SystemExit", "bye"},
		{"the test exits 0", "def add(a, b): return a + b", "import sys\nsys.exit(0)\n" + test, sandpit.StatusSucceeded, 0, "SystemExit", "0"},
		{"the test exits 0 after its asserts", "def add(a, b): return a + b", test + "\nimport sys\nsys.exit(0)", sandpit.StatusSucceeded, 0, "SystemExit", "0"},
		{"the code raises KeyboardInterrupt", "def add(a, b): return a + b\nraise KeyboardInterrupt", test, sandpit.StatusFailed, 1, "KeyboardInterrupt", ""},
		{"the code exits from a top-level await", "import asyncio, sys\ndef add(a, b): return a + b\nawait asyncio.sleep(0)\nsys.exit(0)", test, sandpit.StatusSucceeded, 0, "SystemExit", "0"},
		{"the test has a syntax error", "def add(a, b): return a + b", "assert add(2, 3) ==", sandpit.StatusFailed, 1, "SyntaxError", "-"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := run(t, sandpit.Spec{Code: tc.code, Test: tc.test})
			if r.Status != tc.status || exitCode(r) != tc.exit {
				t.Fatalf("status %s exit %d, want %s %d (stderr %q)", r.Status, exitCode(r), tc.status, tc.exit, r.Stderr)
			}
			wantPassed := tc.errType == ""
			if r.Passed == nil || *r.Passed != wantPassed {
				t.Fatalf("passed = %s, want %v (error %+v)", verdict(r.Passed), wantPassed, r.Error)
			}
			if tc.errType == "" {
				if r.Error != nil {
					t.Fatalf("error = %+v, want none", r.Error)
				}
				return
			}
			if r.Error == nil || r.Error.Type != tc.errType || (tc.errMsg != "-" && r.Error.Message != tc.errMsg) {
				t.Fatalf("error = %+v, want %s %q", r.Error, tc.errType, tc.errMsg)
			}
		})
	}
	// Without a test, an exit with code 0 or None is a plain success, as
	// `python main.py` would have it.
	for _, code := range []string{"import sys\nsys.exit(0)", "import sys\nsys.exit()", "exit()"} {
		if r := run(t, sandpit.Spec{Code: code}); r.Status != sandpit.StatusSucceeded || r.Error != nil || r.Passed != nil {
			t.Errorf("%q without a test: status %s error %+v passed %v", code, r.Status, r.Error, r.Passed)
		}
	}
}

func verdict(p *bool) string {
	if p == nil {
		return "<nil>"
	}
	return fmt.Sprint(*p)
}

// takeHost takes a ready host from the test runner's pool for the test,
// and gives it back when the test ends.
func takeHost(t *testing.T, ctx context.Context) *host {
	t.Helper()
	h, err := testRunner.take(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { testRunner.wg.Go(func() { testRunner.recycle(h, true) }) })
	return h
}

// TestPageProtocol checks that the sandbox page offers the protocol the
// runner calls (page/protocol.go), and that what the runner passes reaches
// the code as data, whatever it holds.
func TestPageProtocol(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	h := takeHost(t, ctx)
	tctx, tcancel := context.WithTimeout(h.ctx, time.Minute)
	defer tcancel()
	methods, err := chromedp.Run(tctx, chromedp.CallFunctionOn[[]string](
		"function () { return Object.keys(this).filter((k) => typeof this[k] === 'function').sort(); }",
		func(p *cdpruntime.CallFunctionOnParams) { p.ObjectID = h.page }))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{page.MethodBootStages, page.MethodInterruptSession, page.MethodReady, page.MethodRun, page.MethodRunInSession, page.MethodSnapshotChunk}
	slices.Sort(want)
	if !slices.Equal(methods, want) {
		t.Fatalf("the page's protocol object has %v, want %v", methods, want)
	}
	code := "print(\"\\u2028 ${x} `q` */ </script> \\\" ' \\\\\")"
	res, err := h.run(ctx, page.MethodRun, sandpit.Spec{Code: code}, testRunner.cfg.Limits)
	if err != nil {
		t.Fatal(err)
	}
	if want := "\u2028 ${x} `q` */ </script> \" ' \\\n"; res.Stdout != want {
		t.Fatalf("stdout %q, want %q (stderr %q)", res.Stdout, want, res.Stderr)
	}
}

// bootStageNames are the stages of a sandbox's boot that the page reports
// (bootstages.js), in order.
var bootStageNames = []string{"copy", "spawn", "glue", "message", "imports", "instantiate", "link",
	"runtime", "restore", "bootstrap", "files", "serve", "deliver"}

// TestBootStages checks that the page reports every stage of the last
// sandbox's boot, after a job and the boot that follows it, and that the
// stages account for the whole boot.
func TestBootStages(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	h := takeHost(t, ctx)
	if _, err := h.run(ctx, page.MethodRun, sandpit.Spec{Code: "pass"}, testRunner.cfg.Limits); err != nil {
		t.Fatal(err)
	}
	if err := h.reset(ctx); err != nil {
		t.Fatal(err)
	}
	stages, err := h.bootStages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(stages) != len(bootStageNames)+1 {
		t.Errorf("stages %v, want %v and total", stages, bootStageNames)
	}
	sum := 0.0
	for _, name := range bootStageNames {
		ms, ok := stages[name]
		if !ok || ms < -0.1 {
			t.Errorf("stage %q: %v ms (reported: %v)", name, ms, ok)
		}
		sum += ms
	}
	if total := stages["total"]; total <= 0 || math.Abs(sum-total) > 0.01 {
		t.Errorf("stages add up to %.3f ms, total %.3f ms", sum, total)
	}
}

// TestResultIsCapped: a last line whose value is far over the output cap,
// and an exception whose message is, come back capped (head kept), as a
// result of the job's own, not an infrastructure failure.
func TestResultIsCapped(t *testing.T) {
	r := run(t, sandpit.Spec{Code: "'x' * (8 << 20)", MemoryMB: 256})
	if r.Status != sandpit.StatusSucceeded || r.Result == nil || !r.ResultTruncated {
		t.Fatalf("status %s, result truncated %v, error %+v", r.Status, r.ResultTruncated, r.Error)
	}
	if len(*r.Result) != testOutputCap || !strings.HasPrefix(*r.Result, "'xxx") {
		t.Fatalf("result is %d bytes (%.10q…), want the first %d", len(*r.Result), *r.Result, testOutputCap)
	}
	if r := run(t, sandpit.Spec{Code: "'✓' * 100000"}); len(*r.Result) > testOutputCap || !utf8.ValidString(*r.Result) || !r.ResultTruncated {
		t.Fatalf("a result of 3-byte characters: %d bytes, valid UTF-8 %v", len(*r.Result), utf8.ValidString(*r.Result))
	}
	if r := run(t, sandpit.Spec{Code: "'short'"}); str(r.Result) != "'short'" || r.ResultTruncated {
		t.Fatalf("a short result: %s, truncated %v", str(r.Result), r.ResultTruncated)
	}
	r = run(t, sandpit.Spec{Code: "raise ValueError('y' * (8 << 20))", MemoryMB: 256})
	if r.Status != sandpit.StatusFailed || r.Error == nil || r.Error.Type != "ValueError" {
		t.Fatalf("status %s, error type %v", r.Status, r.Error)
	}
	if len(r.Error.Message) != testOutputCap || len(r.Error.Traceback) > testOutputCap || !strings.HasPrefix(r.Error.Message, "yyy") {
		t.Fatalf("error message %d bytes, traceback %d; want at most %d", len(r.Error.Message), len(r.Error.Traceback), testOutputCap)
	}
}

// TestJobCausedSandboxFailuresAreFinal: code that makes the page report a
// sandbox failure (a forged fatal message, an uncaught error that kills its
// own worker, a harness rewritten to report nonsense) gets a final error
// result, not an infrastructure failure that would have the job retried.
func TestJobCausedSandboxFailuresAreFinal(t *testing.T) {
	tests := []struct{ name, code, message string }{
		{"forge a fatal message",
			"import js\nfrom pyodide.ffi import to_js\njs.postMessage(to_js({'type': 'fatal', 'message': 'forged'}, dict_converter=js.Object.fromEntries))\nimport time\ntime.sleep(1)",
			"the sandbox failed: forged"},
		{"kill its own worker with an uncaught error",
			"import js, asyncio\nfrom pyodide.ffi import create_proxy\ndef boom():\n    raise RuntimeError('uncaught')\njs.setTimeout(create_proxy(boom), 0)\nawait asyncio.sleep(2)",
			"the sandbox failed: sandbox worker failed"},
		{"report an unknown status",
			"import __main__\n__main__._Job._report = lambda self, *a: '{\"status\": \"pwned\"}'",
			`the sandbox failed: its result has unknown status "pwned"`},
		{"report a status that does not fit its exit code",
			"import __main__\n__main__._Job._report = lambda self, *a: '{\"status\": \"succeeded\", \"exit_code\": 1}'",
			"the sandbox failed: its result has status succeeded with exit code 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			r, err := testRunner.Run(ctx, sandpit.Spec{Code: tc.code, Test: "pass"})
			if err != nil {
				t.Fatalf("Run: %v; want a result of the job's own", err)
			}
			if r.Status != sandpit.StatusError || !strings.HasPrefix(r.Message, tc.message) || r.Passed == nil || *r.Passed {
				t.Fatalf("status %s message %q passed %s; want error %q, not passed", r.Status, r.Message, verdict(r.Passed), tc.message)
			}
		})
	}
	if r := run(t, sandpit.Spec{Code: "print('next')"}); r.Stdout != "next\n" {
		t.Fatalf("next job: %+v", r)
	}
}

// TestNoBrowserUIPages checks that Chromium opens no page of its own
// interface (the address bar's popup, which headless Chromium opens for
// each browser context, in a renderer of its own) beside the hosts.
func TestNoBrowserUIPages(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	takeHost(t, ctx)
	res, err := chromedp.CallBrowser(testRunner.current().ctx, target.GetTargets, target.GetTargetsParams{Filter: target.Filter{{}}})
	if err != nil {
		t.Fatal(err)
	}
	pages := 0
	for _, ti := range res.TargetInfos {
		if ti.Type == "page" && strings.HasPrefix(ti.URL, Origin) {
			pages++
		}
		if ti.Type == "browser_ui" || strings.HasPrefix(ti.URL, "chrome://") {
			t.Errorf("Chromium opened %s %s", ti.Type, ti.URL)
		}
	}
	if pages == 0 {
		t.Fatalf("no host's page among the browser's targets %v", res.TargetInfos)
	}
}

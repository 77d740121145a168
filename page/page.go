// Package page holds what browsers load: the harness (a page, a module
// worker and the Python side of the runner) and the Pyodide assets from the
// pinned npm package, which a headless sandbox loads (Handler), and the
// playground, the SDK and the client-side pages that run the same harness
// in an end user's browser (Web); all embedded in the binary and served
// with the headers each needs.
package page

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// Run `npm ci` in this directory before building: the Pyodide files come from
// the npm package pinned by package-lock.json.
//
//go:embed static
var static embed.FS

//go:embed node_modules/pyodide/pyodide.mjs node_modules/pyodide/pyodide.asm.mjs node_modules/pyodide/pyodide.asm.wasm node_modules/pyodide/python_stdlib.zip node_modules/pyodide/pyodide-lock.json
var pyodide embed.FS

// ContentSecurityPolicy is sent with every document and worker script. It
// lets the harness load only its own scripts and Pyodide from its own origin,
// compile WebAssembly, and connect nowhere else.
const ContentSecurityPolicy = "default-src 'none'; " +
	"script-src 'self' 'wasm-unsafe-eval'; " +
	"worker-src 'self'; " +
	"connect-src 'self' blob:; " +
	"img-src 'self' data: blob:; " +
	"style-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// WorkerContentSecurityPolicy is sent with the worker script, and so governs
// the worker a job runs in: no nested workers, no connection but to
// sandpit's own origin (and the page's blob: URLs), no eval.
const WorkerContentSecurityPolicy = "default-src 'none'; " +
	"script-src 'self' 'wasm-unsafe-eval'; " +
	"worker-src 'none'; " +
	"connect-src 'self' blob:; " +
	"base-uri 'none'; form-action 'none'"

var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".mjs":  "text/javascript; charset=utf-8",
	".py":   "text/x-python; charset=utf-8",
	".wasm": "application/wasm",
	".zip":  "application/zip",
	".whl":  "application/zip",
	".json": "application/json",
}

// Handler serves the sandbox page, its scripts and the Pyodide assets, with
// the standard library only. It answers 404 for anything else and 405 for
// methods other than GET and HEAD.
func Handler() http.Handler {
	h, err := New(Options{})
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return h
}

// New is Handler with a package repository: it also serves the packages of
// opts.PackagesDir that opts.Allow lets in, at /packages/, and the lock file
// that names them.
func New(opts Options) (http.Handler, error) {
	harness, err := fs.Sub(static, "static")
	if err != nil {
		return nil, err
	}
	if _, err := patchedGlue(); err != nil {
		return nil, err
	}
	pinned, err := readPyodide("pyodide-lock.json")
	if err != nil {
		return nil, err
	}
	repo, err := openRepository(pinned, opts)
	if err != nil {
		return nil, err
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		// Each asset has one path: other spellings of it are not found,
		// so that a sandbox cannot have one file rendered and cached
		// under any number of names.
		name := r.URL.Path
		if path.Clean(name) != name {
			http.NotFound(w, r)
			return
		}
		var body []byte
		var err error
		file := strings.TrimPrefix(name, "/")
		switch {
		case name == "/pyodide/pyodide-lock.json":
			body = repo.lock
		case name == "/config.json":
			body = repo.config()
		case strings.HasPrefix(name, "/pyodide/"):
			file = strings.TrimPrefix(name, "/pyodide/")
			body, err = readPyodide(file)
		case strings.HasPrefix(name, "/packages/"):
			file = strings.TrimPrefix(name, "/packages/")
			body, err = repo.wheel(file)
		default:
			body, err = fs.ReadFile(harness, file)
		}
		if err != nil || file == "" {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", contentTypes[path.Ext(file)])
		h.Set("Content-Length", strconv.Itoa(len(body)))
		if file == "worker.js" {
			h.Set("Content-Security-Policy", WorkerContentSecurityPolicy)
		} else {
			h.Set("Content-Security-Policy", ContentSecurityPolicy)
		}
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Embedder-Policy", "require-corp")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		// Pyodide's files are pinned by version and never change while a
		// browser runs, so a host page loads them once.
		if strings.HasPrefix(name, "/pyodide/") || strings.HasPrefix(name, "/packages/") {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "no-store")
		}
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			w.Write(body)
		}
	}), nil
}

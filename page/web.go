package page

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/sandpit-dev/sandpit"
)

// The files of the browser side that end users load: the playground, the
// SDK, the client-side page and its frame.
//
//go:embed web
var web embed.FS

// DOMPurify, from the npm package pinned by package-lock.json, sanitises
// the HTML files a job writes before the browser side shows them.
//
//go:embed node_modules/dompurify/dist/purify.es.mjs
var purify embed.FS

// plotly.js, from the npm package pinned by package-lock.json, draws a
// job's plotly charts in the chart frame (/web/chart.html).
//
//go:embed node_modules/plotly.js-dist-min/plotly.min.js
var plotly embed.FS

// The playground's code editor: CodeMirror and its Python mode, bundled
// from editor/ by `npm run build` (the Makefile's page/build/editor.js).
//
//go:embed build/editor.js
var editor embed.FS

// WebConfig configures what Web serves.
type WebConfig struct {
	// Limits bound the jobs run in end users' browsers, as they bound the
	// server's own.
	Limits sandpit.Limits
	// PublicURL is where end users reach sandpit, such as
	// https://sandpit.example.com; the Content-Security-Policy of each page
	// names it. Empty: the scheme and host each request was sent to.
	PublicURL string
	// KeyRequired tells the playground to ask for an API key.
	KeyRequired bool
	// Packages is the package repository the browser side loads packages
	// from, as the server's sandboxes do; its preload list does not apply.
	Packages Options
}

// Web serves what end users' browsers load: the playground at /, the SDK
// at /sdk/, client-side pages (ServePage), and under /web/ the scripts,
// the harness and the Pyodide files they run code with.
type Web struct {
	public  string
	repo    *repository       // the packages served under /web/packages/
	assets  map[string]*asset // by request path
	index   []byte            // the playground, key flag filled in
	frame   []byte            // the SDK's frame, config filled in
	view    []byte            // the client-side page, spec left to fill in
	chart   []byte            // the frame a plotly chart is drawn in
	missing []byte            // a page that has expired
}

// asset is one static file, with the headers it is served with.
type asset struct {
	body      []byte
	ctype     string
	etag      string
	immutable bool
}

// The documents Web serves. Each has its own Content-Security-Policy.
const (
	pathIndex = "/"
	pathFrame = "/sdk/frame.html"
	pathChart = "/web/chart.html"
)

// NewWeb returns the handler of the browser side.
func NewWeb(cfg WebConfig) (*Web, error) {
	w := &Web{assets: make(map[string]*asset)}
	if cfg.PublicURL != "" {
		u, err := url.Parse(cfg.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || !hostPattern.MatchString(u.Host) {
			return nil, fmt.Errorf("public URL %q: want http(s)://host[:port]", cfg.PublicURL)
		}
		w.public = u.Scheme + "://" + u.Host
	}
	// The viewer's browser loads packages from the server's package
	// repository, through the same lock as the server's sandboxes, so that
	// a job imports the same packages, and fails the same way, in both
	// places. Preloading is the server's own affair.
	pinned, err := readPyodide("pyodide-lock.json")
	if err != nil {
		return nil, err
	}
	cfg.Packages.Preload = nil
	if w.repo, err = openRepository(pinned, cfg.Packages); err != nil {
		return nil, err
	}
	add := func(read func(string) ([]byte, error), name, urlPath string, immutable bool) error {
		body, err := read(name)
		if err != nil {
			return fmt.Errorf("embedded %s: %w", name, err)
		}
		if urlPath == "/web/pyodide/pyodide-lock.json" {
			body = w.repo.lock
		}
		sum := sha256.Sum256(body)
		w.assets[urlPath] = &asset{body: body, ctype: contentTypes[path.Ext(name)], immutable: immutable,
			etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`}
		return nil
	}
	for _, name := range []string{"frame.js", "job.js", "render.js", "chart.js", "view.js", "view.css", "playground.js", "playground.css",
		"examples.js", "events.js", "settings.js", "live.js"} {
		if err := add(web.ReadFile, "web/"+name, "/web/"+name, false); err != nil {
			return nil, err
		}
	}
	for _, name := range []string{"host.js", "bootstages.js", "snapshot.js", "worker.js", "harness.py"} {
		if err := add(static.ReadFile, "static/"+name, "/web/"+name, false); err != nil {
			return nil, err
		}
	}
	for _, name := range []string{"pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"} {
		if err := add(readPyodide, name, "/web/pyodide/"+name, true); err != nil {
			return nil, err
		}
	}
	if err := add(purify.ReadFile, "node_modules/dompurify/dist/purify.es.mjs", "/web/purify.es.mjs", false); err != nil {
		return nil, err
	}
	if err := add(plotly.ReadFile, "node_modules/plotly.js-dist-min/plotly.min.js", "/web/plotly.min.js", false); err != nil {
		return nil, err
	}
	if err := add(editor.ReadFile, "build/editor.js", "/web/editor.js", false); err != nil {
		return nil, err
	}
	if err := add(web.ReadFile, "web/sandpit.js", "/sdk/sandpit.js", false); err != nil {
		return nil, err
	}
	doc := func(name string, fill ...string) ([]byte, error) {
		body, err := fs.ReadFile(web, "web/"+name)
		if err != nil {
			return nil, fmt.Errorf("embedded %s: %w", name, err)
		}
		return []byte(strings.NewReplacer(fill...).Replace(string(body))), nil
	}
	config, err := json.Marshal(frameConfig(cfg.Limits))
	if err != nil {
		return nil, err
	}
	var errs [5]error
	packages, err := json.Marshal(append([]string{}, w.repo.names...))
	if err != nil {
		return nil, err
	}
	w.index, errs[0] = doc("index.html", "{{KEY_REQUIRED}}", strconv.FormatBool(cfg.KeyRequired),
		"{{PACKAGES}}", html.EscapeString(string(packages)))
	w.frame, errs[1] = doc("frame.html", "{{CONFIG}}", string(config))
	w.view, errs[2] = doc("view.html")
	w.missing, errs[3] = doc("missing.html")
	w.chart, errs[4] = doc("chart.html")
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return w, nil
}

// hostPattern is a host name or IP address with an optional port: nothing
// that could change the meaning of a policy it is written into.
var hostPattern = regexp.MustCompile(`^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$`)

// origin is sandpit's origin as the request's browser sees it.
func (w *Web) origin(r *http.Request) (string, bool) {
	if w.public != "" {
		return w.public, true
	}
	if !hostPattern.MatchString(r.Host) {
		return "", false
	}
	// A source with the http scheme also matches https at the same host
	// (CSP Level 3), so a TLS proxy in front that keeps the Host header
	// needs no configuration.
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host, true
}

// FrameCSP is the policy of the frame that runs code in an end user's
// browser. The frame is sandboxed without allow-same-origin, so it and the
// workers it starts live on an opaque origin; its scripts come only from
// sandpit's /web/, its one kind of worker is started from a blob: URL of its
// own and imports worker.js (a blob: worker inherits this policy), and it
// connects only to the harness and Pyodide's files.
//
// Any page may embed it, as the SDK does, and so it has no frame-ancestors:
// no source of that directive matches an opaque origin, and the pages that
// embed it may be on one (a client-side page is). It shows nothing, so
// there is nothing to trick a user into clicking.
func FrameCSP(origin string) string {
	return "sandbox allow-scripts; default-src 'none'; " +
		"script-src " + origin + "/web/ 'wasm-unsafe-eval'; " +
		"worker-src blob:; " +
		"connect-src " + origin + "/web/pyodide/ " + origin + "/web/packages/ " + origin + "/web/harness.py blob:; " +
		"base-uri 'none'; form-action 'none'"
}

// ChartCSP is the policy of the frame a job's plotly chart is drawn in.
// Like the SDK's frame it is sandboxed without allow-same-origin, on an
// opaque origin, so that plotly.js reads the job's untrusted JSON where it
// can reach neither the page that shows it nor sandpit's origin; it loads
// plotly.js and its own script from sandpit's /web/, styles inline (plotly
// writes its own), images from data: and blob: URLs (its legend and
// download), and connects nowhere.
func ChartCSP(origin string) string {
	return "sandbox allow-scripts; default-src 'none'; " +
		"script-src " + origin + "/web/; " +
		"style-src 'unsafe-inline'; " +
		"img-src data: blob:; " +
		"base-uri 'none'; form-action 'none'"
}

// ViewCSP is the policy of a client-side page, /p/{id}. The page is
// sandboxed too (an opaque origin of its own, so that nothing on it can
// reach sandpit's origin), loads its scripts and styles from sandpit, shows
// images from data: URLs, frames only the SDK's frame and the chart frame
// (ChartCSP), and connects nowhere. Inline styles are allowed for the job's HTML output, which is
// shown in a srcdoc frame that inherits this policy and runs no script. Any
// site may embed it.
func ViewCSP(origin string) string {
	return "sandbox allow-scripts allow-downloads; default-src 'none'; " +
		"script-src " + origin + "/web/ " + origin + "/sdk/sandpit.js; " +
		"style-src " + origin + "/web/ 'unsafe-inline'; " +
		"img-src data:; " +
		"frame-src " + origin + pathFrame + " " + origin + pathChart + "; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors *"
}

// PlaygroundCSP is the policy of the playground: like a client-side page's,
// but on sandpit's origin so that it may run jobs (POST /v1/run), stop them
// (DELETE /v1/jobs/{id}) and follow their events, and share code as a
// client-side page (POST /v1/pages), and never in a frame.
func PlaygroundCSP(origin string) string {
	return "default-src 'none'; " +
		"script-src " + origin + "/web/ " + origin + "/sdk/sandpit.js; " +
		"style-src " + origin + "/web/ 'unsafe-inline'; " +
		"img-src data:; " +
		"frame-src " + origin + pathFrame + " " + origin + pathChart + "; " +
		"connect-src " + origin + "/v1/run " + origin + "/v1/jobs/ " + origin + "/v1/pages; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

// assetCSP is sent with every script and file: opened as a document, it is
// inert. (A module's own policy does not apply when it is imported.)
const assetCSP = "default-src 'none'; sandbox; frame-ancestors 'none'"

// wheel is a package of the repository, as an asset. Wheels are named by
// version, so they never change.
func (w *Web) wheel(name string) (*asset, bool) {
	body, err := w.repo.wheel(name)
	if err != nil {
		return nil, false
	}
	sum := sha256.Sum256([]byte(name))
	return &asset{body: body, ctype: contentTypes[".whl"], immutable: true,
		etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`}, true
}

// ServeHTTP serves the playground, the SDK and the files under /web/. It
// answers 404 for anything else and 405 for methods other than GET and
// HEAD.
func (w *Web) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if !allowed(rw, r) {
		return
	}
	switch r.URL.Path {
	case pathIndex:
		w.document(rw, r, w.index, PlaygroundCSP, http.StatusOK)
		return
	case pathFrame:
		w.document(rw, r, w.frame, FrameCSP, http.StatusOK)
		return
	case pathChart:
		w.document(rw, r, w.chart, ChartCSP, http.StatusOK)
		return
	}
	a, ok := w.assets[r.URL.Path]
	if name, wheel := strings.CutPrefix(r.URL.Path, "/web/packages/"); wheel {
		a, ok = w.wheel(name)
	}
	if !ok {
		http.NotFound(rw, r)
		return
	}
	h := rw.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("Content-Security-Policy", assetCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	// Client-side pages and the SDK's frame live on opaque origins, and
	// the SDK is imported by other sites: every script and file is public
	// and may be read from anywhere.
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	h.Set("ETag", a.etag)
	if a.immutable {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if r.Header.Get("If-None-Match") == a.etag {
		rw.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(a.body)))
	rw.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		rw.Write(a.body)
	}
}

// ServePage answers a client-side page that runs spec in the viewer's
// browser, or, when spec is nil, a page saying that it has expired (404).
func (w *Web) ServePage(rw http.ResponseWriter, r *http.Request, spec *sandpit.Spec) {
	if !allowed(rw, r) {
		return
	}
	if spec == nil {
		w.document(rw, r, w.missing, ViewCSP, http.StatusNotFound)
		return
	}
	// json.Marshal escapes <, > and &, so the spec cannot end the script
	// element that holds it.
	data, err := json.Marshal(spec)
	if err != nil {
		http.Error(rw, "internal error", http.StatusInternalServerError)
		return
	}
	body := bytes.Replace(w.view, []byte("{{SPEC}}"), data, 1)
	w.document(rw, r, body, ViewCSP, http.StatusOK)
}

// document writes an HTML document with its policy.
func (w *Web) document(rw http.ResponseWriter, r *http.Request, body []byte, csp func(string) string, status int) {
	origin, ok := w.origin(r)
	if !ok {
		http.Error(rw, "bad Host header", http.StatusBadRequest)
		return
	}
	h := rw.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", csp(origin))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	rw.WriteHeader(status)
	if r.Method != http.MethodHead {
		rw.Write(body)
	}
}

func allowed(rw http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	rw.Header().Set("Allow", "GET, HEAD")
	http.Error(rw, "method not allowed", http.StatusMethodNotAllowed)
	return false
}

// mimeExtensions are the extensions whose media type the frame is told, as
// this server's Go would name it, so that output files get the same
// mime_type in a browser as on the server. Others are
// application/octet-stream.
var mimeExtensions = []string{".avif", ".bmp", ".css", ".csv", ".gif", ".htm", ".html", ".ico", ".ipynb", ".jpeg", ".jpg",
	".js", ".json", ".md", ".mjs", ".pdf", ".png", ".py", ".svg", ".tif", ".tiff", ".tsv", ".txt", ".wasm", ".webp",
	".xml", ".yaml", ".yml", ".zip"}

// frameConfig is what the frame is told: the server's limits, and the
// media types of output files.
func frameConfig(l sandpit.Limits) map[string]any {
	types := map[string]string{}
	for _, ext := range mimeExtensions {
		if t := mime.TypeByExtension(ext); t != "" {
			types[ext] = t
		}
	}
	return map[string]any{
		"limits":     LimitsOf(l),
		"mime_types": types,
	}
}

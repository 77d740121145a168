package page

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/sandpit-dev/sandpit"
)

func newWeb(t *testing.T, cfg WebConfig) *Web {
	t.Helper()
	w, err := NewWeb(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func serve(h http.Handler, method, path string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "http://sandpit.test:8080"+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Host" {
			req.Host = header[i+1]
		} else {
			req.Header.Set(header[i], header[i+1])
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// directives splits a policy into its directives by name.
func directives(csp string) map[string]string {
	m := map[string]string{}
	for _, d := range strings.Split(csp, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		m[name] = value
	}
	return m
}

// documents are the HTML documents Web serves, each by a request.
func documents(w *Web) map[string]*httptest.ResponseRecorder {
	page := httptest.NewRecorder()
	w.ServePage(page, httptest.NewRequest("GET", "http://sandpit.test:8080/p/x", nil), &sandpit.Spec{Code: "print(1)"})
	missing := httptest.NewRecorder()
	w.ServePage(missing, httptest.NewRequest("GET", "http://sandpit.test:8080/p/y", nil), nil)
	return map[string]*httptest.ResponseRecorder{
		"playground": serve(w, "GET", "/"),
		"frame":      serve(w, "GET", "/sdk/frame.html"),
		"chart":      serve(w, "GET", "/web/chart.html"),
		"page":       page,
		"missing":    missing,
	}
}

// TestPolicies checks each document's Content-Security-Policy: scripts
// only from sandpit's own files, no eval, no inline script, connections
// only where the document needs them, and framing only for what is meant
// to be embedded.
func TestPolicies(t *testing.T) {
	const o = "http://sandpit.test:8080"
	tests := []struct {
		doc     string
		sandbox string // "" for none
		connect string
		frames  string // frame-ancestors; "-" for absent
	}{
		{"playground", "", o + "/v1/run " + o + "/v1/jobs/ " + o + "/v1/pages", "'none'"},
		{"frame", "allow-scripts", o + "/web/pyodide/ " + o + "/web/packages/ " + o + "/web/harness.py blob:", "-"},
		{"chart", "allow-scripts", "", "-"},
		{"page", "allow-scripts allow-downloads", "", "*"},
		{"missing", "allow-scripts allow-downloads", "", "*"},
	}
	docs := documents(newWeb(t, WebConfig{}))
	for _, tc := range tests {
		t.Run(tc.doc, func(t *testing.T) {
			rec := docs[tc.doc]
			csp := rec.Header().Get("Content-Security-Policy")
			d := directives(csp)
			if d["default-src"] != "'none'" {
				t.Errorf("default-src %q, want 'none'", d["default-src"])
			}
			for _, src := range strings.Fields(d["script-src"]) {
				if src != "'wasm-unsafe-eval'" && !strings.HasPrefix(src, o+"/web/") && src != o+"/sdk/sandpit.js" {
					t.Errorf("script-src allows %s", src)
				}
			}
			if s, ok := d["sandbox"]; ok != (tc.sandbox != "") || s != tc.sandbox {
				t.Errorf("sandbox %q (present %v), want %q", s, ok, tc.sandbox)
			}
			if strings.Contains(d["sandbox"], "allow-same-origin") {
				t.Error("sandboxed with allow-same-origin")
			}
			if d["connect-src"] != tc.connect {
				t.Errorf("connect-src %q, want %q", d["connect-src"], tc.connect)
			}
			fa, ok := d["frame-ancestors"]
			if !ok {
				fa = "-"
			}
			if fa != tc.frames {
				t.Errorf("frame-ancestors %q, want %q", fa, tc.frames)
			}
			if d["base-uri"] != "'none'" || d["form-action"] != "'none'" {
				t.Errorf("base-uri %q form-action %q, want 'none'", d["base-uri"], d["form-action"])
			}
			if strings.Contains(csp, "'unsafe-eval'") || strings.Contains(d["script-src"], "unsafe-inline") {
				t.Errorf("policy allows eval or inline script: %s", csp)
			}
		})
	}
}

// TestNoInlineScript checks that no document holds a script the policy
// would have to allow inline: every script element loads a file or holds
// JSON data.
func TestNoInlineScript(t *testing.T) {
	tag := regexp.MustCompile(`(?i)<script\b[^>]*>`)
	handler := regexp.MustCompile(`(?i)\son[a-z]+\s*=`)
	for name, rec := range documents(newWeb(t, WebConfig{})) {
		body := rec.Body.String()
		for _, s := range tag.FindAllString(body, -1) {
			if !strings.Contains(s, " src=") && !strings.Contains(s, `type="application/json"`) {
				t.Errorf("%s: inline script %s", name, s)
			}
		}
		if handler.MatchString(body) || strings.Contains(body, "javascript:") {
			t.Errorf("%s: an inline event handler or javascript: URL", name)
		}
	}
}

func TestPublicURLAndHost(t *testing.T) {
	w := newWeb(t, WebConfig{PublicURL: "https://sandpit.example.com/"})
	csp := serve(w, "GET", "/", "Host", "other.test").Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "https://sandpit.example.com/web/") || strings.Contains(csp, "other.test") {
		t.Errorf("policy %q does not name the public URL", csp)
	}
	w = newWeb(t, WebConfig{})
	for _, host := range []string{"evil.test; script-src *", "a b", "x'y"} {
		if rec := serve(w, "GET", "/sdk/frame.html", "Host", host); rec.Code != 400 {
			t.Errorf("Host %q: %d, want 400", host, rec.Code)
		}
	}
	if rec := serve(w, "GET", "/", "Host", "[::1]:8080"); rec.Code != 200 || !strings.Contains(rec.Header().Get("Content-Security-Policy"), "http://[::1]:8080/web/") {
		t.Errorf("an IPv6 host: %d %q", rec.Code, rec.Header().Get("Content-Security-Policy"))
	}
	for _, bad := range []string{"ftp://x", "https://", "sandpit.example.com", "https://a b"} {
		if _, err := NewWeb(WebConfig{PublicURL: bad}); err == nil {
			t.Errorf("public URL %q accepted", bad)
		}
	}
}

func TestAssets(t *testing.T) {
	w := newWeb(t, WebConfig{})
	for _, tc := range []struct{ path, ctype string }{
		{"/sdk/sandpit.js", "text/javascript"},
		{"/web/frame.js", "text/javascript"},
		{"/web/host.js", "text/javascript"},
		{"/web/bootstages.js", "text/javascript"},
		{"/web/worker.js", "text/javascript"},
		{"/web/harness.py", "text/x-python"},
		{"/web/view.css", "text/css"},
		{"/web/purify.es.mjs", "text/javascript"},
		{"/web/editor.js", "text/javascript"},
		{"/web/playground.js", "text/javascript"},
		{"/web/examples.js", "text/javascript"},
		{"/web/events.js", "text/javascript"},
		{"/web/settings.js", "text/javascript"},
		{"/web/live.js", "text/javascript"},
		{"/web/pyodide/pyodide.asm.wasm", "application/wasm"},
		{"/web/pyodide/python_stdlib.zip", "application/zip"},
	} {
		rec := serve(w, "GET", tc.path)
		h := rec.Header()
		if rec.Code != 200 || !strings.HasPrefix(h.Get("Content-Type"), tc.ctype) || rec.Body.Len() == 0 {
			t.Errorf("%s: %d %q", tc.path, rec.Code, h.Get("Content-Type"))
		}
		// Opaque-origin frames and other sites load these.
		if h.Get("Access-Control-Allow-Origin") != "*" || h.Get("Cross-Origin-Resource-Policy") != "cross-origin" {
			t.Errorf("%s: not readable from other origins", tc.path)
		}
		if d := directives(h.Get("Content-Security-Policy")); d["default-src"] != "'none'" {
			t.Errorf("%s: opened as a document, it is not inert: %q", tc.path, h.Get("Content-Security-Policy"))
		}
		if rec := serve(w, "GET", tc.path, "If-None-Match", h.Get("ETag")); rec.Code != 304 || rec.Body.Len() != 0 {
			t.Errorf("%s with its ETag: %d, want 304", tc.path, rec.Code)
		}
	}
	if h := serve(w, "GET", "/web/pyodide/pyodide.mjs").Header(); !strings.Contains(h.Get("Cache-Control"), "immutable") {
		t.Errorf("Pyodide's pinned files are not cached: %q", h.Get("Cache-Control"))
	}
	// The headless host's own page is not part of the browser side.
	for _, path := range []string{"/web/sandbox.html", "/web/harness.js", "/web/../page.go", "/web/", "/sandbox.html", "/web/index.html"} {
		if rec := serve(w, "GET", path); rec.Code != 404 {
			t.Errorf("%s: %d, want 404", path, rec.Code)
		}
	}
	if rec := serve(w, "POST", "/"); rec.Code != 405 {
		t.Errorf("POST /: %d, want 405", rec.Code)
	}
	if rec := serve(w, "HEAD", "/sdk/sandpit.js"); rec.Code != 200 || rec.Body.Len() != 0 {
		t.Errorf("HEAD: %d with %d bytes", rec.Code, rec.Body.Len())
	}
}

// TestFrameCarriesServerLimits checks that the frame enforces the
// server's limits, and the playground asks for a key when the server has
// keys.
func TestFrameCarriesServerLimits(t *testing.T) {
	w := newWeb(t, WebConfig{Limits: sandpit.Limits{MaxOutputBytes: 1234, MaxFiles: 7, MaxTimeout: 90e9}, KeyRequired: true})
	body := serve(w, "GET", "/sdk/frame.html").Body.String()
	for _, want := range []string{`"max_output_bytes":1234`, `"max_files":7`, `"max_timeout_ms":90000`, `"default_timeout_ms":10000`, `".png":"image/png"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the frame's config lacks %s:\n%s", want, body)
		}
	}
	if body := serve(w, "GET", "/").Body.String(); !strings.Contains(body, `data-key-required="true"`) {
		t.Error("the playground does not know the server needs a key")
	}
}

// TestWebServesPackages checks that end users' browsers get the server's
// package repository: the allowed packages' lock and wheels under /web/,
// the frame allowed to fetch them, and the playground told what there is.
func TestWebServesPackages(t *testing.T) {
	w, err := NewWeb(WebConfig{Packages: Options{PackagesDir: writeRepo(t, PythonVersion()), Allow: []string{"app"}, Preload: []string{"app"}}})
	if err != nil {
		t.Fatal(err)
	}
	var lock lockFile
	if err := json.Unmarshal(serve(w, "GET", "/web/pyodide/pyodide-lock.json").Body.Bytes(), &lock); err != nil {
		t.Fatal(err)
	}
	if len(lock.Packages) != 2 || lock.Packages["app"] == nil || lock.Packages["lib"] == nil {
		t.Errorf("lock names %v, want app and lib", lock.Packages)
	}
	for name, want := range map[string]int{"app-1-py3-none-any.whl": 200, "lib-1-py3-none-any.whl": 200,
		"other-1-py3-none-any.whl": 404, "../pyodide-lock.json": 404, "pyodide-lock.json": 404} {
		rec := serve(w, "GET", "/web/packages/"+name)
		if rec.Code != want {
			t.Errorf("GET /web/packages/%s: %d, want %d", name, rec.Code, want)
		}
		if want == 200 && (rec.Header().Get("Access-Control-Allow-Origin") != "*" || rec.Header().Get("Content-Security-Policy") != assetCSP) {
			t.Errorf("GET /web/packages/%s: headers %v", name, rec.Header())
		}
	}
	if csp := FrameCSP("http://sandpit.test:8080"); !strings.Contains(csp, "connect-src http://sandpit.test:8080/web/pyodide/ http://sandpit.test:8080/web/packages/ ") {
		t.Errorf("the frame may not fetch packages: %s", csp)
	}
	if body := serve(w, "GET", "/").Body.String(); !strings.Contains(body, `data-packages="[&#34;app&#34;,&#34;lib&#34;]"`) {
		t.Errorf("the playground is not told the packages: %.300s", body)
	}
	// Without a repository, the browser side's lock names nothing, as the
	// server's does.
	bare, err := NewWeb(WebConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var none lockFile
	if err := json.Unmarshal(serve(bare, "GET", "/web/pyodide/pyodide-lock.json").Body.Bytes(), &none); err != nil || len(none.Packages) != 0 {
		t.Errorf("lock without a repository names %d packages (%v)", len(none.Packages), err)
	}
}

// TestEditorBundle checks the playground's editor, bundled from editor/:
// a module with what the playground imports, and nothing the playground's
// policy forbids (it allows no eval).
func TestEditorBundle(t *testing.T) {
	body := serve(newWeb(t, WebConfig{}), "GET", "/web/editor.js").Body.String()
	exports := regexp.MustCompile(`export\s*\{([^}]*)\}`).FindStringSubmatch(body)
	if exports == nil || !strings.Contains(exports[1], "createEditor") || !strings.Contains(exports[1], "setText") {
		t.Errorf("the bundle does not export createEditor and setText: %.200q", exports)
	}
	for _, forbidden := range []string{"eval(", "new Function(", "Function(\"", "//cdn.", "https://unpkg"} {
		if strings.Contains(body, forbidden) {
			t.Errorf("the bundle holds %q", forbidden)
		}
	}
}

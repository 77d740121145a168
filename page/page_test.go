package page

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestHandlerAnswersOneSpellingOnly: each asset has one path; any other
// spelling of it (repeated slashes, dot segments, a trailing slash) is 404,
// so that no one asks for the same file under a thousand names.
func TestHandlerAnswersOneSpellingOnly(t *testing.T) {
	h := Handler()
	for _, p := range []string{"/sandbox.html", "/pyodide/pyodide-lock.json", "/config.json"} {
		if rec := get(t, h, p); rec.Code != 200 {
			t.Fatalf("GET %s = %d", p, rec.Code)
		}
	}
	for _, p := range []string{
		"/pyodide//pyodide-lock.json", "/pyodide/" + strings.Repeat("/", 10) + "pyodide.asm.wasm",
		"/pyodide/./pyodide.asm.wasm", "/x/../sandbox.html", "//sandbox.html", "/sandbox.html/",
		"/packages//x.whl", "/pyodide/",
	} {
		if rec := get(t, h, p); rec.Code != 404 || rec.Body.Len() > 100 {
			t.Errorf("GET %s = %d with %d bytes, want 404", p, rec.Code, rec.Body.Len())
		}
	}
}

// staticImport is a module's static import of another by a relative URL.
var staticImport = regexp.MustCompile(`(?m)^\s*(?:import|export)\s[^;"]*?\bfrom\s*"(\.{1,2}/[^"]+)"`)

// TestModulesAreServed follows the static imports of the pages' modules,
// from each entry point on, and checks that each module they import is
// served as JavaScript: by the headless sandbox's handler (sandbox.html
// loads harness.js, whose host imports bootstages.js) and by the browser
// side's (the frame runs the same host from /web/).
func TestModulesAreServed(t *testing.T) {
	for _, tc := range []struct {
		name    string
		h       http.Handler
		entries []string
		want    []string // among what the entries import
	}{
		{"headless", Handler(), []string{"/harness.js", "/worker.js"}, []string{"/host.js", "/bootstages.js", "/snapshot.js", "/pyodide/pyodide.mjs"}},
		{"web", newWeb(t, WebConfig{}), []string{"/web/frame.js", "/web/worker.js", "/web/playground.js", "/web/view.js"},
			[]string{"/web/host.js", "/web/bootstages.js", "/web/snapshot.js", "/web/job.js", "/sdk/sandpit.js"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen := map[string]bool{}
			queue := tc.entries
			for len(queue) > 0 {
				p := queue[0]
				queue = queue[1:]
				if seen[p] {
					continue
				}
				seen[p] = true
				rec := get(t, tc.h, p)
				if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/javascript") || rec.Body.Len() == 0 {
					t.Errorf("GET %s = %d %q with %d bytes, want a module", p, rec.Code, rec.Header().Get("Content-Type"), rec.Body.Len())
					continue
				}
				base := &url.URL{Path: p}
				for _, m := range staticImport.FindAllStringSubmatch(rec.Body.String(), -1) {
					ref, err := url.Parse(m[1])
					if err != nil {
						t.Fatalf("%s imports %q: %v", p, m[1], err)
					}
					queue = append(queue, base.ResolveReference(ref).Path)
				}
			}
			for _, p := range tc.want {
				if !seen[p] {
					t.Errorf("%s is not among the modules imported from %v: %v", p, tc.entries, seen)
				}
			}
		})
	}
}

package page

import (
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
